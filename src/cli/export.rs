use std::io::{BufWriter, Write};

use anyhow::Context;
use clap::Subcommand;

use crate::cli::CliError;
use crate::config::Config;
use crate::db;
use crate::models::setting::SiteSettings;
use crate::wxr::export::export_wordpress;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write the site as a WordPress export (WXR 1.2) to standard output
    Wordpress,
}

pub fn run(config: &Config, command: ExportCommand) -> Result<(), CliError> {
    let ExportCommand::Wordpress = command;
    let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    db::run_migrations(&mut conn)?;
    let site = SiteSettings::load(&mut conn).context("cannot read the settings")?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    export_wordpress(&mut conn, &site.title, &config.site_url, &mut out)
        .context("export failed")?;
    out.flush().context("cannot write the export")?;
    Ok(())
}
