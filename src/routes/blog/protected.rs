//! Password-protected posts and pages (WordPress's "Visibility: Password
//! protected"): readers without the password see WordPress's form, never
//! the body, excerpt or comments; the password typed is kept, keyed, in a
//! cookie for 10 days, as WordPress keeps it, and pages that show the
//! unlocked text are the reader's alone (never the page cache's).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::signing::{sign, Purpose};
use crate::auth::throttle::client_address;
use crate::error::PageError;
use crate::models::post::{find_post, Post};
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
    let cache_control = if message.is_some() {
        "private, no-store"
    } else {
        "public, max-age=0, must-revalidate"
    };
    Ok(
        crate::page_cache::Shows(vec![post.id]).on(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, cache_control))
            .body(body)),
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    post_password: String,
    #[serde(default)]
    post_id: String,
}

/// `POST /wp-login.php?action=postpass` (WordPress's own address for the
/// form): the right password sets the cookie and goes back to the post
/// (`303`); a wrong one shows the form again, saying so (`403`); an
/// address that keeps guessing waits (`429` with `Retry-After`).
pub async fn enter_password(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: crate::forms::CleanForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let action = web::Query::<Action>::from_query(request.query_string())
        .map(|query| query.into_inner().action)
        .unwrap_or_default();
    if action != "postpass" {
        return Err(PageError::NotFound);
    }
    let mut response = check_password(&request, &state, form.into_inner()).await?;
    // Nothing readers see has changed.
    response
        .extensions_mut()
        .insert(crate::routes::cache::NothingPublished);
    Ok(response)
}

#[derive(Deserialize)]
pub struct Action {
    #[serde(default)]
    action: String,
}

async fn check_password(
    request: &HttpRequest,
    state: &AppState,
    form: PasswordForm,
) -> Result<HttpResponse, PageError> {
    let post_id: i64 = form
        .post_id
        .trim()
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let post = state
        .db(move |conn| find_post(conn, post_id))
        .await?
        .filter(|post| post.is_public(crate::models::now()) && post.is_protected())
        .ok_or(PageError::NotFound)?;
    let address = client_address(request, state.config.trusted_proxy_hops());
    if let Err(wait) = state.login_failures_by_address.check(&address) {
        let mut response = locked_page(
            state,
            &post,
            Some(TOO_MANY_GUESSES),
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(response);
    }
    // WordPress compares the password as typed; so does this, in constant time.
    if !same_secret(&post.password, &form.post_password) {
        state.login_failures_by_address.fail(address);
        return locked_page(state, &post, Some(WRONG_PASSWORD), StatusCode::FORBIDDEN);
    }
    let cookie = Cookie::build(COOKIE_NAME, password_key(&state.secret_key, &post.password))
        .path("/")
        .http_only(true)
        .secure(state.config.is_https())
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            REMEMBERED_SECONDS,
        ))
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            crate::domain::slug::percent_encode_path(&post.permalink()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .cookie(cookie)
        .finish())
}
