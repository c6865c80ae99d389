//! Reply subscriptions: the double opt-in confirmation, the page listing a
//! reader's subscriptions (stop one post's, or all), and unsubscribing —
//! from a page, or with RFC 8058's one-click POST. None needs a session or
//! a CSRF token: the signed link in the reader's mail is the permission.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::auth::signing::{open_signed_value, Purpose};
use crate::error::PageError;
use crate::models::now;
use crate::models::subscriber::{
    confirm_subscriber, find_subscriber, subscribed_posts, unsubscribe, unsubscribe_from_post,
};
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

#[derive(askama::Template)]
#[template(path = "subscriptions/manage.html")]
struct ManagePage {
    layout: crate::render::layout::Layout,
    notice: Option<&'static str>,
    receives_mail: bool,
    unsubscribed: bool,
    posts: Vec<SubscribedPost>,
    unsubscribe_action: String,
}

struct SubscribedPost {
    title: String,
    permalink: String,
    /// How many of the reader's comments there.
    comments: String,
    stop_action: String,
}

/// `/subscriptions/manage/{token}`: every post on which the reader hears
/// about replies, each with its own "stop", and "unsubscribe from all".
pub async fn manage(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    manage_page(&state, &token, None).await
}

/// Stops one post's replies: `/subscriptions/manage/{token}/post/{post_id}`.
pub async fn stop_post(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, PageError> {
    let (token, post_id) = path.into_inner();
    let Some(id) = unsubscribe_subscriber(&state.secret_key, &token) else {
        return not_valid(&state);
    };
    state
        .db(move |conn| unsubscribe_from_post(conn, id, post_id))
        .await?;
    tracing::info!(subscriber_id = id, post_id, "stopped replies on a post");
    manage_page(
        &state,
        &token,
        Some("You will get no more emails about replies on that post."),
    )
    .await
}

fn not_valid(state: &AppState) -> Result<HttpResponse, PageError> {
    page(
        state,
        "Not found",
        "This link is not valid.",
        None,
        StatusCode::NOT_FOUND,
    )
}

async fn manage_page(
    state: &AppState,
    token: &str,
    notice: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    use askama::Template;
    let Some(id) = unsubscribe_subscriber(&state.secret_key, token) else {
        return not_valid(state);
    };
    let found = state
        .db(move |conn| {
            let Some(subscriber) = find_subscriber(conn, id)? else {
                return Ok(None);
            };
            Ok(Some((subscriber.clone(), subscribed_posts(conn, id)?)))
        })
        .await?;
    let Some((subscriber, posts)) = found else {
        return not_valid(state);
    };
    let mut layout = state.site().layout(Some("Your reply subscriptions"));
    layout.robots = Some("noindex");
    let body = ManagePage {
        layout,
        notice,
        receives_mail: subscriber.receives_mail(),
        unsubscribed: subscriber.unsubscribed_at.is_some(),
        posts: posts
            .into_iter()
            .map(|(post, comments)| SubscribedPost {
                permalink: post.permalink(),
                comments: if comments == 1 {
                    "1 comment".to_owned()
                } else {
                    format!("{comments} comments")
                },
                stop_action: format!("/subscriptions/manage/{token}/post/{}", post.id),
                title: post.title,
            })
            .collect(),
        unsubscribe_action: format!("/subscriptions/unsubscribe/{token}"),
    }
    .render()
    .map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}
