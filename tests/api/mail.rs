//! SPEC §4: every email through the durable outbox — moderators, reply
//! subscribers (double opt-in, one-click unsubscribe), post authors — and
//! delivery that survives SMTP outages, crashes and several processes.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use ferropress::db::schema::{action_tokens, outbox};
use ferropress::domain::{CommentStatus, OutboxStatus, Role};
use ferropress::mail::outbox::{claim_due, count_outbox, enqueue, NewEmail};
use ferropress::models::post::NewPost;
use ferropress::models::setting::keys;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::smtp::SmtpSink;

/// Waits until the outbox holds no message still to send.
/// Past the worker's lease in tests (2 s): a message claimed but not yet
/// marked would be sent again after it, so duplicates show only then.
const LONGER_THAN_A_LEASE: Duration = Duration::from_millis(2500);

async fn wait_until_delivered(app: &TestApp) {
    let started = Instant::now();
    loop {
        let pending = count_outbox(&mut app.conn(), OutboxStatus::Pending).unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{pending} messages still pending"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn outbox_kinds(app: &TestApp) -> Vec<String> {
    outbox::table
        .order(outbox::id.asc())
        .select(outbox::kind)
        .load(&mut app.conn())
        .unwrap()
}

fn stranger() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

on_both_backends_with_mail! {
    async fn a_held_comment_mails_every_moderator_with_its_details_and_links(app, sink) {
        app.create_staff("admin@example.com", Role::Admin).await;
        let quiet = app.create_staff("quiet@example.com", Role::Moderator).await;
        ferropress::models::user::set_notify_comments(&mut app.conn(), quiet.id, false).unwrap();
        app.set_setting(keys::NOTIFY_EMAIL, "desk@example.com").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("Does this *help* with neck pain?");
        fields[3].1 = "https://ann.example/".to_owned();
        assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(count_outbox(&mut app.conn(), OutboxStatus::Pending).unwrap() + count_outbox(&mut app.conn(), OutboxStatus::Sent).unwrap(), 2,
            "written with the comment, before the answer");

        let mails = sink.wait_for(2).await;
        let mut recipients: Vec<String> = mails.iter().flat_map(|mail| mail.envelope_to.clone()).collect();
        recipients.sort();
        assert_eq!(recipients, ["admin@example.com", "desk@example.com"], "not the moderator who turned mail off");
        let mail = &sink.to("admin@example.com")[0];
        assert_eq!(mail.subject(), "[ferropress] Please moderate: \"A post\"");
        assert!(mail.header("From").unwrap().contains("<ferropress@127.0.0.1>"), "{:?}", mail.header("From"));
        assert_eq!(mail.envelope_from, "ferropress@127.0.0.1");
        assert!(mail.header("Date").is_some());
        assert!(mail.header("Message-ID").unwrap().starts_with("<moderate-"));
        assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"));
        let comment = app.comments_of(&post).remove(0);
        for part in [mail.text(), mail.html()] {
            assert!(part.contains("Ann Reader") && part.contains("ann.reader@example.com"), "{part}");
            assert!(part.contains("127.0.0.1") && part.contains("https://ann.example/"));
            assert!(part.contains("Does this *help* with neck pain?"));
            assert!(part.contains(&format!("{}#comment-{}", post.permalink(), comment.id)));
            assert!(part.contains("/moderate/") && part.contains("/admin/comments?status=pending"));
        }
        assert!(mail.text().contains("Approve it: http") && mail.text().contains("Spam it: http") && mail.text().contains("Trash it: http"));
    }
}

on_both_backends_with_mail! {
    async fn approved_comments_say_so_and_spam_sends_nothing(app, sink) {
        app.create_staff("admin@example.com", Role::Admin).await;
        app.approve_comments_automatically().await;
        let post = app.publish("A post", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("Approved at once.")).await;
        let mut spam = app.comment_fields("Cheap pills.");
        spam[6].1 = "bot".to_owned();
        app.post_comment(&post, &spam).await;
        let mails = sink.wait_for(1).await;
        assert_eq!(mails[0].subject(), "[ferropress] Comment: \"A post\"");
        assert!(!mails[0].text().contains("Approve it"), "nothing to approve");
        wait_until_delivered(&app).await;
        assert_eq!(outbox_kinds(&app), ["moderation"], "no mail for spam");
    }
}

on_both_backends_with_mail! {
    async fn moderation_links_confirm_before_acting_and_work_once(app, sink) {
        app.create_staff("admin@example.com", Role::Admin).await;
        let post = app.publish("A post", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("Please approve me.")).await;
        let mail = sink.wait_for(1).await.remove(0);
        let approve = mail.link_containing("/moderate/");
        let comment_id = app.comments_of(&post)[0].id;
        let status = |app: &TestApp| app.comments_of(&post)[0].status;
        assert_eq!(comment_id, app.comments_of(&post)[0].id);

        // A mail scanner opens every link: nothing changes.
        let opened = stranger().get(&approve).send().await.unwrap();
        assert_eq!(opened.status(), StatusCode::OK);
        let page = opened.text().await.unwrap();
        assert!(page.contains("Approve this comment?") && page.contains("Please approve me.") && page.contains(">Approve</button>"));
        assert_eq!(status(&app), CommentStatus::Pending);
        let head = stranger().head(&approve).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(status(&app), CommentStatus::Pending);

        // The button acts, without any login.
        let acted = stranger().post(&approve).send().await.unwrap();
        assert_eq!(acted.status(), StatusCode::OK);
        assert!(acted.text().await.unwrap().contains("The comment is approved."));
        assert_eq!(status(&app), CommentStatus::Approved);

        let again = stranger().post(&approve).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::GONE);
        assert!(again.text().await.unwrap().contains("This link has already been used"));
        assert_eq!(stranger().get(&approve).send().await.unwrap().status(), StatusCode::GONE);

        // The trash link still works, until it expires.
        let trash = mail.text().split_whitespace().filter(|word| word.contains("/moderate/")).nth(2).unwrap().to_owned();
        diesel::update(action_tokens::table.filter(action_tokens::purpose.eq("trash")))
            .set(action_tokens::expires_at.eq(ferropress::models::now() - 1))
            .execute(&mut app.conn())
            .unwrap();
        let expired = stranger().post(&trash).send().await.unwrap();
        assert_eq!(expired.status(), StatusCode::GONE);
        assert!(expired.text().await.unwrap().contains("This link has expired"));
        assert_eq!(status(&app), CommentStatus::Approved);

        let mut forged = approve.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        assert_eq!(stranger().post(&forged).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}

on_both_backends_with_mail! {
    async fn reply_notifications_need_a_confirmed_address_and_carry_one_click_unsubscribe(app, sink) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::NOTIFY_MODERATORS, "0").await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut first = app.comment_fields("Tell me when someone answers.");
        first[2].1 = "asker@example.org".to_owned();
        first.push(("subscribe", "1".to_owned()));
        app.post_comment_as_stranger(&post, &first).await;
        let asked = app.comments_of(&post)[0].id;

        let confirmation = sink.wait_for(1).await.remove(0);
        assert_eq!(confirmation.envelope_to, ["asker@example.org"]);
        assert!(confirmation.subject().contains("Please confirm"));

        // A reply before confirming: nothing more goes to the unconfirmed address.
        let reply = |text: &str, email: &str| {
            let mut fields = app.comment_fields(text);
            fields[1].1 = "Replier Bob".to_owned();
            fields[2].1 = email.to_owned();
            fields[4].1 = asked.to_string();
            fields
        };
        assert_eq!(app.post_comment_as_stranger(&post, &reply("An early answer.", "bob@example.net")).await.status(), StatusCode::SEE_OTHER);
        wait_until_delivered(&app).await;
        assert_eq!(sink.to("asker@example.org").len(), 1, "only the confirmation");

        let confirm_link = confirmation.link_containing("/subscriptions/confirm/");
        let page = stranger().get(&confirm_link).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(">Confirm</button>"), "a scanner opening the link confirms nothing");
        assert_eq!(stranger().post(&confirm_link).send().await.unwrap().status(), StatusCode::OK);

        assert_eq!(app.post_comment_as_stranger(&post, &reply("A second answer, *after* confirming.", "bob@example.net")).await.status(), StatusCode::SEE_OTHER);
        // Replying to yourself mails nobody.
        let mut own = reply("Answering myself.", "asker@example.org");
        own[1].1 = "Asker".to_owned();
        assert_eq!(app.post_comment_as_stranger(&post, &own).await.status(), StatusCode::SEE_OTHER);
        wait_until_delivered(&app).await;
        let to_asker = sink.to("asker@example.org");
        assert_eq!(to_asker.len(), 2, "{:?}", to_asker.iter().map(|m| m.subject()).collect::<Vec<_>>());
        let notification = &to_asker[1];
        assert_eq!(notification.subject(), "[ferropress] New reply to your comment on \"A post\"");
        let text = notification.text();
        assert!(text.contains("Replier Bob replied") && text.contains("A second answer, *after* confirming."));
        assert!(text.contains(&post.permalink()));
        assert!(!text.contains("bob@example.net") && !notification.html().contains("bob@example.net"), "never the replier's email");
        let list_unsubscribe = notification.header("List-Unsubscribe").unwrap();
        assert_eq!(notification.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        let unsubscribe = list_unsubscribe.trim_matches(['<', '>']).to_owned();
        assert!(text.contains(&unsubscribe));

        // RFC 8058 one-click: a POST without session or CSRF token.
        let one_click = stranger()
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(one_click.status(), StatusCode::OK);
        assert_eq!(app.post_comment_as_stranger(&post, &reply("A third answer.", "bob@example.net")).await.status(), StatusCode::SEE_OTHER);
        wait_until_delivered(&app).await;
        assert_eq!(sink.to("asker@example.org").len(), 2, "unsubscribed");
    }
}

