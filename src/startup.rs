//! Builds the application: database pool and migrations, shared state, the
//! actix `App` with its middleware, and the listening server.

use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Next};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use diesel::QueryResult;

use crate::auth::throttle::{FailureThrottle, Throttle};
use crate::config::Config;
use crate::db::{self, AnyConnection, DbPool};
use crate::error::{themed_errors, PageError};
use crate::models::setting::{secret_key, SiteSettings};
use crate::models::user::count_users;
use crate::routes;

/// Database connections of a `serve` process (plus the group-commit writer's
/// turn). More would not add speed on a small machine, only memory: each
/// SQLite connection keeps its own page cache.
const POOL_SIZE: u32 = 8;
/// Threads per actix worker for blocking (database) work.
const BLOCKING_THREADS_PER_WORKER: usize = 4;

/// What every request handler can reach.
pub struct AppState {
    pub pool: DbPool,
    /// Whether the database answered lately (fail fast while it does not).
    pub db_health: Arc<crate::db::health::DbHealth>,
    pub config: Config,
    /// Signs cookies and links; configured or generated on first start.
    pub secret_key: String,
    site: RwLock<Arc<SiteSettings>>,
    /// Settings reloads, numbered as they start; `site` holds the newest
    /// one that finished, so a slow old read never overwrites a newer one.
    site_reloads: std::sync::atomic::AtomicU64,
    site_applied: std::sync::Mutex<u64>,
    comment_throttle: RwLock<Arc<Throttle>>,
    /// Failed logins, per client address and account (lower-cased email),
    /// and per client address. Only failures count.
    pub login_failures_by_pair: FailureThrottle<(std::net::IpAddr, String)>,
    pub login_failures_by_address: FailureThrottle<std::net::IpAddr>,
    /// Rendered reader pages, valid for one content version.
    pub page_cache: crate::page_cache::PageCache,
    /// Commits readers' comments in batches (group commit).
    pub writer: crate::db::group_commit::GroupWriter,
}

