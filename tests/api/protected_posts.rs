//! Password-protected and private posts (WordPress's "Visibility"): the
//! second WordPress fixture imported, then every address a reader can reach
//! crawled for the words only the password (or staff) may show.

use std::collections::{BTreeSet, VecDeque};

use ferropress::domain::{PostStatus, Role};
use ferropress::wxr::import::{import_wordpress, ImportSummary};
use reqwest::StatusCode;

use crate::helpers::{fresh_client, TestApp};

pub const SECOND_EXPORT: &str = include_str!("../fixtures/wordpress-export-second.xml");

/// Words that only a reader with the password (or staff, for the private
/// post) may ever be shown.
const SECRETS: [&str; 5] = [
    "ZANZIBARQUOKKA",
    "EXCERPTSECRETWORD",
    "COMMENTSECRETWORD",
    "PRIVATESECRETWORD",
    "PAGESECRETWORD",
];

pub fn import_second_site(app: &TestApp) -> ImportSummary {
    let summary = import_wordpress(
        &mut app.conn(),
        SECOND_EXPORT.as_bytes(),
        &app.no_uploads(),
        |_| {},
    )
    .unwrap();
    app.state.sync_content_version();
    summary
}

/// Same-site links of a page or feed (`href`, `src`, `<link>`, `<loc>`).
fn links_in(body: &str, site: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [
        ("href=\"", '"'),
        ("src=\"", '"'),
        ("<loc>", '<'),
        ("<link>", '<'),
    ] {
        for piece in body.split(open).skip(1) {
            let Some(end) = piece.find(close) else {
                continue;
            };
            let link = piece[..end].replace("&amp;", "&");
            let path = match link.strip_prefix(site) {
                Some(path) => path.to_owned(),
                None if link.starts_with('/') && !link.starts_with("//") => link,
                None => continue,
            };
            let path = path.split('#').next().unwrap_or_default().to_owned();
            if !path.is_empty() && !path.starts_with("/admin") {
                found.push(path);
            }
        }
    }
    found
}

/// Every page, feed and sitemap a reader without cookies reaches from the
/// front page, the sitemaps and the feeds (bounded), with its body.
async fn crawl(app: &TestApp, starts: &[&str]) -> Vec<(String, StatusCode, String)> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = starts.iter().map(|path| path.to_string()).collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if seen.len() > 400 || !seen.insert(path.clone()) {
            continue;
        }
        let (status, body) = app.get_page_as_stranger(&path).await;
        if status.is_success() && !path.starts_with("/wp-content/") && !path.starts_with("/static/")
        {
            for link in links_in(&body, &app.address) {
                if !seen.contains(&link) {
                    queue.push_back(link);
                }
            }
        }
        pages.push((path, status, body));
    }
    pages
}

