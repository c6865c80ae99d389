//! `ferropress backup DIR` and `ferropress restore DIR`: a consistent copy
//! of the site taken while it serves — SQLite's `VACUUM INTO` (one read
//! transaction: everything committed before it began, nothing half) and
//! every file of the media store — and its return into an empty data
//! location. PostgreSQL's database is `pg_dump`'s job (the README gives the
//! line); `backup` then copies the media alone.

use std::path::{Path, PathBuf};

use anyhow::Context;
use diesel::sql_types::Text;
use diesel::RunQueryDsl;

use crate::cli::CliError;
use crate::config::Config;
use crate::db::{self, AnyConnection, Backend};
use crate::media_store::MediaStore;

/// The database's file inside a backup.
pub const DATABASE_FILE: &str = "ferropress.db";
/// The media store's files inside a backup.
pub const MEDIA_FOLDER: &str = "uploads";

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub database: bool,
    pub files: usize,
}

fn usage(message: String) -> CliError {
    CliError::Usage(message)
}

/// A folder that does not exist yet, or is empty.
fn fresh_folder(dir: &Path) -> Result<(), CliError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .map_err(|error| usage(format!("cannot read {}: {error}", dir.display())))?;
        if entries.next().is_some() {
            return Err(usage(format!(
                "{} is not empty: a backup goes into a new or empty folder",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir.join(MEDIA_FOLDER))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(())
}

/// Writes the backup into `dir` (new or empty).
pub fn backup(config: &Config, dir: &Path) -> Result<BackupSummary, CliError> {
    fresh_folder(dir)?;
    let database = match config.database_url.backend {
        Backend::Sqlite => {
            let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
            let mut conn = pool.get().context("cannot open a database connection")?;
            let target = dir.join(DATABASE_FILE);
            vacuum_into(&mut conn, &target)?;
            true
        }
        Backend::Postgres => false,
    };
    let store = MediaStore::open(&config.media).context("cannot open the media store")?;
    let mut files = 0;
    for path in store
        .list_blocking()
        .context("cannot list the media store")?
    {
        let Some(bytes) = store
            .read_blocking(&path)
            .with_context(|| format!("cannot read {path} from the media store"))?
        else {
            continue; // removed meanwhile
        };
        let target = dir.join(MEDIA_FOLDER).join(&path);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(&target, &bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        files += 1;
    }
    Ok(BackupSummary { database, files })
}

/// SQLite's own consistent copy, taken in one read transaction while
/// writers go on.
fn vacuum_into(conn: &mut AnyConnection, target: &Path) -> Result<(), CliError> {
    let AnyConnection::Sqlite(sqlite) = conn else {
        return Err(usage("VACUUM INTO is SQLite's".to_owned()));
    };
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target.display().to_string())
        .execute(sqlite)
        .with_context(|| format!("cannot write the database copy {}", target.display()))?;
    Ok(())
}

/// `PRAGMA integrity_check`'s answer for a SQLite file (`ok` when sound).
pub fn integrity(path: &Path) -> Result<String, CliError> {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let url = db::DatabaseUrl::parse(&format!("sqlite://{}", path.display()))
        .map_err(|error| usage(error.to_string()))?;
    let pool = db::connect(&url, 1).context("cannot open the restored database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    let AnyConnection::Sqlite(sqlite) = &mut *conn else {
        return Err(usage("not a SQLite database".to_owned()));
    };
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(sqlite)
        .context("cannot check the database")?;
    Ok(rows
        .into_iter()
        .map(|row| row.integrity_check)
        .collect::<Vec<_>>()
        .join("; "))
}

/// Brings a backup back into an empty data location: the SQLite file must
/// not exist yet and the media store must be empty.
pub fn restore(config: &Config, dir: &Path) -> Result<BackupSummary, CliError> {
    let source_db = dir.join(DATABASE_FILE);
    let source_media = dir.join(MEDIA_FOLDER);
    if !source_media.is_dir() {
        return Err(usage(format!(
            "{} is not a ferropress backup (no {MEDIA_FOLDER}/ folder)",
            dir.display()
        )));
    }
    let store = MediaStore::open(&config.media).context("cannot open the media store")?;
    if !store
        .list_blocking()
        .context("cannot list the media store")?
        .is_empty()
    {
        return Err(usage(format!(
            "the media store {} is not empty: restore goes into an empty data location",
            store.location()
        )));
    }
    let database = match config.database_url.backend {
        Backend::Sqlite if source_db.is_file() => {
            let target = PathBuf::from(&config.database_url.target);
            if target.exists() {
                return Err(usage(format!(
                    "{} exists: restore goes into an empty data location",
                    target.display()
                )));
            }
            let checked = integrity(&source_db)?;
            if checked != "ok" {
                return Err(usage(format!(
                    "{} is damaged ({checked}); nothing was restored",
                    source_db.display()
                )));
            }
            if let Some(folder) = target
                .parent()
                .filter(|folder| !folder.as_os_str().is_empty())
            {
                std::fs::create_dir_all(folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
            }
            std::fs::copy(&source_db, &target)
                .with_context(|| format!("cannot write {}", target.display()))?;
            true
        }
        Backend::Sqlite => {
            return Err(usage(format!("{} holds no {DATABASE_FILE}", dir.display())))
        }
        Backend::Postgres => false,
    };
    let mut files = 0;
    for entry in walk(&source_media)? {
        let relative = entry
            .strip_prefix(&source_media)
            .map_err(|error| usage(error.to_string()))?
            .to_string_lossy()
            .replace('\\', "/");
        let bytes =
            std::fs::read(&entry).with_context(|| format!("cannot read {}", entry.display()))?;
        store
            .put_blocking(&relative, bytes)
            .with_context(|| format!("cannot store {relative}"))?;
        files += 1;
    }
    Ok(BackupSummary { database, files })
}

/// Every file below `folder`.
fn walk(folder: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?
        {
            let path = entry.context("cannot read a folder entry")?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `ferropress backup DIR`.
pub fn run_backup(config: &Config, dir: &Path) -> Result<(), CliError> {
    let summary = backup(config, dir)?;
    if summary.database {
        println!(
            "Backed up the database ({}) and {} media file(s) into {}.",
            DATABASE_FILE,
            summary.files,
            dir.display()
        );
    } else {
        println!(
            "Backed up {} media file(s) into {}. The PostgreSQL database is not in it: \
             back it up with pg_dump (see README, Backups).",
            summary.files,
            dir.display()
        );
    }
    Ok(())
}

/// `ferropress restore DIR`.
pub fn run_restore(config: &Config, dir: &Path) -> Result<(), CliError> {
    let summary = restore(config, dir)?;
    if summary.database {
        println!(
            "Restored the database and {} media file(s); `ferropress serve` will migrate it if it is older.",
            summary.files
        );
    } else {
        println!(
            "Restored {} media file(s). Restore the PostgreSQL database with pg_restore (see README, Backups).",
            summary.files
        );
    }
    Ok(())
}
