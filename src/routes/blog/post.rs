//! The permalink page, `/YYYY/MM/DD/slug/`.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{html_page, moved_permanently};
use crate::error::PageError;
use crate::models::post::{categories_of_posts, find_public_post_by_slug, Post};
use crate::models::redirect::find_redirect_target;
use crate::models::user::display_name;
use crate::render::layout::{CategoryLink, Layout};
use crate::render::text::{human_date, iso_date};
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "blog/post.html")]
struct PostPage {
    layout: Layout,
    post: Post,
    permalink: String,
    date_human: String,
    date_iso: String,
    author: Option<String>,
    categories: Vec<CategoryLink>,
}

pub async fn permalink(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, month, day, slug) = path.into_inner();
    let requested = format!("/{year}/{month}/{day}/{slug}/");
    let lookup_path = requested.clone();
    let found = state
        .db(move |conn| {
            let Some(post) = find_public_post_by_slug(conn, &slug)? else {
                // A renamed slug or an imported WordPress URL.
                return Ok(
                    find_redirect_target(conn, &lookup_path)?.map(|post| (post, None, Vec::new()))
                );
            };
            let author = match post.author_id {
                Some(author_id) => display_name(conn, author_id)?,
                None => None,
            };
            let categories = categories_of_posts(conn, &[post.id])?
                .remove(&post.id)
                .unwrap_or_default();
            Ok(Some((post, author, categories)))
        })
        .await?;
    let (post, author, categories) = found.ok_or(PageError::NotFound)?;
    let permalink = post.permalink();
    if permalink != requested {
        // The date in the URL is not the post's (changed date, or a redirect).
        return Ok(moved_permanently(&permalink));
    }
    let layout = Layout::new(&state.site(), Some(&post.title))
        .with_canonical(state.config.absolute_url(&permalink));
    let page = PostPage {
        layout,
        date_human: human_date(post.published_at),
        date_iso: iso_date(post.published_at),
        permalink,
        author,
        categories: categories.iter().map(CategoryLink::from).collect(),
        post,
    };
    Ok(html_page(page.render().map_err(anyhow::Error::from)?))
}
