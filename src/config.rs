//! Settings from flags > environment > optional TOML file (SPEC §1). Every value
//! is parsed here, once; a bad one is a `ConfigError` that `main` turns into a
//! one-line message and exit code 2.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::db::{DatabaseUrl, DatabaseUrlError};

/// The settings every part of ferropress reads.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    /// Absolute base for links, without a trailing slash: `https://blog.example`.
    pub site_url: String,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// When unset, a key is generated on first start and kept in the database.
    pub secret_key: Option<String>,
    pub trust_proxy: bool,
    /// With `trust_proxy`: how many proxies append to `X-Forwarded-For`.
    pub proxy_hops: usize,
    pub log_filter: String,
    /// `FERROPRESS_LOG_FORMAT`: one JSON object per line for log shippers.
    pub log_json: bool,
    /// `FERROPRESS_METRICS_BIND`: where `/metrics` is served (unset: off).
    pub metrics_bind: Option<SocketAddr>,
    /// Delivery pacing; not configurable from outside, tests shorten it.
    pub mail_tuning: MailTuning,
    /// How often retention (old mail, old IP addresses) is applied; tests shorten it.
    pub maintenance_interval: std::time::Duration,
    /// SQLite's `max_page_count` on every connection: tests make a "full
    /// disk" with it. Not configurable from outside.
    pub sqlite_max_pages: Option<u64>,
    /// Where uploaded files live: `FERROPRESS_MEDIA_URL` (a folder, or an
    /// S3-compatible bucket), or `uploads` beside the SQLite file (in the
    /// working directory for PostgreSQL).
    pub media: MediaLocation,
}

/// How often and how hard the worker works; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct MailTuning {
    /// Pause between looks at the outbox when nothing was due.
    pub poll_interval: Duration,
    /// The first retry waits this long; each next one twice as long.
    pub retry_base_seconds: i64,
    /// A claimed row is another worker's to take after this long (a crash).
    pub lease_seconds: i64,
    pub batch_size: i64,
}

impl Default for MailTuning {
    fn default() -> MailTuning {
        MailTuning {
            poll_interval: Duration::from_millis(500),
            retry_base_seconds: 30,
            lease_seconds: 120,
            batch_size: 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("invalid bind address {0:?}: expected HOST:PORT such as 127.0.0.1:8080")]
    Bind(String),
    #[error("invalid DATABASE_URL: {0}")]
    DatabaseUrl(#[from] DatabaseUrlError),
    #[error("invalid FERROPRESS_SITE_URL {0:?}: expected an absolute http:// or https:// URL")]
    SiteUrl(String),
    #[error("invalid FERROPRESS_SMTP_URL: expected smtp://, smtp+starttls:// or smtps://")]
    SmtpUrl,
    #[error("invalid FERROPRESS_TRUST_PROXY {0:?}: expected true or false")]
    TrustProxy(String),
    #[error("invalid FERROPRESS_PROXY_HOPS {0:?}: expected a number from 1 to 10")]
    ProxyHops(String),
    #[error("FERROPRESS_SECRET_KEY must be at least 32 characters")]
    SecretKey,
    #[error("invalid FERROPRESS_LOG_FORMAT {0:?}: expected text or json")]
    LogFormat(String),
    #[error("invalid FERROPRESS_METRICS_BIND {0:?}: expected HOST:PORT such as 127.0.0.1:9090")]
    MetricsBind(String),
    #[error("invalid FERROPRESS_MEDIA_URL {0:?}: expected a folder path, file:///path or s3://bucket/prefix")]
    MediaUrl(String),
}

/// Values as given, before parsing; one per source so the sources can be layered.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub site_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub secret_key: Option<String>,
    pub trust_proxy: Option<TomlBool>,
    pub proxy_hops: Option<TomlNumber>,
    pub rust_log: Option<String>,
    pub media_url: Option<String>,
    pub log_format: Option<String>,
    pub metrics_bind: Option<String>,
    /// For an `s3://` media store; the AWS tools' own variable names.
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub s3_session_token: Option<String>,
}

/// `proxy_hops` may be written `2` or `"2"` in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TomlNumber {
    Number(i64),
    Text(String),
}

/// `trust_proxy` may be written `true` or `"true"` in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TomlBool {
    Bool(bool),
    Text(String),
}

