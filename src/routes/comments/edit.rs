//! `/comments/{id}/edit`: a commenter changes or deletes their own comment,
//! from the browser that wrote it, for the minutes Settings > Discussion
//! allows (Isso's and Remark42's edit window). The edit is judged again by
//! what its text trips; the old text is kept as a revision the panel shows.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::comment::MAX_COMMENT_CHARS;
use crate::domain::moderation::{decide, AuthorHistory, CommentFacts, ModerationRules, Verdict};
use crate::domain::CommentStatus;
use crate::error::PageError;
use crate::mail::notify::comment_held_again;
use crate::mail::MailContext;
use crate::models::comment::{
    comment_path, comment_revisions, edit_own_comment, find_comment, trash_own_comment, Comment,
    CommentEdit,
};
use crate::models::now;
use crate::models::post::{find_post, Post};
use crate::render::comment::render_comment;
use crate::render::layout::Layout;
use crate::routes::comments::held::{held_comment_ids, held_cookie};
use crate::routes::comments::own::{forget_cookie, form_token, form_token_matches, own_until};
use crate::state::AppState;

pub const WINDOW_CLOSED_MESSAGE: &str =
    "This comment can no longer be changed here: comments can be edited for a few minutes after they are sent, and only from the browser that sent them.";

#[derive(Template)]
#[template(path = "comments/edit.html")]
struct EditPage {
    layout: Layout,
    /// `false`: the window is closed, `message` says so.
    editable: bool,
    message: &'static str,
    comment_id: i64,
    post_title: String,
    permalink: String,
    text: String,
    token: String,
    minutes_left: i64,
    error: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    token: String,
}

/// The comment, its post and when this browser's window closes; or the
/// answer for a reader who may not edit it.
async fn editable(
    request: &HttpRequest,
    state: &AppState,
    comment_id: i64,
) -> Result<Result<(Comment, Post, i64), HttpResponse>, PageError> {
    let Some(until) = own_until(request, &state.secret_key, comment_id, now()) else {
        let mut layout = state
            .site()
            .layout(Some("You can no longer edit this comment"));
        layout.robots = Some("noindex");
        let page = EditPage {
            layout,
            editable: false,
            message: WINDOW_CLOSED_MESSAGE,
            comment_id,
            post_title: String::new(),
            permalink: String::new(),
            text: String::new(),
            token: String::new(),
            minutes_left: 0,
            error: None,
        };
        return Ok(Err(page_response(&page, StatusCode::FORBIDDEN)?));
    };
    let found = state
        .db(move |conn| {
            let Some(comment) = find_comment(conn, comment_id)? else {
                return Ok(None);
            };
            Ok(find_post(conn, comment.post_id)?.map(|post| (comment, post)))
        })
        .await?;
    match found {
        Some((comment, post)) if comment.status != CommentStatus::Trash => {
            Ok(Ok((comment, post, until)))
        }
        _ => Err(PageError::NotFound),
    }
}

/// As `editable`, for a form sent back: its token must be the one the
/// edit page gave for this comment and window.
async fn sent_by_its_author(
    request: &HttpRequest,
    state: &AppState,
    comment_id: i64,
    token: &str,
) -> Result<Result<(Comment, Post, i64), HttpResponse>, PageError> {
    let found = editable(request, state, comment_id).await?;
    if let Ok((comment, _, until)) = &found {
        if !form_token_matches(&state.secret_key, comment.id, *until, token) {
            return Err(PageError::CsrfRejected);
        }
    }
    Ok(found)
}

fn edit_page(
    state: &AppState,
    comment: &Comment,
    post: &Post,
    until: i64,
    text: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut layout = state.site().layout(Some("Edit your comment"));
    layout.robots = Some("noindex");
    let page = EditPage {
        layout,
        editable: true,
        message: "",
        comment_id: comment.id,
        post_title: post.title.clone(),
        permalink: post.permalink(),
        text,
        token: form_token(&state.secret_key, comment.id, until),
        minutes_left: ((until - now()) + 59) / 60,
        error,
    };
    page_response(&page, status)
}

/// The page, for this reader only.
fn page_response(page: &EditPage, status: StatusCode) -> Result<HttpResponse, PageError> {
    let body = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}

