//! Issue "Hardening for the open internet": each defect an attacker found,
//! reproduced as a test.

use reqwest::StatusCode;

/// Hostile inputs: markup as code, as escaped text, as a CDATA breaker,
/// as a link, and as plain markup the sanitiser must remove.
pub const PAYLOADS: &[&str] = &[
    "`<img src=x onerror=alert(1)>`",
    "&lt;img src=x onerror=alert(1)&gt;",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "]]><img src=x onerror=alert(1)><![CDATA[",
    "[x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">y</a>",
    "\"><img src=x onerror=alert(1)>",
    "    <iframe src=javascript:alert(1)></iframe>",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
];

/// Whether HTML, parsed as a feed reader (or a browser) parses it, holds
/// anything that runs: a script-capable element, an event handler, a
/// `javascript:` URL.
pub fn live_markup(html: &str) -> Option<String> {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name();
        if [
            "script", "iframe", "object", "embed", "svg", "math", "style",
        ]
        .contains(&name)
        {
            return Some(format!("<{name}> in {html:?}"));
        }
        for (attribute, value) in element.attrs() {
            let value = value.trim().to_ascii_lowercase();
            if attribute.starts_with("on") || value.starts_with("javascript:") {
                return Some(format!("{name} {attribute}={value:?} in {html:?}"));
            }
        }
    }
    None
}

on_both_backends! {
    async fn feeds_carry_no_live_markup_from_readers_or_staff(app) {
        app.approve_comments_automatically().await;
        app.set_setting("comments_per_minute", "0").await;
        let category = app.create_category("Cat <b>x</b>", "Desc <img src=x onerror=alert(1)>");
        let mut posts = Vec::new();
        for (n, payload) in PAYLOADS.iter().enumerate() {
            let mut new_post = ferropress::models::post::NewPost::published(
                &format!("Post {n} {payload}"),
                &format!("Body {n}: {payload}\n\nMore: {payload}"),
            );
            new_post.excerpt = format!("Excerpt {payload}");
            new_post.published_at -= 86_400 * (n as i64 + 1);
            new_post.category_ids = vec![category.id];
            posts.push(app.create_post(new_post));
        }
        let plain = app.publish("Plain post", "Plain body.", 0, &[category.id]);
        for (n, payload) in PAYLOADS.iter().enumerate() {
            let mut fields = app.comment_fields(&format!("Comment {n}: {payload}"));
            fields[1].1 = format!("Name {n} {payload}").chars().take(100).collect();
            fields[2].1 = format!("reader{n}@example.com");
            let response = app.post_comment(&plain, &fields).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{payload}");
        }
        let mut feeds = vec![
            "/feed/".to_owned(),
            "/comments/feed/".to_owned(),
            format!("{}feed/", plain.permalink()),
            format!("{}feed/", category.path(&Default::default())),
        ];
        feeds.extend(posts.iter().take(2).map(|post| format!("{}feed/", post.permalink())));
        for path in &feeds {
            let (status, xml) = app.get_page(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let channel = rss::Channel::read_from(xml.as_bytes()).expect("valid RSS");
            if let Some(found) = live_markup(channel.description()) {
                panic!("{path}: channel description: {found}");
            }
            for item in channel.items() {
                for html in [item.description(), item.content()].into_iter().flatten() {
                    if let Some(found) = live_markup(html) {
                        panic!("{path}: {found}");
                    }
                }
                // A description is HTML to a reader: what was text stays text.
                let description = item.description().unwrap_or_default();
                let shown = scraper::Html::parse_fragment(description)
                    .root_element()
                    .text()
                    .collect::<String>();
                if description.contains("onerror") {
                    assert!(shown.contains("onerror"), "{path}: escaped text shows as text: {description:?}");
                }
            }
        }
        let (_, atom) = app.get_page("/feed/atom/").await;
        let feed = atom_syndication::Feed::read_from(atom.as_bytes()).expect("valid Atom");
        for entry in feed.entries() {
            if let Some(content) = entry.content().and_then(|content| content.value()) {
                assert!(live_markup(content).is_none(), "{content}");
            }
            if let Some(summary) = entry.summary() {
                assert_eq!(summary.r#type, atom_syndication::TextType::Text, "summaries are text");
            }
        }
    }
}

/// A client of its own, following no redirects.
fn stranger() -> reqwest::Client {
    crate::helpers::fresh_client()
}

/// Logs `client` in as `email`, claiming (through the trusted proxy) to come from `address`.
async fn log_in_from(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    address: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.log_in_through(client, email, password, &[("X-Forwarded-For", address)])
        .await
}

fn trusting_the_proxy(raw: &mut ferropress::config::RawConfig) {
    raw.trust_proxy = Some(ferropress::config::TomlBool::Bool(true));
}

on_both_backends_configured! {
    async fn nobody_can_lock_a_staff_member_out_from_elsewhere(app) with trusting_the_proxy; {
        use crate::helpers::STAFF_PASSWORD;
        app.create_staff("victim@example.com", ferropress::domain::Role::Admin).await;
        // Successful logins are not failures.
        for _ in 0..8 {
            let response = log_in_from(&app, &stranger(), "203.0.113.5", "victim@example.com", STAFF_PASSWORD).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        // An attacker hammers the account from one address, then from a few.
        let attacker = stranger();
        for _ in 0..6 {
            log_in_from(&app, &attacker, "198.51.100.7", "victim@example.com", "guess").await;
        }
        let throttled = log_in_from(&app, &attacker, "198.51.100.7", "victim@example.com", STAFF_PASSWORD).await;
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "the attacker's own address slows down");
        for n in 0..5 {
            log_in_from(&app, &attacker, &format!("198.51.100.{}", 20 + n), "victim@example.com", "guess").await;
        }
        // The staff member, from their own address, gets in at once.
        let victim = log_in_from(&app, &stranger(), "203.0.113.5", "victim@example.com", STAFF_PASSWORD).await;
        assert_eq!(victim.status(), StatusCode::SEE_OTHER, "the right password from an unthrottled address gets in");
        // A client-chosen left-most hop does not make a new address.
        let spoofing = stranger();
        for n in 0..25 {
            log_in_from(&app, &spoofing, &format!("10.0.0.{n}, 198.51.100.99"), &format!("x{n}@example.com"), "guess").await;
        }
        let spoofed = log_in_from(&app, &spoofing, "10.9.9.9, 198.51.100.99", "victim@example.com", STAFF_PASSWORD).await;
        assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS, "the proxy's hop is the address");
    }
}

on_both_backends_configured! {
    async fn the_client_address_is_the_hop_the_proxy_added(app) with trusting_the_proxy; {
        let post = app.publish("Proxied", "Body.", 1, &[]);
        let mut fields = app.comment_fields("Through the proxy.");
        fields.push(("subscribe", String::new()));
        fields.pop();
        let response = stranger()
            .post(app.url(&post.permalink()))
            .header("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
            .header("Forwarded", "for=198.51.100.1")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.comments_of(&post)[0].author_ip, "203.0.113.9");
        // The throttle counts that address, whatever the client writes on the left.
        for n in 0..6 {
            let fields = app.comment_fields(&format!("Another thought {n}."));
            let response = stranger()
                .post(app.url(&post.permalink()))
                .header("X-Forwarded-For", format!("10.1.1.{n}, 203.0.113.9"))
                .form(&fields)
                .send()
                .await
                .unwrap();
            if n >= 4 {
                assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "comment {n}");
            }
        }
    }
}

