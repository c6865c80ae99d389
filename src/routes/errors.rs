//! The one place every error answer becomes a themed page with the right
//! status (`crate::error` says what each error is and how it reads).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};

use crate::error::{error_page_html, PageError};
use crate::models::setting::SiteSettings;
use crate::state::AppState;

/// Middleware: any answer that carries an error (ours or actix's own, such as
/// a malformed path) is logged once and given the themed page for its status.
pub async fn themed_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(request).await?;
    let status = response.status();
    let Some(error) = response.response().error() else {
        return Ok(response.map_into_boxed_body());
    };
    if status.is_redirection() {
        return Ok(response.map_into_boxed_body());
    }
    match error.as_error::<PageError>() {
        // A flood being held back: said, but not as a failure of the site.
        Some(PageError::Busy) => {
            tracing::warn!(status = status.as_u16(), error = %error, "request turned away");
        }
        _ if status.is_server_error() => {
            tracing::error!(status = status.as_u16(), error = %format_chain(error), "request failed");
        }
        _ => {}
    }
    let site = match &state {
        Some(state) => state.site(),
        None => std::sync::Arc::new(SiteSettings::load_defaults()),
    };
    let staff = response
        .request()
        .extensions()
        .get::<crate::routes::staff::Staff>()
        .cloned();
    let in_panel = match (&state, staff) {
        // A signed-in staff member refused in the panel stays in it.
        (Some(state), Some(staff)) if status.is_client_error() => {
            crate::routes::admin::refusal_html(state, &staff, status, error.as_error::<PageError>())
                .await
        }
        _ => None,
    };
    let html =
        in_panel.unwrap_or_else(|| error_page_html(&site, status, error.as_error::<PageError>()));
    let (request, old) = response.into_parts();
    let mut themed = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            themed.append_header((name.clone(), value.clone()));
        }
    }
    themed.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    ));
    themed.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    Ok(ServiceResponse::new(request, themed.body(html)))
}

fn format_chain(error: &actix_web::Error) -> String {
    match error.as_error::<PageError>() {
        Some(PageError::Unexpected(cause)) => format!("{cause:#}"),
        _ => error.to_string(),
    }
}