impl AppState {
    /// The site settings pages show (title, tagline, posts per page).
    pub fn site(&self) -> Arc<SiteSettings> {
        match self.site.read() {
            Ok(site) => site.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rereads the site settings after a change.
    pub async fn reload_site(&self) -> Result<(), PageError> {
        let ticket = self.site_reload_ticket();
        let fresh = self.db(SiteSettings::load).await?;
        self.apply_site(ticket, fresh);
        Ok(())
    }

    /// Numbers a settings read before it starts.
    fn site_reload_ticket(&self) -> u64 {
        self.site_reloads
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
            + 1
    }

    /// Adopts settings read under `ticket`, unless a read that started
    /// later was adopted already (its values are at least as new).
    fn apply_site(&self, ticket: u64, fresh: SiteSettings) {
        let mut applied = self
            .site_applied
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *applied > ticket {
            return;
        }
        *applied = ticket;
        let rate = fresh.discussion.comments_per_minute;
        replace(&self.site, Arc::new(fresh));
        if self.comment_throttle().rate() != rate {
            replace(&self.comment_throttle, Arc::new(Throttle::per_minute(rate)));
        }
    }

    /// Rereads the content version; a newer one retires every cached page.
    pub async fn refresh_content_version(&self) {
        match self.db(crate::models::setting::content_version).await {
            Ok(version) if version != self.page_cache.version() => {
                // Settings may be what changed (here or in another process).
                if let Err(error) = self.reload_site().await {
                    tracing::warn!(error = %error, "cannot reread the settings");
                }
                self.page_cache.set_version(version);
            }
            Ok(_) => {}
            // Said once by `db` when the outage began.
            Err(PageError::Unavailable) => {}
            Err(error) => tracing::warn!(error = %error, "cannot read the content version"),
        }
    }

    /// The same, blocking: for code (tests, tools) that wrote to the database directly.
    pub fn sync_content_version(&self) {
        let Ok(mut conn) = self.pool.get() else {
            return;
        };
        let Ok(version) = crate::models::setting::content_version(&mut conn) else {
            return;
        };
        if version != self.page_cache.version() {
            let ticket = self.site_reload_ticket();
            if let Ok(site) = SiteSettings::load(&mut conn) {
                self.apply_site(ticket, site);
            }
            self.page_cache.set_version(version);
        }
    }

    /// What mail composition needs to know about the site now.
    pub fn mail_context(&self) -> crate::mail::MailContext {
        let site = self.site();
        crate::mail::MailContext {
            site_url: self.config.site_url.clone(),
            site_title: site.title.clone(),
            secret: self.secret_key.clone(),
            notifications: site.notifications.clone(),
            paging: site.discussion.paging(),
        }
    }

    /// The limit on comments per client address.
    pub fn comment_throttle(&self) -> Arc<Throttle> {
        match self.comment_throttle.read() {
            Ok(throttle) => throttle.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs blocking database work on actix's thread pool. While the
    /// database is known to be down this fails at once; an outage (no
    /// connection, a broken one, a full disk) is `PageError::Unavailable`.
    pub async fn db<T, F>(&self, work: F) -> Result<T, PageError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.db_health.fail_fast() {
            return Err(PageError::Unavailable);
        }
        let pool = self.pool.clone();
        // Soon after a failure, a try that finds no connection gives up
        // quickly: the one request a second that probes does not hang.
        let wait = if self.db_health.check_connections() {
            crate::db::PROBE_TIMEOUT
        } else {
            crate::db::CHECKOUT_TIMEOUT
        };
        let outcome = web::block(move || match pool.get_timeout(wait) {
            Ok(mut conn) => work(&mut conn).map_err(DbFailure::Query),
            Err(error) => Err(DbFailure::Checkout(error)),
        })
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("database task failed: {error}")))?;
        match outcome {
            Ok(value) => {
                self.db_health.answered();
                Ok(value)
            }
            Err(DbFailure::Checkout(error)) => {
                self.db_health.failed();
                tracing::warn!(error = %error, "no database connection");
                Err(PageError::Unavailable)
            }
            Err(DbFailure::Query(error)) => match crate::db::health::outage(&error) {
                Some(outage) => {
                    // A full disk still serves reads: only an unreachable
                    // database makes everything fail fast.
                    if outage == crate::db::health::Outage::Unreachable {
                        self.db_health.failed();
                    }
                    tracing::warn!(error = %error, "the database is unavailable");
                    Err(PageError::Unavailable)
                }
                None => Err(PageError::Unexpected(error.into())),
            },
        }
    }
}

/// How a piece of database work failed.
enum DbFailure {
    Checkout(diesel::r2d2::PoolError),
    Query(diesel::result::Error),
}

fn replace<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut guard) => *guard = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects and migrates the database, then binds the listen address
    /// (port 0 picks a free port, as tests do).
    pub fn build(mut config: Config) -> anyhow::Result<Application> {
        let started = Instant::now();
        let database = db::open(&config.database_url, POOL_SIZE, config.sqlite_max_pages)
            .with_context(|| {
                format!("cannot open the {:?} database", config.database_url.backend)
            })?;
        let (pool, db_health) = (database.pool, database.health);
        let mut conn = pool.get().context("cannot open a database connection")?;
        let applied = db::run_migrations(&mut conn)?;
        if applied > 0 {
            tracing::info!(applied, "database migrated");
        }
        let secret = secret_key(&mut conn, config.secret_key.as_deref())
            .context("cannot read the secret key")?;
        let site = SiteSettings::load(&mut conn).context("cannot read the settings")?;
        let users = count_users(&mut conn).context("cannot count users")?;
        let content_version = crate::models::setting::content_version(&mut conn)
            .context("cannot read the content version")?;
        let cache_bytes = crate::models::setting::get_setting(&mut conn, "page_cache_bytes")
            .context("cannot read the settings")?
            .and_then(|value| value.parse().ok())
            .unwrap_or(crate::page_cache::DEFAULT_CACHE_BYTES);
        drop(conn);

        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = listener.local_addr()?;
        // A site URL derived from `--bind 127.0.0.1:0` names the real port.
        if config.site_url == format!("http://{}", config.bind) {
            config.site_url = format!("http://{address}");
        }
        tracing::info!(address = %address, backend = ?config.database_url.backend,
            elapsed_ms = started.elapsed().as_millis() as u64, "listening");
        if users == 0 {
            tracing::info!(
                "no user yet: create the first admin at {}",
                config.absolute_url("/admin/setup")
            );
            println!(
                "ferropress: create the first admin at {}",
                config.absolute_url("/admin/setup")
            );
        }
        let throttle = Throttle::per_minute(site.discussion.comments_per_minute);
        let writer = crate::db::group_commit::GroupWriter::start(pool.clone())?;
        let state = web::Data::new(AppState {
            pool,
            db_health,
            writer,
            config,
            secret_key: secret,
            site: RwLock::new(Arc::new(site)),
            site_reloads: Default::default(),
            site_applied: Default::default(),
            comment_throttle: RwLock::new(Arc::new(throttle)),
            login_failures_by_pair: FailureThrottle::new(5, std::time::Duration::from_secs(60)),
            login_failures_by_address: FailureThrottle::new(20, std::time::Duration::from_secs(6)),
            page_cache: crate::page_cache::PageCache::new(cache_bytes, content_version),
        });
        let server_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .wrap(from_fn(routes::refuse_nul_in_urls))
                .wrap(from_fn(themed_errors))
                .wrap(routes::security_headers())
                .wrap(Compress::default())
                .wrap(from_fn(crate::page_cache::page_cache))
                .wrap(from_fn(log_request))
                .configure(routes::configure)
        })
        .listen(listener)?
        // Database work runs on these threads: enough per worker to keep
        // the pool busy, no more (each idle thread keeps its memory).
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .shutdown_timeout(30)
        .run();
        Ok(Application {
            port: address.port(),
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves (and delivers mail) until SIGINT or SIGTERM, then finishes
    /// requests in flight and the message being sent.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = match self.state.config.smtp_url.clone() {
            Some(smtp_url) => Some(tokio::spawn(crate::mail::worker::run(
                self.state.clone(),
                smtp_url,
                stopped,
            ))),
            None => {
                tracing::warn!("FERROPRESS_SMTP_URL is not set: mail waits in the outbox");
                None
            }
        };
        let watcher = tokio::spawn(crate::page_cache::watch_content_version(
            self.state.clone(),
            stop.subscribe(),
        ));
        let maintenance = tokio::spawn(maintain(self.state.clone(), stop.subscribe()));
        let served = self.server.await;
        let _ = stop.send(true);
        let _ = watcher.await;
        let _ = maintenance.await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        served
    }
}

/// Applies the retention settings now and then: sent mail deleted, old
/// commenter addresses anonymised (bounded batches each pass).
async fn maintain(state: web::Data<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        let settings = state.site().retention;
        match state
            .db(move |conn| crate::models::retention::prune(conn, settings, crate::models::now()))
            .await
        {
            Ok(pruned) if pruned != Default::default() => tracing::info!(
                mails_deleted = pruned.mails_deleted,
                ips_anonymised = pruned.ips_anonymised,
                "retention applied"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "cannot apply retention"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.maintenance_interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The path as logged: a route whose path carries a capability (a
/// moderation, confirmation or unsubscribe token) is logged by its pattern,
/// `/moderate/{token}`, so the log never holds a usable link.
fn logged_path(request: &actix_web::HttpRequest) -> String {
    match request.match_pattern() {
        Some(pattern) if pattern.contains("{token}") => pattern,
        _ => request.path().to_owned(),
    }
}

/// One `info` line per request: method, path (never the query, which may
/// carry what a reader typed), status, duration.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.call(request).await?;
    let path = logged_path(response.request());
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    Ok(response)
}
