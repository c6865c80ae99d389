//! End-to-end tests: the real server on an ephemeral port over a fresh
//! database, driven over HTTP (and through headless Chromium).

/// Defines a test that runs once on SQLite (`name::sqlite`) and once on
/// PostgreSQL (`name::postgres`, skipped outside CI without a database).
macro_rules! on_both_backends {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: crate::helpers::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = crate::helpers::TestApp::spawn(ferropress::db::Backend::Sqlite).await {
                    scenario(app).await
                }
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)")]
            async fn postgres() {
                if let Some(app) = crate::helpers::TestApp::spawn(ferropress::db::Backend::Postgres).await {
                    scenario(app).await
                }
            }
        }
    };
}

/// As `on_both_backends!`, with mail going to an in-process SMTP server.
macro_rules! on_both_backends_with_mail {
    ($(#[$meta:meta])* async fn $name:ident($app:ident, $sink:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: crate::helpers::TestApp, $sink: crate::smtp::SmtpSink) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some((app, sink)) = crate::helpers::TestApp::spawn_with_mail(ferropress::db::Backend::Sqlite).await {
                    scenario(app, sink).await
                }
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)")]
            async fn postgres() {
                if let Some((app, sink)) = crate::helpers::TestApp::spawn_with_mail(ferropress::db::Backend::Postgres).await {
                    scenario(app, sink).await
                }
            }
        }
    };
}

/// As `on_both_backends!`, with the configuration adjusted first
/// (`with |raw| { … }` after the name).
macro_rules! on_both_backends_configured {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) with $adjust:expr; $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: crate::helpers::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = crate::helpers::TestApp::spawn_with(ferropress::db::Backend::Sqlite, $adjust).await {
                    scenario(app).await
                }
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)")]
            async fn postgres() {
                if let Some(app) = crate::helpers::TestApp::spawn_with(ferropress::db::Backend::Postgres, $adjust).await {
                    scenario(app).await
                }
            }
        }
    };
}

/// In CI the PostgreSQL tests must run, not be ignored.
#[test]
fn postgres_tests_are_not_ignored_in_ci() {
    if helpers::in_ci() {
        let postgres_tests_compiled = cfg!(postgres_tests);
        assert!(
            postgres_tests_compiled,
            "CI must set FERROPRESS_TEST_DATABASE_URL so that the PostgreSQL tests run"
        );
    }
}

mod accounts;
mod admin;
mod browser;
mod cache;
mod cli;
mod comment_form;
mod comment_pages;
mod comments;
mod digests;
mod feeds;
mod hardening;
mod health;
mod helpers;
mod import;
mod mail;
mod media_store;
mod operations;
mod pages;
mod permalinks;
mod privacy;
mod properties;
mod protected_posts;
mod reader_pages;
mod route_table;
mod second_site;
mod second_site_live;
mod smtp;
mod snapshots;
mod spam_filter;
mod tags;
mod tcp_proxy;
mod uploads;
mod validity;
mod wordpress_move;
