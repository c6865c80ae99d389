//! The front page and its older pages: `/`, `/page/N/`, and WordPress's `/?p=ID`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{html_page, load_summaries, moved_permanently, page_number, pagination_links};
use crate::error::PageError;
use crate::models::post::find_public_post_by_id;
use crate::models::post::find_redirect_target;
use crate::render::layout::{Layout, PostSummary};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "blog/home.html")]
struct HomePage {
    layout: Layout,
    posts: Vec<PostSummary>,
    page_number: i64,
    older: Option<String>,
    newer: Option<String>,
}

#[derive(Deserialize)]
struct FrontQuery {
    p: Option<String>,
    /// WordPress's search parameter.
    s: Option<String>,
    page_id: Option<String>,
    /// WordPress's plain links to archives: a category id, a tag slug, a
    /// month (`202303`) or a day (`20230305`), an attachment.
    cat: Option<String>,
    tag: Option<String>,
    author: Option<String>,
    m: Option<String>,
    attachment_id: Option<String>,
    tag_id: Option<String>,
}

pub async fn front_page(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if let Ok(query) = web::Query::<FrontQuery>::from_query(request.query_string()) {
        if let Some(answer) = old_query_address(&state, &query).await? {
            return Ok(answer);
        }
    }
    render(&state, 1).await
}

/// WordPress's plain addresses on `/`: `?p=`, `?page_id=`, `?cat=`,
/// `?tag=`, `?m=`, `?attachment_id=`, `?s=` — each a `301` to where that
/// lives now (`404` when nothing does); `None` for none of them.
async fn old_query_address(
    state: &AppState,
    query: &FrontQuery,
) -> Result<Option<HttpResponse>, PageError> {
    let number = |value: &Option<String>| {
        value
            .as_deref()
            .and_then(|id| id.trim().parse::<i64>().ok())
    };
    // WordPress answers each of these with whatever its id names — a
    // post, a page or an attachment — whatever the parameter says.
    if let Some(id) = query
        .p
        .clone()
        .or_else(|| query.page_id.clone())
        .or_else(|| query.attachment_id.clone())
    {
        return old_post_link(state, &id).await.map(Some);
    }
    let location = if let Some(id) = number(&query.cat) {
        state
            .db(move |conn| crate::models::category::find_category_by_wp_id(conn, id))
            .await?
            .map(|category| category.path(&state.site().bases))
    } else if let Some(id) = number(&query.author) {
        state
            .db(move |conn| crate::models::user::author_slug_by_wp_id(conn, id))
            .await?
            .map(|slug| format!("/author/{slug}/"))
    } else if let Some(id) = number(&query.tag_id) {
        state
            .db(move |conn| crate::models::tag::find_tag_by_wp_id(conn, id))
            .await?
            .map(|tag| tag.path(&state.site().bases))
    } else if let Some(slug) = &query.tag {
        let slug = crate::domain::slug::percent_decode(slug.trim());
        state
            .db(move |conn| crate::models::tag::find_tag_by_slug(conn, &slug))
            .await?
            .map(|tag| tag.path(&state.site().bases))
    } else if let Some(date) = query.m.as_deref().map(str::trim) {
        let digits = date.bytes().all(|byte| byte.is_ascii_digit());
        match (digits, date.len()) {
            (true, 4) => Some(format!("/{date}/")),
            (true, 6) => Some(format!("/{}/{}/", &date[..4], &date[4..6])),
            (true, 8) => Some(format!("/{}/{}/{}/", &date[..4], &date[4..6], &date[6..8])),
            _ => None,
        }
    } else if let Some(words) = &query.s {
        Some(format!("/search?q={}", crate::error::percent_encode(words)))
    } else {
        return Ok(None);
    };
    let location = location.ok_or(PageError::NotFound)?;
    Ok(Some(moved_permanently(&location)))
}

pub async fn older_page(
    state: web::Data<AppState>,
    page: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    match page_number(&page) {
        Some(1) => Ok(moved_permanently("/")),
        Some(page) => render(&state, page).await,
        None => Err(PageError::NotFound),
    }
}

async fn render(state: &AppState, page: i64) -> Result<HttpResponse, PageError> {
    let (mut posts, has_older) =
        load_summaries(state, crate::models::post::PostFilter::All, page).await?;
    if page == 1 {
        // Sticky posts first, as WordPress shows them, and only there.
        let clock = (state.site().clock.clone(), state.site().bases.clone());
        let sticky = state
            .db(move |conn| {
                let sticky = crate::models::post::sticky_posts(conn)?;
                super::summaries(conn, sticky, &clock)
            })
            .await?;
        posts.retain(|post| !sticky.iter().any(|first| first.id == post.id));
        posts.splice(0..0, sticky);
    }
    if posts.is_empty() && page > 1 {
        return Err(PageError::NotFound);
    }
    let (older, newer) = pagination_links("/", page, has_older);
    let site = state.site();
    let layout = if page == 1 {
        site.layout(None)
            .with_canonical(state.config.absolute_url("/"))
    } else {
        let path = format!("/page/{page}/");
        let mut layout = site
            .layout(Some(&format!("Page {page}")))
            .with_canonical(state.config.absolute_url(&path));
        layout.is_front = true;
        layout
    };
    let shows = super::listing(&posts);
    let page = HomePage {
        layout,
        posts,
        page_number: page,
        older,
        newer,
    };
    Ok(html_page(
        page.render().map_err(anyhow::Error::from)?,
        shows,
    ))
}

/// `/?p=ID`: what WordPress answered for that id — an imported post, a
/// page (WordPress takes a page's id there too), an attachment (its file)
/// — never another object. Our own ids answer only on a site that holds
/// no imported post, where no WordPress id can be meant.
async fn old_post_link(state: &AppState, id: &str) -> Result<HttpResponse, PageError> {
    let id: i64 = id.trim().parse().map_err(|_| PageError::NotFound)?;
    let location = state
        .db(move |conn| {
            for old_path in [format!("/?p={id}"), format!("/?page_id={id}")] {
                if let Some(post) = find_redirect_target(conn, &old_path)? {
                    return Ok(Some(post.permalink()));
                }
            }
            if let Some(media) = crate::models::media::find_media_by_wp_id(conn, id)? {
                return Ok(Some(media.url()));
            }
            if crate::models::post::has_imported_posts(conn)? {
                return Ok(None);
            }
            Ok(find_public_post_by_id(conn, id)?.map(|post| post.permalink()))
        })
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(moved_permanently(&location))
}
