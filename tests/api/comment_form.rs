//! The comment form as WordPress readers know it: "Save my name, email, and
//! website in this browser", and "Preview" without JavaScript.

use reqwest::StatusCode;

use crate::helpers::TestApp;

fn reader() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (String, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cache_control = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    (cache_control, response.text().await.unwrap())
}

on_both_backends! {
    async fn a_reader_who_asks_is_remembered_in_their_own_browser_only(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let stranger = reqwest::Client::new();
        let (_, blank) = page(&stranger, &app, &post.permalink()).await;
        assert!(blank.contains("Save my name, email, and website in this browser for the next time I comment."));
        assert!(blank.contains(r#"id="remember" name="remember" type="checkbox" value="1">"#), "unticked by default");

        // Not asked: nothing kept.
        let ann = reader();
        let mut fields = app.comment_fields("First thought.");
        fields[3].1 = "https://ann.example.org/".to_owned();
        let answer = ann.post(app.url(&post.permalink())).form(&fields).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert!(!answer.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("ferropress_commenter=")));

        // Asked: a year, SameSite=Lax, theirs alone.
        let mut asked = app.comment_fields("Second thought.");
        asked[3].1 = "https://ann.example.org/".to_owned();
        asked.push(("remember", "1".to_owned()));
        let answer = ann.post(app.url(&post.permalink())).form(&asked).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let cookie = answer.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).find(|c| c.starts_with("ferropress_commenter=")).expect("the details cookie");
        assert!(cookie.contains("Max-Age=31536000") && cookie.contains("SameSite=Lax") && cookie.contains("HttpOnly"), "{cookie}");

        // Next time the form is filled in, on the server, privately.
        let ben = reader();
        let (cache_control, filled) = page(&ann, &app, &post.permalink()).await;
        assert!(filled.contains(r#"value="Ann Reader""#) && filled.contains(r#"value="ann.reader@example.com""#) && filled.contains(r#"value="https://ann.example.org/""#), "prefilled");
        assert!(filled.contains(r#"value="1" checked>"#), "the box stays ticked");
        assert_eq!(cache_control, "private, no-store");
        // Nobody else ever gets those details, from the cache or not.
        for client in [&stranger, &ben, &stranger] {
            let (_, other) = page(client, &app, &post.permalink()).await;
            assert!(!other.contains("ann.reader@example.com") && !other.contains("ann.example.org"), "another reader's page");
        }
        let (_, other) = page(&stranger, &app, "/").await;
        assert!(!other.contains("ann.reader@example.com"));

        // Unticked next time: forgotten.
        let answer = ann.post(app.url(&post.permalink())).form(&app.comment_fields("Third thought.")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let removal = answer.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).find(|c| c.starts_with("ferropress_commenter=")).expect("the cookie removed");
        assert!(removal.contains("Max-Age=0"), "{removal}");
        let (_, after) = page(&ann, &app, &post.permalink()).await;
        assert!(!after.contains(r#"value="ann.reader@example.com""#));
    }
}

on_both_backends! {
    async fn preview_shows_the_comment_as_it_will_appear_and_stores_nothing(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let (_, blank) = app.get_page(&post.permalink()).await;
        assert!(blank.contains(r#"name="preview" value="1""#), "a Preview button");
        let mut fields = app.comment_fields("Some **bold** words and https://example.org/page <script>alert(1)</script>");
        fields.push(("preview", "1".to_owned()));
        let answer = reader().post(app.url(&post.permalink())).form(&fields).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["cache-control"], "private, no-store");
        let shown = answer.text().await.unwrap();
        let preview = shown.split("id=\"comment-preview\"").nth(1).expect("a preview").split("</section>").next().unwrap();
        assert!(preview.contains("<strong>bold</strong>"), "{preview}");
        assert!(preview.contains(r#"href="https://example.org/page""#), "{preview}");
        assert!(!preview.contains("<script"), "sanitised as it will be: {preview}");
        assert!(preview.contains("Ann Reader"));
        assert!(shown.contains("Some **bold** words"), "the text kept in the form");
        assert!(app.comments_of(&post).is_empty(), "nothing stored");

        // An invalid comment is refused as it would be when posted.
        let mut empty = app.comment_fields("");
        empty.push(("preview", "1".to_owned()));
        let answer = reader().post(app.url(&post.permalink())).form(&empty).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!answer.text().await.unwrap().contains("id=\"comment-preview\""));

        // Previews do not count against the comment rate limit.
        app.set_setting(ferropress::models::setting::keys::COMMENTS_PER_MINUTE, "1").await;
        for _ in 0..3 {
            let answer = reader().post(app.url(&post.permalink())).form(&fields).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
        }
        let posted = app.post_comment_as_stranger(&post, &app.comment_fields("Now for real.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.comments_of(&post).len(), 1);
    }
}

/// The value of the `Set-Cookie` named `name`, with its attributes.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{name}=")))
}

/// The hidden `token` of the edit page.
fn edit_token(html: &str) -> String {
    html.split(r#"name="token" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

on_both_backends! {
    async fn a_commenter_edits_or_deletes_their_own_comment_for_ten_minutes(app) {
        use diesel::prelude::*;
        use ferropress::domain::CommentStatus;
        use ferropress::models::comment::{comment_revisions, find_comment};
        use ferropress::routes::comments::edit::WINDOW_CLOSED_MESSAGE;

        app.approve_comments_automatically().await;
        app.set_setting("notify_email", "moderator@example.com").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let ann = reader();
        let sent = ann.post(app.url(&post.permalink())).form(&app.comment_fields("My first words.")).send().await.unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let id = app.comments_of(&post)[0].id;
        let cookie = set_cookie(&sent, &format!("ferropress_edit_{id}")).expect("the author's edit cookie");
        assert!(cookie.contains("Max-Age=600") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");

        // Only the author sees Edit and Delete, on a page rendered for them.
        let edit_link = format!(r#"href="/comments/{id}/edit""#);
        let (private, own_page) = page(&ann, &app, &post.permalink()).await;
        assert!(own_page.contains(&edit_link) && own_page.contains(&format!(r#"href="/comments/{id}/edit#delete-comment""#)));
        assert_eq!(private, "private, no-store");
        let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (public, their_page) = page(&stranger, &app, &post.permalink()).await;
        assert!(!their_page.contains(&edit_link) && their_page.contains("My first words."));
        assert_eq!(public, "public, max-age=0, must-revalidate");
        let refused = stranger.get(app.url(&format!("/comments/{id}/edit"))).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap().contains(WINDOW_CLOSED_MESSAGE));

        let form = ann.get(app.url(&format!("/comments/{id}/edit"))).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let form = form.text().await.unwrap();
        assert!(form.contains(">My first words.</textarea>") && form.contains("about 10 minutes more"));
        let token = edit_token(&form);
        let edit_url = app.url(&format!("/comments/{id}/edit"));
        // Someone else, even with the form's token, cannot; nor the author without it.
        assert_eq!(stranger.post(&edit_url).form(&[("comment", "Hijacked."), ("token", &token)]).send().await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(ann.post(&edit_url).form(&[("comment", "Forged."), ("token", "00")]).send().await.unwrap().status(), StatusCode::FORBIDDEN);
        let empty = ann.post(&edit_url).form(&[("comment", "  "), ("token", &token)]).send().await.unwrap();
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().await.unwrap().contains("Please type your comment."));
        let too_long = ann.post(&edit_url).form(&[("comment", "x".repeat(10_001).as_str()), ("token", &token)]).send().await.unwrap();
        assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(find_comment(&mut app.conn(), id).unwrap().unwrap().body_source, "My first words.", "nothing changed");

        let saved = ann.post(&edit_url).form(&[("comment", "My *better* words."), ("token", &token)]).send().await.unwrap();
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(saved.headers()["location"].to_str().unwrap(), format!("{}#comment-{id}", post.permalink()));
        let edited = find_comment(&mut app.conn(), id).unwrap().unwrap();
        assert_eq!((edited.body_source.as_str(), edited.status), ("My *better* words.", CommentStatus::Approved));
        let (_, their_page) = page(&stranger, &app, &post.permalink()).await;
        assert!(their_page.contains("My <em>better</em> words.") && !their_page.contains("My first words."), "everyone sees the edit at once");
        let revisions = comment_revisions(&mut app.conn(), id).unwrap();
        assert_eq!(revisions.len(), 1);
        assert_eq!((revisions[0].0.as_str(), revisions[0].2), ("My first words.", false), "kept as the author's revision");

        // Judged again: an approved comment that gains links is held, and
        // the moderators are told as of a new comment.
        let mails_before: i64 = ferropress::db::schema::outbox::table.count().get_result(&mut app.conn()).unwrap();
        let linked = ann.post(&edit_url).form(&[("comment", "See https://a.example/ and https://b.example/"), ("token", &token)]).send().await.unwrap();
        assert_eq!(linked.status(), StatusCode::SEE_OTHER);
        assert!(set_cookie(&linked, "ferropress_held").is_some(), "its author still sees it");
        assert_eq!(find_comment(&mut app.conn(), id).unwrap().unwrap().status, CommentStatus::Pending);
        let mails_after: i64 = ferropress::db::schema::outbox::table.count().get_result(&mut app.conn()).unwrap();
        assert_eq!(mails_after, mails_before + 1, "a moderation mail");
        let (_, their_page) = page(&stranger, &app, &post.permalink()).await;
        assert!(!their_page.contains("b.example"), "held: gone from the public page");
        let (_, own_page) = page(&ann, &app, &post.permalink()).await;
        assert!(own_page.contains("Your comment is awaiting moderation.") && own_page.contains(&edit_link));

        // The panel shows the revisions, with who made them.
        app.log_in_as(ferropress::domain::Role::Moderator).await;
        let panel = app.get(&format!("/admin/comments/{id}/edit")).await.text().await.unwrap();
        assert!(panel.contains("by its author:") && panel.contains("My *better* words."), "{panel}");

        // Delete: to the Trash, the cookie forgotten.
        let deleted = ann.post(app.url(&format!("/comments/{id}/delete"))).form(&[("token", &token)]).send().await.unwrap();
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        assert_eq!(deleted.headers()["location"].to_str().unwrap(), format!("{}#comments", post.permalink()));
        assert!(set_cookie(&deleted, &format!("ferropress_edit_{id}")).unwrap().contains("Max-Age=0"));
        assert_eq!(find_comment(&mut app.conn(), id).unwrap().unwrap().status, CommentStatus::Trash);
        assert_eq!(ann.get(&edit_url).send().await.unwrap().status(), StatusCode::FORBIDDEN);

        // After the window: a cookie whose time is up opens nothing.
        let sent = ann.post(app.url(&post.permalink())).form(&app.comment_fields("Second words.")).send().await.unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let second = app.comments_of(&post).into_iter().find(|comment| comment.body_source == "Second words.").unwrap().id;
        let now = ferropress::models::now();
        let stale = ferropress::routes::comments::own::own_cookie(second, now - 1, now - 601, &app.state.secret_key, false);
        let late = stranger.get(app.url(&format!("/comments/{second}/edit"))).header("cookie", format!("{}={}", stale.name(), stale.value())).send().await.unwrap();
        assert_eq!(late.status(), StatusCode::FORBIDDEN);

        // Off in Settings: no cookie at all.
        let bad = app.admin_post("/admin/settings", &[("edit_minutes", "many")]).await;
        assert_eq!(bad.status(), StatusCode::FORBIDDEN, "a moderator cannot change settings");
        app.set_setting("comment_edit_minutes", "0").await;
        let sent = reader().post(app.url(&post.permalink())).form(&app.comment_fields("Third words.")).send().await.unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        assert!(!sent.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("ferropress_edit_")));
    }
}
