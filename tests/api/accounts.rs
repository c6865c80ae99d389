//! SPEC §4.5 and issue 17 item 8: staff accounts looked after by mail —
//! "Lost your password?", invitations for new users, a confirmed change of
//! address — each link signed, single-use and expiring, through the outbox.

use diesel::prelude::*;
use ferropress::db::schema::account_tokens;
use ferropress::domain::Role;
use ferropress::models::user::{find_user, find_user_by_email};
use ferropress::routes::admin::account::RESET_SENT_MESSAGE;
use reqwest::StatusCode;

use crate::helpers::{captured_logs, csrf_token_in, fresh_client, TestApp, STAFF_PASSWORD};
use crate::smtp::SmtpSink;

/// A browser of its own: cookies kept, redirects not followed.
fn browser() -> reqwest::Client {
    fresh_client()
}

/// Asks for a password reset from `client`; returns the answer.
async fn ask_reset(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    let page = client
        .get(app.url("/admin/lost-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let token = csrf_token_in(&page.text().await.unwrap());
    client
        .post(app.url("/admin/lost-password"))
        .form(&[("email", email), ("csrf_token", &token)])
        .send()
        .await
        .unwrap()
}

/// Opens a mailed link in `client` and posts its form with `fields`.
async fn use_link(
    client: &reqwest::Client,
    link: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = client.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{link} opens");
    let token = csrf_token_in(&page.text().await.unwrap());
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &token));
    client.post(link).form(&fields).send().await.unwrap()
}

