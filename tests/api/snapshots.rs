//! Snapshots of the pages people read most — a post with its thread, and the
//! moderation queue — so that a change to what users see is reviewed as a
//! diff (`cargo insta review`). Both backends must render the very same
//! bytes: each writes to the same snapshot.

use diesel::prelude::*;
use ferropress::db::schema::comments;
use ferropress::domain::Role;
use ferropress::models::post::NewPost;

use crate::helpers::TestApp;

/// 2024-03-05 09:30 UTC.
const PUBLISHED_AT: i64 = 1_709_631_000;

/// The values that differ from run to run: the test server's port, the
/// made-up staff names, signed time tokens, CSRF tokens; and asset fingerprints (a stylesheet edit is
/// not a change to these pages).
fn stable(html: &str) -> String {
    let filters = [
        (r"http://127\.0\.0\.1:\d+", "http://[site]"),
        (r"\.[0-9a-f]{12}\.(css|js)", ".[fingerprint].$1"),
        // Staff made up for the test.
        (r"(admin|editor|moderator)-\d+", "$1-[n]"),
        (
            r#"name="fp_ts" value="[^"]*""#,
            r#"name="fp_ts" value="[form token]""#,
        ),
        (
            r#"name="csrf_token" value="[^"]*""#,
            r#"name="csrf_token" value="[csrf]""#,
        ),
        (
            r#"<meta name="csrf-token" content="[^"]*""#,
            r#"<meta name="csrf-token" content="[csrf]""#,
        ),
    ];
    filters
        .iter()
        .fold(html.to_owned(), |html, (pattern, replacement)| {
            regex::Regex::new(pattern)
                .unwrap()
                .replace_all(&html, *replacement)
                .into_owned()
        })
}

/// A post with a small thread: a comment, a reply to it, and a second
/// comment from a right-to-left name; everything dated, nothing random.
async fn post_with_thread(app: &TestApp) -> ferropress::models::post::Post {
    app.approve_comments_automatically().await;
    let mut new_post = NewPost::published(
        "Sitting & standing: what helps",
        "A short guide.\n\n## Chairs\n\n- a *lumbar* roll\n- feet flat\n\nSee [the study](https://example.org/study).",
    );
    new_post.published_at = PUBLISHED_AT;
    let post = app.create_post(new_post);
    let first = app.comment_fields("Does the roll help with **sciatica**?");
    app.post_comment(&post, &first).await;
    let parent = app.comments_of(&post)[0].id;
    let mut reply = app.comment_fields("It helped me <script>alert(1)</script> a lot.");
    reply[1].1 = "Ben".to_owned();
    reply[2].1 = "ben@example.com".to_owned();
    reply[4].1 = parent.to_string();
    app.post_comment(&post, &reply).await;
    let mut rtl = app.comment_fields("Thanks for the guide.");
    rtl[1].1 = "مريم".to_owned();
    rtl[2].1 = "maryam@example.com".to_owned();
    app.post_comment(&post, &rtl).await;
    let ids: Vec<i64> = app
        .comments_of(&post)
        .iter()
        .map(|comment| comment.id)
        .collect();
    assert_eq!(ids.len(), 3, "all three comments stored");
    for (n, id) in ids.iter().enumerate() {
        diesel::update(comments::table.find(id))
            .set(comments::created_at.eq(PUBLISHED_AT + 86_400 + 3_600 * n as i64))
            .execute(&mut app.conn())
            .unwrap();
    }
    ferropress::models::setting::content_changed(&mut app.conn()).unwrap();
    app.state.sync_content_version();
    post
}

on_both_backends! {
    async fn a_post_with_its_thread(app) {
        let post = post_with_thread(&app).await;
        let (status, html) = app.get_page_as_stranger(&post.permalink()).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        insta::assert_snapshot!("post_with_thread", stable(&html));
    }
}

on_both_backends! {
    async fn the_moderation_queue(app) {
        let post = post_with_thread(&app).await;
        // Two more, held for moderation.
        app.set_setting(ferropress::models::setting::keys::HOLD_ALL, "1").await;
        let mut held = app.comment_fields("Is https://spam.example/ a good chair?");
        held[1].1 = "Chair Shop".to_owned();
        held[2].1 = "sales@chairs.example".to_owned();
        app.post_comment(&post, &held).await;
        let pending = app.comments_of(&post).pop().unwrap().id;
        diesel::update(comments::table.find(pending))
            .set(comments::created_at.eq(PUBLISHED_AT + 2 * 86_400))
            .execute(&mut app.conn())
            .unwrap();
        app.log_in_as(Role::Moderator).await;
        let queue = app.get("/admin/comments").await;
        assert_eq!(queue.status(), reqwest::StatusCode::OK);
        insta::assert_snapshot!("moderation_queue", stable(&queue.text().await.unwrap()));
    }
}
