//! `/wp-content/uploads/…`: the media library's files, at WordPress's own
//! paths so imported content works unchanged. `ETag`, `Last-Modified`,
//! `Range` and `HEAD` as a file server answers them; never a page: HTML,
//! SVG, scripts and the like are not served at all.

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::PageError;
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
    let full = state.config.media_dir.join(relative);
    // Opening touches the disk: not on the threads serving connections.
    let file = web::block(move || -> std::io::Result<Option<NamedFile>> {
        if !std::fs::metadata(&full)?.is_file() {
            return Ok(None);
        }
        NamedFile::open(&full).map(Some)
    })
    .await
    .map_err(|error| PageError::Unexpected(anyhow::anyhow!("opening a file failed: {error}")))?
    .ok()
    .flatten()
    .ok_or(PageError::NotFound)?
    .use_etag(true)
    .use_last_modified(true);
    let mut response = file.into_response(&request);
    let headers = response.headers_mut();
    // An upload keeps its name for good (a new one gets a new name).
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=2592000"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
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
