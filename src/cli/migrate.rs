use anyhow::Context;

use crate::cli::CliError;
use crate::config::Config;
use crate::db;

/// `ferropress migrate`: applies pending migrations and exits.
pub fn migrate(config: &Config) -> Result<(), CliError> {
    let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    let applied = db::run_migrations(&mut conn)?;
    println!("{applied} migration(s) applied; the database is up to date.");
    Ok(())
}
