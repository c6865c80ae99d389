//! The spam filter learns from this site's moderators: after they mark 60
//! comments spam and approve 60, a new comment like the spam goes to Spam
//! with no mail, one like the approved ones is held with a low score; a
//! change of mind unlearns; another process shares what was learnt.

use diesel::prelude::*;
use ferropress::db::schema::{comments, outbox};
use ferropress::domain::moderation::Verdict;
use ferropress::domain::{CommentStatus, Role};
use ferropress::models::comment::{create_comment, Comment, NewComment};
use ferropress::models::post::Post;
use reqwest::StatusCode;

use crate::helpers::TestApp;

const SPAM_WORDS: [&str; 12] = [
    "casino",
    "jackpot",
    "bonus",
    "viagra",
    "cheap",
    "pills",
    "loans",
    "winner",
    "crypto",
    "guaranteed",
    "discount",
    "bitcoin",
];
const HAM_WORDS: [&str; 12] = [
    "posture",
    "article",
    "helpful",
    "physiotherapist",
    "stretching",
    "lumbar",
    "pillow",
    "mattress",
    "thanks",
    "exercises",
    "doctor",
    "recovery",
];

/// The `i`-th comment of a kind: a few of its words, and (for spam) a link.
fn text(words: &[&str], i: usize, spam: bool) -> String {
    let picked: Vec<&str> = (0..5)
        .map(|k| words[(i * 7 + k * 5) % words.len()])
        .collect();
    if spam {
        format!(
            "{} at https://best-{}.casino-{i}.example.net now!",
            picked.join(" "),
            picked[0]
        )
    } else {
        format!(
            "I found the {} part {} — {} for writing this ({i}).",
            picked[0],
            picked[1..].join(" "),
            picked[4]
        )
    }
}

/// Stores a held comment as a reader's submission would.
fn held(app: &TestApp, post: &Post, body: &str, author: &str, ip: &str) -> Comment {
    create_comment(
        &mut app.conn(),
        &NewComment {
            post_id: post.id,
            parent_id: None,
            author_name: author.to_owned(),
            author_email: format!("{}@example.org", author.to_lowercase().replace(' ', ".")),
            author_url: String::new(),
            author_ip: ip.to_owned(),
            user_agent: "Mozilla/5.0".to_owned(),
            user_id: None,
            body_source: body.to_owned(),
            body_html: format!("<p>{body}</p>"),
            verdict: Verdict::Pending,
            dedupe_key: None,
            spam_score: 0.5,
            spam_why: String::new(),
        },
    )
    .unwrap()
}

