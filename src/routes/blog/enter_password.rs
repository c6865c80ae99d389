//! `POST /wp-login.php?action=postpass`: a reader types a protected post's
//! password (the form is `protected::locked_page`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::protected::{locked_page, remembered_password, TOO_MANY_GUESSES, WRONG_PASSWORD};
use crate::auth::throttle::{client_address, insert_retry_after};
use crate::error::PageError;
use crate::models::post::find_post;
use crate::routes::staff::same_secret;
use crate::state::AppState;

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
        insert_retry_after(&mut response, wait);
        return Ok(response);
    }
    // WordPress compares the password as typed; so does this, in constant time.
    if !same_secret(&post.password, &form.post_password) {
        state.login_failures_by_address.fail(address);
        return locked_page(state, &post, Some(WRONG_PASSWORD), StatusCode::FORBIDDEN);
    }
    let cookie = remembered_password(&state.secret_key, &post.password, state.config.is_https());
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            crate::domain::slug::percent_encode_path(&post.permalink()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .cookie(cookie)
        .finish())
}