impl RawConfig {
    /// Reads the variables of SPEC §1 through `lookup` (the process environment in production).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            bind: lookup("FERROPRESS_BIND"),
            database_url: lookup("DATABASE_URL"),
            site_url: lookup("FERROPRESS_SITE_URL"),
            smtp_url: lookup("FERROPRESS_SMTP_URL"),
            mail_from: lookup("FERROPRESS_MAIL_FROM"),
            secret_key: lookup("FERROPRESS_SECRET_KEY"),
            trust_proxy: lookup("FERROPRESS_TRUST_PROXY").map(TomlBool::Text),
            proxy_hops: lookup("FERROPRESS_PROXY_HOPS").map(TomlNumber::Text),
            rust_log: lookup("RUST_LOG"),
            media_url: lookup("FERROPRESS_MEDIA_URL"),
            log_format: lookup("FERROPRESS_LOG_FORMAT"),
            metrics_bind: lookup("FERROPRESS_METRICS_BIND"),
            s3_endpoint: lookup("AWS_ENDPOINT_URL").or_else(|| lookup("AWS_ENDPOINT")),
            s3_region: lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION")),
            s3_access_key_id: lookup("AWS_ACCESS_KEY_ID"),
            s3_secret_access_key: lookup("AWS_SECRET_ACCESS_KEY"),
            s3_session_token: lookup("AWS_SESSION_TOKEN"),
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| ConfigError::ParseFile {
            path: path.to_owned(),
            message: error.message().to_owned(),
        })
    }

    /// `self` wins over `lower` wherever it has a value.
    pub fn over(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            bind: self.bind.or(lower.bind),
            database_url: self.database_url.or(lower.database_url),
            site_url: self.site_url.or(lower.site_url),
            smtp_url: self.smtp_url.or(lower.smtp_url),
            mail_from: self.mail_from.or(lower.mail_from),
            secret_key: self.secret_key.or(lower.secret_key),
            trust_proxy: self.trust_proxy.or(lower.trust_proxy),
            proxy_hops: self.proxy_hops.or(lower.proxy_hops),
            rust_log: self.rust_log.or(lower.rust_log),
            media_url: self.media_url.or(lower.media_url),
            log_format: self.log_format.or(lower.log_format),
            metrics_bind: self.metrics_bind.or(lower.metrics_bind),
            s3_endpoint: self.s3_endpoint.or(lower.s3_endpoint),
            s3_region: self.s3_region.or(lower.s3_region),
            s3_access_key_id: self.s3_access_key_id.or(lower.s3_access_key_id),
            s3_secret_access_key: self.s3_secret_access_key.or(lower.s3_secret_access_key),
            s3_session_token: self.s3_session_token.or(lower.s3_session_token),
        }
    }
}

impl Config {
    /// Layers flags over the environment over the optional file, then parses.
    pub fn load(
        flags: RawConfig,
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = match config_file {
            Some(path) => RawConfig::from_file(path)?,
            None => RawConfig::default(),
        };
        Config::parse(flags.over(RawConfig::from_env(env).over(file)))
    }

