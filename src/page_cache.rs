//! Render once, serve many: reader pages kept in memory as the bytes sent,
//! with their ETag and gzip and brotli variants made once.
//!
//! Every change to what readers see bumps a content version in the database
//! and says what it touched (`models::retirement`), in the change's own
//! transaction. A change to one post's comments retires only the pages that
//! show that post (its pages and feed, the listings it is on: they show its
//! comment count) and the pages that did not say what they show; any other
//! change retires every page. What every page shows of other posts'
//! comments, the sidebar's Recent Comments, is cut out of a kept page and
//! put back as it is now whenever the page is sent (`Splice`), as is the
//! comment form's timing token. A page its comments keep changing (a storm)
//! is rendered anew at most once per `STORM_GRACE`; in between, readers get
//! the copy from a moment before. A process learns of its own changes at once
//! (each state-changing request rereads the version before it answers) and of
//! other processes' within `VERSION_POLL` (a background poll).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};

/// How often a process looks for other processes' changes.
pub const VERSION_POLL: Duration = Duration::from_millis(200);
/// Search result pages kept at most (the oldest go first): any query can
/// be asked, so they get a bound of their own.
pub const MAX_SEARCH_PAGES: usize = 200;
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
    /// A page with holes (a comment form's timing token, the sidebar's
    /// Recent Comments): filled as they are now each time it is sent.
    splice: Option<Splice>,
    /// The posts whose comments it shows (`None`: it may show any).
    shows: Option<Vec<i64>>,
}

/// Put in a response's extensions by a handler: the posts whose comments
/// (or comment counts) the page shows, and that it depends on no other
/// comments. A page without it is retired by every change of comments.
#[derive(Debug, Clone, Default)]
pub struct Shows(pub Vec<i64>);

impl Shows {
    /// A page that shows no comments at all.
    pub fn nothing() -> Shows {
        Shows(Vec::new())
    }

    /// `response`, marked as showing these posts' comments.
    pub fn on(self, mut response: actix_web::HttpResponse) -> actix_web::HttpResponse {
        response.extensions_mut().insert(self);
        response
    }
}

/// What a newer content version retires.
#[derive(Debug, Clone)]
pub enum Retired {
    Everything,
    /// The pages showing these posts' comments.
    CommentsOf(Vec<i64>),
}

impl CachedPage {
    fn size(&self) -> usize {
        // The parts, and this second's views made from them.
        let spliced = self.splice.as_ref().map_or(0, |splice| {
            let deflated: usize = splice.parts.iter().map(|part| part.deflate.len()).sum();
            2 * deflated + self.identity.len()
        });
        self.identity.len() + self.gzip.len() + self.brotli.len() + spliced + 512
    }
}

/// Where the comment form's timing token sits in a page.
const TOKEN_ATTRIBUTE: &[u8] = b"name=\"fp_ts\" value=\"";
/// Where the sidebar's Recent Comments widget starts
/// (`SiteChrome::recent_comments_widget`), and where it ends. No post or
/// comment can hold the start: their sanitiser drops `id` attributes (and
/// escapes quotes in the values it keeps).
const RECENT_COMMENTS_START: &[u8] =
    b"<section id=\"recent-comments\" class=\"widget widget-recent-comments\">";
const SECTION_END: &[u8] = b"</section>";

/// What a hole cut in a kept page is filled with when the page is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    /// The comment form's timing token (`fp_ts`): the second of the view, signed.
    Token,
    /// The sidebar's Recent Comments widget as it is now.
    RecentComments,
}

/// The sidebar's Recent Comments widget as pages go out now, set whenever
/// the recent comments change (`PageCache::set_recent_comments`): a kept
/// page shows a comment approved on another post without being rendered
/// anew, so such a comment retires only its own post's pages.
pub struct Widget {
    html: Bytes,
    /// Raw deflate of the widget alone, flushed to a byte boundary.
    deflate: Bytes,
    crc: crc32fast::Hasher,
    /// Counts the widget's changes in this process: which views are whose.
    generation: u64,
    /// Names the widget's content in ETags (the same in every process).
    tag: String,
}

impl Widget {
    fn of(html: &str, generation: u64) -> Widget {
        let html = Bytes::copy_from_slice(html.as_bytes());
        let deflate = deflate(&html, KEPT_GZIP_LEVEL, flate2::FlushCompress::Sync)
            .unwrap_or_else(|| stored_blocks(&html));
        let mut crc = crc32fast::Hasher::new();
        crc.update(&html);
        Widget {
            tag: hex::encode(&Sha256::digest(&html)[..6]),
            html,
            deflate: Bytes::from(deflate),
            crc,
            generation,
        }
    }
}