on_both_backends_with_mail! {
    async fn a_post_author_hears_when_a_comment_is_approved(app, sink) {
        app.set_setting(keys::NOTIFY_MODERATORS, "0").await;
        let author = app.create_staff("author@example.com", Role::Editor).await;
        let mut new_post = NewPost::published("Author's post", "Body.");
        new_post.author_id = Some(author.id);
        let post = app.create_post(new_post);
        assert_eq!(app.post_comment(&post, &app.comment_fields("Held first.")).await.status(), StatusCode::SEE_OTHER);
        wait_until_delivered(&app).await;
        assert!(sink.received().is_empty(), "nothing while it is held");
        app.log_in_as(Role::Moderator).await;
        let id = app.comments_of(&post)[0].id;
        app.admin_post(&format!("/admin/comments/{id}/approve"), &[]).await;
        let mail = sink.wait_for(1).await.remove(0);
        assert_eq!(mail.envelope_to, ["author@example.com"]);
        assert!(mail.subject().contains("New comment on \"Author's post\""));
        assert!(mail.text().contains("Held first."));
        // Approving again (after unapproving) mails nobody twice.
        app.admin_post(&format!("/admin/comments/{id}/unapprove"), &[]).await;
        app.admin_post(&format!("/admin/comments/{id}/approve"), &[]).await;
        wait_until_delivered(&app).await;
        assert_eq!(sink.received().len(), 1);
    }
}

