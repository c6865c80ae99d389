//! The load behind `bench/soak` and `bench/faults`: readers, commenters and
//! a moderator against a running `ferropress serve` on loopback, bounded in
//! time; every comment answered `303` is written down so that it can be
//! looked for in the database afterwards.
//!
//!     reliability soak   BASE POST_PATH SECONDS CONCURRENCY ADMIN_EMAIL ADMIN_PASSWORD PID IDS_FILE
//!     reliability burst  BASE POST_PATH SECONDS CONCURRENCY IDS_FILE
//!     reliability verify DATABASE_URL IDS_FILE
//!     reliability watch  BASE PATH SECONDS
//!
//! Only loopback addresses are accepted as BASE.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::Rng;

type Outcome = Result<(), String>;

/// Status counts and the ids of comments answered `303`.
#[derive(Default)]
struct Tally {
    statuses: Mutex<BTreeMap<String, u64>>,
    accepted: Mutex<Vec<i64>>,
    server_errors: AtomicU64,
}

impl Tally {
    fn count(&self, what: impl Into<String>) {
        let mut statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        *statuses.entry(what.into()).or_default() += 1;
    }

    fn status(&self, kind: &str, status: reqwest::StatusCode) {
        if status.is_server_error() && status != reqwest::StatusCode::SERVICE_UNAVAILABLE {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.count(format!("{kind} {}", status.as_u16()));
    }

    fn summary(&self) -> String {
        let statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        statuses
            .iter()
            .map(|(what, n)| format!("{what}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn loopback_only(base: &str) -> Outcome {
    let host = base
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    if host == "127.0.0.1" || host == "localhost" || host.starts_with("127.") {
        Ok(())
    } else {
        Err(format!("{base}: only loopback addresses are load-tested"))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .cookie_store(true)
        .build()
        .expect("client")
}

/// A field's value in a page (`name="fp_ts" value="…"`).
fn field_in(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Posts one comment; records its id when answered `303`.
async fn comment(client: &reqwest::Client, base: &str, path: &str, token: &str, tally: &Tally) {
    let n: u64 = rand::thread_rng().gen();
    let fields = [
        ("comment", format!("Soak comment {n:x}: thank you, doctor.")),
        ("author", format!("Reader {}", n % 1000)),
        ("email", format!("reader{}@example.org", n % 5000)),
        ("url", String::new()),
        ("parent", String::new()),
        ("fp_ts", token.to_owned()),
        ("fp_hp", String::new()),
    ];
    match client
        .post(format!("{base}{path}"))
        .form(&fields)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status();
            tally.status("comment", status);
            if status == reqwest::StatusCode::SEE_OTHER {
                let id = response
                    .headers()
                    .get("location")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|location| location.rsplit("#comment-").next())
                    .and_then(|id| id.parse::<i64>().ok());
                match id {
                    Some(id) => tally
                        .accepted
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(id),
                    None => tally.count("comment 303 without an id"),
                }
            }
        }
        Err(_) => tally.count("comment: no answer"),
    }
}

async fn read(client: &reqwest::Client, base: &str, path: &str, tally: &Tally) {
    match client.get(format!("{base}{path}")).send().await {
        Ok(response) => {
            tally.status("read", response.status());
            let _ = response.bytes().await;
        }
        Err(_) => tally.count("read: no answer"),
    }
}

/// The CSRF token in the form of the page at `url`.
async fn csrf_token_of(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let page = client
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    Ok(field_in(&page, "csrf_token"))
}

/// Logs the moderator in and opens comments to everyone's pace (no
/// per-address limit: all load comes from one address here).
async fn moderator(base: &str, email: &str, password: &str) -> Result<reqwest::Client, String> {
    let client = client();
    let token = csrf_token_of(&client, &format!("{base}/admin/login")).await?;
    let answer = client
        .post(format!("{base}/admin/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
            ("redirect_to", ""),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("login: {}", answer.status()));
    }
    let token = csrf_token_of(&client, &format!("{base}/admin/settings")).await?;
    let saved = client
        .post(format!("{base}/admin/settings"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("site_title", "Soak"),
            ("posts_per_page", "10"),
            ("hold_all", "1"),
            ("link_limit", "2"),
            ("close_after_days", "0"),
            ("thread_depth", "5"),
            ("comments_per_minute", "0"),
            ("notify_moderators", "1"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if saved.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("settings: {}", saved.status()));
    }
    Ok(client)
}

/// Approves (or spams) up to five pending comments from the queue.
async fn moderate(client: &reqwest::Client, base: &str, tally: &Tally) {
    let Ok(response) = client
        .get(format!("{base}/admin/comments?status=pending"))
        .send()
        .await
    else {
        tally.count("moderate: no answer");
        return;
    };
    tally.status("queue", response.status());
    let Ok(page) = response.text().await else {
        return;
    };
    let token = field_in(&page, "csrf_token");
    let ids: Vec<String> = page
        .split("name=\"c")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .take(5)
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return;
    }
    // RELIABILITY_APPROVE_PERCENT (default 80): the share approved; the
    // rest is marked spam (0 keeps the measured post's thread from growing).
    let approve_share = std::env::var("RELIABILITY_APPROVE_PERCENT")
        .ok()
        .and_then(|value| value.parse::<f64>().ok())
        .unwrap_or(80.0)
        .clamp(0.0, 100.0);
    let action = if rand::thread_rng().gen_bool(approve_share / 100.0) {
        "approve"
    } else {
        "spam"
    };
    let mut fields = vec![
        ("csrf_token".to_owned(), token),
        ("action".to_owned(), action.to_owned()),
    ];
    fields.extend(ids.iter().map(|id| (format!("c{id}"), "1".to_owned())));
    match client
        .post(format!("{base}/admin/comments/bulk"))
        .form(&fields)
        .send()
        .await
    {
        Ok(response) => tally.status("moderate", response.status()),
        Err(_) => tally.count("moderate: no answer"),
    }
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn write_ids(path: &str, tally: &Tally) -> Outcome {
    let ids = tally.accepted.lock().unwrap_or_else(|p| p.into_inner());
    let mut file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    for id in ids.iter() {
        writeln!(file, "{id}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Readers (80 %), commenters (15 %) and the moderator (5 %) for `seconds`.
async fn soak(args: &[String]) -> Outcome {
    let [base, path, seconds, concurrency, email, password, pid, ids_file] = args else {
        return Err(
            "soak BASE POST_PATH SECONDS CONCURRENCY ADMIN_EMAIL ADMIN_PASSWORD PID IDS_FILE"
                .into(),
        );
    };
    loopback_only(base)?;
    let seconds: u64 = seconds.parse().map_err(|_| "SECONDS")?;
    let concurrency: usize = concurrency.parse().map_err(|_| "CONCURRENCY")?;
    let pid: u32 = pid.parse().map_err(|_| "PID")?;
    let admin = Arc::new(moderator(base, email, password).await?);
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let rss_start = rss_mib(pid);
    // RSS once warm (a tenth of the way in), and at the end.
    let rss_warm = Arc::new(Mutex::new(0.0));
    {
        let rss_warm = rss_warm.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds.max(10) / 10)).await;
            *rss_warm.lock().unwrap_or_else(|p| p.into_inner()) = rss_mib(pid);
        });
    }
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (base, path, tally, admin) = (base.clone(), path.clone(), tally.clone(), admin.clone());
        workers.push(tokio::spawn(async move {
            let reader = client();
            let page = match reader.get(format!("{base}{path}")).send().await {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let token = field_in(&page, "fp_ts");
            let reads = [
                path.clone(),
                "/".to_owned(),
                "/feed/".to_owned(),
                "/comments/feed/".to_owned(),
                "/search?q=doctor".to_owned(),
                format!("{path}feed/"),
            ];
            let mut turn = 0usize;
            while Instant::now() < deadline {
                turn += 1;
                let roll = rand::thread_rng().gen_range(0..100);
                if roll < 80 {
                    read(
                        &reader,
                        &base,
                        &reads[(turn + worker) % reads.len()],
                        &tally,
                    )
                    .await;
                } else if roll < 95 {
                    comment(&reader, &base, &path, &token, &tally).await;
                } else {
                    moderate(&admin, &base, &tally).await;
                }
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let rss_end = rss_mib(pid);
    let warm = *rss_warm.lock().unwrap_or_else(|p| p.into_inner());
    write_ids(ids_file, &tally)?;
    let accepted = tally
        .accepted
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .len();
    let requests: u64 = tally
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .sum();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "requests\t{requests} in {elapsed:.0} s ({:.0}/s) at c={concurrency}",
        requests as f64 / elapsed
    );
    println!("statuses\t{}", tally.summary());
    println!("5xx\t{}", tally.server_errors.load(Ordering::Relaxed));
    println!("comments answered 303\t{accepted}");
    println!(
        "rss\t{rss_start:.1} MiB at start, {warm:.1} MiB warm, {rss_end:.1} MiB at the end ({:+.1} % since warm)",
        if warm > 0.0 { (rss_end - warm) / warm * 100.0 } else { 0.0 }
    );
    if tally.server_errors.load(Ordering::Relaxed) > 0 {
        return Err("a 5xx was answered".into());
    }
    Ok(())
}

/// Commenters only, as fast as they go, until `seconds` pass or the server
/// stops answering (it is being killed).
async fn burst(args: &[String]) -> Outcome {
    let [base, path, seconds, concurrency, ids_file] = args else {
        return Err("burst BASE POST_PATH SECONDS CONCURRENCY IDS_FILE".into());
    };
    loopback_only(base)?;
    let seconds: u64 = seconds.parse().map_err(|_| "SECONDS")?;
    let concurrency: usize = concurrency.parse().map_err(|_| "CONCURRENCY")?;
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (base, path, tally) = (base.clone(), path.clone(), tally.clone());
        workers.push(tokio::spawn(async move {
            let client = client();
            let page = match client.get(format!("{base}{path}")).send().await {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let token = field_in(&page, "fp_ts");
            while Instant::now() < deadline {
                comment(&client, &base, &path, &token, &tally).await;
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    write_ids(ids_file, &tally)?;
    println!("{}", tally.summary());
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Every id in IDS_FILE is a stored comment; the database is whole; no
/// comment has two moderation mails to one recipient.
fn verify(args: &[String]) -> Outcome {
    let [database_url, ids_file] = args else {
        return Err("verify DATABASE_URL IDS_FILE".into());
    };
    let ids: Vec<i64> = std::fs::read_to_string(ids_file)
        .map_err(|e| format!("{ids_file}: {e}"))?
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    let url = ferropress::db::DatabaseUrl::parse(database_url).map_err(|e| e.to_string())?;
    let pool = ferropress::db::connect(&url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let mut missing: Vec<i64> = Vec::new();
    for chunk in ids.chunks(500) {
        use ferropress::db::schema::comments;
        let found: Vec<i64> = comments::table
            .filter(comments::id.eq_any(chunk))
            .select(comments::id)
            .load(&mut *conn)
            .map_err(|e| e.to_string())?;
        missing.extend(chunk.iter().filter(|id| !found.contains(id)));
    }
    let duplicate_mail =
        "SELECT COUNT(*) AS n FROM (SELECT subject, recipient, body_text FROM outbox \
         GROUP BY subject, recipient, body_text HAVING COUNT(*) > 1) AS twice";
    let twice: Count = match &mut *conn {
        ferropress::db::AnyConnection::Sqlite(sqlite) => {
            diesel::sql_query(duplicate_mail).get_result(sqlite)
        }
        ferropress::db::AnyConnection::Postgresql(pg) => {
            diesel::sql_query(duplicate_mail).get_result(pg)
        }
    }
    .map_err(|e| e.to_string())?;
    let integrity = match &mut *conn {
        ferropress::db::AnyConnection::Sqlite(sqlite) => {
            diesel::sql_query("PRAGMA integrity_check")
                .get_result::<Check>(sqlite)
                .map(|check| check.integrity_check)
                .map_err(|e| e.to_string())?
        }
        ferropress::db::AnyConnection::Postgresql(_) => "n/a (PostgreSQL)".to_owned(),
    };
    println!(
        "{} comments answered 303, {} missing; integrity_check: {integrity}; mails queued twice: {}",
        ids.len(),
        missing.len(),
        twice.n
    );
    if !missing.is_empty() || twice.n > 0 || !(integrity == "ok" || integrity.starts_with("n/a")) {
        return Err(format!("missing: {missing:?}"));
    }
    Ok(())
}

/// GETs PATH for SECONDS and prints each second's statuses.
async fn watch(args: &[String]) -> Outcome {
    let [base, path, seconds] = args else {
        return Err("watch BASE PATH SECONDS".into());
    };
    loopback_only(base)?;
    let seconds: u64 = seconds.parse().map_err(|_| "SECONDS")?;
    let client = client();
    let started = Instant::now();
    let mut second = 0;
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(seconds) {
        let asked = Instant::now();
        let status = match client.get(format!("{base}{path}")).send().await {
            Ok(response) => response.status().as_u16().to_string(),
            Err(_) => "no answer".to_owned(),
        };
        slowest = slowest.max(asked.elapsed());
        *tally.entry(status).or_default() += 1;
        if started.elapsed().as_secs() > second {
            let line: Vec<String> = tally.iter().map(|(s, n)| format!("{s}×{n}")).collect();
            println!(
                "t={second:>3}s {} (slowest {:.0} ms)",
                line.join(" "),
                slowest.as_secs_f64() * 1000.0
            );
            tally.clear();
            slowest = Duration::ZERO;
            second = started.elapsed().as_secs();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("soak") => soak(&args[1..]).await,
        Some("burst") => burst(&args[1..]).await,
        Some("verify") => verify(&args[1..]),
        Some("watch") => watch(&args[1..]).await,
        _ => Err("reliability soak|burst|verify|watch …".to_owned()),
    };
    if let Err(error) = outcome {
        eprintln!("reliability: {error}");
        std::process::exit(1);
    }
}
