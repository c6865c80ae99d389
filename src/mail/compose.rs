//! Each kind of email, composed as plain text and HTML from the askama
//! templates in `templates/mail/`.

use askama::Template;

use crate::auth::signing::{sign, Purpose};
use crate::mail::outbox::NewEmail;
use crate::mail::{one_line, MailContext};

/// A pair of templates for one email: text and HTML share the same fields.
fn render_pair(
    text: &impl Template,
    html: &impl Template,
) -> Result<(String, String), askama::Error> {
    Ok((text.render()?, html.render()?))
}

/// `<kind-event-recipientkey@host>`: stable for one event and recipient.
fn message_id(context: &MailContext, event: &str, recipient: &str) -> String {
    let key = &sign(
        &context.secret,
        Purpose::MessageId,
        &recipient.to_lowercase(),
    )[..12];
    format!("<{event}-{key}@{}>", context.host())
}

pub struct ModerationMail<'a> {
    pub comment_id: i64,
    /// Its author's edits so far, for a comment held again by one (news again).
    pub edition: Option<usize>,
    pub held: bool,
    pub post_title: &'a str,
    pub permalink: String,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub author_ip: &'a str,
    pub text: &'a str,
    pub approve_link: Option<String>,
    pub spam_link: String,
    pub trash_link: String,
    /// "12", "50,000": the comments waiting now.
    pub pending_count: String,
}

#[derive(Template)]
#[template(path = "mail/moderation.txt")]
struct ModerationText<'a> {
    held: bool,
    post_title: &'a str,
    permalink: &'a str,
    author_name: &'a str,
    author_email: &'a str,
    author_url: &'a str,
    author_ip: &'a str,
    text: &'a str,
    approve_link: &'a Option<String>,
    spam_link: &'a str,
    trash_link: &'a str,
    pending_count: &'a str,
    queue_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/moderation.html")]
struct ModerationHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    held: bool,
    post_title: &'a str,
    permalink: &'a str,
    author_name: &'a str,
    author_email: &'a str,
    author_url: &'a str,
    author_ip: &'a str,
    text: &'a str,
    approve_link: &'a Option<String>,
    spam_link: &'a str,
    trash_link: &'a str,
    pending_count: &'a str,
    queue_link: &'a str,
}

/// SPEC §4.1: `[Site] Please moderate: "Title"` for a held comment,
/// `[Site] Comment: "Title"` for one a rule approved.
pub fn moderation(
    context: &MailContext,
    mail: &ModerationMail<'_>,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let subject = if mail.held {
        one_line(&format!(
            "[{}] Please moderate: \"{}\"",
            context.site_title, mail.post_title
        ))
    } else {
        one_line(&format!(
            "[{}] Comment: \"{}\"",
            context.site_title, mail.post_title
        ))
    };
    let queue_link = context.absolute_url("/admin/comments?status=pending");
    let text = ModerationText {
        held: mail.held,
        post_title: mail.post_title,
        permalink: &mail.permalink,
        author_name: mail.author_name,
        author_email: mail.author_email,
        author_url: mail.author_url,
        author_ip: mail.author_ip,
        text: mail.text,
        approve_link: &mail.approve_link,
        spam_link: &mail.spam_link,
        trash_link: &mail.trash_link,
        pending_count: &mail.pending_count,
        queue_link: &queue_link,
    };
    let html = ModerationHtml {
        subject: &subject,
        site_title: &context.site_title,
        held: mail.held,
        post_title: mail.post_title,
        permalink: &mail.permalink,
        author_name: mail.author_name,
        author_email: mail.author_email,
        author_url: mail.author_url,
        author_ip: mail.author_ip,
        text: mail.text,
        approve_link: &mail.approve_link,
        spam_link: &mail.spam_link,
        trash_link: &mail.trash_link,
        pending_count: &mail.pending_count,
        queue_link: &queue_link,
    };
    let (body_text, body_html) = render_pair(&text, &html)?;
    Ok(NewEmail {
        kind: "moderation",
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: Vec::new(),
        message_id: message_id(
            context,
            &match mail.edition {
                Some(edition) => format!("moderate-{}-edit-{edition}", mail.comment_id),
                None => format!("moderate-{}", mail.comment_id),
            },
            recipient,
        ),
    })
}

#[derive(Template)]
#[template(path = "mail/reply.txt")]
struct ReplyText<'a> {
    replier_name: &'a str,
    post_title: &'a str,
    text: &'a str,
    link: &'a str,
    unsubscribe_link: &'a str,
    manage_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    replier_name: &'a str,
    post_title: &'a str,
    text: &'a str,
    link: &'a str,
    unsubscribe_link: &'a str,
    manage_link: &'a str,
}

