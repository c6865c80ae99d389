//! `/category/slug/` and its older pages.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{html_page, load_summaries, moved_permanently, page_number, pagination_links};
use crate::error::PageError;
use crate::models::category::find_category_by_slug;
use crate::render::layout::{Layout, PostSummary};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "blog/category.html")]
struct CategoryPage {
    layout: Layout,
    name: String,
    description: String,
    posts: Vec<PostSummary>,
    older: Option<String>,
    newer: Option<String>,
}

pub async fn first_page(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&state, slug.into_inner(), 1).await
}

pub async fn older_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, page) = path.into_inner();
    match page_number(&page) {
        Some(1) => Ok(moved_permanently(&format!("/category/{slug}/"))),
        Some(page) => render(&state, slug, page).await,
        None => Err(PageError::NotFound),
    }
}

async fn render(state: &AppState, slug: String, page: i64) -> Result<HttpResponse, PageError> {
    let category = state
        .db(move |conn| find_category_by_slug(conn, &slug))
        .await?
        .ok_or(PageError::NotFound)?;
    let (posts, has_older) = load_summaries(state, Some(category.id), page).await?;
    if posts.is_empty() && page > 1 {
        return Err(PageError::NotFound);
    }
    let base = category.path();
    let (older, newer) = pagination_links(&base, page, has_older);
    let canonical = if page == 1 {
        base.clone()
    } else {
        format!("{base}page/{page}/")
    };
    let title = if page == 1 {
        category.name.clone()
    } else {
        format!("{} – Page {page}", category.name)
    };
    let layout = state
        .site()
        .layout(Some(&title))
        .with_canonical(state.config.absolute_url(&canonical))
        .with_feed(
            format!("{} » {} Category Feed", state.site().title, category.name),
            format!("{base}feed/"),
        );
    let page = CategoryPage {
        layout,
        name: category.name,
        description: category.description,
        posts,
        older,
        newer,
    };
    Ok(html_page(page.render().map_err(anyhow::Error::from)?))
}
