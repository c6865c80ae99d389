//! What every request handler can reach: the database (and its health),
//! the configuration, the site's settings, the throttles, the page cache and
//! the comment writer. Low in the house: it imports no route.

use std::sync::{Arc, RwLock};

use actix_web::web;
use diesel::QueryResult;

use crate::auth::throttle::{FailureThrottle, Throttle};
use crate::config::Config;
use crate::db::{AnyConnection, DbPool};
use crate::error::PageError;
use crate::models::setting::SiteSettings;

/// What every request handler can reach.
pub struct AppState {
    pub pool: DbPool,
    /// Whether the database answered lately (fail fast while it does not).
    pub db_health: Arc<crate::db::health::DbHealth>,
    pub config: Config,
    /// Signs cookies and links; configured or generated on first start.
    pub secret_key: String,
    pub(crate) site: RwLock<Arc<SiteSettings>>,
    /// Settings reloads, numbered as they start; `site` holds the newest
    /// one that finished, so a slow old read never overwrites a newer one.
    pub(crate) site_reloads: std::sync::atomic::AtomicU64,
    pub(crate) site_applied: std::sync::Mutex<u64>,
    pub(crate) comment_throttle: RwLock<Arc<Throttle>>,
    /// Failed logins, per client address and account (lower-cased email),
    /// and per client address. Only failures count.
    pub login_failures_by_pair: FailureThrottle<(std::net::IpAddr, String)>,
    pub login_failures_by_address: FailureThrottle<std::net::IpAddr>,
    /// "Lost your password?" asks, per client address.
    pub password_reset_requests: Throttle,
    /// Rendered reader pages, valid for one content version.
    pub page_cache: crate::page_cache::PageCache,
    /// Taken while the content version is reread (`refresh_content_version`);
    /// holds when the last reread that brought the cache up to date began.
    pub(crate) version_refresh: tokio::sync::Mutex<Option<std::time::Instant>>,
    /// Commits readers' comments in batches (group commit).
    pub writer: crate::db::group_commit::GroupWriter,
    /// Uploaded files (a folder or a bucket).
    pub media: crate::media_store::MediaStore,
    /// Turns for readers' pages rendered anew (`renders_at_once`).
    pub renders: tokio::sync::Semaphore,
    /// Turns for searches rendered anew (`searches_at_once`).
    pub searches: tokio::sync::Semaphore,
}

/// How many readers' pages a process renders anew at once, searches aside:
/// half its database connections. Anyone can have a page rendered anew as
/// often as they like (a query string the cache does not keep: `/?x=1`,
/// `/?x=2`, …); the rest wait their turn, so a flood of them cannot take
/// every connection and database thread from the comments, the panel and
/// the mail links.
pub fn renders_at_once() -> usize {
    (crate::db::POOL_SIZE as usize / 2).max(1)
}

/// How many searches a process renders anew at once: half the cores, at
/// least one. Ranking every match of a common word is the costliest read a
/// reader can ask for.
pub fn searches_at_once() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(1))
}

/// How long a request waits for its turn before the reader is asked to try
/// again in a moment.
pub const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// A turn from `turns`, waited for at most `TURN_WAIT`; `PageError::Busy`
/// after that.
pub async fn take_turn(
    turns: &tokio::sync::Semaphore,
) -> Result<tokio::sync::SemaphorePermit<'_>, PageError> {
    match tokio::time::timeout(TURN_WAIT, turns.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        // Waited too long (or the turns were closed, which they never are).
        Ok(Err(_)) | Err(_) => Err(PageError::Busy),
    }
}

/// Reads of the content changes a caller makes when others keep moving
/// the page cache on first (the poller picks up anything left).
const ADVANCE_ATTEMPTS: usize = 3;

