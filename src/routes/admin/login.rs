//! `/admin/login` and logout. Unknown email and wrong password get the same
//! answer; failures are throttled per account and per address; a new
//! session id is issued at every login.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{admin_page_with_status, safe_return, see_other, FieldMap};
use std::sync::LazyLock;

use crate::auth::password::{hash_password, verify_password};
use crate::auth::throttle::client_address;
use crate::error::PageError;
use crate::models::session::{create_session, delete_session};
use crate::models::user::{count_users_who_can_log_in, find_user_by_email};
use crate::render::assets::{ADMIN_STYLESHEET, STYLESHEET};
use crate::routes::staff::{
    form_token, form_token_matches, removal_cookie, session_cookie, AdminForm, SESSION_COOKIE,
};
use crate::state::AppState;

pub const BAD_LOGIN_MESSAGE: &str = "The email address or password is incorrect.";
pub const TOO_MANY_MESSAGE: &str = "Too many failed login attempts. Please try again later.";

/// A hash verified against when the email is unknown, so that both
/// failures take the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no account has this password").unwrap_or_default());

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    site_title: String,
    page_title: &'static str,
    stylesheet: &'static str,
    admin_stylesheet: &'static str,
    csrf_token: String,
    email: String,
    redirect_to: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    redirect_to: Option<String>,
    loggedout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    redirect_to: String,
    #[serde(default)]
    csrf_token: String,
}

pub async fn show(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    if state.db(count_users_who_can_log_in).await? == 0 {
        return Ok(see_other("/admin/setup"));
    }
    let redirect_to = safe_return(query.redirect_to.as_deref(), "/admin/");
    let notice = query
        .loggedout
        .is_some()
        .then_some("You are now logged out.");
    page(
        &request,
        &state,
        String::new(),
        redirect_to,
        None,
        notice,
        StatusCode::OK,
    )
}

fn page(
    request: &HttpRequest,
    state: &AppState,
    email: String,
    redirect_to: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (csrf_token, cookie) = form_token(request, state.config.is_https());
    let page = LoginPage {
        site_title: state.site().title.clone(),
        page_title: "Log in",
        stylesheet: STYLESHEET.path.as_str(),
        admin_stylesheet: ADMIN_STYLESHEET.path.as_str(),
        csrf_token,
        email,
        redirect_to,
        error,
        notice,
    };
    let mut response = admin_page_with_status(&page, status)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(anyhow::Error::from)?;
    }
    Ok(response)
}

pub async fn log_in(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: crate::forms::CleanForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !form_token_matches(&request, &form.csrf_token) {
        return Err(PageError::CsrfRejected);
    }
    let redirect_to = safe_return(Some(&form.redirect_to), "/admin/");
    let email = form.email.trim().to_lowercase();
    let address = client_address(&request, state.config.trusted_proxy_hops());
    // Only this address's own failures slow it down: nobody can lock a
    // staff member out from elsewhere.
    let pair = (address, email.clone());
    let throttled = state
        .login_failures_by_address
        .check(&address)
        .and_then(|()| state.login_failures_by_pair.check(&pair));
    if let Err(wait) = throttled {
        let mut response = page(
            &request,
            &state,
            form.email,
            redirect_to,
            Some(TOO_MANY_MESSAGE),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        crate::auth::throttle::insert_retry_after(&mut response, wait);
        return Ok(response);
    }
    let lookup = email.clone();
    let user = state
        .db(move |conn| {
            // Emails are stored as typed apart from the domain; try both forms.
            match find_user_by_email(conn, &lookup)? {
                Some(user) => Ok(Some(user)),
                None => crate::models::user::find_user_by_email_ignoring_case(conn, &lookup),
            }
        })
        .await?;
    let stored_hash = user
        .as_ref()
        .and_then(|user| user.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = form.password.clone();
    let matches = web::block(move || verify_password(&password, &stored_hash))
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let Some(user) = user.filter(|user| matches && user.password_hash.is_some()) else {
        state.login_failures_by_address.fail(address);
        state.login_failures_by_pair.fail(pair);
        tracing::info!("failed login");
        return page(
            &request,
            &state,
            form.email,
            redirect_to,
            Some(BAD_LOGIN_MESSAGE),
            None,
            StatusCode::OK,
        );
    };
    let old_token = request
        .cookie(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    let user_id = user.id;
    let token = state
        .db(move |conn| {
            // A new id at every login: a session fixed before login is worthless.
            if let Some(old) = old_token {
                delete_session(conn, &old)?;
            }
            create_session(conn, user_id)
        })
        .await?;
    tracing::info!(user_id, "logged in");
    let mut response = see_other(&redirect_to);
    response
        .add_cookie(&session_cookie(token, state.config.is_https()))
        .map_err(anyhow::Error::from)?;
    Ok(response)
}

pub async fn log_out(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let token = form.staff.session_token.clone();
    state.db(move |conn| delete_session(conn, &token)).await?;
    let mut response = see_other("/admin/login?loggedout=true");
    response
        .add_cookie(&removal_cookie())
        .map_err(anyhow::Error::from)?;
    Ok(response)
}
