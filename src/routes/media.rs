//! `/wp-content/uploads/…`: the media library's files, at WordPress's own
//! paths so imported content works unchanged. `ETag`, `Last-Modified`,
//! `Range` and `HEAD` as a file server answers them; never a page: HTML,
//! SVG, scripts and the like are not served at all.

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use futures_util::StreamExt;

use crate::error::PageError;
use crate::media_store::{Body, ByteRange, Fetched, Found, Want};
use crate::state::AppState;

/// What the library serves, by extension: pictures, sound, video, documents.
const SERVED: [&str; 17] = [
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "ico", "bmp", "pdf", "mp3", "m4a", "ogg",
    "wav", "mp4", "m4v", "webm",
];

/// A path below the uploads folder that stays there and names a kind of
/// file the library serves.
fn servable(path: &str) -> Option<&str> {
    let inside = path.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && !segment.starts_with('.')
            && !segment.contains(['\\', '\0'])
    });
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    (inside && SERVED.contains(&extension.as_str())).then_some(path)
}

pub async fn serve(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let path = path.into_inner();
    let relative = servable(&path).ok_or(PageError::NotFound)?;
    let want = Want {
        head: request.method() == Method::HEAD,
        range: request
            .headers()
            .get(header::RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(ByteRange::parse),
    };
    let fetched =
        state.media.fetch(relative, want).await.map_err(|error| {
            PageError::Unexpected(anyhow::anyhow!("reading {relative}: {error}"))
        })?;
    let found = match fetched {
        Fetched::Missing => return Err(PageError::NotFound),
        Fetched::Unsatisfiable { size } => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish())
        }
        Fetched::Found(found) => found,
    };
    if found
        .e_tag
        .as_deref()
        .is_some_and(|tag| none_match_fails(&request, tag))
    {
        let mut response = HttpResponse::NotModified();
        file_headers(&mut response, &found);
        return Ok(response.finish());
    }
    let mut response = HttpResponse::build(if found.partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    file_headers(&mut response, &found);
    response.insert_header((header::CONTENT_TYPE, content_type(relative)));
    if found.partial {
        response.insert_header((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                found.range.start,
                found.range.end.saturating_sub(1),
                found.size
            ),
        ));
    }
    let length = found.range.end - found.range.start;
    Ok(match found.body {
        Body::Whole(bytes) => response.body(bytes),
        Body::Stream(stream) => response.body(SizedStream::new(length, stream.boxed())),
        // `HEAD`: the length of what `GET` would send, and nothing.
        Body::Nothing => response.body(SizedStream::new(
            length,
            futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>(),
        )),
    })
}

/// What every answer about a file says: how to cache it and how to check.
fn file_headers(response: &mut HttpResponseBuilder, found: &Found) {
    if let Some(tag) = &found.e_tag {
        response.insert_header((header::ETAG, tag.as_str()));
    }
    response.insert_header((
        header::LAST_MODIFIED,
        header::HttpDate::from(std::time::SystemTime::from(found.last_modified)).to_string(),
    ));
    // An upload keeps its name for good (a new one gets a new name).
    response.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=2592000"),
    ));
    response.insert_header((header::ACCEPT_RANGES, HeaderValue::from_static("bytes")));
    response.insert_header((
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ));
    // Served as stored: never compressed on the way (which would also
    // break ranges).
    response.insert_header((
        header::CONTENT_ENCODING,
        HeaderValue::from_static("identity"),
    ));
}

/// Whether `If-None-Match` names the file as the client has it.
fn none_match_fails(request: &HttpRequest, tag: &str) -> bool {
    let bare = |candidate: &str| {
        candidate
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let ours = bare(tag);
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == ours)
}

fn content_type(relative: &str) -> String {
    mime_guess::from_path(relative)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::servable;

    #[test]
    fn only_library_files_inside_the_folder_are_served() {
        assert!(servable("2023/03/x-ray.jpg").is_some());
        assert!(servable("2023/03/chart.PNG").is_some());
        for refused in [
            "../secret.jpg",
            "2023/../../etc/passwd.jpg",
            "2023//x.jpg",
            "2023/03/page.html",
            "2023/03/logo.svg",
            "2023/03/shell.php",
            "2023/03/.hidden.jpg",
            "2023/03/noextension",
        ] {
            assert!(servable(refused).is_none(), "{refused}");
        }
    }
}
