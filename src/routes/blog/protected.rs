//! Password-protected posts and pages (WordPress's "Visibility: Password
//! protected"): readers without the password see WordPress's form, never
//! the body, excerpt or comments; the password typed is kept, keyed, in a
//! cookie for 10 days, as WordPress keeps it, and pages that show the
//! unlocked text are the reader's alone (never the page cache's). The form
//! is answered in `enter_password`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::signing::{sign, Purpose};
use crate::error::PageError;
use crate::models::post::Post;
use crate::render::layout::Layout;
use crate::render::text::iso_date;
use crate::routes::staff::same_secret;
use crate::state::AppState;

/// WordPress's `wp-postpass_…`: the last post password a reader typed.
pub const COOKIE_NAME: &str = "ferropress_postpass";

/// How long a typed password is remembered, as WordPress remembers it.
const REMEMBERED_SECONDS: i64 = 10 * 86_400;

/// What a wrong password is told.
pub const WRONG_PASSWORD: &str = "The password you entered is incorrect.";

/// What a comment sent to a protected post without its password is told,
/// in WordPress's words.
pub const COMMENTS_NEED_PASSWORD: &str =
    "This post is password protected. Enter the password to view comments.";

/// What an address that guessed too often is told.
pub const TOO_MANY_GUESSES: &str = "Too many wrong passwords. Please wait a minute and try again.";

#[derive(Template)]
#[template(path = "blog/protected.html")]
struct ProtectedPage {
    layout: Layout,
    post_id: i64,
    title: String,
    permalink: String,
    /// (as shown, ISO) for posts; pages have no date line.
    date: Option<(String, String)>,
    message: Option<&'static str>,
}

/// The cookie's value for `password`: keyed with the site secret, so the
/// cookie tells nothing of the password and cannot be made without it.
fn password_key(secret: &str, password: &str) -> String {
    sign(secret, Purpose::PostPassword, password)
}

/// The cookie that remembers `password` for 10 days, as WordPress's does.
pub fn remembered_password(secret: &str, password: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, password_key(secret, password))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            REMEMBERED_SECONDS,
        ))
        .finish()
}

/// Whether this reader typed `post`'s password (or it has none).
pub fn unlocked(request: &HttpRequest, secret: &str, post: &Post) -> bool {
    if !post.is_protected() {
        return true;
    }
    request
        .cookie(COOKIE_NAME)
        .is_some_and(|cookie| same_secret(&password_key(secret, &post.password), cookie.value()))
}

/// The post or page as readers without its password see it: the form.
/// Kept from search engines, and never cached for anyone but this reader
/// when it carries a message.
pub fn locked_page(
    state: &AppState,
    post: &Post,
    message: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let site = state.site();
    let permalink = post.permalink();
    let title = post.shown_title();
    let mut layout = site
        .layout(Some(&title))
        .with_canonical(state.config.absolute_url(&permalink));
    layout.robots = Some("noindex");
    let date = (post.post_type == crate::domain::PostType::Post).then(|| {
        (
            site.clock.date(post.published_at),
            iso_date(post.published_at),
        )
    });
    let body = ProtectedPage {
        layout,
        post_id: post.id,
        title,
        permalink,
        date,
        message,
    }
    .render()
    .map_err(anyhow::Error::from)?;
    // A message is for the reader who sent the form alone.
    Ok(super::html_answer(
        status,
        message.is_some(),
        body,
        crate::page_cache::Shows(vec![post.id]),
    ))
}
