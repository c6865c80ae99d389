//! `/metrics` in Prometheus's text format, served only on
//! `FERROPRESS_METRICS_BIND` (unset: nothing is recorded or served).
//! Requests are labelled by route pattern (`/{year}/{month}/{day}/{slug}/`),
//! never by raw path, so no token, query or slug reaches a label.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUESTS: &str = "ferropress_http_requests_total";
pub const REQUEST_SECONDS: &str = "ferropress_http_request_duration_seconds";
pub const PAGE_CACHE_HITS: &str = "ferropress_page_cache_hits_total";
pub const PAGE_CACHE_MISSES: &str = "ferropress_page_cache_misses_total";
pub const PAGE_CACHE_BYTES: &str = "ferropress_page_cache_bytes";
pub const OUTBOX_DEPTH: &str = "ferropress_outbox_waiting";
pub const OUTBOX_FAILED: &str = "ferropress_outbox_failed";
pub const PENDING: &str = "ferropress_comments_pending";
pub const SPAM_CAUGHT: &str = "ferropress_comments_spam_caught_total";
pub const POOL_WAIT_SECONDS: &str = "ferropress_db_pool_wait_seconds";

/// Buckets from 0.5 ms to 10 s.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether anything records (a metrics address is configured).
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// Starts recording (once per process; later calls share it).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Another recorder already installed (only ever in tests): this
            // handle then renders nothing, which is harmless.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        REQUESTS,
        "Requests answered, by route pattern, method and status."
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Time to answer, by route pattern."
    );
    describe_counter!(PAGE_CACHE_HITS, "Reader pages served from the page cache.");
    describe_counter!(
        PAGE_CACHE_MISSES,
        "Reader pages rendered because the cache had none."
    );
    describe_gauge!(
        PAGE_CACHE_BYTES,
        Unit::Bytes,
        "Bytes held by the page cache."
    );
    describe_gauge!(OUTBOX_DEPTH, "Mails waiting in the outbox to be sent.");
    describe_gauge!(OUTBOX_FAILED, "Mails that failed for good.");
    describe_gauge!(PENDING, "Comments waiting for moderation.");
    describe_counter!(
        SPAM_CAUGHT,
        "New comments sent straight to spam, by what caught them."
    );
    describe_histogram!(
        POOL_WAIT_SECONDS,
        Unit::Seconds,
        "Time waited for a database connection."
    );
}

/// The route label of a request: its pattern without the patterns' own
/// regular expressions (`/{year:\d{4}}/` → `/{year}/`), or `unmatched`.
pub fn route_label(pattern: Option<String>) -> String {
    let Some(pattern) = pattern else {
        return "unmatched".to_owned();
    };
    let mut label = String::with_capacity(pattern.len());
    let mut depth = 0;
    let mut skipping = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                depth += 1;
                if !skipping {
                    label.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    skipping = false;
                    label.push(c);
                } else if !skipping {
                    label.push(c);
                }
            }
            ':' if depth == 1 => skipping = true,
            _ if skipping => {}
            _ => label.push(c),
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_requests_share_one_label() {
        assert_eq!(route_label(None), "unmatched");
        assert_eq!(
            route_label(Some(
                r"/{year:\d{4}}/{month:\d{2}}/{day:\d{2}}/{slug}/".to_owned()
            )),
            "/{year}/{month}/{day}/{slug}/"
        );
        assert_eq!(
            route_label(Some("/wp-content/uploads/{path:.+}".to_owned())),
            "/wp-content/uploads/{path}"
        );
    }
}
