//! Compression of the answers the page cache does not keep (pages with a
//! query, the panel, a visitor's own held comments): the whole body at
//! once, on a blocking thread (never on the thread serving connections),
//! sent with its length in one piece, and only when it comes out smaller.
//! Kept pages carry their own variants (`page_cache`); files are sent as
//! stored.

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web;

use crate::page_cache::{brotli_at, gzip_at, preferred_encoding};

/// Smaller answers are not worth the work (nor the header).
const MIN_BYTES: u64 = 1024;
/// Larger ones are not pages: sent as they are.
const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Levels for an answer made once and sent once: fast ones. (Brotli at 4
/// makes smaller bodies than gzip at 6 in less time.)
const GZIP_LEVEL: u32 = 4;
const BROTLI_QUALITY: i32 = 4;

/// Whether a content type is text that compresses.
fn compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.starts_with("text/")
        || essence.ends_with("+xml")
        || essence.ends_with("/xml")
        || essence.ends_with("/json")
        || essence == "application/javascript"
        || essence == "image/svg+xml"
}

/// Middleware: the answer compressed as the request allows, when it is
/// text of a worthwhile size that nobody encoded yet.
pub async fn compress_dynamic(
    request: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoding = preferred_encoding(request.headers().get(header::ACCEPT_ENCODING));
    let head_request = request.method() == Method::HEAD;
    let mut response = next.call(request).await?;
    let headers = response.headers();
    // A file sent as stored says so; the header itself means nothing to clients.
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|value| value == "identity")
    {
        response.headers_mut().remove(header::CONTENT_ENCODING);
        return Ok(response.map_into_boxed_body());
    }
    let text = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(compressible);
    let size = match response.response().body().size() {
        BodySize::Sized(size) => size,
        _ => 0,
    };
    if !text
        || headers.contains_key(header::CONTENT_ENCODING)
        || response.status() == StatusCode::NO_CONTENT
        || !(MIN_BYTES..=MAX_BYTES).contains(&size)
    {
        return Ok(response.map_into_boxed_body());
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let Some(encoding) = encoding.filter(|_| !head_request) else {
        return Ok(response.map_into_boxed_body());
    };
    let (http_request, http_response) = response.into_parts();
    let (mut head, body_part) = http_response.into_parts();
    let Ok(plain) = body::to_bytes(body_part).await else {
        return Ok(ServiceResponse::new(
            http_request,
            actix_web::HttpResponse::InternalServerError().finish(),
        ));
    };
    let to_compress = plain.clone();
    let encoded = web::block(move || match encoding {
        "br" => brotli_at(&to_compress, BROTLI_QUALITY),
        _ => gzip_at(&to_compress, GZIP_LEVEL),
    })
    .await
    .unwrap_or_default();
    let body = if !encoded.is_empty() && encoded.len() < plain.len() {
        head.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        encoded
    } else {
        plain
    };
    head.headers_mut().remove(header::CONTENT_LENGTH);
    Ok(ServiceResponse::new(
        http_request,
        head.set_body(body).map_into_boxed_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_compresses_and_pictures_do_not() {
        for kind in [
            "text/html; charset=utf-8",
            "application/rss+xml; charset=utf-8",
            "application/xml",
            "application/json",
            "text/css",
            "image/svg+xml",
        ] {
            assert!(compressible(kind), "{kind}");
        }
        for kind in ["image/png", "application/octet-stream", "video/mp4", ""] {
            assert!(!compressible(kind), "{kind}");
        }
    }
}
