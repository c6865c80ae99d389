//! Pages as people see them: headless Chromium through chromedriver, with
//! screenshots saved under `target/screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use ferropress::db::Backend;
use ferropress::domain::CommentStatus;
use ferropress::models::post::NewPost;

use crate::helpers::{missing, TestApp};

/// `SCENARIO::sqlite` and `SCENARIO::postgres`: the browser scenario
/// `SCENARIO` (an `async fn(Backend)` beside it) run on each backend.
macro_rules! in_chromium_on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(ferropress::db::Backend::Sqlite).await;
            }

            #[tokio::test]
            #[cfg_attr(
                not(postgres_tests),
                ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
            )]
            async fn postgres() {
                super::$scenario(ferropress::db::Backend::Postgres).await;
            }
        }
    };
}

/// chromedriver, started for one test and killed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

static BROWSER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

impl Browser {
    /// `None` (skipped) when Chromium or chromedriver is not installed, outside CI.
    pub async fn start() -> Option<Browser> {
        Browser::start_with(&[]).await
    }

    /// As `start`, with more Chromium flags (a forced colour scheme…).
    pub async fn start_with(extra_args: &[&str]) -> Option<Browser> {
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
        // One browser at a time: two cores, and Chromium is heavy.
        let turn = BROWSER_TURN.lock().await;
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let Some(port) = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|address| address.port())
                .ok()
            else {
                continue;
            };
            let mut driver = Command::new(&driver_path)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts");
            let started = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
                && started.elapsed() < Duration::from_secs(20)
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let profile = tempfile::tempdir().expect("profile dir");
            let mut args: Vec<String> = [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
            ]
            .iter()
            .chain(extra_args)
            .map(|arg| (*arg).to_owned())
            .collect();
            args.push(format!("--user-data-dir={}", profile.path().display()));
            let capabilities = serde_json::json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium.to_string_lossy(),
                    "args": args,
                },
            });
            let serde_json::Value::Object(capabilities) = capabilities else {
                unreachable!()
            };
            let session =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await;
            match session {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                        _turn: turn,
                    });
                }
                Err(error) => {
                    // A port taken in between, or a slow start: try afresh.
                    last_error = error.to_string();
                    let _ = driver.kill();
                    let _ = driver.wait();
                }
            }
        }
        panic!("no chromedriver session after 3 attempts: {last_error}");
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

