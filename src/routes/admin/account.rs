//! What staff do about their own account without being logged in:
//! "Lost your password?" (`/admin/lost-password`), and the links mailed to
//! them (`/admin/account/{token}`): choose a new password, set a first one
//! (an invitation), confirm a new email address. The signed, single-use,
//! expiring link is the permission; opening it changes nothing, only its
//! form's POST does.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{admin_page_with_status, hash_off_thread, see_other, with_notice, Notice};
use crate::auth::password::MIN_PASSWORD_LENGTH;
use crate::auth::throttle::client_address;
use crate::error::PageError;
use crate::mail::notify::{email_changed, send_account_link, AccountLink};
use crate::mail::MailContext;
use crate::models::account_token::{
    count_recent, link_state, use_account_token, AccountPurpose, AccountToken, LinkState,
};
use crate::models::is_unique_violation;
use crate::models::session::{create_session, delete_sessions_of};
use crate::models::user::{
    find_user, find_user_by_email, find_user_by_email_ignoring_case, set_email, set_password_hash,
};
use crate::render::assets::{ADMIN_STYLESHEET, STYLESHEET};
use crate::routes::staff::{form_token, form_token_matches, session_cookie};
use crate::state::AppState;

/// The one answer to "Lost your password?", whether the address has an
/// account or not (nobody learns who is staff here).
pub const RESET_SENT_MESSAGE: &str = "If that address belongs to an account here, a link to choose a new password is on its way. It works for an hour.";

/// Reset mails one account gets in an hour, at most; more asks are
/// answered the same and mail nobody (nobody can flood a mailbox).
const RESETS_PER_HOUR: i64 = 3;

/// What the page's form asks for.
pub enum AccountForm {
    /// "Lost your password?": the address (as typed).
    AskEmail(String),
    /// A new password, posted to the link.
    NewPassword(String),
    /// One button, posted to the link.
    Confirm(String, &'static str),
    None,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    site_title: String,
    page_title: &'static str,
    stylesheet: &'static str,
    admin_stylesheet: &'static str,
    csrf_token: String,
    notice: Option<&'static str>,
    error: Option<String>,
    message: Vec<String>,
    form: AccountForm,
}

/// A standalone page (like the login page), with the visitor's form token.
struct Shown {
    title: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    message: Vec<String>,
    form: AccountForm,
    status: StatusCode,
}

fn page(request: &HttpRequest, state: &AppState, shown: Shown) -> Result<HttpResponse, PageError> {
    let (csrf_token, cookie) = form_token(request, state.config.is_https());
    let page = AccountPage {
        site_title: state.site().title.clone(),
        page_title: shown.title,
        stylesheet: STYLESHEET.path.as_str(),
        admin_stylesheet: ADMIN_STYLESHEET.path.as_str(),
        csrf_token,
        notice: shown.notice,
        error: shown.error,
        message: shown.message,
        form: shown.form,
    };
    let mut response = admin_page_with_status(&page, shown.status)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(anyhow::Error::from)?;
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct LostPasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

/// GET `/admin/lost-password`.
pub async fn lost_password_form(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    page(
        &request,
        &state,
        Shown {
            title: "Lost your password?",
            notice: None,
            error: None,
            message: vec!["Enter the email address you log in with. You will get a link to choose a new password.".to_owned()],
            form: AccountForm::AskEmail(String::new()),
            status: StatusCode::OK,
        },
    )
}

/// POST `/admin/lost-password`: the same answer for every address; a mail
/// (through the outbox) only to an account's own address, a few an hour.
pub async fn lost_password(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: crate::forms::CleanForm<LostPasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !form_token_matches(&request, &form.csrf_token) {
        return Err(PageError::CsrfRejected);
    }
    let address = client_address(&request, state.config.trusted_proxy_hops());
    if let Err(wait) = state.password_reset_requests.check(address) {
        let mut response = page(
            &request,
            &state,
            Shown {
                title: "Lost your password?",
                notice: None,
                error: Some(
                    "Too many requests from your address. Please try again later.".to_owned(),
                ),
                message: Vec::new(),
                form: AccountForm::AskEmail(form.email),
                status: StatusCode::TOO_MANY_REQUESTS,
            },
        )?;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(response);
    }
    let email = form.email.trim().to_owned();
    if !email.is_empty() {
        let context = MailContext::of(&state);
        state
            .db(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    let user = match find_user_by_email(conn, &email)? {
                        Some(user) => Some(user),
                        None => find_user_by_email_ignoring_case(conn, &email)?,
                    };
                    let Some(user) = user else { return Ok(()) };
                    if count_recent(conn, user.id, AccountPurpose::Reset, 3_600)? >= RESETS_PER_HOUR
                    {
                        return Ok(());
                    }
                    send_account_link(conn, &context, &user, AccountLink::Reset)
                })
            })
            .await?;
    }
    tracing::info!("password reset asked");
    page(
        &request,
        &state,
        Shown {
            title: "Lost your password?",
            notice: Some(RESET_SENT_MESSAGE),
            error: None,
            message: vec!["Check your inbox, and the spam folder. No mail? Make sure the address is the one you log in with, or ask an administrator.".to_owned()],
            form: AccountForm::None,
            status: StatusCode::OK,
        },
    )
}

