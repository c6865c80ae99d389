//! Avatars drawn by ferropress: a 5×5 mirrored identicon from a keyed hash
//! of the normalised email, so the picture reveals nothing about the address.

use crate::auth::signing::{sign, Purpose};

/// The keyed hash an avatar is drawn from: 128 bits (32 hex digits) of an
/// HMAC of the lower-cased email.
pub fn avatar_key(secret: &str, email: &str) -> String {
    let mut key = sign(secret, Purpose::Avatar, &email.trim().to_lowercase());
    key.truncate(AVATAR_KEY_LEN);
    key
}

/// Hex digits in an avatar key.
pub const AVATAR_KEY_LEN: usize = 32;

/// Whether `text` looks like an avatar key (so only those are drawn).
pub fn is_avatar_key(text: &str) -> bool {
    text.len() == AVATAR_KEY_LEN
        && text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// An inline SVG identicon, `size` pixels square, for a keyed hash.
pub fn identicon_svg(avatar_key: &str, size: u32) -> String {
    let bytes = hex::decode(avatar_key).unwrap_or_default();
    let byte = |index: usize| bytes.get(index).copied().unwrap_or(0);
    let hue = u32::from(byte(0)) * 360 / 256;
    let mut cells = String::new();
    for row in 0..5u32 {
        for column in 0..3u32 {
            let bit_index = (row * 3 + column) as usize;
            if byte(1 + bit_index / 8) >> (bit_index % 8) & 1 == 1 {
                cells.push_str(&format!(
                    "<rect x=\"{column}\" y=\"{row}\" width=\"1\" height=\"1\"/>"
                ));
                if column < 2 {
                    cells.push_str(&format!(
                        "<rect x=\"{}\" y=\"{row}\" width=\"1\" height=\"1\"/>",
                        4 - column
                    ));
                }
            }
        }
    }
    format!(
        "<svg class=\"avatar\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-0.5 -0.5 6 6\" width=\"{size}\" height=\"{size}\" aria-hidden=\"true\" focusable=\"false\">\
         <rect x=\"-0.5\" y=\"-0.5\" width=\"6\" height=\"6\" fill=\"hsl({hue},30%,94%)\"/>\
         <g fill=\"hsl({hue},55%,42%)\">{cells}</g></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn avatars_depend_on_the_normalised_email_and_the_secret() {
        assert_eq!(
            avatar_key(SECRET, " Ann@Example.com"),
            avatar_key(SECRET, "ann@example.com")
        );
        assert_ne!(
            avatar_key(SECRET, "ann@example.com"),
            avatar_key(SECRET, "bo@example.com")
        );
        assert_ne!(
            avatar_key(SECRET, "ann@example.com"),
            avatar_key("another secret of enough length!!", "ann@example.com")
        );
    }

    #[test]
    fn every_hash_draws_without_overflow() {
        for first in 0..=255u8 {
            let key = format!("{first:02x}{}", "ff".repeat(31));
            assert!(identicon_svg(&key, 48).contains("hsl("));
        }
    }

    #[test]
    fn identicons_are_symmetric_svg() {
        let svg = identicon_svg(&avatar_key(SECRET, "ann@example.com"), 48);
        assert!(svg.starts_with("<svg class=\"avatar\"") && svg.ends_with("</svg>"));
        assert!(!svg.contains("ann"));
    }
}
