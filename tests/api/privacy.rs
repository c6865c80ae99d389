//! SPEC §3, Privacy: a commenter's email, or an unkeyed hash of it, never
//! reaches a public response or an `info` log line. Checked by crawling.

use std::collections::{BTreeSet, VecDeque};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::helpers::{captured_logs, TestApp};

/// The email and every unkeyed hash a crawler could match it by.
fn forbidden_forms(email: &str) -> Vec<String> {
    let mut forms = Vec::new();
    for variant in [email.to_owned(), email.trim().to_lowercase()] {
        forms.push(hex::encode(Md5::digest(variant.as_bytes())));
        forms.push(hex::encode(Sha1::digest(variant.as_bytes())));
        forms.push(hex::encode(Sha256::digest(variant.as_bytes())));
        forms.push(variant.to_lowercase());
        forms.push(variant.replace('@', "%40").to_lowercase());
        forms.push(variant.replace('@', "&#64;").to_lowercase());
        forms.push(variant.split('@').next().unwrap_or_default().to_lowercase());
    }
    forms
}

/// Same-site links in a page: `href="/…"` and `src="/…"`.
fn links(html: &str, base: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for rest in html.split(attribute).skip(1) {
            let link = rest
                .split('"')
                .next()
                .unwrap_or_default()
                .replace("&#38;", "&")
                .replace("&amp;", "&");
            let path = link.strip_prefix(base).map(str::to_owned).unwrap_or(link);
            if path.starts_with('/') && !path.starts_with("//") {
                found.push(path.split('#').next().unwrap_or_default().to_owned());
            }
        }
    }
    found
}

async fn assert_nothing_leaks(
    app: &TestApp,
    client: &reqwest::Client,
    start: &[String],
    forbidden: &[String],
) -> usize {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 400 {
            continue;
        }
        let response = client.get(app.url(&path)).send().await.expect("request");
        let mut everything = format!("{path}\n");
        for (name, value) in response.headers() {
            everything.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let body = response.text().await.unwrap_or_default();
        everything.push_str(&body);
        let lower = everything.to_lowercase();
        for form in forbidden {
            assert!(!lower.contains(form.as_str()), "{path} reveals {form:?}");
        }
        for link in links(&body, &app.address) {
            if !seen.contains(&link) {
                queue.push_back(link);
            }
        }
    }
    seen.len()
}