on_both_backends! {
    async fn two_admins_demoting_each_other_at_once_leave_one_admin(app) {
        use crate::helpers::STAFF_PASSWORD;
        use ferropress::domain::Role;
        for round in 0..4 {
            let (a, b) = (format!("a{round}@example.com"), format!("b{round}@example.com"));
            let first = app.create_staff(&a, Role::Admin).await;
            let second = app.create_staff(&b, Role::Admin).await;
            // Everyone else stops being an admin first.
            for user in ferropress::models::user::list_users(&mut app.conn()).unwrap() {
                if user.id != first.id && user.id != second.id && user.role == "admin" {
                    ferropress::models::user::set_role(&mut app.conn(), user.id, Role::Editor).unwrap();
                }
            }
            let (client_a, client_b) = (stranger(), stranger());
            assert_eq!(app.log_in_with(&client_a, &a, STAFF_PASSWORD).await.status(), StatusCode::SEE_OTHER);
            assert_eq!(app.log_in_with(&client_b, &b, STAFF_PASSWORD).await.status(), StatusCode::SEE_OTHER);
            let app = &app;
            let token = |client: reqwest::Client| async move {
                let page = client.get(app.url("/admin/profile")).send().await.unwrap().text().await.unwrap();
                crate::helpers::csrf_token_in(&page)
            };
            let (token_a, token_b) = (token(client_a.clone()).await, token(client_b.clone()).await);
            let demote = |client: reqwest::Client, target: i64, token: String, remove: bool| {
                let url = if remove {
                    app.url(&format!("/admin/users/{target}/delete"))
                } else {
                    app.url(&format!("/admin/users/{target}/role"))
                };
                async move {
                    let response = client.post(url).form(&[("role", "editor"), ("csrf_token", &token)]).send().await.unwrap();
                    let location = response.headers().get("location").map(|value| value.to_str().unwrap().to_owned());
                    (response.status(), location.unwrap_or_default())
                }
            };
            let remove = round % 2 == 1;
            let (one, two) = tokio::join!(
                demote(client_a.clone(), second.id, token_a, remove),
                demote(client_b.clone(), first.id, token_b, remove),
            );
            let admins = ferropress::models::user::count_admins(&mut app.conn()).unwrap();
            assert_eq!(admins, 1, "round {round}: {one:?} and {two:?}");
            // One succeeds; the other is refused, or (removed first) finds
            // its own session gone.
            let done = [&one, &two].iter().filter(|(status, location)| *status == StatusCode::SEE_OTHER && location.starts_with("/admin/users")).count();
            let refused = [&one, &two].iter().filter(|(status, location)| *status == StatusCode::FORBIDDEN || location.starts_with("/admin/login")).count();
            assert_eq!((done, refused), (1, 1), "round {round}: {one:?} {two:?}");
        }
    }
}

