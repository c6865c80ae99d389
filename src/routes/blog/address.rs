//! A post at the address the site's permalink structure gives it
//! (`/first-snow/`, `/archives/42`, `/trails/first-snow.html`…) and the
//! addresses below it, as WordPress answers them: `feed/`,
//! `comment-page-N/`, and `amp/`, `trackback/`, `embed/` and `1/` back to
//! the post. ferropress's own `/YYYY/MM/DD/slug/` has routes of its own.

use actix_web::{web, HttpRequest, HttpResponse};

use super::moved_permanently;
use crate::domain::Permalink;
use crate::error::PageError;
use crate::state::AppState;

/// What an address below a post asks for.
enum Below {
    Feed,
    CommentPage(usize),
    /// Page N of a post's text (`<!--nextpage-->`).
    Part(usize),
    /// An address WordPress leads back to the post from.
    ThePost,
}

/// `/first-snow/feed/` → (`/first-snow/`, Feed); `None` when `path` ends
/// in nothing a post has below it.
fn below_a_post(path: &str) -> Option<(&str, Below)> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    for feed in [
        "/feed",
        "/feed/rss2",
        "/feed/rss",
        "/feed/rdf",
        "/feed/atom",
    ] {
        if let Some(base) = trimmed.strip_suffix(feed) {
            return Some((base, Below::Feed));
        }
    }
    let (base, last) = trimmed.rsplit_once('/')?;
    if base.is_empty() {
        return None;
    }
    if let Some(number) = last.strip_prefix("comment-page-") {
        let page: usize = number
            .parse()
            .ok()
            .filter(|page| (1..=1_000_000).contains(page))?;
        // The first comment page is the post's own address.
        if page == 1 {
            return Some((base, Below::ThePost));
        }
        return Some((base, Below::CommentPage(page)));
    }
    match last {
        "amp" | "trackback" | "embed" | "1" => Some((base, Below::ThePost)),
        number => {
            let part: usize = number
                .parse()
                .ok()
                .filter(|part| (2..=1000).contains(part))?;
            // Digits alone: not a leading zero, which no page number has.
            (!number.starts_with('0')).then_some((base, Below::Part(part)))
        }
    }
}

/// The post at `path` (a `GET` the routes before found no page for), or
/// at the address above a child address; `None` when no post is there.
pub async fn post_at(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    path: &str,
) -> Result<Option<HttpResponse>, PageError> {
    let lives_at = |path: String| async move {
        state
            .db(move |conn| crate::models::post::find_public_post_by_path(conn, &path))
            .await
            .map(|found| found.is_some())
    };
    // Exactly a post's address, or below one (before any guess from a
    // slug: `/first-snow/13/` is page 13 of that post, not a post `13`).
    let below = below_a_post(path);
    let here = lives_at(path.to_owned()).await?;
    let mut base_at = None;
    if let (false, Some((base, _))) = (here, &below) {
        for candidate in [format!("{base}/"), (*base).to_owned()] {
            if lives_at(candidate.clone()).await? {
                base_at = Some(candidate);
                break;
            }
        }
    }
    if base_at.is_none() {
        // An address that moved, or whose slug is a post's.
        match super::post::show_post(request.clone(), state.clone(), &Permalink::at(path), 1, 1)
            .await
        {
            Err(PageError::NotFound) => {}
            answer => return answer.map(Some),
        }
    }
    let Some((base, below)) = below else {
        return Ok(None);
    };
    // Below a post that lives here, or below an address that moved.
    let permalink = Permalink::at(&base_at.unwrap_or_else(|| format!("{base}/")));
    let answer = match below {
        Below::Feed => crate::routes::feeds::comments_feed_at(request, state, permalink).await,
        Below::CommentPage(page) => {
            super::post::show_post(request.clone(), state.clone(), &permalink, page, 1).await
        }
        Below::Part(part) => {
            super::post::show_post(request.clone(), state.clone(), &permalink, 1, part).await
        }
        Below::ThePost => {
            let found = state
                .db(move |conn| crate::models::post::find_post_at(conn, &permalink))
                .await?;
            match found {
                Some(crate::models::post::PostAt::Here(post)) => {
                    Ok(moved_permanently(&post.permalink()))
                }
                Some(crate::models::post::PostAt::Moved(path)) => Ok(moved_permanently(&path)),
                None => Err(PageError::NotFound),
            }
        }
    };
    match answer {
        Err(PageError::NotFound) => Ok(None),
        answer => answer.map(Some),
    }
}

/// A comment sent to the post at `path` (the form's action is the post's
/// address, whatever the structure); `404` when no post is there.
pub async fn comment_at(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    body: &[u8],
) -> Result<HttpResponse, PageError> {
    if body.len() > crate::routes::COMMENT_BODY_LIMIT {
        return Ok(HttpResponse::PayloadTooLarge().finish());
    }
    crate::routes::comments::submit::submit_to(request, state, &Permalink::at(path), body).await
}

/// `POST /{path}/`: a comment to a post at its structure's address.
pub async fn comment(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let path = crate::domain::slug::percent_decode(request.path());
    comment_at(&request, &state, &path, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_below_a_post_are_read_as_wordpress_reads_them() {
        let read = |path| {
            below_a_post(path).map(|(base, below)| {
                (
                    base.to_owned(),
                    match below {
                        Below::Feed => "feed".to_owned(),
                        Below::CommentPage(page) => format!("page {page}"),
                        Below::ThePost => "post".to_owned(),
                        Below::Part(part) => format!("part {part}"),
                    },
                )
            })
        };
        assert_eq!(
            read("/first-snow/feed/"),
            Some(("/first-snow".into(), "feed".into()))
        );
        assert_eq!(
            read("/archives/42/feed/rss2/"),
            Some(("/archives/42".into(), "feed".into()))
        );
        assert_eq!(
            read("/first-snow/comment-page-3/"),
            Some(("/first-snow".into(), "page 3".into()))
        );
        assert_eq!(
            read("/first-snow/amp/"),
            Some(("/first-snow".into(), "post".into()))
        );
        assert_eq!(read("/first-snow/comment-page-0/"), None);
        assert_eq!(read("/first-snow/"), None);
        assert_eq!(read("/amp/"), None);
    }
}
