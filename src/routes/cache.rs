//! The page cache's place in the request: answers from `crate::page_cache`,
//! fills it, and rereads the content version after a request that may have
//! changed something (and, in the background, for other processes' changes).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

use crate::page_cache::{serve, CachedPage, Lookup, Shows, VERSION_POLL};
use crate::routes::comments::held::COOKIE_NAME as HELD_COOKIE;
use crate::routes::staff::SESSION_COOKIE;
use crate::state::AppState;

/// Marks the answer to a state-changing request that changed nothing readers
/// see (a held comment, a refused one), so the content version need not be
/// reread after it.
#[derive(Debug, Clone, Copy)]
pub struct NothingPublished;

/// A request whose answer is the same for everyone: a reader's GET without a
/// query, and without the cookie that shows them their own held comments.
fn cacheable_request(request: &ServiceRequest) -> bool {
    (request.method() == Method::GET || request.method() == Method::HEAD)
        && cache_key(request).is_some()
        && !request.path().starts_with("/admin")
        // One per commenter, drawn in microseconds: not worth a cache slot.
        && !request.path().starts_with("/avatar/")
        // Files, served from disk with their own validators.
        && !request.path().starts_with("/wp-content/")
        && request.cookie(HELD_COOKIE).is_none()
        && request.cookie(FRESH_COOKIE).is_none()
        // Their own details go into the comment form: never shared.
        && request.cookie(crate::routes::comments::remembered::COOKIE_NAME).is_none()
        // Their own comments show Edit and Delete links to them alone.
        && !crate::routes::comments::own::has_own_cookies(request)
        // A post password they typed shows them what others may not see.
        && request.cookie(crate::routes::blog::protected::COOKIE_NAME).is_none()
}

/// Set for a little while on a reader whose comment was published at once:
/// their pages are rendered for them, so they see it even while others are
/// still given the copy from a moment before.
pub const FRESH_COOKIE: &str = "ferropress_fresh";

/// The cookie above, for 30 seconds.
pub fn fresh_cookie(secure: bool) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(FRESH_COOKIE, "1")
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(30))
        .finish()
}

/// Where a request's answer is kept: its path; for a search, the path and
/// its query as sent, when it holds nothing but `q` and `page` (search
/// pages are few and bounded in the cache: `page_cache::MAX_SEARCH_PAGES`).
fn cache_key(request: &ServiceRequest) -> Option<String> {
    let query = request.query_string();
    if query.is_empty() {
        return Some(request.path().to_owned());
    }
    if request.path() != "/search" {
        return None;
    }
    let names: Vec<&str> = query
        .split('&')
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .collect();
    let plain = names.len() <= 2
        && names.iter().all(|name| matches!(*name, "q" | "page"))
        && !(names.len() == 2 && names[0] == names[1]);
    plain.then(|| format!("/search?{query}"))
}

/// The cached page, in the encoding the request takes.
fn from_cache(
    request: ServiceRequest,
    page: &CachedPage,
    state: &AppState,
) -> ServiceResponse<BoxBody> {
    let headers = request.headers();
    let response = serve(
        headers,
        headers.get(header::ACCEPT_ENCODING),
        page,
        crate::models::now(),
        &state.page_cache.widget(),
        |at| form_token(&state.secret_key, at),
    );
    request.into_response(response)
}

/// The comment form's timing token for a page shown at `at`.
fn form_token(secret: &str, at: i64) -> String {
    crate::routes::comments::view::form_token(secret, at)
}

