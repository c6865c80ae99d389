//! A bound on how deep Markdown nests before it is parsed: a line of
//! `- - - - …` would otherwise open thousands of lists, at a cost that grows
//! faster than the text.

/// Lists and quotes nested deeper than this are text: a line of
/// `- - - - …` would otherwise open thousands of lists, at a cost that
/// grows faster than the text.
pub const MAX_NESTING: usize = 8;

/// `source` with every line's run of container markers (`>`, `-`, `*`,
/// `+`, `1.`, `1)`) cut at `max`: the marker after that is escaped, so the
/// rest of the line is text.
pub fn bound_nesting(source: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let mut bounded = String::new();
    let mut changed = false;
    for line in source.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let (mut at, mut markers) = (0, 0);
        let cut = loop {
            while at < bytes.len() && (bytes[at] == b' ' || bytes[at] == b'\t') {
                at += 1;
            }
            // Where the marker ends, and where a backslash makes it text.
            let marker = match bytes.get(at) {
                Some(b'>') => Some((at + 1, at)),
                Some(b'-' | b'*' | b'+') if matches!(bytes.get(at + 1), Some(b' ' | b'\t')) => {
                    Some((at + 1, at))
                }
                Some(b'0'..=b'9') => {
                    let digits = bytes[at..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    match (digits, bytes.get(at + digits), bytes.get(at + digits + 1)) {
                        (1..=9, Some(b'.' | b')'), Some(b' ' | b'\t')) => {
                            Some((at + digits + 1, at + digits))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match marker {
                Some((_, escape_at)) if markers == max => break Some(escape_at),
                Some((end, _)) => {
                    markers += 1;
                    at = end;
                }
                None => break None,
            }
        };
        match cut {
            Some(at) => {
                changed = true;
                bounded.push_str(&line[..at]);
                bounded.push('\\');
                bounded.push_str(&line[at..]);
            }
            None => bounded.push_str(line),
        }
    }
    if changed {
        std::borrow::Cow::Owned(bounded)
    } else {
        std::borrow::Cow::Borrowed(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_past_the_bound_become_text() {
        let deep = "- ".repeat(4990);
        let bounded = bound_nesting(&deep, MAX_NESTING);
        assert!(
            bounded.starts_with(&format!("{}\\- ", "- ".repeat(MAX_NESTING))),
            "{}",
            &bounded[..40]
        );
        // Ordinary nesting is untouched.
        assert_eq!(
            bound_nesting("> - a\n> - b\n", MAX_NESTING),
            "> - a\n> - b\n"
        );
        assert!(matches!(
            bound_nesting("text", MAX_NESTING),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
