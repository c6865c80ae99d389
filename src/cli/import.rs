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

/// The uploads folder meant: the one given, or, given one level off (the
/// old site's `wp-content`, or the folder holding it), the `uploads` inside
/// it — with the line that says so.
fn uploads_meant(given: &Path) -> (PathBuf, Option<String>) {
    let holds_years = |folder: &Path| {
        std::fs::read_dir(folder).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.len() == 4
                    && name.bytes().all(|byte| byte.is_ascii_digit())
                    && entry.path().is_dir()
            })
        })
    };
    if holds_years(given) {
        return (given.to_owned(), None);
    }
    for inside in [
        given.join("uploads"),
        given.join("wp-content").join("uploads"),
    ] {
        if inside.is_dir() {
            let line = format!(
                "Using {}: the uploads folder inside the one given.",
                inside.display()
            );
            return (inside, Some(line));
        }
    }
    (given.to_owned(), None)
}

/// How the person runs ferropress, for the "Next:" lines: through cargo
/// (the binary lives in a cargo `target` folder) or installed.
pub fn command_as_run(subcommand: &str) -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let path = exe.to_string_lossy();
    let through_cargo = |profile: &str| {
        path.contains(&format!("/target/{profile}/"))
            || path.contains(&format!("\\target\\{profile}\\"))
    };
    let run = if through_cargo("release") {
        "cargo run --release --".to_owned()
    } else if through_cargo("debug") {
        "cargo run --".to_owned()
    } else {
        "ferropress".to_owned()
    };
    match (run.as_str(), subcommand) {
        // `serve` is what cargo runs with no subcommand.
        ("cargo run --release --", "serve") => "cargo run --release".to_owned(),
        ("cargo run --", "serve") => "cargo run".to_owned(),
        _ => format!("{run} {subcommand}"),
    }
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
    let uploads = uploads.map(|given| {
        let (folder, line) = uploads_meant(&given);
        if let Some(line) = line {
            println!("{line}");
        }
        folder
    });
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
            // Settings > Privacy applies to imported comments too: said
            // here once, rather than by the first server's log.
            let retention = crate::models::setting::SiteSettings::load(&mut conn)
                .map(|site| site.retention)
                .unwrap_or_default();
            if let Ok(pruned) =
                crate::models::retention::prune(&mut conn, retention, crate::models::now())
            {
                if pruned.ips_anonymised > 0 {
                    println!(
                        "Commenter addresses older than {} days were shortened ({} comments), as Settings > Privacy says.",
                        retention.ip_days,
                        crate::render::text::thousands(pruned.ips_anonymised)
                    );
                }
            }
            let nobody_can_log_in =
                crate::models::user::count_users_who_can_log_in(&mut conn).unwrap_or(1) == 0;
            drop(conn);
            if nobody_can_log_in {
                println!(
                    "Next: start the site (`{}`) and open {} to create your \
                     administrator; use your WordPress email to keep your posts under your name.",
                    command_as_run("serve"),
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
