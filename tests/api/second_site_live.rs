//! The second WordPress site as WordPress 6.1 itself built and exported it
//! (`bench/second-site/`: Post name permalinks, `topics` and `keyword`
//! bases, Europe/Zurich, a protected post and page, asides, a post in
//! pages, a renamed post, audio and video, comments in pages, a `-scaled`
//! picture), imported with its uploads; then every address the live
//! WordPress answered (its crawl, `tests/fixtures/wordpress-second-live-
//! addresses.tsv`, written by `bench/wordpress-compare`) asked of ferropress.

use reqwest::StatusCode;

use crate::helpers::TestApp;

const EXPORT: &str = include_str!("../fixtures/wordpress-export-second-live.xml");
const ADDRESSES: &str = include_str!("../fixtures/wordpress-second-live-addresses.tsv");
const UPLOADS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/wordpress-uploads-second-live.tar.gz"
);

/// Status, content type and body after the site's own redirects (at most 5).
async fn answer(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let mut path = path.to_owned();
    for _ in 0..5 {
        let response = app.get(&path).await;
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            path = location
                .strip_prefix(&app.address)
                .unwrap_or(&location)
                .to_owned();
            continue;
        }
        let kind = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        return (status, kind, response.text().await.unwrap_or_default());
    }
    panic!("{path}: more than 5 redirects");
}

on_both_backends! {
    async fn every_address_the_live_wordpress_answered_answers(app) {
        let copy = tempfile::tempdir().unwrap();
        let unpacked = std::process::Command::new("tar").args(["xzf", UPLOADS, "-C"]).arg(copy.path()).status().unwrap();
        assert!(unpacked.success());
        let files = ferropress::wxr::import::MediaFiles {
            uploads: Some(copy.path().join("uploads")),
            store: app.state.media.clone(),
            fetch: false,
        };
        let summary = ferropress::wxr::import::import_wordpress(&mut app.conn(), EXPORT.as_bytes(), &files, |_| {}).unwrap();
        app.state.sync_content_version();
        app.state.reload_site().await.unwrap();
        assert!(summary.missing_files.is_empty(), "{summary}");
        assert_eq!(summary.permalinks.as_deref(), Some("/%postname%/"), "{summary}");
        assert_eq!((summary.category_base.as_deref(), summary.tag_base.as_deref()), (Some("topics"), Some("keyword")));
        assert!(summary.timezone.as_deref().is_some_and(|zone| zone.starts_with("Europe/")), "{summary}");
        let mut failures = Vec::new();
        let mut asked = 0;
        for line in ADDRESSES.lines() {
            let Some((kind, path)) = line.split_once('\t') else { continue };
            asked += 1;
            let (status, content_type, body) = answer(&app, path).await;
            let wanted = match kind {
                "id-404" => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            };
            if status != wanted {
                failures.push(format!("{kind} {path}: {status}"));
                continue;
            }
            if kind == "image" && !content_type.starts_with("image/") {
                failures.push(format!("{path}: {content_type}"));
            }
            if content_type.contains("html") {
                for raw in ["[caption", "[gallery", "[audio", "[video", "[embed", "<!-- wp:", "&amp;amp;", "<!--nextpage"] {
                    if body.contains(raw) {
                        failures.push(format!("{path} shows {raw}"));
                    }
                }
            }
            if !path.contains("?s=") {
                for secret in ["ZANZIBARQUOKKA", "EXCERPTSECRETWORD", "COMMENTSECRETWORD", "PAGESECRETWORD", "PRIVATESECRETWORD"] {
                    if body.contains(secret) {
                        failures.push(format!("{path} shows {secret}"));
                    }
                }
            }
        }
        assert!(asked > 200, "{asked}");
        assert!(failures.is_empty(), "{} of {asked}:\n{}", failures.len(), failures.join("\n"));
    }
}
