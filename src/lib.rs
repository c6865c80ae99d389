//! ferropress: a blog engine in one binary. `main.rs` parses the command line
//! and calls into the modules below.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod forms;
pub mod linkcheck;
pub mod mail;
pub mod media_store;
pub mod metrics;
pub mod models;
pub mod moderate;
pub mod page_cache;
pub mod render;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod uploads;
pub mod wxr;