/// `bytes` as deflate stored blocks, none of them the last.
fn stored_blocks(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 5 * (bytes.len() / 65_535 + 1));
    for chunk in bytes.chunks(usize::from(u16::MAX)) {
        let length = chunk.len() as u16;
        // A stored block, not the last: its header byte, LEN and NLEN.
        out.push(0);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// A part of a kept page between its holes: its bytes, raw deflate blocks
/// of them alone (flushed to a byte boundary, or ended for the page's last
/// part: they refer to nothing before them), and their CRC.
struct Part {
    bytes: Bytes,
    deflate: Bytes,
    crc: crc32fast::Hasher,
}

impl Part {
    fn of(bytes: Bytes, flush: flate2::FlushCompress) -> Option<Part> {
        let deflate = Bytes::from(deflate(&bytes, KEPT_GZIP_LEVEL, flush)?);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&bytes);
        Some(Part {
            bytes,
            deflate,
            crc,
        })
    }
}

/// A cached page cut around what must be as it is when the page is sent:
/// the comment form's timing token (`fp_ts`, the time the form was shown,
/// so a bot posting at once is still too fast, cache or not) and the
/// sidebar's Recent Comments (a comment approved anywhere). The gzip
/// variant is one gzip member: the deflate blocks of each part and of the
/// widget (each compressed on its own and flushed to a byte boundary), the
/// token as a stored block, the page's last part ended, and the CRC of the
/// whole put together from the parts'. Brotli has no such seam: these
/// pages go out as gzip.
///
/// The token is the second of the view, signed: every view within a second
/// (and of one widget) gets the same bytes, so each second's are put
/// together once and shared (copying the page for every view cost a
/// twentieth of a cached page's serving).
struct Splice {
    /// One more than the holes: part, hole, part, …, part.
    parts: Vec<Part>,
    holes: Vec<Hole>,
    views: Mutex<Views>,
}

