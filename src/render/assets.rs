//! The theme's stylesheet, compiled into the binary and served under a URL
//! carrying its content hash, so browsers may cache it for a year.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

pub struct Stylesheet {
    /// `/static/style.<hash>.css`
    pub path: String,
    pub body: &'static str,
}

pub static STYLESHEET: LazyLock<Stylesheet> = LazyLock::new(|| {
    let body = include_str!("../../templates/static/style.css");
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    Stylesheet {
        path: format!("/static/style.{hash}.css"),
        body,
    }
});
