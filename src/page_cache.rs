//! Render once, serve many: reader pages kept in memory as the bytes sent,
//! with their ETag and gzip and brotli variants made once.
//!
//! Every change to what readers see bumps a content version in the database
//! (in the change's own transaction). A page is served from memory only
//! while its version is current. A process learns of its own changes at once
//! (each state-changing request rereads the version before it answers) and of
//! other processes' within `VERSION_POLL` (a background poll).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};

use crate::routes::comments::held::COOKIE_NAME as HELD_COOKIE;
use crate::startup::AppState;

/// How often a process looks for other processes' changes.
pub const VERSION_POLL: Duration = Duration::from_millis(200);
/// Memory the cache may hold, all variants counted (setting `page_cache_bytes`).
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// One cached answer: its headers and body in each encoding.
pub struct CachedPage {
    version: i64,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: HeaderValue,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
}

impl CachedPage {
    fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.brotli.len() + 512
    }
}

/// The pages, and the content version they must match.
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    /// One renderer per missing page: the others wait for its bytes instead
    /// of all rendering (and holding) the same page at once.
    filling: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Pages rendered into the cache so far.
    fills: AtomicUsize,
    bytes: AtomicUsize,
    limit: usize,
    version: AtomicI64,
}

impl PageCache {
    pub fn new(limit: usize, version: i64) -> PageCache {
        PageCache {
            pages: RwLock::default(),
            filling: Mutex::default(),
            fills: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            limit,
            version: AtomicI64::new(version),
        }
    }

    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// Adopts the database's version; older pages stop being served.
    pub fn set_version(&self, version: i64) {
        let previous = self.version.swap(version, Ordering::AcqRel);
        if previous != version {
            self.clear();
        }
    }

    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
            self.bytes.store(0, Ordering::Release);
        }
    }

    fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().ok()?.get(key).cloned()?;
        (page.version == self.version()).then_some(page)
    }

    fn insert(&self, key: String, page: CachedPage) {
        let size = page.size();
        if size > self.limit / 4 || page.version != self.version() {
            return;
        }
        let Ok(mut pages) = self.pages.write() else {
            return;
        };
        self.fills.fetch_add(1, Ordering::AcqRel);
        // Bounded: when full, start over (pages come back on their next visit).
        if self.bytes.load(Ordering::Acquire) + size > self.limit {
            pages.clear();
            self.bytes.store(0, Ordering::Release);
        }
        if let Some(old) = pages.insert(key, Arc::new(page)) {
            self.bytes.fetch_sub(old.size(), Ordering::AcqRel);
        }
        self.bytes.fetch_add(size, Ordering::AcqRel);
    }

    /// Waits for this page's turn to be rendered; the turn ends when the
    /// returned guard drops.
    async fn fill_turn(&self, key: &str) -> FillTurn<'_> {
        let lock = {
            let mut filling = self
                .filling
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            filling.entry(key.to_owned()).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        FillTurn {
            cache: self,
            key: key.to_owned(),
            lock,
            guard: Some(guard),
        }
    }

    /// Pages rendered into the cache since start (for tests).
    pub fn fills(&self) -> usize {
        self.fills.load(Ordering::Acquire)
    }

    /// Bytes held now (for tests and the benchmark).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map(Bytes::from).unwrap_or_default()
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::new();
    // A window no bigger than the page: the encoder's memory follows it.
    let fits = usize::BITS - bytes.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: fits.clamp(16, 22) as i32,
        size_hint: bytes.len(),
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &bytes[..], &mut out, &params) {
        Ok(_) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

/// A page's turn to be rendered; forgets the page's lock when no one else waits.
struct FillTurn<'a> {
    cache: &'a PageCache,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for FillTurn<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut filling = self
            .cache
            .filling
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Ours and the map's: nobody else is waiting for this page.
        if Arc::strong_count(&self.lock) == 2 {
            filling.remove(&self.key);
        }
    }
}

/// Which variant a client takes (from its `Accept-Encoding`): brotli, gzip or identity.
fn preferred_encoding(accept_encoding: Option<&HeaderValue>) -> Option<&'static str> {
    let accepted = accept_encoding?.to_str().ok()?.to_ascii_lowercase();
    let offers = |name: &str| {
        accepted.split(',').any(|part| {
            let mut pieces = part.trim().split(';');
            pieces.next() == Some(name) && !pieces.any(|parameter| parameter.trim() == "q=0")
        })
    };
    if offers("br") {
        Some("br")
    } else if offers("gzip") {
        Some("gzip")
    } else {
        None
    }
}

