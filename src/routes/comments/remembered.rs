//! "Save my name, email, and website in this browser for the next time I
//! comment": the reader's own details in their own cookie (only when they
//! tick the box), filled into the form on the server. A request carrying
//! the cookie never takes or fills the shared page cache, and its page is
//! `private, no-store`: one reader's details never reach another.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;

pub const COOKIE_NAME: &str = "ferropress_commenter";

/// A year, as WordPress keeps its commenter cookies.
const KEPT_FOR: Duration = Duration::days(365);

/// The details a reader asked to have kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remembered {
    pub author: String,
    pub email: String,
    pub url: String,
}

/// The details in the visitor's cookie, if they have it (each cut to its
/// field's length: the cookie is theirs to edit).
pub fn remembered(request: &HttpRequest) -> Option<Remembered> {
    let cookie = request.cookie(COOKIE_NAME)?;
    let mut found = Remembered::default();
    for (name, value) in form_urlencoded::parse(cookie.value().as_bytes()) {
        let (slot, limit) = match name.as_ref() {
            "author" => (&mut found.author, 100),
            "email" => (&mut found.email, 254),
            "url" => (&mut found.url, 200),
            _ => continue,
        };
        *slot = value.chars().filter(|c| *c != '\0').take(limit).collect();
    }
    (found != Remembered::default()).then_some(found)
}

/// The cookie keeping `details` for a year.
pub fn remember_cookie(details: &Remembered, secure: bool) -> Cookie<'static> {
    let value = form_urlencoded::Serializer::new(String::new())
        .append_pair("author", &details.author)
        .append_pair("email", &details.email)
        .append_pair("url", &details.url)
        .finish();
    Cookie::build(COOKIE_NAME, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(KEPT_FOR)
        .finish()
}

/// The cookie's removal (the box left unticked).
pub fn forget_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE_NAME, "")
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn details_round_trip_through_the_cookie_whatever_they_hold() {
        let details = Remembered {
            author: "Zoë; \"Quoted\" = Name, & co".to_owned(),
            email: "zoe+blog@example.org".to_owned(),
            url: "https://example.org/a?b=c&d=e".to_owned(),
        };
        let cookie = remember_cookie(&details, true);
        assert!(
            !cookie.value().contains([';', ' ', '"', ',']),
            "{}",
            cookie.value()
        );
        let request = TestRequest::default().cookie(cookie).to_http_request();
        assert_eq!(remembered(&request), Some(details));
        assert_eq!(remembered(&TestRequest::default().to_http_request()), None);
    }

    #[test]
    fn an_edited_cookie_is_cut_to_the_fields_lengths() {
        let long = "a".repeat(5000);
        let request = TestRequest::default()
            .cookie(Cookie::new(
                COOKIE_NAME,
                format!("author={long}&email=%00x%40y.z&other=1"),
            ))
            .to_http_request();
        let found = remembered(&request).unwrap();
        assert_eq!(found.author.len(), 100);
        assert_eq!(found.email, "x@y.z");
    }
}
