//! Builds the application: database pool and migrations, shared state, the
//! actix `App` with its middleware, and the listening server.

use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::auth::throttle::{FailureThrottle, Throttle};
use crate::config::Config;
use crate::db;
use crate::models::setting::secret_key;
use crate::models::user::count_users_who_can_log_in;
use crate::routes;
use crate::state::AppState;

/// Threads per actix worker for blocking (database) work.
const BLOCKING_THREADS_PER_WORKER: usize = 4;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics`, on its own address (when one is configured).
    metrics: Option<(u16, Server)>,
    /// Where to create the first admin, while nobody can log in.
    setup_url: Option<String>,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects and migrates the database, then binds the listen address
    /// (port 0 picks a free port, as tests do).
    pub fn build(mut config: Config) -> anyhow::Result<Application> {
        let started = Instant::now();
        let database = db::open(&config.database_url, db::POOL_SIZE, config.sqlite_max_pages)
            .with_context(|| {
                format!("cannot open the {:?} database", config.database_url.backend)
            })?;
        let (pool, db_health) = (database.pool, database.health);
        let mut conn = pool.get().context("cannot open a database connection")?;
        let applied = db::run_migrations(&mut conn)?;
        if applied > 0 {
            tracing::info!(applied, "database migrated");
        }
        let secret = secret_key(&mut conn, config.secret_key.as_deref())
            .context("cannot read the secret key")?;
        let site = crate::state::load_site(&mut conn).context("cannot read the settings")?;
        let users = count_users_who_can_log_in(&mut conn).context("cannot count users")?;
        let content_version = crate::models::setting::content_version(&mut conn)
            .context("cannot read the content version")?;
        let cache_bytes = crate::models::setting::get_setting(&mut conn, "page_cache_bytes")
            .context("cannot read the settings")?
            .and_then(|value| value.parse().ok())
            .unwrap_or(crate::page_cache::DEFAULT_CACHE_BYTES);
        drop(conn);
        let media = crate::media_store::MediaStore::open(&config.media)?;

        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = listener.local_addr()?;
        // A site URL derived from `--bind 127.0.0.1:0` names the real port.
        if config.site_url == format!("http://{}", config.bind) {
            config.site_url = format!("http://{address}");
        }
        tracing::info!(address = %address, backend = ?config.database_url.backend,
            elapsed_ms = started.elapsed().as_millis() as u64, "listening");
        let setup_url = (users == 0).then(|| config.absolute_url("/admin/setup"));
        if let Some(url) = &setup_url {
            tracing::info!("no user yet: create the first admin at {url}");
        }
        let throttle = Throttle::per_minute(site.discussion.comments_per_minute);
        let recent_comments = site.chrome.recent_comments_widget();
        let writer = crate::db::group_commit::GroupWriter::start(pool.clone())?;
        let state = web::Data::new(AppState {
            pool,
            db_health,
            writer,
            config,
            secret_key: secret,
            site: RwLock::new(Arc::new(site)),
            site_reloads: Default::default(),
            site_applied: Default::default(),
            comment_throttle: RwLock::new(Arc::new(throttle)),
            login_failures_by_pair: FailureThrottle::new(5, std::time::Duration::from_secs(60)),
            login_failures_by_address: FailureThrottle::new(20, std::time::Duration::from_secs(6)),
            password_reset_requests: Throttle::per_minute(5),
            page_cache: crate::page_cache::PageCache::new(
                cache_bytes,
                content_version,
                &recent_comments,
            ),
            version_refresh: tokio::sync::Mutex::new(None),
            media,
            renders: tokio::sync::Semaphore::new(crate::state::renders_at_once()),
            searches: tokio::sync::Semaphore::new(crate::state::searches_at_once()),
        });
        let server_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .wrap(from_fn(routes::cache::render_turns))
                .wrap(from_fn(routes::term_bases))
                .wrap(from_fn(routes::refuse_nul_in_urls))
                .wrap(from_fn(routes::errors::themed_errors))
                .wrap(routes::security_headers())
                .wrap(from_fn(routes::compress::compress_dynamic))
                .wrap(from_fn(routes::cache::page_cache))
                .wrap(from_fn(log_request))
                .configure(routes::configure)
        })
        // Answers go out as soon as they are written (a small write after
        // another must not wait for the client's delayed acknowledgement).
        .on_connect(|connection, _| {
            if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .listen(listener)?
        // Database work runs on these threads: enough per worker to keep
        // the pool busy, no more (each idle thread keeps its memory).
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .shutdown_timeout(30)
        .run();
        let metrics = match state.config.metrics_bind {
            Some(bind) => Some(metrics_server(state.clone(), bind)?),
            None => None,
        };
        Ok(Application {
            port: address.port(),
            server,
            metrics,
            setup_url,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `/admin/setup`'s address while nobody can log in.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    /// The port `/metrics` is served on, if it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves (and delivers mail) until SIGINT or SIGTERM, then finishes
    /// requests in flight and the message being sent.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = match self.state.config.smtp_url.clone() {
            Some(smtp_url) => Some(tokio::spawn(crate::mail::worker::run(
                self.state.clone(),
                smtp_url,
                stopped,
            ))),
            None => {
                tracing::warn!("FERROPRESS_SMTP_URL is not set: mail waits in the outbox");
                None
            }
        };
        let watcher = tokio::spawn(routes::cache::watch_content_version(
            self.state.clone(),
            stop.subscribe(),
        ));
        let maintenance = tokio::spawn(maintain(self.state.clone(), stop.subscribe()));
        let digests = tokio::spawn(send_digests(self.state.clone(), stop.subscribe()));
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let served = self.server.await;
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        let _ = stop.send(true);
        let _ = watcher.await;
        let _ = maintenance.await;
        let _ = digests.await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        served
    }
}

/// The server of `/metrics`: its own listener, nothing else on it.
fn metrics_server(
    state: web::Data<AppState>,
    bind: std::net::SocketAddr,
) -> anyhow::Result<(u16, Server)> {
    let handle = crate::metrics::install();
    let listener =
        TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind} for /metrics"))?;
    let port = listener.local_addr()?.port();
    tracing::info!(address = %listener.local_addr()?, "metrics served at /metrics");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::Data::new(handle.clone()))
            .route("/metrics", web::get().to(scrape))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok((port, server))
}

/// What is counted as it happens, plus what is read now: the queue, the
/// outbox, the page cache.
async fn scrape(
    state: web::Data<AppState>,
    handle: web::Data<metrics_exporter_prometheus::PrometheusHandle>,
) -> actix_web::HttpResponse {
    use crate::domain::{CommentStatus, OutboxStatus};
    let counts = state
        .db(|conn| {
            Ok((
                crate::models::comment::count_with_status(conn, CommentStatus::Pending)?,
                crate::mail::outbox::count_outbox(conn, OutboxStatus::Pending)?,
                crate::mail::outbox::count_outbox(conn, OutboxStatus::Failed)?,
            ))
        })
        .await;
    if let Ok((pending, waiting, failed)) = counts {
        metrics::gauge!(crate::metrics::PENDING).set(pending as f64);
        metrics::gauge!(crate::metrics::OUTBOX_DEPTH).set(waiting as f64);
        metrics::gauge!(crate::metrics::OUTBOX_FAILED).set(failed as f64);
    }
    metrics::gauge!(crate::metrics::PAGE_CACHE_BYTES).set(state.page_cache.bytes() as f64);
    handle.run_upkeep();
    actix_web::HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

/// Queues the digest of held comments when it is due (looked at twice a
/// minute; every process looks, one sends).
async fn send_digests(state: web::Data<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        let context = crate::mail::MailContext::of(&state);
        let wait_seconds = state.site().discussion.digest_minutes * 60;
        match state
            .db(move |conn| crate::mail::notify::send_digest_if_due(conn, &context, wait_seconds))
            .await
        {
            Ok(Some(digest_id)) => tracing::info!(digest_id, "moderation digest queued"),
            Ok(None) => {}
            Err(error) => tracing::warn!(error = %error, "cannot send the moderation digest"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Applies the retention settings now and then: sent mail deleted, old
/// commenter addresses anonymised (bounded batches each pass).
async fn maintain(state: web::Data<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        let settings = state.site().retention;
        match state
            .db(move |conn| crate::models::retention::prune(conn, settings, crate::models::now()))
            .await
        {
            Ok(pruned) if pruned != Default::default() => tracing::info!(
                mails_deleted = pruned.mails_deleted,
                ips_anonymised = pruned.ips_anonymised,
                account_links_deleted = pruned.account_links_deleted,
                "retention applied"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "cannot apply retention"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.maintenance_interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The path as logged: a route whose path carries a capability (a
/// moderation, confirmation or unsubscribe token) is logged by its pattern,
/// `/moderate/{token}`, so the log never holds a usable link. Only those
/// routes pay for the pattern (`match_pattern` matches the path through the
/// route table again: a fifth of a cached page's cost when asked of every
/// request).
fn logged_path(request: &actix_web::HttpRequest) -> std::borrow::Cow<'_, str> {
    if request.match_info().get("token").is_none() {
        return std::borrow::Cow::Borrowed(request.path());
    }
    match request.match_pattern() {
        Some(pattern) => std::borrow::Cow::Owned(pattern),
        None => std::borrow::Cow::Borrowed("(a capability link)"),
    }
}

/// One `info` line per request: method, path (never the query, which may
/// carry what a reader typed), status, duration.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.call(request).await?;
    if crate::metrics::enabled() {
        let route = crate::metrics::route_label(response.request().match_pattern());
        let seconds = started.elapsed().as_secs_f64();
        metrics::counter!(
            crate::metrics::REQUESTS,
            "route" => route.clone(),
            "method" => method.to_string(),
            "status" => response.status().as_u16().to_string()
        )
        .increment(1);
        metrics::histogram!(crate::metrics::REQUEST_SECONDS, "route" => route).record(seconds);
    }
    let path = logged_path(response.request());
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    Ok(response)
}
