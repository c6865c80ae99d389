//! Database access for both backends: one connection enum (diesel's
//! `MultiConnection`), its r2d2 pool, and the embedded migrations of each backend.

pub mod fixed;
pub mod group_commit;
pub mod health;
mod plan_stability;
pub mod schema;
pub mod text_enum;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend `DATABASE_URL` names. Queries written with
/// diesel's DSL run on both; where the SQL differs, match on the variant.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnknownScheme(String),
    #[error("DATABASE_URL has an empty SQLite path")]
    EmptySqlitePath,
}

/// A parsed `DATABASE_URL`: the backend and the string its driver understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// For SQLite the file path; for PostgreSQL the URL itself.
    pub target: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(DatabaseUrlError::EmptySqlitePath);
            }
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        // Never echo a URL that may carry a password; the scheme is enough.
        let scheme = url.split("://").next().unwrap_or_default();
        Err(DatabaseUrlError::UnknownScheme(scheme.to_owned()))
    }
}

/// Opens connections of the backend the URL chose (never guessing by trial,
/// as the derive's own `establish` would).
#[derive(Debug, Clone)]
pub struct AnyConnectionManager {
    url: DatabaseUrl,
    health: std::sync::Arc<health::DbHealth>,
}

impl ManageConnection for AnyConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        let _opening = self.health.opening();
        let connection = match self.url.backend {
            Backend::Sqlite => AnyConnection::Sqlite({
                plan_stability::enable_for_new_connections();
                diesel::SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?
            }),
            Backend::Postgres => AnyConnection::Postgresql(
                diesel::PgConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
            ),
        };
        Ok(connection)
    }

    /// Checked only for a while after a failure (a round trip each
    /// otherwise): the connections from before an outage are dead.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        if !self.health.check_connections() {
            return Ok(());
        }
        ConnectionManager::<AnyConnection>::new("").is_valid(conn)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        ConnectionManager::<AnyConnection>::new("").has_broken(conn)
    }
}

/// SQLite's per-connection settings: WAL so readers never wait on the writer,
/// a busy timeout so writers queue instead of failing, foreign keys on, and
/// temporary storage in memory: a group commit's savepoints outgrow the
/// in-memory statement journal (64 KiB) and SQLite would open a temporary
/// file for it in every batch (a twelfth of the writer's time). Each
/// connection keeps at most 1 MiB of pages (SQLite's default is 2 MiB): a
/// page render touches a few hundred KiB, the rest is in the OS's cache,
/// and nine connections' caches were a third of the process's memory.
#[derive(Debug)]
struct SqlitePragmas {
    max_pages: Option<u64>,
}

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                // busy_timeout first: switching a new file to WAL takes a lock.
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1024;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
            if let Some(pages) = self.max_pages {
                conn.batch_execute(&format!("PRAGMA max_page_count = {pages};"))
                    .map_err(diesel::r2d2::Error::QueryError)?;
            }
        }
        Ok(())
    }
}

pub type DbPool = Pool<AnyConnectionManager>;
pub type DbConnection = PooledConnection<AnyConnectionManager>;

/// Database connections of a `serve` process (plus the group-commit writer's
/// turn). More would not add speed on a small machine, only memory: each
/// SQLite connection keeps its own page cache.
pub const POOL_SIZE: u32 = 8;

/// How long a request waits for a connection before it is told the
/// database is unavailable (`503`).
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);
/// The same, soon after the database failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// A pool and what it knows of the database's health.
pub struct Database {
    pub pool: DbPool,
    pub health: std::sync::Arc<health::DbHealth>,
}

/// Builds the pool, failing fast when the database cannot be reached.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> anyhow::Result<DbPool> {
    Ok(open(url, max_size, None)?.pool)
}

/// The pool with its health; `sqlite_max_pages` caps a SQLite file (tests).
pub fn open(
    url: &DatabaseUrl,
    max_size: u32,
    sqlite_max_pages: Option<u64>,
) -> anyhow::Result<Database> {
    let health = std::sync::Arc::new(health::DbHealth::default());
    let pool = Pool::builder()
        .max_size(max_size)
        // Open connections as they are needed: a fast start, no thundering herd.
        .min_idle(Some(1))
        // A connection is checked before use only for a while after a
        // failure (see `is_valid`): no `SELECT 1` round trip otherwise.
        .test_on_check_out(true)
        .connection_timeout(CHECKOUT_TIMEOUT)
        .connection_customizer(Box::new(SqlitePragmas {
            max_pages: sqlite_max_pages,
        }))
        .build(AnyConnectionManager {
            url: url.clone(),
            health: health.clone(),
        })?;
    Ok(Database { pool, health })
}