/// What a reply notification tells a subscriber.
#[derive(Debug, Clone, Copy)]
pub struct ReplyMail<'a> {
    pub reply_id: i64,
    pub replier_name: &'a str,
    pub post_title: &'a str,
    pub text: &'a str,
    /// Where the reply is shown.
    pub link: &'a str,
    pub unsubscribe_link: &'a str,
    /// The page listing every post the reader hears about.
    pub manage_link: &'a str,
}

/// SPEC §4.2: a reply to a subscriber's comment: its text and link, never
/// the replier's email; unsubscribe link and RFC 8058 one-click headers.
pub fn reply(
    context: &MailContext,
    mail: &ReplyMail<'_>,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let subject = one_line(&format!(
        "[{}] New reply to your comment on \"{}\"",
        context.site_title, mail.post_title
    ));
    let plain = ReplyText {
        replier_name: mail.replier_name,
        post_title: mail.post_title,
        text: mail.text,
        link: mail.link,
        unsubscribe_link: mail.unsubscribe_link,
        manage_link: mail.manage_link,
    };
    let html = ReplyHtml {
        subject: &subject,
        site_title: &context.site_title,
        replier_name: mail.replier_name,
        post_title: mail.post_title,
        text: mail.text,
        link: mail.link,
        unsubscribe_link: mail.unsubscribe_link,
        manage_link: mail.manage_link,
    };
    let (body_text, body_html) = render_pair(&plain, &html)?;
    Ok(NewEmail {
        kind: "reply",
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: vec![
            (
                "List-Unsubscribe".to_owned(),
                format!("<{}>", mail.unsubscribe_link),
            ),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
        message_id: message_id(context, &format!("reply-{}", mail.reply_id), recipient),
    })
}

#[derive(Template)]
#[template(path = "mail/confirm.txt")]
struct ConfirmText<'a> {
    post_title: &'a str,
    confirm_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/confirm.html")]
struct ConfirmHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    post_title: &'a str,
    confirm_link: &'a str,
}

/// The double opt-in: the only mail an unconfirmed address ever gets.
pub fn confirm_subscription(
    context: &MailContext,
    comment_id: i64,
    post_title: &str,
    confirm_link: &str,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let subject = one_line(&format!(
        "[{}] Please confirm your subscription to replies",
        context.site_title
    ));
    let plain = ConfirmText {
        post_title,
        confirm_link,
    };
    let html = ConfirmHtml {
        subject: &subject,
        site_title: &context.site_title,
        post_title,
        confirm_link,
    };
    let (body_text, body_html) = render_pair(&plain, &html)?;
    Ok(NewEmail {
        kind: "confirm",
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: Vec::new(),
        message_id: message_id(context, &format!("confirm-{comment_id}"), recipient),
    })
}

#[derive(Template)]
#[template(path = "mail/author.txt")]
struct AuthorText<'a> {
    post_title: &'a str,
    commenter: &'a str,
    text: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/author.html")]
struct AuthorHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    post_title: &'a str,
    commenter: &'a str,
    text: &'a str,
    link: &'a str,
}

/// SPEC §4.3: the post's author hears when a comment on it is approved.
pub fn comment_approved_for_author(
    context: &MailContext,
    comment_id: i64,
    post_title: &str,
    commenter: &str,
    text: &str,
    link: &str,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let subject = one_line(&format!(
        "[{}] New comment on \"{}\"",
        context.site_title, post_title
    ));
    let plain = AuthorText {
        post_title,
        commenter,
        text,
        link,
    };
    let html = AuthorHtml {
        subject: &subject,
        site_title: &context.site_title,
        post_title,
        commenter,
        text,
        link,
    };
    let (body_text, body_html) = render_pair(&plain, &html)?;
    Ok(NewEmail {
        kind: "author",
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: Vec::new(),
        message_id: message_id(context, &format!("approved-{comment_id}"), recipient),
    })
}

#[derive(Template)]
#[template(path = "mail/account.txt")]
struct AccountText<'a> {
    name: &'a str,
    lead: &'a str,
    button: &'a str,
    link: Option<&'a str>,
    note: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account.html")]
struct AccountHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    name: &'a str,
    lead: &'a str,
    button: &'a str,
    link: Option<&'a str>,
    note: &'a str,
}

