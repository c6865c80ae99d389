//! An email address as people type it: trimmed, one `@`, a dotted domain.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("Please enter a valid email address.")]
pub struct InvalidEmail;

/// RFC 5321's limit on a forward path.
const MAX_EMAIL_LENGTH: usize = 254;

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, InvalidEmail> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_EMAIL_LENGTH {
            return Err(InvalidEmail);
        }
        let (local, domain) = text.rsplit_once('@').ok_or(InvalidEmail)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c);
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.contains('@') || local.chars().any(forbidden) || !domain_ok {
            return Err(InvalidEmail);
        }
        // What the form takes, the mailer must be able to send to
        // (`a..b@`, `.a@` are refused there).
        if lettre::Address::new(local, domain).is_err() {
            return Err(InvalidEmail);
        }
        // The domain part is case-insensitive; the local part is kept as typed.
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            EmailAddress::parse(" Ann.Lee+blog@Example.COM ")
                .unwrap()
                .as_str(),
            "Ann.Lee+blog@example.com"
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@exa mple.com",
            "a@example..com",
            "a@.example.com",
            "a@example.com\r\nBcc: x@y.z",
            "<a@example.com>",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(InvalidEmail), "{bad:?}");
        }
    }
}
