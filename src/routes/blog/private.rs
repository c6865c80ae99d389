//! Private posts and pages (WordPress's "Visibility: Private"): `404` to
//! readers; to signed-in staff who may edit posts, the page titled
//! "Private: …", theirs alone (never the page cache's).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use crate::auth::roles::Area;
use crate::domain::{Permalink, PostType};
use crate::error::PageError;
use crate::models::post::{find_private_by_slug, Post};
use crate::routes::comments::view::CommentForm;
use crate::routes::staff::{Staff, SESSION_COOKIE};
use crate::state::AppState;

use super::post::{page_data, render_post_page, PostPageView};

/// Whether the request comes from staff who may read private posts.
async fn may_read_private(request: &HttpRequest) -> bool {
    if request.cookie(SESSION_COOKIE).is_none() {
        return false;
    }
    Staff::from_request(request, &mut Payload::None)
        .await
        .is_ok_and(|staff| staff.can(Area::Posts))
}

/// The private post at `permalink`, for staff; `404` for everyone else.
pub async fn show_private_post(
    request: &HttpRequest,
    state: &AppState,
    permalink: &Permalink,
) -> Result<HttpResponse, PageError> {
    if !may_read_private(request).await {
        return Err(PageError::NotFound);
    }
    let slug = permalink.slug.clone();
    let path = permalink.path();
    let paging = state.site().discussion.paging();
    let data = state
        .db(move |conn| {
            match find_private_by_slug(conn, PostType::Post, &slug)?
                .filter(|post| post.permalink() == path)
            {
                Some(post) => page_data(conn, post, &[], 1, paging).map(Some),
                None => Ok(None),
            }
        })
        .await?
        .ok_or(PageError::NotFound)?;
    let mut view = PostPageView::refusal(
        CommentForm::blank(false, None, &state.secret_key),
        StatusCode::OK,
    );
    view.noindex = true;
    let mut shown = data;
    shown.post.title = shown.post.shown_title();
    render_post_page(state, &shown, view)
}

/// The private page at `slug`, for staff; `None` for everyone else.
pub async fn private_page(
    request: &HttpRequest,
    state: &AppState,
    slug: String,
) -> Result<Option<Post>, PageError> {
    if !may_read_private(request).await {
        return Ok(None);
    }
    state
        .db(move |conn| find_private_by_slug(conn, PostType::Page, &slug))
        .await
}