on_both_backends! {
    async fn a_protected_post_shows_its_words_to_no_one_without_the_password(app) {
        import_second_site(&app);
        let mut starts = vec![
            "/", "/sitemap.xml", "/feed/", "/feed/atom/", "/comments/feed/",
            "/?p=11", "/?p=12", "/?page_id=16", "/the-secret-route/", "/secret-page/",
            "/category/trails/", "/category/trails/feed/", "/tag/routes/", "/tag/routes/feed/",
            "/author/walker/", "/author/walker/feed/", "/2023/", "/2023/02/", "/2023/02/10/",
            "/secret-page/feed/",
        ];
        let search: Vec<String> = SECRETS
            .iter()
            .flat_map(|word| [format!("/search?q={word}"), format!("/?s={}", word.to_lowercase())])
            .collect();
        starts.extend(search.iter().map(String::as_str));
        let pages = crawl(&app, &starts).await;
        assert!(pages.len() > 30, "the crawl reached the site: {}", pages.len());
        let mut post_pages = 0;
        for (path, status, body) in &pages {
            assert!(!status.is_server_error(), "GET {path}: {status}");
            // A search page repeats the words searched for: it must find nothing.
            let searched = path.split_once("q=").or_else(|| path.split_once("s=")).map(|(_, words)| words);
            for secret in SECRETS {
                if searched.is_some_and(|words| words.eq_ignore_ascii_case(secret)) {
                    assert!(!status.is_success() || body.contains("Nothing Found"), "GET {path} finds something:\n{body}");
                    continue;
                }
                assert!(!body.contains(secret), "GET {path} shows {secret}:\n{body}");
            }
            if body.contains("This content is password protected. To view it please enter your password below:") {
                post_pages += 1;
            }
        }
        assert!(post_pages >= 2, "the post and the page show WordPress's form");
        // The listings name it as WordPress does, with no excerpt.
        let (_, front) = app.get_page_as_stranger("/").await;
        assert!(front.contains("Protected: The secret route"), "{front}");
        assert!(front.contains("There is no excerpt because this is a protected post."));
        assert!(front.contains("Enter your password to view comments."), "{front}");
        // The private post is not there at all.
        assert!(!front.contains("Private notes"));
        let (status, _) = app.get_page_as_stranger("/2023/03/01/private-notes/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The protected post is left out of the sitemap, as WordPress leaves it.
        let (_, sitemap) = app.get_page_as_stranger("/sitemap-posts-1.xml").await;
        assert!(!sitemap.contains("the-secret-route"), "{sitemap}");
        assert!(sitemap.contains("first-snow-on-the-pass"), "{sitemap}");
    }
}

/// The protected post's address and id on this site.
fn secret_post(app: &TestApp) -> (String, i64) {
    let post = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 11)
        .unwrap()
        .expect("imported");
    assert_eq!(post.password, "alpine");
    (post.permalink(), post.id)
}

on_both_backends! {
    async fn the_right_password_shows_the_post_to_its_reader_alone_for_ten_days(app) {
        import_second_site(&app);
        let (permalink, post_id) = secret_post(&app);
        let reader = fresh_client();
        let form = [("post_password", "alpine".to_owned()), ("post_id", post_id.to_string())];
        let response = reader
            .post(app.url("/wp-login.php?action=postpass"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], permalink.as_str());
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("ferropress_postpass="), "{cookie}");
        assert!(cookie.contains("Max-Age=864000") && cookie.contains("HttpOnly"), "{cookie}");
        assert!(!cookie.contains("alpine"), "the cookie does not hold the password: {cookie}");
        let unlocked = reader.get(app.url(&permalink)).send().await.unwrap();
        assert_eq!(unlocked.status(), StatusCode::OK);
        assert_eq!(unlocked.headers()["cache-control"], "private, no-store");
        let body = unlocked.text().await.unwrap();
        assert!(body.contains("ZANZIBARQUOKKA"), "{body}");
        assert!(body.contains("COMMENTSECRETWORD"), "its comments: {body}");
        // The same cookie opens the page that has the same password, as in WordPress.
        let page = reader.get(app.url("/secret-page/")).send().await.unwrap();
        assert!(page.text().await.unwrap().contains("PAGESECRETWORD"));
        // Others, after that, still get the form: nothing was kept for them.
        let (status, other) = app.get_page_as_stranger(&permalink).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!other.contains("ZANZIBARQUOKKA"), "{other}");
        assert!(other.contains("This content is password protected."));
        // A reader with the password may comment; one without may not.
        app.approve_comments_automatically().await;
        let mut fields = app.comment_fields("Climbed it today.");
        fields[1].1 = "Kim".to_owned();
        let response = reader.post(app.url(&permalink)).form(&fields).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let before = count_comments(&app, post_id);
        let refused = fresh_client().post(app.url(&permalink)).form(&app.comment_fields("Let me in.")).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let body = refused.text().await.unwrap();
        assert!(body.contains("This post is password protected. Enter the password to view comments."), "{body}");
        assert!(!body.contains("ZANZIBARQUOKKA"));
        assert_eq!(count_comments(&app, post_id), before, "nothing stored");
    }
}