    pub fn parse(raw: RawConfig) -> Result<Config, ConfigError> {
        let bind_text = non_empty(raw.bind).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind: SocketAddr = bind_text
            .parse()
            .map_err(|_| ConfigError::Bind(bind_text.clone()))?;
        let database_url = DatabaseUrl::parse(
            &non_empty(raw.database_url).unwrap_or_else(|| "sqlite://ferropress.db".to_owned()),
        )?;
        let site_url = match non_empty(raw.site_url) {
            Some(url) => parse_site_url(&url)?,
            None => format!("http://{bind}"),
        };
        let smtp_url = non_empty(raw.smtp_url);
        if let Some(url) = &smtp_url {
            if !["smtp://", "smtp+starttls://", "smtps://"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
            {
                return Err(ConfigError::SmtpUrl);
            }
        }
        let mail_from = non_empty(raw.mail_from)
            .unwrap_or_else(|| format!("ferropress@{}", host_of(&site_url)));
        let secret_key = non_empty(raw.secret_key);
        if secret_key.as_ref().is_some_and(|key| key.len() < 32) {
            return Err(ConfigError::SecretKey);
        }
        let trust_proxy = match raw.trust_proxy {
            None => false,
            Some(TomlBool::Bool(value)) => value,
            Some(TomlBool::Text(text)) => parse_bool(&text).ok_or(ConfigError::TrustProxy(text))?,
        };
        let proxy_hops = match raw.proxy_hops {
            None => 1,
            Some(TomlNumber::Number(number)) => usize::try_from(number)
                .ok()
                .filter(|hops| (1..=10).contains(hops))
                .ok_or_else(|| ConfigError::ProxyHops(number.to_string()))?,
            Some(TomlNumber::Text(text)) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|hops| (1..=10).contains(hops))
                .ok_or(ConfigError::ProxyHops(text))?,
        };
        let media = match non_empty(raw.media_url) {
            Some(url) => match parse_media_url(&url)? {
                MediaUrl::Folder(folder) => MediaLocation::Folder(folder),
                MediaUrl::Bucket { bucket, prefix } => MediaLocation::Bucket(BucketLocation {
                    bucket,
                    prefix,
                    endpoint: non_empty(raw.s3_endpoint),
                    region: non_empty(raw.s3_region),
                    access_key_id: non_empty(raw.s3_access_key_id),
                    secret_access_key: non_empty(raw.s3_secret_access_key),
                    session_token: non_empty(raw.s3_session_token),
                }),
            },
            None => MediaLocation::Folder(default_media_dir(&database_url)),
        };
        let log_json = match non_empty(raw.log_format)
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            None => false,
            Some(format) if format == "text" => false,
            Some(format) if format == "json" => true,
            Some(other) => return Err(ConfigError::LogFormat(other)),
        };
        let metrics_bind = match non_empty(raw.metrics_bind) {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| ConfigError::MetricsBind(text))?),
        };
        Ok(Config {
            media,
            log_json,
            metrics_bind,
            bind,
            database_url,
            site_url,
            smtp_url,
            mail_from,
            secret_key,
            trust_proxy,
            proxy_hops,
            log_filter: non_empty(raw.rust_log).unwrap_or_else(|| "info".to_owned()),
            mail_tuning: MailTuning::default(),
            maintenance_interval: std::time::Duration::from_secs(3600),
            sqlite_max_pages: None,
        })
    }

    /// Proxies trusted to append to `X-Forwarded-For`: `None` when the
    /// socket's peer is the client.
    pub fn trusted_proxy_hops(&self) -> Option<usize> {
        self.trust_proxy.then_some(self.proxy_hops)
    }

    /// Whether cookies must carry `Secure`.
    pub fn is_https(&self) -> bool {
        self.site_url.starts_with("https://")
    }

    /// An absolute URL for a site path such as `/2024/01/02/hello/`; a
    /// Unicode slug percent-encoded, as feeds, sitemaps and mail need (and
    /// as WordPress writes it).
    pub fn absolute_url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.site_url,
            crate::domain::slug::percent_encode_path(path)
        )
    }
}

/// Where the media store keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaLocation {
    Folder(PathBuf),
    Bucket(BucketLocation),
}

/// An S3-compatible bucket, and how to reach it (unset values come from
/// the usual AWS sources: environment, instance credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct BucketLocation {
    pub bucket: String,
    /// Keys start with this (no leading or trailing `/`); may be empty.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for BucketLocation {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketLocation")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

enum MediaUrl {
    Folder(PathBuf),
    Bucket { bucket: String, prefix: String },
}

/// A folder (a path or a `file://` URL) or a bucket (`s3://bucket/prefix`).
fn parse_media_url(url: &str) -> Result<MediaUrl, ConfigError> {
    let invalid = || ConfigError::MediaUrl(url.to_owned());
    match url.split_once("://") {
        None => Ok(MediaUrl::Folder(PathBuf::from(url))),
        Some(("file", path)) if path.starts_with('/') => Ok(MediaUrl::Folder(PathBuf::from(path))),
        Some(("s3", rest)) => {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let bucket_ok = (3..=63).contains(&bucket.len())
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            let prefix = prefix.trim_matches('/');
            let prefix_ok = prefix
                .split('/')
                .all(|part| !matches!(part, "." | "..") && !part.contains(['\\', '?', '#']))
                && !prefix.contains("//");
            if !bucket_ok || !prefix_ok {
                return Err(invalid());
            }
            Ok(MediaUrl::Bucket {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            })
        }
        Some(_) => Err(invalid()),
    }
}

/// `uploads` beside the SQLite file; for PostgreSQL, in the working directory.
fn default_media_dir(database_url: &DatabaseUrl) -> PathBuf {
    match database_url.backend {
        crate::db::Backend::Sqlite => Path::new(&database_url.target)
            .parent()
            .map(|folder| folder.join("uploads"))
            .unwrap_or_else(|| PathBuf::from("uploads")),
        crate::db::Backend::Postgres => PathBuf::from("uploads"),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_site_url(url: &str) -> Result<String, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::SiteUrl(url.to_owned()))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::SiteUrl(url.to_owned()));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The host of an absolute URL, without port or credentials.
fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default().to_owned();
    }
    host_port.split(':').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_follow_the_spec() {
        let config = Config::load(RawConfig::default(), None, env(&[])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.site_url, "http://127.0.0.1:8080");
        assert_eq!(config.mail_from, "ferropress@127.0.0.1");
        assert_eq!(config.database_url.target, "ferropress.db");
        assert!(!config.trust_proxy);
        assert_eq!(config.proxy_hops, 1);
        assert_eq!(config.trusted_proxy_hops(), None);
    }

    #[test]
    fn flags_beat_environment_which_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ferropress.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:7000\"\nsite_url = \"https://file.example/\"\ntrust_proxy = true\nmail_from = \"file@example.org\"\n").unwrap();
        let environment = env(&[
            ("FERROPRESS_BIND", "127.0.0.1:7001"),
            ("FERROPRESS_SITE_URL", "https://env.example"),
        ]);
        let flags = RawConfig {
            bind: Some("127.0.0.1:7002".into()),
            ..RawConfig::default()
        };
        let config = Config::load(flags, Some(&file), environment).unwrap();
        assert_eq!(config.bind.port(), 7002);
        assert_eq!(config.site_url, "https://env.example");
        assert_eq!(config.mail_from, "file@example.org");
        assert!(config.trust_proxy);
        assert!(config.is_https());
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let bad = |pairs: &[(&str, &str)]| {
            Config::load(RawConfig::default(), None, env(pairs))
                .unwrap_err()
                .to_string()
        };
        assert!(bad(&[("FERROPRESS_BIND", "nowhere")]).contains("invalid bind address"));
        assert!(bad(&[("DATABASE_URL", "mysql://x")]).contains("sqlite:// or postgres://"));
        assert!(bad(&[("FERROPRESS_SITE_URL", "ftp://x")]).contains("FERROPRESS_SITE_URL"));
        assert!(bad(&[("FERROPRESS_SMTP_URL", "http://x")]).contains("FERROPRESS_SMTP_URL"));
        assert!(bad(&[("FERROPRESS_TRUST_PROXY", "maybe")]).contains("FERROPRESS_TRUST_PROXY"));
        assert!(bad(&[("FERROPRESS_SECRET_KEY", "short")]).contains("32 characters"));
        assert!(bad(&[("FERROPRESS_PROXY_HOPS", "0")]).contains("FERROPRESS_PROXY_HOPS"));
        assert!(bad(&[("FERROPRESS_PROXY_HOPS", "many")]).contains("FERROPRESS_PROXY_HOPS"));
        assert!(bad(&[("FERROPRESS_LOG_FORMAT", "xml")]).contains("FERROPRESS_LOG_FORMAT"));
        assert!(bad(&[("FERROPRESS_METRICS_BIND", "anywhere")]).contains("FERROPRESS_METRICS_BIND"));
        for media in [
            "ftp://host/x",
            "s3://",
            "s3://UPPER/x",
            "s3://bucket/../x",
            "file://relative",
        ] {
            assert!(
                bad(&[("FERROPRESS_MEDIA_URL", media)]).contains("FERROPRESS_MEDIA_URL"),
                "{media}"
            );
        }
    }

    #[test]
    fn media_goes_to_a_folder_or_a_bucket() {
        let media = |pairs: &[(&str, &str)]| {
            Config::load(RawConfig::default(), None, env(pairs))
                .unwrap()
                .media
        };
        assert_eq!(
            media(&[("DATABASE_URL", "sqlite:///srv/blog/site.db")]),
            MediaLocation::Folder(PathBuf::from("/srv/blog/uploads"))
        );
        assert_eq!(
            media(&[("FERROPRESS_MEDIA_URL", "file:///var/media")]),
            MediaLocation::Folder(PathBuf::from("/var/media"))
        );
        let MediaLocation::Bucket(bucket) = media(&[
            ("FERROPRESS_MEDIA_URL", "s3://blog-media/site/uploads/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "key"),
            ("AWS_SECRET_ACCESS_KEY", "the-secret"),
        ]) else {
            panic!("a bucket");
        };
        assert_eq!(
            (bucket.bucket.as_str(), bucket.prefix.as_str()),
            ("blog-media", "site/uploads")
        );
        assert_eq!(bucket.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(bucket.region.as_deref(), Some("eu-west-1"));
        assert!(
            !format!("{bucket:?}").contains("the-secret"),
            "the secret stays out of logs"
        );
    }

    #[test]
    fn mail_from_defaults_to_the_site_host() {
        let config = Config::load(
            RawConfig::default(),
            None,
            env(&[("FERROPRESS_SITE_URL", "https://user@blog.example:8443/")]),
        )
        .unwrap();
        assert_eq!(config.mail_from, "ferropress@blog.example");
        assert_eq!(
            config.absolute_url("/feed/"),
            "https://user@blog.example:8443/feed/"
        );
    }
}