/// The mails `address` has received so far, after waiting for `count`.
async fn mails_to(sink: &SmtpSink, address: &str, count: usize) -> Vec<crate::smtp::ReceivedMail> {
    for _ in 0..100 {
        if sink.to(address).len() >= count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    sink.to(address)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

on_both_backends_with_mail! {
    async fn lost_password_mails_a_single_use_link_and_answers_strangers_the_same(app, sink) {
        let ed = app.create_staff("ed@example.com", Role::Editor).await;
        let logged_in = browser();
        assert_eq!(app.log_in_with(&logged_in, "ed@example.com", STAFF_PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let login_page = browser().get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        assert!(login_page.contains(r#"<a href="/admin/lost-password">Lost your password?</a>"#));

        let visitor = browser();
        let known = ask_reset(&app, &visitor, "ED@example.com").await;
        assert_eq!(known.status(), StatusCode::OK);
        let known = known.text().await.unwrap();
        assert!(known.contains(RESET_SENT_MESSAGE));
        let unknown = ask_reset(&app, &visitor, "nobody@example.com").await;
        assert_eq!(unknown.status(), StatusCode::OK);
        assert_eq!(unknown.text().await.unwrap(), known, "an unknown address gets the very same page");

        let forged = visitor.post(app.url("/admin/lost-password")).form(&[("email", "ed@example.com"), ("csrf_token", "0000")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);

        let mail = mails_to(&sink, "ed@example.com", 1).await;
        assert_eq!(mail.len(), 1, "one mail, only for the real account");
        assert!(mail[0].subject().ends_with("] Password reset"), "{}", mail[0].subject());
        let link = mail[0].link_containing("/admin/account/");
        assert!(link.starts_with("http"), "{}", mail[0].text());
        assert!(mail[0].html().contains(&link), "the HTML part has the same link");
        assert!(sink.to("nobody@example.com").is_empty());
        let token = link.rsplit('/').next().unwrap().to_owned();
        assert!(!captured_logs().contains(&token), "no log line holds the link");

        // Opening the link changes nothing; a short password is refused.
        let reader = browser();
        let opened = reader.get(&link).send().await.unwrap();
        assert_eq!(opened.status(), StatusCode::OK);
        let opened = opened.text().await.unwrap();
        assert!(opened.contains("Choose a new password"));
        assert_eq!(app.log_in_with(&browser(), "ed@example.com", STAFF_PASSWORD).await.status(), StatusCode::SEE_OTHER, "still the old password");
        let short = use_link(&reader, &link, &[("password", "short")]).await;
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.text().await.unwrap().contains("The password must be at least 8 characters."));

        let saved = use_link(&reader, &link, &[("password", "a brand new secret")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&saved), "/admin/profile?done=password_set&n=1");
        let profile = reader.get(app.url("/admin/profile?done=password_set&n=1")).send().await.unwrap();
        assert_eq!(profile.status(), StatusCode::OK, "logged in by the link");
        assert!(profile.text().await.unwrap().contains("Your password is saved; you are logged in."));
        assert_eq!(logged_in.get(app.url("/admin/posts")).send().await.unwrap().status(), StatusCode::SEE_OTHER, "other sessions ended");
        assert_eq!(app.log_in_with(&browser(), "ed@example.com", STAFF_PASSWORD).await.status(), StatusCode::OK, "the old password is refused");
        assert_eq!(app.log_in_with(&browser(), "ed@example.com", "a brand new secret").await.status(), StatusCode::SEE_OTHER);

        let again = browser().get(&link).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::GONE);
        assert!(again.text().await.unwrap().contains("This link has already been used"));
        let tampered = format!("{}0", &link[..link.len() - 1]);
        let tampered = if tampered == link { format!("{}1", &link[..link.len() - 1]) } else { tampered };
        assert_eq!(browser().get(&tampered).send().await.unwrap().status(), StatusCode::NOT_FOUND);

        // An hour later a link has expired.
        assert_eq!(ask_reset(&app, &visitor, "ed@example.com").await.status(), StatusCode::OK);
        let second = mails_to(&sink, "ed@example.com", 2).await[1].link_containing("/admin/account/");
        diesel::update(account_tokens::table.filter(account_tokens::used_at.is_null()))
            .set(account_tokens::expires_at.eq(ferropress::models::now() - 1))
            .execute(&mut app.conn())
            .unwrap();
        let expired = browser().get(&second).send().await.unwrap();
        assert_eq!(expired.status(), StatusCode::GONE);
        assert!(expired.text().await.unwrap().contains("This link has expired"));

        // Three reset mails an hour per account at most; then the same
        // answer and no mail. Five asks a minute per address at most.
        assert_eq!(ask_reset(&app, &visitor, "ed@example.com").await.status(), StatusCode::OK);
        let fourth = ask_reset(&app, &visitor, "ed@example.com").await;
        assert_eq!(fourth.status(), StatusCode::OK);
        assert!(fourth.text().await.unwrap().contains(RESET_SENT_MESSAGE));
        let throttled = ask_reset(&app, &visitor, "ed@example.com").await;
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(throttled.headers().contains_key("retry-after"));
        let links: i64 = account_tokens::table.filter(account_tokens::user_id.eq(ed.id)).count().get_result(&mut app.conn()).unwrap();
        assert_eq!(links, 3, "a fourth reset in the hour makes no link");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(sink.to("ed@example.com").len(), 3, "and mails nobody");
    }
}

on_both_backends_with_mail! {
    async fn new_users_are_invited_to_choose_their_own_password(app, sink) {
        app.log_in_as(Role::Admin).await;
        let added = app.admin_post("/admin/users", &[("email", "new@example.com"), ("name", "New Person"), ("role", "editor")]).await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let list = app.get(&location(&added)).await.text().await.unwrap();
        assert!(list.contains("User added. An invitation to set a password was emailed to them."));
        assert!(list.contains("Resend invitation"));
        let user = find_user_by_email(&mut app.conn(), "new@example.com").unwrap().unwrap();
        assert!(user.password_hash.is_none(), "no password passed through the admin");

        let invitation = mails_to(&sink, "new@example.com", 1).await;
        assert_eq!(invitation.len(), 1);
        assert!(invitation[0].subject().ends_with("] You are invited to join"));
        assert!(invitation[0].text().contains(" as Editor."), "{}", invitation[0].text());
        let first = invitation[0].link_containing("/admin/account/");

        // The outbox shows the mail's content, but not the link that acts.
        let outbox = app.get("/admin/outbox").await.text().await.unwrap();
        let id: i64 = ferropress::db::schema::outbox::table
            .filter(ferropress::db::schema::outbox::kind.eq("invitation"))
            .select(ferropress::db::schema::outbox::id)
            .first(&mut app.conn())
            .unwrap();
        assert!(outbox.contains(&format!(r#"<a href="/admin/outbox/{id}">"#)));
        let shown = app.get(&format!("/admin/outbox/{id}")).await;
        assert_eq!(shown.status(), StatusCode::OK);
        let shown = shown.text().await.unwrap();
        assert!(shown.contains("added you to") && shown.contains("/admin/account/[only the recipient&#39;s copy works]"), "{shown}");
        assert!(!shown.contains(first.rsplit('/').next().unwrap()), "the token is not shown");
        assert_eq!(app.get("/admin/outbox/999999").await.status(), StatusCode::NOT_FOUND);

        // Resent: a second link; the first one choosing the password voids it.
        assert_eq!(app.admin_post(&format!("/admin/users/{}/password", user.id), &[]).await.status(), StatusCode::SEE_OTHER);
        let invitations = mails_to(&sink, "new@example.com", 2).await;
        assert!(invitations[1].subject().ends_with("] You are invited to join"), "no password yet: invited again");
        let resent = invitations[1].link_containing("/admin/account/");
        assert_ne!(first, resent);

        let newcomer = browser();
        let opened = newcomer.get(&first).send().await.unwrap().text().await.unwrap();
        assert!(opened.contains("Set your password"));
        let set = use_link(&newcomer, &first, &[("password", "my own secret")]).await;
        assert_eq!(set.status(), StatusCode::SEE_OTHER);
        assert_eq!(newcomer.get(app.url("/admin/posts")).send().await.unwrap().status(), StatusCode::OK, "logged in as an editor");
        assert_eq!(browser().get(&resent).send().await.unwrap().status(), StatusCode::GONE, "the other invitation is void");

        // Now "Send password reset": a reset mail, and the password stays
        // until its link is used.
        let list = app.get("/admin/users").await.text().await.unwrap();
        assert!(list.contains("Send password reset"));
        assert_eq!(app.admin_post(&format!("/admin/users/{}/password", user.id), &[]).await.status(), StatusCode::SEE_OTHER);
        let mails = mails_to(&sink, "new@example.com", 3).await;
        assert!(mails[2].subject().ends_with("] Password reset"));
        assert_eq!(app.log_in_with(&browser(), "new@example.com", "my own secret").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(newcomer.get(app.url("/admin/posts")).send().await.unwrap().status(), StatusCode::OK, "sessions stay until the link is used");
    }
}

on_both_backends_with_mail! {
    async fn staff_change_their_name_and_their_address_once_confirmed(app, sink) {
        let me = app.log_in_as(Role::Moderator).await;
        app.create_user("taken@example.com", "Someone Else", Role::Editor);

        let no_password = app.admin_post("/admin/profile", &[("display_name", "Mo Renamed"), ("email", "mo@example.com")]).await;
        assert_eq!(no_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_password.text().await.unwrap().contains("Your current password is incorrect."));
        let taken = app.admin_post("/admin/profile", &[("display_name", "Mo Renamed"), ("email", "Taken@example.com"), ("current_password", STAFF_PASSWORD)]).await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.unwrap().contains("Another account uses this email address."));
        let bad = app.admin_post("/admin/profile", &[("display_name", " "), ("email", "not an address")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains("Please enter a name (at most 100 characters).") && bad.contains("Please enter a valid email address."));
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().display_name, me.display_name, "nothing saved");

        let renamed = app.admin_post("/admin/profile", &[("display_name", "Mo Renamed"), ("email", &me.email)]).await;
        assert_eq!(location(&renamed), "/admin/profile?done=profile_saved&n=1");
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().display_name, "Mo Renamed");

        let changed = app.admin_post("/admin/profile", &[("display_name", "Mo Renamed"), ("email", "mo@example.com"), ("current_password", STAFF_PASSWORD)]).await;
        assert_eq!(location(&changed), "/admin/profile?done=email_pending&n=1");
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().email, me.email, "the old address stays until confirmed");
        let profile = app.get("/admin/profile").await.text().await.unwrap();
        assert!(profile.contains("There is a pending change of your email to <strong>mo@example.com</strong>"));
        let confirm = mails_to(&sink, "mo@example.com", 1).await;
        assert!(confirm[0].subject().ends_with("] Confirm your new email address"));
        let link = confirm[0].link_containing("/admin/account/");
        assert!(sink.to(&me.email).is_empty(), "the old address hears nothing yet");

        let elsewhere = browser();
        let opened = elsewhere.get(&link).send().await.unwrap().text().await.unwrap();
        assert!(opened.contains("Use mo@example.com for your account from now on?"));
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().email, me.email, "opening changes nothing");
        let confirmed = use_link(&elsewhere, &link, &[]).await;
        assert_eq!(confirmed.status(), StatusCode::OK);
        assert!(confirmed.text().await.unwrap().contains("You log in with mo@example.com from now on."));
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().email, "mo@example.com");
        let told = mails_to(&sink, &me.email, 1).await;
        assert_eq!(told.len(), 1);
        assert!(told[0].subject().ends_with("] Your email address was changed"));
        assert_eq!(app.log_in_with(&browser(), "mo@example.com", STAFF_PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.log_in_with(&browser(), &me.email, STAFF_PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(browser().get(&link).send().await.unwrap().status(), StatusCode::GONE);

        // A change can be cancelled: its link stops working.
        app.admin_post("/admin/profile", &[("display_name", "Mo Renamed"), ("email", "mo2@example.com"), ("current_password", STAFF_PASSWORD)]).await;
        let cancelled = app.admin_post("/admin/profile/email/cancel", &[]).await;
        assert_eq!(location(&cancelled), "/admin/profile?done=email_kept&n=1");
        let link = mails_to(&sink, "mo2@example.com", 1).await[0].link_containing("/admin/account/");
        assert_eq!(browser().get(&link).send().await.unwrap().status(), StatusCode::GONE);
        assert_eq!(find_user(&mut app.conn(), me.id).unwrap().unwrap().email, "mo@example.com");
    }
}
