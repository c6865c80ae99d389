//! SPEC §3's moderation rules, as one pure function of the comment, the
//! site's rules and the author's history.

use crate::domain::CommentStatus;

/// Where a new comment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    Pending,
    Spam,
}

impl From<Verdict> for CommentStatus {
    fn from(verdict: Verdict) -> CommentStatus {
        match verdict {
            Verdict::Approved => CommentStatus::Approved,
            Verdict::Pending => CommentStatus::Pending,
            Verdict::Spam => CommentStatus::Spam,
        }
    }
}

/// Settings > Discussion, with WordPress's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationRules {
    /// "Comment must be manually approved".
    pub hold_all: bool,
    /// "Comment author must have a previously approved comment" (otherwise held).
    pub require_previously_approved: bool,
    /// "Hold a comment in the queue if it contains N or more links" (0 = never).
    pub link_limit: usize,
    /// One word or phrase per line; a match holds the comment.
    pub moderation_words: Vec<String>,
    /// One word or phrase per line; a match sends the comment to spam.
    pub disallowed_words: Vec<String>,
    /// A comment the trained spam filter scores at or above this (in
    /// thousandths) goes to spam; 1000: never.
    pub spam_threshold_permille: u32,
}

impl Default for ModerationRules {
    fn default() -> ModerationRules {
        ModerationRules {
            hold_all: true,
            require_previously_approved: true,
            link_limit: 2,
            moderation_words: Vec::new(),
            disallowed_words: Vec::new(),
            spam_threshold_permille: 990,
        }
    }
}

impl ModerationRules {
    /// Whether the trained filter's `score` sends a comment to spam.
    pub fn score_is_spam(&self, score: Option<f64>) -> bool {
        self.spam_threshold_permille < 1000
            && score.is_some_and(|score| score * 1000.0 >= f64::from(self.spam_threshold_permille))
    }
}

/// Splits a settings textarea into lower-cased words, one per line.
pub fn word_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.trim().to_lowercase())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The parts of a comment the rules look at.
#[derive(Debug, Clone, Default)]
pub struct CommentFacts<'a> {
    pub body: &'a str,
    pub author: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// The hidden honeypot field was filled in.
    pub honeypot_filled: bool,
    /// Sent sooner after the form was shown than a person can type.
    pub too_fast: bool,
    /// The spam filter's score, once it is trained (`None` before).
    pub spam_score: Option<f64>,
}

/// What we know about the author from earlier comments.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorHistory {
    pub has_approved_comment: bool,
}

/// Decides a new comment's status. Precedence: bot signals and disallowed
/// words send it to spam, beating everything; then a spam score at or above
/// the threshold (the filter never approves anything); then hold-all, the
/// link limit and moderation words hold it; then a known author is
/// approved, an unknown one held when the rule asks for a previously
/// approved comment.
pub fn decide(
    comment: &CommentFacts<'_>,
    rules: &ModerationRules,
    history: AuthorHistory,
) -> Verdict {
    if comment.honeypot_filled || comment.too_fast || contains_any(comment, &rules.disallowed_words)
    {
        return Verdict::Spam;
    }
    if rules.score_is_spam(comment.spam_score) {
        return Verdict::Spam;
    }
    if rules.hold_all {
        return Verdict::Pending;
    }
    if rules.link_limit > 0 && count_links(comment.body) >= rules.link_limit {
        return Verdict::Pending;
    }
    if contains_any(comment, &rules.moderation_words) {
        return Verdict::Pending;
    }
    if rules.require_previously_approved && !history.has_approved_comment {
        return Verdict::Pending;
    }
    Verdict::Approved
}

/// Whether any word appears in the text, name, email, URL, IP or browser.
fn contains_any(comment: &CommentFacts<'_>, words: &[String]) -> bool {
    if words.is_empty() {
        return false;
    }
    let fields = [
        comment.body,
        comment.author,
        comment.email,
        comment.url,
        comment.ip,
        comment.user_agent,
    ]
    .map(str::to_lowercase);
    words
        .iter()
        .any(|word| fields.iter().any(|field| field.contains(word.as_str())))
}