impl AppState {
    /// The site settings pages show (title, tagline, posts per page).
    pub fn site(&self) -> Arc<SiteSettings> {
        match self.site.read() {
            Ok(site) => site.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rereads the site settings after a change.
    pub async fn reload_site(&self) -> Result<(), PageError> {
        let ticket = self.site_reload_ticket();
        let fresh = self.db(load_site).await?;
        self.apply_site(ticket, fresh);
        Ok(())
    }

    /// The settings as they are, with the sidebar's recent comments `recent`.
    fn adopt_recent_comments(
        &self,
        ticket: u64,
        recent: Vec<crate::render::layout::RecentComment>,
    ) {
        let mut site = (*self.site()).clone();
        if site.chrome.recent_comments != recent {
            let mut chrome = (*site.chrome).clone();
            chrome.recent_comments = recent;
            site.chrome = Arc::new(chrome);
            self.apply_site(ticket, site);
        }
    }

    /// Numbers a settings read before it starts.
    fn site_reload_ticket(&self) -> u64 {
        self.site_reloads
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
            + 1
    }

    /// Adopts settings read under `ticket`, unless a read that started
    /// later was adopted already (its values are at least as new).
    fn apply_site(&self, ticket: u64, fresh: SiteSettings) {
        let mut applied = self
            .site_applied
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *applied > ticket {
            return;
        }
        *applied = ticket;
        self.page_cache
            .set_recent_comments(&fresh.chrome.recent_comments_widget());
        let rate = fresh.discussion.comments_per_minute;
        replace(&self.site, Arc::new(fresh));
        if self.comment_throttle().rate() != rate {
            replace(&self.comment_throttle, Arc::new(Throttle::per_minute(rate)));
        }
    }

    /// Rereads the content version; the changes since the cache's own
    /// retire the pages they touched. Read again (a few times at most) when
    /// another caller moved the cache on meanwhile.
    pub async fn refresh_content_version(&self) {
        self.refresh(None).await
    }

    /// The same after a request that may have written, answered at
    /// `written_by` (its commit, if any, came before): once this returns,
    /// its change shows on this process's next page.
    ///
    /// One caller at a time: the comments of one group commit all ask at
    /// once. A caller that finds the cache brought up to date by a reread
    /// that began after its answer has nothing to read; one that has not
    /// knows something changed, and reads the changes at once.
    pub async fn refresh_content_version_after(&self, written_by: std::time::Instant) {
        self.refresh(Some(written_by)).await
    }

    async fn refresh(&self, written_by: Option<std::time::Instant>) {
        let mut up_to_date_from = self.version_refresh.lock().await;
        if let (Some(written), Some(read)) = (written_by, *up_to_date_from) {
            if read >= written {
                return;
            }
        }
        for _ in 0..ADVANCE_ATTEMPTS {
            let known = self.page_cache.version();
            let widget = self.shown_recent_comments();
            let ticket = self.site_reload_ticket();
            // Before the read: what it finds was committed by then.
            let reading_from = std::time::Instant::now();
            let look_first = written_by.is_none();
            match self
                .db(move |conn| changes_and_recent_comments(conn, known, widget, look_first))
                .await
            {
                Ok((changes, recent)) if changes.version != known => {
                    // Settings may be what changed (here or in another process).
                    if changes.everything {
                        if let Err(error) = self.reload_site().await {
                            tracing::warn!(error = %error, "cannot reread the settings");
                        }
                    } else if let Some(recent) = recent {
                        // Only comments changed: the sidebar's recent ones.
                        self.adopt_recent_comments(ticket, recent);
                    }
                    if self
                        .page_cache
                        .advance(known, changes.version, &retired_by(&changes))
                    {
                        *up_to_date_from = Some(reading_from);
                        return;
                    }
                }
                Ok(_) => {
                    *up_to_date_from = Some(reading_from);
                    return;
                }
                // Said once by `db` when the outage began.
                Err(PageError::Unavailable) => return,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot read the content version");
                    return;
                }
            }
        }
    }

    /// The same, blocking: for code (tests, tools) that wrote to the database directly.
    pub fn sync_content_version(&self) {
        let Ok(mut conn) = self.pool.get() else {
            return;
        };
        for _ in 0..ADVANCE_ATTEMPTS {
            let known = self.page_cache.version();
            let widget = self.shown_recent_comments();
            let ticket = self.site_reload_ticket();
            let Ok((changes, recent)) = changes_and_recent_comments(&mut conn, known, widget, true)
            else {
                return;
            };
            if changes.version == known {
                return;
            }
            if changes.everything {
                if let Ok(site) = load_site(&mut conn) {
                    self.apply_site(ticket, site);
                }
            } else if let Some(recent) = recent {
                self.adopt_recent_comments(ticket, recent);
            }
            if self
                .page_cache
                .advance(known, changes.version, &retired_by(&changes))
            {
                return;
            }
        }
    }

    /// The sidebar's recent comments as pages show them, with the paging
    /// they were placed by; `None` when the sidebar does not list them.
    fn shown_recent_comments(&self) -> Option<RecentCommentsShown> {
        let site = self.site();
        site.widgets
            .recent_comments
            .then(|| (site.discussion.paging(), site.chrome.clone()))
    }

    /// The limit on comments per client address.
    pub fn comment_throttle(&self) -> Arc<Throttle> {
        match self.comment_throttle.read() {
            Ok(throttle) => throttle.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs blocking database work on actix's thread pool. While the
    /// database is known to be down this fails at once; an outage (no
    /// connection, a broken one, a full disk) is `PageError::Unavailable`.
    pub async fn db<T, F>(&self, work: F) -> Result<T, PageError>
    where
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.db_health.fail_fast() {
            return Err(PageError::Unavailable);
        }
        let pool = self.pool.clone();
        // Soon after a failure, a try that finds no connection gives up
        // quickly: the one request a second that probes does not hang.
        let wait = if self.db_health.check_connections() {
            crate::db::PROBE_TIMEOUT
        } else {
            crate::db::CHECKOUT_TIMEOUT
        };
        let outcome = web::block(move || {
            let asked = std::time::Instant::now();
            let conn = pool.get_timeout(wait);
            if crate::metrics::enabled() {
                metrics::histogram!(crate::metrics::POOL_WAIT_SECONDS)
                    .record(asked.elapsed().as_secs_f64());
            }
            match conn {
                Ok(mut conn) => work(&mut conn).map_err(DbFailure::Query),
                Err(error) => Err(DbFailure::Checkout(error)),
            }
        })
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("database task failed: {error}")))?;
        match outcome {
            Ok(value) => {
                self.db_health.answered();
                Ok(value)
            }
            Err(DbFailure::Checkout(error)) => {
                self.db_health.failed();
                tracing::warn!(error = %error, "no database connection");
                Err(PageError::Unavailable)
            }
            Err(DbFailure::Query(error)) => match crate::db::health::outage(&error) {
                Some(outage) => {
                    // A full disk still serves reads: only an unreachable
                    // database makes everything fail fast.
                    if outage == crate::db::health::Outage::Unreachable {
                        self.db_health.failed();
                    }
                    tracing::warn!(error = %error, "the database is unavailable");
                    Err(PageError::Unavailable)
                }
                None => Err(PageError::Unexpected(error.into())),
            },
        }
    }
}

