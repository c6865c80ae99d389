//! Whatever no route matched: an old address that moved (`301`), a known page
//! asked for without its trailing slash (`301`), or the themed `404`.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::moved_permanently;
use crate::error::PageError;
use crate::models::media::find_media_by_wp_path;
use crate::models::post::{find_public_post_by_id, find_redirect_target};
use crate::state::AppState;

pub async fn fallback(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let path = request.path().to_owned();
    // A comment to a post whose address has no trailing slash (`/archives/42`).
    if request.method() == Method::POST && path.len() <= 2048 {
        let decoded = crate::domain::slug::percent_decode(&path);
        return super::address::comment_at(&request, &state, &decoded, &body).await;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Err(PageError::NotFound);
    }
    let query = request.query_string();
    if let Some(slashed) = canonical_slash_form(&path) {
        let location = if query.is_empty() {
            slashed
        } else {
            format!("{slashed}?{query}")
        };
        return Ok(moved_permanently(&location));
    }
    let decoded = crate::domain::slug::percent_decode(&path);
    // A post at an address without a trailing slash (`/archives/42`), or
    // below one; or, its slug a post's, that post (`/first-snow` → `/first-snow/`).
    if query.is_empty() && decoded.len() <= 2048 {
        if let Some(answer) = super::address::post_at(&request, &state, &decoded).await? {
            return Ok(answer);
        }
    }
    let old_address = if query.is_empty() {
        decoded
    } else {
        format!("{decoded}?{query}")
    };
    if old_address.len() <= 2048 {
        let found = state
            .db(move |conn| {
                if let Some(post) = find_redirect_target(conn, &old_address)? {
                    return Ok(Some(post.permalink()));
                }
                // A WordPress attachment page leads to its file, as
                // WordPress itself now does; its comments feed to the
                // comments feed of the post it was uploaded to.
                if let Some(media) = find_media_by_wp_path(conn, &old_address)? {
                    return Ok(Some(media.url()));
                }
                // A child page asked for by its own slug alone, as
                // WordPress guesses it (`/directions/` → `/about/directions/`).
                if let Some(slug) = old_address
                    .strip_prefix('/')
                    .and_then(|rest| rest.strip_suffix('/'))
                    .filter(|slug| !slug.is_empty() && !slug.contains(['/', '?']))
                {
                    if let Some(page) =
                        crate::models::post::find_public_page_by_own_slug(conn, slug)?
                    {
                        return Ok(Some(page.permalink()));
                    }
                }
                let Some(attachment) = old_address.strip_suffix("feed/") else {
                    return Ok(None);
                };
                let Some(post_id) =
                    find_media_by_wp_path(conn, attachment)?.and_then(|media| media.post_id)
                else {
                    return Ok(None);
                };
                Ok(find_public_post_by_id(conn, post_id)?.map(|post| {
                    format!("{}feed/", crate::render::thread::below(&post.permalink()))
                }))
            })
            .await?;
        if let Some(location) = found {
            return Ok(moved_permanently(&location));
        }
    }
    Err(PageError::NotFound)
}

/// The trailing-slash form of a reader URL asked for without it, when the
/// path has the shape of one of ours (`/2024/01/02/hello` → `/2024/01/02/hello/`).
pub fn canonical_slash_form(path: &str) -> Option<String> {
    if path.ends_with('/') || path.contains("//") {
        return None;
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is_number = |text: &str| {
        !text.is_empty() && text.len() <= 7 && text.bytes().all(|b| b.is_ascii_digit())
    };
    let is_slug = |text: &str| !text.is_empty() && !text.contains('.');
    let digits =
        |text: &str, count: usize| text.len() == count && text.bytes().all(|b| b.is_ascii_digit());
    let known = match segments.as_slice() {
        ["page", n] => is_number(n),
        ["category", slug] => is_slug(slug),
        ["category", slug, "page", n] => is_slug(slug) && is_number(n),
        ["category", slug, "feed"] => is_slug(slug),
        ["feed"] | ["feed", "atom"] | ["comments", "feed"] | ["admin"] => true,
        [year, month, day, slug] => {
            digits(year, 4) && digits(month, 2) && digits(day, 2) && is_slug(slug)
        }
        [year, month, day, slug, "feed"] => {
            digits(year, 4) && digits(month, 2) && digits(day, 2) && is_slug(slug)
        }
        _ => false,
    };
    known.then(|| format!("{path}/"))
}

#[cfg(test)]
mod tests {
    use super::canonical_slash_form;

    #[test]
    fn reader_urls_without_their_slash_gain_it() {
        for path in [
            "/page/2",
            "/category/neck",
            "/category/neck/page/3",
            "/2022/03/14/a-post",
            "/feed",
            "/2022/03/14/a-post/feed",
        ] {
            assert_eq!(
                canonical_slash_form(path),
                Some(format!("{path}/")),
                "{path}"
            );
        }
    }

    #[test]
    fn other_paths_are_left_alone() {
        for path in [
            "/",
            "/page/2/",
            "/nothing-here",
            "/favicon.ico",
            "/2022/3/14/a-post",
            "/category/a.php",
            "/page/x",
        ] {
            assert_eq!(canonical_slash_form(path), None, "{path}");
        }
    }
}
