//! SPEC §3: every answer a comment submission can get, checked for status,
//! message, kept values, and the rows in the database.

use ferropress::db::Backend;
use ferropress::domain::CommentStatus;
use ferropress::models::comment::set_comment_status;
use ferropress::models::now;
use ferropress::models::post::NewPost;
use ferropress::models::setting::keys;
use ferropress::routes::comments::view::form_token;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn set(fields: &mut [(&'static str, String)], name: &str, value: &str) {
    for field in fields.iter_mut() {
        if field.0 == name {
            field.1 = value.to_owned();
        }
    }
}

/// The attributes of a tag's inside (`a href="x" rel=y`), quoted values skipped over.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = tag.trim_start_matches(|c: char| !c.is_whitespace());
    loop {
        rest = rest.trim_start();
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        if name_end == 0 {
            break;
        }
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted.find('"').unwrap_or(quoted.len());
                value = quoted[..end].to_owned();
                rest = quoted.get(end + 1..).unwrap_or_default();
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                value = after[..end].to_owned();
                rest = &after[end..];
            }
        }
        found.push((name, value));
    }
    found
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

on_both_backends! {
    async fn held_comment_answers_303_and_is_seen_only_by_its_author(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let response = app.post_comment(&post, &app.comment_fields("My *first* thought.")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let rows = app.comments_of(&post);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, CommentStatus::Pending);
        assert_eq!(rows[0].author_email, "ann.reader@example.com");
        assert_eq!(location(&response), format!("{}#comment-{}", post.permalink(), rows[0].id));
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("ann.reader"), "the cookie names ids, not the email");

        let (_, own_view) = app.get_page(&post.permalink()).await;
        assert!(own_view.contains(&format!("id=\"comment-{}\"", rows[0].id)));
        assert!(own_view.contains("Your comment is awaiting moderation."));
        assert!(own_view.contains("My <em>first</em> thought."));

        let (_, stranger_view) = app.get_page_as_stranger(&post.permalink()).await;
        assert!(!stranger_view.contains("My <em>first</em> thought."));
        assert!(!stranger_view.contains("awaiting moderation"));
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("No Comments"), "held comments are not counted");
    }
}

on_both_backends! {
    async fn approved_comments_are_seen_by_everyone_and_counted(app) {
        app.approve_comments_automatically().await;
        let neck = app.create_category("Neck", "");
        let post = app.publish("A post", "Body.", 1, &[neck.id]);
        let response = app.post_comment(&post, &app.comment_fields("Very helpful, thank you.")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // Nothing to hide: only the short-lived mark that renders this
        // reader's next pages for them (so they see their comment at once),
        // and the one that lets them edit it for ten minutes.
        let cookies: Vec<&str> = response.headers().get_all("set-cookie").iter().map(|value| value.to_str().unwrap()).collect();
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        assert!(cookies[0].starts_with("ferropress_fresh=1;") && cookies[0].contains("Max-Age=30"), "{cookies:?}");
        assert!(cookies[1].starts_with(&format!("ferropress_edit_{}=", app.comments_of(&post)[0].id)) && cookies[1].contains("Max-Age=600"), "{cookies:?}");
        let rows = app.comments_of(&post);
        assert_eq!(rows[0].status, CommentStatus::Approved);

        let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
        assert!(page.contains("Very helpful, thank you."));
        assert!(page.contains("Ann Reader"));
        assert!(page.contains("1 Comment on “A post”"), "{page}");
        assert!(!page.contains("awaiting moderation"));
        for listing in ["/", "/category/neck/"] {
            let (_, html) = app.get_page_as_stranger(listing).await;
            assert!(html.contains("1 Comment<span"), "{listing}");
        }
        app.post_comment(&post, &app.comment_fields("A second one.")).await;
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("2 Comments<span"));
    }
}

