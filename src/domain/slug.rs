//! URL slugs as WordPress makes them: lower case, ASCII letters and digits
//! joined by single hyphens, accents folded ("Café Crème" → "cafe-creme").

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
            if character.is_ascii_alphanumeric() {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.push(character.to_ascii_lowercase());
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
        assert_eq!(Slug::from_text("日本語"), Err(EmptySlug));
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
