//! Every route of the app, read from its own route tables (not a hand
//! list), against every role and an anonymous visitor: a state-changing
//! route refuses a request without its CSRF token (`403`) and a role that
//! does not reach its area (`403`), and changes nothing when it refuses. A
//! new route that forgets its protection fails here.

use std::collections::BTreeMap;

use actix_web::http::Method;
use ferropress::auth::roles::{can, Area};
use ferropress::domain::Role;
use ferropress::routes::{route_table, Access};
use reqwest::StatusCode;

use crate::helpers::{csrf_token_in, database_columns, TestApp, STAFF_PASSWORD};

/// What the database holds, apart from sessions (logging in makes them):
/// each column's values, sorted.
fn fingerprint(app: &TestApp) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut tables = database_columns(app);
    tables.remove("sessions");
    for columns in tables.values_mut() {
        for values in columns.values_mut() {
            values.sort();
        }
    }
    tables
}

fn client() -> reqwest::Client {
    crate::helpers::fresh_client()
}

/// The ids a path's `{id}` stands for, per area, and a form that would
/// change something on most routes if it were let through.
struct World {
    ids: BTreeMap<&'static str, i64>,
    fields: Vec<(String, String)>,
}

impl World {
    fn path(&self, pattern: &str) -> String {
        let area = pattern.split('/').nth(2).unwrap_or_default();
        let id = self.ids.get(area).copied().unwrap_or(1);
        pattern
            .replace("{id}", &id.to_string())
            .replace("{action}", "approve")
            .replace("{token}", "not-a-real-token")
            .replace("{file}", "x")
            .replace("{slug}", "x")
    }
}

