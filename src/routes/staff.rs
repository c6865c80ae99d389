//! The signed-in staff member behind an admin request, and the CSRF check
//! every state-changing admin form goes through.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::auth::roles::{can, Area};
use crate::domain::Role;
use crate::error::PageError;
use crate::models::session::find_session;
use crate::models::user::User;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "ferropress_session";
/// Double-submit token for the forms used before a session exists (login, setup).
pub const FORM_COOKIE: &str = "ferropress_form";

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub csrf_token: String,
    pub session_token: String,
}

impl Staff {
    pub fn role(&self) -> Role {
        self.user.role()
    }

    pub fn can(&self, area: Area) -> bool {
        can(self.role(), area)
    }

    pub fn csrf_matches(&self, given: &str) -> bool {
        same_secret(&self.csrf_token, given)
    }
}

/// Compares two secrets without leaking, through timing, how much matched.
pub fn same_secret(expected: &str, given: &str) -> bool {
    !expected.is_empty() && Sha256::digest(expected.as_bytes()) == Sha256::digest(given.as_bytes())
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl FromRequest for Staff {
    type Error = PageError;
    type Future = LocalFuture<Result<Staff, PageError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // Found already by the route's guard (`authorize`).
        if let Some(staff) = request.extensions().get::<Staff>().cloned() {
            return Box::pin(async move { Ok(staff) });
        }
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = request
            .cookie(SESSION_COOKIE)
            .map(|cookie| cookie.value().to_owned());
        // After logging in, come back to the page asked for (only GETs can be repeated).
        let return_to = if request.method() == Method::GET {
            request
                .uri()
                .path_and_query()
                .map(|path| path.as_str().to_owned())
                .unwrap_or_default()
        } else {
            "/admin/".to_owned()
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                PageError::Unexpected(anyhow::anyhow!("application state missing"))
            })?;
            let Some(token) = token.filter(|token| token.len() == 64) else {
                return Err(PageError::LoginRequired { return_to });
            };
            let lookup = token.clone();
            match state.db(move |conn| find_session(conn, &lookup)).await? {
                Some((user, csrf_token)) => Ok(Staff {
                    user,
                    csrf_token,
                    session_token: token,
                }),
                None => Err(PageError::LoginRequired { return_to }),
            }
        })
    }
}

/// Middleware on every panel route: the access its route table declares,
/// checked before the handler runs. Staff routes find the session (else
/// off to the login page) and check the role (else `403`); the staff
/// member found is kept for the handler's `Staff` extractor.
pub async fn authorize(
    access: crate::auth::roles::Access,
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use crate::auth::roles::Access;
    let area = match access {
        Access::Staff(area) => Some(area),
        Access::SignedIn => None,
        Access::Public | Access::Capability | Access::PreSession => {
            return next.call(request).await
        }
    };
    let staff = match Staff::from_request(request.request(), &mut Payload::None).await {
        Ok(staff) => staff,
        Err(error) => return Ok(request.error_response(error)),
    };
    if area.is_some_and(|area| !staff.can(area)) {
        // Who was refused: the refusal is shown inside their panel.
        request.extensions_mut().insert(staff);
        return Ok(request.error_response(PageError::Forbidden));
    }
    request.extensions_mut().insert(staff);
    next.call(request).await
}

/// A form that carries a CSRF token in its `csrf_token` field.
pub trait CsrfForm {
    fn csrf_token(&self) -> &str;
}

/// A state-changing admin form: the staff member, and their form, whose
/// CSRF token matched their session's (otherwise `403`, nothing changes).
pub struct AdminForm<T> {
    pub staff: Staff,
    pub form: T,
}

impl<T: DeserializeOwned + CsrfForm + 'static> FromRequest for AdminForm<T> {
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<AdminForm<T>, actix_web::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(request, &mut Payload::None);
        // NUL characters removed: PostgreSQL cannot store them.
        let form = crate::forms::CleanForm::<T>::from_request(request, payload);
        Box::pin(async move {
            let staff = staff.await?;
            // A body that is not a form at all carries no token either: 403,
            // except a body too large, which keeps its 413.
            let form = match form.await {
                Ok(form) => form.into_inner(),
                Err(error)
                    if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    return Err(error)
                }
                Err(_) => return Err(PageError::CsrfRejected.into()),
            };
            if !staff.csrf_matches(form.csrf_token()) {
                return Err(PageError::CsrfRejected.into());
            }
            Ok(AdminForm { staff, form })
        })
    }
}

/// Implements `CsrfForm` for structs with a `csrf_token: String` field.
#[macro_export]
macro_rules! csrf_form {
    ($($form:ty),* $(,)?) => {
        $(impl $crate::routes::staff::CsrfForm for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })*
    };
}

/// The pre-session form token: the visitor's cookie, or a new one to set.
pub fn form_token(request: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(cookie) = request
        .cookie(FORM_COOKIE)
        .filter(|cookie| cookie.value().len() == 64)
    {
        return (cookie.value().to_owned(), None);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let cookie = Cookie::build(FORM_COOKIE, token.clone())
        .path("/admin/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

/// Whether a login or setup form came back with its visitor's own token.
pub fn form_token_matches(request: &HttpRequest, given: &str) -> bool {
    request
        .cookie(FORM_COOKIE)
        .is_some_and(|cookie| same_secret(cookie.value(), given))
}

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` on https sites.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            crate::models::session::SESSION_SECONDS,
        ))
        .finish()
}

/// Expires the session cookie.
pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}