/// The link's account and token, or the page saying why it no longer works.
async fn usable(
    request: &HttpRequest,
    state: &AppState,
    token: String,
) -> Result<Result<AccountToken, HttpResponse>, PageError> {
    let secret = state.secret_key.clone();
    let link = state
        .db(move |conn| link_state(conn, &secret, &token))
        .await?;
    let (heading, message, status) = match link {
        LinkState::Usable(token) => return Ok(Ok(token)),
        LinkState::Used => (
            "This link has already been used",
            "Each link works once. If you still need to, ask for a new one.",
            StatusCode::GONE,
        ),
        LinkState::Expired => (
            "This link has expired",
            "Password links work for an hour, invitations for 7 days, address confirmations for a day. Ask for a new one.",
            StatusCode::GONE,
        ),
        LinkState::Invalid => (
            "This link is not valid",
            "The link is incomplete or was changed. Copy the whole address from the email, or ask for a new one.",
            StatusCode::NOT_FOUND,
        ),
    };
    let response = page(
        request,
        state,
        Shown {
            title: heading,
            notice: None,
            error: None,
            message: vec![message.to_owned()],
            form: AccountForm::None,
            status,
        },
    )?;
    Ok(Err(response))
}

/// The page a link opens: a password form, or the address to confirm.
fn link_page(
    request: &HttpRequest,
    state: &AppState,
    token: &AccountToken,
    action: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let shown = match token.purpose {
        AccountPurpose::Reset => Shown {
            title: "Choose a new password",
            notice: None,
            error,
            message: vec!["Your other sessions end when the new password is saved.".to_owned()],
            form: AccountForm::NewPassword(action),
            status,
        },
        AccountPurpose::Invitation => Shown {
            title: "Set your password",
            notice: None,
            error,
            message: vec!["Welcome! Choose the password you will log in with.".to_owned()],
            form: AccountForm::NewPassword(action),
            status,
        },
        AccountPurpose::Email => Shown {
            title: "Confirm your new email address",
            notice: None,
            error,
            message: vec![format!(
                "Use {} for your account from now on?",
                token.new_email.as_deref().unwrap_or_default()
            )],
            form: AccountForm::Confirm(action, "Confirm new address"),
            status,
        },
    };
    page(request, state, shown)
}

/// GET `/admin/account/{token}`: shows the form; changes nothing.
pub async fn open_link(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let action = format!("/admin/account/{token}");
    match usable(&request, &state, token).await? {
        Ok(found) => link_page(&request, &state, &found, action, None, StatusCode::OK),
        Err(refusal) => Ok(refusal),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// POST `/admin/account/{token}`: sets the password (and logs in, every
/// other session ended), or makes the new address the account's.
pub async fn use_link(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: crate::forms::CleanForm<LinkForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !form_token_matches(&request, &form.csrf_token) {
        return Err(PageError::CsrfRejected);
    }
    let token = token.into_inner();
    let action = format!("/admin/account/{token}");
    let found = match usable(&request, &state, token.clone()).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal),
    };
    if found.purpose.sets_password() {
        if form.password.chars().count() < MIN_PASSWORD_LENGTH {
            return link_page(
                &request,
                &state,
                &found,
                action,
                Some("The password must be at least 8 characters.".to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        let password_hash = hash_off_thread(form.password).await?;
        let session = state
            .db(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    if !use_account_token(conn, &found)? {
                        return Ok(None);
                    }
                    set_password_hash(conn, found.user_id, &password_hash)?;
                    delete_sessions_of(conn, found.user_id)?;
                    Ok(Some(create_session(conn, found.user_id)?))
                })
            })
            .await?;
        let Some(session) = session else {
            // Its twin request won: the link is used now.
            return usable(&request, &state, token)
                .await?
                .map_or_else(Ok, |_| Err(PageError::NotFound));
        };
        tracing::info!("password set from a mailed link");
        let mut response = see_other(&with_notice("/admin/profile", Notice::PasswordSet, 1));
        response
            .add_cookie(&session_cookie(session, state.config.is_https()))
            .map_err(anyhow::Error::from)?;
        return Ok(response);
    }
    let context = MailContext::of(&state);
    let changed = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(user) = find_user(conn, found.user_id)? else {
                    return Ok(None);
                };
                let new_email = found.new_email.clone().unwrap_or_default();
                if !use_account_token(conn, &found)? {
                    return Ok(None);
                }
                match set_email(conn, user.id, &new_email) {
                    Ok(()) => {}
                    Err(error) if is_unique_violation(&error) => return Ok(Some(Err(()))),
                    Err(error) => return Err(error),
                }
                email_changed(
                    conn,
                    &context,
                    &user.display_name,
                    &user.email,
                    &new_email,
                    &found.id[..12],
                )?;
                Ok(Some(Ok(new_email)))
            })
        })
        .await?;
    let message =
        match changed {
            None => {
                return usable(&request, &state, token)
                    .await?
                    .map_or_else(Ok, |_| Err(PageError::NotFound))
            }
            Some(Err(())) => return page(
                &request,
                &state,
                Shown {
                    title: "This address is taken",
                    notice: None,
                    error: Some(
                        "Another account uses this email address now, so yours keeps its old one."
                            .to_owned(),
                    ),
                    message: Vec::new(),
                    form: AccountForm::None,
                    status: StatusCode::CONFLICT,
                },
            ),
            Some(Ok(new_email)) => format!("You log in with {new_email} from now on."),
        };
    tracing::info!("email address changed from a mailed link");
    page(
        &request,
        &state,
        Shown {
            title: "Your email address is changed",
            notice: Some("Address confirmed."),
            error: None,
            message: vec![message],
            form: AccountForm::None,
            status: StatusCode::OK,
        },
    )
}
