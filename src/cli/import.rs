use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::CliError;
use crate::config::Config;
use crate::db;
use crate::wxr::import::{import_wordpress, ImportError, MediaFiles};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a WordPress export (WXR 1.1/1.2): categories, authors, posts,
    /// pages and comments, with redirects from the old URLs. Running it
    /// again changes nothing.
    Wordpress {
        /// The .xml file WordPress's Tools > Export wrote
        file: PathBuf,
        /// A copy of the old site's wp-content/uploads folder: the images
        /// and files its posts show go into ferropress's media library
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// Fetch each picture missing from the uploads folder from the old
        /// site's address for it
        #[arg(long)]
        fetch_media: bool,
    },
}

/// The 1-based line of a byte offset, for error messages.
fn line_of(path: &Path, offset: u64) -> Option<usize> {
    let file = File::open(path).ok()?;
    let mut lines = 1;
    for byte in BufReader::new(file).take(offset).bytes() {
        if byte.ok()? == b'\n' {
            lines += 1;
        }
    }
    Some(lines)
}

pub fn run(config: &Config, command: ImportCommand) -> Result<(), CliError> {
    let ImportCommand::Wordpress {
        file,
        uploads,
        fetch_media,
    } = command;
    if let Some(folder) = &uploads {
        if !folder.is_dir() {
            return Err(CliError::Usage(format!(
                "--uploads {}: no such folder",
                folder.display()
            )));
        }
    }
    let store = crate::media_store::MediaStore::open(&config.media)
        .map_err(|error| CliError::Failed(error.into()))?;
    let files = MediaFiles {
        uploads,
        store,
        fetch: fetch_media,
    };
    let input = File::open(&file)
        .map_err(|error| CliError::Usage(format!("cannot open {}: {error}", file.display())))?;
    let size = input.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    db::run_migrations(&mut conn)?;

    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(256 * 1024, input));
    let outcome = import_wordpress(&mut conn, reader, &files, |position| {
        bar.set_position(position)
    });
    bar.finish_and_clear();
    match outcome {
        Ok(summary) => {
            println!("{summary}.");
            if let Err(error) = crate::db::refresh_statistics(&mut conn) {
                // The posts are in; pages are slower until autovacuum looks.
                tracing::warn!(error = %error, "cannot refresh the database's statistics");
            }
            let nobody_can_log_in =
                crate::models::user::count_users_who_can_log_in(&mut conn).unwrap_or(1) == 0;
            drop(conn);
            if nobody_can_log_in {
                println!(
                    "Next: start the site (`ferropress serve`) and open {} to create your \
                     administrator; use your WordPress email to keep your posts under your name.",
                    config.absolute_url("/admin/setup")
                );
            }
            // What the move left broken, at once.
            super::check::print_report(&super::check::check_links(config)?);
            Ok(())
        }
        Err(ImportError::File(error)) => {
            let place = error
                .position()
                .and_then(|offset| line_of(&file, offset))
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default();
            Err(CliError::Usage(format!(
                "{} is not a valid WordPress export{place}: {error}; nothing was imported",
                file.display()
            )))
        }
        Err(ImportError::Database(error)) => Err(CliError::Failed(
            anyhow::Error::from(error).context("import failed; nothing was imported"),
        )),
    }
}