/// Links in a comment's text: URLs written out, and Markdown links.
pub fn count_links(body: &str) -> usize {
    let lower = body.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower.matches("www.").count()
        - lower.matches("://www.").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_rules() -> ModerationRules {
        ModerationRules {
            hold_all: false,
            require_previously_approved: false,
            ..ModerationRules::default()
        }
    }

    fn facts(body: &str) -> CommentFacts<'_> {
        CommentFacts {
            body,
            author: "Ann",
            email: "ann@example.com",
            url: "",
            ip: "127.0.0.1",
            user_agent: "Firefox",
            ..CommentFacts::default()
        }
    }

    const KNOWN: AuthorHistory = AuthorHistory {
        has_approved_comment: true,
    };
    const NEW: AuthorHistory = AuthorHistory {
        has_approved_comment: false,
    };

    #[test]
    fn by_default_every_comment_is_held_even_from_known_authors() {
        let rules = ModerationRules::default();
        assert_eq!(decide(&facts("Hello"), &rules, NEW), Verdict::Pending);
        assert_eq!(decide(&facts("Hello"), &rules, KNOWN), Verdict::Pending);
    }

    #[test]
    fn without_hold_all_known_authors_are_approved_and_new_ones_held() {
        let rules = ModerationRules {
            hold_all: false,
            ..ModerationRules::default()
        };
        assert_eq!(decide(&facts("Hello"), &rules, KNOWN), Verdict::Approved);
        assert_eq!(decide(&facts("Hello"), &rules, NEW), Verdict::Pending);
    }

    #[test]
    fn with_every_rule_off_comments_are_approved() {
        assert_eq!(
            decide(&facts("Hello"), &open_rules(), NEW),
            Verdict::Approved
        );
    }

    #[test]
    fn the_link_limit_holds_comments_with_that_many_links() {
        let rules = open_rules();
        assert_eq!(
            decide(&facts("see https://a.example"), &rules, KNOWN),
            Verdict::Approved
        );
        assert_eq!(
            decide(
                &facts("see https://a.example and http://b.example"),
                &rules,
                KNOWN
            ),
            Verdict::Pending
        );
        let no_limit = ModerationRules {
            link_limit: 0,
            ..open_rules()
        };
        assert_eq!(
            decide(
                &facts("https://a.example http://b.example www.c.example"),
                &no_limit,
                KNOWN
            ),
            Verdict::Approved
        );
        assert_eq!(count_links("[x](https://www.a.example) www.b.example"), 2);
    }

    #[test]
    fn moderation_words_hold_wherever_they_appear() {
        let rules = ModerationRules {
            moderation_words: word_list("casino\n  Cheap Pills \n"),
            ..open_rules()
        };
        assert_eq!(
            decide(&facts("Visit my CASINO"), &rules, KNOWN),
            Verdict::Pending
        );
        assert_eq!(
            decide(&facts("cheap pills here"), &rules, KNOWN),
            Verdict::Pending
        );
        let in_name = CommentFacts {
            author: "Casino Bob",
            ..facts("hi")
        };
        assert_eq!(decide(&in_name, &rules, KNOWN), Verdict::Pending);
        let in_agent = CommentFacts {
            user_agent: "casino-bot/1.0",
            ..facts("hi")
        };
        assert_eq!(decide(&in_agent, &rules, KNOWN), Verdict::Pending);
        assert_eq!(
            decide(&facts("a fine comment"), &rules, KNOWN),
            Verdict::Approved
        );
    }

    #[test]
    fn disallowed_words_send_to_spam_beating_every_other_rule() {
        let rules = ModerationRules {
            disallowed_words: word_list("viagra\n203.0.113."),
            moderation_words: word_list("viagra"),
            ..ModerationRules::default()
        };
        assert_eq!(decide(&facts("buy Viagra"), &rules, KNOWN), Verdict::Spam);
        let from_ip = CommentFacts {
            ip: "203.0.113.9",
            ..facts("hello")
        };
        assert_eq!(decide(&from_ip, &rules, KNOWN), Verdict::Spam);
        let in_email = CommentFacts {
            email: "viagra@spam.example",
            ..facts("hello")
        };
        assert_eq!(decide(&in_email, &rules, KNOWN), Verdict::Spam);
    }

    #[test]
    fn bot_signals_are_spam() {
        let honeypot = CommentFacts {
            honeypot_filled: true,
            ..facts("hello")
        };
        assert_eq!(decide(&honeypot, &open_rules(), KNOWN), Verdict::Spam);
        let fast = CommentFacts {
            too_fast: true,
            ..facts("hello")
        };
        assert_eq!(decide(&fast, &open_rules(), KNOWN), Verdict::Spam);
    }

    #[test]
    fn empty_word_lines_never_match() {
        assert!(word_list("\n  \n").is_empty());
    }

    #[test]
    fn a_trained_filter_sends_high_scores_to_spam_and_approves_nothing() {
        let rules = open_rules();
        let scored = |score| CommentFacts {
            spam_score: Some(score),
            ..facts("Hello")
        };
        assert_eq!(decide(&scored(0.995), &rules, KNOWN), Verdict::Spam);
        assert_eq!(
            decide(&scored(0.99), &rules, KNOWN),
            Verdict::Spam,
            "at the threshold"
        );
        assert_eq!(
            decide(&scored(0.98), &rules, KNOWN),
            Verdict::Approved,
            "the other rules decide"
        );
        assert_eq!(
            decide(&scored(0.0), &ModerationRules::default(), KNOWN),
            Verdict::Pending,
            "a low score approves nothing"
        );
        // It beats the hold rules (spam it knows never reaches the queue)...
        assert_eq!(
            decide(&scored(0.999), &ModerationRules::default(), NEW),
            Verdict::Spam
        );
        // ...but not the ones that already send to spam, and 1.000 turns it off.
        let never = ModerationRules {
            spam_threshold_permille: 1000,
            ..open_rules()
        };
        assert_eq!(decide(&scored(1.0), &never, KNOWN), Verdict::Approved);
        // Untrained: no score, no effect.
        assert_eq!(decide(&facts("Hello"), &rules, KNOWN), Verdict::Approved);
    }
}