/// A spliced page's views of one second and one widget, each made when
/// first asked for.
#[derive(Default)]
struct Views {
    /// The second (0 for a page without a token) and the widget's
    /// generation (0 for a page without the widget).
    key: (i64, u64),
    identity: Option<Bytes>,
    gzip: Option<Bytes>,
    etag: Option<HeaderValue>,
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl Splice {
    /// The page cut at its holes, if it has any.
    fn of(identity: &Bytes) -> Option<Splice> {
        let mut holes: Vec<(usize, usize, Hole)> = Vec::new();
        if let Some(start) = find(identity, TOKEN_ATTRIBUTE).map(|at| at + TOKEN_ATTRIBUTE.len()) {
            if let Some(length) = identity[start..].iter().position(|b| *b == b'"') {
                holes.push((start, start + length, Hole::Token));
            }
        }
        // The sidebar follows the page's content: the last such section is
        // the widget, whatever a post's own markup holds.
        let widget = identity
            .windows(RECENT_COMMENTS_START.len())
            .rposition(|window| window == RECENT_COMMENTS_START);
        if let Some(start) = widget {
            if let Some(length) = find(&identity[start..], SECTION_END) {
                holes.push((
                    start,
                    start + length + SECTION_END.len(),
                    Hole::RecentComments,
                ));
            }
        }
        holes.sort_by_key(|(start, _, _)| *start);
        // Holes never overlap (the form is in the content, the widget after
        // it); if a page's markup made them, the later one is not cut.
        holes.dedup_by(|later, earlier| later.0 < earlier.1);
        if holes.is_empty() {
            return None;
        }
        let mut parts = Vec::with_capacity(holes.len() + 1);
        let mut from = 0;
        for (start, end, _) in &holes {
            parts.push(Part::of(
                identity.slice(from..*start),
                flate2::FlushCompress::Sync,
            )?);
            from = *end;
        }
        parts.push(Part::of(
            identity.slice(from..),
            flate2::FlushCompress::Finish,
        )?);
        Some(Splice {
            parts,
            holes: holes.into_iter().map(|(_, _, hole)| hole).collect(),
            views: Mutex::default(),
        })
    }

    fn has(&self, hole: Hole) -> bool {
        self.holes.contains(&hole)
    }

    /// Which views a view at `at` with `widget` shares its bytes with.
    fn key(&self, at: i64, widget: &Widget) -> (i64, u64) {
        (
            if self.has(Hole::Token) { at } else { 0 },
            if self.has(Hole::RecentComments) {
                widget.generation
            } else {
                0
            },
        )
    }

    /// The page shown at `at` (a Unix second) with `widget`, gzipped or
    /// not, with the token `token_for(at)`: made at most once per second,
    /// widget and encoding.
    fn view(
        &self,
        at: i64,
        widget: &Widget,
        gzip: bool,
        token_for: impl FnOnce(i64) -> String,
    ) -> Bytes {
        let key = self.key(at, widget);
        let kept = |views: &Views| match gzip {
            true => views.gzip.clone(),
            false => views.identity.clone(),
        };
        if let Ok(views) = self.views.lock() {
            if views.key == key {
                if let Some(bytes) = kept(&views) {
                    return bytes;
                }
            }
        }
        // Put together outside the lock: other readers are not kept waiting.
        let token = if self.has(Hole::Token) {
            token_for(at)
        } else {
            String::new()
        };
        let bytes = match gzip {
            true => self.gzip(&token, widget),
            false => self.identity(&token, widget),
        };
        self.keep(key, |views| match gzip {
            true => views.gzip = Some(bytes.clone()),
            false => views.identity = Some(bytes.clone()),
        });
        bytes
    }

    /// Keeps what `put` puts in the views of `key`, unless newer views are
    /// kept already (a late view of a second gone by is made, not kept).
    fn keep(&self, key: (i64, u64), put: impl FnOnce(&mut Views)) {
        if let Ok(mut views) = self.views.lock() {
            if views.key != key && views.key.0 <= key.0 && views.key.1 <= key.1 {
                *views = Views {
                    key,
                    ..Views::default()
                };
            }
            if views.key == key {
                put(&mut views);
            }
        }
    }

    /// The page's validator with `widget`: the rendered page's, and the
    /// widget's content when the page shows it.
    fn etag(&self, rendered: &HeaderValue, at: i64, widget: &Widget) -> HeaderValue {
        if !self.has(Hole::RecentComments) {
            return rendered.clone();
        }
        let key = self.key(at, widget);
        if let Ok(views) = self.views.lock() {
            if views.key == key {
                if let Some(etag) = &views.etag {
                    return etag.clone();
                }
            }
        }
        let inner = rendered
            .to_str()
            .unwrap_or_default()
            .trim_start_matches("W/")
            .trim_matches('"');
        let etag = HeaderValue::from_str(&format!("W/\"{inner}-{}\"", widget.tag))
            .unwrap_or_else(|_| rendered.clone());
        self.keep(key, |views| views.etag = Some(etag.clone()));
        etag
    }

    /// What fills `hole`.
    fn filling<'a>(hole: Hole, token: &'a [u8], widget: &'a Widget) -> &'a [u8] {
        match hole {
            Hole::Token => token,
            Hole::RecentComments => &widget.html,
        }
    }

    /// The page with `token` and `widget`, in one buffer (one write goes
    /// out faster than several: streaming the parts measured a fifth slower).
    fn identity(&self, token: &str, widget: &Widget) -> Bytes {
        let size = self
            .parts
            .iter()
            .map(|part| part.bytes.len())
            .sum::<usize>()
            + token.len()
            + widget.html.len();
        let mut out = Vec::with_capacity(size);
        for (index, part) in self.parts.iter().enumerate() {
            out.extend_from_slice(&part.bytes);
            if let Some(hole) = self.holes.get(index) {
                out.extend_from_slice(Self::filling(*hole, token.as_bytes(), widget));
            }
        }
        out.into()
    }

    /// The gzip variant with `token` and `widget`: header, each part's
    /// blocks and each hole's (the token's stored, the widget's its own),
    /// the trailer.
    fn gzip(&self, token: &str, widget: &Widget) -> Bytes {
        let token = token.as_bytes();
        let stored_token = stored_blocks(token);
        let mut token_crc = crc32fast::Hasher::new();
        token_crc.update(token);
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0usize;
        let mut out = Vec::with_capacity(
            GZIP_HEADER.len()
                + self
                    .parts
                    .iter()
                    .map(|part| part.deflate.len())
                    .sum::<usize>()
                + stored_token.len()
                + widget.deflate.len()
                + 8,
        );
        out.extend_from_slice(&GZIP_HEADER);
        for (index, part) in self.parts.iter().enumerate() {
            out.extend_from_slice(&part.deflate);
            crc.combine(&part.crc);
            size += part.bytes.len();
            match self.holes.get(index) {
                Some(Hole::Token) => {
                    out.extend_from_slice(&stored_token);
                    crc.combine(&token_crc);
                    size += token.len();
                }
                Some(Hole::RecentComments) => {
                    out.extend_from_slice(&widget.deflate);
                    crc.combine(&widget.crc);
                    size += widget.html.len();
                }
                None => {}
            }
        }
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(size as u32).to_le_bytes());
        out.into()
    }
}

/// Magic, deflate, no flags, no time, no extra flags, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A kept page, and whether a change since it was rendered touched it.
struct Slot {
    page: Arc<CachedPage>,
    fresh: bool,
    /// When it was put in.
    rendered_at: Instant,
    /// How many times in a row it was rendered anew within `STORM_GAP` of
    /// the copy before (0 for a first rendering, or after a quiet spell).
    quick_renewals: u32,
}

/// What the cache has for a key.
pub enum Lookup {
    Fresh(Arc<CachedPage>),
    /// Touched by a change to its post's comments since it was rendered:
    /// given to readers only while someone renders it anew.
    Stale(Arc<CachedPage>),
    /// Stale, on a page its comments keep changing (a storm: rendered anew
    /// `STORM_RENDERS` times in a row, each within `STORM_GAP` of the last)
    /// and rendered less than `STORM_GRACE` ago: readers get it as it is,
    /// and nobody renders it until the grace is over.
    Settling(Arc<CachedPage>),
    Missing,
}

