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
