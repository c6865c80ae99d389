use anyhow::Context;

use crate::cli::CliError;
use crate::config::Config;
use crate::db;

/// `ferropress migrate`: applies pending migrations and exits; with
/// `--dry-run`, lists them and changes nothing.
pub fn migrate(config: &Config, dry_run: bool) -> Result<(), CliError> {
    let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    if dry_run {
        let pending = db::pending_migrations(&mut conn)?;
        if pending.is_empty() {
            println!("No pending migrations; the database is up to date.");
        } else {
            println!("{} pending migration(s), not applied:", pending.len());
            for name in pending {
                println!("  {name}");
            }
        }
        return Ok(());
    }
    let applied = db::run_migrations(&mut conn)?;
    println!("{applied} migration(s) applied; the database is up to date.");
    Ok(())
}