/// A page rendered anew this soon after its copy before counts toward a storm.
pub const STORM_GAP: Duration = Duration::from_secs(1);
/// Renderings in a row, each `STORM_GAP` or less after the last, that make a storm.
pub const STORM_RENDERS: u32 = 5;
/// How long a page in a storm is given out after its rendering before it
/// is rendered anew: a post taking a comment every few milliseconds is
/// rendered five times a second, not once per comment. As long as another
/// process takes to see a change (`VERSION_POLL`); a commenter sees their
/// own comment at once (`routes::cache::FRESH_COOKIE`), staff wait for it.
pub const STORM_GRACE: Duration = VERSION_POLL;

/// The pages, and the content version they must match.
pub struct PageCache {
    pages: RwLock<HashMap<String, Slot>>,
    /// One renderer per missing page: the others wait for its bytes instead
    /// of all rendering (and holding) the same page at once.
    filling: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Pages rendered into the cache so far.
    fills: AtomicUsize,
    /// The search pages held, oldest first.
    searches: Mutex<std::collections::VecDeque<String>>,
    bytes: AtomicUsize,
    limit: usize,
    version: AtomicI64,
    /// The sidebar's Recent Comments as pages go out now.
    widget: RwLock<Arc<Widget>>,
}

impl PageCache {
    /// A cache of `limit` bytes at content version `version`, its pages
    /// sent with `recent_comments` (`SiteChrome::recent_comments_widget`).
    pub fn new(limit: usize, version: i64, recent_comments: &str) -> PageCache {
        PageCache {
            pages: RwLock::default(),
            filling: Mutex::default(),
            fills: AtomicUsize::new(0),
            searches: Mutex::default(),
            bytes: AtomicUsize::new(0),
            limit,
            version: AtomicI64::new(version),
            widget: RwLock::new(Arc::new(Widget::of(recent_comments, 1))),
        }
    }

    /// The sidebar's Recent Comments widget as pages go out now.
    pub fn widget(&self) -> Arc<Widget> {
        match self.widget.read() {
            Ok(widget) => widget.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Sends every kept page with `html` as its Recent Comments widget
    /// from now on (the recent comments changed).
    pub fn set_recent_comments(&self, html: &str) {
        let mut widget = self
            .widget
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if widget.html != html.as_bytes() {
            *widget = Arc::new(Widget::of(html, widget.generation + 1));
        }
    }

    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// Adopts the database's version `version`, retiring what the changes
    /// since the cache's own retire: every page, or the pages showing the
    /// posts whose comments changed (kept as stale, to be rendered anew by
    /// the next reader). Pages rendered before this are taken in as stale
    /// at most (`insert`), whatever they show: they may have read the data
    /// just changed.
    ///
    /// `retired` is what changed from version `from` on: if the cache has
    /// moved from `from` meanwhile (another caller read and applied the
    /// changes first), this is stale and nothing is done; the next look
    /// starts from where the cache is. Applied late, a stale "everything"
    /// threw away pages rendered after it, leaving readers no copy to be
    /// served while the page is rendered anew. Whether it was applied.
    pub fn advance(&self, from: i64, version: i64, retired: &Retired) -> bool {
        let mut pages = self
            .pages
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.version() != from {
            return false;
        }
        let mut searches = self
            .searches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match retired {
            Retired::Everything => {
                pages.clear();
                searches.clear();
                self.bytes.store(0, Ordering::Release);
            }
            Retired::CommentsOf(posts) => {
                for slot in pages.values_mut() {
                    let untouched = slot
                        .page
                        .shows
                        .as_ref()
                        .is_some_and(|shows| !shows.iter().any(|id| posts.contains(id)));
                    slot.fresh &= untouched;
                }
            }
        }
        self.version.store(version, Ordering::Release);
        true
    }

    pub fn get(&self, key: &str) -> Lookup {
        let Ok(pages) = self.pages.read() else {
            return Lookup::Missing;
        };
        match pages.get(key) {
            Some(slot) if slot.fresh => Lookup::Fresh(slot.page.clone()),
            Some(slot)
                if slot.quick_renewals >= STORM_RENDERS
                    && slot.rendered_at.elapsed() < STORM_GRACE =>
            {
                Lookup::Settling(slot.page.clone())
            }
            Some(slot) => Lookup::Stale(slot.page.clone()),
            None => Lookup::Missing,
        }
    }

    pub fn insert(&self, key: String, page: CachedPage) {
        let size = page.size();
        if size > self.limit / 4 {
            return;
        }
        let Ok(mut pages) = self.pages.write() else {
            return;
        };
        // Rendered from data a change since may have touched (checked under
        // the lock `advance` holds while it retires and moves the version):
        // kept only in place of a stale copy, and stale itself.
        let fresh = page.version == self.version();
        if !fresh && pages.get(&key).is_none_or(|slot| slot.fresh) {
            return;
        }
        self.fills.fetch_add(1, Ordering::AcqRel);
        let mut searches = self
            .searches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Bounded: when full, start over (pages come back on their next visit).
        if self.bytes.load(Ordering::Acquire) + size > self.limit {
            pages.clear();
            searches.clear();
            self.bytes.store(0, Ordering::Release);
        }
        if key.starts_with("/search?") && !pages.contains_key(&key) {
            searches.push_back(key.clone());
            while searches.len() > MAX_SEARCH_PAGES {
                let Some(oldest) = searches.pop_front() else {
                    break;
                };
                if let Some(gone) = pages.remove(&oldest) {
                    self.bytes.fetch_sub(gone.page.size(), Ordering::AcqRel);
                }
            }
        }
        let rendered_at = Instant::now();
        let quick_renewals = match pages.get(&key) {
            // Rendered anew in place of a copy a change touched.
            Some(old) if !old.fresh && rendered_at.duration_since(old.rendered_at) <= STORM_GAP => {
                old.quick_renewals.saturating_add(1)
            }
            _ => 0,
        };
        let slot = Slot {
            page: Arc::new(page),
            fresh,
            rendered_at,
            quick_renewals,
        };
        if let Some(old) = pages.insert(key, slot) {
            self.bytes.fetch_sub(old.page.size(), Ordering::AcqRel);
        }
        self.bytes.fetch_add(size, Ordering::AcqRel);
    }

    /// Waits for this page's turn to be rendered; the turn ends when the
    /// returned guard drops.
    pub async fn fill_turn(&self, key: &str) -> FillTurn<'_> {
        let lock = self.fill_lock(key);
        let guard = lock.clone().lock_owned().await;
        FillTurn {
            cache: self,
            key: key.to_owned(),
            lock,
            guard: Some(guard),
        }
    }

    /// This page's turn to be rendered if nobody is rendering it now.
    pub fn try_fill_turn(&self, key: &str) -> Option<FillTurn<'_>> {
        // Someone renders it now (what most readers of a stale page find):
        // told with one look at the map, nothing allocated.
        {
            let filling = self
                .filling
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if filling
                .get(key)
                .is_some_and(|lock| lock.try_lock().is_err())
            {
                return None;
            }
        }
        let lock = self.fill_lock(key);
        let guard = lock.clone().try_lock_owned().ok();
        // Dropped without a guard when busy: the map entry stays for the renderer.
        let turn = FillTurn {
            cache: self,
            key: key.to_owned(),
            lock,
            guard,
        };
        turn.guard.is_some().then_some(turn)
    }