/// Moderates `ids` with a bulk action from the comments screen.
async fn bulk(app: &TestApp, action: &str, ids: &[i64]) {
    let names: Vec<String> = ids.iter().map(|id| format!("c{id}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("action", action), ("return_to", "/admin/comments")];
    fields.extend(names.iter().map(|name| (name.as_str(), "1")));
    let answer = app.admin_post("/admin/comments/bulk", &fields).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
}

fn learnt(app: &TestApp) -> (i64, i64) {
    let seen = ferropress::models::spam::learnt(&mut app.conn()).unwrap();
    (seen.spam, seen.ham)
}

fn outbox_rows(app: &TestApp) -> i64 {
    outbox::table.count().get_result(&mut app.conn()).unwrap()
}

/// Trains the filter as moderators would: 60 spam, 60 approved.
async fn train(app: &TestApp, post: &Post) {
    let mut spam_ids = Vec::new();
    let mut ham_ids = Vec::new();
    for i in 0..60 {
        spam_ids.push(
            held(
                app,
                post,
                &text(&SPAM_WORDS, i, true),
                "Best Casino",
                &format!("198.51.100.{}", i % 250),
            )
            .id,
        );
        ham_ids.push(
            held(
                app,
                post,
                &text(&HAM_WORDS, i, false),
                &format!("Reader {i}"),
                &format!("203.0.113.{}", i % 250),
            )
            .id,
        );
    }
    bulk(app, "spam", &spam_ids).await;
    bulk(app, "approve", &ham_ids).await;
    assert_eq!(learnt(app), (60, 60));
}

/// A reader's submission through the form; the stored comment.
async fn submit(app: &TestApp, post: &Post, body: &str, author: &str) -> Comment {
    let mut fields = app.comment_fields(body);
    fields[1].1 = author.to_owned();
    let answer = app.post_comment_as_stranger(post, &fields).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    comments::table
        .filter(comments::body_source.eq(body))
        .select(Comment::as_select())
        .first(&mut app.conn())
        .unwrap()
}

on_both_backends! {
    async fn what_moderators_teach_it_sorts_the_queue(app) {
        let post = app.publish("Sleep and posture", "Body.", 1, &[]);
        app.log_in_as(Role::Admin).await;
        // Untrained, it only scores: the dashboard says it is learning.
        let (_, dashboard) = app.get_page("/admin/").await;
        assert!(dashboard.contains("Still learning: it has seen 0 of 50 spam and 0 of 50 approved comments"), "{dashboard}");
        train(&app, &post).await;
        let (_, dashboard) = app.get_page("/admin/").await;
        assert!(dashboard.contains("Trained on 60 spam and 60 approved comments"), "{dashboard}");

        // Spam like what it was taught: to Spam, and no moderator is mailed.
        let mails_before = outbox_rows(&app);
        let spam = submit(&app, &post, &text(&SPAM_WORDS, 71, true), "Best Casino").await;
        assert_eq!(spam.status, CommentStatus::Spam, "score {}", spam.spam_score);
        assert!(spam.spam_score >= 0.99, "{}", spam.spam_score);
        assert_eq!(outbox_rows(&app), mails_before, "no mail about spam");
        // A comment like the approved ones: held as the rules say, scored low, mailed.
        let ham = submit(&app, &post, &text(&HAM_WORDS, 73, false), "New Reader").await;
        assert_eq!(ham.status, CommentStatus::Pending);
        assert!(ham.spam_score < 0.1, "{}", ham.spam_score);
        assert!(outbox_rows(&app) > mails_before, "moderators hear of the held one");

        // The queue shows each score and why; the Pending tab sorts by it.
        let (_, spam_tab) = app.get_page("/admin/comments?status=spam").await;
        let row = spam_tab.split(&format!("id=\"comment-{}\"", spam.id)).nth(1).unwrap();
        assert!(row.contains("Spam score 1.00 · Why? "), "{row}");
        let low = held(&app, &post, "casino jackpot bonus cheap pills", "Someone", "192.0.2.1");
        ferropress::models::comment::set_comment_status(&mut app.conn(), low.id, CommentStatus::Pending).unwrap();
        diesel::update(comments::table.find(low.id)).set(comments::spam_score.eq(0.93)).execute(&mut app.conn()).unwrap();
        let (_, by_score) = app.get_page("/admin/comments?status=pending&orderby=score").await;
        let first = by_score.find(&format!("id=\"comment-{}\"", low.id)).unwrap();
        let second = by_score.find(&format!("id=\"comment-{}\"", ham.id)).unwrap();
        assert!(first < second, "most spam-like first");
        assert!(by_score.contains("href=\"/admin/comments?status=pending\">Newest first</a>"));

        // A change of mind unlearns: "Not spam" takes the lesson back.
        let taught = comments::table.filter(comments::status.eq(CommentStatus::Spam)).filter(comments::trained_as.is_not_null()).select(comments::id).first::<i64>(&mut app.conn()).unwrap();
        bulk(&app, "notspam", &[taught]).await;
        assert_eq!(learnt(&app), (59, 60));
        // Approving it teaches the opposite; the trash teaches nothing.
        bulk(&app, "approve", &[taught]).await;
        assert_eq!(learnt(&app), (59, 61));
        bulk(&app, "trash", &[taught]).await;
        assert_eq!(learnt(&app), (59, 61));
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn two_processes_share_one_model() {
    let Some(first) = TestApp::spawn(ferropress::db::Backend::Postgres).await else {
        return;
    };
    let second = first.spawn_beside(None);
    let post = first.publish("Shared", "Body.", 1, &[]);
    first.log_in_as(Role::Admin).await;
    train(&first, &post).await;
    // Taught through the first process; the second one acts on it.
    let spam = submit(&second, &post, &text(&SPAM_WORDS, 91, true), "Best Casino").await;
    assert_eq!(
        spam.status,
        CommentStatus::Spam,
        "score {}",
        spam.spam_score
    );
}

on_both_backends! {
    async fn every_action_has_an_undo_that_puts_comments_back(app) {
        let post = app.publish("Undo me", "Body.", 1, &[]);
        app.log_in_as(Role::Admin).await;
        let first = held(&app, &post, "One comment", "Ann", "192.0.2.1");
        let second = held(&app, &post, "Another comment", "Bob", "192.0.2.2");
        bulk(&app, "approve", &[first.id]).await;
        let answer = app.admin_post("/admin/comments/bulk", &[("action", "spam"), ("return_to", "/admin/comments"), (&format!("c{}", first.id), "1"), (&format!("c{}", second.id), "1")]).await;
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let undo = location.split("undo=").nth(1).expect("an undo in the notice").to_owned();
        assert_eq!(undo, format!("{}.approved,{}.pending", first.id, second.id));
        let (_, page) = app.get_page(&location).await;
        assert!(page.contains("2 comments marked as spam.") && page.contains(&format!("name=\"undo\" value=\"{undo}\"")), "{page}");
        let learnt_before = learnt(&app);
        let answer = app.admin_post("/admin/comments/undo", &[("undo", &undo), ("return_to", "/admin/comments?status=spam")]).await;
        assert_eq!(answer.headers()["location"], "/admin/comments?status=spam&done=undone&n=2");
        let status = |id: i64| comments::table.find(id).select(comments::status).first::<CommentStatus>(&mut app.conn()).unwrap();
        assert_eq!((status(first.id), status(second.id)), (CommentStatus::Approved, CommentStatus::Pending));
        // What the spam decision taught is untaught with it.
        assert_eq!(learnt(&app), (learnt_before.0 - 2, learnt_before.1 + 1));
        // Nonsense is ignored, and deleting for good offers no undo.
        let answer = app.admin_post("/admin/comments/undo", &[("undo", "12.nothing,x"), ("return_to", "/admin/comments")]).await;
        assert_eq!(answer.headers()["location"], "/admin/comments");
        bulk(&app, "trash", &[second.id]).await;
        let answer = app.admin_post("/admin/comments/bulk", &[("action", "delete"), ("return_to", "/admin/comments"), (&format!("c{}", second.id), "1")]).await;
        assert!(!answer.headers()["location"].to_str().unwrap().contains("undo="));
    }
}
