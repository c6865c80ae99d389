//! HMAC-SHA256 signatures with the site secret: for cookies, form tokens and
//! links that must not be forged, and for keyed hashes of emails.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a signature is for. Its spelling is part of the signed text, so a
/// signature made for one use (a cookie) is never valid for another (a
/// moderation link); changing a spelling voids what was signed with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The link in a moderation mail (it names an `action_tokens` row).
    ActionToken,
    /// The "confirm your subscription" link.
    SubscriptionConfirm,
    /// The unsubscribe link in every reply notification.
    Unsubscribe,
    /// The comment form's timing token (when the form was shown).
    CommentForm,
    /// The cookie listing a visitor's own held comments.
    HeldComments,
    /// A comment's duplicate key (email and text), keyed so it reveals neither.
    CommentDedupe,
    /// A mail's `Message-ID`, keyed by recipient.
    MessageId,
    /// The identicon drawn for an email address.
    Avatar,
    /// A link mailed to staff (password reset, invitation, new address).
    AccountToken,
    /// The cookie that lets a comment's author edit it for a while, and
    /// the token of the edit form.
    CommentEdit,
    /// The cookie that holds, keyed, the post password a reader typed.
    PostPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ActionToken => "action-token",
            Purpose::SubscriptionConfirm => "subscription-confirm",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::CommentForm => "comment-form",
            Purpose::HeldComments => "held-comments",
            Purpose::CommentDedupe => "comment-dedupe",
            Purpose::MessageId => "message-id",
            Purpose::Avatar => "avatar",
            Purpose::AccountToken => "account-token",
            Purpose::CommentEdit => "comment-edit",
            Purpose::PostPassword => "post-password",
        }
    }
}

fn mac(secret: &str, purpose: Purpose, message: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(purpose.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(message.as_bytes());
    mac
}

/// Hex signature of `message` for `purpose`.
pub fn sign(secret: &str, purpose: Purpose, message: &str) -> String {
    hex::encode(mac(secret, purpose, message).finalize().into_bytes())
}

/// Whether `signature` is `sign(secret, purpose, message)`, compared in constant time.
pub fn verify(secret: &str, purpose: Purpose, message: &str, signature: &str) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    mac(secret, purpose, message).verify_slice(&bytes).is_ok()
}

/// `message.signature`, for values that travel through the browser.
pub fn signed_value(secret: &str, purpose: Purpose, message: &str) -> String {
    format!("{message}.{}", sign(secret, purpose, message))
}

/// The message of a `signed_value`, if its signature is good.
pub fn open_signed_value<'a>(secret: &str, purpose: Purpose, value: &'a str) -> Option<&'a str> {
    let (message, signature) = value.rsplit_once('.')?;
    verify(secret, purpose, message, signature).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn signed_values_open_only_with_the_same_secret_and_purpose() {
        let value = signed_value(SECRET, Purpose::HeldComments, "12,13");
        assert_eq!(
            open_signed_value(SECRET, Purpose::HeldComments, &value),
            Some("12,13")
        );
        assert_eq!(
            open_signed_value(SECRET, Purpose::ActionToken, &value),
            None
        );
        assert_eq!(
            open_signed_value(
                "another secret, also long enough!",
                Purpose::HeldComments,
                &value
            ),
            None
        );
    }

    #[test]
    fn tampered_values_are_refused() {
        let value = signed_value(SECRET, Purpose::HeldComments, "12,13");
        let forged = value.replacen("12,13", "12,14", 1);
        assert_eq!(
            open_signed_value(SECRET, Purpose::HeldComments, &forged),
            None
        );
        assert_eq!(
            open_signed_value(SECRET, Purpose::HeldComments, "12,13"),
            None
        );
        assert_eq!(
            open_signed_value(SECRET, Purpose::HeldComments, "12,13.zz"),
            None
        );
        assert!(!verify(SECRET, Purpose::HeldComments, "x", ""));
    }
}