    fn fill_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut filling = self
            .filling
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        filling.entry(key.to_owned()).or_default().clone()
    }

    /// Pages rendered into the cache since start (for tests).
    pub fn fills(&self) -> usize {
        self.fills.load(Ordering::Acquire)
    }

    /// Search pages held now (for tests).
    pub fn search_pages(&self) -> usize {
        self.searches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Bytes held now (for tests and the benchmark).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }
}

/// How hard a kept page is compressed (once, then sent many times).
const KEPT_GZIP_LEVEL: u32 = 6;
const KEPT_BROTLI_QUALITY: i32 = 6;

fn gzip(bytes: &[u8]) -> Bytes {
    gzip_at(bytes, KEPT_GZIP_LEVEL)
}

fn brotli(bytes: &[u8]) -> Bytes {
    brotli_at(bytes, KEPT_BROTLI_QUALITY)
}

/// `bytes` gzipped at `level` (0–9); empty if that failed.
pub fn gzip_at(bytes: &[u8], level: u32) -> Bytes {
    let Some(deflated) = deflate(bytes, level, flate2::FlushCompress::Finish) else {
        return Bytes::new();
    };
    let mut crc = crc32fast::Hasher::new();
    crc.update(bytes);
    [
        &GZIP_HEADER[..],
        &deflated,
        &crc.finalize().to_le_bytes(),
        &(bytes.len() as u32).to_le_bytes(),
    ]
    .concat()
    .into()
}

/// Raw deflate encoders kept for reuse, a few per level: setting one up
/// (its window and hash tables, ~300 KB) cost a third as much as
/// compressing a 97 KB page, and a page is compressed again after every
/// published comment on it. As many as there are cores can run at once.
static DEFLATERS: Mutex<Vec<(u32, flate2::Compress)>> = Mutex::new(Vec::new());
const KEPT_DEFLATERS: usize = 4;

/// `input` as raw deflate at `level`: ended (`Finish`) or flushed to a
/// byte boundary so more blocks can follow (`Sync`). `None` if it failed.
fn deflate(input: &[u8], level: u32, flush: flate2::FlushCompress) -> Option<Vec<u8>> {
    let kept = DEFLATERS.lock().ok().and_then(|mut kept| {
        let at = kept
            .iter()
            .position(|(kept_level, _)| *kept_level == level)?;
        Some(kept.swap_remove(at).1)
    });
    let mut compress =
        kept.unwrap_or_else(|| flate2::Compress::new(flate2::Compression::new(level), false));
    let deflated = deflate_with(&mut compress, input, flush);
    compress.reset();
    if let Ok(mut kept) = DEFLATERS.lock() {
        if kept.len() < KEPT_DEFLATERS {
            kept.push((level, compress));
        }
    }
    deflated
}

