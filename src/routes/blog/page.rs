//! WordPress pages (`/about/`): a title and a body, outside the blog's flow.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::PageError;
use crate::models::post::{find_public_page_by_slug, Post};
use crate::render::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "blog/page.html")]
struct PageView {
    layout: Layout,
    page: Post,
}

pub async fn page(
    request: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    if slug.len() > 1024 {
        return super::not_found::fallback(request, state, web::Bytes::new()).await;
    }
    // `/about/feed/`: the page's comments feed, as WordPress has one.
    if let Some(page_slug) = slug.strip_suffix("/feed") {
        let page_slug = page_slug.to_owned();
        if let Some(page) = state
            .db(move |conn| find_public_page_by_slug(conn, &page_slug))
            .await?
        {
            return crate::routes::feeds::comments_feed_of(&request, &state, page).await;
        }
    }
    let lookup = slug.clone();
    let page = match state
        .db(move |conn| find_public_page_by_slug(conn, &lookup))
        .await?
    {
        Some(page) => page,
        None => match super::private::private_post(
            &request,
            &state,
            crate::domain::PostType::Page,
            slug.clone(),
            format!("/{slug}/"),
        )
        .await?
        {
            Some(page) => page,
            // Not a page: a post at its structure's address, or below it;
            // perhaps an old address that moved.
            None => {
                let path = format!("/{slug}/");
                if let Some(answer) = super::address::post_at(&request, &state, &path).await? {
                    return Ok(answer);
                }
                return super::not_found::fallback(request, state, web::Bytes::new()).await;
            }
        },
    };
    if !super::protected::unlocked(&request, &state.secret_key, &page) {
        return super::protected::locked_page(&state, &page, None, actix_web::http::StatusCode::OK);
    }
    show_page(&state, page)
}

/// A page, at its address (`/about/`, or `/about/directions/` for a child
/// page); a protected or private one is its reader's alone.
pub fn show_page(state: &AppState, mut page: Post) -> Result<HttpResponse, PageError> {
    let path = page.permalink();
    let personal = page.is_protected() || page.status == crate::domain::PostStatus::Private;
    page.title = page.shown_title();
    let layout = state
        .site()
        .layout(Some(&page.title))
        .with_canonical(state.config.absolute_url(&path));
    let shows = crate::page_cache::Shows(vec![page.id]);
    let body = PageView { layout, page }
        .render()
        .map_err(anyhow::Error::from)?;
    Ok(super::html_answer(
        actix_web::http::StatusCode::OK,
        personal,
        body,
        shows,
    ))
}
