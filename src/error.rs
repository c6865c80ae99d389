//! Errors of the reader pages, and the one place every error answer becomes a
//! themed page with the right status.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::models::setting::SiteSettings;
use crate::render::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page not found")]
    NotFound,
    /// Signed in, but the role does not reach this area or action.
    #[error("forbidden")]
    Forbidden,
    /// A state-changing form without the session's CSRF token.
    #[error("missing or wrong CSRF token")]
    CsrfRejected,
    /// Not signed in: off to the login page, then back to `return_to`.
    #[error("login required")]
    LoginRequired { return_to: String },
    /// The database is out of reach or cannot take writes (a full disk):
    /// `503` with `Retry-After`; the same request may work in a moment.
    #[error("the database is unavailable")]
    Unavailable,
    /// Waited too long for a turn to render a reader's page
    /// (`state::take_turn`): `503` with `Retry-After`, as for `Unavailable`.
    #[error("too many pages being rendered at once")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Seconds a client is asked to wait after a `503`.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl From<diesel::result::Error> for PageError {
    fn from(error: diesel::result::Error) -> PageError {
        PageError::Unexpected(error.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden | PageError::CsrfRejected => StatusCode::FORBIDDEN,
            PageError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            PageError::Unavailable | PageError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    // The themed body is written by `themed_errors`, which can reach the site's settings.
    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::LoginRequired { return_to } => HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/admin/login?redirect_to={}", percent_encode(return_to)),
                ))
                .finish(),
            PageError::Unavailable | PageError::Busy => HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS))
                .finish(),
            _ => HttpResponse::build(self.status_code()).finish(),
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
    offer_search: bool,
}

/// What a reader is told for each status.
pub fn wording(status: StatusCode, error: Option<&PageError>) -> (&'static str, &'static str) {
    match error {
        Some(PageError::CsrfRejected) => {
            return (
                "The link you followed has expired.",
                "Please go back, reload the page and try again.",
            )
        }
        Some(PageError::Forbidden) => {
            return (
                "Forbidden",
                "Sorry, you are not allowed to access this page.",
            )
        }
        _ => {}
    }
    match status.as_u16() {
        404 => (
            "Oops! That page can’t be found.",
            "It looks like nothing was found at this location. Maybe try a search?",
        ),
        403 => ("Forbidden", "You are not allowed to do that."),
        405 => (
            "Method not allowed",
            "This address does not accept that kind of request.",
        ),
        413 => (
            "Too large",
            "What you sent is larger than this site accepts.",
        ),
        429 => (
            "Slow down",
            "Too many requests from your address. Please wait a moment and try again.",
        ),
        400..=499 => ("Bad request", "The request could not be understood."),
        503 => (
            "Unavailable",
            "The site is temporarily unavailable. Please try again in a moment.",
        ),
        _ => (
            "Something went wrong",
            "The site could not show this page. Please try again in a moment.",
        ),
    }
}

/// Renders the themed page for an error status.
pub fn error_page_html(
    site: &SiteSettings,
    status: StatusCode,
    error: Option<&PageError>,
) -> String {
    let (heading, message) = wording(status, error);
    let mut layout = site.layout(Some(heading));
    layout.robots = Some("noindex");
    let page = ErrorPage {
        layout,
        heading,
        message,
        offer_search: status == StatusCode::NOT_FOUND,
    };
    page.render().unwrap_or_else(|_| {
        format!("<!DOCTYPE html><title>{heading}</title><h1>{heading}</h1><p>{message}</p>")
    })
}
