//! Structured logs through `tracing`, filtered by `RUST_LOG` (default
//! `info`): readable lines (coloured only on a terminal), or one JSON object
//! per line with `FERROPRESS_LOG_FORMAT=json` for log shippers. Lines are
//! written by a thread of their own, so a request never waits on stderr.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
/// Keep the guard until the program ends: dropping it writes what is left.
pub fn init(filter: &str, json: bool) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = !json && std::io::stderr().is_terminal();
    // Never drop a line: when the writer falls behind, callers wait.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let installed = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_ansi(ansi).try_init()
    };
    installed.ok().map(|()| guard)
}
