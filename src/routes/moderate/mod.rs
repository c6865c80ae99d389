//! `/moderate/{token}`: the Approve / Spam / Trash links of moderation
//! emails. Opening one shows a confirmation page; only its button (a POST)
//! acts, so a mail scanner that follows every link changes nothing. No login
//! is needed: the signed, single-use, expiring token is the permission.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::ModerationAction;
use crate::error::PageError;
use crate::models::action_token::{find_token, use_token, ActionToken};
use crate::models::comment::find_comment;
use crate::models::now;
use crate::moderate::moderate;
use crate::render::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "moderate/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: String,
    message: String,
    button: Option<&'static str>,
    comment_html: Option<String>,
}

/// Why a link no longer works, in words a moderator understands.
enum LinkState {
    Usable(ActionToken, ModerationAction),
    Used,
    Expired,
    Invalid,
}

async fn link_state(state: &AppState, token: String) -> Result<LinkState, PageError> {
    let secret = state.secret_key.clone();
    let Some(found) = state
        .db(move |conn| find_token(conn, &secret, &token))
        .await?
    else {
        return Ok(LinkState::Invalid);
    };
    let action = found.action;
    if found.used_at.is_some() {
        return Ok(LinkState::Used);
    }
    if found.expires_at < now() {
        return Ok(LinkState::Expired);
    }
    Ok(LinkState::Usable(found, action))
}

/// A page with a heading, a message, and optionally the comment concerned
/// and a button that POSTs back to the same address (the only thing that
/// acts). Email links (moderation, subscriptions) all answer with it.
pub fn confirmation_page(
    state: &AppState,
    heading: &str,
    message: &str,
    button: Option<&'static str>,
    comment_html: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut layout = state.site().layout(Some(heading));
    layout.robots = Some("noindex");
    let page = ConfirmPage {
        layout,
        heading: heading.to_owned(),
        message: message.to_owned(),
        button,
        comment_html,
    };
    let body = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}

fn message_page(
    state: &AppState,
    heading: &str,
    message: &str,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    confirmation_page(state, heading, message, None, None, status)
}

fn refusal(state: &AppState, link: &LinkState) -> Result<HttpResponse, PageError> {
    match link {
        LinkState::Used => message_page(
            state,
            "This link has already been used",
            "Someone already acted on this comment from this link. Open the moderation queue to see where it stands.",
            StatusCode::GONE,
        ),
        LinkState::Expired => message_page(
            state,
            "This link has expired",
            "Moderation links work for 7 days. Open the moderation queue to act on the comment.",
            StatusCode::GONE,
        ),
        _ => message_page(state, "This link is not valid", "The link is incomplete or was changed. Open the moderation queue instead.", StatusCode::NOT_FOUND),
    }
}

/// GET: shows what the button will do; changes nothing.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let link = link_state(&state, token.into_inner()).await?;
    let LinkState::Usable(found, action) = &link else {
        return refusal(&state, &link);
    };
    let comment_id = found.comment_id.unwrap_or_default();
    let comment = state.db(move |conn| find_comment(conn, comment_id)).await?;
    let Some(comment) = comment else {
        return message_page(
            &state,
            "This comment is gone",
            "The comment was deleted.",
            StatusCode::GONE,
        );
    };
    confirmation_page(
        &state,
        &format!("{} this comment?", action.label()),
        &format!(
            "Comment by {} (now {}):",
            comment.author_name, comment.status
        ),
        Some(action.label()),
        Some(comment.body_html.clone()),
        StatusCode::OK,
    )
}

/// POST: acts once. The token is spent in the same transaction as the
/// action, so two clicks (or two moderators) act once.
pub async fn act(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let link = link_state(&state, token.into_inner()).await?;
    let LinkState::Usable(found, action) = link else {
        return refusal(&state, &link);
    };
    let context = crate::mail::MailContext::of(&state);
    let token_id = found.id.clone();
    let comment_id = found.comment_id.unwrap_or_default();
    let acted = state
        .db(move |conn| {
            diesel::Connection::transaction(conn, |conn| {
                if !use_token(conn, &token_id)? {
                    return Ok(None);
                }
                Ok(Some(moderate(conn, &context, comment_id, action)?))
            })
        })
        .await?;
    match acted {
        None => refusal(&state, &LinkState::Used),
        Some(false) => message_page(
            &state,
            "Nothing to do",
            "The comment is gone or cannot take this action.",
            StatusCode::GONE,
        ),
        Some(true) => {
            tracing::info!(
                comment_id,
                action = action.as_str(),
                "comment moderated from an email link"
            );
            let done = match action {
                ModerationAction::Approve => "The comment is approved.",
                ModerationAction::Spam => "The comment is marked as spam.",
                ModerationAction::Trash => "The comment is in the Trash.",
                _ => "Done.",
            };
            message_page(&state, "Done", done, StatusCode::OK)
        }
    }
}
