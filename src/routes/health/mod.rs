//! `/healthz` for load balancers and monitors.

pub mod get;
