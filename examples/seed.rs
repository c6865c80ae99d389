//! The benchmarks' big site (`bench/run`, `bench/soak`, `bench/faults`):
//! posts in categories, threaded approved comments, one post with hundreds
//! of comments, and a long moderation queue — written in bulk into the
//! database `DATABASE_URL` names. Prints the big post's permalink. Not part
//! of the product binary.
//!
//!     DATABASE_URL=sqlite://big.db cargo run --release --example seed -- --posts 10000

use anyhow::Context;
use clap::Parser;
use diesel::prelude::*;
use rand::{Rng, SeedableRng};

use ferropress::db::schema::{comments, post_categories, posts};
use ferropress::db::{self, AnyConnection};
use ferropress::models::category::create_category;
use ferropress::models::now;
use ferropress::models::search::index_post;
use ferropress::models::setting::{content_changed, keys, set_setting};
use ferropress::render::markdown::render_post_markdown;
use ferropress::render::text::plain_text;

/// A big site for the benchmarks.
#[derive(Debug, Parser)]
struct Seed {
    #[arg(long, default_value_t = 10_000)]
    posts: i64,
    /// Comments in all, approved and pending
    #[arg(long, default_value_t = 1_000_000)]
    comments: i64,
    /// How many of them wait in the moderation queue
    #[arg(long, default_value_t = 50_000)]
    pending: i64,
    /// Approved comments on the newest post (the one measured)
    #[arg(long, default_value_t = 500)]
    big_post_comments: i64,
}

const WORDS: &[&str] = &[
    "pain",
    "neck",
    "back",
    "lumbar",
    "cervical",
    "fusion",
    "stimulator",
    "epidural",
    "injection",
    "relief",
    "doctor",
    "patient",
    "treatment",
    "nerve",
    "spine",
    "disc",
    "therapy",
    "recovery",
    "surgery",
    "outcome",
];

fn words(rng: &mut impl Rng, count: usize) -> String {
    (0..count)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

type CommentRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    i64,
);

/// The commenter's address, as a site that has run ferropress all along
/// keeps it: anonymised once older than the default retention (otherwise
/// every `serve` of the seeded site starts by anonymising a pass of them,
/// a minute of disk-bound writes under whatever is being measured).
fn kept_address(created_at: i64, now: i64) -> (&'static str, bool) {
    let days = ferropress::models::retention::RetentionSettings::default().ip_days;
    if created_at < now - days * 86_400 {
        ("198.51.100.0", true)
    } else {
        ("198.51.100.7", false)
    }
}

