//! Pages as people see them: headless Chromium through chromedriver, with
//! screenshots saved under `target/screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use ferropress::db::Backend;
use ferropress::models::post::NewPost;

use crate::helpers::{missing, TestApp};

/// chromedriver, started for one test and killed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

impl Browser {
    /// `None` (skipped) when Chromium or chromedriver is not installed, outside CI.
    pub async fn start() -> Option<Browser> {
        let Some(driver_path) =
            find_program(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
        else {
            missing("chromedriver (apt-get install chromium-driver)");
            return None;
        };
        let Some(chromium) = find_program(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])
        else {
            missing("Chromium (apt-get install chromium)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver session");
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Saves a PNG of the current page as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&directory).expect("screenshot dir");
        let path = directory.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Ends the Chromium session; chromedriver goes when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn home_and_post_pages_render_in_chromium() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let neck = app.create_category("Neck", "");
    let mut new_post = NewPost::published(
        "Failed Post-Cervical Laminectomy Fusion Pains -What can you do?",
        "Failed cervical laminectomy/fusions are considered a difficult situation. \
         Epidurals are difficult, and rhizotomies might fail.\n\n\
         > Over several years, her pain was well-controlled with cervical epidurals.\n\n\
         - history of anterior cervical discectomy and fusion\n- significant epidural fibrosis",
    );
    new_post.category_ids = vec![neck.id];
    let post = app.create_post(new_post);
    app.publish("An older note", "Something written a week ago.", 7, &[]);
    let Some(browser) = Browser::start().await else {
        return;
    };

    browser
        .client
        .goto(&app.url("/"))
        .await
        .expect("home opens");
    let site_title = browser
        .client
        .find(Locator::Css("h1.site-title"))
        .await
        .expect("site title")
        .text()
        .await
        .unwrap();
    assert_eq!(site_title, "ferropress");
    let titles = browser
        .client
        .find_all(Locator::Css("h2.entry-title"))
        .await
        .unwrap();
    assert_eq!(titles.len(), 2);
    // The stylesheet applied: the page is laid out by it, not the browser's defaults.
    let font = browser
        .client
        .execute("return getComputedStyle(document.body).fontFamily", vec![])
        .await
        .unwrap();
    assert!(
        font.as_str().unwrap_or_default().contains("system-ui"),
        "{font:?}"
    );
    browser.screenshot("home").await;

    browser
        .client
        .find(Locator::LinkText(&post.title))
        .await
        .expect("post link")
        .click()
        .await
        .unwrap();
    let heading = browser
        .client
        .find(Locator::Css("h1.entry-title"))
        .await
        .expect("post heading")
        .text()
        .await
        .unwrap();
    assert_eq!(heading, post.title);
    let footer = browser
        .client
        .find(Locator::Css(".entry-footer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        footer,
        "This entry was posted in Neck. Bookmark the permalink."
    );
    assert_eq!(
        browser.client.current_url().await.unwrap().path(),
        post.permalink()
    );
    browser.screenshot("post").await;

    // Readable on a phone: nothing wider than the screen.
    browser.client.set_window_size(390, 844).await.unwrap();
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(true),
        "no horizontal scrolling on a phone"
    );
    browser.screenshot("post-phone").await;
    browser.close().await;
}
