//! A spam wave costs a moderator one mail: past K held comments in an hour,
//! the rest wait for a digest whose link shows exactly them. And nobody is
//! mailed about what they did or wrote themselves.

use diesel::prelude::*;
use ferropress::db::schema::{comments, outbox};
use ferropress::domain::{CommentStatus, Role};
use ferropress::mail::notify::send_digest_if_due;
use ferropress::mail::MailContext;
use ferropress::models::post::NewPost;
use ferropress::models::setting::keys;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// (kind, recipient) of every queued mail, oldest first.
fn mails(app: &TestApp) -> Vec<(String, String)> {
    outbox::table
        .order(outbox::id.asc())
        .select((outbox::kind, outbox::recipient))
        .load(&mut app.conn())
        .unwrap()
}

fn kind_count(app: &TestApp, kind: &str) -> usize {
    mails(app).iter().filter(|(k, _)| k == kind).count()
}

on_both_backends! {
    async fn fifteen_held_comments_in_an_hour_are_ten_mails_and_one_digest(app) {
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let moderator = app.log_in_as(Role::Admin).await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        for i in 0..15 {
            let mut fields = app.comment_fields(&format!("Wave comment number {i}, quite different from the others."));
            fields[1].1 = format!("Waver {i}");
            let answer = app.post_comment_as_stranger(&post, &fields).await;
            assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        }
        // The first ten held comments are mailed one by one; then it waits.
        assert_eq!(kind_count(&app, "moderation"), 10);
        assert_eq!(kind_count(&app, "digest"), 0);
        let context = MailContext::of(&app.state);
        // Not due before its time...
        assert_eq!(send_digest_if_due(&mut app.conn(), &context, 3600).unwrap(), None);
        // ...then one digest per moderator, once.
        let digest = send_digest_if_due(&mut app.conn(), &context, 0).unwrap().expect("a digest");
        assert_eq!(send_digest_if_due(&mut app.conn(), &context, 0).unwrap(), None, "nothing left to tell");
        let digests: Vec<(String, String)> = mails(&app).into_iter().filter(|(kind, _)| kind == "digest").collect();
        assert_eq!(digests, [("digest".to_owned(), moderator.email.clone())]);
        let (subject, text): (String, String) = outbox::table
            .filter(outbox::kind.eq("digest"))
            .select((outbox::subject, outbox::body_text))
            .first(&mut app.conn())
            .unwrap();
        assert!(subject.ends_with("5 comments are waiting for moderation"), "{subject}");
        for i in 10..15 {
            assert!(text.contains(&format!("- Waver {i} on \"A busy post\" (spam score ")), "{text}");
        }
        assert!(!text.contains("Waver 9 "), "{text}");
        assert!(!text.contains("ann.reader@example.com"), "a digest names commenters, never their email");
        // Its link shows exactly those five comments.
        let link = format!("/admin/comments?digest={digest}");
        assert!(text.contains(&format!("{}{link}", app.state.config.site_url)), "{text}");
        let (status, queue) = app.get_page(&link).await;
        assert_eq!(status, StatusCode::OK);
        let shown: Vec<i64> = queue
            .split("<tr id=\"comment-")
            .skip(1)
            .map(|row| row.split('"').next().unwrap().parse().unwrap())
            .collect();
        let expected: Vec<i64> = comments::table
            .filter(comments::author_name.like("Waver 1_"))
            .order(comments::id.desc())
            .select(comments::id)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(shown, expected);
    }
}

on_both_backends! {
    async fn nobody_is_mailed_about_what_they_did_themselves(app) {
        let admin = app.log_in_as(Role::Admin).await;
        let mut new_post = NewPost::published("By the admin", "Body.");
        new_post.author_id = Some(admin.id);
        let post = app.create_post(new_post);

        // A moderator's own comment through the form: no mail to them.
        let mut fields = app.comment_fields("A note from the admin herself.");
        fields[2].1 = admin.email.clone();
        assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        assert!(mails(&app).iter().all(|(_, to)| to != &admin.email), "{:?}", mails(&app));

        // A reader's comment, approved by the post's author from the panel:
        // the moderation mail, and no "approved" mail to her.
        let answer = app.post_comment_as_stranger(&post, &app.comment_fields("A reader writes.")).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(kind_count(&app, "moderation"), 1);
        let id: i64 = comments::table.filter(comments::body_source.eq("A reader writes.")).select(comments::id).first(&mut app.conn()).unwrap();
        let approved = app.admin_post(&format!("/admin/comments/{id}/approve"), &[("return_to", "/admin/comments")]).await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        assert_eq!(kind_count(&app, "author"), 0, "she approved it herself");

        // Approved without moderation: the post's author (a moderator too)
        // gets one mail about it, not two.
        app.approve_comments_automatically().await;
        let before = mails(&app).len();
        let answer = app.post_comment_as_stranger(&post, &app.comment_fields("Straight through.")).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let status: CommentStatus = comments::table.filter(comments::body_source.eq("Straight through.")).select(comments::status).first(&mut app.conn()).unwrap();
        assert_eq!(status, CommentStatus::Approved);
        let to_her: Vec<(String, String)> = mails(&app)[before..].iter().filter(|(_, to)| to == &admin.email).cloned().collect();
        assert_eq!(to_her, [("author".to_owned(), admin.email.clone())]);
    }
}
