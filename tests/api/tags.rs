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
