//! The theme's files, compiled into the binary and served under URLs
//! carrying their content hash, so browsers may cache them for a year.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

pub struct Asset {
    /// `/static/NAME.<hash>.EXT`
    pub path: String,
    pub body: &'static str,
    pub content_type: &'static str,
}

fn asset(name: &str, extension: &str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    Asset {
        path: format!("/static/{name}.{hash}.{extension}"),
        body,
        content_type,
    }
}

pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "style",
        "css",
        include_str!("../../templates/static/style.css"),
        "text/css; charset=utf-8",
    )
});

/// The admin panel's own rules, on top of the theme's.
pub static ADMIN_STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "admin",
        "css",
        include_str!("../../templates/static/admin.css"),
        "text/css; charset=utf-8",
    )
});

/// Moves the comment form under the comment being answered; the reply links
/// work without it.
pub static COMMENT_REPLY_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "comment-reply",
        "js",
        include_str!("../../templates/static/comment-reply.js"),
        "text/javascript; charset=utf-8",
    )
});

/// Drop a picture on the post editor to upload it; the file field works
/// without it.
pub static PICTURE_DROP_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "picture-drop",
        "js",
        include_str!("../../templates/static/picture-drop.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The comments screen from the keyboard (WordPress's shortcuts), a
/// select-all box and inline replies; every action works without it.
pub static COMMENT_QUEUE_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "comment-queue",
        "js",
        include_str!("../../templates/static/comment-queue.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The asset served at `path`, if any.
pub fn find_asset(path: &str) -> Option<&'static Asset> {
    [
        &*STYLESHEET,
        &*ADMIN_STYLESHEET,
        &*COMMENT_REPLY_SCRIPT,
        &*PICTURE_DROP_SCRIPT,
        &*COMMENT_QUEUE_SCRIPT,
    ]
    .into_iter()
    .find(|asset| asset.path == path)
}