on_both_backends! {
    async fn previously_approved_authors_are_approved_when_hold_all_is_off(app) {
        app.set_setting(keys::HOLD_ALL, "0").await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("First ever.")).await;
        let first = app.comments_of(&post).remove(0);
        assert_eq!(first.status, CommentStatus::Pending, "an unknown author waits");
        set_comment_status(&mut app.conn(), first.id, CommentStatus::Approved).unwrap();
        app.post_comment(&post, &app.comment_fields("Second time around.")).await;
        assert_eq!(app.comments_of(&post)[1].status, CommentStatus::Approved, "a known author does not");
        // The same address typed in other letters' case is the same author
        // (emails are matched case-blind, as WordPress on MySQL does); another
        // address is not.
        let mut shouted = app.comment_fields("Third, with caps lock on.");
        set(&mut shouted, "email", "ANN.Reader@Example.COM");
        app.post_comment(&post, &shouted).await;
        assert_eq!(app.comments_of(&post)[2].status, CommentStatus::Approved, "the same address");
        let mut other = app.comment_fields("Someone else.");
        set(&mut other, "email", "ann.reader@example.org");
        app.post_comment(&post, &other).await;
        assert_eq!(app.comments_of(&post)[3].status, CommentStatus::Pending, "another address");
    }
}

