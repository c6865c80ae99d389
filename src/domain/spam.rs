//! The spam filter's mathematics, pure: a comment as tokens, and the chance
//! it is spam given how often moderators have seen each token in spam and
//! in approved comments (Gary Robinson's per-token probabilities combined
//! in a naive-Bayes product, or Fisher's chi-squared method as SpamBayes
//! does: `Tuning`). The counts live in
//! the database (`models::spam`); `bench/spam` runs the same code over a
//! public corpus.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;

/// The filter's knobs; `Tuning::DEFAULT` is what the server uses (chosen by
/// `bench/spam` on the public corpus).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// How strongly a rarely seen token is believed to be neutral
    /// (Robinson's `s`).
    pub unknown_strength: f64,
    /// Tokens closer to neutral than this say nothing.
    pub minimum_strength: f64,
    /// At most this many of the strongest tokens decide.
    pub max_clues: usize,
    /// How the clues' probabilities are combined.
    pub combining: Combining,
}

/// Ways to combine per-token probabilities into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combining {
    /// Fisher's chi-squared method on both tails (SpamBayes): cautious,
    /// many comments land in the middle.
    Fisher,
    /// The naive-Bayes product `Πp / (Πp + Π(1−p))` (Graham): decisive.
    Product,
}

impl Tuning {
    /// On the SpamAssassin corpus (5-fold, bodies as comment text) the
    /// product caught 95.0% of spam at 0.99 with 0.41% of ham marked spam;
    /// Fisher's method, cautious, 79% with 0.02% (`bench/RESULTS.md`).
    pub const DEFAULT: Tuning = Tuning {
        unknown_strength: 0.45,
        minimum_strength: 0.1,
        max_clues: 300,
        combining: Combining::Product,
    };
}

const UNKNOWN_PROBABILITY: f64 = 0.5;
/// At most this many tokens are taken from one comment.
const MAX_TOKENS: usize = 3000;
/// Decisions of each kind before the filter is trusted to act alone.
pub const TRAINED_AFTER: i64 = 50;

/// What the filter looks at in a comment.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpamInput<'a> {
    pub body: &'a str,
    pub author: &'a str,
    pub url: &'a str,
    pub ip: &'a str,
}

/// A comment's distinct tokens: the words of its text; its name's words
/// (`name:`), its website's host (`url:`), the hosts it links to (`link:`),
/// the sender's network (`net:`, a /24 or /48), and a few shapes (`links:`,
/// `caps:`, `script:`, `length:`).
pub fn tokens(input: &SpamInput<'_>) -> Vec<String> {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[\p{L}\p{N}][\p{L}\p{N}'$!-]*").expect("valid pattern"));
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:https?://|www\.)([a-z0-9.-]+)").expect("valid pattern")
    });
    let mut found = BTreeSet::new();
    let body = input.body.to_lowercase();
    for word in WORD.find_iter(&body) {
        let word = word.as_str().trim_end_matches(['\'', '!', '-']);
        let length = word.chars().count();
        if (3..=24).contains(&length) {
            found.insert(word.to_owned());
        } else if length > 24 {
            // A long run says little by itself but its first letter and size.
            let first = word.chars().next().unwrap_or('?');
            found.insert(format!("skip:{first} {}", length / 10 * 10));
        }
        if found.len() >= MAX_TOKENS {
            break;
        }
    }
    for word in WORD.find_iter(&input.author.to_lowercase()) {
        found.insert(format!("name:{}", word.as_str()));
    }
    let links: Vec<String> = LINK
        .captures_iter(&body)
        .map(|link| link[1].trim_end_matches('.').to_owned())
        .collect();
    for host in &links {
        found.insert(format!("link:{host}"));
        if let Some(domain) = registered_domain(host) {
            found.insert(format!("link:{domain}"));
        }
    }
    found.insert(format!(
        "links:{}",
        match links.len() {
            0 => "0",
            1 => "1",
            2 => "2",
            _ => "3+",
        }
    ));
    let url_host = LINK
        .captures(&input.url.to_lowercase())
        .map(|url| url[1].to_owned());
    match url_host {
        Some(host) => {
            found.insert(format!("url:{host}"));
        }
        None => {
            found.insert("url:none".to_owned());
        }
    }
    if let Some(network) = network_of(input.ip) {
        found.insert(format!("net:{network}"));
    }
    let letters: Vec<char> = input.body.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 10 {
        let upper = letters.iter().filter(|c| c.is_uppercase()).count();
        let share = upper * 10 / letters.len();
        found.insert(format!("caps:{}", share.min(9)));
    }
    let scripts: BTreeSet<&str> = letters.iter().map(|c| script_of(*c)).collect();
    for script in &scripts {
        found.insert(format!("script:{script}"));
    }
    if scripts.len() > 1 {
        found.insert("script:mixed".to_owned());
    }
    let length = input.body.chars().count().max(1);
    found.insert(format!("length:{}", usize::BITS - length.leading_zeros()));
    found.into_iter().collect()
}

