//! Tags from the post editor to the reader's tag pages, and the Tags screen.

use diesel::prelude::*;
use ferropress::db::schema::tags;
use ferropress::domain::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn tag_id(app: &TestApp, slug: &str) -> i64 {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(tags::id)
        .first(&mut app.conn())
        .unwrap()
}

on_both_backends! {
    async fn tags_are_typed_in_the_editor_and_managed_on_their_screen(app) {
        app.log_in_as(Role::Editor).await;
        let saved = app.admin_post("/admin/posts/new", &[("title", "Chairs"), ("body", "Sit well."), ("status", "published"), ("tags", " Posture,  lumbar roll , posture, Ergonomie & Co"), ("intent", "save")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let edit = saved.headers()["location"].to_str().unwrap().to_owned();
        let (_, editor) = app.get_page(&edit).await;
        assert!(editor.contains("value=\"Ergonomie &#38; Co, Posture, lumbar roll\""), "{editor}");
        let post = ferropress::models::post::find_public_post_by_slug(&mut app.conn(), "chairs").unwrap().unwrap();
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("<a href=\"/tag/lumbar-roll/\" rel=\"tag\">lumbar roll</a>"), "{page}");
        let (status, tag_page) = app.get_page("/tag/posture/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(tag_page.contains("Tag: <span>Posture</span>") && tag_page.contains("Chairs"));

        // Rename (a clash is refused), merge, delete.
        let (_, screen) = app.get_page("/admin/tags").await;
        assert!(screen.contains("lumbar-roll") && screen.contains("ergonomie-co"));
        let roll = tag_id(&app, "lumbar-roll");
        let clash = app.admin_post(&format!("/admin/tags/{roll}/edit"), &[("name", "Posture"), ("slug", "posture")]).await;
        assert_eq!(clash.status(), StatusCode::CONFLICT);
        assert!(clash.text().await.unwrap().contains("Another tag has that slug."));
        let renamed = app.admin_post(&format!("/admin/tags/{roll}/edit"), &[("name", "Lumbar support"), ("slug", "")]).await;
        assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/tag/lumbar-roll/").await.status(), StatusCode::NOT_FOUND);
        assert!(app.get_page("/tag/lumbar-support/").await.1.contains("Chairs"));
        let merged = app.admin_post(&format!("/admin/tags/{}/merge", tag_id(&app, "ergonomie-co")), &[("into", &tag_id(&app, "posture").to_string())]).await;
        assert_eq!(merged.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/tag/ergonomie-co/").await.status(), StatusCode::NOT_FOUND);
        let deleted = app.admin_post(&format!("/admin/tags/{}/delete", tag_id(&app, "posture")), &[]).await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("lumbar-support") && !page.contains("/tag/posture/"), "{page}");
        assert_eq!(tags::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 1);
        // Moderators do not manage tags.
        app.log_in_as(Role::Moderator).await;
        assert_eq!(app.get("/admin/tags").await.status(), StatusCode::FORBIDDEN);
    }
}

on_both_backends! {
    async fn category_and_tag_pages_list_posts_by_their_date_as_it_changes(app) {
        use ferropress::db::schema::{post_categories, post_tags, posts};
        app.log_in_as(Role::Editor).await;
        let neck = app.create_category("Neck", "");
        let cat = format!("cat_{}", neck.id);
        let save = |title: &'static str, at: &'static str, id: Option<String>| {
            let (app, cat) = (&app, cat.clone());
            async move {
                let path = match id {
                    Some(id) => format!("/admin/posts/{id}/edit"),
                    None => "/admin/posts/new".to_owned(),
                };
                let saved = app.admin_post(&path, &[("title", title), ("body", "Body."), ("status", "published"), ("allow_comments", "1"), (&cat, "1"), ("tags", "Posture"), ("published_at", at), ("intent", "save")]).await;
                assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{title}");
                let edit = saved.headers()["location"].to_str().unwrap().to_owned();
                edit.trim_start_matches("/admin/posts/").split('/').next().unwrap().to_owned()
            }
        };
        let older = save("Older post", "2024-01-01T10:00", None).await;
        save("Newer post", "2024-06-01T10:00", None).await;
        save("Later post", "2099-01-01T10:00", None).await;
        let listed = |path: &'static str| {
            let app = &app;
            async move {
                let (status, html) = app.get_page(path).await;
                assert_eq!(status, StatusCode::OK, "{path}");
                let html = crate::helpers::main_content(&html);
                let mut titles: Vec<(usize, &str)> = ["Older post", "Newer post", "Later post"]
                    .into_iter()
                    .filter_map(|title| html.find(title).map(|at| (at, title)))
                    .collect();
                titles.sort();
                titles.into_iter().map(|(_, title)| title).collect::<Vec<_>>()
            }
        };
        for path in ["/category/neck/", "/tag/posture/"] {
            assert_eq!(listed(path).await, ["Newer post", "Older post"], "{path}: newest first, the scheduled one not yet");
        }
        // Dated anew: the listings follow at once.
        save("Older post", "2025-01-01T10:00", Some(older.clone())).await;
        for path in ["/category/neck/", "/tag/posture/"] {
            assert_eq!(listed(path).await, ["Older post", "Newer post"], "{path}");
        }
        // Dated into the future: off the listings until then.
        save("Older post", "2098-01-01T10:00", Some(older)).await;
        for path in ["/category/neck/", "/tag/posture/"] {
            assert_eq!(listed(path).await, ["Newer post"], "{path}");
        }
        // Links made by deleting the category (its posts move to
        // Uncategorized) carry their posts' dates too.
        assert_eq!(app.admin_post(&format!("/admin/categories/{}/delete", neck.id), &[]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(listed("/category/uncategorized/").await, ["Newer post"]);
        let mut conn = app.conn();
        // However a post's date changes (here in the database itself, as a
        // script might), its links follow.
        diesel::update(posts::table.filter(posts::title.eq("Newer post")))
            .set(posts::published_at.eq(1_700_000_000))
            .execute(&mut conn)
            .unwrap();
        let stale_categories: i64 = post_categories::table
            .inner_join(posts::table)
            .filter(post_categories::published_at.ne(posts::published_at))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let stale_tags: i64 = post_tags::table
            .inner_join(posts::table)
            .filter(post_tags::published_at.ne(posts::published_at))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!((stale_categories, stale_tags), (0, 0));
        assert_eq!(post_categories::table.count().get_result::<i64>(&mut conn).unwrap(), 3);
    }
}