fn set(fields: &mut [(&'static str, String)], name: &str, value: &str) {
    for field in fields.iter_mut() {
        if field.0 == name {
            field.1 = value.to_owned();
        }
    }
}

fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("cache-control")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

on_both_backends! {
    async fn nul_bytes_are_a_422_in_forms_and_a_404_in_addresses(app) {
        let category = app.create_category("Neck", "");
        let post = app.publish("A post", "Body.", 1, &[category.id]);
        for field in ["comment", "author", "email", "url"] {
            let mut fields = app.comment_fields("Kept words");
            let typed = match field {
                "comment" => "Kept\0 words".to_owned(),
                "author" => "Ann\0 Reader".to_owned(),
                "email" => "ann\0@example.com".to_owned(),
                _ => "https://ann.example/\0".to_owned(),
            };
            set(&mut fields, field, &typed);
            let response = app.post_comment(&post, &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert_eq!(cache_control(&response), "private, no-store");
            let html = response.text().await.unwrap();
            assert!(html.contains(">Kept words</textarea>") || html.contains(">Kept words</textarea>"), "{field}: the text comes back, NUL removed");
            assert!(!html.contains('\0'), "{field}");
            assert!(html.contains("NUL byte") || html.contains("valid email"), "{field}: a message at the field");
        }
        assert_eq!(app.comments_of(&post).len(), 0, "nothing stored");
        for path in [
            "/search?q=a%00b".to_owned(),
            "/category/ne%00ck/".to_owned(),
            "/category/neck/feed/%00".to_owned(),
            format!("{}%00/", post.permalink()),
            post.permalink().replace(&post.slug, &format!("{}%00", post.slug)),
            format!("{}feed/?x=%00", post.permalink()),
            "/page%00/".to_owned(),
            "/%00/".to_owned(),
            "/category/ne%00ck/feed/".to_owned(),
            "/admin/comments?s=a%00b".to_owned(),
        ] {
            let (status, html) = app.get_page(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(html.contains("That page can’t be found"), "{path}: themed");
        }
        // A NUL in a staff member's form is removed, not a 500.
        app.log_in_as(ferropress::domain::Role::Editor).await;
        let response = app.admin_post("/admin/posts/new", &[("title", "Nul\0 title"), ("body", "Body\0."), ("status", "published"), ("intent", "save")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, search) = app.get_page("/search?q=title").await;
        assert!(search.contains("Nul title"), "saved without the NUL");
    }
}

on_both_backends! {
    async fn a_repeated_field_is_a_422_at_that_field(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        for repeated in ["comment", "author", "email", "url", "parent", "fp_ts"] {
            let mut fields = app.comment_fields("First words");
            fields.push((repeated, "https://second.example/".to_owned()));
            let response = app.post_comment(&post, &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{repeated}");
            let html = response.text().await.unwrap();
            assert!(html.contains("This field was sent more than once."), "{repeated}");
            assert!(html.contains(">First words</textarea>"), "{repeated}: the text kept");
        }
        assert_eq!(app.comments_of(&post).len(), 0);
    }
}

on_both_backends! {
    async fn addresses_the_mailer_refuses_are_refused_at_the_field(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        for email in ["a..b@example.com", ".a@example.com", "a.@example.com"] {
            let mut fields = app.comment_fields("Words");
            set(&mut fields, "email", email);
            let response = app.post_comment(&post, &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email}");
            let html = response.text().await.unwrap();
            assert!(html.contains("Please enter a valid email address."), "{email}");
            assert!(html.contains(&format!("value=\"{email}\"")), "{email}: kept");
        }
        assert_eq!(app.comments_of(&post).len(), 0);
    }
}

on_both_backends! {
    async fn every_answer_that_echoes_the_email_is_private(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut closed = ferropress::models::post::NewPost::published("Closed", "Body.");
        closed.allow_comments = false;
        closed.published_at -= 86_400;
        let closed = app.create_post(closed);
        let email = "private.reader@example.com";
        let fields = |text: &str| {
            let mut fields = app.comment_fields(text);
            set(&mut fields, "email", email);
            fields
        };
        let mut answers = Vec::new();
        let mut invalid = fields("Words");
        set(&mut invalid, "author", "");
        answers.push(app.post_comment(&post, &invalid).await);
        answers.push(app.post_comment(&closed, &fields("Words")).await);
        assert_eq!(app.post_comment(&post, &fields("Twice")).await.status(), StatusCode::SEE_OTHER);
        answers.push(app.post_comment_as_stranger(&post, &fields("Twice")).await);
        for n in 0..6 {
            let response = app.post_comment_as_stranger(&post, &fields(&format!("Many {n}"))).await;
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                answers.push(response);
                break;
            }
        }
        let statuses: Vec<u16> = answers.iter().map(|response| response.status().as_u16()).collect();
        assert_eq!(statuses, [422, 403, 409, 429]);
        for response in answers {
            let status = response.status();
            assert_eq!(cache_control(&response), "private, no-store", "{status}");
            let html = response.text().await.unwrap();
            // A closed post keeps only the text (there is no form to refill).
            let typed = if status == StatusCode::FORBIDDEN { "Words</textarea>" } else { email };
            assert!(html.contains(typed), "{status} shows what was typed");
        }
    }
}

on_both_backends! {
    async fn a_held_comment_shows_its_author_a_neutral_avatar(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("A post", "Body.", 1, &[]);
        // A public commenter, with an avatar anyone sees.
        let mut public = app.comment_fields("Public words.");
        set(&mut public, "email", "public.person@example.com");
        assert_eq!(app.post_comment_as_stranger(&post, &public).await.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_page_as_stranger(&post.permalink()).await;
        let public_avatar = page.split("/avatar/").nth(1).unwrap().split(".svg").next().unwrap().to_owned();
        // Someone guesses that email for a comment that is held.
        app.set_setting(ferropress::models::setting::keys::HOLD_ALL, "1").await;
        app.set_setting(ferropress::models::setting::keys::REQUIRE_PREVIOUSLY_APPROVED, "0").await;
        let mut guess = app.comment_fields("Is it you?");
        set(&mut guess, "email", "public.person@example.com");
        set(&mut guess, "author", "Guesser");
        assert_eq!(app.post_comment(&post, &guess).await.status(), StatusCode::SEE_OTHER);
        let (_, own_view) = app.get_page(&post.permalink()).await;
        assert!(own_view.contains("Your comment is awaiting moderation."));
        assert_eq!(own_view.matches(&format!("/avatar/{public_avatar}.svg")).count(), 1, "only the approved comment has that avatar");
        assert!(own_view.contains("/avatar/00000000000000000000000000000000.svg"));
    }
}

on_both_backends! {
    async fn a_right_to_left_override_in_a_name_is_isolated(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("Text \u{202E}reversed");
        set(&mut fields, "author", "Eve \u{202E}evil");
        assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("<bdi>Eve \u{202E}evil</bdi>"), "the name is isolated");
        assert!(page.contains("<div class=\"comment-content\" dir=\"auto\">"), "the text is isolated");
        let id = app.comments_of(&post)[0].id;
        let (_, reply) = app.get_page(&format!("{}?replytocom={id}", post.permalink())).await;
        assert!(reply.contains("Leave a Reply to \u{2068}Eve \u{202E}evil\u{2069}"));
    }
}

on_both_backends! {
    async fn a_line_break_in_the_return_address_lands_on_the_dashboard(app) {
        let user = app.create_staff("ann@example.com", ferropress::domain::Role::Admin).await;
        let client = stranger();
        let login = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        let token = crate::helpers::csrf_token_in(&login);
        let response = client
            .post(app.url("/admin/login"))
            .form(&[("email", user.email.as_str()), ("password", crate::helpers::STAFF_PASSWORD), ("csrf_token", &token), ("redirect_to", "/admin/\r\nSet-Cookie: evil=1")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/admin/");
    }
}

/// Every place in the database (any column of any table) whose text
/// contains `needle`, as `table.column`.
fn database_places_holding(app: &crate::helpers::TestApp, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    let mut places = Vec::new();
    for (table, columns) in crate::helpers::database_columns(app) {
        for (column, values) in columns {
            if values
                .iter()
                .any(|value| value.to_lowercase().contains(&needle))
            {
                places.push(format!("{table}.{column}"));
            }
        }
    }
    assert!(!places.is_empty() || !needle.is_empty());
    places
}

async fn wait_for_outbox(app: &crate::helpers::TestApp, done: impl Fn(i64, i64) -> bool) {
    use ferropress::domain::OutboxStatus;
    use ferropress::mail::outbox::count_outbox;
    let started = std::time::Instant::now();
    loop {
        let (pending, failed) = (
            count_outbox(&mut app.conn(), OutboxStatus::Pending).unwrap(),
            count_outbox(&mut app.conn(), OutboxStatus::Failed).unwrap(),
        );
        if done(pending, failed) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{pending} pending, {failed} failed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

on_both_backends_with_mail! {
    async fn erasing_a_person_leaves_their_address_nowhere_in_the_database(app, sink) {
        app.set_setting("comments_per_minute", "0").await;
        app.set_setting("notify_email", "moderator@example.com").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let address = "Erase.Me@Example.org";
        for n in 0..3 {
            let mut fields = app.comment_fields(&format!("My words {n}."));
            fields[2].1 = address.to_owned();
            fields.push(("subscribe", "1".to_owned()));
            assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        wait_for_outbox(&app, |pending, _| pending == 0).await;
        assert!(!sink.to("moderator@example.com").is_empty());
        let before = database_places_holding(&app, address);
        assert!(before.contains(&"comments.author_email".to_owned()) && before.iter().any(|place| place.starts_with("outbox.")) && before.contains(&"subscribers.email".to_owned()), "{before:?}");

        app.log_in_as(ferropress::domain::Role::Admin).await;
        let erased = app.admin_post("/admin/personal-data/erase", &[("email", address)]).await;
        assert_eq!(erased.status(), StatusCode::SEE_OTHER);
        assert_eq!(database_places_holding(&app, address), Vec::<String>::new());
        assert_eq!(database_places_holding(&app, "erase.me"), Vec::<String>::new());
        assert_eq!(app.comments_of(&post).len(), 3, "the comments stay, anonymised");
    }
}

on_both_backends_with_mail! {
    async fn a_permanent_refusal_fails_at_once_and_no_log_holds_the_address(app, sink) {
        app.set_setting(ferropress::models::setting::keys::NOTIFY_MODERATORS, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let refused = "no.such.user.550@example.org";
        sink.refuse(refused);
        let mut fields = app.comment_fields("Tell me about replies.");
        fields[2].1 = refused.to_owned();
        fields.push(("subscribe", "1".to_owned()));
        assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        wait_for_outbox(&app, |pending, failed| pending == 0 && failed == 1).await;
        // Retries start after a second in tests: wait well past it.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        assert_eq!(sink.tries_to(refused), 1, "a 550 is not retried");
        let logs = crate::helpers::captured_logs();
        assert!(logs.contains("mail refused for good"), "the refusal is logged");
        assert!(!logs.to_lowercase().contains(refused), "no log line holds the address");
        let rows = ferropress::mail::outbox::list_outbox(&mut app.conn(), None, 10).unwrap();
        let error = rows.iter().find_map(|row| row.last_error.clone()).unwrap();
        assert!(error.contains("550") && !error.contains(refused), "{error}");
    }
}

on_both_backends_with_mail! {
    async fn no_log_line_holds_a_usable_token(app, sink) {
        app.set_setting("comments_per_minute", "0").await;
        app.set_setting("notify_email", "moderator@example.com").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut fields = app.comment_fields("Hold me.");
        fields[2].1 = "token.tester@example.org".to_owned();
        fields.push(("subscribe", "1".to_owned()));
        app.post_comment_as_stranger(&post, &fields).await;
        let mails = sink.wait_for(2).await;
        let mut links = Vec::new();
        for mail in &mails {
            for fragment in ["/moderate/", "/subscriptions/confirm/"] {
                let link = mail.link_containing(fragment);
                if !link.is_empty() {
                    links.push(link);
                }
            }
        }
        assert_eq!(links.len(), 2, "{links:?}");
        for link in &links {
            assert_eq!(stranger().get(link).send().await.unwrap().status(), StatusCode::OK);
            stranger().post(link).send().await.unwrap();
        }
        let logs = crate::helpers::captured_logs();
        for link in &links {
            let token = link.rsplit('/').next().unwrap();
            assert!(token.len() > 20);
            assert!(!logs.contains(&token[..16]), "a token in the log: {link}");
        }
        assert!(logs.contains("/moderate/{token}"), "the route is logged by its pattern");
    }
}

on_both_backends_with_mail! {
    async fn one_confirmation_mail_per_address_a_day(app, sink) {
        app.set_setting("comments_per_minute", "0").await;
        app.set_setting(ferropress::models::setting::keys::NOTIFY_MODERATORS, "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        for n in 0..5 {
            let mut fields = app.comment_fields(&format!("Bomb {n}."));
            fields[2].1 = "Victim@example.org".to_owned();
            fields.push(("subscribe", "1".to_owned()));
            assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        wait_for_outbox(&app, |pending, _| pending == 0).await;
        assert_eq!(sink.to("victim@example.org").len(), 1, "one confirmation, not five");
        assert_eq!(app.comments_of(&post).len(), 5, "the comments themselves are taken");
    }
}

on_both_backends! {
    async fn old_sent_mail_and_old_ip_addresses_are_not_kept(app) {
        use diesel::prelude::*;
        use ferropress::db::schema::{comments, outbox};
        use ferropress::models::retention::{prune, RetentionSettings};
        app.set_setting("notify_email", "moderator@example.com").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut v6 = app.comment_fields("From IPv6.");
        v6[2].1 = "six@example.org".to_owned();
        for fields in [app.comment_fields("Old words."), v6, {
            let mut recent = app.comment_fields("Recent words.");
            recent[2].1 = "recent@example.org".to_owned();
            recent
        }] {
            assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        let now = ferropress::models::now();
        let ids: Vec<i64> = app.comments_of(&post).iter().map(|comment| comment.id).collect();
        diesel::update(comments::table.find(ids[0])).set((comments::created_at.eq(now - 61 * 86_400), comments::author_ip.eq("203.0.113.77"))).execute(&mut app.conn()).unwrap();
        diesel::update(comments::table.find(ids[1])).set((comments::created_at.eq(now - 90 * 86_400), comments::author_ip.eq("2001:db8:abcd:12::1"))).execute(&mut app.conn()).unwrap();
        diesel::update(comments::table.find(ids[2])).set(comments::author_ip.eq("198.51.100.23")).execute(&mut app.conn()).unwrap();
        // Three outbox rows: sent long ago, sent lately, waiting.
        let outbox_ids: Vec<i64> = outbox::table.select(outbox::id).order(outbox::id.asc()).load(&mut app.conn()).unwrap();
        assert!(outbox_ids.len() >= 3, "moderation mail was queued");
        use ferropress::domain::OutboxStatus;
        diesel::update(outbox::table.find(outbox_ids[0])).set((outbox::status.eq(OutboxStatus::Sent), outbox::sent_at.eq(Some(now - 31 * 86_400)))).execute(&mut app.conn()).unwrap();
        diesel::update(outbox::table.find(outbox_ids[1])).set((outbox::status.eq(OutboxStatus::Sent), outbox::sent_at.eq(Some(now - 86_400)))).execute(&mut app.conn()).unwrap();

        let pruned = prune(&mut app.conn(), RetentionSettings::default(), now).unwrap();
        assert_eq!((pruned.mails_deleted, pruned.ips_anonymised), (1, 2));
        let comments = app.comments_of(&post);
        assert_eq!(comments[0].author_ip, "203.0.113.0");
        assert_eq!(comments[1].author_ip, "2001:db8:abcd::");
        assert_eq!(comments[2].author_ip, "198.51.100.23", "recent addresses are kept");
        let left: Vec<i64> = outbox::table.select(outbox::id).order(outbox::id.asc()).load(&mut app.conn()).unwrap();
        assert!(!left.contains(&outbox_ids[0]) && left.contains(&outbox_ids[1]) && left.contains(&outbox_ids[2]));
        assert_eq!(prune(&mut app.conn(), RetentionSettings::default(), now).unwrap(), Default::default(), "a second pass finds nothing");
        // 0 keeps everything.
        let keep = RetentionSettings { sent_mail_days: 0, ip_days: 0 };
        assert_eq!(prune(&mut app.conn(), keep, now + 400 * 86_400).unwrap(), Default::default());

        // The settings page shows both and saves them.
        app.log_in_as(ferropress::domain::Role::Admin).await;
        let (_, settings) = app.get_page("/admin/settings").await;
        assert!(settings.contains("name=\"ip_days\" type=\"number\" min=\"0\" value=\"60\""), "{settings}");
        assert!(settings.contains("name=\"sent_mail_days\" type=\"number\" min=\"0\" value=\"30\""));
        let saved = app.admin_post("/admin/settings", &[("site_title", "ferropress"), ("posts_per_page", "10"), ("link_limit", "2"), ("close_after_days", "0"), ("thread_depth", "5"), ("comments_per_minute", "5"), ("ip_days", "7"), ("sent_mail_days", "3")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.site().retention, RetentionSettings { sent_mail_days: 3, ip_days: 7 });
        let refused = app.admin_post("/admin/settings", &[("site_title", "ferropress"), ("posts_per_page", "10"), ("link_limit", "2"), ("close_after_days", "0"), ("thread_depth", "5"), ("comments_per_minute", "5"), ("ip_days", "-1")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

on_both_backends! {
    async fn a_pass_anonymises_batch_after_batch_through_comments_made_at_one_moment(app) {
        // An imported blog: 1,201 old comments, many made in the same second.
        // Each batch goes on from the last one's (time, id), none skipped.
        use diesel::prelude::*;
        use ferropress::db::schema::comments;
        use ferropress::models::retention::{prune, RetentionSettings, BATCH};
        let post = app.publish("A post", "Body.", 1, &[]);
        let now = ferropress::models::now();
        let rows: Vec<_> = (0..1_201i64)
            .map(|n| {
                (
                    comments::post_id.eq(post.id),
                    comments::author_name.eq("Reader"),
                    comments::author_email.eq(format!("reader{n}@example.org")),
                    comments::author_url.eq(""),
                    comments::author_ip.eq(format!("203.0.113.{}", n % 200 + 1)),
                    comments::user_agent.eq(""),
                    comments::body_source.eq(format!("Comment {n}")),
                    comments::body_html.eq(format!("<p>Comment {n}</p>")),
                    comments::status.eq("approved"),
                    comments::dedupe_key.eq(format!("key-{n}")),
                    // Three moments only: hundreds of comments share each.
                    comments::created_at.eq(now - 100 * 86_400 - n % 3),
                    comments::updated_at.eq(now - 100 * 86_400),
                )
            })
            .collect();
        let mut conn = app.conn();
        conn.transaction(|conn| {
            for row in rows {
                diesel::insert_into(comments::table).values(row).execute(conn)?;
            }
            diesel::QueryResult::Ok(())
        })
        .unwrap();
        assert!(1_201 > 2 * BATCH as usize, "three batches at least");
        let settings = RetentionSettings { sent_mail_days: 0, ip_days: 60 };
        assert_eq!(prune(&mut conn, settings, now).unwrap().ips_anonymised, 1_201);
        let kept: i64 = comments::table
            .filter(comments::author_ip.ne("203.0.113.0"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(kept, 0, "every address anonymised in one pass");
        assert_eq!(prune(&mut conn, settings, now).unwrap().ips_anonymised, 0);
    }
}

on_both_backends! {
    async fn serve_applies_retention_by_itself(app) {
        use diesel::prelude::*;
        use ferropress::db::schema::comments;
        let post = app.publish("A post", "Body.", 1, &[]);
        assert_eq!(app.post_comment_as_stranger(&post, &app.comment_fields("Old words.")).await.status(), StatusCode::SEE_OTHER);
        let id = app.comments_of(&post)[0].id;
        diesel::update(comments::table.find(id))
            .set((comments::created_at.eq(ferropress::models::now() - 100 * 86_400), comments::author_ip.eq("203.0.113.77")))
            .execute(&mut app.conn())
            .unwrap();
        // Another `serve` process over the same database applies it at start.
        let _beside = app.spawn_beside(None);
        let started = std::time::Instant::now();
        while app.comments_of(&post)[0].author_ip != "203.0.113.0" {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "not anonymised");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

on_both_backends! {
    async fn pathological_markdown_never_stalls_the_server(app) {
        app.approve_comments_automatically().await;
        app.set_setting("comments_per_minute", "0").await;
        let post = app.publish("A post", "Body.", 1, &[]);
        let payloads = [
            "- ".repeat(4990),
            ">".repeat(9000),
            "1. ".repeat(3300),
            "* ".repeat(4990),
            format!("{}x", "> - ".repeat(2400)),
            "[".repeat(9000),
            "*a ".repeat(3000),
            "`".repeat(9999),
        ];
        let posts: Vec<_> = payloads.iter().enumerate().map(|(n, payload)| {
            let mut fields = app.comment_fields(payload);
            fields[2].1 = format!("deep{n}@example.com");
            let url = app.url(&post.permalink());
            tokio::spawn(async move { stranger().post(url).form(&fields).send().await.unwrap().status() })
        }).collect();
        let all_posted = async {
            let mut statuses = Vec::new();
            for post in posts {
                statuses.push(post.await.unwrap());
            }
            statuses
        };
        let health = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let started = std::time::Instant::now();
            let response = stranger().get(app.url("/healthz")).send().await.unwrap();
            (response.status(), started.elapsed())
        };
        let (statuses, (health_status, waited)) = tokio::join!(all_posted, health);
        assert_eq!(health_status, StatusCode::OK);
        // A generous bound: the point is that nothing waits for the parser.
        assert!(waited < std::time::Duration::from_secs(5), "/healthz waited {waited:?}");
        assert!(statuses.iter().all(|status| *status == StatusCode::SEE_OTHER), "{statuses:?}");
        for comment in app.comments_of(&post) {
            assert!(comment.body_html.matches("<ul>").count() <= 8 && comment.body_html.matches("<blockquote>").count() <= 8);
        }
    }
}

/// Where `url` (`postgres://user:pass@host[:port]/db`) points, and the URL
/// pointed at `127.0.0.1:port` instead.
fn through_port(url: &str, port: u16) -> (String, String) {
    let (scheme_and_user, rest) = url.split_once('@').unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let target = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    };
    (target, format!("{scheme_and_user}@127.0.0.1:{port}/{path}"))
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn postgres_going_away_is_a_fast_503_and_comes_back_without_a_restart() {
    let Some(url) = crate::helpers::fresh_postgres_url() else {
        return;
    };
    let (target, _) = through_port(&url, 0);
    let proxy = crate::tcp_proxy::TcpProxy::start(target).await;
    let (_, proxied) = through_port(&url, proxy.port);
    let app = crate::helpers::TestApp::spawn_on(proxied);
    let post = app.publish("A post", "Body.", 1, &[]);
    assert_eq!(
        app.get_page(&post.permalink()).await.0,
        StatusCode::OK,
        "cached now"
    );
    let reader = stranger();

    proxy.cut();
    let cached = reader.get(app.url(&post.permalink())).send().await.unwrap();
    assert_eq!(cached.status(), StatusCode::OK, "cached pages keep serving");
    let started = std::time::Instant::now();
    let uncached = reader.get(app.url("/search?q=body")).send().await.unwrap();
    assert_eq!(uncached.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(uncached.headers()["retry-after"], "5");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "no ten-second hang: {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    let again = reader
        .get(app.url("/category/uncategorized/"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "known down: {:?}",
        started.elapsed()
    );
    let fields = app.comment_fields("Words typed while the database was away.");
    let refused = reader
        .post(app.url(&post.permalink()))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.headers()["cache-control"], "private, no-store");
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(">Words typed while the database was away.</textarea>"),
        "the text is kept"
    );
    assert!(html.contains("value=\"ann.reader@example.com\""));

    proxy.restore();
    let started = std::time::Instant::now();
    loop {
        let response = reader
            .post(app.url(&post.permalink()))
            .form(&fields)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::SEE_OTHER {
            break;
        }
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "never a 500"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "did not recover"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for path in ["/search?q=body", "/category/uncategorized/", "/healthz"] {
        assert_eq!(
            reader.get(app.url(path)).send().await.unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(app.comments_of(&post).len(), 1, "stored once");
}

#[tokio::test]
async fn a_full_disk_keeps_the_text_and_readers_reading() {
    use diesel::prelude::*;
    // A database file capped at 2 MiB of 4 KiB pages: room for the site, little more.
    let Some(app) =
        crate::helpers::TestApp::spawn_with_config(ferropress::db::Backend::Sqlite, |config| {
            config.sqlite_max_pages = Some(512);
        })
        .await
    else {
        return;
    };
    let post = app.publish("A post", "Body about spines.", 1, &[]);
    assert_eq!(app.get_page(&post.permalink()).await.0, StatusCode::OK);
    let mut conn = app.conn();
    diesel::sql_query("CREATE TABLE filler (x BLOB)")
        .execute(&mut conn)
        .unwrap();
    for size in [65_536, 4_096, 512] {
        while diesel::sql_query(format!("INSERT INTO filler VALUES (zeroblob({size}))"))
            .execute(&mut conn)
            .is_ok()
        {}
    }
    let full = diesel::sql_query("INSERT INTO filler VALUES (zeroblob(512))")
        .execute(&mut conn)
        .unwrap_err();
    assert!(full.to_string().contains("full"), "{full}");
    drop(conn);

    let reader = stranger();
    let mut fields = app.comment_fields(&"A long comment that does not fit. ".repeat(200));
    fields[2].1 = "full.disk@example.com".to_owned();
    let refused = reader
        .post(app.url(&post.permalink()))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("A long comment that does not fit. A long comment"),
        "the text is kept"
    );
    assert!(app.comments_of(&post).is_empty());
    // Readers keep reading, cached or not.
    for path in [
        post.permalink().as_str(),
        "/search?q=spines",
        "/category/uncategorized/",
    ] {
        let status = reader.get(app.url(path)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }

    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = app.conn();
    let check: Check = diesel::sql_query("PRAGMA integrity_check")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(check.integrity_check, "ok");
    diesel::sql_query("DROP TABLE filler")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let accepted = reader
        .post(app.url(&post.permalink()))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        accepted.status(),
        StatusCode::SEE_OTHER,
        "room again: accepted"
    );
    assert_eq!(app.comments_of(&post).len(), 1);
}

on_both_backends! {
    async fn imported_titles_and_names_are_decoded_once(app) {
        use diesel::prelude::*;
        use ferropress::db::schema::{categories, posts};
        let wxr = include_str!("../fixtures/wordpress-export-rich-a.xml");
        ferropress::wxr::import::import_wordpress(&mut app.conn(), wxr.as_bytes(), &app.no_uploads(), |_| {}).unwrap();
        app.state.sync_content_version();
        let titles: Vec<String> = posts::table.select(posts::title).load(&mut app.conn()).unwrap();
        assert!(titles.contains(&"Schmerz & Schlaf — 睡眠と痛み (a)".to_owned()), "{titles:?}");
        let names: Vec<String> = categories::table.select(categories::name).load(&mut app.conn()).unwrap();
        assert!(names.contains(&"Health & Fitness".to_owned()), "{names:?}");
        let descriptions: Vec<String> = categories::table.select(categories::description).load(&mut app.conn()).unwrap();
        assert!(descriptions.contains(&"About Health & Fitness.".to_owned()), "{descriptions:?}");
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("Schmerz &#38; Schlaf"), "escaped once on output");
        assert!(!home.contains("&amp;amp;") && !home.contains("&#38;amp;"), "never twice");
        let (_, category) = app.get_page("/category/health-fitness/").await;
        assert!(category.contains("Health &#38; Fitness") && !category.contains("&#38;amp;"));
        let authors: Vec<String> = ferropress::db::schema::comments::table.select(ferropress::db::schema::comments::author_name).load(&mut app.conn()).unwrap();
        assert!(authors.contains(&"Jonas & Co".to_owned()), "{authors:?}");
    }
}

on_both_backends! {
    async fn concurrent_moderation_beside_new_comments_never_fails(app) {
        app.set_setting("comments_per_minute", "0").await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        for n in 0..30 {
            let mut fields = app.comment_fields(&format!("Waiting {n}."));
            fields[2].1 = format!("waiting{n}@example.com");
            assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        app.log_in_as(ferropress::domain::Role::Moderator).await;
        let token = app.csrf_token().await;
        let ids: Vec<i64> = app.comments_of(&post).iter().map(|comment| comment.id).collect();
        let mut tasks = Vec::new();
        for round in 0..8usize {
            // Overlapping sets, in different orders, some approving, some spamming.
            let mut fields = vec![("csrf_token".to_owned(), token.clone()), ("action".to_owned(), if round % 3 == 0 { "spam" } else { "approve" }.to_owned())];
            for step in 0..10 {
                let id = ids[(round * 7 + step * (round + 1)) % ids.len()];
                fields.push((format!("c{id}"), "1".to_owned()));
            }
            let (client, url) = (app.client.clone(), app.url("/admin/comments/bulk"));
            tasks.push(tokio::spawn(async move { client.post(url).form(&fields).send().await.unwrap().status() }));
        }
        for n in 0..8 {
            let mut fields = app.comment_fields(&format!("Arriving {n}."));
            fields[2].1 = format!("arriving{n}@example.com");
            let url = app.url(&post.permalink());
            tasks.push(tokio::spawn(async move { stranger().post(url).form(&fields).send().await.unwrap().status() }));
        }
        for task in tasks {
            let status = task.await.unwrap();
            assert_eq!(status, StatusCode::SEE_OTHER, "never a 500 (locked database, deadlock)");
        }
        assert_eq!(app.comments_of(&post).len(), 38);
    }
}

on_both_backends_configured! {
    async fn address_rules_apply_to_the_address_the_proxy_saw(app) with trusting_the_proxy; {
        use diesel::prelude::*;
        use ferropress::db::schema::outbox;
        use ferropress::domain::CommentStatus;
        use ferropress::models::setting::keys;
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        app.set_setting("notify_email", "moderator@example.com").await;
        app.set_setting(keys::MODERATION_WORDS, "198.51.100.").await;
        app.set_setting(keys::DISALLOWED_WORDS, "203.0.113.66").await;
        let post = app.publish("Addresses", "Body.", 1, &[]);
        // (client address, what it writes on the left, where it lands, the mail it causes)
        let cases = [
            ("192.0.2.10", "203.0.113.66", CommentStatus::Approved, Some("[ferropress] Comment:")),
            ("198.51.100.23", "192.0.2.1", CommentStatus::Pending, Some("[ferropress] Please moderate:")),
            ("203.0.113.66", "192.0.2.1", CommentStatus::Spam, None),
        ];
        for (n, (address, forged, expected, subject)) in cases.into_iter().enumerate() {
            let mails_before: i64 = outbox::table.count().get_result(&mut app.conn()).unwrap();
            let mut fields = app.comment_fields(&format!("From {address}."));
            fields[2].1 = format!("reader{n}@example.com");
            let response = stranger()
                .post(app.url(&post.permalink()))
                .header("X-Forwarded-For", format!("{forged}, {address}"))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{address}");
            let stored = app.comments_of(&post).pop().unwrap();
            assert_eq!((stored.author_ip.as_str(), stored.status), (address, expected), "{address}");
            let subjects: Vec<String> = outbox::table
                .order(outbox::id.asc())
                .offset(mails_before)
                .select(outbox::subject)
                .load(&mut app.conn())
                .unwrap();
            match subject {
                Some(prefix) => assert!(subjects.len() == 1 && subjects[0].starts_with(prefix), "{address}: {subjects:?}"),
                None => assert!(subjects.is_empty(), "{address}: spam causes no mail, got {subjects:?}"),
            }
        }
    }
}