on_both_backends! {
    async fn invalid_fields_answer_422_with_messages_and_every_value_kept(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("Kept <text> & \"quotes\"");
        set(&mut fields, "author", "");
        set(&mut fields, "email", "not-an-email");
        set(&mut fields, "url", "javascript:alert(1)");
        let response = app.post_comment(&post, &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("Please enter your name."));
        assert!(html.contains("Please enter a valid email address."));
        assert!(html.contains("Please enter a website address starting with http:// or https://."));
        assert!(html.contains(">Kept &#60;text&#62; &#38; &#34;quotes&#34;</textarea>"), "{html}");
        assert!(html.contains("value=\"not-an-email\""));
        assert!(html.contains("value=\"javascript:alert(1)\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert_eq!(app.comments_of(&post).len(), 0);

        // Each required field alone, and the length limits.
        for (name, value, message) in [
            ("comment", "   ", "Please type your comment."),
            ("email", "", "Please enter your email address."),
            ("comment", &"x".repeat(10_001), "Your comment is too long: at most 10,000 characters."),
            ("author", &"n".repeat(101), "Your name is too long: at most 100 characters."),
        ] {
            let mut fields = app.comment_fields("Fine text");
            set(&mut fields, name, value);
            let response = app.post_comment(&post, &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{name}: {message}");
            let other_value = if name == "author" { "value=\"ann.reader@example.com\"" } else { "value=\"Ann Reader\"" };
            assert!(html.contains(other_value), "{name}: other values kept");
        }
        // A form without any field at all is a 422 too, not a bare 400.
        let response = app.client.post(app.url(&post.permalink())).form(&[("x", "y")]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.comments_of(&post).len(), 0);
    }
}

on_both_backends! {
    async fn duplicate_comment_answers_409_and_stores_one_row(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let fields = app.comment_fields("Same words twice.");
        assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        let mut again = fields.clone();
        set(&mut again, "email", "ANN.READER@EXAMPLE.COM");
        let response = app.post_comment(&post, &again).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let html = response.text().await.unwrap();
        assert!(html.contains("Duplicate comment detected; it looks as though you've already said that!"));
        assert!(html.contains(">Same words twice.</textarea>"));
        assert_eq!(app.comments_of(&post).len(), 1);

        // Two at once: the unique index lets exactly one through.
        let racing = app.comment_fields("Sent twice at the same moment.");
        let (first, second) = tokio::join!(app.post_comment_as_stranger(&post, &racing), app.post_comment_as_stranger(&post, &racing));
        let mut statuses = [first.status().as_u16(), second.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409]);
        assert_eq!(app.comments_of(&post).len(), 2);

        // The same text on another post is not a duplicate.
        let other = app.publish("Another post", "Body.", 1, &[]);
        assert_eq!(app.post_comment(&other, &fields).await.status(), StatusCode::SEE_OTHER);
    }
}

on_both_backends! {
    async fn a_transaction_planned_once_commits_rolls_back_and_nests_as_any_other(app) {
        // The group commit's and the cache refresh's transaction: on
        // PostgreSQL its `BEGIN` carries the `SET LOCAL` of the plan mode.
        use diesel::prelude::*;
        use ferropress::db::schema::settings;
        use ferropress::db::{planned_transaction, AnyConnection};
        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            mode: String,
        }
        let mode = |conn: &mut AnyConnection| -> Option<String> {
            match conn {
                AnyConnection::Postgresql(pg) => Some(
                    diesel::sql_query("SELECT current_setting('plan_cache_mode') AS mode")
                        .get_result::<Mode>(pg)
                        .unwrap()
                        .mode,
                ),
                AnyConnection::Sqlite(_) => None,
            }
        };
        let put = |conn: &mut AnyConnection, key: &str| {
            diesel::insert_into(settings::table)
                .values((settings::key.eq(key), settings::value.eq("x")))
                .execute(conn)
                .map(|_| ())
        };
        let postgres = app.state.config.database_url.backend == Backend::Postgres;
        let mut conn = app.conn();
        let inside = planned_transaction(&mut conn, |conn| {
            put(conn, "planned.a")?;
            Ok::<_, diesel::result::Error>(mode(conn))
        })
        .unwrap();
        assert_eq!(inside.is_some(), postgres);
        if postgres {
            assert_eq!(inside.as_deref(), Some("force_generic_plan"));
            // Only for the transaction.
            assert_eq!(mode(&mut conn).as_deref(), Some("auto"));
        }
        // A failure rolls it all back, and the connection is out of it.
        let failed = planned_transaction(&mut conn, |conn| {
            put(conn, "planned.b")?;
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        });
        assert!(matches!(failed, Err(diesel::result::Error::RollbackTransaction)));
        // A statement that fails in the database (a key taken twice), too.
        let failed = planned_transaction(&mut conn, |conn| {
            put(conn, "planned.c")?;
            put(conn, "planned.a")
        });
        assert!(matches!(failed, Err(diesel::result::Error::DatabaseError(..))), "{failed:?}");
        // Nested, a savepoint: only the inner work is undone.
        planned_transaction(&mut conn, |conn| {
            put(conn, "planned.d")?;
            let inner = planned_transaction(conn, |conn| {
                put(conn, "planned.e")?;
                Err::<(), _>(diesel::result::Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            put(conn, "planned.f")
        })
        .unwrap();
        let mut kept: Vec<String> = settings::table
            .filter(settings::key.like("planned.%"))
            .select(settings::key)
            .load(&mut conn)
            .unwrap();
        kept.sort();
        assert_eq!(kept, ["planned.a", "planned.d", "planned.f"]);
        if postgres {
            assert_eq!(mode(&mut conn).as_deref(), Some("auto"));
        }
    }
}

on_both_backends! {
    async fn a_failing_write_in_a_batch_leaves_no_trace_and_costs_the_others_nothing(app) {
        // The comment writer commits queued writes together, first without
        // a savepoint each; a failure (on PostgreSQL it aborts the whole
        // transaction) runs the batch again with one each. Writes queued
        // while the writer is busy form one batch.
        use diesel::prelude::*;
        use ferropress::db::schema::settings;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let runs = Arc::new(AtomicUsize::new(0));
        let put = |key: String, fail: Option<&'static str>| {
            let runs = runs.clone();
            move |conn: &mut ferropress::db::AnyConnection| -> Result<String, diesel::result::Error> {
                runs.fetch_add(1, Ordering::SeqCst);
                diesel::insert_into(settings::table).values((settings::key.eq(&key), settings::value.eq("x"))).execute(conn)?;
                match fail {
                    // A statement that fails in the database (a key taken twice).
                    Some("database") => {
                        diesel::insert_into(settings::table).values((settings::key.eq(&key), settings::value.eq("y"))).execute(conn)?;
                    }
                    // The job's own refusal after it wrote.
                    Some(_) => return Err(diesel::result::Error::RollbackTransaction),
                    None => {}
                }
                Ok(key.clone())
            }
        };
        let writer = &app.state.writer;
        let busy = writer.write(|_conn: &mut ferropress::db::AnyConnection| -> Result<(), diesel::result::Error> {
            std::thread::sleep(std::time::Duration::from_millis(400));
            Ok(())
        });
        let later = async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            tokio::join!(
                writer.write(put("batch.a".to_owned(), None)),
                writer.write(put("batch.b".to_owned(), Some("database"))),
                writer.write(put("batch.c".to_owned(), None)),
                writer.write(put("batch.d".to_owned(), Some("refused"))),
                writer.write(put("batch.e".to_owned(), None)),
            )
        };
        let (busy, (a, b, c, d, e)) = tokio::join!(busy, later);
        assert!(matches!(busy, Ok(Ok(()))));
        for (answer, key) in [(a, "batch.a"), (c, "batch.c"), (e, "batch.e")] {
            assert_eq!(answer.unwrap().unwrap(), key);
        }
        assert!(matches!(b, Ok(Err(diesel::result::Error::DatabaseError(..)))), "{b:?}");
        assert!(matches!(d, Ok(Err(diesel::result::Error::RollbackTransaction))), "{d:?}");
        let mut kept: Vec<String> = settings::table
            .filter(settings::key.like("batch.%"))
            .select(settings::key)
            .load(&mut app.conn())
            .unwrap();
        kept.sort();
        assert_eq!(kept, ["batch.a", "batch.c", "batch.e"]);
        // Together the first time, until a failure; then all five again, alone.
        let runs = runs.load(Ordering::SeqCst);
        assert!((6..=10).contains(&runs), "runs: {runs}");

        // A batch where nothing fails runs each job once.
        let before = Arc::new(AtomicUsize::new(0));
        let once = |key: &'static str| {
            let before = before.clone();
            move |conn: &mut ferropress::db::AnyConnection| -> Result<(), diesel::result::Error> {
                before.fetch_add(1, Ordering::SeqCst);
                diesel::insert_into(settings::table).values((settings::key.eq(key), settings::value.eq("x"))).execute(conn).map(drop)
            }
        };
        let (first, second) = tokio::join!(writer.write(once("batch.f")), writer.write(once("batch.g")));
        assert!(matches!((first, second), (Ok(Ok(())), Ok(Ok(())))));
        assert_eq!(before.load(Ordering::SeqCst), 2);

        // On PostgreSQL the writer's statements keep one plan whatever is
        // bound (none is planned again for each comment); readers' do not.
        #[derive(diesel::QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            mode: String,
        }
        let mode_of = |conn: &mut ferropress::db::AnyConnection| -> Result<Option<String>, diesel::result::Error> {
            match conn {
                ferropress::db::AnyConnection::Postgresql(pg) => diesel::sql_query("SELECT current_setting('plan_cache_mode') AS mode")
                    .get_result::<Mode>(pg)
                    .map(|row| Some(row.mode)),
                ferropress::db::AnyConnection::Sqlite(_) => Ok(None),
            }
        };
        let in_writer = writer.write(mode_of).await.unwrap().unwrap();
        let in_reader = mode_of(&mut app.conn()).unwrap();
        if app.state.config.database_url.backend == Backend::Postgres {
            assert_eq!(in_writer.as_deref(), Some("force_generic_plan"));
            assert_eq!(in_reader.as_deref(), Some("auto"));
        }
    }
}

