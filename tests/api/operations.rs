//! Running it: `/metrics` on its own address, and a backup taken while the
//! site takes comments that restores with nothing lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use ferropress::config::RawConfig;
use ferropress::db::schema::comments;
use ferropress::models::setting::keys;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn with_metrics(raw: &mut RawConfig) {
    raw.metrics_bind = Some("127.0.0.1:0".to_owned());
}

on_both_backends_configured! {
    async fn metrics_are_scraped_on_their_own_address_by_route_pattern(app) with with_metrics; {
        let port = app.metrics_port.expect("metrics served");
        let post = app.publish("Counted", "Body.", 1, &[]);
        for _ in 0..3 {
            assert_eq!(app.get(&post.permalink()).await.status(), StatusCode::OK);
        }
        app.get("/2020/01/01/nothing-here/?token=secret-value").await;
        app.post_comment_as_stranger(&post, &app.comment_fields("A comment to count.")).await;
        let scraped = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
        assert_eq!(scraped.status(), StatusCode::OK);
        assert!(scraped.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = scraped.text().await.unwrap();
        for expected in [
            "# TYPE ferropress_http_requests_total counter",
            "ferropress_http_requests_total{route=\"/{year}/{month}/{day}/{slug}/\",method=\"GET\",status=\"200\"}",
            "ferropress_http_request_duration_seconds_bucket{route=\"/{year}/{month}/{day}/{slug}/\",le=\"0.005\"}",
            "ferropress_page_cache_hits_total",
            "ferropress_page_cache_bytes",
            "ferropress_comments_pending",
            "ferropress_outbox_waiting",
            "ferropress_outbox_failed",
            "ferropress_db_pool_wait_seconds_count",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        // Patterns, never raw paths: no slug, no query, no token.
        assert!(!text.contains("counted") && !text.contains("secret-value") && !text.contains("nothing-here"), "{text}");
        // Not on the public address.
        assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    }
}

/// Posts comments to `url` one after another until told to stop; the texts
/// of those answered 303, in order.
async fn write_load(
    url: String,
    fields: Vec<(&'static str, String)>,
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<String>>>,
) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) && n < 2000 {
        let text = format!("Load comment {n}, written while the backup runs.");
        let mut fields = fields.clone();
        fields[0].1 = text.clone();
        fields[2].1 = format!("load{n}@example.com");
        let response = client.post(&url).form(&fields).send().await.unwrap();
        if response.status() == StatusCode::SEE_OTHER {
            answered.lock().unwrap().push(text);
        }
        n += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_with_nothing_lost() {
    let Some(app) = TestApp::spawn(ferropress::db::Backend::Sqlite).await else {
        return;
    };
    app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
    app.set_setting(keys::DIGEST_AFTER, "0").await;
    let post = app.publish("Busy", "Body.", 1, &[]);
    app.state
        .media
        .put("2026/11/picture.png", b"not really a png".to_vec())
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let load = tokio::spawn(write_load(
        app.url(&post.permalink()),
        app.comment_fields("placeholder"),
        stop.clone(),
        answered.clone(),
    ));
    // Let the load run, note what was answered before the backup began,
    // take the backup while it goes on, then stop it.
    while answered.lock().unwrap().len() < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before_backup: Vec<String> = answered.lock().unwrap().clone();
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("backup");
    let config = app.state.config.clone();
    let backup_dir = target.clone();
    let summary =
        tokio::task::spawn_blocking(move || ferropress::cli::backup::backup(&config, &backup_dir))
            .await
            .unwrap()
            .expect("backup written");
    let during = answered.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();
    assert!(summary.database && summary.files == 1, "{summary:?}");
    assert!(
        answered.lock().unwrap().len() > before_backup.len(),
        "writes went on around the backup ({during} by its end)"
    );

    // Into an empty data location: a new database path and media folder.
    let restored = folder.path().join("restored");
    let mut raw = RawConfig {
        database_url: Some(format!("sqlite://{}", restored.join("site.db").display())),
        media_url: Some(restored.join("uploads").display().to_string()),
        ..RawConfig::default()
    };
    raw.secret_key = Some("a-test-secret-key-that-is-long-enough-0123456789".into());
    let restore_config = ferropress::config::Config::parse(raw).unwrap();
    let from = target.clone();
    let config_for_restore = restore_config.clone();
    let restored_summary = tokio::task::spawn_blocking(move || {
        ferropress::cli::backup::restore(&config_for_restore, &from)
    })
    .await
    .unwrap()
    .expect("restored");
    assert_eq!(
        restored_summary,
        ferropress::cli::backup::BackupSummary {
            database: true,
            files: 1
        }
    );
    assert_eq!(
        ferropress::cli::backup::integrity(&restored.join("site.db")).unwrap(),
        "ok"
    );
    assert_eq!(
        std::fs::read(restored.join("uploads/2026/11/picture.png")).unwrap(),
        b"not really a png"
    );
    // Every comment answered 303 before the backup began is in it.
    let pool = ferropress::db::connect(&restore_config.database_url, 1).unwrap();
    let bodies: Vec<String> = comments::table
        .select(comments::body_source)
        .load(&mut pool.get().unwrap())
        .unwrap();
    for text in &before_backup {
        assert!(bodies.contains(text), "{text} lost");
    }
    // A second restore into the same place is refused, nothing overwritten.
    let again = ferropress::cli::backup::restore(&restore_config, &target).unwrap_err();
    assert!(
        again.to_string().contains("not empty") || again.to_string().contains("exists"),
        "{again}"
    );
    // And a backup goes only into a new or empty folder.
    let refused = ferropress::cli::backup::backup(&app.state.config, &target).unwrap_err();
    assert!(refused.to_string().contains("is not empty"), "{refused}");
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn on_postgres_a_backup_copies_the_media_and_leaves_the_database_to_pg_dump() {
    let Some(app) = TestApp::spawn(ferropress::db::Backend::Postgres).await else {
        return;
    };
    app.state
        .media
        .put("2026/11/a.jpg", b"a".to_vec())
        .await
        .unwrap();
    app.state
        .media
        .put("2026/11/b.jpg", b"b".to_vec())
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let (config, target) = (app.state.config.clone(), folder.path().join("backup"));
    let dir = target.clone();
    let summary =
        tokio::task::spawn_blocking(move || ferropress::cli::backup::backup(&config, &dir))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        summary,
        ferropress::cli::backup::BackupSummary {
            database: false,
            files: 2
        }
    );
    assert!(!target.join("ferropress.db").exists());
    assert_eq!(
        std::fs::read(target.join("uploads/2026/11/b.jpg")).unwrap(),
        b"b"
    );
}