fn insert_comments(conn: &mut AnyConnection, rows: &[CommentRow]) -> QueryResult<()> {
    let at = now();
    let values: Vec<_> = rows
        .iter()
        .map(
            |(id, post_id, parent_id, name, email, body, html, status, created_at)| {
                let (address, anonymised) = kept_address(*created_at, at);
                (
                    comments::id.eq(*id),
                    comments::post_id.eq(*post_id),
                    comments::parent_id.eq(*parent_id),
                    comments::author_name.eq(name),
                    comments::author_email.eq(email),
                    (
                        comments::author_ip.eq(address),
                        comments::ip_anonymised.eq(anonymised),
                    ),
                    comments::body_source.eq(body),
                    comments::body_html.eq(html),
                    comments::status.eq(status),
                    comments::created_at.eq(*created_at),
                    comments::updated_at.eq(*created_at),
                )
            },
        )
        .collect();
    match conn {
        AnyConnection::Postgresql(pg) => {
            for chunk in values.chunks(4_000) {
                diesel::insert_into(comments::table)
                    .values(chunk)
                    .execute(pg)?;
            }
        }
        AnyConnection::Sqlite(sqlite) => {
            // SQLite takes at most 32,766 parameters per statement.
            for chunk in values.chunks(2_500) {
                diesel::insert_into(comments::table)
                    .values(chunk)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let Seed {
        posts: post_count,
        comments: comment_count,
        pending,
        big_post_comments,
    } = Seed::parse();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://ferropress.db".to_owned());
    let url = db::DatabaseUrl::parse(&url)?;
    let pool = db::connect(&url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    db::run_migrations(&mut conn)?;
    let permalink = seed(
        &mut conn,
        post_count,
        comment_count,
        pending,
        big_post_comments,
    )
    .context("seeding failed")?;
    db::refresh_statistics(&mut conn)?;
    println!("{permalink}");
    Ok(())
}

/// Seeds the site; returns the permalink of the post with the big thread.
fn seed(
    conn: &mut AnyConnection,
    post_count: i64,
    comment_count: i64,
    pending: i64,
    big_post_comments: i64,
) -> QueryResult<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    conn.transaction(|conn| {
        let categories: Vec<i64> = ["Neck", "Back", "Lumbar", "Shoulder", "Knee", "Hip", "Headache", "Nerves", "Research", "News"]
            .iter()
            .map(|name| create_category(conn, name, None, &format!("Posts about {name}.")).map(|category| category.id))
            .collect::<QueryResult<_>>()?;
        let body = format!(
            "{}\n\n> {}\n\n- {}\n- {}\n\n{}",
            words(&mut rng, 120),
            words(&mut rng, 30),
            words(&mut rng, 12),
            words(&mut rng, 12),
            words(&mut rng, 150)
        );
        let body_html = render_post_markdown(&body);
        let text = plain_text(&body_html);
        let start = now() - post_count * 3_600 - 86_400;
        let mut post_ids = Vec::with_capacity(post_count as usize);
        for index in 0..post_count {
            let published_at = start + index * 3_600;
            let title = if index == post_count - 1 {
                "Failed Post-Cervical Laminectomy Fusion Pains -What can you do?".to_owned()
            } else {
                format!("{} {}", words(&mut rng, 5), index)
            };
            let slug = ferropress::domain::Slug::from_text(&title).map(|slug| slug.into_string()).unwrap_or_else(|_| format!("post-{index}"));
            let values = (
                posts::slug.eq(&slug),
                posts::title.eq(&title),
                posts::body_source.eq(&body),
                posts::body_html.eq(&body_html),
                posts::status.eq("published"),
                posts::published_at.eq(published_at),
                posts::created_at.eq(published_at),
                posts::updated_at.eq(published_at),
            );
            // `RETURNING` is typed per backend.
            let id: i64 = match conn {
                AnyConnection::Postgresql(pg) => diesel::insert_into(posts::table)
                    .values(values)
                    .returning(posts::id)
                    .get_result(pg)?,
                AnyConnection::Sqlite(sqlite) => diesel::insert_into(posts::table)
                    .values(values)
                    .returning(posts::id)
                    .get_result(sqlite)?,
            };
            let category = categories[index as usize % categories.len()];
            diesel::insert_into(post_categories::table)
                .values((post_categories::post_id.eq(id), post_categories::category_id.eq(category)))
                .execute(conn)?;
            index_post(conn, id, &title, &text)?;
            post_ids.push((id, published_at));
        }
        let first_id: i64 = comments::table.select(diesel::dsl::max(comments::id)).first::<Option<i64>>(conn)?.unwrap_or(0) + 1;
        let comment_text = words(&mut rng, 40);
        let comment_html = format!("<p>{comment_text}</p>");
        let mut batch: Vec<CommentRow> = Vec::with_capacity(20_000);
        let mut last_on_post: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        let big_post = post_ids.last().map(|(id, _)| *id).unwrap_or(0);
        for index in 0..comment_count {
            let id = first_id + index;
            let (post_id, published_at) = if index < big_post_comments {
                (big_post, post_ids.last().map(|(_, at)| *at).unwrap_or(0))
            } else {
                post_ids[rng.gen_range(0..post_ids.len())]
            };
            let status = if index >= big_post_comments && index < big_post_comments + pending { "pending" } else { "approved" };
            let parent = if status == "approved" && rng.gen_bool(0.3) { last_on_post.get(&post_id).copied() } else { None };
            if status == "approved" {
                last_on_post.insert(post_id, id);
            }
            batch.push((
                id,
                post_id,
                parent,
                format!("Reader {}", index % 10_000),
                format!("reader{}@readers.example", index % 10_000),
                comment_text.clone(),
                comment_html.clone(),
                status.to_owned(),
                published_at + 60 + index % 3_000,
            ));
            if batch.len() == batch.capacity() {
                insert_comments(conn, &batch)?;
                batch.clear();
            }
        }
        insert_comments(conn, &batch)?;
        if let AnyConnection::Postgresql(pg) = conn {
            diesel::sql_query("SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT MAX(id) FROM comments))").execute(pg)?;
        }
        ferropress::models::comment::recount_all_posts(conn)?;
        // The benchmark measures throughput, not the flood guard.
        set_setting(conn, keys::COMMENTS_PER_MINUTE, "0")?;
        content_changed(conn)?;
        let (slug, published_at): (String, i64) = posts::table.find(big_post).select((posts::slug, posts::published_at)).first(conn)?;
        Ok(ferropress::render::text::permalink_path(published_at, &slug))
    })
}