on_both_backends! {
    async fn closed_posts_answer_403_and_keep_the_text(app) {
        let mut closed = NewPost::published("Closed post", "Body.");
        closed.allow_comments = false;
        let closed = app.create_post(closed);
        let (_, page) = app.get_page(&closed.permalink()).await;
        assert!(page.contains("Comments are closed.") && !page.contains("id=\"commentform\""));
        let response = app.post_comment(&closed, &app.comment_fields("Too late to say this.")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let html = response.text().await.unwrap();
        assert!(html.contains("Comments are closed."));
        assert!(html.contains(">Too late to say this.</textarea>"), "the text is kept");
        assert_eq!(app.comments_of(&closed).len(), 0);

        // Closing old posts by age.
        app.set_setting(keys::CLOSE_AFTER_DAYS, "14").await;
        let old = app.publish("Old post", "Body.", 30, &[]);
        let fresh = app.publish("Fresh post", "Body.", 3, &[]);
        assert_eq!(app.post_comment(&old, &app.comment_fields("Old.")).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.post_comment(&fresh, &app.comment_fields("Fresh.")).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.comments_of(&old).len(), 0);
    }
}

on_both_backends! {
    async fn too_many_comments_from_one_address_answer_429_with_retry_after(app) {
        app.set_setting(keys::COMMENTS_PER_MINUTE, "2").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        for n in 0..2 {
            let response = app.post_comment(&post, &app.comment_fields(&format!("Comment {n}"))).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        let response = app
            .client
            .post(app.url(&post.permalink()))
            .header("X-Forwarded-For", "198.51.100.7")
            .form(&app.comment_fields("One too many."))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "X-Forwarded-For is ignored unless trusted");
        let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let html = response.text().await.unwrap();
        assert!(html.contains("You are posting comments too quickly. Slow down."));
        assert!(html.contains(">One too many.</textarea>"));
        assert_eq!(app.comments_of(&post).len(), 2);
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |raw| {
        raw.trust_proxy = Some(ferropress::config::TomlBool::Bool(true));
    })
    .await
    else {
        return;
    };
    app.set_setting(keys::COMMENTS_PER_MINUTE, "1").await;
    let post = app.publish("A post", "Body.", 1, &[]);
    let send = |address: &'static str, text: &'static str| {
        app.client
            .post(app.url(&post.permalink()))
            .header("X-Forwarded-For", address)
            .form(&app.comment_fields(text))
            .send()
    };
    assert_eq!(
        send("198.51.100.1", "one").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send("198.51.100.2", "two").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send("198.51.100.1", "three").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let stored: Vec<String> = app
        .comments_of(&post)
        .into_iter()
        .map(|comment| comment.author_ip)
        .collect();
    assert_eq!(stored, ["198.51.100.1", "198.51.100.2"]);
}

on_both_backends! {
    async fn bots_look_accepted_but_are_stored_as_spam(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut honeypot = app.comment_fields("Buy things from my honeypot.");
        set(&mut honeypot, "fp_hp", "http://spam.example");
        let mut too_fast = app.comment_fields("Typed in no time at all.");
        set(&mut too_fast, "fp_ts", &form_token(&app.state.secret_key, now()));
        let mut forged = app.comment_fields("A forged form token.");
        set(&mut forged, "fp_ts", &format!("{}.abcdef", now() - 60));
        for fields in [&honeypot, &too_fast, &forged] {
            let response = app.post_comment(&post, fields).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "looks accepted");
        }
        let rows = app.comments_of(&post);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|comment| comment.status == CommentStatus::Spam), "{:?}", rows.iter().map(|c| &c.status).collect::<Vec<_>>());
        let (_, own) = app.get_page(&post.permalink()).await;
        assert!(own.contains("Typed in no time at all.") && own.contains("Your comment is awaiting moderation."));
        let (_, stranger) = app.get_page_as_stranger(&post.permalink()).await;
        assert!(!stranger.contains("Typed in no time at all."));
        assert!(stranger.contains("No Comments"));
    }
}

