//! SPEC §5: the admin panel — accounts, roles, CSRF, the moderation queue,
//! posts, categories, settings, users and personal data.

use diesel::prelude::*;
use ferropress::domain::{CommentStatus, Role};
use ferropress::models::comment::find_comment;
use ferropress::models::post::find_post;
use ferropress::models::setting::keys;
use ferropress::models::user::count_users;
use reqwest::StatusCode;

use crate::helpers::{csrf_token_in, TestApp, STAFF_PASSWORD};

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A post with `count` comments by different readers, held for moderation.
async fn post_with_pending_comments(
    app: &TestApp,
    count: usize,
) -> (ferropress::models::post::Post, Vec<i64>) {
    app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
    let post = app.publish("Moderated post", "Body.", 1, &[]);
    for n in 0..count {
        let mut fields = app.comment_fields(&format!("Reader comment number {n}"));
        fields[1].1 = format!("Reader {n}");
        fields[2].1 = format!("reader{n}@example.org");
        assert_eq!(
            app.post_comment_as_stranger(&post, &fields).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let ids = app
        .comments_of(&post)
        .iter()
        .map(|comment| comment.id)
        .collect();
    (post, ids)
}

fn status_of(app: &TestApp, id: i64) -> Option<String> {
    find_comment(&mut app.conn(), id)
        .unwrap()
        .map(|comment| comment.status.to_string())
}

on_both_backends! {
    async fn setup_creates_the_first_admin_then_disappears(app) {
        let page = app.client.get(app.url("/admin/setup")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let token = csrf_token_in(&page.text().await.unwrap());
        let fields = [("site_title", "Dr. Lee's Blog"), ("name", "Ann Lee"), ("email", "ann@example.com"), ("password", "long enough pass")];

        let mut forged = fields.to_vec();
        forged.push(("csrf_token", "0000"));
        let refused = app.client.post(app.url("/admin/setup")).form(&forged).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(count_users(&mut app.conn()).unwrap(), 0, "nothing created");

        let mut short = fields.to_vec();
        short[3] = ("password", "short");
        short.push(("csrf_token", &token));
        let refused = app.client.post(app.url("/admin/setup")).form(&short).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains("at least 8 characters") && html.contains("value=\"ann@example.com\""));

        let mut good = fields.to_vec();
        good.push(("csrf_token", &token));
        let created = app.client.post(app.url("/admin/setup")).form(&good).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&created), "/admin/");
        let dashboard = app.client.get(app.url("/admin/")).send().await.unwrap();
        assert_eq!(dashboard.status(), StatusCode::OK);
        assert!(dashboard.text().await.unwrap().contains("Howdy, <a href=\"/admin/profile\">Ann Lee</a>"));
        assert_eq!(app.client.get(app.url("/admin/setup")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("Dr. Lee&#39;s Blog") || home.contains("Dr. Lee&#x27;s Blog"), "site title set");
    }
}

on_both_backends! {
    async fn anonymous_visitors_go_to_the_login_page_and_come_back(app) {
        app.create_staff("mod@example.com", Role::Moderator).await;
        let response = app.get("/admin/comments?status=pending").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let target = location(&response);
        assert_eq!(target, "/admin/login?redirect_to=/admin/comments%3Fstatus%3Dpending");
        let page = app.client.get(app.url(&target)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("<label for=\"email\">Email</label>") && page.contains("<label for=\"password\">Password</label>"));
        assert!(page.contains(">Log in</button>"));
        let token = csrf_token_in(&page);
        let login = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("email", "mod@example.com"), ("password", STAFF_PASSWORD), ("csrf_token", &token), ("redirect_to", "/admin/comments?status=pending")])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&login), "/admin/comments?status=pending");
        let cookie = login.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("ferropress_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
        // Anonymous POSTs are refused too.
        let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let post = anonymous.post(app.url("/admin/settings")).form(&[("site_title", "x")]).send().await.unwrap();
        assert_eq!(post.status(), StatusCode::SEE_OTHER);
    }
}

on_both_backends! {
    async fn unknown_email_and_wrong_password_get_the_same_answer(app) {
        app.create_staff("ed@example.com", Role::Editor).await;
        let wrong_password = app.log_in_with(&app.client, "ed@example.com", "not the password").await;
        let unknown_email = app.log_in_with(&app.client, "nobody@example.com", "not the password").await;
        assert_eq!(wrong_password.status(), unknown_email.status());
        let (first, second) = (wrong_password.text().await.unwrap(), unknown_email.text().await.unwrap());
        assert!(first.contains("The email address or password is incorrect."));
        assert!(second.contains("The email address or password is incorrect."));
        assert_eq!(app.get("/admin/").await.status(), StatusCode::SEE_OTHER, "not logged in");
        let right = app.log_in_with(&app.client, "ED@example.com", STAFF_PASSWORD).await;
        assert_eq!(right.status(), StatusCode::SEE_OTHER, "emails ignore case");
    }
}