fn deflate_with(
    compress: &mut flate2::Compress,
    input: &[u8],
    flush: flate2::FlushCompress,
) -> Option<Vec<u8>> {
    let finishing = matches!(flush, flate2::FlushCompress::Finish);
    let read_before = compress.total_in();
    let mut out = Vec::with_capacity(input.len() / 3 + 64);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let (read, written) = (compress.total_in(), compress.total_out());
        let consumed = usize::try_from(read - read_before).ok()?;
        let status = compress
            .compress_vec(input.get(consumed..)?, &mut out, flush)
            .ok()?;
        let all_read = usize::try_from(compress.total_in() - read_before).ok()? == input.len();
        match status {
            flate2::Status::StreamEnd => return Some(out),
            // A flush is done when it left room in the output.
            _ if !finishing && all_read && out.len() < out.capacity() => return Some(out),
            _ if compress.total_in() == read && compress.total_out() == written => {
                // No progress with room to spare: never expected.
                return None;
            }
            _ => {}
        }
    }
}

/// `bytes` in brotli at `quality` (0–11); empty if that failed.
pub fn brotli_at(bytes: &[u8], quality: i32) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    // A window no bigger than the page: the encoder's memory follows it.
    let fits = usize::BITS - bytes.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
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
pub fn preferred_encoding(accept_encoding: Option<&HeaderValue>) -> Option<&'static str> {
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