/// `mail.example.co.uk` → `example.co.uk`; `a.b.example.com` → `example.com`.
fn registered_domain(host: &str) -> Option<String> {
    let labels: Vec<&str> = host.split('.').filter(|label| !label.is_empty()).collect();
    if labels.len() < 3 {
        return None;
    }
    let two_part_suffix =
        labels[labels.len() - 2].len() <= 3 && labels[labels.len() - 1].len() == 2;
    let keep = if two_part_suffix { 3 } else { 2 };
    (labels.len() > keep).then(|| labels[labels.len() - keep..].join("."))
}

/// The sender's network: the /24 of an IPv4 address, the /48 of an IPv6 one.
fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}"))
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            Some(format!(
                "{:x}:{:x}:{:x}",
                segments[0], segments[1], segments[2]
            ))
        }
    }
}

/// The writing system of a letter, roughly.
fn script_of(c: char) -> &'static str {
    match c as u32 {
        0x0000..=0x024F | 0x1E00..=0x1EFF => "latin",
        0x0370..=0x03FF => "greek",
        0x0400..=0x052F => "cyrillic",
        0x0590..=0x05FF => "hebrew",
        0x0600..=0x06FF | 0x0750..=0x077F => "arabic",
        0x0900..=0x0DFF => "indic",
        0x0E00..=0x0E7F => "thai",
        0x3040..=0x30FF => "kana",
        0x1100..=0x11FF | 0xAC00..=0xD7AF => "hangul",
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => "han",
        _ => "other",
    }
}

/// How often a token was seen in comments moderators called spam, and in
/// comments they approved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    pub spam: i64,
    pub ham: i64,
}

/// The filter's verdict on one comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// 0 (like the approved comments) to 1 (like the spam).
    pub value: f64,
    /// The tokens that moved it most, strongest first, with their own
    /// probability of spam.
    pub clues: Vec<(String, f64)>,
}