on_both_backends! {
    async fn login_is_throttled_per_account_and_per_address(app) {
        app.create_staff("victim@example.com", Role::Admin).await;
        for _ in 0..5 {
            let response = app.log_in_with(&app.client, "victim@example.com", "guess").await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        let throttled = app.log_in_with(&app.client, "victim@example.com", STAFF_PASSWORD).await;
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
        assert!(throttled.headers().contains_key("retry-after"));
        assert!(throttled.text().await.unwrap().contains("Too many failed login attempts."));
        // Many accounts from one address: the address limit.
        let mut statuses = Vec::new();
        for n in 0..20 {
            statuses.push(app.log_in_with(&app.client, &format!("other{n}@example.com"), "guess").await.status());
        }
        assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    }
}

on_both_backends! {
    async fn a_new_session_id_is_issued_at_login_and_logout_ends_it(app) {
        let user = app.create_staff("ann@example.com", Role::Admin).await;
        let first = app.log_in_with(&app.client, &user.email, STAFF_PASSWORD).await;
        let session = |response: &reqwest::Response| {
            response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned())
                .find(|c| c.starts_with("ferropress_session=")).unwrap().split(';').next().unwrap().to_owned()
        };
        let first_cookie = session(&first);
        let second = app.log_in_with(&app.client, &user.email, STAFF_PASSWORD).await;
        let second_cookie = session(&second);
        assert_ne!(first_cookie, second_cookie);
        let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let old = replay.get(app.url("/admin/")).header("cookie", &first_cookie).send().await.unwrap();
        assert_eq!(old.status(), StatusCode::SEE_OTHER, "the old session is gone");
        let current = replay.get(app.url("/admin/")).header("cookie", &second_cookie).send().await.unwrap();
        assert_eq!(current.status(), StatusCode::OK);

        let logout_without_token = app.client.post(app.url("/admin/logout")).send().await.unwrap();
        assert_eq!(logout_without_token.status(), StatusCode::FORBIDDEN);
        let logout = app.admin_post("/admin/logout", &[]).await;
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        let after = replay.get(app.url("/admin/")).header("cookie", &second_cookie).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::SEE_OTHER, "logged out");
    }
}

