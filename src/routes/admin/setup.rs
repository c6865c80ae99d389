//! `/admin/setup`: creates the first admin, and exists only while the site
//! has no user at all.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::hash_off_thread;
use super::{admin_page_with_status, see_other};
use crate::auth::password::MIN_PASSWORD_LENGTH;
use crate::domain::comment::MAX_NAME_CHARS;
use crate::domain::FieldErrors;
use crate::domain::{EmailAddress, Role};
use crate::error::PageError;
use crate::models::session::create_session;
use crate::models::setting::{keys, set_setting};
use crate::models::user::{
    count_users_who_can_log_in, create_user, find_user_by_email, set_password_hash, set_role,
    NewUser,
};
use crate::render::assets::{ADMIN_STYLESHEET, STYLESHEET};
use crate::routes::staff::{form_token, form_token_matches, session_cookie};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    site_title: String,
    page_title: &'static str,
    stylesheet: &'static str,
    admin_stylesheet: &'static str,
    csrf_token: String,
    values: SetupForm,
    errors: FieldErrors,
    /// The imported authors' names, offered for "Your name".
    imported_names: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    site_title: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

async fn no_user_yet(state: &AppState) -> Result<bool, PageError> {
    Ok(state.db(count_users_who_can_log_in).await? == 0)
}

pub async fn show(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if !no_user_yet(&state).await? {
        return Err(PageError::NotFound);
    }
    let values = SetupForm {
        site_title: state.site().title.clone(),
        ..SetupForm::default()
    };
    page(&request, &state, values, FieldErrors::new(), StatusCode::OK).await
}

async fn page(
    request: &HttpRequest,
    state: &AppState,
    values: SetupForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let imported_names = state.db(crate::models::user::imported_author_names).await?;
    let (csrf_token, cookie) = form_token(request, state.config.is_https());
    let page = SetupPage {
        site_title: state.site().title.clone(),
        page_title: "Welcome",
        stylesheet: STYLESHEET.path.as_str(),
        admin_stylesheet: ADMIN_STYLESHEET.path.as_str(),
        csrf_token,
        values: SetupForm {
            password: String::new(),
            ..values
        },
        errors,
        imported_names,
    };
    let mut response = admin_page_with_status(&page, status)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(anyhow::Error::from)?;
    }
    Ok(response)
}

pub async fn create_first_admin(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: crate::forms::CleanForm<SetupForm>,
) -> Result<HttpResponse, PageError> {
    if !no_user_yet(&state).await? {
        return Err(PageError::NotFound);
    }
    let form = form.into_inner();
    if !form_token_matches(&request, &form.csrf_token) {
        return Err(PageError::CsrfRejected);
    }
    let mut errors = FieldErrors::new();
    let site_title = form.site_title.trim().to_owned();
    if site_title.is_empty() {
        errors.push(("site_title", "Please enter a site title."));
    }
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(("name", "Please enter your name (at most 100 characters)."));
    }
    let email = EmailAddress::parse(&form.email);
    if email.is_err() {
        errors.push(("email", "Please enter a valid email address."));
    }
    if form.password.chars().count() < MIN_PASSWORD_LENGTH {
        errors.push(("password", "The password must be at least 8 characters."));
    }
    let Ok(email) = email.map_err(|_| ()).and_then(|email| {
        if errors.is_empty() {
            Ok(email)
        } else {
            Err(())
        }
    }) else {
        return page(
            &request,
            &state,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let password_hash = hash_off_thread(form.password.clone()).await?;
    let token = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                // Checked again inside the transaction: only the first setup wins.
                if count_users_who_can_log_in(conn)? > 0 {
                    return Ok(None);
                }
                // An imported author with this email becomes the admin
                // (keeping their posts); anyone else is created.
                let user = match find_user_by_email(conn, email.as_str())? {
                    Some(author) => {
                        set_password_hash(conn, author.id, &password_hash)?;
                        set_role(conn, author.id, Role::Admin)?;
                        // The name typed here wins over the import's.
                        crate::models::user::set_display_name(conn, author.id, &name)?;
                        author
                    }
                    None => create_user(
                        conn,
                        &NewUser {
                            email: &email,
                            display_name: &name,
                            password_hash: Some(&password_hash),
                            role: Role::Admin,
                        },
                    )?,
                };
                set_setting(conn, keys::SITE_TITLE, &site_title)?;
                Ok(Some(create_session(conn, user.id)?))
            })
        })
        .await?;
    let Some(token) = token else {
        return Err(PageError::NotFound);
    };
    state.reload_site().await?;
    tracing::info!("first admin created");
    let mut response = see_other("/admin/");
    response
        .add_cookie(&session_cookie(token, state.config.is_https()))
        .map_err(anyhow::Error::from)?;
    Ok(response)
}