on_both_backends_with_mail! {
    async fn names_and_titles_with_line_breaks_cannot_inject_headers(app, sink) {
        app.create_staff("admin@example.com", Role::Admin).await;
        let post = app.create_post(NewPost::published("Hello\r\nBcc: victim@example.net\r\nX-Evil: 1", "Body."));
        let mut fields = app.comment_fields("Injected?");
        fields[1].1 = "Mallory\r\nBcc: victim@example.net".to_owned();
        app.post_comment(&post, &fields).await;
        let mail = sink.wait_for(1).await.remove(0);
        assert_eq!(mail.envelope_to, ["admin@example.com"]);
        let headers: String = mail.raw.split("\r\n\r\n").next().unwrap().to_owned();
        for line in headers.lines() {
            assert!(!line.to_ascii_lowercase().starts_with("bcc:") && !line.to_ascii_lowercase().starts_with("x-evil:"), "{line}");
        }
        assert!(mail.subject().starts_with("[ferropress] Please moderate: \"Hello"));
    }
}

on_both_backends_with_mail! {
    async fn an_smtp_outage_delays_mail_but_delivers_each_message_once(app, sink) {
        app.create_staff("admin@example.com", Role::Admin).await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        sink.set_down(true);
        let post = app.publish("A post", "Body.", 1, &[]);
        for n in 0..3 {
            app.post_comment(&post, &app.comment_fields(&format!("Comment {n} during the outage."))).await;
        }
        let started = Instant::now();
        loop {
            let retried: i64 = outbox::table.filter(outbox::attempts.gt(0)).count().get_result(&mut app.conn()).unwrap();
            if retried == 3 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no attempts made");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let error: Option<String> = outbox::table.select(outbox::last_error).first(&mut app.conn()).unwrap();
        assert!(error.is_some(), "the error is recorded");
        app.log_in_as(Role::Admin).await;
        let panel = app.get("/admin/outbox").await.text().await.unwrap();
        assert!(panel.contains("not been delivered yet"), "a banner says so");
        assert!(sink.received().is_empty());

        sink.set_down(false);
        let mails = sink.wait_for(3).await;
        wait_until_delivered(&app).await;
        tokio::time::sleep(LONGER_THAN_A_LEASE).await;
        let mut ids: Vec<String> = sink.received().iter().map(|mail| mail.header("Message-ID").unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        assert_eq!(sink.received().len(), mails.len(), "none twice");
        assert_eq!(count_outbox(&mut app.conn(), OutboxStatus::Sent).unwrap(), 3);
    }
}

on_both_backends! {
    async fn mail_written_while_delivery_is_off_or_claimed_by_a_crashed_worker_is_not_lost(app) {
        // No SMTP: mail waits, and the panel says why.
        app.create_staff("admin@example.com", Role::Admin).await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        for n in 0..4 {
            app.post_comment_as_stranger(&post, &app.comment_fields(&format!("Comment {n}."))).await;
        }
        app.log_in_as(Role::Admin).await;
        assert!(app.get("/admin/").await.text().await.unwrap().contains("Email delivery is off"));
        let outbox_page = app.get("/admin/outbox").await.text().await.unwrap();
        assert_eq!(outbox_page.matches("<tr id=\"mail-").count(), 4);

        // A worker that claimed two messages and died mid-batch.
        let claimed = claim_due(&mut app.conn(), 2, 1).unwrap();
        assert_eq!(claimed.len(), 2);

        // A new `serve` with SMTP over the same database delivers all four, once each.
        let sink = SmtpSink::start().await;
        let restarted = app.spawn_beside(Some(sink.url()));
        sink.wait_for(4).await;
        wait_until_delivered(&restarted).await;
        tokio::time::sleep(LONGER_THAN_A_LEASE).await;
        assert_eq!(sink.received().len(), 4);
        assert_eq!(count_outbox(&mut app.conn(), OutboxStatus::Sent).unwrap(), 4);
    }
}

/// The `n`-th of a run of plain test messages, Message-IDs named `run`.
fn test_email(n: usize, run: &str) -> NewEmail {
    NewEmail {
        kind: "test",
        recipient: format!("reader{n}@example.org"),
        subject: format!("Message {n}"),
        body_text: "Hello.".into(),
        body_html: "<p>Hello.</p>".into(),
        headers: Vec::new(),
        message_id: format!("<{run}-{n}@ferropress.test>"),
    }
}

on_both_backends! {
    async fn a_message_queued_twice_in_one_transaction_is_kept_once_and_the_rest_commits(app) {
        let email = |n: usize| test_email(n, "twice");
        let queued = app
            .conn()
            .transaction(|conn| -> QueryResult<Vec<bool>> {
                Ok(vec![
                    enqueue(conn, &email(1))?,
                    enqueue(conn, &email(1))?,
                    // The transaction goes on after the duplicate.
                    enqueue(conn, &email(2))?,
                ])
            })
            .unwrap();
        assert_eq!(queued, vec![true, false, true]);
        let kept: Vec<String> = outbox::table
            .order(outbox::id)
            .select(outbox::message_id)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(kept, vec!["<twice-1@ferropress.test>", "<twice-2@ferropress.test>"]);
    }
}

on_both_backends! {
    async fn the_outbox_screen_lists_mail_and_retries_on_demand(app) {
        app.create_staff("admin@example.com", Role::Admin).await;
        let post = app.publish("A post", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("Mail me.")).await;
        let id: i64 = outbox::table.select(outbox::id).first(&mut app.conn()).unwrap();
        diesel::update(outbox::table.find(id))
            .set((outbox::attempts.eq(3), outbox::last_error.eq("connection refused"), outbox::next_attempt_at.eq(ferropress::models::now() + 3600)))
            .execute(&mut app.conn())
            .unwrap();
        app.log_in_as(Role::Admin).await;
        let page = app.get("/admin/outbox").await.text().await.unwrap();
        assert!(page.contains("admin@example.com") && page.contains("Please moderate") && page.contains("connection refused"));
        let retried = app.admin_post(&format!("/admin/outbox/{id}/retry"), &[]).await;
        assert_eq!(retried.status(), StatusCode::SEE_OTHER);
        let due: i64 = outbox::table.find(id).select(outbox::next_attempt_at).first(&mut app.conn()).unwrap();
        assert!(due <= ferropress::models::now());
        app.log_in_as(Role::Editor).await;
        assert_eq!(app.get("/admin/outbox").await.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn two_serve_processes_on_one_postgres_database_deliver_each_message_once() {
    let Some(database_url) = crate::helpers::fresh_postgres_url() else {
        return;
    };
    let sink = SmtpSink::start().await;
    // Migrate, then queue 200 messages.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ferropress"))
        .arg("migrate")
        .env("DATABASE_URL", &database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(status.status.success());
    let pool = ferropress::db::connect(
        &ferropress::db::DatabaseUrl::parse(&database_url).unwrap(),
        2,
    )
    .unwrap();
    let mut conn = pool.get().unwrap();
    for n in 0..200 {
        assert!(enqueue(&mut conn, &test_email(n, "bulk")).unwrap());
    }
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferropress"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", &database_url)
            .env("FERROPRESS_SMTP_URL", sink.url())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut first, mut second) = (spawn(), spawn());
    let started = Instant::now();
    while count_outbox(&mut conn, OutboxStatus::Sent).unwrap() < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not all delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(LONGER_THAN_A_LEASE).await;
    for child in [&mut first, &mut second] {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    let received = sink.received();
    let mut ids: Vec<String> = received
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "every message arrived");
    assert_eq!(received.len(), 200, "none twice");
}

on_both_backends_with_mail! {
    async fn a_burst_of_comments_is_stored_whole_each_with_its_mail(app, _sink) {
        // Comments are committed in groups: a burst shares transactions, and
        // one refused comment (a duplicate) must not take the others down.
        app.create_staff("admin@example.com", Role::Admin).await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "1000").await;
        // One mail per comment, however many (no digest).
        app.set_setting(keys::DIGEST_AFTER, "0").await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        let mut forms: Vec<Vec<(&'static str, String)>> = (0..30)
            .map(|n| {
                let mut fields = app.comment_fields(&format!("Comment number {n} in the burst."));
                fields[2].1 = format!("reader{n}@example.com");
                fields
            })
            .collect();
        forms.push(forms[7].clone());
        let sending: Vec<_> = forms
            .into_iter()
            .map(|fields| {
                let request = stranger().post(app.url(&post.permalink())).form(&fields);
                tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
            })
            .collect();
        let mut answers = Vec::new();
        for answer in sending {
            answers.push(answer.await.unwrap());
        }
        assert_eq!(answers.iter().filter(|status| **status == 303).count(), 30, "{answers:?}");
        assert_eq!(answers.iter().filter(|status| **status == 409).count(), 1, "{answers:?}");
        assert_eq!(app.comments_of(&post).len(), 30, "every accepted comment, once");
        let by_status: Vec<i64> = OutboxStatus::ALL.iter().map(|status| count_outbox(&mut app.conn(), *status).unwrap()).collect();
        assert_eq!(by_status.iter().sum::<i64>(), 30, "one moderation mail per accepted comment, none for the duplicate (pending, sent, failed: {by_status:?})");
    }
}

/// A comment form's fields.
type Fields = Vec<(&'static str, String)>;
/// What is sent, its fields, its user agent, where it lands, and the subject of its mail.
type Case<'a> = (&'a str, Fields, &'a str, &'a str, Option<&'a str>);

on_both_backends_with_mail! {
    async fn moderation_and_disallowed_words_work_through_real_submissions(app, sink) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        app.set_setting("notify_email", "moderator@example.com").await;
        app.set_setting(keys::MODERATION_WORDS, "heldword\nholdagent").await;
        app.set_setting(keys::DISALLOWED_WORDS, "spamword").await;
        let post = app.publish("Words post", "Body.", 1, &[]);
        let send = |text: &str, change: &dyn Fn(&mut Fields)| {
            let mut fields = app.comment_fields(text);
            change(&mut fields);
            fields
        };
        // (what, fields, user agent, expected status, expected mail subject prefix)
        let cases: Vec<Case> = vec![
            ("plain", send("Nothing odd here.", &|_| {}), "Mozilla", "approved", Some("[ferropress] Comment:")),
            ("word in text", send("This has heldword in it.", &|_| {}), "Mozilla", "pending", Some("[ferropress] Please moderate:")),
            ("word in name", send("Fine text 1.", &|f| f[1].1 = "Heldword Fan".to_owned()), "Mozilla", "pending", Some("[ferropress] Please moderate:")),
            ("word in email", send("Fine text 2.", &|f| f[2].1 = "heldword@example.com".to_owned()), "Mozilla", "pending", Some("[ferropress] Please moderate:")),
            ("word in url", send("Fine text 3.", &|f| f[3].1 = "https://heldword.example/".to_owned()), "Mozilla", "pending", Some("[ferropress] Please moderate:")),
            ("word in user agent", send("Fine text 4.", &|_| {}), "HoldAgent/1.0", "pending", Some("[ferropress] Please moderate:")),
            ("two links", send("See https://a.example and https://b.example too.", &|_| {}), "Mozilla", "pending", Some("[ferropress] Please moderate:")),
            ("disallowed word", send("Buy spamword now.", &|_| {}), "Mozilla", "spam", None),
        ];
        for (n, (what, mut fields, agent, status, subject)) in cases.into_iter().enumerate() {
            fields[2].1 = if fields[2].1.starts_with("heldword") { fields[2].1.clone() } else { format!("case{n}@example.com") };
            let before = sink.received().len();
            let response = crate::helpers::fresh_client()
                .post(app.url(&post.permalink()))
                .header("User-Agent", agent)
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{what}");
            let stored = app.comments_of(&post).pop().unwrap();
            assert_eq!(stored.status.as_str(), status, "{what}");
            wait_until_delivered(&app).await;
            let new_mail: Vec<String> = sink.received()[before..].iter().map(|mail| mail.subject()).collect();
            match subject {
                Some(prefix) => assert!(new_mail.len() == 1 && new_mail[0].starts_with(prefix), "{what}: {new_mail:?}"),
                None => assert!(new_mail.is_empty(), "{what}: spam mails nobody: {new_mail:?}"),
            }
        }
    }
}

on_both_backends_with_mail! {
    async fn a_reply_mail_links_to_every_subscription_with_a_stop_for_each(app, sink) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::NOTIFY_MODERATORS, "0").await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let first_post = app.publish("First post", "Body.", 2, &[]);
        let second_post = app.publish("Second post", "Body.", 1, &[]);
        let ask = |text: &str| {
            let mut fields = app.comment_fields(text);
            fields[2].1 = "asker@example.org".to_owned();
            fields.push(("subscribe", "1".to_owned()));
            fields
        };
        app.post_comment_as_stranger(&first_post, &ask("On the first post.")).await;
        let confirmation = sink.wait_for(1).await.remove(0);
        stranger().post(confirmation.link_containing("/subscriptions/confirm/")).send().await.unwrap();
        app.post_comment_as_stranger(&second_post, &ask("On the second post.")).await;
        let asked = app.comments_of(&first_post)[0].id;
        let mut reply = app.comment_fields("An answer.");
        reply[1].1 = "Replier Bob".to_owned();
        reply[2].1 = "bob@example.net".to_owned();
        reply[4].1 = asked.to_string();
        app.post_comment_as_stranger(&first_post, &reply).await;
        wait_until_delivered(&app).await;
        let notification = sink.to("asker@example.org").pop().unwrap();
        assert!(notification.subject().contains("New reply"));
        let manage = notification.link_containing("/subscriptions/manage/");
        assert!(notification.html().contains(&manage.replace('&', "&amp;")));

        // No login: the signed link lists both posts, never the address.
        let page = stranger().get(&manage).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(page.contains("First post") && page.contains("Second post"), "{page}");
        assert!(!page.contains("asker@example.org"));
        assert!(page.contains("Unsubscribe from all"));
        // Stop one post: the other stays.
        let stop = format!("{}/post/{}", manage, first_post.id);
        let stopped = stranger().post(&stop).send().await.unwrap();
        assert_eq!(stopped.status(), StatusCode::OK);
        let stopped = crate::helpers::main_content(&stopped.text().await.unwrap());
        assert!(stopped.contains("no more emails about replies on that post"));
        assert!(!stopped.contains(">First post<") && stopped.contains(">Second post<"), "{stopped}");
        reply[0].1 = "Another answer, not mailed.".to_owned();
        app.post_comment_as_stranger(&first_post, &reply).await;
        wait_until_delivered(&app).await;
        assert_eq!(sink.to("asker@example.org").len(), 2, "confirmation and the first reply only");
        // A forged link finds nothing.
        let mut forged = manage.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        assert_eq!(stranger().get(&forged).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(stranger().post(format!("{forged}/post/{}", second_post.id)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}
