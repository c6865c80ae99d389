//! URL slugs as WordPress makes them: lower case letters and digits joined
//! by single hyphens, Latin accents folded ("Café Crème" → "cafe-creme"),
//! other scripts kept as they are ("睡眠と痛み"); in a URL they travel
//! percent-encoded, as WordPress writes them.

use std::fmt;

/// A non-empty slug, safe to put in a URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a slug needs at least one letter or digit")]
pub struct EmptySlug;

/// The longest slug we make; WordPress allows 200 bytes.
const MAX_SLUG_LENGTH: usize = 200;

impl Slug {
    /// Derives a slug from any text (a title, or a slug typed by hand).
    pub fn from_text(text: &str) -> Result<Slug, EmptySlug> {
        let mut slug = String::with_capacity(text.len());
        let mut pending_hyphen = false;
        for character in text.chars().flat_map(fold_accent) {
            if character.is_alphanumeric() {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.extend(character.to_lowercase());
            } else if character != '\'' && character != '’' {
                // Apostrophes vanish ("don't" → "dont"), everything else separates.
                pending_hyphen = true;
            }
            if slug.len() >= MAX_SLUG_LENGTH {
                break;
            }
        }
        let slug = slug.trim_end_matches('-').to_owned();
        if slug.is_empty() {
            return Err(EmptySlug);
        }
        Ok(Slug(slug))
    }

    /// A slug as WordPress stores it (`post_name`, a term's `slug`): non-ASCII
    /// letters percent-encoded (`%e7%9d%a1…`), decoded here to the letters.
    pub fn from_wordpress(stored: &str) -> Result<Slug, EmptySlug> {
        Slug::from_text(&percent_decode(stored))
    }

    /// The slug used when a title has no letters or digits at all ("???").
    pub fn fallback(word: &'static str) -> Slug {
        Slug::from_text(word).unwrap_or_else(|_| Slug("untitled".to_owned()))
    }

    /// The slug with a numeric suffix, for clashes: `hello` → `hello-2`.
    pub fn with_suffix(&self, number: u32) -> Slug {
        Slug(format!("{}-{number}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `%xx` escapes decoded (either case); a broken escape or invalid UTF-8
/// stays as it was.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| text.to_owned())
}

/// A path (and query) with every byte that may not appear in a URI —
/// non-ASCII letters, spaces, controls, quotes and angle brackets —
/// percent-encoded in lower case, as WordPress writes links; what is already
/// an escape, and the URI's own punctuation, stay. Safe for `Location`
/// headers, sitemaps and feeds.
pub fn percent_encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02x}"));
        }
    }
    encoded
}

/// Folds the Latin accented letters WordPress's `remove_accents` covers most
/// often; other scripts become separators.
fn fold_accent(character: char) -> impl Iterator<Item = char> {
    let folded: &str = match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        _ => "",
    };
    let mut buffer = [character; 2];
    let count = if folded.is_empty() {
        1
    } else {
        for (slot, letter) in buffer.iter_mut().zip(folded.chars()) {
            *slot = letter;
        }
        folded.len()
    };
    buffer.into_iter().take(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(text: &str) -> String {
        Slug::from_text(text).unwrap().into_string()
    }

    #[test]
    fn titles_become_wordpress_style_slugs() {
        assert_eq!(
            slug("Failed Post-Cervical Laminectomy Fusion Pains -What can you do?"),
            "failed-post-cervical-laminectomy-fusion-pains-what-can-you-do"
        );
        assert_eq!(slug("  Hello,   World!  "), "hello-world");
        assert_eq!(slug("Don't stop"), "dont-stop");
        assert_eq!(slug("Café Crème & Straße"), "cafe-creme-strasse");
        assert_eq!(slug("already-a-slug"), "already-a-slug");
    }

    #[test]
    fn text_without_letters_has_no_slug() {
        assert_eq!(Slug::from_text("!!! ???"), Err(EmptySlug));
        assert_eq!(Slug::from_text("— · —"), Err(EmptySlug));
    }

    #[test]
    fn other_scripts_are_kept_as_wordpress_keeps_them() {
        assert_eq!(
            slug("Schmerz & Schlaf — 睡眠と痛み (a)"),
            "schmerz-schlaf-睡眠と痛み-a"
        );
        assert_eq!(slug("Ελληνικά Νέα"), "ελληνικά-νέα");
        let stored = "schmerz-schlaf-%e7%9d%a1%e7%9c%a0%e3%81%a8%e7%97%9b%e3%81%bf-a";
        assert_eq!(
            Slug::from_wordpress(stored).unwrap().as_str(),
            "schmerz-schlaf-睡眠と痛み-a"
        );
        assert_eq!(
            Slug::from_wordpress(&stored.to_uppercase())
                .unwrap()
                .as_str(),
            "schmerz-schlaf-睡眠と痛み-a"
        );
        assert_eq!(
            percent_encode_path("/2023/04/01/schmerz-schlaf-睡眠と痛み-a/"),
            "/2023/04/01/".to_owned() + stored + "/"
        );
        assert_eq!(percent_encode_path("/?s=a b&x=%41<"), "/?s=a%20b&x=%41%3c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%ff%fe"), "%ff%fe", "not UTF-8: left alone");
    }

    #[test]
    fn path_tricks_cannot_survive() {
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("a/b?c#d"), "a-b-c-d");
    }

    #[test]
    fn slugs_are_bounded_and_suffixable() {
        let long = "word ".repeat(100);
        assert!(slug(&long).len() <= MAX_SLUG_LENGTH + 5);
        assert_eq!(
            Slug::from_text("hello").unwrap().with_suffix(2).as_str(),
            "hello-2"
        );
    }
}
