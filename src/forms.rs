//! Reading `application/x-www-form-urlencoded` bodies without the pitfalls
//! of a plain `web::Form`: a NUL character (which PostgreSQL cannot store)
//! never reaches the database, and a field sent twice is something the
//! handler can answer (`422` at the field) instead of a bare `400`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

/// The body's fields in order, percent-decoded (invalid UTF-8 replaced).
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// `text` without NUL characters, and whether it had any.
pub fn strip_nul(text: &str) -> (String, bool) {
    if text.contains('\0') {
        (text.replace('\0', ""), true)
    } else {
        (text.to_owned(), false)
    }
}

/// Decodes a body into `T` with every NUL character removed from names and values.
pub fn decode_without_nul<T: DeserializeOwned>(
    body: &[u8],
) -> Result<T, serde_urlencoded::de::Error> {
    let mut clean = form_urlencoded::Serializer::new(String::with_capacity(body.len()));
    for (name, value) in fields(body) {
        clean.append_pair(&strip_nul(&name).0, &strip_nul(&value).0);
    }
    serde_urlencoded::from_str(&clean.finish())
}

/// A form read as `web::Form` reads it, without NUL characters. The body
/// limit is the route's `web::PayloadConfig`.
pub struct CleanForm<T>(pub T);

impl<T> CleanForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CleanForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<CleanForm<T>, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let body = body.await?;
            decode_without_nul(&body)
                .map(CleanForm)
                .map_err(actix_web::error::ErrorBadRequest)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Login {
        email: String,
    }

    #[test]
    fn nul_characters_are_removed_and_other_text_kept() {
        let login: Login = decode_without_nul(b"email=a%00b%25%30%30@example.com").unwrap();
        assert_eq!(login.email, "ab%00@example.com");
        assert_eq!(strip_nul("a\0b"), ("ab".to_owned(), true));
        assert_eq!(strip_nul("ab"), ("ab".to_owned(), false));
        assert_eq!(
            fields(b"comment=a&comment=b&x=%FF"),
            vec![
                ("comment".to_owned(), "a".to_owned()),
                ("comment".to_owned(), "b".to_owned()),
                ("x".to_owned(), "\u{FFFD}".to_owned())
            ]
        );
    }
}
