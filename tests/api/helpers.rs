//! `TestApp`: the real application on `127.0.0.1:0` over a fresh database,
//! plus helpers that keep each test a few lines of intent.

use std::sync::{Mutex, Once};

use actix_web::web;
use diesel::prelude::*;
use ferropress::config::MailTuning;
use ferropress::config::{Config, RawConfig};
use ferropress::db::{Backend, DbConnection};
use ferropress::domain::moderation::Verdict;
use ferropress::domain::{EmailAddress, Role};
use ferropress::models::category::{create_category, Category};
use ferropress::models::comment::{Comment, NewComment};
use ferropress::models::now;
use ferropress::models::post::{create_post, NewPost, Post};
use ferropress::models::setting::{keys, set_setting};
use ferropress::models::user::{create_user, NewUser, User};
use ferropress::routes::comments::view::form_token;
use ferropress::startup::Application;
use ferropress::state::AppState;
use rand::Rng;
use reqwest::StatusCode;

use crate::smtp::SmtpSink;

/// Whether this run is CI, where a missing PostgreSQL or Chromium is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// Skips (prints why) outside CI; fails in CI.
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} is required in CI but is not available");
    }
    eprintln!("skipped: {what} is not available");
}

/// A client with a cookie jar of its own (another visitor), following no redirects.
pub fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// A new, empty PostgreSQL database next to the one `FERROPRESS_TEST_DATABASE_URL` names.
pub fn fresh_postgres_url() -> Option<String> {
    let Ok(base_url) = std::env::var("FERROPRESS_TEST_DATABASE_URL") else {
        missing("PostgreSQL (FERROPRESS_TEST_DATABASE_URL)");
        return None;
    };
    let name = format!("ferropress_test_{:016x}", rand::thread_rng().gen::<u64>());
    sweep_old_test_databases(&base_url);
    let mut admin = match diesel::PgConnection::establish(&base_url) {
        Ok(conn) => conn,
        Err(error) => {
            missing(&format!(
                "PostgreSQL at FERROPRESS_TEST_DATABASE_URL ({error})"
            ));
            return None;
        }
    };
    if let Err(error) = diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin) {
        panic!("cannot create the test database: {error}");
    }
    let (without_query, query) = match base_url.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (base_url.as_str(), String::new()),
    };
    let server = without_query
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(without_query);
    Some(format!("{server}/{name}{query}"))
}

/// Test databases an earlier run left (a test that panicked, or one that
/// made a database without a `TestApp`), dropped once per test process;
/// one in use by a run going on now refuses, and stays.
fn sweep_old_test_databases(base_url: &str) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        #[derive(QueryableByName)]
        struct Database {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let Ok(mut admin) = diesel::PgConnection::establish(base_url) else {
            return;
        };
        let old: Vec<Database> = diesel::sql_query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'ferropress\\_test\\_%'",
        )
        .load(&mut admin)
        .unwrap_or_default();
        for database in old {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\"", database.datname))
                .execute(&mut admin);
        }
    });
}

/// Drops a test database, closing whatever still holds it.
fn drop_test_database(database_url: &str) {
    let (Ok(base_url), Some(name)) = (
        std::env::var("FERROPRESS_TEST_DATABASE_URL"),
        database_url
            .split('?')
            .next()
            .and_then(|url| url.rsplit('/').next())
            .filter(|name| name.starts_with("ferropress_test_")),
    ) else {
        return;
    };
    if let Ok(mut admin) = diesel::PgConnection::establish(&base_url) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin);
    }
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Everything the app logged at `info` and above in this test process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
        .into_owned()
}

struct LogCapture;

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        LOGS.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once, a global `info` subscriber writing into `LOGS`, as
/// production writes to stderr.
fn capture_logs() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_ansi(false)
            .with_writer(|| LogCapture)
            .try_init();
    });
}

