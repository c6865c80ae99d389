//! Reader pages (SPEC §2): front page, permalinks, categories, robots.txt and
//! the themed 404 with its redirects.

pub mod address;
pub mod archive;
pub mod enter_password;
pub mod home;
pub mod not_found;
pub mod page;
pub mod post;
pub mod private;
pub mod protected;
pub mod robots;
pub mod search;
pub mod sitemap;

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::domain::slug::percent_encode_path;
use crate::error::PageError;
use diesel::QueryResult;

use crate::db::AnyConnection;
use crate::models::post::{published_page, with_categories, Post, PostFilter};
use crate::page_cache::Shows;
use crate::render::layout::PostSummary;
use crate::state::AppState;

/// The summaries a listing shows of `posts`, in their order.
fn summaries(
    conn: &mut AnyConnection,
    posts: Vec<Post>,
    (clock, bases): &(
        crate::render::clock::SiteClock,
        crate::domain::permalink::TermBases,
    ),
) -> QueryResult<Vec<PostSummary>> {
    let featured: Vec<i64> = posts
        .iter()
        .filter_map(|post| post.featured_media_id)
        .collect();
    let pictures = crate::models::media::media_by_ids(conn, &featured)?;
    Ok(with_categories(conn, posts)?
        .iter()
        .map(|(post, categories)| {
            let mut summary = post.summary(categories, clock, bases);
            summary.thumbnail = post
                .featured_media_id
                .and_then(|id| pictures.iter().find(|picture| picture.id == id))
                .and_then(|picture| picture.thumbnail());
            summary
        })
        .collect())
}

/// One page of post summaries, newest first, and whether an older page exists.
async fn load_summaries(
    state: &AppState,
    filter: PostFilter,
    page: i64,
) -> Result<(Vec<PostSummary>, bool), PageError> {
    let per_page = state.site().posts_per_page;
    let clock = (state.site().clock.clone(), state.site().bases.clone());
    state
        .db(move |conn| {
            let (posts, has_older) = published_page(conn, filter, page, per_page)?;
            Ok((summaries(conn, posts, &clock)?, has_older))
        })
        .await
}

/// Older/newer links for page `page` of a listing rooted at `base` ("/" or
/// "/category/x/"); page 1 is the base itself, never `/page/1/`.
fn pagination_links(base: &str, page: i64, has_older: bool) -> (Option<String>, Option<String>) {
    let older = has_older.then(|| format!("{base}page/{}/", page + 1));
    let newer = match page {
        ..=1 => None,
        2 => Some(base.to_owned()),
        _ => Some(format!("{base}page/{}/", page - 1)),
    };
    (older, newer)
}

/// A `301` to `location`, the canonical form of what was asked for.
pub fn moved_permanently(location: &str) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, percent_encode_path(location)))
        .finish()
}

/// An HTML page that readers may cache briefly, showing the comments (or
/// comment counts) of the posts in `shows`.
fn html_page(body: String, shows: Shows) -> HttpResponse {
    html_answer(actix_web::http::StatusCode::OK, false, body, shows)
}

/// An HTML answer with `status`: one reader's alone (`personal`: never
/// stored by the page cache or a shared cache) or for everyone, briefly.
pub fn html_answer(
    status: actix_web::http::StatusCode,
    personal: bool,
    body: String,
    shows: Shows,
) -> HttpResponse {
    let cache_control = if personal {
        "private, no-store"
    } else {
        "public, max-age=0, must-revalidate"
    };
    shows.on(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache_control))
        .body(body))
}

/// What a listing shows of comments: its posts' counts.
fn listing(posts: &[PostSummary]) -> Shows {
    Shows(posts.iter().map(|post| post.id).collect())
}

/// A page number from the URL: `None` for 0 or one too large to mean anything.
fn page_number(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|page| (1..=1_000_000).contains(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links_never_point_at_page_one() {
        assert_eq!(
            pagination_links("/", 1, true),
            (Some("/page/2/".into()), None)
        );
        assert_eq!(pagination_links("/", 2, false), (None, Some("/".into())));
        assert_eq!(
            pagination_links("/category/neck/", 3, true),
            (
                Some("/category/neck/page/4/".into()),
                Some("/category/neck/page/2/".into())
            )
        );
    }

    #[test]
    fn page_numbers_are_positive_and_bounded() {
        assert_eq!(page_number("3"), Some(3));
        assert_eq!(page_number("0"), None);
        assert_eq!(page_number("99999999999999999999"), None);
    }
}