on_both_backends! {
    async fn bodies_over_64_kib_answer_413_and_store_nothing(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("");
        set(&mut fields, "comment", &"a".repeat(70 * 1024));
        let response = app.post_comment(&post, &fields).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(response.text().await.unwrap().contains("larger than this site accepts"));
        assert_eq!(app.comments_of(&post).len(), 0);
    }
}

on_both_backends! {
    async fn replies_nest_and_reply_links_work_without_javascript(app) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::THREAD_DEPTH, "3").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("Top level.")).await;
        let top = app.comments_of(&post)[0].id;

        let (_, page) = app.get_page(&post.permalink()).await;
        let reply_href = format!("{}?replytocom={top}#respond", post.permalink());
        assert!(page.contains(&format!("href=\"{reply_href}\"")), "{page}");
        let (_, reply_page) = app.get_page(&format!("{}?replytocom={top}", post.permalink())).await;
        assert!(reply_page.contains("Leave a Reply to \u{2068}Ann Reader\u{2069}"));
        assert!(reply_page.contains(&format!("name=\"parent\" value=\"{top}\"")));

        let mut parent = top;
        for depth in 2..=4 {
            let mut fields = app.comment_fields(&format!("Reply at depth {depth}."));
            set(&mut fields, "parent", &parent.to_string());
            assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER);
            parent = app.comments_of(&post).last().unwrap().id;
        }
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("comment depth-1") && page.contains("comment depth-2") && page.contains("comment depth-3"));
        assert!(!page.contains("depth-4"), "the deepest level holds deeper replies");
        assert_eq!(page.matches("<ol class=\"children\">").count(), 2);
        assert!(page.find("Top level.").unwrap() < page.find("Reply at depth 2.").unwrap());

        // A reply to a comment that is not there is refused with the text kept.
        let mut orphan = app.comment_fields("Reply to nothing.");
        set(&mut orphan, "parent", "999999");
        let response = app.post_comment(&post, &orphan).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains(">Reply to nothing.</textarea>"));
        assert_eq!(app.comments_of(&post).len(), 4);
    }
}

