//! A commenter's own comments, for the minutes they may still edit or
//! delete them (Settings > Discussion, 10 by default): the browser that
//! wrote a comment holds a signed cookie for it, `ferropress_edit_{id}`,
//! naming the comment and when the window closes. Pages that show a reader
//! their own Edit and Delete links are rendered for them alone.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;

use crate::auth::signing::{open_signed_value, sign, signed_value, verify, Purpose};

pub const COOKIE_PREFIX: &str = "ferropress_edit_";

fn cookie_name(comment_id: i64) -> String {
    format!("{COOKIE_PREFIX}{comment_id}")
}

/// The cookie for `comment_id`, good until `until` (Unix seconds).
pub fn own_cookie(
    comment_id: i64,
    until: i64,
    now: i64,
    secret: &str,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(
        cookie_name(comment_id),
        signed_value(
            secret,
            Purpose::CommentEdit,
            &format!("{comment_id}-{until}"),
        ),
    )
    .path("/")
    .http_only(true)
    .secure(secure)
    .same_site(SameSite::Lax)
    .max_age(Duration::seconds((until - now).max(0)))
    .finish()
}

/// Expires the cookie for `comment_id` (it was deleted).
pub fn forget_cookie(comment_id: i64) -> Cookie<'static> {
    let mut cookie = Cookie::build(cookie_name(comment_id), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// Whether the request carries any such cookie (the shared cache passes it by).
pub fn has_own_cookies(request: &actix_web::dev::ServiceRequest) -> bool {
    request.cookies().is_ok_and(|cookies| {
        cookies
            .iter()
            .any(|cookie| cookie.name().starts_with(COOKIE_PREFIX))
    })
}

/// The comments this browser may still edit at `now`, with when each window closes.
pub fn own_comments(request: &HttpRequest, secret: &str, now: i64) -> Vec<(i64, i64)> {
    let Ok(cookies) = request.cookies() else {
        return Vec::new();
    };
    cookies
        .iter()
        .filter_map(|cookie| {
            let named = cookie
                .name()
                .strip_prefix(COOKIE_PREFIX)?
                .parse::<i64>()
                .ok()?;
            let message = open_signed_value(secret, Purpose::CommentEdit, cookie.value())?;
            let (id, until) = message.split_once('-')?;
            let (id, until) = (id.parse::<i64>().ok()?, until.parse::<i64>().ok()?);
            (id == named && until > now).then_some((id, until))
        })
        .collect()
}

/// When this browser's window to edit `comment_id` closes, if it is open.
pub fn own_until(request: &HttpRequest, secret: &str, comment_id: i64, now: i64) -> Option<i64> {
    own_comments(request, secret, now)
        .into_iter()
        .find(|(id, _)| *id == comment_id)
        .map(|(_, until)| until)
}

/// The edit form's token: good only for this comment and window.
pub fn form_token(secret: &str, comment_id: i64, until: i64) -> String {
    sign(
        secret,
        Purpose::CommentEdit,
        &format!("form-{comment_id}-{until}"),
    )
}

pub fn form_token_matches(secret: &str, comment_id: i64, until: i64, given: &str) -> bool {
    verify(
        secret,
        Purpose::CommentEdit,
        &format!("form-{comment_id}-{until}"),
        given,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_cookie_names_its_comment_until_its_window_closes() {
        let cookie = own_cookie(7, 1_600, 1_000, SECRET, true);
        assert_eq!(cookie.name(), "ferropress_edit_7");
        assert_eq!(cookie.max_age(), Some(Duration::seconds(600)));
        assert!(cookie.http_only().unwrap_or(false) && cookie.secure().unwrap_or(false));
        let request = TestRequest::default().cookie(cookie).to_http_request();
        assert_eq!(own_comments(&request, SECRET, 1_000), vec![(7, 1_600)]);
        assert_eq!(own_until(&request, SECRET, 7, 1_599), Some(1_600));
        assert_eq!(own_until(&request, SECRET, 7, 1_600), None, "closed");
        assert_eq!(own_until(&request, SECRET, 8, 1_000), None);
    }

    #[test]
    fn forged_or_renamed_cookies_name_nothing() {
        let genuine = own_cookie(7, 1_600, 1_000, SECRET, false);
        // The value of comment 7's cookie under comment 8's name.
        let renamed = Cookie::new("ferropress_edit_8", genuine.value().to_owned());
        let stretched = Cookie::new(
            "ferropress_edit_7",
            genuine.value().replacen("1600", "9999", 1),
        );
        for cookie in [renamed, stretched] {
            let request = TestRequest::default().cookie(cookie).to_http_request();
            assert!(own_comments(&request, SECRET, 1_000).is_empty());
        }
        let token = form_token(SECRET, 7, 1_600);
        assert!(form_token_matches(SECRET, 7, 1_600, &token));
        assert!(!form_token_matches(SECRET, 8, 1_600, &token));
        assert!(!form_token_matches(SECRET, 7, 1_601, &token));
    }
}
