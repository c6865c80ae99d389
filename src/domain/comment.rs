//! A reader's comment submission (SPEC §3), parsed once: either a
//! `ValidComment` or a message for each bad field.

use crate::domain::{EmailAddress, FieldErrors};

pub const MAX_COMMENT_CHARS: usize = 10_000;
pub const MAX_NAME_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 200;

/// What the reader typed, kept as typed so every answer can show it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentSubmission {
    pub comment: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub subscribe: bool,
    pub parent: Option<i64>,
    /// "Save my name, email, and website in this browser".
    pub remember: bool,
}

/// A website given with a comment: `http://` or `https://` with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorUrl(String);

impl AuthorUrl {
    pub fn parse(text: &str) -> Option<AuthorUrl> {
        let text = text.trim();
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_ok = !host.is_empty()
            && !host.contains('@')
            && host
                .chars()
                .all(|c| c.is_alphanumeric() || ".-:[]".contains(c));
        let text_ok = text.chars().count() <= MAX_URL_CHARS
            && !text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
        (host_ok && text_ok).then(|| AuthorUrl(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A submission that passed every rule of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidComment {
    /// Trimmed; at most 10,000 characters; line breaks kept.
    pub body: String,
    /// Trimmed; at most 100 characters; no line breaks (they could reach mail headers).
    pub author: String,
    pub email: EmailAddress,
    pub url: Option<AuthorUrl>,
    pub parent: Option<i64>,
    pub subscribe: bool,
}

impl CommentSubmission {
    pub fn parse(&self) -> Result<ValidComment, FieldErrors> {
        let mut errors = FieldErrors::new();
        let body = self.comment.trim().replace("\r\n", "\n");
        if body.is_empty() {
            errors.push(("comment", "Please type your comment."));
        } else if body.chars().count() > MAX_COMMENT_CHARS {
            errors.push((
                "comment",
                "Your comment is too long: at most 10,000 characters.",
            ));
        }
        let author: String = self
            .author
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if author.is_empty() {
            errors.push(("author", "Please enter your name."));
        } else if author.chars().count() > MAX_NAME_CHARS {
            errors.push(("author", "Your name is too long: at most 100 characters."));
        }
        let email = if self.email.trim().is_empty() {
            errors.push(("email", "Please enter your email address."));
            None
        } else {
            let parsed = EmailAddress::parse(&self.email).ok();
            if parsed.is_none() {
                errors.push(("email", "Please enter a valid email address."));
            }
            parsed
        };
        let url = if self.url.trim().is_empty() {
            None
        } else {
            let parsed = AuthorUrl::parse(&self.url);
            if parsed.is_none() {
                errors.push((
                    "url",
                    "Please enter a website address starting with http:// or https://.",
                ));
            }
            parsed
        };
        match email {
            Some(email) if errors.is_empty() => Ok(ValidComment {
                body,
                author,
                email,
                url,
                parent: self.parent,
                subscribe: self.subscribe,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> CommentSubmission {
        CommentSubmission {
            comment: "  Thank you, doctor.\r\nVery helpful.  ".into(),
            author: " Ann \r\n Lee ".into(),
            email: "ann@Example.com".into(),
            url: "https://ann.example/blog".into(),
            subscribe: true,
            parent: Some(4),
            remember: false,
        }
    }

    #[test]
    fn a_good_submission_is_normalised() {
        let valid = submission().parse().unwrap();
        assert_eq!(valid.body, "Thank you, doctor.\nVery helpful.");
        assert_eq!(valid.author, "Ann Lee");
        assert_eq!(valid.email.as_str(), "ann@example.com");
        assert_eq!(valid.url.unwrap().as_str(), "https://ann.example/blog");
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let bad = CommentSubmission {
            comment: " ".into(),
            author: "".into(),
            email: "nope".into(),
            url: "javascript:alert(1)".into(),
            ..submission()
        };
        let errors = bad.parse().unwrap_err();
        assert_eq!(errors.at("comment"), Some("Please type your comment."));
        assert_eq!(errors.at("author"), Some("Please enter your name."));
        assert_eq!(
            errors.at("email"),
            Some("Please enter a valid email address.")
        );
        assert!(errors.at("url").is_some());
        let missing_email = CommentSubmission {
            email: "".into(),
            ..submission()
        };
        assert_eq!(
            missing_email.parse().unwrap_err().at("email"),
            Some("Please enter your email address.")
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let at_limit = CommentSubmission {
            comment: "é".repeat(MAX_COMMENT_CHARS),
            author: "ü".repeat(MAX_NAME_CHARS),
            ..submission()
        };
        assert!(at_limit.parse().is_ok());
        let over = CommentSubmission {
            comment: "a".repeat(MAX_COMMENT_CHARS + 1),
            author: "b".repeat(MAX_NAME_CHARS + 1),
            ..submission()
        };
        let errors = over.parse().unwrap_err();
        assert!(errors.at("comment").is_some() && errors.at("author").is_some());
    }

    #[test]
    fn websites_must_be_http_or_https() {
        for good in [
            "http://a.example",
            "https://a.example/x?y=1#z",
            "https://[::1]:8080/",
        ] {
            assert!(AuthorUrl::parse(good).is_some(), "{good}");
        }
        for bad in [
            "a.example",
            "ftp://a.example",
            "javascript:alert(1)",
            "https://",
            "https://a b.example",
            "https://user@evil.example",
            "https://a.example/\"onmouseover=x",
        ] {
            assert!(AuthorUrl::parse(bad).is_none(), "{bad}");
        }
    }
}