/// Middleware, inside the page cache (so only what it does not answer gets
/// here): a reader's page is rendered in its turn (`AppState::renders`).
/// The panel, mail links, files and health checks go straight on; searches
/// take turns of their own. Staff reading the blog take turns as readers
/// do: a session cookie is not checked here, and anyone can send one.
pub async fn render_turns(
    request: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    const OWN_WAY: &[&str] = &["/admin", "/healthz", "/search"];
    const OWN_WAY_UNDER: &[&str] = &[
        "/admin/",
        "/moderate/",
        "/subscriptions/",
        "/static/",
        "/avatar/",
        "/wp-content/",
    ];
    let path = request.path();
    let reader_page = (request.method() == Method::GET || request.method() == Method::HEAD)
        && !OWN_WAY.contains(&path)
        && !OWN_WAY_UNDER.iter().any(|prefix| path.starts_with(prefix));
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let _turn = match &state {
        Some(state) if reader_page => match crate::state::take_turn(&state.renders).await {
            Ok(turn) => Some(turn),
            Err(busy) => return Ok(request.error_response(busy)),
        },
        _ => None,
    };
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// Middleware: answers from the cache, fills it, and after a request that
/// may have changed something, rereads the content version.
pub async fn page_cache(
    mut request: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    if !cacheable_request(&request) {
        let changes_things = request.method() != Method::GET && request.method() != Method::HEAD;
        let response = next.call(request).await?;
        let answered = std::time::Instant::now();
        if changes_things
            && !response.status().is_server_error()
            && !response
                .response()
                .extensions()
                .contains::<NothingPublished>()
        {
            state.refresh_content_version_after(answered).await;
        }
        return Ok(response.map_into_boxed_body());
    }
    let Some(key) = cache_key(&request) else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let cache = &state.page_cache;
    // The copy from before, for when the page cannot be rendered anew now.
    let mut earlier = None;
    let _turn = match cache.get(&key) {
        Lookup::Fresh(page) => {
            count_cache(true);
            return Ok(from_cache(request, &page, &state));
        }
        // Touched by a comment since: the first reader renders it anew;
        // while they do, others get the copy they would have had a moment
        // before (staff, who may have just made the change, wait for it).
        Lookup::Stale(page) => match cache.try_fill_turn(&key) {
            Some(turn) => {
                earlier = Some(page);
                turn
            }
            None if request.cookie(SESSION_COOKIE).is_none() => {
                count_cache(true);
                return Ok(from_cache(request, &page, &state));
            }
            None => {
                earlier = Some(page);
                cache.fill_turn(&key).await
            }
        },
        // A page in a storm of comments, rendered a moment ago: as it is
        // (staff, who may have just made the change, wait for it).
        Lookup::Settling(page) if request.cookie(SESSION_COOKIE).is_none() => {
            count_cache(true);
            return Ok(from_cache(request, &page, &state));
        }
        Lookup::Settling(page) => {
            earlier = Some(page);
            cache.fill_turn(&key).await
        }
        // A miss: one request renders, the others wait for its bytes.
        Lookup::Missing => cache.fill_turn(&key).await,
    };
    if let Lookup::Fresh(page) = cache.get(&key) {
        count_cache(true);
        return Ok(from_cache(request, &page, &state));
    }
    count_cache(false);
    // Render without compression, keep every variant, answer with the right one.
    let version = cache.version();
    let accept_encoding = request.headers_mut().remove(header::ACCEPT_ENCODING).next();
    let request_headers = request.headers().clone();
    let response = next.call(request).await?;
    // Turned away (too many renders at once) or the database is out of
    // reach: the copy from before, rather than a `503`.
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        if let Some(page) = earlier {
            let answer = serve(
                &request_headers,
                accept_encoding.as_ref(),
                &page,
                crate::models::now(),
                &state.page_cache.widget(),
                |at| form_token(&state.secret_key, at),
            );
            return Ok(ServiceResponse::new(response.into_parts().0, answer));
        }
    }
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("public"));
    if response.status() != StatusCode::OK
        || !public
        || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return Ok(response.map_into_boxed_body());
    }
    let (http_request, http_response) = response.into_parts();
    let (head, body_part) = http_response.into_parts();
    let identity = match body::to_bytes(body_part).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Ok(ServiceResponse::new(
                http_request,
                HttpResponse::InternalServerError().finish(),
            ))
        }
    };
    let etag = head
        .headers()
        .get(header::ETAG)
        .cloned()
        .or_else(|| {
            HeaderValue::from_str(&format!(
                "\"{}\"",
                &hex::encode(Sha256::digest(&identity))[..20]
            ))
            .ok()
        })
        .unwrap_or_else(|| HeaderValue::from_static("\"0\""));
    let headers = head
        .headers()
        .iter()
        .filter(|(name, _)| {
            *name != header::CONTENT_LENGTH
                && *name != header::ETAG
                && *name != header::CONTENT_ENCODING
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let shows = head
        .extensions()
        .get::<Shows>()
        .map(|shows| shows.0.clone());
    let page = CachedPage::compress(version, head.status(), headers, etag, identity, shows).await;
    let response = serve(
        &request_headers,
        accept_encoding.as_ref(),
        &page,
        crate::models::now(),
        &cache.widget(),
        |at| form_token(&state.secret_key, at),
    );
    cache.insert(key, page);
    Ok(ServiceResponse::new(http_request, response))
}

/// Polls the database's content version, so pages changed by another
/// `serve` process stop being served within `VERSION_POLL`.
pub async fn watch_content_version(
    state: web::Data<AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut polls: u32 = 0;
    while !*stop.borrow() {
        state.refresh_content_version().await;
        polls = polls.wrapping_add(1);
        // Now and then, forget changes every cache has long applied.
        if polls.is_multiple_of(50) {
            let version = state.page_cache.version();
            if let Err(error) = state
                .db(move |conn| crate::models::retirement::prune(conn, version))
                .await
            {
                tracing::debug!(error = %error, "cannot prune the page retirements");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(VERSION_POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

fn count_cache(hit: bool) {
    if crate::metrics::enabled() {
        let name = if hit {
            crate::metrics::PAGE_CACHE_HITS
        } else {
            crate::metrics::PAGE_CACHE_MISSES
        };
        metrics::counter!(name).increment(1);
    }
}
