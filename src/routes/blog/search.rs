//! `/search?q=…`: published posts matching the words, best first.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{html_page, summaries};
use crate::error::{percent_encode, PageError};
use crate::models::post::public_posts_by_ids;
use crate::models::search::search_published;
use crate::render::layout::{Layout, PostSummary};
use crate::state::AppState;

/// Longest query taken; the rest is ignored.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Template)]
#[template(path = "blog/search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    posts: Vec<PostSummary>,
    /// "3 results", said above the list.
    found: String,
    older: Option<String>,
    newer: Option<String>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<i64>,
}

pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let typed: String = query
        .q
        .clone()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let page = query.page.unwrap_or(1).clamp(1, 1000);
    let per_page = state.site().posts_per_page;
    let lookup = typed.clone();
    let clock = (state.site().clock.clone(), state.site().bases.clone());
    // Only a search the page cache does not hold gets here; searches take
    // turns of their own (`routes::cache::render_turns` lets them by).
    let _turn = crate::state::take_turn(&state.searches).await?;
    let (posts, has_more, total) = state
        .db(move |conn| {
            let found = search_published(conn, &lookup, page, per_page)?;
            let posts = public_posts_by_ids(conn, &found.ids)?;
            Ok((summaries(conn, posts, &clock)?, found.has_more, found.total))
        })
        .await?;
    let base = format!("/search?q={}", percent_encode(&typed));
    let older = has_more.then(|| format!("{base}&page={}", page + 1));
    let newer = (page > 1).then(|| {
        if page == 2 {
            base.clone()
        } else {
            format!("{base}&page={}", page - 1)
        }
    });
    let title = if typed.is_empty() {
        "Search".to_owned()
    } else {
        format!("Search Results for “{typed}”")
    };
    let mut layout = state.site().layout(Some(&title));
    layout.robots = Some("noindex");
    layout.search_query = typed.clone();
    let shows = super::listing(&posts);
    Ok(html_page(
        SearchPage {
            layout,
            query: typed,
            posts,
            found: match total {
                1 => "1 result".to_owned(),
                n => format!("{} results", crate::render::text::thousands(n)),
            },
            older,
            newer,
        }
        .render()
        .map_err(anyhow::Error::from)?,
        shows,
    ))
}