/// Whether `If-Modified-Since` is at or after the page's `Last-Modified`.
fn unmodified_since(if_modified_since: Option<&HeaderValue>, page: &CachedPage) -> bool {
    let parse = |value: &HeaderValue| {
        value
            .to_str()
            .ok()?
            .parse::<header::HttpDate>()
            .ok()
            .map(std::time::SystemTime::from)
    };
    let last_modified = page
        .headers
        .iter()
        .find(|(name, _)| *name == header::LAST_MODIFIED)
        .and_then(|(_, value)| parse(value));
    match (if_modified_since.and_then(parse), last_modified) {
        (Some(since), Some(modified)) => since >= modified,
        _ => false,
    }
}

fn serve(
    request_headers: &header::HeaderMap,
    accept_encoding: Option<&HeaderValue>,
    page: &CachedPage,
) -> HttpResponse {
    let if_none_match = request_headers.get(header::IF_NONE_MATCH);
    let fresh = match if_none_match {
        None => unmodified_since(request_headers.get(header::IF_MODIFIED_SINCE), page),
        Some(_) => if_none_match.is_some_and(|value| {
            value
                .as_bytes()
                .split(|b| *b == b',')
                .any(|tag| tag.trim_ascii() == page.etag.as_bytes())
        }),
    };
    let mut response = HttpResponse::build(if fresh {
        StatusCode::NOT_MODIFIED
    } else {
        page.status
    });
    for (name, value) in &page.headers {
        response.append_header((name.clone(), value.clone()));
    }
    response.insert_header((header::ETAG, page.etag.clone()));
    response.insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    if fresh {
        return response.finish();
    }
    match preferred_encoding(accept_encoding) {
        Some("br") if !page.brotli.is_empty() => response
            .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")))
            .body(page.brotli.clone()),
        Some("gzip") | Some("br") if !page.gzip.is_empty() => response
            .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
            .body(page.gzip.clone()),
        _ => response.body(page.identity.clone()),
    }
}

/// Marks the answer to a state-changing request that changed nothing readers
/// see (a held comment, a refused one), so the content version need not be
/// reread after it.
#[derive(Debug, Clone, Copy)]
pub struct NothingPublished;

/// A request whose answer is the same for everyone: a reader's GET without a
/// query, and without the cookie that shows them their own held comments.
fn cacheable_request(request: &ServiceRequest) -> bool {
    (request.method() == Method::GET || request.method() == Method::HEAD)
        && request.query_string().is_empty()
        && !request.path().starts_with("/admin")
        // One per commenter, drawn in microseconds: not worth a cache slot.
        && !request.path().starts_with("/avatar/")
        && request.cookie(HELD_COOKIE).is_none()
}

/// The cached page, in the encoding the request takes.
fn from_cache(request: ServiceRequest, page: &CachedPage) -> ServiceResponse<BoxBody> {
    let headers = request.headers();
    let response = serve(headers, headers.get(header::ACCEPT_ENCODING), page);
    request.into_response(response)
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
        if changes_things
            && !response.status().is_server_error()
            && !response
                .response()
                .extensions()
                .contains::<NothingPublished>()
        {
            state.refresh_content_version().await;
        }
        return Ok(response.map_into_boxed_body());
    }
    let key = request.path().to_owned();
    let cache = &state.page_cache;
    if let Some(page) = cache.get(&key) {
        return Ok(from_cache(request, &page));
    }
    // A miss: one request renders, the others wait for its bytes.
    let _turn = cache.fill_turn(&key).await;
    if let Some(page) = cache.get(&key) {
        return Ok(from_cache(request, &page));
    }
    // Render without compression, keep every variant, answer with the right one.
    let version = cache.version();
    let accept_encoding = request.headers_mut().remove(header::ACCEPT_ENCODING).next();
    let request_headers = request.headers().clone();
    let response = next.call(request).await?;
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
    // Compressing takes milliseconds: not on the thread serving connections.
    let plain = identity.clone();
    let (gzip, brotli) = web::block(move || (gzip(&plain), brotli(&plain)))
        .await
        .unwrap_or_default();
    let page = CachedPage {
        version,
        status: head.status(),
        headers,
        etag,
        gzip,
        brotli,
        identity,
    };
    let response = serve(&request_headers, accept_encoding.as_ref(), &page);
    cache.insert(key, page);
    Ok(ServiceResponse::new(http_request, response))
}

/// Polls the database's content version, so pages changed by another
/// `serve` process stop being served within `VERSION_POLL`.
pub async fn watch_content_version(
    state: web::Data<AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        state.refresh_content_version().await;
        tokio::select! {
            _ = tokio::time::sleep(VERSION_POLL) => {}
            _ = stop.changed() => {}
        }
    }
}