on_both_backends! {
    async fn each_role_reaches_its_areas_and_gets_403_elsewhere(app) {
        let areas = ["/admin/", "/admin/comments", "/admin/posts", "/admin/posts/new", "/admin/categories", "/admin/settings", "/admin/users", "/admin/personal-data", "/admin/profile"];
        let expected = [
            (Role::Admin, [200, 200, 200, 200, 200, 200, 200, 200, 200]),
            (Role::Editor, [200, 200, 200, 200, 200, 403, 403, 403, 200]),
            (Role::Moderator, [200, 200, 403, 403, 403, 403, 403, 403, 200]),
        ];
        for (role, statuses) in expected {
            app.log_in_as(role).await;
            for (path, status) in areas.iter().zip(statuses) {
                let response = app.get(path).await;
                assert_eq!(response.status().as_u16(), status, "{role} GET {path}");
                if status == 403 {
                    let html = response.text().await.unwrap();
                    assert!(html.contains("Sorry, you are not allowed to access this page."));
                    // Still in the panel: its menu, and a way back.
                    assert!(html.contains(r#"class="admin-main""#) && html.contains(r#"<a href="/admin/">← Back to the Dashboard</a>"#), "{role} {path}");
                }
            }
            // Menus show only what the role may open.
            let dashboard = app.get("/admin/").await.text().await.unwrap();
            assert_eq!(dashboard.contains("href=\"/admin/settings\""), role == Role::Admin, "{role} menu");
        }
        // Actions are checked too, not just pages: a moderator cannot save settings or posts.
        let before = app.state.site().title.clone();
        let refused = app.admin_post("/admin/settings", &[("site_title", "Taken over"), ("posts_per_page", "10")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let refused = app.admin_post("/admin/posts/new", &[("title", "Sneaky"), ("status", "published"), ("intent", "save")]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.state.site().title, before);
        let (_, home) = app.get_page("/").await;
        assert!(!home.contains("Sneaky"));
    }
}

on_both_backends! {
    async fn a_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(app) {
        let (_, ids) = post_with_pending_comments(&app, 1).await;
        app.log_in_as(Role::Moderator).await;
        let path = format!("/admin/comments/{}/approve", ids[0]);
        let missing = app.client.post(app.url(&path)).form(&[("return_to", "/admin/comments")]).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::FORBIDDEN);
        assert!(missing.text().await.unwrap().contains("The link you followed has expired."));
        let wrong = app.client.post(app.url(&path)).form(&[("csrf_token", "f".repeat(64).as_str())]).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let bulk = app.client.post(app.url("/admin/comments/bulk")).form(&[("action", "approve"), (&format!("c{}", ids[0]), "1")]).send().await.unwrap();
        assert_eq!(bulk.status(), StatusCode::FORBIDDEN);
        assert_eq!(status_of(&app, ids[0]).as_deref(), Some("pending"), "nothing changed");
        let right = app.admin_post(&path, &[]).await;
        assert_eq!(right.status(), StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, ids[0]).as_deref(), Some("approved"));
    }
}

on_both_backends! {
    async fn every_comment_action_moves_the_comment_where_it_says(app) {
        let (post, ids) = post_with_pending_comments(&app, 1).await;
        app.log_in_as(Role::Moderator).await;
        let id = ids[0];
        let steps = [
            ("approve", Some("approved"), "1 comment approved."),
            ("unapprove", Some("pending"), "1 comment unapproved."),
            ("spam", Some("spam"), "1 comment marked as spam."),
            ("notspam", Some("pending"), "1 comment restored from the spam."),
            ("approve", Some("approved"), "1 comment approved."),
            ("trash", Some("trash"), "1 comment moved to the Trash."),
            ("restore", Some("approved"), "1 comment restored from the Trash."),
            ("delete", Some("approved"), "0 comments permanently deleted."),
            ("trash", Some("trash"), "1 comment moved to the Trash."),
            ("delete", None, "1 comment permanently deleted."),
        ];
        for (action, expected, notice) in steps {
            let response = app.admin_post(&format!("/admin/comments/{id}/{action}"), &[("return_to", "/admin/comments?status=pending")]).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
            let back = location(&response);
            assert!(back.starts_with("/admin/comments?status=pending&done="), "{back}");
            assert_eq!(status_of(&app, id).as_deref(), expected, "after {action}");
            let page = app.get(&back).await.text().await.unwrap();
            assert!(page.contains(notice), "{action}: {notice}");
            let count = ferropress::models::post::find_post(&mut app.conn(), post.id).unwrap().unwrap().comment_count;
            assert_eq!(count, i64::from(expected == Some("approved")), "count after {action}");
        }
        // An action no comment has is no address at all; a bulk form without
        // one changes nothing.
        let (_, more) = post_with_pending_comments(&app, 1).await;
        let unknown = app.admin_post(&format!("/admin/comments/{}/publish", more[0]), &[]).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert!(unknown.text().await.unwrap().contains("That page can’t be found."));
        let none = app.admin_post("/admin/comments/bulk", &[("action", "Approve"), (&format!("c{}", more[0]), "1")]).await;
        assert_eq!(none.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&none), "/admin/comments");
        assert_eq!(status_of(&app, more[0]).as_deref(), Some("pending"));
    }
}

on_both_backends! {
    async fn bulk_actions_tabs_search_and_pages_of_twenty(app) {
        let (_, ids) = post_with_pending_comments(&app, 25).await;
        app.log_in_as(Role::Moderator).await;
        let pending = app.get("/admin/comments?status=pending").await.text().await.unwrap();
        assert!(pending.contains("Pending (25)"), "tab count");
        assert_eq!(pending.matches("class=\"status-pending\"").count(), 20, "20 a page");
        let older = pending.split("href=\"").filter_map(|rest| rest.split('"').next()).find(|href| href.contains("before=")).unwrap().replace("&#38;", "&").replace("&amp;", "&");
        let second = app.get(&older).await.text().await.unwrap();
        assert_eq!(second.matches("class=\"status-pending\"").count(), 5);
        assert!(second.contains("Reader comment number 0") && !second.contains("Reader comment number 24"));

        let mut fields: Vec<(String, String)> = ids[..3].iter().map(|id| (format!("c{id}"), "1".to_owned())).collect();
        fields.push(("action".into(), "approve".into()));
        fields.push(("return_to".into(), "/admin/comments?status=pending".into()));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let response = app.admin_post("/admin/comments/bulk", &borrowed).await;
        let page = app.get(&location(&response)).await.text().await.unwrap();
        assert!(page.contains("3 comments approved."));
        assert!(page.contains("Pending (22)") && page.contains("Spam (0)"));
        let approved = app.get("/admin/comments?status=approved").await.text().await.unwrap();
        assert_eq!(approved.matches("<tr id=\"comment-").count(), 3);
        for id in &ids[..3] {
            assert_eq!(status_of(&app, *id).as_deref(), Some("approved"));
        }

        for (query, expected) in [("reader7@example.org", "Reader comment number 7"), ("READER 12", "Reader comment number 12"), ("number 19", "Reader comment number 19")] {
            let found = app.get(&format!("/admin/comments?s={}", query.replace(' ', "+"))).await.text().await.unwrap();
            assert!(found.contains(expected), "{query}");
            assert_eq!(found.matches("<tr id=\"comment-").count(), 1, "{query}");
        }
        let by_ip = app.get("/admin/comments?s=127.0.0.1").await.text().await.unwrap();
        assert_eq!(by_ip.matches("<tr id=\"comment-").count(), 20);
        let percent = app.get("/admin/comments?s=%25").await.text().await.unwrap();
        assert_eq!(percent.matches("<tr id=\"comment-").count(), 0, "wildcards are literal");
    }
}

on_both_backends! {
    async fn a_reply_from_the_panel_is_published_and_approves_its_parent(app) {
        let (post, ids) = post_with_pending_comments(&app, 1).await;
        let staff = app.log_in_as(Role::Moderator).await;
        let form = app.get(&format!("/admin/comments/{}/reply", ids[0])).await.text().await.unwrap();
        assert!(form.contains("Approve and Reply"));
        let response = app.admin_post(&format!("/admin/comments/{}/reply", ids[0]), &[("reply", "Thank you, *glad* it helped.")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let rows = app.comments_of(&post);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].status, CommentStatus::Approved);
        assert_eq!(rows[1].status, CommentStatus::Approved);
        assert_eq!(rows[1].parent_id, Some(ids[0]));
        assert_eq!(rows[1].user_id, Some(staff.id));
        let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
        assert!(page.contains("Thank you, <em>glad</em> it helped.") && page.contains("depth-2"));
        assert!(!page.contains(&staff.email), "staff emails stay private too");
        // The notice links to the reply; the queue says what the reply answers.
        let queue = app.get(&location(&response)).await.text().await.unwrap();
        let parent = format!("{}#comment-{}", post.permalink(), ids[0]);
        assert!(queue.contains(&format!(r#"Reply published. <a href="{}#comment-{}">View reply</a>"#, post.permalink(), rows[1].id)), "{queue}");
        assert!(queue.contains(&format!(r#"In reply to <a href="{parent}">Reader 0</a>."#)));
    }
}

on_both_backends! {
    async fn editing_a_comment_keeps_the_original_in_an_audit_note(app) {
        let (_, ids) = post_with_pending_comments(&app, 1).await;
        app.log_in_as(Role::Moderator).await;
        let path = format!("/admin/comments/{}/edit", ids[0]);
        let bad = app.admin_post(&path, &[("comment", "Edited text."), ("author", "Reader 0"), ("email", "nope"), ("url", "")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains(">Edited text.</textarea>"));
        let good = app.admin_post(&path, &[("comment", "Edited text."), ("author", "Reader Zero"), ("email", "reader0@example.org"), ("url", "https://zero.example/")]).await;
        assert_eq!(good.status(), StatusCode::SEE_OTHER);
        let comment = find_comment(&mut app.conn(), ids[0]).unwrap().unwrap();
        assert_eq!(comment.body_source, "Edited text.");
        assert_eq!(comment.author_name, "Reader Zero");
        let edit_page = app.get(&path).await.text().await.unwrap();
        assert!(edit_page.contains("Earlier versions") && edit_page.contains("Reader comment number 0"));
    }
}

on_both_backends! {
    async fn posts_are_written_previewed_published_and_renamed_with_redirects(app) {
        let editor = app.log_in_as(Role::Editor).await;
        app.publish("Hello world", "Taken slug.", 3, &[]);
        let neck = app.create_category("Neck", "");
        let preview = app.admin_post("/admin/posts/new", &[("title", "Hello world"), ("body", "Some *bold* words."), ("status", "published"), ("intent", "preview")]).await;
        assert_eq!(preview.status(), StatusCode::OK);
        let html = preview.text().await.unwrap();
        assert!(html.contains("Some <em>bold</em> words.") && html.contains(">Some *bold* words.</textarea>"));
        assert!(html.contains(r#"<article class="post post-full">"#) && html.contains(r#"<h3 class="entry-title">Hello world</h3>"#) && html.contains("Posted on "), "the preview is dressed as the post will be");
        let (_, home) = app.get_page("/").await;
        assert_eq!(home.matches("<article").count(), 1, "a preview saves nothing");

        let cat = format!("cat_{}", neck.id);
        let saved = app.admin_post("/admin/posts/new", &[("title", "Hello world"), ("body", "Some *bold* words."), ("status", "published"), ("allow_comments", "1"), (&cat, "1"), ("published_at", ""), ("intent", "save")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let edit_path = location(&saved);
        let id: i64 = edit_path.split('/').nth(3).unwrap().parse().unwrap();
        let post = find_post(&mut app.conn(), id).unwrap().unwrap();
        assert_eq!(post.slug, "hello-world-2", "a clash gets -2");
        assert_eq!(post.author_id, Some(editor.id));
        let (status, page) = app.get_page(&post.permalink()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Some <em>bold</em> words.") && page.contains(">Neck</a>"));
        assert!(app.get(&edit_path).await.text().await.unwrap().contains(&format!(r#"<p>Post published. <a href="{}">View post</a></p>"#, post.permalink())));

        let renamed = app.admin_post(&format!("/admin/posts/{id}/edit"), &[("title", "Hello again"), ("slug", "hello-again"), ("body", "Some *bold* words."), ("status", "published"), ("allow_comments", "1"), ("published_at", "2024-03-14T10:00"), ("intent", "save")]).await;
        assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
        assert!(location(&renamed).ends_with("done=post_updated&n=1"));
        let draft = app.admin_post("/admin/posts/new", &[("title", "Later"), ("body", "Soon."), ("status", "draft"), ("intent", "save")]).await;
        assert!(app.get(&location(&draft)).await.text().await.unwrap().contains("<p>Draft saved.</p>"), "a draft has no post to view");
        let scheduled = app.admin_post("/admin/posts/new", &[("title", "Future"), ("body", "Soon."), ("status", "published"), ("published_at", "2099-01-01T10:00"), ("intent", "save")]).await;
        assert!(location(&scheduled).ends_with("done=post_scheduled&n=1"));
        assert_eq!(app.redirect_target(&post.permalink()).await, "/2024/03/14/hello-again/");
        assert_eq!(app.get_page("/2024/03/14/hello-again/").await.0, StatusCode::OK);
        let (_, uncategorized) = app.get_page("/category/uncategorized/").await;
        assert!(uncategorized.contains("Hello again"), "no category ticked: Uncategorized");

        let invalid = app.admin_post(&format!("/admin/posts/{id}/edit"), &[("title", ""), ("body", "Kept body"), ("status", "published"), ("published_at", "yesterday"), ("intent", "save")]).await;
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = invalid.text().await.unwrap();
        assert!(html.contains("Please enter a title.") && html.contains("Please enter a date") && html.contains(">Kept body</textarea>"));

        let scheduled = app.admin_post("/admin/posts/new", &[("title", "Future post"), ("body", "Later."), ("status", "published"), ("published_at", "2099-01-01T09:00"), ("intent", "save")]).await;
        let future_id: i64 = location(&scheduled).split('/').nth(3).unwrap().parse().unwrap();
        assert_eq!(app.get_page("/2099/01/01/future-post/").await.0, StatusCode::NOT_FOUND);
        assert!(app.get("/admin/posts?status=scheduled").await.text().await.unwrap().contains("Future post"));

        assert_eq!(app.admin_post(&format!("/admin/posts/{id}/trash"), &[]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get_page("/2024/03/14/hello-again/").await.0, StatusCode::NOT_FOUND);
        assert!(app.get("/admin/posts?status=trash").await.text().await.unwrap().contains("Hello again"));
        app.admin_post(&format!("/admin/posts/{id}/restore"), &[]).await;
        assert_eq!(app.get_page("/2024/03/14/hello-again/").await.0, StatusCode::OK, "restored as published");
        assert!(future_id > id);
    }
}

on_both_backends! {
    async fn categories_are_added_edited_and_deleted_with_orphans_uncategorized(app) {
        app.log_in_as(Role::Editor).await;
        let added = app.admin_post("/admin/categories", &[("name", "Neck Pain"), ("slug", ""), ("description", "About necks.")]).await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let duplicate = app.admin_post("/admin/categories", &[("name", "Neck Pain"), ("slug", ""), ("description", "")]).await;
        assert_eq!(duplicate.status(), StatusCode::SEE_OTHER);
        let neck = ferropress::models::category::find_category_by_slug(&mut app.conn(), "neck-pain").unwrap().unwrap();
        assert!(ferropress::models::category::find_category_by_slug(&mut app.conn(), "neck-pain-2").unwrap().is_some());
        let empty = app.admin_post("/admin/categories", &[("name", " "), ("slug", ""), ("description", "kept")]).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let post = app.publish("Filed post", "Body.", 1, &[neck.id]);
        let edited = app.admin_post(&format!("/admin/categories/{}/edit", neck.id), &[("name", "Neck"), ("slug", "neck"), ("description", "Necks.")]).await;
        assert_eq!(edited.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("<a href=\"/category/neck/\" rel=\"category tag\">Neck</a>"));

        let deleted = app.admin_post(&format!("/admin/categories/{}/delete", neck.id), &[]).await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains(">Uncategorized</a>"), "orphans go to Uncategorized");
        let uncategorized = ferropress::models::category::uncategorized(&mut app.conn()).unwrap();
        let refused = app.admin_post(&format!("/admin/categories/{}/delete", uncategorized.id), &[]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
}

on_both_backends! {
    async fn settings_are_saved_validated_and_applied(app) {
        app.log_in_as(Role::Admin).await;
        let page = app.get("/admin/settings").await.text().await.unwrap();
        assert!(page.contains("Comment must be manually approved") && page.contains("name=\"hold_all\" type=\"checkbox\" value=\"1\" checked"));
        let fields = [("site_title", "Spine Notes"), ("tagline", "Pain, explained"), ("posts_per_page", "5"), ("link_limit", "3"), ("moderation_words", "casino"), ("disallowed_words", "viagra"), ("close_after_days", "0"), ("thread_depth", "4"), ("comments_per_minute", "9"), ("notify_email", "desk@example.com"), ("notify_moderators", "1")];
        let saved = app.admin_post("/admin/settings", &fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let site = app.state.site();
        assert_eq!(site.title, "Spine Notes");
        assert_eq!(site.posts_per_page, 5);
        assert!(!site.discussion.rules.hold_all, "unticked");
        assert_eq!(site.discussion.rules.disallowed_words, ["viagra"]);
        assert_eq!(site.discussion.thread_depth, 4);
        assert_eq!(site.discussion.comments_per_page, 50, "a field the form did not send keeps its value");
        assert!(!site.notifications.post_author && site.notifications.moderators);
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("Spine Notes") && home.contains("Pain, explained"));

        let mut bad = fields.to_vec();
        bad[2] = ("posts_per_page", "0");
        bad[9] = ("notify_email", "desk");
        let refused = app.admin_post("/admin/settings", &bad).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains("Enter a number from 1 to 100.") && html.contains("Please enter a valid email address."));
        assert!(html.contains("value=\"desk\""));
        assert_eq!(app.state.site().posts_per_page, 5, "nothing saved");

        let mut paged = fields.to_vec();
        paged.push(("comments_per_page", "-1"));
        let refused = app.admin_post("/admin/settings", &paged).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("Enter a number from 1 to 1000, or 0 for all comments on one page."));
        paged.pop();
        paged.push(("comments_per_page", "20"));
        assert_eq!(app.admin_post("/admin/settings", &paged).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.site().discussion.comments_per_page, 20);
        assert!(app.get("/admin/settings").await.text().await.unwrap().contains(r#"name="comments_per_page" type="number" min="0" max="1000" value="20""#));
    }
}

on_both_backends! {
    async fn admins_add_users_change_roles_reset_passwords_and_remove_them(app) {
        let me = app.log_in_as(Role::Admin).await;
        let added = app.admin_post("/admin/users", &[("email", "new@example.com"), ("name", "New Person"), ("role", "moderator")]).await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let again = app.admin_post("/admin/users", &[("email", "new@example.com"), ("name", "Twin"), ("role", "moderator")]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(again.text().await.unwrap().contains("A user with this email address already exists."));
        let new_user = ferropress::models::user::find_user_by_email(&mut app.conn(), "new@example.com").unwrap().unwrap();
        let invitations: Vec<String> = ferropress::db::schema::outbox::table
            .filter(ferropress::db::schema::outbox::recipient.eq("new@example.com"))
            .select(ferropress::db::schema::outbox::kind)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(invitations, ["invitation"], "one invitation, in the outbox with the account");
        // The new user sets a password with the invitation (tests/api/accounts.rs).
        ferropress::models::user::set_password_hash(&mut app.conn(), new_user.id, &ferropress::auth::password::hash_password("a fine password").unwrap()).unwrap();

        let other = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        assert_eq!(app.log_in_with(&other, "new@example.com", "a fine password").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(other.get(app.url("/admin/posts")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
        app.admin_post(&format!("/admin/users/{}/role", new_user.id), &[("role", "editor")]).await;
        assert_eq!(other.get(app.url("/admin/posts")).send().await.unwrap().status(), StatusCode::OK, "the new role applies at once");

        let reset = app.admin_post(&format!("/admin/users/{}/password", new_user.id), &[]).await;
        assert_eq!(reset.status(), StatusCode::SEE_OTHER);
        assert!(app.get(&location(&reset)).await.text().await.unwrap().contains("A link to choose a password was emailed to that user."));

        let demote_self = app.admin_post(&format!("/admin/users/{}/role", me.id), &[("role", "editor")]).await;
        assert_eq!(demote_self.status(), StatusCode::FORBIDDEN, "the last admin stays an admin");
        assert_eq!(app.admin_post(&format!("/admin/users/{}/delete", me.id), &[]).await.status(), StatusCode::FORBIDDEN);
        let asked = app.get(&format!("/admin/users/{}/delete", new_user.id)).await;
        assert_eq!(asked.status(), StatusCode::OK, "Remove asks first");
        let asked = asked.text().await.unwrap();
        assert!(asked.contains("You are about to remove <strong>New Person</strong>") && asked.contains("Confirm Removal"));
        assert!(ferropress::models::user::find_user(&mut app.conn(), new_user.id).unwrap().is_some(), "asking removes nothing");
        assert_eq!(app.admin_post(&format!("/admin/users/{}/delete", new_user.id), &[]).await.status(), StatusCode::SEE_OTHER);
        assert!(ferropress::models::user::find_user(&mut app.conn(), new_user.id).unwrap().is_none());
    }
}

on_both_backends! {
    async fn everyone_changes_their_own_password(app) {
        let me = app.log_in_as(Role::Moderator).await;
        let wrong = app.admin_post("/admin/profile", &[("current_password", "wrong"), ("new_password", "brand new secret")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("Your current password is incorrect."));
        let changed = app.admin_post("/admin/profile", &[("current_password", STAFF_PASSWORD), ("new_password", "brand new secret"), ("notify_comments", "1")]).await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/admin/profile").await.status(), StatusCode::OK, "this session was renewed, not ended");
        let other = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        assert_eq!(app.log_in_with(&other, &me.email, "brand new secret").await.status(), StatusCode::SEE_OTHER);
    }
}

on_both_backends! {
    async fn personal_data_is_exported_as_json_and_erased(app) {
        app.approve_comments_automatically().await;
        let (post, _) = post_with_pending_comments(&app, 3).await;
        app.log_in_as(Role::Admin).await;
        let export = app.admin_post("/admin/personal-data/export", &[("email", "READER1@example.org")]).await;
        assert_eq!(export.status(), StatusCode::OK);
        assert!(export.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
        let json: serde_json::Value = serde_json::from_str(&export.text().await.unwrap()).unwrap();
        let comments = json["comments"].as_array().unwrap();
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0]["author_email"], "reader1@example.org");
        assert_eq!(comments[0]["text"], "Reader comment number 1");
        assert_eq!(comments[0]["post"], "Moderated post");

        let erased = app.admin_post("/admin/personal-data/erase", &[("email", "reader1@example.org")]).await;
        assert!(app.get(&location(&erased)).await.text().await.unwrap().contains("1 comment anonymised."));
        let rows = app.comments_of(&post);
        let anonymised = rows.iter().find(|comment| comment.body_source == "Reader comment number 1").unwrap();
        assert_eq!(anonymised.author_name, "Anonymous");
        assert_ne!(anonymised.author_email, "reader1@example.org");
        assert_eq!(anonymised.author_ip, "0.0.0.0");
        assert!(rows.iter().any(|comment| comment.author_email == "reader2@example.org"), "others untouched");
        let again = app.admin_post("/admin/personal-data/export", &[("email", "reader1@example.org")]).await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&again.text().await.unwrap()).unwrap()["comments"].as_array().unwrap().len(), 0);
    }
}

on_both_backends! {
    async fn admin_pages_are_never_cached_or_framed(app) {
        app.log_in_as(Role::Admin).await;
        let response = app.get("/admin/").await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        let html = response.text().await.unwrap();
        assert!(html.contains("<svg class=\"chart\""), "the chart is drawn here");
        assert!(!html.contains("<script"), "the panel needs no JavaScript");
    }
}

on_both_backends! {
    async fn the_kept_status_counts_follow_every_change(app) {
        use diesel::prelude::*;
        use ferropress::db::schema::comments;
        use ferropress::models::comment::{count_with_status, delete_comment, erase_comments_by_email, set_comment_status};
        let counted = |app: &TestApp| -> Vec<(String, i64, i64)> {
            ["pending", "approved", "spam", "trash"]
                .into_iter()
                .map(|status| {
                    let real: i64 = comments::table.filter(comments::status.eq(status)).count().get_result(&mut app.conn()).unwrap();
                    (status.to_owned(), count_with_status(&mut app.conn(), status.parse().unwrap()).unwrap(), real)
                })
                .collect()
        };
        // The dashboard chart's counts per quarter hour and per hour, kept beside them.
        type Counts = Vec<(i64, i64)>;
        let times = |app: &TestApp, step: i64| -> Counts {
            let times: Vec<i64> = comments::table.filter(comments::status.ne("spam")).select(comments::created_at).load(&mut app.conn()).unwrap();
            let mut real = std::collections::BTreeMap::new();
            for time in times {
                *real.entry(time / step).or_insert(0) += 1;
            }
            real.into_iter().collect()
        };
        let quarters = |app: &TestApp| -> Counts {
            use ferropress::db::schema::comment_quarters;
            comment_quarters::table
                .filter(comment_quarters::n.ne(0))
                .order(comment_quarters::quarter)
                .select((comment_quarters::quarter, comment_quarters::n))
                .load(&mut app.conn())
                .unwrap()
        };
        let hours = |app: &TestApp| -> Counts {
            use ferropress::db::schema::comment_hours;
            comment_hours::table
                .filter(comment_hours::n.ne(0))
                .order(comment_hours::hour)
                .select((comment_hours::hour, comment_hours::n))
                .load(&mut app.conn())
                .unwrap()
        };
        let agree = |app: &TestApp, step: &str| {
            for (status, kept, real) in counted(app) {
                assert_eq!(kept, real, "{status} after {step}");
            }
            assert_eq!(quarters(app), times(app, 900), "quarter hours after {step}");
            assert_eq!(hours(app), times(app, 3_600), "hours after {step}");
        };
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        for n in 0..6 {
            let mut fields = app.comment_fields(&format!("Comment {n}."));
            fields[2].1 = format!("reader{n}@example.com");
            app.post_comment(&post, &fields).await;
        }
        agree(&app, "six held comments");
        assert_eq!(count_with_status(&mut app.conn(), CommentStatus::Pending).unwrap(), 6);
        let ids: Vec<i64> = app.comments_of(&post).iter().map(|comment| comment.id).collect();
        set_comment_status(&mut app.conn(), ids[0], CommentStatus::Approved).unwrap();
        set_comment_status(&mut app.conn(), ids[1], CommentStatus::Spam).unwrap();
        set_comment_status(&mut app.conn(), ids[2], CommentStatus::Trash).unwrap();
        set_comment_status(&mut app.conn(), ids[2], CommentStatus::Trash).unwrap();
        agree(&app, "moderation");
        // A day earlier (as an import's dates), then out of spam and back.
        diesel::update(comments::table.filter(comments::id.eq_any([ids[0], ids[1]])))
            .set(comments::created_at.eq(comments::created_at - 86_400))
            .execute(&mut app.conn())
            .unwrap();
        set_comment_status(&mut app.conn(), ids[1], CommentStatus::Pending).unwrap();
        agree(&app, "moving two comments a day back, one of them out of spam");
        set_comment_status(&mut app.conn(), ids[1], CommentStatus::Spam).unwrap();
        agree(&app, "spam again");
        delete_comment(&mut app.conn(), ids[1]).unwrap();
        erase_comments_by_email(&mut app.conn(), "reader3@example.com").unwrap();
        agree(&app, "deletion and erasure");
        // Through the panel, in bulk.
        app.log_in_as(Role::Admin).await;
        let (first, second) = (format!("c{}", ids[4]), format!("c{}", ids[5]));
        let bulk = app.admin_post("/admin/comments/bulk", &[("action", "approve"), (&first, "1"), (&second, "1")]).await;
        assert_eq!(bulk.status(), StatusCode::SEE_OTHER);
        agree(&app, "bulk approval");
        let panel = app.get("/admin/comments?status=pending").await.text().await.unwrap();
        let pending = count_with_status(&mut app.conn(), CommentStatus::Pending).unwrap();
        assert_eq!(pending, 1);
        assert!(panel.contains("Pending (1)</a>"), "{panel}");
        // The chart draws them: six comments less the one deleted (an
        // erased one stays, anonymised), all within its 30 days.
        let dashboard = app.get("/admin/").await.text().await.unwrap();
        assert!(dashboard.contains("5 comments in 30 days."), "{dashboard}");
    }
}

on_both_backends! {
    async fn the_dashboard_chart_counts_each_comment_on_its_own_local_day(app) {
        use ferropress::db::schema::comments;
        // Kolkata is 5 h 30 ahead of UTC all year: its days start on a half hour.
        const OFFSET: i64 = 19_800;
        app.set_setting(keys::TIMEZONE, "Asia/Kolkata").await;
        let (_, ids) = post_with_pending_comments(&app, 5).await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let today = now - (now + OFFSET).rem_euclid(86_400);
        let first = today - 29 * 86_400;
        // Today's first second and now; the last second of yesterday; the
        // chart's first second; the second before it (left out).
        for (id, at) in ids.iter().zip([today, now, today - 1, first, first - 1]) {
            diesel::update(comments::table.find(id)).set(comments::created_at.eq(at)).execute(&mut app.conn()).unwrap();
        }
        app.log_in_as(Role::Admin).await;
        let dashboard = app.get("/admin/").await.text().await.unwrap();
        let titles: Vec<&str> = dashboard
            .split("<rect class=\"bar\"")
            .skip(1)
            .filter_map(|bar| bar.split("<title>").nth(1)?.split("</title>").next())
            .collect();
        assert_eq!(titles.len(), 30, "{dashboard}");
        let label = |at: i64| {
            let local = chrono::DateTime::from_timestamp(at + OFFSET, 0).unwrap();
            local.format("%b %-d").to_string()
        };
        let mut expected: Vec<String> = (0..30).map(|day| format!("{}: 0 comments", label(first + day * 86_400 + 43_200))).collect();
        expected[0] = format!("{}: 1 comment", label(first + 43_200));
        expected[28] = format!("{}: 1 comment", label(today - 43_200));
        expected[29] = format!("{}: 2 comments", label(today + 43_200));
        assert_eq!(titles, expected);
        assert!(dashboard.contains("4 comments in 30 days."), "{dashboard}");
    }
}

on_both_backends! {
    async fn dates_are_shown_in_the_site_timezone_and_formats(app) {
        app.log_in_as(Role::Admin).await;
        app.approve_comments_automatically().await;
        let fields = [("site_title", "Spine Notes"), ("posts_per_page", "10"), ("link_limit", "2"), ("close_after_days", "0"), ("thread_depth", "5"), ("comments_per_minute", "0")];
        let page = app.get("/admin/settings").await.text().await.unwrap();
        assert!(page.contains("<option selected>UTC</option>") && page.contains(r#"name="date_format" type="text" value="F j, Y""#));

        for (name, value, message) in [
            ("timezone", "Mars/Olympus", "Choose a timezone from the list, such as Europe/Berlin or America/New_York."),
            ("date_format", "F\nj", "Enter a date format of at most 100 characters, such as F j, Y."),
            ("time_format", &"H".repeat(101), "Enter a time format of at most 100 characters, such as g:i a."),
        ] {
            let mut bad = fields.to_vec();
            bad.push((name, value));
            let refused = app.admin_post("/admin/settings", &bad).await;
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            assert!(refused.text().await.unwrap().contains(message), "{name}");
        }
        assert_eq!(app.state.site().clock, Default::default(), "nothing saved");

        let mut local = fields.to_vec();
        local.extend([("timezone", "Asia/Tokyo"), ("date_format", "Y年n月j日 (l)"), ("time_format", "H:i")]);
        assert_eq!(app.admin_post("/admin/settings", &local).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.site().clock.timezone.name(), "Asia/Tokyo");

        // Published 2022-03-14 20:30 UTC: already the 15th in Tokyo (UTC+9).
        let post = app.publish("A late post", "Body.", 0, &[]);
        {
            use diesel::prelude::*;
            use ferropress::db::schema::posts;
            diesel::update(posts::table.find(post.id)).set(posts::published_at.eq(1_647_289_800)).execute(&mut app.conn()).unwrap();
            ferropress::models::setting::content_changed(&mut app.conn()).unwrap();
        }
        let post = ferropress::models::post::find_post(&mut app.conn(), post.id).unwrap().unwrap();
        assert_eq!(app.post_comment(&post, &app.comment_fields("Late words.")).await.status(), StatusCode::SEE_OTHER);
        let comment = app.comments_of(&post).remove(0);
        {
            use diesel::prelude::*;
            use ferropress::db::schema::comments;
            diesel::update(comments::table.find(comment.id)).set(comments::created_at.eq(1_647_289_860)).execute(&mut app.conn()).unwrap();
            ferropress::models::setting::content_changed(&mut app.conn()).unwrap();
        }
        app.state.sync_content_version();
        let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
        assert!(page.contains("2022年3月15日 (Tuesday)"), "the post's date, in Tokyo");
        assert!(page.contains("2022年3月15日 (Tuesday) at 05:31"), "the comment's date and time, in Tokyo");
        assert!(page.contains(r#"datetime="2022-03-14T20:30:00Z""#), "machines still get UTC");
        let (_, home) = app.get_page_as_stranger("/").await;
        assert!(home.contains("2022年3月15日 (Tuesday)"));
        let queue = app.get("/admin/comments").await.text().await.unwrap();
        assert!(queue.contains("2022年3月15日 (Tuesday) at 05:31"), "staff see the same");

        // The editor shows and reads the publish date in the site's zone.
        let editor = app.get(&format!("/admin/posts/{}/edit", post.id)).await.text().await.unwrap();
        assert!(editor.contains("Publish date (Asia/Tokyo)") && editor.contains(r#"value="2022-03-15T05:30""#), "{editor}");
        let saved = app.admin_post(&format!("/admin/posts/{}/edit", post.id), &[("title", "A late post"), ("body", "Body."), ("status", "published"), ("published_at", "2022-03-15T09:00"), ("allow_comments", "1")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let post = ferropress::models::post::find_post(&mut app.conn(), post.id).unwrap().unwrap();
        assert_eq!(post.published_at, 1_647_302_400, "09:00 in Tokyo is 00:00 UTC");
    }
}

/// The texts after `row` on a panel screen that start with `named`, in
/// order, following its "Older" link to the end.
async fn every_page_of(app: &TestApp, first: &str, row: &str, named: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let html = app.get(&path).await.text().await.unwrap();
        seen.extend(html.split(row).skip(1).filter_map(|rest| {
            let text = rest.split_once('>')?.1.split('<').next()?;
            text.starts_with(named).then(|| text.to_owned())
        }));
        next = html
            .split("href=\"")
            .filter_map(|rest| rest.split('"').next())
            .find(|href| href.contains("before="))
            .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"));
        assert!(seen.len() <= 100, "the pages end");
    }
    seen
}

on_both_backends! {
    async fn the_posts_screen_lists_every_post_newest_first_twenty_a_page(app) {
        use ferropress::domain::PostStatus;
        use ferropress::models::post::NewPost;
        app.log_in_as(Role::Admin).await;
        // Made in an order unlike their dates (as an import makes them), in
        // every status; two dated the same second.
        let day = 86_400;
        let base = ferropress::models::now() - 400 * day;
        let mut made = Vec::new();
        for n in 0..27_i64 {
            let mut post = NewPost::published(&format!("Post number {n:02}"), "Body.");
            let slot = if n == 26 { 13 } else { n };
            post.published_at = base + ((slot * 7) % 27) * day;
            post.status = match n % 9 {
                1 | 5 => PostStatus::Draft,
                3 => PostStatus::Private,
                7 => PostStatus::Trash,
                _ => PostStatus::Published,
            };
            if n == 4 {
                post.published_at = ferropress::models::now() + 30 * day; // scheduled
            }
            let created = app.create_post(post);
            made.push((created.published_at, created.id, created.title.clone(), created.status));
        }
        made.sort_by_key(|post| std::cmp::Reverse((post.0, post.1)));
        type Made = (i64, i64, String, PostStatus);
        let titles = |keep: &dyn Fn(&Made) -> bool| -> Vec<String> {
            made.iter().filter(|post| keep(post)).map(|post| post.2.clone()).collect()
        };
        let link = "href=\"/admin/posts/";
        let all = every_page_of(&app, "/admin/posts", link, "Post number").await;
        assert_eq!(all, titles(&|post| post.3 != PostStatus::Trash), "All: newest first, no trash");
        assert_eq!(all.len(), 24, "over two pages");
        let now = ferropress::models::now();
        assert_eq!(every_page_of(&app, "/admin/posts?status=published", link, "Post number").await, titles(&|post| post.3 == PostStatus::Published && post.0 <= now));
        assert_eq!(every_page_of(&app, "/admin/posts?status=scheduled", link, "Post number").await, ["Post number 04"]);
        assert_eq!(every_page_of(&app, "/admin/posts?status=draft", link, "Post number").await, titles(&|post| post.3 == PostStatus::Draft));
        assert_eq!(every_page_of(&app, "/admin/posts?status=trash", link, "Post number").await, titles(&|post| post.3 == PostStatus::Trash));
    }
}

on_both_backends! {
    async fn the_all_comments_tab_pages_through_pending_and_approved_alike(app) {
        use ferropress::models::comment::set_comment_status;
        let (_, ids) = post_with_pending_comments(&app, 26).await;
        for (n, id) in ids.iter().enumerate() {
            let status = match n % 5 {
                0 | 2 => Some(CommentStatus::Approved),
                4 => Some(CommentStatus::Spam),
                _ => None,
            };
            if let Some(status) = status {
                set_comment_status(&mut app.conn(), *id, status).unwrap();
            }
        }
        app.log_in_as(Role::Moderator).await;
        let shown = every_page_of(&app, "/admin/comments", "<div class=\"comment-text\" dir=\"auto\"><p", "Reader comment").await;
        let expected: Vec<String> = (0..26).rev().filter(|n| n % 5 != 4).map(|n| format!("Reader comment number {n}")).collect();
        assert_eq!(shown, expected, "newest first, spam left out, no comment twice");
    }
}

on_both_backends! {
    async fn trash_and_restore_sent_twice_leave_a_post_and_a_comment_as_they_were(app) {
        // A double click, a form sent again from the back button, two
        // moderators at once: the second Trash must not forget what the
        // item was, the second Restore must not change it.
        app.approve_comments_automatically().await;
        let post = app.publish("Kept public", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("Kept approved.")).await;
        let comment = app.comments_of(&post).remove(0);
        assert_eq!(comment.status, CommentStatus::Approved);
        app.log_in_as(Role::Admin).await;
        for action in ["trash", "trash", "restore", "restore"] {
            let answer = app.admin_post(&format!("/admin/posts/{}/{action}", post.id), &[]).await;
            assert_eq!(answer.status(), StatusCode::SEE_OTHER, "post {action}");
            let answer = app.admin_post(&format!("/admin/comments/{}/{action}", comment.id), &[]).await;
            assert_eq!(answer.status(), StatusCode::SEE_OTHER, "comment {action}");
        }
        let post = ferropress::models::post::find_post(&mut app.conn(), post.id).unwrap().unwrap();
        assert_eq!(post.status, ferropress::domain::PostStatus::Published);
        assert_eq!(status_of(&app, comment.id).as_deref(), Some("approved"));
        let (status, page) = app.get_page_as_stranger(&post.permalink()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Kept approved."));
    }
}
