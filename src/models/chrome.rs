//! What every reader page shows around its content, as WordPress themes
//! do: the header menu of the site's pages, and the sidebar's widgets —
//! recent posts, categories with their counts, archives by month, recent
//! comments (the commenter's name on the post, never more). Read once per
//! change of the site's content, not per page (`AppState` keeps them with
//! the settings); what pages show of them is `render::layout::SiteChrome`.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::schema::{comments, posts};
use crate::db::AnyConnection;
use crate::domain::{CommentStatus, PostStatus, PostType};
use crate::models::comment::{approved_comment_paths, ApprovedPlace};
use crate::models::post::{Post, PostHead};
use crate::render::clock::MONTHS;
use crate::render::layout::{Link, RecentComment, SiteChrome};
use crate::render::thread::CommentPaging;

/// Items in each list (WordPress's default).
const LISTED: i64 = 5;
/// Pages in the header menu at most.
const MENU_PAGES: i64 = 20;

/// Everything but the recent comments, which change more often
/// (`recent_comments` reads them alone).
pub fn load(
    conn: &mut AnyConnection,
    at: i64,
    paging: CommentPaging,
    bases: &crate::domain::permalink::TermBases,
    timezone: chrono_tz::Tz,
) -> QueryResult<SiteChrome> {
    Ok(SiteChrome {
        menu: menu(conn)?,
        recent_posts: recent_posts(conn, at)?,
        categories: categories(conn, at, bases)?,
        archives: archives(conn, at, timezone)?,
        recent_comments: recent_comments(conn, at, paging)?,
    })
}

fn menu(conn: &mut AnyConnection) -> QueryResult<Vec<Link>> {
    let pages: Vec<(String, String)> = posts::table
        .filter(posts::post_type.eq(PostType::Page))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::parent_id.is_null())
        .filter(posts::in_menu.eq(true))
        .order((posts::menu_order.asc(), posts::title.asc()))
        .limit(MENU_PAGES)
        .select((posts::title, posts::slug))
        .load(conn)?;
    Ok(pages
        .into_iter()
        .map(|(title, slug)| Link {
            label: title,
            path: format!("/{slug}/"),
        })
        .collect())
}

fn recent_posts(conn: &mut AnyConnection, at: i64) -> QueryResult<Vec<Link>> {
    let latest: Vec<Post> = posts::table
        .filter(posts::post_type.eq(PostType::Post))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(at))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(LISTED)
        .select(Post::as_select())
        .load(conn)?;
    Ok(latest
        .iter()
        .map(|post| Link {
            label: if post.title.is_empty() {
                "(no title)".to_owned()
            } else {
                post.shown_title()
            },
            path: post.permalink(),
        })
        .collect())
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    posts: i64,
}

fn categories(
    conn: &mut AnyConnection,
    at: i64,
    bases: &crate::domain::permalink::TermBases,
) -> QueryResult<Vec<(Link, i64)>> {
    let statement = "SELECT categories.name AS label, categories.path AS key, count(*) AS posts \
         FROM categories JOIN post_categories ON post_categories.category_id = categories.id \
         JOIN posts ON posts.id = post_categories.post_id \
         WHERE posts.status = 'published' AND posts.post_type = 'post' AND posts.published_at <= {at} \
         GROUP BY categories.id, categories.name, categories.path ORDER BY categories.name";
    let rows: Vec<Counted> = match conn {
        AnyConnection::Sqlite(conn) => diesel::sql_query(statement.replace("{at}", "?"))
            .bind::<BigInt, _>(at)
            .load(conn)?,
        AnyConnection::Postgresql(conn) => diesel::sql_query(statement.replace("{at}", "$1"))
            .bind::<BigInt, _>(at)
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                Link {
                    label: row.label,
                    path: bases.category_path(&row.key),
                },
                row.posts,
            )
        })
        .collect())
}

/// Months with published posts, in the site's timezone (as the date
/// archives and dated addresses are). SQLite knows no timezones: there,
/// the zone's offset of today (a post within an hour of a month's turn
/// under the other half of daylight saving time may be counted in its
/// neighbour).
fn archives(
    conn: &mut AnyConnection,
    at: i64,
    timezone: chrono_tz::Tz,
) -> QueryResult<Vec<(Link, i64)>> {
    use chrono::{Offset, TimeZone};
    let rows: Vec<Counted> = match conn {
        AnyConnection::Sqlite(conn) => {
            let offset = timezone
                .offset_from_utc_datetime(
                    &chrono::DateTime::from_timestamp(at, 0)
                        .unwrap_or_default()
                        .naive_utc(),
                )
                .fix()
                .local_minus_utc();
            diesel::sql_query(
                "SELECT '' AS label, strftime('%Y/%m', published_at + ?, 'unixepoch') AS key, count(*) AS posts \
                 FROM posts WHERE status = 'published' AND post_type = 'post' AND published_at <= ? \
                 GROUP BY key ORDER BY key DESC",
            )
            .bind::<BigInt, _>(i64::from(offset))
            .bind::<BigInt, _>(at)
            .load(conn)?
        }
        AnyConnection::Postgresql(conn) => diesel::sql_query(
            "SELECT '' AS label, to_char(to_timestamp(published_at) AT TIME ZONE $1, 'YYYY/MM') AS key, count(*) AS posts \
             FROM posts WHERE status = 'published' AND post_type = 'post' AND published_at <= $2 \
             GROUP BY key ORDER BY key DESC",
        )
        .bind::<diesel::sql_types::Text, _>(timezone.name())
        .bind::<BigInt, _>(at)
        .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (year, month) = row.key.split_once('/')?;
            let month_name = MONTHS.get(month.parse::<usize>().ok()?.checked_sub(1)?)?;
            Some((
                Link {
                    label: format!("{month_name} {year}"),
                    path: format!("/{}/", row.key),
                },
                row.posts,
            ))
        })
        .collect())
}