/// GET: the text to change, and the Delete button.
pub async fn edit_form(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    match editable(&request, &state, path.into_inner()).await? {
        Ok((comment, post, until)) => {
            let text = comment.body_source.clone();
            edit_page(&state, &comment, &post, until, text, None, StatusCode::OK)
        }
        Err(refusal) => Ok(refusal),
    }
}

/// The rules a changed text is judged by: only what the text itself trips
/// (links, moderation words, disallowed words). Holding every comment, or
/// first-time authors, was decided when it arrived.
fn judge_edit(state: &AppState, comment: &Comment, text: &str) -> Verdict {
    let rules = ModerationRules {
        hold_all: false,
        require_previously_approved: false,
        ..state.site().discussion.rules.clone()
    };
    let facts = CommentFacts {
        body: text,
        author: &comment.author_name,
        email: &comment.author_email,
        url: &comment.author_url,
        ip: &comment.author_ip,
        user_agent: &comment.user_agent,
        ..CommentFacts::default()
    };
    decide(
        &facts,
        &rules,
        AuthorHistory {
            has_approved_comment: true,
        },
    )
}

/// POST: saves the new text, judged again; `303` to the comment.
pub async fn save(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: crate::forms::CleanForm<EditForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (comment, post, until) =
        match sent_by_its_author(&request, &state, path.into_inner(), &form.token).await? {
            Ok(found) => found,
            Err(refusal) => return Ok(refusal),
        };
    let text = form.comment.trim().replace("\r\n", "\n");
    let error = if text.is_empty() {
        Some("Please type your comment.")
    } else if text.chars().count() > MAX_COMMENT_CHARS {
        Some("Your comment is too long: at most 10,000 characters.")
    } else {
        None
    };
    if error.is_some() {
        return edit_page(
            &state,
            &comment,
            &post,
            until,
            form.comment,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let verdict = judge_edit(&state, &comment, &text);
    let source = text.clone();
    let body_html = web::block(move || render_comment(&source))
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("rendering failed: {error}")))?;
    let edit = CommentEdit {
        body_source: text,
        body_html,
        author_name: comment.author_name.clone(),
        author_email: comment.author_email.clone(),
        author_url: comment.author_url.clone(),
    };
    let held_ids = held_comment_ids(&request, &state.secret_key);
    let shown = [held_ids.clone(), vec![comment.id]].concat();
    let context = MailContext::of(&state);
    let paging = state.site().discussion.paging();
    let was_approved = comment.status == CommentStatus::Approved;
    let (edited, location) = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let edited = edit_own_comment(conn, comment.id, &edit, verdict)?;
                let location = comment_path(conn, &post, edited.id, &shown, paging)?;
                if was_approved && edited.status == CommentStatus::Pending {
                    // Held again: moderators hear of it as of a new comment.
                    let edition = comment_revisions(conn, edited.id)?.len();
                    comment_held_again(conn, &context, &edited, &post, &location, edition)?;
                }
                Ok((edited, location))
            })
        })
        .await?;
    tracing::info!(
        comment_id = edited.id,
        status = edited.status.as_str(),
        "comment edited by its author"
    );
    let mut response = HttpResponse::SeeOther();
    response.insert_header((
        header::LOCATION,
        crate::domain::slug::percent_encode_path(&location),
    ));
    if edited.status != CommentStatus::Approved {
        // Its author still sees it, "awaiting moderation".
        response.cookie(held_cookie(
            held_ids,
            edited.id,
            &state.secret_key,
            state.config.is_https(),
        ));
    }
    Ok(response.finish())
}

#[derive(Debug, Default, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    token: String,
}

/// POST `/comments/{id}/delete`: the comment goes to the Trash; `303` to
/// its post's comments.
pub async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: crate::forms::CleanForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (comment, post, _) =
        match sent_by_its_author(&request, &state, path.into_inner(), &form.token).await? {
            Ok(found) => found,
            Err(refusal) => return Ok(refusal),
        };
    let id = comment.id;
    state.db(move |conn| trash_own_comment(conn, id)).await?;
    tracing::info!(comment_id = id, "comment deleted by its author");
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            crate::domain::slug::percent_encode_path(&format!("{}#comments", post.permalink())),
        ))
        .cookie(forget_cookie(id))
        .finish())
}