async fn staff_client(app: &TestApp, role: Role) -> (reqwest::Client, String) {
    let email = format!("{role}-{}@example.com", rand::random::<u32>());
    app.create_staff(&email, role).await;
    let client = client();
    let response = app.log_in_with(&client, &email, STAFF_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = client
        .get(app.url("/admin/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_token_in(&page))
}

async fn send(
    client: &reqwest::Client,
    method: &Method,
    url: String,
    fields: &[(String, String)],
) -> reqwest::Response {
    if *method == Method::GET {
        client.get(url).send().await.unwrap()
    } else {
        client.post(url).form(fields).send().await.unwrap()
    }
}

fn to_login(response: &reqwest::Response) -> bool {
    response.status() == StatusCode::SEE_OTHER
        && response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
}

on_both_backends! {
    async fn every_route_refuses_what_its_access_does_not_allow_and_changes_nothing(app) {
        app.set_setting("notify_email", "moderator@example.com").await;
        let category = app.create_category("Neck", "");
        let post = app.publish("A post", "Body.", 1, &[category.id]);
        assert_eq!(app.post_comment(&post, &app.comment_fields("Pending words.")).await.status(), StatusCode::SEE_OTHER);
        let comment = app.comments_of(&post)[0].id;
        let user = app.create_user("someone@example.com", "Someone", Role::Editor);
        let outbox: i64 = {
            use diesel::prelude::*;
            ferropress::db::schema::outbox::table.select(ferropress::db::schema::outbox::id).first(&mut app.conn()).unwrap()
        };
        let page = ferropress::models::post::save_page(&mut app.conn(), None, &ferropress::models::post::PageInput {
            title: "About".into(), slug: None, body_markdown: "Us.".into(), status: ferropress::domain::PostStatus::Published,
            parent_id: None, menu_order: 0, author_id: None, in_menu: true, password: String::new(),
        }).unwrap();
        let (tag, _) = ferropress::models::tag::tag_with_slug(&mut app.conn(), &ferropress::domain::Slug::from_text("posture").unwrap(), "Posture").unwrap();
        let world = World {
            ids: [("comments", comment), ("posts", post.id), ("categories", category.id), ("users", user.id), ("outbox", outbox), ("pages", page.id), ("tags", tag.id)].into(),
            fields: [
                ("title", "Changed"), ("body", "Changed."), ("status", "published"), ("intent", "save"),
                ("name", "Changed"), ("slug", "changed"), ("role", "admin"), ("password", "a new password 123"),
                ("email", "changed@example.com"), ("display_name", "Changed"), ("action", "approve"),
                ("site_title", "Changed"), ("posts_per_page", "3"), ("link_limit", "2"), ("close_after_days", "0"),
                ("thread_depth", "5"), ("comments_per_minute", "5"), ("comment", "Changed."), ("author", "X"),
                ("redirect_to", "/admin/"),
            ]
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .chain([(format!("c{comment}"), "1".to_owned())])
            .collect(),
        };
        let roles = [Role::Admin, Role::Editor, Role::Moderator];
        let mut staff = Vec::new();
        for role in roles {
            staff.push((role, staff_client(&app, role).await));
        }
        let anonymous = client();
        let baseline = fingerprint(&app);
        let table = route_table();
        assert!(table.len() > 50, "the whole table: {}", table.len());
        let mut checked = 0;
        for (method, pattern, access) in &table {
            // The panel is staff-only but for logging in, setting up, and
            // the links mailed to staff (the token is the permission).
            if pattern.starts_with("/admin") {
                let mailed_link = matches!(access, Access::Capability) && pattern.ends_with("/{token}");
                assert!(mailed_link || matches!(access, Access::Staff(_) | Access::SignedIn | Access::PreSession), "{method} {pattern} is declared {access:?}");
            }
            let url = app.url(&world.path(pattern));
            let changes_state = *method != Method::GET;
            let area = match access {
                Access::Staff(area) => Some(*area),
                Access::SignedIn => None,
                Access::Public => {
                    // Reader pages and the comment form are open to all (the
                    // form's own answers are tested in comments.rs).
                    continue;
                }
                Access::Capability => {
                    if changes_state {
                        // Without a genuine token: refused, nothing changed.
                        let response = send(&anonymous, method, url.clone(), &world.fields).await;
                        assert!(matches!(response.status().as_u16(), 403 | 404 | 410), "{method} {pattern}: {}", response.status());
                        assert!(fingerprint(&app) == baseline, "{method} {pattern} changed something");
                        checked += 1;
                    }
                    continue;
                }
                Access::PreSession => {
                    if changes_state {
                        // No double-submit token: 403, nothing changed.
                        let response = send(&client(), method, url.clone(), &world.fields).await;
                        assert!(matches!(response.status().as_u16(), 403 | 404), "{method} {pattern}: {}", response.status());
                        assert!(fingerprint(&app) == baseline, "{method} {pattern} changed something");
                        checked += 1;
                    }
                    continue;
                }
            };
            // Anonymous: off to the login page, nothing changed.
            let response = send(&anonymous, method, url.clone(), &world.fields).await;
            assert!(to_login(&response), "{method} {pattern} anonymous: {}", response.status());
            for (role, (client, token)) in &staff {
                if changes_state {
                    // Without the CSRF token, whatever the role.
                    let response = send(client, method, url.clone(), &world.fields).await;
                    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {pattern} as {role} without CSRF");
                    let mut wrong = world.fields.clone();
                    wrong.push(("csrf_token".to_owned(), "0".repeat(64)));
                    let response = send(client, method, url.clone(), &wrong).await;
                    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {pattern} as {role} with a wrong CSRF token");
                }
                let allowed = area.is_none_or(|area: Area| can(*role, area));
                if !allowed {
                    let mut fields = world.fields.clone();
                    fields.push(("csrf_token".to_owned(), token.clone()));
                    let response = send(client, method, url.clone(), &fields).await;
                    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {pattern} as {role}");
                } else if !changes_state {
                    let response = send(client, method, url.clone(), &world.fields).await;
                    assert_eq!(response.status(), StatusCode::OK, "{method} {pattern} as {role}");
                }
                if changes_state {
                    assert!(fingerprint(&app) == baseline, "{method} {pattern} as {role} changed something");
                }
            }
            checked += 1;
        }
        assert!(checked >= 40, "{checked} routes checked");
        // Each protected POST does reach its handler with the right role and
        // token (so the refusals above were the protection, not a bad path).
        for (method, pattern, access) in &table {
            let (Access::Staff(_) | Access::SignedIn) = access else { continue };
            if *method == Method::GET || pattern.ends_with("/logout") {
                continue;
            }
            let (client, token) = &staff[0].1;
            let mut fields = world.fields.clone();
            fields.push(("csrf_token".to_owned(), token.clone()));
            let response = send(client, method, app.url(&world.path(pattern)), &fields).await;
            assert!(!matches!(response.status().as_u16(), 403 | 405), "{method} {pattern} as admin: {}", response.status());
        }
    }
}