/// The answer to a request from a cached page shown at `now` (a Unix
/// second) with the sidebar's Recent Comments `widget`; `token_for` makes
/// the comment form's timing token of that second.
pub fn serve(
    request_headers: &header::HeaderMap,
    accept_encoding: Option<&HeaderValue>,
    page: &CachedPage,
    now: i64,
    widget: &Widget,
    token_for: impl FnOnce(i64) -> String,
) -> HttpResponse {
    let etag = match &page.splice {
        Some(splice) => splice.etag(&page.etag, now, widget),
        None => page.etag.clone(),
    };
    // A page showing the recent comments changed when they did, whatever
    // its date says: only its validator tells.
    let dated = !page
        .splice
        .as_ref()
        .is_some_and(|splice| splice.has(Hole::RecentComments));
    let if_none_match = request_headers.get(header::IF_NONE_MATCH);
    let fresh = match if_none_match {
        None => dated && unmodified_since(request_headers.get(header::IF_MODIFIED_SINCE), page),
        Some(_) => if_none_match.is_some_and(|value| {
            value
                .as_bytes()
                .split(|b| *b == b',')
                .any(|tag| tag.trim_ascii() == etag.as_bytes())
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
    response.insert_header((header::ETAG, etag));
    response.insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    if fresh {
        return response.finish();
    }
    if let Some(splice) = &page.splice {
        return match preferred_encoding(accept_encoding) {
            Some(_) => response
                .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
                .body(splice.view(now, widget, true, token_for)),
            None => response.body(splice.view(now, widget, false, token_for)),
        };
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
        shows: Option<Vec<i64>>,
    ) -> CachedPage {
        let plain = identity.clone();
        let (gzip, brotli, splice) = web::block(move || match Splice::of(&plain) {
            // Made per view from the parts instead.
            Some(splice) => (Bytes::new(), Bytes::new(), Some(splice)),
            None => (gzip(&plain), brotli(&plain), None),
        })
        .await
        .unwrap_or_default();
        // The same page, but not the same bytes twice: a weak validator.
        let etag = match (&splice, etag.to_str()) {
            (Some(_), Ok(strong)) if !strong.starts_with("W/") => {
                HeaderValue::from_str(&format!("W/{strong}")).unwrap_or(etag)
            }
            _ => etag,
        };
        CachedPage {
            version,
            status,
            headers,
            etag,
            identity,
            gzip,
            brotli,
            splice,
            shows,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn page() -> Bytes {
        let mut html = String::from("<html><body><h1>A post</h1>");
        html.push_str(&"<p>Some words that repeat, and repeat, and repeat.</p>".repeat(200));
        html.push_str("<form><input type=\"hidden\" name=\"fp_ts\" value=\"1700000000.OLDSIG\"><textarea name=\"comment\"></textarea></form>");
        html.push_str(&"<footer>more words after the form</footer>".repeat(50));
        html.push_str("</body></html>");
        Bytes::from(html)
    }

    fn kept(version: i64) -> CachedPage {
        CachedPage {
            version,
            status: StatusCode::OK,
            headers: Vec::new(),
            etag: HeaderValue::from_static("\"0\""),
            identity: Bytes::from_static(b"<p>A page.</p>"),
            gzip: Bytes::new(),
            brotli: Bytes::new(),
            splice: None,
            shows: Some(vec![1]),
        }
    }

    #[test]
    fn a_page_whose_comments_keep_changing_is_rendered_anew_at_most_once_per_grace() {
        let cache = PageCache::new(1 << 20, 1, "");
        cache.insert("/post/".to_owned(), kept(1));
        let mut version = 1;
        let mut touch = |cache: &PageCache| {
            assert!(cache.advance(version, version + 1, &Retired::CommentsOf(vec![1])));
            version += 1;
            version
        };
        // A few changes in a row: each is rendered anew by the next reader.
        for _ in 0..STORM_RENDERS {
            let now = touch(&cache);
            assert!(matches!(cache.get("/post/"), Lookup::Stale(_)));
            cache.insert("/post/".to_owned(), kept(now));
        }
        // One more rendering in quick succession makes it a storm: the
        // copy is given out as it is for a while after each rendering.
        let now = touch(&cache);
        assert!(matches!(cache.get("/post/"), Lookup::Settling(_)));
        std::thread::sleep(STORM_GRACE);
        assert!(matches!(cache.get("/post/"), Lookup::Stale(_)));
        cache.insert("/post/".to_owned(), kept(now));
        assert!(matches!(cache.get("/post/"), Lookup::Fresh(_)));
        touch(&cache);
        assert!(matches!(cache.get("/post/"), Lookup::Settling(_)));
        // After a quiet spell, a change shows on the next reader's request.
        std::thread::sleep(STORM_GAP);
        let now = touch(&cache);
        assert!(matches!(cache.get("/post/"), Lookup::Stale(_)));
        cache.insert("/post/".to_owned(), kept(now));
        touch(&cache);
        assert!(matches!(cache.get("/post/"), Lookup::Stale(_)));
    }

    #[test]
    fn changes_read_before_the_cache_moved_on_are_not_applied_again() {
        let cache = PageCache::new(1 << 20, 1, "");
        // Two callers read the change from version 1 to 2; the first applies it.
        assert!(cache.advance(1, 2, &Retired::Everything));
        cache.insert("/post/".to_owned(), kept(2));
        assert!(matches!(cache.get("/post/"), Lookup::Fresh(_)));
        // The second, late: the page rendered since stays.
        assert!(!cache.advance(1, 2, &Retired::Everything));
        assert!(matches!(cache.get("/post/"), Lookup::Fresh(_)));
        assert_eq!(cache.version(), 2);
        // A change from where the cache is applies.
        assert!(cache.advance(2, 3, &Retired::CommentsOf(vec![1])));
        assert!(matches!(cache.get("/post/"), Lookup::Stale(_)));
        assert_eq!(cache.version(), 3);
    }

    #[test]
    fn kept_encoders_make_valid_gzip_whatever_came_before() {
        // Incompressible bytes outgrow the first output buffer; text after
        // them goes through the same (reset) encoders.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let text = page();
        for (input, level) in [
            (&noise[..], 6),
            (&text[..], 6),
            (&noise[..], 4),
            (&text[..], 4),
            (&b""[..], 6),
        ] {
            for _ in 0..3 {
                let gzipped = gzip_at(input, level);
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(&gzipped[..])
                    .read_to_end(&mut plain)
                    .expect("valid gzip");
                assert_eq!(plain, input, "level {level}, {} bytes", input.len());
            }
        }
        assert!(DEFLATERS.lock().unwrap().len() <= KEPT_DEFLATERS);
    }

    #[test]
    fn each_view_gets_its_own_token_and_the_gzip_is_one_valid_member() {
        let original = page();
        let splice = Splice::of(&original).expect("a form");
        let widget = Widget::of("", 1);
        let token = "1700009999.NEWSIGNATURE_abc-123";
        let expected = String::from_utf8(original.to_vec())
            .unwrap()
            .replace("1700000000.OLDSIG", token);
        assert_eq!(splice.identity(token, &widget), expected.as_bytes());
        // GzDecoder reads one member and checks its CRC and length.
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&splice.gzip(token, &widget)[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, expected);
        let gzip = splice.gzip(token, &widget);
        assert!(
            gzip.len() < original.len() / 5,
            "still compressed: {}",
            gzip.len()
        );
        // Another view, another token, still valid.
        let mut again = String::new();
        flate2::read::GzDecoder::new(&splice.gzip("1700010000.X", &widget)[..])
            .read_to_string(&mut again)
            .unwrap();
        assert!(again.contains("value=\"1700010000.X\""));
    }

    #[test]
    fn views_within_a_second_share_their_bytes_and_the_next_second_gets_its_own() {
        let splice = Splice::of(&page()).expect("a form");
        let widget = Widget::of("", 1);
        let made = std::cell::Cell::new(0);
        let token_for = |at: i64| {
            made.set(made.get() + 1);
            format!("{at}.SIG")
        };
        let first = splice.view(1_700_000_000, &widget, false, token_for);
        let again = splice.view(1_700_000_000, &widget, false, token_for);
        assert_eq!(first.as_ptr(), again.as_ptr(), "the same bytes, not a copy");
        let zipped = splice.view(1_700_000_000, &widget, true, token_for);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, first);
        let next = splice.view(1_700_000_001, &widget, false, token_for);
        assert!(std::str::from_utf8(&next)
            .unwrap()
            .contains("value=\"1700000001.SIG\""));
        // A late view of a second gone by still gets its own second's token.
        let late = splice.view(1_700_000_000, &widget, false, token_for);
        assert!(std::str::from_utf8(&late)
            .unwrap()
            .contains("value=\"1700000000.SIG\""));
        assert_eq!(
            made.get(),
            4,
            "one token per second and encoding, and the late one"
        );
    }

    /// A listing's page: the sidebar's Recent Comments after the content,
    /// with a post's own markup that looks like the widget before it.
    fn page_with_widget(recent: &str) -> String {
        let mut html = String::from("<html><body><main>");
        html.push_str(&"<p>A listing that goes on, and on, and on.</p>".repeat(200));
        html.push_str(
            "<section id=\"recent-comments\" class=\"widget widget-recent-comments\"><p>An author's own.</p></section>",
        );
        html.push_str("</main><aside><section class=\"widget\">Search</section>");
        html.push_str(recent);
        html.push_str("<section class=\"widget\">Archives</section></aside>");
        html.push_str(&"<footer>more words after the sidebar</footer>".repeat(50));
        html.push_str("</body></html>");
        html
    }

    fn widget_html(names: &[&str]) -> String {
        let items: String = names
            .iter()
            .map(|name| format!("<li>{name} on A post</li>"))
            .collect();
        format!("<section id=\"recent-comments\" class=\"widget widget-recent-comments\"><ul>{items}</ul></section>")
    }

    #[test]
    fn a_kept_page_goes_out_with_the_recent_comments_of_now() {
        let rendered = page_with_widget(&widget_html(&["Ann", "Bob"]));
        let splice = Splice::of(&Bytes::from(rendered.clone())).expect("a widget");
        assert_eq!(splice.holes, vec![Hole::RecentComments]);
        let token_for = |_: i64| -> String { unreachable!("no form on this page") };
        let before = Widget::of(&widget_html(&["Ann", "Bob"]), 1);
        assert_eq!(
            splice.view(5, &before, false, token_for),
            rendered.as_bytes()
        );
        // A comment approved on another post: the same kept page, the widget of now.
        let after = Widget::of(&widget_html(&["Cat", "Ann"]), 2);
        let expected = page_with_widget(&widget_html(&["Cat", "Ann"]));
        assert_eq!(
            splice.view(5, &after, false, token_for),
            expected.as_bytes()
        );
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&splice.view(5, &after, true, token_for)[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, expected);
        assert!(
            decoded.contains("An author's own."),
            "the post's markup is kept"
        );
        // Shared across seconds (no token), made anew for the next widget.
        let shared = splice.view(6, &after, false, token_for);
        assert_eq!(
            shared.as_ptr(),
            splice.view(7, &after, false, token_for).as_ptr()
        );
        // Its validator follows the widget, the same in every process.
        let rendered_etag = HeaderValue::from_static("W/\"abc\"");
        let first = splice.etag(&rendered_etag, 5, &before);
        let second = splice.etag(&rendered_etag, 5, &after);
        assert_ne!(first, second);
        assert_eq!(
            second,
            splice.etag(
                &rendered_etag,
                9,
                &Widget::of(&widget_html(&["Cat", "Ann"]), 7)
            )
        );
        assert!(second.to_str().unwrap().starts_with("W/\"abc-"));
    }

    #[test]
    fn a_page_with_a_form_and_the_widget_fills_both() {
        let form = "<form><input type=\"hidden\" name=\"fp_ts\" value=\"1.OLD\"></form>";
        let rendered =
            page_with_widget(&widget_html(&["Ann"])).replace("</main>", &format!("{form}</main>"));
        let splice = Splice::of(&Bytes::from(rendered.clone())).expect("holes");
        assert_eq!(splice.holes, vec![Hole::Token, Hole::RecentComments]);
        let widget = Widget::of(&widget_html(&["Dan"]), 3);
        let expected = rendered
            .replace("1.OLD", "9.NEW")
            .replace(&widget_html(&["Ann"]), &widget_html(&["Dan"]));
        assert_eq!(
            splice.view(9, &widget, false, |at| format!("{at}.NEW")),
            expected.as_bytes()
        );
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&splice.view(9, &widget, true, |at| format!("{at}.NEW"))[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, expected);
    }

    #[test]
    fn a_cache_sends_the_widget_it_was_last_given() {
        let cache = PageCache::new(1 << 20, 1, &widget_html(&["Ann"]));
        let first = cache.widget();
        cache.set_recent_comments(&widget_html(&["Ann"]));
        assert_eq!(
            cache.widget().generation,
            first.generation,
            "unchanged, not a new generation"
        );
        cache.set_recent_comments(&widget_html(&["Bob", "Ann"]));
        assert_eq!(cache.widget().generation, first.generation + 1);
        assert_eq!(
            &cache.widget().html[..],
            widget_html(&["Bob", "Ann"]).as_bytes()
        );
    }

    #[test]
    fn pages_without_a_form_are_not_cut() {
        assert!(Splice::of(&Bytes::from_static(b"<html><p>No form here.</p></html>")).is_none());
        assert!(Splice::of(&Bytes::from_static(b"name=\"fp_ts\" value=\"unterminated")).is_none());
    }
}