/// Applies the pending migrations of the connection's backend; returns how many ran.
/// The names of the migrations `run_migrations` would apply, in order.
pub fn pending_migrations(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let names = match conn {
        AnyConnection::Sqlite(conn) => conn
            .pending_migrations(SQLITE_MIGRATIONS)
            .map(|pending| pending.iter().map(|m| m.name().to_string()).collect()),
        AnyConnection::Postgresql(conn) => conn
            .pending_migrations(POSTGRES_MIGRATIONS)
            .map(|pending| pending.iter().map(|m| m.name().to_string()).collect()),
    };
    names.map_err(|error| anyhow::anyhow!("cannot read the migrations: {error}"))
}

pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        AnyConnection::Sqlite(conn) => conn.run_pending_migrations(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(conn) => conn.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|error| anyhow::anyhow!("migrations failed: {error}"))?;
    Ok(applied.len())
}

/// Tables a WordPress import fills from nothing.
const IMPORTED_TABLES: &str = "users, categories, tags, posts, post_categories, post_tags, \
     comments, redirects, media, media_uses";

/// After a bulk load (an import): PostgreSQL learns the new tables' sizes
/// and values now (`ANALYZE`), not when autovacuum next looks (up to a
/// minute, more on a busy server). Until then it plans for the empty
/// tables it last saw: a freshly imported post's page rendered 126 times a
/// second instead of 1,300. SQLite plans from its indexes alone.
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        pg.batch_execute(&format!("ANALYZE {IMPORTED_TABLES}"))?;
    }
    Ok(())
}

impl AnyConnection {
    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            AnyConnection::Postgresql(_) => Backend::Postgres,
        }
    }
}

/// SQLite takes one writer at a time. Writers from this process wait their
/// turn here, on a plain mutex, instead of colliding inside SQLite and
/// backing off through its busy handler's sleeps.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs a write transaction, queued behind this process's other SQLite writers.
pub fn serialized_write<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> T,
) -> T {
    match conn.backend() {
        Backend::Sqlite => {
            let _turn = SQLITE_WRITER
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(conn)
        }
        Backend::Postgres => work(conn),
    }
}

/// A serialized write ([`serialized_write`]) in one transaction that holds
/// SQLite's write lock from its start ([`lock_for_writing`]): writers from
/// this process queue on the mutex, and one from elsewhere (a
/// [`write_transaction`], another process) that commits while this one
/// reads cannot make its writes fail.
pub fn serialized_transaction<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    serialized(conn, false, work)
}

/// A [`serialized_transaction`] whose statements are planned once on
/// PostgreSQL ([`planned_transaction`]): for keyed inserts and lookups run
/// over and over, such as the group commit's.
pub fn planned_write<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    serialized(conn, true, work)
}

/// The two above: `planned` or not.
fn serialized<T, E>(
    conn: &mut AnyConnection,
    planned: bool,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    serialized_write(conn, |conn| {
        let locked = |conn: &mut AnyConnection| {
            lock_for_writing(conn)?;
            work(conn)
        };
        match planned {
            true => planned_transaction(conn, locked),
            false => conn.transaction(locked),
        }
    })
}

/// On SQLite, takes the database's write lock now, in the transaction
/// just begun (a no-op `UPDATE`). A transaction that reads first and
/// writes later cannot wait for a writer that commits in between: in WAL
/// mode its snapshot is stale and its first write fails at once with
/// "database is locked", whatever the `busy_timeout`. One that holds the
/// lock from the start waits its turn (`busy_timeout`) instead. Nothing to
/// do on PostgreSQL, whose rows lock one by one.
pub fn lock_for_writing(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Sqlite(sqlite) = conn {
        diesel::sql_query("UPDATE settings SET value = value WHERE 0").execute(sqlite)?;
    }
    Ok(())
}

/// What makes a PostgreSQL transaction's statements use the plan made when
/// each was first prepared on the connection, whatever is bound: by default
/// the server plans some anew at every execution (the held-comment flood
/// check: 80 µs of planning for 12 µs of work). Only for keyed lookups and
/// inserts: a reader's query can need the plan for its values (the front
/// page's `sticky = true` is rare; a plan for any value walks every
/// published post).
const PLAN_ONCE: &str = "SET LOCAL plan_cache_mode = force_generic_plan";

/// `work` in a transaction whose statements are planned once per
/// connection ([`PLAN_ONCE`]) on PostgreSQL, begun in one trip to the
/// server: `BEGIN` and the `SET LOCAL` go together (on loopback a trip
/// costs both sides more than a keyed statement's work). Nested, a
/// savepoint with the `SET LOCAL` in it; on SQLite, a plain transaction.
pub fn planned_transaction<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let AnyConnection::Postgresql(pg) = conn else {
        return conn.transaction(work);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(pg)
        .transaction_depth()?
        .is_some()
    {
        return conn.transaction(|conn| {
            conn.batch_execute(PLAN_ONCE)?;
            work(conn)
        });
    }
    if let Err(error) =
        AnsiTransactionManager::begin_transaction_sql(pg, &format!("BEGIN; {PLAN_ONCE}"))
    {
        // Had the `BEGIN` gone through alone, the connection must not go
        // back to the pool inside it.
        let _ = pg.batch_execute("ROLLBACK");
        return Err(error.into());
    }
    // As `Connection::transaction` ends one.
    match work(conn) {
        Ok(value) => {
            if let AnyConnection::Postgresql(pg) = conn {
                AnsiTransactionManager::commit_transaction(pg)?;
            }
            Ok(value)
        }
        Err(error) => {
            let rolled_back = match conn {
                AnyConnection::Postgresql(pg) => AnsiTransactionManager::rollback_transaction(pg),
                AnyConnection::Sqlite(_) => Ok(()),
            };
            match rolled_back {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback_error) => Err(rollback_error.into()),
            }
        }
    }
}

