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
use crate::mail::notify::{send_account_link, AccountLink};
use crate::mail::MailContext;
use crate::models::account_token::{cancel_email_change, pending_email, void_password_links};
use crate::models::is_unique_violation;
use crate::models::session::{create_session, delete_sessions_of};
use crate::models::user::{
    change_keeping_an_admin, create_user, find_user, find_user_by_email_ignoring_case, list_users,
    set_display_name, set_notify_comments, set_password_hash, LastAdmin, NewUser, User,
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
    // No password passes through the admin: the new user gets an
    // invitation to choose one, in the same transaction as the account.
    let context = MailContext::acting(&state, &staff.user.email);
    let inviter = staff.user.display_name.clone();
    let created = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let user = match create_user(
                    conn,
                    &NewUser {
                        email: &email,
                        display_name: &name,
                        password_hash: None,
                        role,
                    },
                ) {
                    Ok(user) => user,
                    Err(error) if is_unique_violation(&error) => return Ok(false),
                    Err(error) => return Err(error),
                };
                send_account_link(
                    conn,
                    &context,
                    &user,
                    AccountLink::Invitation { inviter: &inviter },
                )?;
                Ok(true)
            })
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

/// WordPress's "Send password reset": the user gets a link to choose a
/// password (an invitation again, if they never chose one); the admin
/// never knows it. Their password and sessions stay until the link is used.
pub async fn reset_password(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let user = target(&state, path.into_inner()).await?;
    let context = MailContext::acting(&state, &staff.user.email);
    let inviter = staff.user.display_name.clone();
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let link = if user.password_hash.is_some() {
                    AccountLink::Reset
                } else {
                    AccountLink::Invitation { inviter: &inviter }
                };
                send_account_link(conn, &context, &user, link)
            })
        })
        .await?;
    Ok(see_other(&with_notice(
        "/admin/users",
        Notice::PasswordReset,
        1,
    )))
}

#[derive(Template)]
#[template(path = "admin/user_remove.html")]
struct RemovePage {
    layout: AdminLayout,
    user: User,
    posts: i64,
}

/// GET: what removing the account means, and the button that does it.
pub async fn remove_form(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    let user = target(&state, path.into_inner()).await?;
    if user.id == staff.user.id {
        return Err(PageError::Forbidden);
    }
    let id = user.id;
    let posts = state
        .db(move |conn| crate::models::post::count_by_author(conn, id))
        .await?;
    let layout = AdminLayout::new(&state, &staff, "Remove User", "Users").await?;
    admin_page_with_status(
        &RemovePage {
            layout,
            user,
            posts,
        },
        StatusCode::OK,
    )
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
    /// What the form shows: name and email (as typed, after a refusal).
    values: (String, String),
    /// A new address waiting for its confirmation link.
    pending_email: Option<String>,
    errors: FieldErrors,
}

async fn profile_page(
    state: &AppState,
    staff: &Staff,
    values: (String, String),
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let id = staff.user.id;
    let pending_email = state.db(move |conn| pending_email(conn, id)).await?;
    let layout = AdminLayout::new(state, staff, "Profile", "")
        .await?
        .with_notice(notice);
    admin_page_with_status(
        &ProfilePage {
            layout,
            user: staff.user.clone(),
            values,
            pending_email,
            errors,
        },
        status,
    )
}

pub async fn profile(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let values = (staff.user.display_name.clone(), staff.user.email.clone());
    profile_page(
        &state,
        &staff,
        values,
        FieldErrors::new(),
        notice.text(),
        StatusCode::OK,
    )
    .await
}

/// Everyone's own page: name, email, notification switch and password.
/// A new email address is used once confirmed from a link mailed to it; a
/// new address or password needs the current password (a borrowed session
/// cannot take the account over). A new password ends other sessions and
/// renews this one.
pub async fn update_profile(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let fields = form.form;
    let notify = fields.checked("notify_comments");
    let values = (
        fields.get("display_name").map_or_else(
            || staff.user.display_name.clone(),
            |name| name.trim().to_owned(),
        ),
        fields
            .get("email")
            .map_or_else(|| staff.user.email.clone(), |email| email.trim().to_owned()),
    );
    let new_password = fields.text("new_password");
    let mut errors = FieldErrors::new();
    if values.0.is_empty() || values.0.chars().count() > MAX_NAME_CHARS {
        errors.push((
            "display_name",
            "Please enter a name (at most 100 characters).",
        ));
    }
    let new_email = match EmailAddress::parse(&values.1) {
        Ok(email) if email.as_str().eq_ignore_ascii_case(&staff.user.email) => None,
        Ok(email) => Some(email),
        Err(_) => {
            errors.push(("email", "Please enter a valid email address."));
            None
        }
    };
    if let Some(email) = &new_email {
        let lookup = email.as_str().to_owned();
        let own_id = staff.user.id;
        let taken = state
            .db(move |conn| find_user_by_email_ignoring_case(conn, &lookup))
            .await?
            .is_some_and(|other| other.id != own_id);
        if taken {
            errors.push(("email", "Another account uses this email address."));
        }
    }
    if !new_password.is_empty() || new_email.is_some() {
        let current = fields.text("current_password");
        let stored = staff.user.password_hash.clone().unwrap_or_default();
        let current_ok = web::block(move || verify_password(&current, &stored))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if !current_ok {
            errors.push(("current_password", "Your current password is incorrect."));
        }
    }
    if !new_password.is_empty() && new_password.chars().count() < MIN_PASSWORD_LENGTH {
        errors.push((
            "new_password",
            "The new password must be at least 8 characters.",
        ));
    }
    if !errors.is_empty() {
        return profile_page(
            &state,
            &staff,
            values,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let user = staff.user.clone();
    let password_hash = if new_password.is_empty() {
        None
    } else {
        Some(hash_off_thread(new_password).await?)
    };
    let context = MailContext::of(&state);
    let name = values.0;
    let email_changes = new_email.is_some();
    let new_session = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                set_notify_comments(conn, user.id, notify)?;
                if name != user.display_name {
                    set_display_name(conn, user.id, &name)?;
                }
                if let Some(email) = &new_email {
                    // One pending address at a time: the newest.
                    cancel_email_change(conn, user.id)?;
                    send_account_link(
                        conn,
                        &context,
                        &user,
                        AccountLink::NewEmail(email.as_str()),
                    )?;
                }
                match password_hash {
                    Some(password_hash) => {
                        set_password_hash(conn, user.id, &password_hash)?;
                        void_password_links(conn, user.id)?;
                        delete_sessions_of(conn, user.id)?;
                        Ok(Some(create_session(conn, user.id)?))
                    }
                    None => Ok(None),
                }
            })
        })
        .await?;
    let notice = if email_changes {
        Notice::EmailPending
    } else {
        Notice::ProfileSaved
    };
    let mut response = see_other(&with_notice("/admin/profile", notice, 1));
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

/// Cancels a pending email change: its link stops working.
pub async fn cancel_email(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = form.staff.user.id;
    state.db(move |conn| cancel_email_change(conn, id)).await?;
    Ok(see_other(&with_notice(
        "/admin/profile",
        Notice::EmailKept,
        1,
    )))
}