impl Score {
    /// A short "Why?" line: the few tokens that moved the score most.
    pub fn why(&self, how_many: usize) -> String {
        self.clues
            .iter()
            .take(how_many)
            .map(|(token, probability)| {
                let leaning = if *probability >= 0.5 { "spam" } else { "ham" };
                format!("{token} ({leaning} {probability:.2})")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The chance a comment with `tokens` is spam, given `counts` of those
/// tokens and the number of spam and approved comments learnt from.
pub fn score(tokens: &[String], counts: &HashMap<String, Seen>, learnt: Seen) -> Score {
    score_with(Tuning::DEFAULT, tokens, counts, learnt)
}

/// As `score`, with other knobs (for measuring them).
pub fn score_with(
    tuning: Tuning,
    tokens: &[String],
    counts: &HashMap<String, Seen>,
    learnt: Seen,
) -> Score {
    let (spam_total, ham_total) = (learnt.spam.max(1) as f64, learnt.ham.max(1) as f64);
    let mut clues: Vec<(String, f64)> = tokens
        .iter()
        .filter_map(|token| {
            let seen = counts.get(token).copied().unwrap_or_default();
            let seen_in = (seen.spam + seen.ham) as f64;
            if seen_in == 0.0 {
                return None;
            }
            let spam_ratio = seen.spam as f64 / spam_total;
            let ham_ratio = seen.ham as f64 / ham_total;
            let raw = spam_ratio / (spam_ratio + ham_ratio);
            let probability = (tuning.unknown_strength * UNKNOWN_PROBABILITY + seen_in * raw)
                / (tuning.unknown_strength + seen_in);
            ((probability - 0.5).abs() >= tuning.minimum_strength)
                .then(|| (token.clone(), probability))
        })
        .collect();
    clues.sort_by(|a, b| {
        (b.1 - 0.5)
            .abs()
            .total_cmp(&(a.1 - 0.5).abs())
            .then_with(|| a.0.cmp(&b.0))
    });
    clues.truncate(tuning.max_clues);
    if clues.is_empty() {
        return Score { value: 0.5, clues };
    }
    let ln_ham: f64 = clues.iter().map(|(_, p)| p.ln()).sum();
    let ln_spam: f64 = clues.iter().map(|(_, p)| (1.0 - p).ln()).sum();
    let value = match tuning.combining {
        Combining::Fisher => {
            let degrees = 2 * clues.len();
            let spamminess = 1.0 - chi2_q(-2.0 * ln_spam, degrees);
            let hamminess = 1.0 - chi2_q(-2.0 * ln_ham, degrees);
            (spamminess - hamminess + 1.0) / 2.0
        }
        // Πp / (Πp + Π(1−p)) = 1 / (1 + e^(Σln(1−p) − Σln p)).
        Combining::Product => 1.0 / (1.0 + (ln_spam - ln_ham).exp()),
    }
    .clamp(0.0, 1.0);
    Score { value, clues }
}

/// The probability that a chi-squared variable with `degrees` (even)
/// degrees of freedom is at least `x2`.
fn chi2_q(x2: f64, degrees: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..degrees / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(body: &str) -> SpamInput<'_> {
        SpamInput {
            body,
            author: "Cheap Pills",
            url: "https://pills.example.net/buy",
            ip: "203.0.113.77",
        }
    }

    #[test]
    fn a_comment_becomes_its_distinct_tokens() {
        let tokens = tokens(&input(
            "BUY cheap pills at https://shop.pills.example.com/now — buy buy! Ok?",
        ));
        for expected in [
            "buy",
            "cheap",
            "pills",
            "name:cheap",
            "name:pills",
            "url:pills.example.net",
            "link:shop.pills.example.com",
            "link:example.com",
            "links:1",
            "net:203.0.113",
            "script:latin",
        ] {
            assert!(
                tokens.contains(&expected.to_owned()),
                "{expected} in {tokens:?}"
            );
        }
        assert!(
            !tokens.contains(&"ok".to_owned()),
            "two letters say nothing"
        );
        assert_eq!(
            tokens.iter().filter(|token| *token == "buy").count(),
            1,
            "each once"
        );
    }

    #[test]
    fn shapes_are_tokens_too() {
        let shouting = tokens(&input("THIS IS AN AMAZING OFFER FOR YOU"));
        assert!(shouting.contains(&"caps:9".to_owned()), "{shouting:?}");
        let mixed = tokens(&input("Привет friend, лучшие цены"));
        assert!(mixed.contains(&"script:cyrillic".to_owned()));
        assert!(mixed.contains(&"script:mixed".to_owned()));
        let v6 = tokens(&SpamInput {
            ip: "2001:db8:85a3::8a2e:370:7334",
            ..SpamInput::default()
        });
        assert!(v6.contains(&"net:2001:db8:85a3".to_owned()), "{v6:?}");
        assert!(v6.contains(&"url:none".to_owned()));
    }

    #[test]
    fn an_unknown_comment_is_neutral() {
        let score = score(&tokens(&input("hello")), &HashMap::new(), Seen::default());
        assert_eq!(score.value, 0.5);
        assert!(score.clues.is_empty());
    }

    fn counts(pairs: &[(&str, i64, i64)]) -> HashMap<String, Seen> {
        pairs
            .iter()
            .map(|(token, spam, ham)| {
                (
                    token.to_string(),
                    Seen {
                        spam: *spam,
                        ham: *ham,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn tokens_seen_in_spam_make_spam_and_the_reverse() {
        let learnt = Seen { spam: 60, ham: 60 };
        let known = counts(&[
            ("casino", 58, 0),
            ("bonus", 50, 1),
            ("link:casino.example", 55, 0),
            ("thanks", 2, 40),
            ("article", 1, 35),
            ("posture", 0, 20),
        ]);
        let spammy: Vec<String> = ["casino", "bonus", "link:casino.example"]
            .map(String::from)
            .to_vec();
        let spam = score(&spammy, &known, learnt);
        assert!(spam.value > 0.99, "{spam:?}");
        assert_eq!(spam.clues[0].0, "casino", "the strongest first");
        assert_eq!(
            spam.why(2),
            "casino (spam 1.00), link:casino.example (spam 1.00)"
        );
        let hammy: Vec<String> = ["thanks", "article", "posture"].map(String::from).to_vec();
        let ham = score(&hammy, &known, learnt);
        assert!(ham.value < 0.01, "{ham:?}");
        // A friendly word among them leaves it leaning to spam, less sure.
        let mut mixed = spammy.clone();
        mixed.push("thanks".to_owned());
        let mixed = score(&mixed, &known, learnt);
        assert!(mixed.value > 0.5 && mixed.value < spam.value, "{mixed:?}");
        // One seen token pulls less than many.
        let weak = score(&["bonus".to_owned()], &counts(&[("bonus", 1, 0)]), learnt);
        assert!(weak.value > 0.5 && weak.value < 0.9, "{weak:?}");
    }

    #[test]
    fn chi_squared_tail_is_right() {
        // Known values: Q(2, 2) = e^-1, Q(0, 4) = 1.
        assert!((chi2_q(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        assert_eq!(chi2_q(0.0, 4), 1.0);
        assert!(chi2_q(100.0, 4) < 1e-15);
    }
}