/// The password every staff account made by the tests has.
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// The value of the first `csrf_token` field in a page.
pub fn csrf_token_in(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A new, empty database of `backend` (and the directory a SQLite file lives
/// in); `None` when that backend is not available here.
fn fresh_database(backend: Backend) -> Option<(String, tempfile::TempDir)> {
    capture_logs();
    let directory = tempfile::tempdir().expect("temp dir");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", directory.path().join("test.db").display()),
        Backend::Postgres => fresh_postgres_url()?,
    };
    Some((database_url, directory))
}

/// Mail pacing for tests: look often, retry after a second, short leases.
pub fn fast_mail(config: &mut Config) {
    config.mail_tuning = MailTuning {
        poll_interval: std::time::Duration::from_millis(50),
        retry_base_seconds: 1,
        lease_seconds: 2,
        batch_size: 20,
    };
}

pub struct TestApp {
    pub address: String,
    /// Where `/metrics` is served, when configured.
    pub metrics_port: Option<u16>,
    pub database_url: String,
    pub state: web::Data<AppState>,
    /// Follows no redirects, so tests see each `301`.
    pub client: reqwest::Client,
    _directory: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.database_url.starts_with("postgres") {
            drop_test_database(&self.database_url);
        }
    }
}

impl TestApp {
    /// Starts the app over a fresh database of `backend`; `None` when that
    /// backend is not available here (never in CI).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// As `spawn`, with the configuration adjusted first.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut RawConfig),
    ) -> Option<TestApp> {
        let (database_url, directory) = fresh_database(backend)?;
        Some(TestApp::start(database_url, directory, adjust, |_| {}))
    }

    /// As `spawn`, with the parsed configuration adjusted first (test-only knobs).
    pub async fn spawn_with_config(
        backend: Backend,
        adjust_config: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let (database_url, directory) = fresh_database(backend)?;
        Some(TestApp::start(
            database_url,
            directory,
            |_| {},
            adjust_config,
        ))
    }

    /// The app over the database at `database_url` (made by the caller).
    pub fn spawn_on(database_url: String) -> TestApp {
        let directory = tempfile::tempdir().expect("temp dir");
        TestApp::start(database_url, directory, |_| {}, |_| {})
    }

    /// The app with mail delivered to a fresh in-process SMTP server, and
    /// retries paced for tests (first retry after a second).
    pub async fn spawn_with_mail(backend: Backend) -> Option<(TestApp, SmtpSink)> {
        let (database_url, directory) = fresh_database(backend)?;
        let sink = SmtpSink::start().await;
        let smtp_url = sink.url();
        let app = TestApp::start(
            database_url,
            directory,
            |raw| raw.smtp_url = Some(smtp_url),
            fast_mail,
        );
        Some((app, sink))
    }

    /// A second app over this one's database (another `serve` process).
    pub fn spawn_beside(&self, smtp_url: Option<String>) -> TestApp {
        let directory = tempfile::tempdir().expect("temp dir");
        TestApp::start(
            self.database_url.clone(),
            directory,
            |raw| raw.smtp_url = smtp_url,
            fast_mail,
        )
    }

    /// A second app over this one's database, configured as `adjust` says.
    pub fn spawn_beside_with(&self, adjust: impl FnOnce(&mut RawConfig)) -> TestApp {
        let directory = tempfile::tempdir().expect("temp dir");
        TestApp::start(self.database_url.clone(), directory, adjust, fast_mail)
    }

    fn start(
        database_url: String,
        directory: tempfile::TempDir,
        adjust: impl FnOnce(&mut RawConfig),
        adjust_config: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut raw = RawConfig {
            bind: Some("127.0.0.1:0".into()),
            database_url: Some(database_url.clone()),
            secret_key: Some("a-test-secret-key-that-is-long-enough-0123456789".into()),
            // Each test's own media store, never the working directory.
            media_url: Some(directory.path().join("uploads").display().to_string()),
            ..RawConfig::default()
        };
        adjust(&mut raw);
        let mut config = Config::parse(raw).expect("test config");
        adjust_config(&mut config);
        let application = Application::build(config).expect("application builds");
        let address = format!("http://127.0.0.1:{}", application.port());
        let metrics_port = application.metrics_port();
        let state = application.state();
        tokio::spawn(application.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        TestApp {
            address,
            metrics_port,
            database_url,
            state,
            client,
            _directory: directory,
        }
    }

    /// The media store's folder (the tests' store is a folder unless a test
    /// says otherwise).
    pub fn media_dir(&self) -> std::path::PathBuf {
        match &self.state.config.media {
            ferropress::config::MediaLocation::Folder(folder) => folder.clone(),
            ferropress::config::MediaLocation::Bucket(bucket) => {
                panic!("this app keeps its media in a bucket: {bucket:?}")
            }
        }
    }

    /// An import's files with no uploads folder: attachments are listed as missing.
    pub fn no_uploads(&self) -> ferropress::wxr::import::MediaFiles {
        ferropress::wxr::import::MediaFiles {
            uploads: None,
            store: self.state.media.clone(),
            fetch: false,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A connection to the app's database, for arranging and checking state.
    pub fn conn(&self) -> DbConnection {
        self.state.pool.get().expect("database connection")
    }

    /// A GET as a browser sends it. The test's own direct database writes
    /// are made known to the app first, as the app's own writes are.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.state.sync_content_version();
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Status and body of a GET.
    pub async fn get_page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// Where a `301` points; panics on any other answer.
    pub async fn redirect_target(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::MOVED_PERMANENTLY,
            "GET {path}"
        );
        response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned()
    }

    pub fn create_post(&self, new_post: NewPost) -> Post {
        let post = create_post(&mut self.conn(), &new_post).expect("post created");
        self.state.sync_content_version();
        post
    }

    /// A published post dated `days_ago` days back, in the given categories.
    pub fn publish(&self, title: &str, body: &str, days_ago: i64, category_ids: &[i64]) -> Post {
        let mut new_post = NewPost::published(title, body);
        new_post.published_at -= days_ago * 86_400;
        new_post.category_ids = category_ids.to_vec();
        self.create_post(new_post)
    }

    /// Stores a setting and makes the running app read it.
    pub async fn set_setting(&self, key: &str, value: &str) {
        set_setting(&mut self.conn(), key, value).expect("setting stored");
        self.state.reload_site().await.expect("settings reloaded");
        self.state.sync_content_version();
    }

    /// Moderation off: every comment that passes the form is approved.
    pub async fn approve_comments_automatically(&self) {
        self.set_setting(keys::HOLD_ALL, "0").await;
        self.set_setting(keys::REQUIRE_PREVIOUSLY_APPROVED, "0")
            .await;
    }

    /// A valid comment form, as a person would send it a minute after opening the page.
    pub fn comment_fields(&self, comment: &str) -> Vec<(&'static str, String)> {
        vec![
            ("comment", comment.to_owned()),
            ("author", "Ann Reader".to_owned()),
            ("email", "ann.reader@example.com".to_owned()),
            ("url", String::new()),
            ("parent", String::new()),
            ("fp_ts", form_token(&self.state.secret_key, now() - 60)),
            ("fp_hp", String::new()),
        ]
    }

    /// Submits a comment form to the post's permalink.
    pub async fn post_comment(&self, post: &Post, fields: &[(&str, String)]) -> reqwest::Response {
        self.client
            .post(self.url(&post.permalink()))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Submits with a client of its own (no cookies: another visitor).
    pub async fn post_comment_as_stranger(
        &self,
        post: &Post,
        fields: &[(&str, String)],
    ) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(self.url(&post.permalink()))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// A page as a visitor without cookies sees it.
    pub async fn get_page_as_stranger(&self, path: &str) -> (StatusCode, String) {
        self.state.sync_content_version();
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    pub fn comments_of(&self, post: &Post) -> Vec<Comment> {
        use ferropress::db::schema::comments;
        comments::table
            .filter(comments::post_id.eq(post.id))
            .order(comments::id.asc())
            .select(Comment::as_select())
            .load(&mut self.conn())
            .expect("comments")
    }

    pub fn create_category(&self, name: &str, description: &str) -> Category {
        create_category(&mut self.conn(), name, None, description).expect("category created")
    }

    /// A staff account with a password, ready to log in.
    pub async fn create_staff(&self, email: &str, role: Role) -> User {
        let password_hash =
            ferropress::auth::password::hash_password(STAFF_PASSWORD).expect("hash");
        let email = EmailAddress::parse(email).expect("email");
        let name = format!(
            "{} {}",
            role,
            email.as_str().split('@').next().unwrap_or_default()
        );
        create_user(
            &mut self.conn(),
            &NewUser {
                email: &email,
                display_name: &name,
                password_hash: Some(&password_hash),
                role,
            },
        )
        .expect("user created")
    }

    /// Logs `client` in with email and password; returns the answer to the POST.
    pub async fn log_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.log_in_through(client, email, password, &[]).await
    }

    /// The same, with extra headers on the POST (`X-Forwarded-For` from a proxy).
    pub async fn log_in_through(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let login = client
            .get(self.url("/admin/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("body");
        let token = csrf_token_in(&login);
        let mut request = client.post(self.url("/admin/login")).form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
            ("redirect_to", ""),
        ]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("login")
    }

    /// A new staff member of `role`, logged in on the app's own client.
    pub async fn log_in_as(&self, role: Role) -> User {
        let email = format!("{}-{}@example.com", role, rand::thread_rng().gen::<u32>());
        let user = self.create_staff(&email, role).await;
        let response = self.log_in_with(&self.client, &email, STAFF_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "logged in");
        user
    }

    /// The CSRF token of an admin page (the session's).
    pub async fn csrf_token(&self) -> String {
        let page = self
            .client
            .get(self.url("/admin/profile"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        csrf_token_in(&page)
    }

    /// POSTs a panel form with the session's CSRF token added.
    pub async fn admin_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        self.client
            .post(self.url(path))
            .form(&fields)
            .send()
            .await
            .expect("request")
    }

    pub fn create_user(&self, email: &str, name: &str, role: Role) -> User {
        let email = EmailAddress::parse(email).expect("email");
        create_user(
            &mut self.conn(),
            &NewUser {
                email: &email,
                display_name: name,
                password_hash: None,
                role,
            },
        )
        .expect("user created")
    }
}

/// Every column of every table, with its values as text (NULL as `∅`):
/// `table → column → values in row order`. SQLite's own and FTS shadow
/// tables included, so nothing escapes a search.
pub fn database_columns(
    app: &TestApp,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>> {
    use diesel::sql_types::{Nullable, Text};
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Nullable<Text>)]
        value: Option<String>,
    }
    let mut conn = app.conn();
    let columns: Vec<Column> = match &mut *conn {
        ferropress::db::AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
        )
        .load(sqlite)
        .expect("sqlite columns"),
        ferropress::db::AnyConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             ORDER BY table_name, ordinal_position",
        )
        .load(pg)
        .expect("postgres columns"),
    };
    let mut tables: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, Vec<String>>,
    > = Default::default();
    for column in columns {
        let query = format!(
            "SELECT CAST(\"{}\" AS TEXT) AS value FROM \"{}\"",
            column.column_name, column.table_name
        );
        let values: Vec<Value> = match &mut *conn {
            ferropress::db::AnyConnection::Sqlite(sqlite) => diesel::sql_query(query).load(sqlite),
            ferropress::db::AnyConnection::Postgresql(pg) => diesel::sql_query(query).load(pg),
        }
        .expect("column values");
        tables.entry(column.table_name).or_default().insert(
            column.column_name,
            values
                .into_iter()
                .map(|value| value.value.unwrap_or_else(|| "∅".to_owned()))
                .collect(),
        );
    }
    tables
}

/// A reader page's own content (`<main>`), without the header menu and
/// the sidebar's lists, which name other posts.
pub fn main_content(html: &str) -> String {
    html.split("<main id=\"content\"")
        .nth(1)
        .and_then(|rest| rest.split("</main>").next())
        .unwrap_or(html)
        .to_owned()
}

/// A reader's comment on `post_id` (a reply to `parent_id`), approved or
/// held, as the comment form would store it.
pub fn new_comment(post_id: i64, parent_id: Option<i64>, approved: bool) -> NewComment {
    NewComment {
        post_id,
        parent_id,
        author_name: "Reader".to_owned(),
        author_email: "reader@example.org".to_owned(),
        author_url: String::new(),
        author_ip: "192.0.2.1".to_owned(),
        user_agent: String::new(),
        user_id: None,
        body_source: "Words.".to_owned(),
        body_html: "<p>Words.</p>".to_owned(),
        verdict: if approved {
            Verdict::Approved
        } else {
            Verdict::Pending
        },
        dedupe_key: None,
        spam_score: 0.5,
        spam_why: String::new(),
    }
}