/// The newest approved comments on public posts: who, on what, where.
pub fn recent_comments(
    conn: &mut AnyConnection,
    at: i64,
    paging: CommentPaging,
) -> QueryResult<Vec<RecentComment>> {
    recent_comments_after(conn, at, paging, &[], &[])
}

/// A comment the sidebar lists: as it was listed before, or to be placed
/// (its post, the post's permalink, its row).
enum Listed<'a> {
    Kept(RecentComment),
    ToPlace(&'a PostHead, String, (i64, String, i64, Option<i64>, i64)),
}

/// The same, after a change to the comments of the posts `changed` alone
/// (this runs after every published comment): what `shown`, the list read
/// before, says of a comment on any other post still holds — its post and
/// the page it is on did not move, and an edit of a post changes more than
/// its comments — so only the others are placed anew. Placing a comment
/// reads the threads after its own.
pub fn recent_comments_after(
    conn: &mut AnyConnection,
    at: i64,
    paging: CommentPaging,
    shown: &[RecentComment],
    changed: &[i64],
) -> QueryResult<Vec<RecentComment>> {
    let latest: Vec<(i64, String, i64, Option<i64>, i64)> = comments::table
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::comment_type.eq("comment"))
        .order((comments::created_at.desc(), comments::id.desc()))
        .limit(LISTED * 4)
        .select((
            comments::id,
            comments::author_name,
            comments::post_id,
            comments::parent_id,
            comments::created_at,
        ))
        .load(conn)?;
    if latest.is_empty() {
        return Ok(Vec::new());
    }
    let kept = |comment_id: i64, post_id: i64| {
        shown
            .iter()
            .find(|item| item.comment_id == comment_id && item.post_id == post_id)
            .filter(|_| !changed.contains(&post_id))
    };
    // The heads of the posts of the comments to place (the bodies are most
    // of a post's row).
    let mut post_ids: Vec<i64> = latest
        .iter()
        .filter(|row| kept(row.0, row.2).is_none())
        .map(|row| row.2)
        .collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let heads: std::collections::HashMap<i64, PostHead> = match post_ids.as_slice() {
        [] => std::collections::HashMap::new(),
        _ => posts::table
            .filter(posts::id.eq_any(&post_ids))
            .select(PostHead::as_select())
            .load(conn)?
            .into_iter()
            .map(|head: PostHead| (head.id, head))
            .collect(),
    };
    // Those kept as they were, and those to place: placed all at once.
    let mut listed: Vec<Listed> = Vec::new();
    for row in latest {
        if listed.len() as i64 == LISTED {
            break;
        }
        let (id, _, post_id, _, _) = row;
        if let Some(item) = kept(id, post_id) {
            listed.push(Listed::Kept(item.clone()));
            continue;
        }
        // A protected post's comments are for those who typed its password.
        if let Some(post) = heads
            .get(&post_id)
            .filter(|post| post.is_public(at) && !post.is_protected())
        {
            listed.push(Listed::ToPlace(post, post.permalink(), row));
        }
    }
    let places: Vec<ApprovedPlace> = listed
        .iter()
        .filter_map(|entry| match entry {
            Listed::Kept(_) => None,
            Listed::ToPlace(post, permalink, (id, _, post_id, parent_id, created_at)) => {
                Some(ApprovedPlace {
                    permalink,
                    post_id: *post_id,
                    comment_count: post.comment_count,
                    thread_count: post.thread_count,
                    comment_id: *id,
                    parent_id: *parent_id,
                    created_at: *created_at,
                })
            }
        })
        .collect();
    let mut paths = approved_comment_paths(conn, &places, paging)?.into_iter();
    let recent = listed
        .into_iter()
        .map(|entry| match entry {
            Listed::Kept(item) => item,
            Listed::ToPlace(post, _, (comment_id, author, post_id, _, _)) => RecentComment {
                comment_id,
                post_id,
                author: crate::render::text::public_name(&author).into_owned(),
                post_title: post.shown_title(),
                // One path per place, in order.
                path: paths.next().unwrap_or_default(),
            },
        })
        .collect();
    Ok(recent)
}
