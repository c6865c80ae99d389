//! Property tests against the running app, on both backends: random and
//! adversarial form bodies (random bytes, NULs, long runs, nested Markdown,
//! repeated fields, odd encodings) never get a `5xx`, and a refused
//! comment's text always comes back in the form.

use ferropress::db::Backend;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// Text as the comment template shows it (askama's escaping).
fn escaped(text: &str) -> String {
    let mut out = String::new();
    for character in text.chars() {
        match character {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(character),
        }
    }
    out
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["comment", "author", "email", "url", "parent", "subscribe", "fp_ts", "fp_hp"]).prop_map(str::to_owned),
        1 => "[a-z_%\\[\\]]{0,12}",
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        1 => "[a-z ]{0,40}",
        1 => (1usize..6000).prop_map(|n| "- ".repeat(n)),
        1 => (1usize..6000).prop_map(|n| ">".repeat(n)),
        1 => (1usize..3000).prop_map(|n| "1. ".repeat(n)),
        1 => (1usize..12_000).prop_map(|n| "a".repeat(n)),
        1 => "[a-z]{0,5}\u{0}[a-z]{0,5}",
        1 => Just("a..b@example.com".to_owned()),
        1 => Just("ann@example.com".to_owned()),
        1 => Just("\u{202E}evil\r\nBcc: x@y.z".to_owned()),
        1 => Just("javascript:alert(1)".to_owned()),
        1 => Just("<img src=x onerror=alert(1)>".to_owned()),
    ]
}

/// A form body: fields (some repeated), encoded properly or not at all.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::vec((field_name(), field_value()), 0..10).prop_map(|fields| {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &fields {
                body.append_pair(name, value);
            }
            body.finish().into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..3000),
        1 => "[a-z=&%+0-9A-F]{0,200}".prop_map(String::into_bytes),
        1 => Just(b"comment=%&author=%zz&email=%FF%FE&url=+++".to_vec()),
        1 => Just(br#"{"comment": "json, not a form"}"#.to_vec()),
    ]
}

/// Runs `cases` random bodies through `check` against a fresh app.
fn run(
    backend: Backend,
    cases: u32,
    check: impl Fn(&tokio::runtime::Runtime, &TestApp, Vec<u8>) -> Result<(), TestCaseError>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some(app) = runtime.block_on(TestApp::spawn(backend)) else {
        return;
    };
    runtime.block_on(async {
        app.set_setting("comments_per_minute", "0").await;
    });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&form_body(), |body| check(&runtime, &app, body));
    drop(app);
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    if let Err(error) = result {
        panic!("{error}");
    }
}

fn comment_bodies(backend: Backend) {
    let post = std::sync::OnceLock::new();
    run(backend, 96, |runtime, app, body| {
        let post = post.get_or_init(|| app.publish("A post", "Body.", 1, &[]));
        let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let (status, html) = runtime.block_on(async {
            let response = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(app.url(&post.permalink()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        });
        prop_assert!(
            status.as_u16() < 500,
            "{status} for {:?}",
            String::from_utf8_lossy(&body)
        );
        let comments: Vec<&String> = fields
            .iter()
            .filter(|(name, _)| name == "comment")
            .map(|(_, value)| value)
            .collect();
        let refused = matches!(status.as_u16(), 403 | 409 | 422 | 429);
        if refused {
            if let [comment] = comments.as_slice() {
                let shown = escaped(&comment.replace('\0', ""));
                prop_assert!(
                    html.contains(&shown),
                    "{status}: the text did not come back: {comment:?}"
                );
            }
        } else {
            prop_assert!(status == StatusCode::SEE_OTHER, "{status}");
        }
        Ok(())
    });
}

fn admin_bodies(backend: Backend) {
    let session = std::sync::OnceLock::new();
    run(backend, 48, |runtime, app, body| {
        let token: &String = session.get_or_init(|| {
            runtime.block_on(async {
                app.log_in_as(ferropress::domain::Role::Admin).await;
                app.csrf_token().await
            })
        });
        for path in [
            "/admin/posts/new",
            "/admin/settings",
            "/admin/comments/bulk",
            "/admin/categories",
            "/admin/users",
            "/admin/login",
            "/admin/personal-data/export",
        ] {
            let mut signed = body.clone();
            signed.extend_from_slice(format!("&csrf_token={token}").as_bytes());
            let status = runtime.block_on(async {
                app.client
                    .post(app.url(path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(signed)
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
            prop_assert!(
                status.as_u16() < 500,
                "{path}: {status} for {:?}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    });
}

#[test]
fn random_comment_bodies_never_fail_the_server_and_keep_the_text_sqlite() {
    comment_bodies(Backend::Sqlite);
}

#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
fn random_comment_bodies_never_fail_the_server_and_keep_the_text_postgres() {
    comment_bodies(Backend::Postgres);
}

#[test]
fn random_panel_bodies_never_fail_the_server_sqlite() {
    admin_bodies(Backend::Sqlite);
}

#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
fn random_panel_bodies_never_fail_the_server_postgres() {
    admin_bodies(Backend::Postgres);
}