/// A mail to a staff member about their own account.
pub enum AccountMail<'a> {
    /// "Lost your password?", or an admin's "Send password reset".
    Reset { link: &'a str },
    /// A new user: `inviter` added them as `role`.
    Invitation {
        link: &'a str,
        inviter: &'a str,
        role: &'a str,
    },
    /// To the new address, before it replaces the old one.
    ConfirmEmail { link: &'a str },
    /// To the old address, once the new one is confirmed.
    EmailChanged { new_email: &'a str },
}

/// SPEC §4.5: account mail. `event` makes the Message-ID (one per link).
pub fn account(
    context: &MailContext,
    mail: &AccountMail<'_>,
    event: &str,
    name: &str,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let site = &context.site_title;
    let (kind, subject, lead, button, link, note) = match mail {
        AccountMail::Reset { link } => (
            "password-reset",
            format!("[{site}] Password reset"),
            format!("Someone asked to reset the password of your account on {site} ({recipient})."),
            "Choose a new password",
            Some(*link),
            "The link works once, for an hour. If you did not ask for this, ignore this email: your password stays as it is.".to_owned(),
        ),
        AccountMail::Invitation { link, inviter, role } => (
            "invitation",
            format!("[{site}] You are invited to join"),
            format!("{inviter} added you to {site} as {role}. Your login is this address ({recipient}); choose a password to start."),
            "Set your password",
            Some(*link),
            "The link works once, for 7 days. If you were not expecting this, ignore this email.".to_owned(),
        ),
        AccountMail::ConfirmEmail { link } => (
            "email-change",
            format!("[{site}] Confirm your new email address"),
            format!("You asked to use this address ({recipient}) for your account on {site}."),
            "Confirm this address",
            Some(*link),
            "The link works once, for a day. Until it is used, your account keeps its old address. If you did not ask for this, ignore this email.".to_owned(),
        ),
        AccountMail::EmailChanged { new_email } => (
            "email-changed",
            format!("[{site}] Your email address was changed"),
            format!("The email address of your account on {site} is now {new_email}; mail about the site goes there from now on."),
            "",
            None,
            "If you did not make this change, ask the site's administrator to look at your account.".to_owned(),
        ),
    };
    let subject = one_line(&subject);
    let plain = AccountText {
        name,
        lead: &lead,
        button,
        link,
        note: &note,
    };
    let html = AccountHtml {
        subject: &subject,
        site_title: site,
        name,
        lead: &lead,
        button,
        link,
        note: &note,
    };
    let (body_text, body_html) = render_pair(&plain, &html)?;
    Ok(NewEmail {
        kind,
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: Vec::new(),
        message_id: message_id(context, &format!("{kind}-{event}"), recipient),
    })
}

/// One held comment in a digest.
pub struct DigestItem {
    pub author: String,
    pub post_title: String,
    /// The start of its text.
    pub first_lines: String,
    /// "0.97"
    pub score: String,
    /// Its status now (`pending` unless someone got to it first).
    pub status: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    items: &'a [DigestItem],
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    site_title: &'a str,
    items: &'a [DigestItem],
    link: &'a str,
}

/// The hourly digest of held comments, sent instead of a mail each.
pub fn digest(
    context: &MailContext,
    digest_id: i64,
    items: &[DigestItem],
    link: &str,
    recipient: &str,
) -> Result<NewEmail, askama::Error> {
    let subject = one_line(&format!(
        "[{}] {} comments are waiting for moderation",
        context.site_title,
        items.len()
    ));
    let text = DigestText { items, link };
    let html = DigestHtml {
        subject: &subject,
        site_title: &context.site_title,
        items,
        link,
    };
    let (body_text, body_html) = render_pair(&text, &html)?;
    Ok(NewEmail {
        kind: "digest",
        recipient: recipient.to_owned(),
        subject,
        body_text,
        body_html,
        headers: Vec::new(),
        message_id: message_id(context, &format!("digest-{digest_id}"), recipient),
    })
}

/// Each kind of mail as a reader of it sees it, reviewed as a diff when a
/// template or its wording changes (`cargo insta review`).
#[cfg(test)]
mod snapshots {
    use super::*;
    use crate::models::setting::NotificationSettings;
    use crate::render::thread::CommentPaging;

    fn context() -> MailContext {
        MailContext {
            site_url: "https://blog.example".to_owned(),
            site_title: "Back & Neck <Care>".to_owned(),
            secret: "a test secret that is long enough to sign with".to_owned(),
            notifications: NotificationSettings::default(),
            paging: CommentPaging {
                max_depth: 5,
                per_page: 50,
            },
            digest_after: 10,
            acting_email: None,
        }
    }

    /// Envelope, extra headers, then both bodies.
    fn shown(email: &NewEmail) -> String {
        let mut text = format!(
            "Kind: {}\nTo: {}\nSubject: {}\nMessage-ID: {}\n",
            email.kind, email.recipient, email.subject, email.message_id
        );
        for (name, value) in &email.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        format!(
            "{text}\n----- text/plain -----\n{}\n----- text/html -----\n{}",
            email.body_text, email.body_html
        )
    }

    const TEXT: &str = "Does the *lumbar* roll help?\nI tried <b>two</b> & it hurt.";

    #[test]
    fn moderation_mail_for_a_held_comment() {
        let mail = ModerationMail {
            comment_id: 42,
            edition: None,
            held: true,
            post_title: "Sitting & standing",
            permalink: "https://blog.example/2024/03/05/sitting/#comment-42".to_owned(),
            author_name: "Ann Reader",
            author_email: "ann@example.com",
            author_url: "https://ann.example/",
            author_ip: "192.0.2.7",
            text: TEXT,
            approve_link: Some("https://blog.example/moderate/approve-token".to_owned()),
            spam_link: "https://blog.example/moderate/spam-token".to_owned(),
            trash_link: "https://blog.example/moderate/trash-token".to_owned(),
            pending_count: "1,204".to_owned(),
        };
        let email = moderation(&context(), &mail, "editor@blog.example").unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn moderation_mail_for_an_approved_comment() {
        let mail = ModerationMail {
            comment_id: 43,
            edition: None,
            held: false,
            post_title: "Sitting & standing",
            permalink: "https://blog.example/2024/03/05/sitting/#comment-43".to_owned(),
            author_name: "Ben",
            author_email: "ben@example.com",
            author_url: "",
            author_ip: "2001:db8::1",
            text: "Thanks!",
            approve_link: None,
            spam_link: "https://blog.example/moderate/spam-token".to_owned(),
            trash_link: "https://blog.example/moderate/trash-token".to_owned(),
            pending_count: "0".to_owned(),
        };
        let email = moderation(&context(), &mail, "editor@blog.example").unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn reply_notification() {
        let mail = ReplyMail {
            reply_id: 44,
            replier_name: "Dr. Lee",
            post_title: "Sitting & standing",
            text: TEXT,
            link: "https://blog.example/2024/03/05/sitting/#comment-44",
            unsubscribe_link: "https://blog.example/subscriptions/unsubscribe/token",
            manage_link: "https://blog.example/subscriptions/manage/token",
        };
        let email = reply(&context(), &mail, "ann@example.com").unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn subscription_confirmation() {
        let email = confirm_subscription(
            &context(),
            42,
            "Sitting & standing",
            "https://blog.example/subscriptions/confirm/token",
            "ann@example.com",
        )
        .unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn comment_approved_for_the_post_author() {
        let email = comment_approved_for_author(
            &context(),
            42,
            "Sitting & standing",
            "Ann Reader",
            TEXT,
            "https://blog.example/2024/03/05/sitting/#comment-42",
            "author@blog.example",
        )
        .unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn a_digest_of_held_comments() {
        let item = |author: &str, status: &str| DigestItem {
            author: author.to_owned(),
            post_title: "Sitting & standing".to_owned(),
            first_lines: "Cheap <b>pills</b> here, and more".to_owned(),
            score: "0.97".to_owned(),
            status: status.to_owned(),
        };
        let email = digest(
            &context(),
            7,
            &[
                item("Casino Bot", "pending"),
                item("Ann Reader", "approved"),
            ],
            "https://blog.example/admin/comments?digest=7",
            "moderator@blog.example",
        )
        .unwrap();
        insta::assert_snapshot!(shown(&email));
    }

    #[test]
    fn account_mails() {
        let link = "https://blog.example/admin/account/0123abcd.sig";
        let mails = [
            AccountMail::Reset { link },
            AccountMail::Invitation {
                link,
                inviter: "Ann <Admin>",
                role: "Editor",
            },
            AccountMail::ConfirmEmail { link },
            AccountMail::EmailChanged {
                new_email: "new@blog.example",
            },
        ];
        let shown: Vec<String> = mails
            .iter()
            .map(|mail| {
                shown(
                    &account(
                        &context(),
                        mail,
                        "0123abcd",
                        "Ed <Editor>",
                        "ed@blog.example",
                    )
                    .unwrap(),
                )
            })
            .collect();
        insta::assert_snapshot!(shown.join("\n=====\n"));
    }
}
