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

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;

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

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().ok()?.get(key).cloned()?;
        (page.version == self.version()).then_some(page)
    }

    pub fn insert(&self, key: String, page: CachedPage) {
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
    pub async fn fill_turn(&self, key: &str) -> FillTurn<'_> {
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
pub struct FillTurn<'a> {
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

pub fn serve(
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

impl CachedPage {
    /// A rendered answer, kept with its gzip and brotli variants (made on a
    /// blocking thread: compressing takes milliseconds).
    pub async fn compress(
        version: i64,
        status: StatusCode,
        headers: Vec<(HeaderName, HeaderValue)>,
        etag: HeaderValue,
        identity: Bytes,
    ) -> CachedPage {
        let plain = identity.clone();
        let (gzip, brotli) = web::block(move || (gzip(&plain), brotli(&plain)))
            .await
            .unwrap_or_default();
        CachedPage {
            version,
            status,
            headers,
            etag,
            identity,
            gzip,
            brotli,
        }
    }
}
