//! Permalinks as the site had them (Settings > Permalinks): the structure
//! read from an export's addresses, every address below a post, comments
//! sent to a post wherever it lives, and a change of structure that keeps
//! every earlier address answering.

use ferropress::domain::Role;
use reqwest::StatusCode;

use crate::helpers::{fresh_client, TestApp};
use crate::protected_posts::import_second_site;

fn post_by_wp_id(app: &TestApp, wp_id: i64) -> ferropress::models::post::Post {
    ferropress::models::post::find_post_by_wp_id(&mut app.conn(), wp_id)
        .unwrap()
        .expect("imported")
}

on_both_backends! {
    async fn a_postname_blog_keeps_its_addresses_and_everything_below_them(app) {
        let summary = import_second_site(&app);
        assert_eq!(summary.permalinks.as_deref(), Some("/%postname%/"), "{summary}");
        assert!(summary.to_string().contains("permalinks set to /%postname%/"), "{summary}");
        let post = post_by_wp_id(&app, 10);
        assert_eq!(post.permalink(), "/first-snow-on-the-pass/");
        assert_eq!(post.id, 10, "WordPress's id kept");
        // The post, canonical where WordPress had it.
        let (status, page) = app.get_page("/first-snow-on-the-pass/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("The pass closed early this year."));
        assert!(page.contains("<link rel=\"canonical\" href=\"") && page.contains("/first-snow-on-the-pass/\">"), "{page}");
        // Below it: its comments feed (each of WordPress's names), `amp/`
        // and `1/` back to it.
        for feed in ["feed/", "feed/rss2/", "feed/atom/"] {
            let response = app.get(&format!("/first-snow-on-the-pass/{feed}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{feed}");
            let body = response.text().await.unwrap();
            assert!(body.contains("Lovely photos, thanks!"), "{feed}: {body}");
        }
        assert_eq!(app.redirect_target("/first-snow-on-the-pass/amp/").await, "/first-snow-on-the-pass/");
        assert_eq!(app.redirect_target("/first-snow-on-the-pass/1/").await, "/first-snow-on-the-pass/");
        assert_eq!(app.redirect_target("/first-snow-on-the-pass/comment-page-1/").await, "/first-snow-on-the-pass/");
        // A comment page past the last (WordPress's pages may have been
        // smaller): the post, where its comments are.
        assert_eq!(app.redirect_target("/first-snow-on-the-pass/comment-page-6/").await, "/first-snow-on-the-pass/");
        // Without the slash, and ferropress's dated form: to it.
        assert_eq!(app.redirect_target("/first-snow-on-the-pass").await, "/first-snow-on-the-pass/");
        assert_eq!(app.redirect_target("/2023/01/15/first-snow-on-the-pass/").await, "/first-snow-on-the-pass/");
        // Listings, feeds and the sitemap name it there.
        for listing in ["/", "/feed/", "/sitemap-posts-1.xml", "/topics/trails/"] {
            let (_, body) = app.get_page(listing).await;
            assert!(body.contains("/first-snow-on-the-pass/"), "{listing}");
            assert!(!body.contains("/2023/01/15/first-snow-on-the-pass/"), "{listing}");
        }
        // A page and a post of one slug: the page, as WordPress resolves it.
        let (_, page) = app.get_page("/secret-page/").await;
        assert!(page.contains("post-password-required"), "the page's form");
    }
}

on_both_backends! {
    async fn a_comment_reaches_a_post_at_any_structures_address(app) {
        import_second_site(&app);
        app.approve_comments_automatically().await;
        let post = post_by_wp_id(&app, 10);
        let reader = fresh_client();
        let response = reader.post(app.url("/first-snow-on-the-pass/")).form(&app.comment_fields("Went there too.")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/first-snow-on-the-pass/#comment-"), "{location}");
        assert!(app.comments_of(&post).iter().any(|comment| comment.body_source == "Went there too."));
        // A refusal shows the form again there, the text kept.
        let mut empty = app.comment_fields("Kept words");
        empty[1].1 = String::new();
        let refused = reader.post(app.url("/first-snow-on-the-pass/")).form(&empty).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("Kept words"));
        // Nowhere: 404, nothing stored.
        let before = app.comments_of(&post).len();
        let nowhere = reader.post(app.url("/no-such-post/")).form(&app.comment_fields("Lost?")).send().await.unwrap();
        assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.comments_of(&post).len(), before);
        // Too large: 413.
        let huge = "x".repeat(70 * 1024);
        let response = reader.post(app.url("/first-snow-on-the-pass/")).form(&app.comment_fields(&huge)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

on_both_backends! {
    async fn changing_the_structure_moves_every_post_and_keeps_every_earlier_address(app) {
        app.log_in_as(Role::Admin).await;
        let post = app.publish("Hut opening times", "Open from June.", 3, &[]);
        let dated = post.permalink();
        assert!(dated.ends_with("/hut-opening-times/") && dated.len() > 20, "{dated}");
        let (_, screen) = app.get_page("/admin/settings/permalinks").await;
        assert!(screen.contains("Post name") && screen.contains("Custom Structure"), "{screen}");
        // A structure that names no post, or an unknown tag: 422, as typed.
        for (typed, message) in [
            ("/%year%/%monthnum%/", "needs %postname% or %post_id%"),
            ("/%title%/", "Use only WordPress"),
        ] {
            let response = app.admin_post("/admin/settings/permalinks", &[("selection", "custom"), ("permalink_structure", typed)]).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
            let body = response.text().await.unwrap();
            assert!(body.contains(message) && body.contains(&format!("value=\"{typed}\"")), "{typed}: {body}");
        }
        assert_eq!(app.get(&dated).await.status(), StatusCode::OK, "nothing changed");
        // Post name.
        let response = app.admin_post("/admin/settings/permalinks", &[("selection", "/%postname%/")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/hut-opening-times/").await.status(), StatusCode::OK);
        assert_eq!(app.redirect_target(&dated).await, "/hut-opening-times/");
        // Numeric, without a trailing slash, as WordPress writes it.
        let response = app.admin_post("/admin/settings/permalinks", &[("selection", "custom"), ("permalink_structure", "/archives/%post_id%")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let numeric = format!("/archives/{}", post.id);
        assert_eq!(app.get(&numeric).await.status(), StatusCode::OK);
        assert_eq!(app.get(&format!("{numeric}/feed/")).await.status(), StatusCode::OK);
        assert_eq!(app.redirect_target("/hut-opening-times/").await, numeric);
        assert_eq!(app.redirect_target(&dated).await, numeric);
        // A comment to it there.
        app.approve_comments_automatically().await;
        let response = fresh_client().post(app.url(&numeric)).form(&app.comment_fields("Numbers work.")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // And back to the default: the dated address is its own again.
        let response = app.admin_post("/admin/settings/permalinks", &[("selection", "/%year%/%monthnum%/%day%/%postname%/")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get(&dated).await.status(), StatusCode::OK);
        assert_eq!(app.redirect_target(&numeric).await, dated);
    }
}

/// Settings > General as sent, with `timezone`.
fn settings_with_timezone(timezone: &'static str) -> [(&'static str, &'static str); 9] {
    [
        ("site_title", "Alps"),
        ("tagline", "Walks"),
        ("posts_per_page", "10"),
        ("link_limit", "2"),
        ("close_after_days", "0"),
        ("thread_depth", "5"),
        ("comments_per_minute", "5"),
        ("timezone", timezone),
        ("notify_moderators", "1"),
    ]
}

on_both_backends! {
    async fn dated_addresses_are_the_sites_local_dates(app) {
        app.log_in_as(Role::Admin).await;
        // 2023-01-14 23:30 UTC is 00:30 on the 15th in Zurich.
        let mut new_post = ferropress::models::post::NewPost::published("Midnight walk", "Dark.");
        new_post.published_at = 1_673_739_000;
        let post = app.create_post(new_post);
        assert_eq!(post.permalink(), "/2023/01/14/midnight-walk/");
        app.set_setting("timezone_string", "Europe/Zurich").await;
        let response = app.admin_post("/admin/settings", &settings_with_timezone("Europe/Zurich")).await;
        let status = response.status();
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());
        // Saved with the same timezone it had: nothing moves.
        assert_eq!(app.get("/2023/01/14/midnight-walk/").await.status(), StatusCode::OK);
        // A change of timezone moves dated addresses to the local day.
        app.set_setting("timezone_string", "UTC").await;
        let response = app.admin_post("/admin/settings", &settings_with_timezone("Europe/Zurich")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/2023/01/15/midnight-walk/").await.status(), StatusCode::OK);
        assert_eq!(app.redirect_target("/2023/01/14/midnight-walk/").await, "/2023/01/15/midnight-walk/");
        // The day's archive is the site's day too.
        let (_, day) = app.get_page("/2023/01/15/").await;
        assert!(crate::helpers::main_content(&day).contains("Midnight walk"), "{day}");
        let (status, before) = app.get_page("/2023/01/14/").await;
        assert!(status == StatusCode::NOT_FOUND || !crate::helpers::main_content(&before).contains("Midnight walk"));
        assert!(day.contains("January 2023"), "the sidebar's month");
    }
}

on_both_backends! {
    async fn category_and_tag_bases_are_kept_and_the_old_ones_lead_there(app) {
        let summary = import_second_site(&app);
        assert_eq!((summary.category_base.as_deref(), summary.tag_base.as_deref()), (Some("topics"), Some("keyword")), "{summary}");
        for path in ["/topics/trails/", "/topics/trails/feed/", "/keyword/snow/", "/keyword/snow/feed/"] {
            assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
        }
        assert_eq!(app.redirect_target("/category/trails/").await, "/topics/trails/");
        assert_eq!(app.redirect_target("/tag/snow/feed/").await, "/keyword/snow/feed/");
        let (_, post) = app.get_page("/first-snow-on-the-pass/").await;
        assert!(post.contains("href=\"/topics/trails/\" rel=\"category tag\""), "{post}");
        assert!(post.contains("href=\"/keyword/snow/\" rel=\"tag\""), "{post}");
        assert!(!post.contains("href=\"/category/") && !post.contains("href=\"/tag/"), "{post}");
        let (_, sitemap) = app.get_page("/sitemap-categories-1.xml").await;
        assert!(sitemap.contains("/topics/trails/"), "{sitemap}");
        // Settings > Permalinks changes them; a base that is one of the
        // site's own addresses is refused at its field.
        app.log_in_as(Role::Admin).await;
        let (_, screen) = app.get_page("/admin/settings/permalinks").await;
        assert!(screen.contains("value=\"topics\"") && screen.contains("value=\"keyword\""), "{screen}");
        let refused = app.admin_post("/admin/settings/permalinks", &[("selection", "/%postname%/"), ("category_base", "admin"), ("tag_base", "keyword")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("not one of the site"), "message at the field");
        let saved = app.admin_post("/admin/settings/permalinks", &[("selection", "/%postname%/"), ("category_base", ""), ("tag_base", "")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/category/trails/").await.status(), StatusCode::OK);
        let (status, _) = app.get_page("/topics/trails/").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a base given up is nobody's address");
    }
}

on_both_backends! {
    async fn newer_comments_can_come_first_on_each_page_as_wordpress_offers(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("A busy post", "Words.", 1, &[]);
        for (index, text) in ["First thread.", "Second thread.", "Third thread."].iter().enumerate() {
            let mut fields = app.comment_fields(text);
            fields[2].1 = format!("reader{index}@example.com");
            let response = fresh_client().post(app.url(&post.permalink())).form(&fields).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        let first = app.comments_of(&post)[0].id;
        let mut reply = app.comment_fields("A reply to the first.");
        reply[4].1 = first.to_string();
        reply[2].1 = "replier@example.com".to_owned();
        fresh_client().post(app.url(&post.permalink())).form(&reply).send().await.unwrap();
        let order = |page: &str, words: [&str; 4]| -> Vec<usize> {
            words.iter().map(|word| page.find(word).expect(word)).collect()
        };
        let words = ["First thread.", "A reply to the first.", "Second thread.", "Third thread."];
        let (_, oldest_first) = app.get_page_as_stranger(&post.permalink()).await;
        let at = order(&oldest_first, words);
        assert!(at[0] < at[1] && at[1] < at[2] && at[2] < at[3], "{at:?}");
        app.log_in_as(Role::Admin).await;
        let mut fields = settings_with_timezone("UTC").to_vec();
        fields.push(("comment_order", "desc"));
        let saved = app.admin_post("/admin/settings", &fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let (_, screen) = app.get_page("/admin/settings").await;
        assert!(screen.contains("<option value=\"desc\" selected>newer</option>"), "{screen}");
        let (_, newest_first) = app.get_page_as_stranger(&post.permalink()).await;
        let at = order(&newest_first, words);
        // Threads newest first, each reply still under its comment.
        assert!(at[3] < at[2] && at[2] < at[0] && at[0] < at[1], "{at:?}");
    }
}

on_both_backends! {
    async fn a_child_page_by_its_own_slug_and_an_empty_day_answer_as_wordpress(app) {
        use ferropress::models::post::{save_page, PageInput};
        let page = |title: &str, parent_id: Option<i64>| PageInput {
            title: title.to_owned(), slug: None, body_markdown: "Words.".to_owned(),
            status: ferropress::domain::PostStatus::Published, parent_id, menu_order: 0,
            author_id: None, in_menu: false, password: String::new(),
        };
        let about = save_page(&mut app.conn(), None, &page("About", None)).unwrap();
        save_page(&mut app.conn(), None, &page("Directions", Some(about.id))).unwrap();
        assert_eq!(app.redirect_target("/directions/").await, "/about/directions/");
        // A day with no posts is no archive; a day with one is.
        let post = app.publish("Dated", "Words.", 3, &[]);
        let day = &post.permalink()[..12];
        assert_eq!(app.get(day).await.status(), StatusCode::OK, "{day}");
        assert_eq!(app.get("/1999/01/01/").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.get("/1999/").await.status(), StatusCode::NOT_FOUND);
    }
}