/// `work`'s keyed reads, planned once per connection: on PostgreSQL in a
/// transaction of their own ([`planned_transaction`]), on SQLite as they are.
pub fn planned_once<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    match conn {
        AnyConnection::Postgresql(_) => planned_transaction(conn, work),
        AnyConnection::Sqlite(_) => work(conn),
    }
}

/// A transaction that will write (the panel's actions, moderation from a
/// mail, imports), holding SQLite's write lock from its start
/// ([`lock_for_writing`]). Nested, it is a savepoint.
pub fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        match conn {
            AnyConnection::Sqlite(_) => lock_for_writing(conn)?,
            // The rows every comment write touches (the kept status counts,
            // then the content version), taken first and in the order a
            // comment's own write takes them: a moderation of several
            // comments cannot hold one while waiting for the other (a
            // deadlock). Such transactions queue on one advisory lock.
            AnyConnection::Postgresql(pg) => {
                diesel::sql_query("SELECT pg_advisory_xact_lock(7270656)").execute(pg)?;
                diesel::sql_query("SELECT status FROM comment_counts ORDER BY status FOR UPDATE")
                    .execute(pg)?;
                diesel::sql_query(
                    "SELECT value FROM settings WHERE key = 'content_version' FOR UPDATE",
                )
                .execute(pg)?;
            }
        }
        work(conn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_choose_their_backend() {
        let sqlite = DatabaseUrl::parse("sqlite://ferropress.db").unwrap();
        assert_eq!(sqlite.backend, Backend::Sqlite);
        assert_eq!(sqlite.target, "ferropress.db");
        let postgres = DatabaseUrl::parse("postgres://u:p@localhost/db").unwrap();
        assert_eq!(postgres.backend, Backend::Postgres);
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    /// Another connection commits while a write transaction reads; the
    /// transaction's own write must still go through (it held the lock, the
    /// other waited). Without `lock_for_writing` it fails at once with
    /// "database is locked": erasing a reader's data answered `500` that
    /// way in a CI run, with the outbox and the panel writing beside it.
    fn outlasts_a_commit_while_it_reads(
        name: &str,
        transaction: impl Fn(
            &mut AnyConnection,
            &mut dyn FnMut(&mut AnyConnection) -> QueryResult<()>,
        ) -> QueryResult<()>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("race.db").display()
        ))
        .unwrap();
        let pool = connect(&url, 2).unwrap();
        run_migrations(&mut pool.get().unwrap()).unwrap();
        let (reading, read) = std::sync::mpsc::channel();
        let other = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                read.recv().unwrap();
                diesel::sql_query("INSERT INTO settings (key, value) VALUES ('other', '1')")
                    .execute(&mut pool.get().unwrap())
            })
        };
        let mut conn = pool.get().unwrap();
        let outcome = transaction(&mut conn, &mut |conn| {
            schema::settings::table.count().get_result::<i64>(conn)?;
            reading.send(()).unwrap();
            // Time for the other connection to commit if it can.
            std::thread::sleep(Duration::from_millis(300));
            diesel::sql_query("INSERT INTO settings (key, value) VALUES ('mine', '1')")
                .execute(conn)?;
            Ok(())
        });
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
        let other = other.join().unwrap();
        assert!(other.is_ok(), "{name}, the other writer: {other:?}");
        let written: i64 = schema::settings::table
            .filter(schema::settings::key.eq_any(["mine", "other"]))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(written, 2, "{name}");
    }

    #[test]
    fn a_write_transaction_outlasts_a_commit_while_it_reads() {
        outlasts_a_commit_while_it_reads("write_transaction", |conn, work| {
            write_transaction(conn, work)
        });
    }

    #[test]
    fn a_serialized_transaction_outlasts_a_commit_while_it_reads() {
        outlasts_a_commit_while_it_reads("serialized_transaction", |conn, work| {
            serialized_transaction(conn, work)
        });
    }

    #[test]
    fn unknown_scheme_error_never_echoes_credentials() {
        let message = DatabaseUrl::parse("mysql://user:secret@host/db")
            .unwrap_err()
            .to_string();
        assert!(!message.contains("secret"), "{message}");
    }
}