on_both_backends! {
    async fn hostile_comments_never_render_active(app) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::LINK_LIMIT, "0").await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let payloads = [
            "<script>alert('x')</script>",
            "[click](javascript:alert(1))",
            "[click](JAVASCRIPT:alert(1))",
            "<a href=\"javascript:alert(1)\">a</a>",
            "<img src=x onerror=alert(1)>",
            "<p onmouseover=alert(1)>hover</p>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![x](javascript:alert(1))",
            "<iframe src=//evil.example></iframe>",
            "[a](<javascript:alert(1)>)",
            "<svg onload=alert(1)>",
        ];
        for (index, payload) in payloads.iter().enumerate() {
            let mut fields = app.comment_fields(payload);
            set(&mut fields, "author", &format!("<b onclick=alert({index})>Mallory</b>"));
            set(&mut fields, "email", &format!("mallory{index}@example.com"));
            assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER, "{payload}");
        }
        let mut with_url = app.comment_fields("Linked name.");
        set(&mut with_url, "url", "https://ok.example/\" onmouseover=\"alert(1)");
        assert_eq!(app.post_comment(&post, &with_url).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
        let comments = &page[page.find("<ol class=\"comment-list\">").unwrap()..page.find("id=\"respond\"").unwrap()];
        assert_eq!(comments.matches("class=\"comment depth-1\"").count(), payloads.len());
        for tag in comments.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default().to_lowercase()) {
            let name = tag.split_whitespace().next().unwrap_or_default();
            // The only image: the identicon ferropress draws, from its own address.
            let avatar = tag.starts_with("img class=\"avatar\" src=\"/avatar/");
            assert!(!["script", "img", "iframe", "svg", "object", "embed", "style"].contains(&name) || avatar, "<{tag}>");
            for (attribute, value) in attributes(&tag) {
                assert!(!attribute.starts_with("on"), "event attribute in <{tag}>");
                assert!(attribute != "style", "<{tag}>");
                if attribute == "src" {
                    let key = value.strip_prefix("/avatar/").and_then(|rest| rest.strip_suffix(".svg")).unwrap_or_default();
                    assert!(avatar && key.len() == 32 && key.bytes().all(|byte| byte.is_ascii_hexdigit()), "<{tag}>");
                }
                if attribute == "href" {
                    assert!(!value.starts_with("javascript") && !value.starts_with("data") && !value.starts_with("vbscript"), "<{tag}>");
                }
            }
        }
        assert!(comments.contains("&lt;script&gt;alert"), "shown as text");
    }
}

