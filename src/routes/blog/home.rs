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
    m: Option<String>,
    attachment_id: Option<String>,
}

pub async fn front_page(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let query = web::Query::<FrontQuery>::from_query(request.query_string()).ok();
    if let Some(query) = query {
        if let Some(id) = query.p.clone() {
            return old_post_link(&state, &id).await;
        }
        if let Some(id) = query.page_id.clone() {
            let id: i64 = id.trim().parse().map_err(|_| PageError::NotFound)?;
            let old_path = format!("/?page_id={id}");
            let page = state
                .db(move |conn| find_redirect_target(conn, &old_path))
                .await?
                .ok_or(PageError::NotFound)?;
            return Ok(moved_permanently(&page.permalink()));
        }
        if let Some(id) = query
            .cat
            .as_deref()
            .and_then(|id| id.trim().parse::<i64>().ok())
        {
            let category = state
                .db(move |conn| crate::models::category::find_category(conn, id))
                .await?
                .ok_or(PageError::NotFound)?;
            return Ok(moved_permanently(&category.path()));
        }
        if let Some(slug) = query.tag.clone() {
            let slug = crate::domain::slug::percent_decode(slug.trim());
            let tag = state
                .db(move |conn| crate::models::tag::find_tag_by_slug(conn, &slug))
                .await?
                .ok_or(PageError::NotFound)?;
            return Ok(moved_permanently(&tag.path()));
        }
        if let Some(date) = query.m.as_deref().map(str::trim) {
            let digits = date.len() >= 4 && date.bytes().all(|byte| byte.is_ascii_digit());
            let path = match (digits, date.len()) {
                (true, 4) => format!("/{date}/"),
                (true, 6) => format!("/{}/{}/", &date[..4], &date[4..6]),
                (true, 8) => format!("/{}/{}/{}/", &date[..4], &date[4..6], &date[6..8]),
                _ => return Err(PageError::NotFound),
            };
            return Ok(moved_permanently(&path));
        }
        if let Some(id) = query
            .attachment_id
            .as_deref()
            .and_then(|id| id.trim().parse::<i64>().ok())
        {
            let media = state
                .db(move |conn| crate::models::media::find_media_by_wp_id(conn, id))
                .await?
                .ok_or(PageError::NotFound)?;
            return Ok(moved_permanently(&media.url()));
        }
        if let Some(words) = query.s.clone() {
            return Ok(moved_permanently(&format!(
                "/search?q={}",
                crate::error::percent_encode(&words)
            )));
        }
    }
    render(&state, 1).await
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
    let (posts, has_older) =
        load_summaries(state, crate::models::post::PostFilter::All, page).await?;
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
    let page = HomePage {
        layout,
        posts,
        page_number: page,
        older,
        newer,
    };
    Ok(html_page(page.render().map_err(anyhow::Error::from)?))
}

/// `/?p=ID`: an imported WordPress id (recorded as a redirect) or our own id.
async fn old_post_link(state: &AppState, id: &str) -> Result<HttpResponse, PageError> {
    let id: i64 = id.trim().parse().map_err(|_| PageError::NotFound)?;
    let old_path = format!("/?p={id}");
    let post = state
        .db(move |conn| match find_redirect_target(conn, &old_path)? {
            Some(post) => Ok(Some(post)),
            None => find_public_post_by_id(conn, id),
        })
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(moved_permanently(&post.permalink()))
}
