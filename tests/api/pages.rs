//! Pages from the panel: a tree of parents and children, each at its
//! parents' address and its own, moving with its parent.

use ferropress::domain::Role;
use reqwest::StatusCode;

on_both_backends! {
    async fn pages_nest_and_move_with_their_parents(app) {
        app.log_in_as(Role::Editor).await;
        let about = app.admin_post("/admin/pages/new", &[("title", "About us"), ("body", "We treat *spines*."), ("status", "published"), ("menu_order", "2")]).await;
        assert_eq!(about.status(), StatusCode::SEE_OTHER);
        let about_id: i64 = about.headers()["location"].to_str().unwrap().split('/').nth(3).unwrap().parse().unwrap();
        let team = app.admin_post("/admin/pages/new", &[("title", "Our team"), ("body", "Dr. Lee and Dr. Ng."), ("status", "published"), ("parent", &about_id.to_string()), ("menu_order", "1")]).await;
        let team_id: i64 = team.headers()["location"].to_str().unwrap().split('/').nth(3).unwrap().parse().unwrap();
        let nurse = app.admin_post("/admin/pages/new", &[("title", "Nurses"), ("body", "Two nurses."), ("status", "published"), ("parent", &team_id.to_string())]).await;
        assert_eq!(nurse.status(), StatusCode::SEE_OTHER);
        let (status, page) = app.get_page("/about-us/our-team/nurses/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Two nurses."));
        assert!(app.get_page("/about-us/").await.1.contains("<em>spines</em>"));
        // The Pages screen shows the tree.
        let (_, list) = app.get_page("/admin/pages").await;
        let (a, t, n) = (list.find(">About us<").unwrap(), list.find("— <a").unwrap(), list.find("— — <a").unwrap());
        assert!(list[t..].starts_with(&format!("— <a href=\"/admin/pages/{team_id}/edit\">Our team</a>")), "{list}");
        assert!(a < t && t < n, "{list}");
        // Renaming the top page moves the whole branch.
        let renamed = app.admin_post(&format!("/admin/pages/{about_id}/edit"), &[("title", "About us"), ("slug", "clinic"), ("body", "We treat *spines*."), ("status", "published")]).await;
        assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get_page("/clinic/our-team/nurses/").await.0, StatusCode::OK);
        assert_eq!(app.get("/about-us/our-team/nurses/").await.status(), StatusCode::NOT_FOUND);
        // A page cannot move below its own child; that parent is ignored.
        let looped = app.admin_post(&format!("/admin/pages/{about_id}/edit"), &[("title", "About us"), ("slug", "clinic"), ("body", "x"), ("status", "published"), ("parent", &team_id.to_string())]).await;
        assert_eq!(looped.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get_page("/clinic/").await.0, StatusCode::OK);
        // A mistake keeps what was typed.
        let refused = app.admin_post("/admin/pages/new", &[("title", ""), ("body", "Kept text."), ("status", "published"), ("menu_order", "first")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text().await.unwrap();
        assert!(text.contains("Please enter a title.") && text.contains("Enter a whole number.") && text.contains("Kept text."));
    }
}
