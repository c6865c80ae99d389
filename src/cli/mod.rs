//! The command line (SPEC §1): one file per subcommand.

pub mod backup;
pub mod check;
pub mod export;
pub mod import;
pub mod migrate;
pub mod serve;
pub mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, RawConfig};

#[derive(Debug, Parser)]
#[command(
    name = "ferropress",
    version,
    about = "A fast, private blog engine in one binary."
)]
pub struct Cli {
    /// Optional TOML file with any of the settings (keys in lower case, without the FERROPRESS_ prefix)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen address, overriding FERROPRESS_BIND
    #[arg(long, global = true, value_name = "ADDR")]
    pub bind: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site and deliver mail (the default)
    Serve,
    /// Apply pending database migrations and exit (migrations only move forward)
    Migrate {
        /// List the migrations that would be applied, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent copy of the site (SQLite database and media files)
    /// into DIR, a new or empty folder, while it serves
    Backup { dir: PathBuf },
    /// Bring a backup back into an empty data location
    Restore { dir: PathBuf },
    /// Manage staff accounts
    User {
        #[command(subcommand)]
        action: user::UserCommand,
    },
    /// Import another blog's export
    Import {
        #[command(subcommand)]
        source: import::ImportCommand,
    },
    /// Export the site for another blog engine
    Export {
        #[command(subcommand)]
        format: export::ExportCommand,
    },
    /// Check the site: every internal link and image answers
    Check {
        #[command(subcommand)]
        what: check::CheckCommand,
    },
}

/// Why a command failed, and so which exit code it gets.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad value from the user: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else (database unreachable, port taken): exit code 1.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Parses the command line and runs it; errors become one line on stderr.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let flags = RawConfig {
        bind: cli.bind.clone(),
        ..RawConfig::default()
    };
    let config = match Config::load(flags, cli.config.as_deref(), |name| {
        std::env::var(name).ok()
    }) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ferropress: {error}");
            return ExitCode::from(2);
        }
    };
    // Held to the end: what is still queued is written when it drops. An
    // import's output is its summary and verdict: the link check's own
    // server says nothing at `info` unless asked to (`RUST_LOG`).
    let quiet = matches!(cli.command, Some(Command::Import { .. }))
        && std::env::var_os("RUST_LOG").is_none()
        && config.log_filter == "info";
    let filter = if quiet {
        "warn"
    } else {
        config.log_filter.as_str()
    };
    let _logs = crate::telemetry::init(filter, config.log_json);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(config),
        Command::Migrate { dry_run } => migrate::migrate(&config, dry_run),
        Command::Backup { dir } => backup::run_backup(&config, &dir),
        Command::Restore { dir } => backup::run_restore(&config, &dir),
        Command::User { action } => user::run(&config, action),
        Command::Import { source } => import::run(&config, source),
        Command::Export { format } => export::run(&config, format),
        Command::Check { what } => check::run(&config, what),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(message)) => {
            eprintln!("ferropress: {message}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(error)) => {
            eprintln!("ferropress: {error:#}");
            ExitCode::from(1)
        }
    }
}