#[tokio::test]
async fn a_reader_comments_from_chromium_and_sees_it_awaiting_moderation() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let post = app.publish("A post worth answering", "Tell me what you think.", 1, &[]);
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    client
        .goto(&app.url(&post.permalink()))
        .await
        .expect("post opens");
    client
        .find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("This helped my *neck* a lot.")
        .await
        .unwrap();
    client
        .find(Locator::Id("author"))
        .await
        .unwrap()
        .send_keys("Ann Reader")
        .await
        .unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("ann@example.com")
        .await
        .unwrap();
    // A person takes a few seconds to write; a form sent at once is a bot's.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    client
        .find(Locator::Css("#commentform button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let notice = client
        .wait()
        .for_element(Locator::Css(".comment-awaiting-moderation"))
        .await
        .expect("notice shown");
    assert_eq!(
        notice.text().await.unwrap(),
        "Your comment is awaiting moderation."
    );
    let url = client.current_url().await.unwrap();
    let comment = app.comments_of(&post).remove(0);
    assert_eq!(comment.status, CommentStatus::Pending);
    assert_eq!(url.path(), post.permalink());
    assert_eq!(
        url.fragment(),
        Some(format!("comment-{}", comment.id).as_str())
    );
    let text = client
        .find(Locator::Css(".comment-content"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "This helped my neck a lot.");
    browser.screenshot("comment-awaiting-moderation").await;
    browser.close().await;
}

#[tokio::test]
async fn reply_links_move_the_form_under_the_comment_with_javascript() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.approve_comments_automatically().await;
    let post = app.publish("A discussed post", "Body.", 1, &[]);
    app.post_comment(&post, &app.comment_fields("The first word."))
        .await;
    let first = app.comments_of(&post).remove(0);
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    client.goto(&app.url(&post.permalink())).await.unwrap();
    client
        .find(Locator::Css(".comment-reply-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let inside = client
        .execute(
            "return document.getElementById('respond').parentElement.id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        inside,
        serde_json::json!(format!("comment-{}", first.id)),
        "the form moved under the comment"
    );
    let parent = client
        .find(Locator::Css("input[name=parent]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(parent, Some(first.id.to_string()));
    let title = client
        .find(Locator::Id("reply-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        title.starts_with("Leave a Reply to \u{2068}Ann Reader\u{2069}"),
        "{title}"
    );
    assert_eq!(
        client.current_url().await.unwrap().path(),
        post.permalink(),
        "no page load"
    );
    browser.screenshot("comment-reply-form").await;
    browser.close().await;
}

/// Logs in through the form, as a person does.
pub async fn log_in(browser: &Browser, app: &TestApp, email: &str) {
    let client = &browser.client;
    client.goto(&app.url("/admin/login")).await.unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(crate::helpers::STAFF_PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".admin-main h1"))
        .await
        .expect("logged in");
}

#[tokio::test]
async fn a_moderator_approves_a_pending_comment_from_the_pending_tab() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let post = app.publish("A post with a question", "Body.", 1, &[]);
    app.post_comment_as_stranger(&post, &app.comment_fields("Is this still true in 2026?"))
        .await;
    app.create_staff("mod@example.com", ferropress::domain::Role::Moderator)
        .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    log_in(&browser, &app, "mod@example.com").await;
    let heading = client
        .find(Locator::Css(".admin-main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Dashboard");
    browser.screenshot("admin-dashboard").await;

    client
        .find(Locator::LinkText("Open the queue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("tr.status-pending"))
        .await
        .unwrap();
    browser.screenshot("admin-comments").await;
    client
        .find(Locator::Css("tr.status-pending button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = client
        .wait()
        .for_element(Locator::Css(".admin-notice[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.starts_with("1 comment approved."), "{notice}");
    assert_eq!(app.comments_of(&post)[0].status, CommentStatus::Approved);
    let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
    assert!(page.contains("Is this still true in 2026?"));
    browser.close().await;
}

#[tokio::test]
async fn an_editor_writes_and_publishes_a_post_that_appears_on_the_home_page() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.create_category("Neck", "");
    app.create_staff("editor@example.com", ferropress::domain::Role::Editor)
        .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    log_in(&browser, &app, "editor@example.com").await;
    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    client
        .find(Locator::Id("title"))
        .await
        .unwrap()
        .send_keys("Cervical stimulators, revisited")
        .await
        .unwrap();
    client
        .find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys("A stimulator was **much easier** to place than thought.")
        .await
        .unwrap();
    client
        .find(Locator::Css("label[for^=cat_]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("button[value=preview]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let preview = client
        .wait()
        .for_element(Locator::Css(".preview strong"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(preview, "much easier");
    browser.screenshot("admin-post-preview").await;
    let status = client.find(Locator::Id("status")).await.unwrap();
    status.select_by_value("published").await.unwrap();
    client
        .find(Locator::Css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = client
        .wait()
        .for_element(Locator::Css(".admin-notice[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "Post published. View post");

    client.goto(&app.url("/")).await.unwrap();
    let title = client
        .find(Locator::Css("h2.entry-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Cervical stimulators, revisited");
    client
        .find(Locator::LinkText("Cervical stimulators, revisited"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let footer = client
        .wait()
        .for_element(Locator::Css(".entry-footer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        footer,
        "This entry was posted in Neck. Bookmark the permalink."
    );
    browser.close().await;
}

#[tokio::test]
async fn an_editor_uploads_a_picture_and_readers_get_a_size_that_fits() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.create_staff("editor@example.com", ferropress::domain::Role::Editor)
        .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    // A 1600×1000 picture on disk, as a person would pick it.
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("Clinic Photo.png");
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(1600, 1000, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }))
    .save(&file)
    .unwrap();
    let client = &browser.client;
    log_in(&browser, &app, "editor@example.com").await;
    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    let type_into = |id: &'static str, text: &'static str| async move {
        client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    };
    type_into("title", "Our new clinic").await;
    type_into("body", "We moved.").await;
    type_into("media_alt", "The clinic's waiting room").await;
    client
        .find(Locator::Id("media"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    client
        .find(Locator::Css("button[value=upload]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = client
        .wait()
        .for_element(Locator::Css(".admin-notice[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.starts_with("The picture is uploaded"), "{notice}");
    let body = client
        .find(Locator::Id("body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        body.starts_with("We moved.\n\n<img src=\"/wp-content/uploads/")
            && body.contains("srcset="),
        "{body}"
    );
    browser.screenshot("admin-picture-inserted").await;
    client
        .find(Locator::Id("status"))
        .await
        .unwrap()
        .select_by_value("published")
        .await
        .unwrap();
    client
        .find(Locator::Css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The editor already shows the upload's notice: wait for the next one.
    let saved = notice_after(client, &notice).await;
    assert!(saved.starts_with("Post published. View post"), "{saved}");

    let post =
        ferropress::models::post::find_public_post_by_slug(&mut app.conn(), "our-new-clinic")
            .unwrap()
            .unwrap();
    client.goto(&app.url(&post.permalink())).await.unwrap();
    // The browser picks a size from srcset and loads it.
    let loaded = client
        .execute(
            "const img = document.querySelector('.entry-content img');
             return new Promise(done => {
               const report = () => done([img.complete, img.naturalWidth, img.currentSrc, img.alt]);
               img.loading = 'eager';
               if (img.complete && img.naturalWidth) report(); else img.addEventListener('load', report);
               setTimeout(report, 5000);
             });",
            vec![],
        )
        .await
        .unwrap();
    let loaded = loaded.as_array().unwrap();
    assert_eq!(loaded[0], true, "{loaded:?}");
    assert!(loaded[1].as_u64().unwrap() > 0, "{loaded:?}");
    assert!(
        loaded[2].as_str().unwrap().contains("/wp-content/uploads/"),
        "{loaded:?}"
    );
    assert_eq!(loaded[3], "The clinic's waiting room");
    browser.screenshot("post-with-picture").await;
    browser.close().await;
}

/// Sends one key to the page, as typed with nothing focused.
async fn press(client: &Client, key: &str) {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

/// The notice after the page that an action led to has loaded.
async fn notice_after(client: &Client, previous: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(element) = client
            .find(Locator::Css(".admin-notice[role=status]"))
            .await
        {
            if let Ok(text) = element.text().await {
                if text != previous {
                    return text;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no new notice after {previous:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_queue_works_from_the_keyboard_with_undo() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let post = app.publish("Questions", "Body.", 1, &[]);
    for text in ["First question?", "Second question?", "Third, a spammy one"] {
        app.post_comment_as_stranger(&post, &app.comment_fields(text))
            .await;
    }
    app.create_staff("keys@example.com", ferropress::domain::Role::Moderator)
        .await;
    let status_of = |text: &str| {
        app.comments_of(&post)
            .into_iter()
            .find(|comment| comment.body_source == text)
            .unwrap()
            .status
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    log_in(&browser, &app, "keys@example.com").await;
    client
        .goto(&app.url("/admin/comments?status=pending"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("tr.current"))
        .await
        .expect("the script marks the first comment");
    // Newest first: j moves to the second question, a approves it.
    press(client, "j").await;
    press(client, "j").await;
    press(client, "k").await;
    let current = client
        .find(Locator::Css("tr.current"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(current.contains("Second question?"), "{current}");
    press(client, "a").await;
    let notice = notice_after(client, "").await;
    assert!(
        notice.starts_with("1 comment approved.") && notice.contains("Undo"),
        "{notice}"
    );
    assert_eq!(status_of("Second question?"), CommentStatus::Approved);
    browser.screenshot("admin-comments-undo").await;
    // z is the notice's Undo: pending again.
    press(client, "z").await;
    let notice = notice_after(client, &notice).await;
    assert_eq!(notice, "1 comment put back as it was.");
    assert_eq!(status_of("Second question?"), CommentStatus::Pending);
    // x selects the current comment, Shift+S marks the selection spam.
    client
        .wait()
        .for_element(Locator::Css("tr.current"))
        .await
        .unwrap();
    press(client, "x").await;
    press(client, "S").await;
    let notice = notice_after(client, &notice).await;
    assert!(notice.starts_with("1 comment marked as spam."), "{notice}");
    assert_eq!(status_of("Third, a spammy one"), CommentStatus::Spam);
    // ? shows the keys.
    client
        .wait()
        .for_element(Locator::Css("tr.current"))
        .await
        .unwrap();
    press(client, "?").await;
    let help = client
        .wait()
        .for_element(Locator::Css(".shortcut-help"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        help.contains("Keyboard shortcuts") && help.contains("mark as spam"),
        "{help}"
    );
    browser.screenshot("admin-comments-shortcuts").await;
    // r opens a reply under the comment; sending it approves and replies.
    press(client, "?").await;
    press(client, "r").await;
    let reply = client
        .wait()
        .for_element(Locator::Css("form.inline-reply textarea"))
        .await
        .unwrap();
    reply.send_keys("Yes, still true.").await.unwrap();
    client
        .find(Locator::Css("form.inline-reply button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = notice_after(client, &notice).await;
    assert_eq!(notice, "Reply published. View reply");
    assert_eq!(
        status_of("Second question?"),
        CommentStatus::Approved,
        "replying approved the current one"
    );
    assert!(app
        .comments_of(&post)
        .iter()
        .any(|comment| comment.body_source == "Yes, still true."));
    browser.close().await;
}

/// Every admin screen at a phone's width, a small laptop's and a desktop's:
/// nothing wider than the window (no sideways scrolling), each screenshot
/// kept. Lists become cards on a phone.
#[tokio::test]
async fn every_admin_screen_fits_a_phone_a_laptop_and_a_desktop() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // Content that stretches layouts: long words, long URLs, many tags.
    let category = app.create_category(
        "Physiotherapy-and-rehabilitation-for-the-lower-back",
        "A long one.",
    );
    let post = app.publish(
        "Radiofrequency ablation of the lumbar facet joints: what to expect before, during and after",
        "See https://www.example.org/a/very/long/path/that/does/not/break/anywhere/at/all/0123456789 for more.",
        1,
        &[category.id],
    );
    let mut fields = app.comment_fields("Averyveryverylongwordwithoutanyspacesthatcouldpushthelayoutwiderthanaphonescreen https://spam.example/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    fields[1].1 = "Someone-with-an-unusually-long-name-indeed".to_owned();
    app.post_comment_as_stranger(&post, &fields).await;
    let comment_id = app.comments_of(&post)[0].id;
    app.create_staff("widths@example.com", ferropress::domain::Role::Admin)
        .await;
    let other = app.create_user(
        "someone-with-a-rather-long-address@physiotherapy.example.org",
        "Someone With A Long Name",
        ferropress::domain::Role::Editor,
    );
    let mail: i64 = {
        use diesel::prelude::*;
        let mut conn = app.conn();
        ferropress::mail::outbox::enqueue(
            &mut conn,
            &ferropress::mail::outbox::NewEmail {
                kind: "moderation",
                recipient: other.email.clone(),
                subject: "[Spine] Please moderate: \"Radiofrequency ablation of the lumbar facet joints\"".to_owned(),
                body_text: format!("A new comment is waiting.\n\nApprove: {}/moderate/0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", app.address),
                body_html: String::new(),
                headers: Vec::new(),
                message_id: "<widths@example.org>".to_owned(),
            },
        )
        .unwrap();
        ferropress::db::schema::outbox::table
            .select(ferropress::db::schema::outbox::id)
            .order(ferropress::db::schema::outbox::id.desc())
            .first(&mut conn)
            .unwrap()
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    log_in(&browser, &app, "widths@example.com").await;
    let screens = [
        ("dashboard", "/admin/".to_owned()),
        ("posts", "/admin/posts".to_owned()),
        ("post-editor", format!("/admin/posts/{}/edit", post.id)),
        ("new-post", "/admin/posts/new".to_owned()),
        ("media", "/admin/media".to_owned()),
        ("pages", "/admin/pages".to_owned()),
        ("new-page", "/admin/pages/new".to_owned()),
        ("comments", "/admin/comments".to_owned()),
        (
            "comment-reply",
            format!("/admin/comments/{comment_id}/reply"),
        ),
        ("comment-edit", format!("/admin/comments/{comment_id}/edit")),
        ("categories", "/admin/categories".to_owned()),
        ("tags", "/admin/tags".to_owned()),
        ("users", "/admin/users".to_owned()),
        ("profile", "/admin/profile".to_owned()),
        ("settings", "/admin/settings".to_owned()),
        ("personal-data", "/admin/personal-data".to_owned()),
        ("outbox", "/admin/outbox".to_owned()),
        ("outbox-message", format!("/admin/outbox/{mail}")),
        ("user-remove", format!("/admin/users/{}/delete", other.id)),
    ];
    let mut too_wide = Vec::new();
    for width in [390, 1024, 1280] {
        client.set_window_size(width, 900).await.unwrap();
        for (name, path) in &screens {
            client.goto(&app.url(path)).await.unwrap();
            client
                .wait()
                .for_element(Locator::Css(".admin-main h1"))
                .await
                .unwrap();
            let measured = client
                .execute(
                    "const e = document.documentElement; \
                     const wide = Array.from(document.querySelectorAll('.admin-main *')) \
                       .filter(x => x.getBoundingClientRect().right > e.clientWidth + 1) \
                       .slice(0, 3).map(x => x.tagName + '.' + x.className).join(' '); \
                     return [e.scrollWidth, e.clientWidth, wide];",
                    vec![],
                )
                .await
                .unwrap();
            let (scroll, client_width) =
                (measured[0].as_u64().unwrap(), measured[1].as_u64().unwrap());
            if scroll > client_width {
                too_wide.push(format!(
                    "{name} at {width}px: {scroll} > {client_width} ({})",
                    measured[2]
                ));
            }
            browser.screenshot(&format!("admin-{width}-{name}")).await;
        }
    }
    assert!(too_wide.is_empty(), "wider than the window: {too_wide:#?}");
    browser.close().await;
}

/// The `value` of the field `id` as the browser holds it.
async fn field_value(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn type_into(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Issue 17, items 1–3 as a reader lives them: Preview, "Save my name…",
/// then Edit within the ten minutes.
async fn a_reader_previews_is_remembered_and_edits(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.approve_comments_automatically().await;
    let post = app.publish("A post to discuss", "Tell me.", 1, &[]);
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    client.goto(&app.url(&post.permalink())).await.unwrap();
    type_into(client, "comment", "A *first* thought.").await;
    type_into(client, "author", "Ann Reader").await;
    type_into(client, "email", "ann@example.com").await;
    click(client, "#preview").await;
    let preview = client
        .wait()
        .for_element(Locator::Css("#comment-preview .comment-content"))
        .await
        .expect("the preview is shown");
    assert_eq!(preview.text().await.unwrap(), "A first thought.");
    assert_eq!(
        field_value(client, "comment").await,
        "A *first* thought.",
        "the text is kept"
    );
    assert!(
        app.comments_of(&post).is_empty(),
        "a preview stores nothing"
    );

    click(client, "#remember").await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    click(client, "#submit").await;
    client
        .wait()
        .for_element(Locator::Css(".comment-own-actions"))
        .await
        .expect("the author's own Edit and Delete");
    let comment = app.comments_of(&post).remove(0);
    assert_eq!(comment.status, CommentStatus::Approved);

    // The next visit: the form is filled in from their own cookie.
    client.goto(&app.url(&post.permalink())).await.unwrap();
    assert_eq!(field_value(client, "author").await, "Ann Reader");
    assert_eq!(field_value(client, "email").await, "ann@example.com");

    // Edit within the window.
    click(client, ".comment-own-actions a").await;
    client
        .wait()
        .for_element(Locator::Css(".comment-edit textarea"))
        .await
        .unwrap();
    type_into(client, "comment", "A *better* thought.").await;
    click(client, ".comment-edit button[type=submit]").await;
    let text = client
        .wait()
        .for_element(Locator::Css(&format!(
            "#comment-{} .comment-content",
            comment.id
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "A better thought.");
    browser
        .screenshot(&format!("comment-edited-{backend:?}"))
        .await;
    browser.close().await;
}

in_chromium_on_both_backends!(a_reader_previews_is_remembered_and_edits);

/// Logs out from the panel and waits for the login page it leads to.
async fn log_out(client: &Client) {
    click(client, "form[action='/admin/logout'] button").await;
    client
        .wait()
        .for_element(Locator::Css("form[action='/admin/login']"))
        .await
        .expect("logged out");
}

/// Waits for a mail to `address` with a link to `/admin/account/`.
async fn account_link(sink: &crate::smtp::SmtpSink, address: &str, count: usize) -> String {
    let started = Instant::now();
    loop {
        let mails = sink.to(address);
        if mails.len() >= count {
            return mails[count - 1].link_containing("/admin/account/");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no mail to {address}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 17, item 8 as staff live it: an invitation accepted, then a lost
/// password found again, all from the mail.
async fn a_new_user_is_invited_and_later_resets_the_password(backend: Backend) {
    let Some((app, sink)) = TestApp::spawn_with_mail(backend).await else {
        return;
    };
    app.create_staff("boss@example.com", ferropress::domain::Role::Admin)
        .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    log_in(&browser, &app, "boss@example.com").await;
    client.goto(&app.url("/admin/users")).await.unwrap();
    type_into(client, "email", "newcomer@example.com").await;
    type_into(client, "name", "New Comer").await;
    client
        .find(Locator::Css("#role option[value=editor]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(client, "form.card button[type=submit]").await;
    let notice = notice_after(client, "").await;
    assert_eq!(
        notice,
        "User added. An invitation to set a password was emailed to them."
    );
    log_out(client).await;

    // The invitation, opened in the browser.
    let link = account_link(&sink, "newcomer@example.com", 1).await;
    client.goto(&link).await.unwrap();
    assert_eq!(
        client
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Set your password"
    );
    type_into(client, "password", "my very own secret").await;
    click(client, "main form button[type=submit]").await;
    let notice = notice_after(client, "").await;
    assert_eq!(notice, "Your password is saved; you are logged in.");
    log_out(client).await;

    // "Lost your password?" from the login page.
    client.goto(&app.url("/admin/login")).await.unwrap();
    click(client, "a[href='/admin/lost-password']").await;
    client
        .wait()
        .for_element(Locator::Css("form[action='/admin/lost-password']"))
        .await
        .unwrap();
    type_into(client, "email", "newcomer@example.com").await;
    click(client, "main form button[type=submit]").await;
    let answer = client
        .wait()
        .for_element(Locator::Css(".admin-notice[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        answer.starts_with("If that address belongs to an account here"),
        "{answer}"
    );
    let link = account_link(&sink, "newcomer@example.com", 2).await;
    client.goto(&link).await.unwrap();
    type_into(client, "password", "a new secret again").await;
    click(client, "main form button[type=submit]").await;
    assert_eq!(
        notice_after(client, "").await,
        "Your password is saved; you are logged in."
    );
    browser
        .screenshot(&format!("password-set-{backend:?}"))
        .await;
    browser.close().await;
}

in_chromium_on_both_backends!(a_new_user_is_invited_and_later_resets_the_password);