on_both_backends! {
    async fn no_public_response_or_info_log_reveals_a_commenter_email(app) {
        let canaries = ["Canary.Approved@Example.org", "canary-held@example.net", "canary-spam@example.com", "canary-reply@example.org"];
        let forbidden: Vec<String> = canaries.iter().flat_map(|email| forbidden_forms(email)).collect();
        let neck = app.create_category("Neck", "");
        let post = app.publish("Canary post", "Body with words.", 2, &[neck.id]);
        app.publish("Another post", "More words.", 1, &[]);

        app.approve_comments_automatically().await;
        let mut approved = app.comment_fields("An approved comment.");
        approved[2].1 = canaries[0].to_owned();
        approved[3].1 = "https://approved.example/".to_owned();
        assert_eq!(app.post_comment(&post, &approved).await.status(), 303);
        let parent = app.comments_of(&post)[0].id;
        let mut reply = app.comment_fields("A reply.");
        reply[2].1 = canaries[3].to_owned();
        reply[4].1 = parent.to_string();
        assert_eq!(app.post_comment(&post, &reply).await.status(), 303);
        let mut spam = app.comment_fields("Spam from a bot.");
        spam[2].1 = canaries[2].to_owned();
        spam[6].1 = "filled".to_owned();
        assert_eq!(app.post_comment(&post, &spam).await.status(), 303);
        app.set_setting(ferropress::models::setting::keys::HOLD_ALL, "1").await;
        let mut held = app.comment_fields("A held comment.");
        held[2].1 = canaries[1].to_owned();
        assert_eq!(app.post_comment(&post, &held).await.status(), 303);
        // Every refusal shows the form again: none may echo the email anywhere but the form field.
        let mut invalid = held.clone();
        invalid[1].1 = String::new();
        let refused = app.post_comment(&post, &invalid).await.text().await.unwrap();
        assert_eq!(refused.matches(canaries[1]).count(), 1, "only in the email field the reader typed");

        let start: Vec<String> = [
            "/", "/robots.txt", "/sitemap.xml", "/sitemap-posts-1.xml", "/sitemap-categories-1.xml", "/feed/", "/feed/atom/", "/comments/feed/", "/category/neck/feed/",
            "/search?q=comment", "/no-such-page/", &format!("{}feed/", post.permalink()),
            &format!("{}?replytocom={parent}", post.permalink()), "/?p=1",
        ]
        .iter()
        .map(|path| path.to_string())
        .collect();
        // As the commenter (whose cookie shows the held comment) and as a stranger.
        let pages = assert_nothing_leaks(&app, &app.client, &start, &forbidden).await;
        let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
        assert_nothing_leaks(&app, &stranger, &start, &forbidden).await;
        assert!(pages >= 10, "crawled {pages} pages");
        let (_, own) = app.get_page(&post.permalink()).await;
        assert!(own.contains("A held comment.") && own.contains("An approved comment.") && own.contains("A reply."));

        let logs = captured_logs().to_lowercase();
        assert!(logs.contains("comment received"), "logs captured");
        for form in &forbidden {
            assert!(!logs.contains(form.as_str()), "an info log line reveals {form:?}");
        }
    }
}

on_both_backends! {
    async fn refusal_pages_and_cookies_show_the_email_only_in_its_own_field(app) {
        let email = "Canary.Refused@Example.org";
        let forbidden = forbidden_forms(email);
        let post = app.publish("A post", "Body.", 1, &[]);
        let mut closed = ferropress::models::post::NewPost::published("Closed", "Body.");
        closed.allow_comments = false;
        closed.published_at -= 86_400;
        let closed = app.create_post(closed);
        let fields = |text: &str| {
            let mut fields = app.comment_fields(text);
            fields[2].1 = email.to_owned();
            fields
        };
        let mut answers = Vec::new();
        let mut invalid = fields("Words");
        invalid[1].1 = String::new();
        answers.push(("422", app.post_comment(&post, &invalid).await));
        answers.push(("403", app.post_comment(&closed, &fields("Words")).await));
        assert_eq!(app.post_comment(&post, &fields("Twice")).await.status(), 303);
        answers.push(("409", app.post_comment(&post, &fields("Twice")).await));
        for n in 0..6 {
            let response = app.post_comment(&post, &fields(&format!("Many {n}"))).await;
            if response.status() == 429 {
                answers.push(("429", response));
                break;
            }
        }
        let mut huge = fields(&"x".repeat(70_000));
        huge[0].1.push('!');
        answers.push(("413", app.post_comment(&post, &huge).await));
        let statuses: Vec<&str> = answers.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, ["422", "403", "409", "429", "413"]);
        for (status, response) in answers {
            assert_eq!(response.status().as_str(), status);
            let mut headers = String::new();
            for (name, value) in response.headers() {
                headers.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())).to_lowercase());
            }
            for form in &forbidden {
                assert!(!headers.contains(form.as_str()), "{status}: a header or cookie reveals {form:?}");
            }
            let body = response.text().await.unwrap();
            let shown = body.matches(email).count();
            let expected = usize::from(matches!(status, "422" | "409" | "429"));
            assert_eq!(shown, expected, "{status}: the email only in the field the reader typed it in");
            let lower = body.to_lowercase();
            for hash in &forbidden[..3] {
                assert!(!lower.contains(hash.as_str()), "{status} reveals a hash of the email");
            }
        }
    }
}