fn count_comments(app: &TestApp, post_id: i64) -> i64 {
    use diesel::prelude::*;
    use ferropress::db::schema::comments;
    comments::table
        .filter(comments::post_id.eq(post_id))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

on_both_backends! {
    async fn a_wrong_password_says_so_and_guessing_slows_down(app) {
        import_second_site(&app);
        let (_, post_id) = secret_post(&app);
        let reader = fresh_client();
        let guess = |password: &str| {
            let form = [("post_password", password.to_owned()), ("post_id", post_id.to_string())];
            reader.post(app.url("/wp-login.php?action=postpass")).form(&form).send()
        };
        let response = guess("alpin").await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get("set-cookie").is_none());
        assert_eq!(response.headers()["cache-control"], "private, no-store");
        let body = response.text().await.unwrap();
        assert!(body.contains("The password you entered is incorrect."), "{body}");
        assert!(!body.contains("ZANZIBARQUOKKA"));
        let mut throttled = None;
        for attempt in 0..40 {
            let response = guess(&format!("guess-{attempt}")).await.unwrap();
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                throttled = Some(response);
                break;
            }
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        let throttled = throttled.expect("guessing is throttled");
        assert!(throttled.headers().contains_key("retry-after"));
        // Even the right password waits now.
        assert_eq!(guess("alpine").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
        // A post that has no password, or no such post: nothing to unlock.
        let open = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 10).unwrap().unwrap();
        let form = [("post_password", "x".to_owned()), ("post_id", open.id.to_string())];
        let response = fresh_client().post(app.url("/wp-login.php?action=postpass")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = fresh_client().post(app.url("/wp-login.php")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn a_private_post_is_seen_by_staff_alone(app) {
        import_second_site(&app);
        let private = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 12).unwrap().unwrap();
        assert_eq!(private.status, PostStatus::Private);
        let permalink = private.permalink();
        let (status, _) = app.get_page_as_stranger(&permalink).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        app.log_in_as(Role::Editor).await;
        let response = app.get(&permalink).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "private, no-store");
        let body = response.text().await.unwrap();
        assert!(body.contains("Private: Private notes") && body.contains("PRIVATESECRETWORD"), "{body}");
        // Still nothing for readers after staff looked.
        let (status, body) = app.get_page_as_stranger(&permalink).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("PRIVATESECRETWORD"));
    }
}

on_both_backends! {
    async fn the_editor_sets_and_clears_a_password(app) {
        app.log_in_as(Role::Admin).await;
        let post = app.publish("Hut opening times", "Open from June: HUTWORD.", 1, &[]);
        let (_, editor) = app.get_page(&format!("/admin/posts/{}/edit", post.id)).await;
        assert!(editor.contains("name=\"password\""), "{editor}");
        let save = |password: &'static str| {
            let path = format!("/admin/posts/{}/edit", post.id);
            let title = post.title.clone();
            let app = &app;
            async move {
                app.admin_post(&path, &[
                    ("title", title.as_str()), ("slug", ""), ("body", "Open from June: HUTWORD."),
                    ("excerpt", ""), ("status", "published"), ("published_at", ""),
                    ("allow_comments", "1"), ("tags", ""), ("password", password), ("intent", "save"),
                ]).await
            }
        };
        let response = save("hut").await;
        let status = response.status();
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());
        // Saved without a date, it is dated now.
        let permalink = || ferropress::models::post::find_post(&mut app.conn(), post.id).unwrap().unwrap().permalink();
        let (_, body) = app.get_page_as_stranger(&permalink()).await;
        assert!(!body.contains("HUTWORD") && body.contains("password protected"), "{body}");
        let (_, found) = app.get_page_as_stranger("/search?q=HUTWORD").await;
        assert!(found.contains("Nothing Found"), "its words find it no more: {found}");
        let response = save("").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, body) = app.get_page_as_stranger(&permalink()).await;
        assert!(body.contains("HUTWORD"), "{body}");
        // Too long a password is refused at its field, the rest kept.
        let long = "p".repeat(256);
        let long: &'static str = Box::leak(long.into_boxed_str());
        let response = save(long).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("A password can be at most 255 characters."));
    }
}
