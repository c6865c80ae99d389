//! Private posts and pages (WordPress's "Visibility: Private"): `404` to
//! readers; to signed-in staff who may edit posts, the page titled
//! "Private: …", theirs alone (never the page cache's).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::roles::Area;
use crate::domain::PostType;
use crate::error::PageError;
use crate::models::post::{find_private_by_slug, Post};
use crate::routes::staff::{Staff, SESSION_COOKIE};
use crate::state::AppState;

/// Whether the request comes from staff who may read private posts.
async fn may_read_private(request: &HttpRequest) -> bool {
    if request.cookie(SESSION_COOKIE).is_none() {
        return false;
    }
    Staff::from_request(request, &mut Payload::None)
        .await
        .is_ok_and(|staff| staff.can(Area::Posts))
}

/// The private post or page (`post_type`) at `path` with this slug, when
/// the request comes from staff who may read it; `None` for everyone else.
pub async fn private_post(
    request: &HttpRequest,
    state: &AppState,
    post_type: PostType,
    slug: String,
    path: String,
) -> Result<Option<Post>, PageError> {
    if !may_read_private(request).await {
        return Ok(None);
    }
    state
        .db(move |conn| {
            Ok(find_private_by_slug(conn, post_type, &slug)?
                .filter(|post| post.permalink() == path))
        })
        .await
}
