//! Reply subscriptions: the double opt-in confirmation, and unsubscribing —
//! from a page, or with RFC 8058's one-click POST, which needs no session
//! and no CSRF token (the signed link is the permission).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::auth::signing::{open_signed_value, Purpose};
use crate::error::PageError;
use crate::models::now;
use crate::models::subscriber::{confirm_subscriber, find_subscriber, unsubscribe};
use crate::routes::moderate::confirmation_page;
use crate::state::AppState;

fn page(
    state: &AppState,
    heading: &str,
    message: &str,
    button: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    confirmation_page(state, heading, message, button, None, status)
}

/// The subscriber a confirmation link names, if it is genuine and fresh.
fn confirmation_subscriber(secret: &str, token: &str) -> Result<i64, &'static str> {
    let message = open_signed_value(secret, Purpose::SubscriptionConfirm, token)
        .ok_or("This link is not valid.")?;
    let (id, expires) = message.split_once('.').ok_or("This link is not valid.")?;
    let expires: i64 = expires.parse().map_err(|_| "This link is not valid.")?;
    if expires < now() {
        return Err(
            "This link has expired. Leave another comment with the box ticked to get a new one.",
        );
    }
    id.parse().map_err(|_| "This link is not valid.")
}

pub async fn confirm_form(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    match confirmation_subscriber(&state.secret_key, &token) {
        Ok(_) => page(
            &state,
            "Confirm your subscription",
            "Get an email when someone replies to your comment.",
            Some("Confirm"),
            StatusCode::OK,
        ),
        Err(message) => page(
            &state,
            "Subscription not confirmed",
            message,
            None,
            StatusCode::GONE,
        ),
    }
}

pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = match confirmation_subscriber(&state.secret_key, &token) {
        Ok(id) => id,
        Err(message) => {
            return page(
                &state,
                "Subscription not confirmed",
                message,
                None,
                StatusCode::GONE,
            )
        }
    };
    state.db(move |conn| confirm_subscriber(conn, id)).await?;
    page(
        &state,
        "Subscription confirmed",
        "You will get an email when someone replies to your comment.",
        None,
        StatusCode::OK,
    )
}

fn unsubscribe_subscriber(secret: &str, token: &str) -> Option<i64> {
    open_signed_value(secret, Purpose::Unsubscribe, token).and_then(|id| id.parse().ok())
}

pub async fn unsubscribe_form(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(id) = unsubscribe_subscriber(&state.secret_key, &token) else {
        return page(
            &state,
            "Not unsubscribed",
            "This link is not valid.",
            None,
            StatusCode::NOT_FOUND,
        );
    };
    let subscriber = state.db(move |conn| find_subscriber(conn, id)).await?;
    match subscriber {
        Some(subscriber) if subscriber.unsubscribed_at.is_none() => page(
            &state,
            "Unsubscribe",
            "Stop emails about replies to your comments?",
            Some("Unsubscribe"),
            StatusCode::OK,
        ),
        _ => page(
            &state,
            "Unsubscribed",
            "You will not get any more emails about replies.",
            None,
            StatusCode::OK,
        ),
    }
}

/// The page's button and mail clients' one-click POST alike.
pub async fn unsubscribe_now(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(id) = unsubscribe_subscriber(&state.secret_key, &token) else {
        return page(
            &state,
            "Not unsubscribed",
            "This link is not valid.",
            None,
            StatusCode::NOT_FOUND,
        );
    };
    state.db(move |conn| unsubscribe(conn, id)).await?;
    tracing::info!(subscriber_id = id, "unsubscribed from replies");
    page(
        &state,
        "Unsubscribed",
        "You will not get any more emails about replies.",
        None,
        StatusCode::OK,
    )
}
