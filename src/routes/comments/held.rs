//! The signed cookie naming the held comments a visitor wrote, so they alone
//! see them "awaiting moderation". It names comment ids, never the email.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;

use crate::auth::signing::{open_signed_value, signed_value, Purpose};

pub const COOKIE_NAME: &str = "ferropress_held";
/// The newest ids kept; older ones are forgotten.
const MAX_IDS: usize = 20;

/// The held comment ids the visitor's cookie vouches for.
pub fn held_comment_ids(request: &HttpRequest, secret: &str) -> Vec<i64> {
    request
        .cookie(COOKIE_NAME)
        .and_then(|cookie| {
            open_signed_value(secret, Purpose::HeldComments, cookie.value()).map(parse_ids)
        })
        .unwrap_or_default()
}

fn parse_ids(text: &str) -> Vec<i64> {
    text.split('-').filter_map(|id| id.parse().ok()).collect()
}

/// The cookie after adding `comment_id` to what the visitor already had.
pub fn held_cookie(
    mut ids: Vec<i64>,
    comment_id: i64,
    secret: &str,
    secure: bool,
) -> Cookie<'static> {
    ids.retain(|id| *id != comment_id);
    ids.push(comment_id);
    let skip = ids.len().saturating_sub(MAX_IDS);
    let text = ids[skip..]
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("-");
    Cookie::build(
        COOKIE_NAME,
        signed_value(secret, Purpose::HeldComments, &text),
    )
    .path("/")
    .http_only(true)
    .secure(secure)
    .same_site(SameSite::Lax)
    .max_age(Duration::days(30))
    .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_cookie_round_trips_and_keeps_the_newest_ids() {
        let mut ids = Vec::new();
        for id in 1..=25 {
            let cookie = held_cookie(ids.clone(), id, SECRET, false);
            let request = TestRequest::default().cookie(cookie).to_http_request();
            ids = held_comment_ids(&request, SECRET);
        }
        assert_eq!(ids, (6..=25).collect::<Vec<_>>());
    }

    #[test]
    fn a_forged_cookie_names_nothing() {
        let request = TestRequest::default()
            .cookie(Cookie::new(COOKIE_NAME, "1-2-3.deadbeef"))
            .to_http_request();
        assert!(held_comment_ids(&request, SECRET).is_empty());
        let cookie = held_cookie(vec![], 7, SECRET, true);
        assert!(cookie.http_only().unwrap_or(false) && cookie.secure().unwrap_or(false));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    }
}
