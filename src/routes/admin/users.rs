//! `/admin/users` (admins: add, change role, reset password, remove) and
//! `/admin/profile` (everyone: own name, password, notifications).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::hash_off_thread;
use super::{
    admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice, NoticeQuery,
};
use crate::auth::password::verify_password;
use crate::auth::password::MIN_PASSWORD_LENGTH;
use crate::domain::comment::MAX_NAME_CHARS;
use crate::domain::FieldErrors;
use crate::domain::{EmailAddress, Role};
use crate::error::PageError;
use crate::models::is_unique_violation;
use crate::models::session::{create_session, delete_sessions_of};
use crate::models::user::{
    change_keeping_an_admin, create_user, find_user, list_users, set_notify_comments,
    set_password_hash, LastAdmin, NewUser, User,
};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: AdminLayout,
    users: Vec<User>,
    me: i64,
    values: (String, String, String),
    errors: FieldErrors,
}

async fn users_page(
    state: &AppState,
    staff: &Staff,
    values: (String, String, String),
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let users = state.db(list_users).await?;
    let layout = AdminLayout::new(state, staff, "Users", "Users")
        .await?
        .with_notice(notice);
    admin_page_with_status(
        &UsersPage {
            layout,
            users,
            me: staff.user.id,
            values,
            errors,
        },
        status,
    )
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    users_page(
        &state,
        &staff,
        (String::new(), String::new(), "moderator".to_owned()),
        FieldErrors::new(),
        notice.text(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let fields = form.form;
    let values = (
        fields.text("email"),
        fields.text("name"),
        fields.text("role"),
    );
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&values.0);
    if email.is_err() {
        errors.push(("email", "Please enter a valid email address."));
    }
    let name = values.1.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(("name", "Please enter a name (at most 100 characters)."));
    }
    let role = values.2.parse::<Role>();
    if role.is_err() {
        errors.push(("role", "Please choose a role."));
    }
    let password = fields.text("password");
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        errors.push(("password", "The password must be at least 8 characters."));
    }
    let (Ok(email), Ok(role), true) = (email, role, errors.is_empty()) else {
        return users_page(
            &state,
            &staff,
            values,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let password_hash = hash_off_thread(password).await?;
    let created = state
        .db(move |conn| {
            match create_user(
                conn,
                &NewUser {
                    email: &email,
                    display_name: &name,
                    password_hash: Some(&password_hash),
                    role,
                },
            ) {
                Ok(_) => Ok(true),
                Err(error) if is_unique_violation(&error) => Ok(false),
                Err(error) => Err(error),
            }
        })
        .await?;
    if !created {
        let errors = FieldErrors::one("email", "A user with this email address already exists.");
        return users_page(&state, &staff, values, errors, None, StatusCode::CONFLICT).await;
    }
    Ok(see_other(&with_notice(
        "/admin/users",
        Notice::UserAdded,
        1,
    )))
}

/// The account an admin acts on; never the last admin's role or existence.
async fn target(state: &AppState, id: i64) -> Result<User, PageError> {
    state
        .db(move |conn| find_user(conn, id))
        .await?
        .ok_or(PageError::NotFound)
}

/// Gives `user_id` the role `new_role`, or removes the account (`None`);
/// `403` when that would leave no admin.
async fn change_unless_last_admin(
    state: &AppState,
    user_id: i64,
    new_role: Option<Role>,
) -> Result<(), PageError> {
    state
        .db(move |conn| change_keeping_an_admin(conn, user_id, new_role))
        .await?
        .map_err(|LastAdmin| PageError::Forbidden)
}

pub async fn change_role(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let user = target(&state, path.into_inner()).await?;
    let role: Role = form
        .form
        .text("role")
        .parse()
        .map_err(|_| PageError::NotFound)?;
    change_unless_last_admin(&state, user.id, Some(role)).await?;
    Ok(see_other(&with_notice(
        "/admin/users",
        Notice::RoleChanged,
        1,
    )))
}

pub async fn reset_password(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let user = target(&state, path.into_inner()).await?;
    let password = form.form.text("password");
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        let errors = FieldErrors::one("reset", "The new password must be at least 8 characters.");
        return users_page(
            &state,
            &staff,
            Default::default(),
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let password_hash = hash_off_thread(password).await?;
    let id = user.id;
    state
        .db(move |conn| {
            set_password_hash(conn, id, &password_hash)?;
            delete_sessions_of(conn, id)
        })
        .await?;
    Ok(see_other(&with_notice(
        "/admin/users",
        Notice::PasswordReset,
        1,
    )))
}

pub async fn remove(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let user = target(&state, path.into_inner()).await?;
    if user.id == form.staff.user.id {
        return Err(PageError::Forbidden);
    }
    change_unless_last_admin(&state, user.id, None).await?;
    Ok(see_other(&with_notice(
        "/admin/users",
        Notice::UserRemoved,
        1,
    )))
}

#[derive(Template)]
#[template(path = "admin/profile.html")]
struct ProfilePage {
    layout: AdminLayout,
    user: User,
    errors: FieldErrors,
}

pub async fn profile(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let layout = AdminLayout::new(&state, &staff, "Profile", "")
        .await?
        .with_notice(notice.text());
    admin_page_with_status(
        &ProfilePage {
            layout,
            user: staff.user.clone(),
            errors: FieldErrors::new(),
        },
        StatusCode::OK,
    )
}

/// Everyone's own page: notification switch and password change (the
/// current password is asked; other sessions end, this one is renewed).
pub async fn update_profile(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let fields = form.form;
    let notify = fields.checked("notify_comments");
    let new_password = fields.text("new_password");
    let mut errors = FieldErrors::new();
    if !new_password.is_empty() {
        let current = fields.text("current_password");
        let stored = staff.user.password_hash.clone().unwrap_or_default();
        let current_ok = web::block(move || verify_password(&current, &stored))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if !current_ok {
            errors.push(("current_password", "Your current password is incorrect."));
        }
        if new_password.chars().count() < MIN_PASSWORD_LENGTH {
            errors.push((
                "new_password",
                "The new password must be at least 8 characters.",
            ));
        }
    }
    if !errors.is_empty() {
        let layout = AdminLayout::new(&state, &staff, "Profile", "").await?;
        return admin_page_with_status(
            &ProfilePage {
                layout,
                user: staff.user.clone(),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let id = staff.user.id;
    let password_hash = if new_password.is_empty() {
        None
    } else {
        Some(hash_off_thread(new_password).await?)
    };
    let new_session = state
        .db(move |conn| {
            set_notify_comments(conn, id, notify)?;
            match password_hash {
                Some(password_hash) => {
                    set_password_hash(conn, id, &password_hash)?;
                    delete_sessions_of(conn, id)?;
                    Ok(Some(create_session(conn, id)?))
                }
                None => Ok(None),
            }
        })
        .await?;
    let mut response = see_other(&with_notice("/admin/profile", Notice::ProfileSaved, 1));
    if let Some(token) = new_session {
        response
            .add_cookie(&crate::routes::staff::session_cookie(
                token,
                state.config.is_https(),
            ))
            .map_err(anyhow::Error::from)?;
    }
    Ok(response)
}