on_both_backends! {
    async fn author_names_link_to_their_website_with_ugc_rel(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("See [my post](https://ann.example/post).");
        set(&mut fields, "url", "https://ann.example/");
        app.post_comment(&post, &fields).await;
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("<a href=\"https://ann.example/\" rel=\"external nofollow ugc noopener\" class=\"url\"><bdi>Ann Reader</bdi></a>"), "{page}");
        assert!(page.contains("<a href=\"https://ann.example/post\" rel=\"nofollow ugc noopener\">my post</a>"));
        assert!(!page.contains("gravatar"));
        // The identicon is drawn here, at an address of its own, cached for a year.
        let start = page.find("<img class=\"avatar\" src=\"").expect("an avatar") + "<img class=\"avatar\" src=\"".len();
        let avatar = &page[start..start + page[start..].find('"').unwrap()];
        let response = app.client.get(app.url(avatar)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/svg+xml");
        assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
        let svg = response.text().await.unwrap();
        assert!(svg.starts_with("<svg class=\"avatar\"") && svg.contains("<rect"), "{svg}");
        // The same email draws the same picture; other addresses are 404.
        let mut again = app.comment_fields("Another one.");
        set(&mut again, "url", "https://ann.example/");
        app.post_comment(&post, &again).await;
        let (_, page) = app.get_page(&post.permalink()).await;
        assert_eq!(page.matches(avatar).count(), 2);
        for bogus in ["/avatar/not-a-key.svg", "/avatar/0123456789abcdef0123456789ABCDEF.svg", "/avatar/0123456789abcdef0123456789abcdef.png"] {
            assert_eq!(app.client.get(app.url(bogus)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{bogus}");
        }
    }
}

on_both_backends! {
    async fn long_threads_break_into_comment_pages(app) {
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        app.set_setting(keys::COMMENTS_PER_PAGE, "2").await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        let base = post.permalink();
        for n in 1..=5 {
            assert_eq!(app.post_comment(&post, &app.comment_fields(&format!("Thread {n}."))).await.status(), StatusCode::SEE_OTHER);
        }
        let ids: Vec<i64> = app.comments_of(&post).iter().map(|comment| comment.id).collect();
        // A reply stays with its thread, on the first page.
        let mut reply = app.comment_fields("Reply to thread 1.");
        set(&mut reply, "parent", &ids[0].to_string());
        let response = app.post_comment(&post, &reply).await;
        let reply_id = app.comments_of(&post).last().unwrap().id;
        assert_eq!(location(&response), format!("{base}#comment-{reply_id}"));

        let (_, first) = app.get_page(&base).await;
        for shown in ["Thread 1.", "Reply to thread 1.", "Thread 2."] {
            assert!(first.contains(shown), "{shown}");
        }
        assert!(!first.contains("Thread 3."));
        assert!(first.contains(&format!("<a class=\"nav-next\" href=\"{base}comment-page-2/#comments\">Newer Comments &rarr;</a>")), "{first}");
        assert!(!first.contains("Older Comments"));
        assert!(first.contains("6 Comments on"), "the heading counts every page");

        let (status, second) = app.get_page(&format!("{base}comment-page-2/")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(second.contains("Thread 3.") && second.contains("Thread 4."));
        assert!(!second.contains("Thread 2.") && !second.contains("Thread 5."));
        assert!(second.contains(&format!("href=\"{base}#comments\">&larr; Older Comments</a>")), "{second}");
        assert!(second.contains(&format!("href=\"{base}comment-page-3/#comments\">Newer Comments")));
        assert!(second.contains(&format!("<link rel=\"canonical\" href=\"{}\">", app.url(&format!("{base}comment-page-2/")))), "its own canonical address");
        assert!(second.contains(&format!("href=\"{base}comment-page-2/?replytocom={}#respond\"", ids[2])), "reply links stay on the page");
        assert!(second.contains(&format!("href=\"{base}comment-page-2/#comment-{}\"", ids[2])));
        assert!(second.contains("id=\"commentform\""), "the form is on every page");

        let (_, third) = app.get_page(&format!("{base}comment-page-3/")).await;
        assert!(third.contains("Thread 5.") && third.contains("Older Comments") && !third.contains("Newer Comments"));
        // Past the last page (an old site broke comments into smaller pages): the post.
        assert_eq!(app.redirect_target(&format!("{base}comment-page-4/")).await, base);
        assert_eq!(app.redirect_target(&format!("{base}comment-page-1/")).await, base);

        // A new thread lands on the last page, and its author is sent there.
        app.set_setting(keys::HOLD_ALL, "1").await;
        let response = app.post_comment(&post, &app.comment_fields("Thread 6.")).await;
        let held_id = app.comments_of(&post).last().unwrap().id;
        assert_eq!(location(&response), format!("{base}comment-page-3/#comment-{held_id}"));
        let (_, own_view) = app.get_page(&format!("{base}comment-page-3/")).await;
        assert!(own_view.contains("Thread 6.") && own_view.contains("Your comment is awaiting moderation."));
        let (_, stranger_view) = app.get_page_as_stranger(&format!("{base}comment-page-3/")).await;
        assert!(!stranger_view.contains("Thread 6."));
        // The sidebar's Recent Comments link each to the page showing it.
        let recent = stranger_view.split("widget-recent-comments").nth(1).expect("the widget").split("</section>").next().unwrap();
        for (id, page) in [(ids[4], "comment-page-3/"), (ids[3], "comment-page-2/"), (ids[2], "comment-page-2/"), (reply_id, ""), (ids[1], "")] {
            assert!(recent.contains(&format!("href=\"{base}{page}#comment-{id}\"")), "{id} on {page:?}: {recent}");
        }

        // Feeds link each comment on the page that shows it.
        let (_, feed) = app.get_page(&format!("{base}feed/")).await;
        assert!(feed.contains(&app.url(&format!("{base}comment-page-2/#comment-{}", ids[3]))), "{feed}");
        assert!(feed.contains(&app.url(&format!("{base}#comment-{}", ids[0]))));

        // 0: every comment on one page again.
        app.set_setting(keys::COMMENTS_PER_PAGE, "0").await;
        let (_, whole) = app.get_page_as_stranger(&base).await;
        assert!(whole.contains("Thread 1.") && whole.contains("Thread 5.") && !whole.contains("Newer Comments"));
        assert_eq!(app.redirect_target(&format!("{base}comment-page-2/")).await, base);
    }
}
