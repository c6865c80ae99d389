//! Email: every message is an outbox row written in the same transaction as
//! its cause (`notify`), composed from askama templates (`compose`), and
//! delivered over SMTP by a background worker (`worker`).

pub mod compose;
pub mod notify;
pub mod outbox;
pub mod worker;

/// What composing and addressing mail needs to know about the site.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub site_url: String,
    pub site_title: String,
    pub secret: String,
    pub notifications: crate::models::setting::NotificationSettings,
    /// How post pages lay comments out, to link to the page showing one.
    pub paging: crate::render::thread::CommentPaging,
    /// More held comments than this in an hour go into a digest (0: never).
    pub digest_after: i64,
    /// The staff member acting (from the panel): never mailed about what
    /// they did themselves.
    pub acting_email: Option<String>,
}

impl MailContext {
    /// What mail composition needs to know about the site now.
    pub fn of(state: &crate::state::AppState) -> MailContext {
        let site = state.site();
        MailContext {
            site_url: state.config.site_url.clone(),
            site_title: site.title.clone(),
            secret: state.secret_key.clone(),
            notifications: site.notifications.clone(),
            paging: site.discussion.paging(),
            digest_after: site.discussion.digest_after,
            acting_email: None,
        }
    }

    /// As `of`, for what `email`'s owner does from the panel.
    pub fn acting(state: &crate::state::AppState, email: &str) -> MailContext {
        MailContext {
            acting_email: Some(email.to_owned()),
            ..MailContext::of(state)
        }
    }

    pub fn absolute_url(&self, path: &str) -> String {
        format!("{}{}", self.site_url, path)
    }

    /// The host part of Message-IDs.
    pub fn host(&self) -> String {
        let rest = self.site_url.split("://").nth(1).unwrap_or(&self.site_url);
        rest.split(['/', ':'])
            .next()
            .filter(|host| !host.is_empty())
            .unwrap_or("localhost")
            .to_owned()
    }
}

/// Text fit for one header line: control characters (CR, LF…) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn header_text_cannot_break_lines() {
        assert_eq!(
            one_line("Title\r\nBcc: victim@example.com"),
            "Title  Bcc: victim@example.com"
        );
    }
}