/// How a piece of database work failed.
enum DbFailure {
    Checkout(diesel::r2d2::PoolError),
    Query(diesel::result::Error),
}

fn replace<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut guard) => *guard = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

/// The paging and the chrome whose recent comments pages show.
type RecentCommentsShown = (
    crate::render::thread::CommentPaging,
    Arc<crate::render::layout::SiteChrome>,
);

/// The changes after version `known` and, when they are changes of
/// comments alone and the sidebar lists recent ones (`widget`: the paging,
/// and the list as shown), the recent comments as they are now: one trip
/// to the database for the refresh every published comment causes, its
/// keyed reads planned once (`db::planned_once`: on PostgreSQL, planning
/// them anew at each execution cost more than running them). With
/// `look_first` (a poll, which mostly finds nothing new), the version is
/// read alone first.
fn changes_and_recent_comments(
    conn: &mut crate::db::AnyConnection,
    known: i64,
    widget: Option<RecentCommentsShown>,
    look_first: bool,
) -> QueryResult<(
    crate::models::retirement::Changes,
    Option<Vec<crate::render::layout::RecentComment>>,
)> {
    use crate::models::retirement::{current_version, since, Changes};
    // Nothing new (most of the background polls): one read.
    if look_first && current_version(conn)? == known {
        let unchanged = Changes {
            version: known,
            everything: false,
            posts: Vec::new(),
        };
        return Ok((unchanged, None));
    }
    crate::db::planned_once(conn, |conn| {
        let changes = since(conn, known)?;
        let recent = match widget {
            Some((paging, chrome)) if !changes.everything && changes.version != known => {
                Some(crate::models::chrome::recent_comments_after(
                    conn,
                    crate::models::now(),
                    paging,
                    &chrome.recent_comments,
                    &changes.posts,
                )?)
            }
            _ => None,
        };
        Ok((changes, recent))
    })
}

/// What the changes since a cache's version retire from it.
fn retired_by(changes: &crate::models::retirement::Changes) -> crate::page_cache::Retired {
    if changes.everything {
        crate::page_cache::Retired::Everything
    } else {
        crate::page_cache::Retired::CommentsOf(changes.posts.clone())
    }
}

/// The settings, with the menu and the sidebar's lists read beside them.
pub fn load_site(conn: &mut crate::db::AnyConnection) -> diesel::QueryResult<SiteSettings> {
    let mut site = SiteSettings::load(conn)?;
    let paging = site.discussion.paging();
    site.chrome = Arc::new(crate::models::chrome::load(
        conn,
        crate::models::now(),
        paging,
        &site.bases,
        site.clock.timezone,
    )?);
    Ok(site)
}
