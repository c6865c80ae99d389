//! What this process knows of its database's health. While the database is
//! known to be down, requests fail at once (`503`) instead of each waiting
//! for a connection; one request a second tries again, so the site comes
//! back by itself. After an outage, pooled connections are checked before
//! use for a while (the ones from before the outage are dead).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// While down, one try per this long; the others fail at once.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// After a failure, connections are checked before use for this long.
const CHECK_CONNECTIONS_FOR: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct DbHealth {
    started: Instant,
    /// Milliseconds after `started` of the last failure; 0: none since the last success.
    last_failure: AtomicU64,
    /// Milliseconds after `started` until which connections are checked.
    check_until: AtomicU64,
    /// Connections being opened now, on the pool's own threads (`settle`).
    opening: AtomicUsize,
}

/// Counts a connection as being opened while it lives.
pub struct Opening<'a>(&'a AtomicUsize);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for DbHealth {
    fn default() -> DbHealth {
        DbHealth {
            started: Instant::now(),
            last_failure: AtomicU64::new(0),
            check_until: AtomicU64::new(0),
            opening: AtomicUsize::new(0),
        }
    }
}

impl DbHealth {
    /// Marks a connection as being opened until the result is dropped.
    pub fn opening(&self) -> Opening<'_> {
        self.opening.fetch_add(1, Ordering::SeqCst);
        Opening(&self.opening)
    }

    /// Waits (up to `within`) until no connection is being opened. A
    /// process must not exit while one is: the pool opens spares on its own
    /// threads, and the TLS library's exit handler frees what an opening
    /// PostgreSQL connection is using — the process then dies of `SIGSEGV`
    /// after its work is done (seen once in twenty-odd `ferropress import`s,
    /// whose link check leaves the pool opening a spare).
    pub fn settle(&self, within: Duration) {
        let started = Instant::now();
        while self.opening.load(Ordering::SeqCst) > 0 && started.elapsed() < within {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn now_ms(&self) -> u64 {
        // +1: a failure at the very start is not "none".
        self.started.elapsed().as_millis() as u64 + 1
    }

    /// Whether to answer `503` without trying: the database failed moments ago.
    pub fn fail_fast(&self) -> bool {
        let failed_at = self.last_failure.load(Ordering::Acquire);
        failed_at != 0 && self.now_ms().saturating_sub(failed_at) < RETRY_EVERY.as_millis() as u64
    }

    /// The database could not be reached, or broke a connection.
    pub fn failed(&self) {
        let now = self.now_ms();
        self.last_failure.store(now, Ordering::Release);
        self.check_until.store(
            now + CHECK_CONNECTIONS_FOR.as_millis() as u64,
            Ordering::Release,
        );
    }

    /// A query went through.
    pub fn answered(&self) {
        if self.last_failure.load(Ordering::Relaxed) != 0 {
            self.last_failure.store(0, Ordering::Release);
        }
    }

    /// Whether a pooled connection must be checked before it is used.
    pub fn check_connections(&self) -> bool {
        self.now_ms() < self.check_until.load(Ordering::Acquire)
    }
}

/// Why the database could not do what was asked, when the same request
/// may work in a moment (a `503`, not a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Out of reach, or a connection broke: fail fast for a while.
    Unreachable,
    /// It answers, but cannot take writes (a full disk): reads go on.
    Full,
}

/// The outage an error means, if any.
pub fn outage(error: &diesel::result::Error) -> Option<Outage> {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | Error::BrokenTransactionManager => Some(Outage::Unreachable),
        Error::DatabaseError(_, information) => {
            let message = information.message().to_ascii_lowercase();
            let has = |signs: &[&str]| signs.iter().any(|sign| message.contains(sign));
            if has(&[
                "database or disk is full",
                "disk i/o error",
                "no space left",
                "could not extend file",
            ]) {
                Some(Outage::Full)
            } else if has(&[
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "connection refused",
                "could not connect",
                "the database system is",
                "ssl syscall",
                "eof detected",
            ]) {
                Some(Outage::Unreachable)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether an error is an outage of either kind.
pub fn is_outage(error: &diesel::result::Error) -> bool {
    outage(error).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_waits_for_the_connections_being_opened_and_no_longer() {
        let health = std::sync::Arc::new(DbHealth::default());
        health.settle(Duration::from_secs(10));
        let (opened, open) = std::sync::mpsc::channel();
        let opener = {
            let health = health.clone();
            std::thread::spawn(move || {
                let opening = health.opening();
                let _ = opened.send(());
                std::thread::sleep(Duration::from_millis(100));
                let ending = Instant::now();
                drop(opening);
                ending
            })
        };
        open.recv().expect("opening");
        health.settle(Duration::from_secs(10));
        let settled = Instant::now();
        let ending = opener.join().expect("opener");
        assert!(settled >= ending, "settled only once the opening was over");
        // Bounded: an opening that never ends is not waited for forever.
        let _stuck = health.opening();
        let started = Instant::now();
        health.settle(Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn a_failure_fails_fast_for_a_moment_then_lets_one_try() {
        let health = DbHealth::default();
        assert!(!health.fail_fast() && !health.check_connections());
        health.failed();
        assert!(health.fail_fast() && health.check_connections());
        health.answered();
        assert!(!health.fail_fast(), "an answer ends the outage");
        assert!(
            health.check_connections(),
            "connections are still checked for a while"
        );
    }

    #[test]
    fn outages_are_told_from_bugs() {
        use diesel::result::{DatabaseErrorKind, Error};
        let full = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        );
        assert_eq!(outage(&full), Some(Outage::Full));
        assert_eq!(
            outage(&Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new("gone".to_owned())
            )),
            Some(Outage::Unreachable)
        );
        assert!(!is_outage(&Error::NotFound));
        assert!(!is_outage(&Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_owned())
        )));
    }
}
