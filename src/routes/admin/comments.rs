//! `/admin/comments`: the moderation queue. Tabs by status, search, keyset
//! pages of 20, per-comment and bulk actions, reply and edit.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{
    admin_page, admin_page_with_status, safe_return, see_other, with_notice, AdminLayout, FieldMap,
    Notice, NoticeQuery,
};
use crate::domain::comment::{AuthorUrl, MAX_COMMENT_CHARS, MAX_NAME_CHARS};
use crate::domain::CommentStatus;
use crate::domain::EmailAddress;
use crate::domain::FieldErrors;
use crate::domain::ModerationAction;
use crate::error::PageError;
use crate::mail::notify::comment_approved;
use crate::models::comment::{
    comment_revisions, count_spam_and_trash, edit_comment, find_comment, list_admin_comments,
    reply_as_staff, set_comment_status, where_comments_are, Comment, CommentEdit, CommentQuery,
    QueueOrder,
};
use crate::moderate::moderate;
use crate::render::comment::render_comment;

use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

pub const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "admin/comments.html")]
struct CommentsPage {
    layout: AdminLayout,
    tabs: Vec<Tab>,
    status: Option<CommentStatus>,
    search: String,
    rows: Vec<Row>,
    this_page: String,
    next_page: Option<String>,
    first_page: Option<String>,
    /// The bulk-action menu.
    actions: &'static [ModerationAction],
    /// The same listing in the other order: (address, label).
    reorder: (String, &'static str),
    digest: Option<i64>,
    queue_script: &'static str,
}

struct Tab {
    label: &'static str,
    href: String,
    count: Option<i64>,
    current: bool,
}

struct Row {
    id: i64,
    status: CommentStatus,
    author_name: String,
    author_email: String,
    author_url: String,
    author_ip: String,
    body_html: String,
    /// The filter's score, when it scored the comment.
    spam_score: Option<String>,
    spam_why: String,
    post_title: String,
    permalink: String,
    date: String,
    /// What a reply answers: its author and where it is.
    in_reply_to: Option<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    s: Option<String>,
    before: Option<i64>,
    /// With `orderby=score`: the score of `before`.
    score: Option<f64>,
    orderby: Option<String>,
    digest: Option<i64>,
    done: Option<String>,
    n: Option<usize>,
    undo: Option<String>,
    /// The reply just published, linked from the notice.
    reply: Option<i64>,
}

/// Which part of the queue a page lists: a tab, a search, an order, a
/// digest. Every link between its pages is built here.
#[derive(Clone)]
struct Listing {
    status: Option<CommentStatus>,
    search: String,
    order: QueueOrder,
    digest: Option<i64>,
}

impl Listing {
    fn tab(status: Option<CommentStatus>) -> Listing {
        Listing {
            status,
            search: String::new(),
            order: QueueOrder::Newest,
            digest: None,
        }
    }

    /// The listing's first page, or the one after comment `before` (with
    /// its score when ordered by score).
    fn url(&self, before: Option<(i64, f64)>) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status={status}"));
        }
        if !self.search.is_empty() {
            parts.push(format!("s={}", crate::error::percent_encode(&self.search)));
        }
        if self.order == QueueOrder::Score {
            parts.push("orderby=score".to_owned());
        }
        if let Some(digest) = self.digest {
            parts.push(format!("digest={digest}"));
        }
        if let Some((before, score)) = before {
            parts.push(format!("before={before}"));
            if self.order == QueueOrder::Score {
                parts.push(format!("score={score:?}"));
            }
        }
        if parts.is_empty() {
            "/admin/comments".to_owned()
        } else {
            format!("/admin/comments?{}", parts.join("&"))
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    // An unknown tab is the "All" tab, as a stale bookmark should be.
    let listing = Listing {
        status: query
            .status
            .as_deref()
            .and_then(|status| status.parse().ok()),
        search: query.s.as_deref().unwrap_or_default().trim().to_owned(),
        // By score within one tab (an index serves it), never across all.
        order: match (query.orderby.as_deref(), &query.status) {
            (Some("score"), Some(_)) => QueueOrder::Score,
            _ => QueueOrder::Newest,
        },
        digest: query.digest,
    };
    let comment_query = CommentQuery {
        status: listing.status,
        search: Some(listing.search.clone()).filter(|search| !search.is_empty()),
        before_id: query.before,
        before_score: query.score.filter(|score| score.is_finite()),
        order: listing.order,
        digest: listing.digest,
        limit: PAGE_SIZE,
    };
    let paging = state.site().discussion.paging();
    let reply = query.reply;
    let ((rows, has_more), counts, linked) = state
        .db(move |conn| {
            let listed = list_admin_comments(conn, &comment_query)?;
            let mut ids: Vec<i64> = listed
                .0
                .iter()
                .filter_map(|row| row.comment.parent_id)
                .chain(reply)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let linked = where_comments_are(conn, &ids, paging)?;
            Ok((listed, count_spam_and_trash(conn)?, linked))
        })
        .await?;
    let link_to = |id: Option<i64>| {
        let id = id?;
        linked
            .iter()
            .find(|(found, _, _)| *found == id)
            .map(|(_, name, path)| (name.clone(), path.clone()))
    };
    let (spam_count, trash_count) = counts;
    let title = if listing.search.is_empty() {
        "Comments".to_owned()
    } else {
        format!("Comments matching “{}”", listing.search)
    };
    let notice = NoticeQuery {
        done: query.done.clone(),
        n: query.n,
    }
    .text();
    let undo = query
        .undo
        .clone()
        .filter(|undo| parse_undo(undo).is_some())
        .map(|undo| {
            (
                undo,
                listing.url(
                    query
                        .before
                        .map(|before| (before, query.score.unwrap_or(0.5))),
                ),
            )
        });
    let mut layout = AdminLayout::new(&state, &staff, &title, "Comments")
        .await?
        .with_notice(notice)
        .with_undo(undo);
    if let Some((_, path)) = link_to(query.reply) {
        layout = layout.with_notice_link("View reply", path);
    }
    let count = |status: Option<CommentStatus>| match status? {
        CommentStatus::Pending => Some(layout.pending),
        CommentStatus::Spam => Some(spam_count),
        CommentStatus::Trash => Some(trash_count),
        CommentStatus::Approved => None,
    };
    let tabs = std::iter::once(None)
        .chain(CommentStatus::ALL.iter().copied().map(Some))
        .map(|tab_status| Tab {
            label: tab_status.map_or("All", CommentStatus::tab_label),
            href: Listing::tab(tab_status).url(None),
            count: count(tab_status),
            current: tab_status == listing.status,
        })
        .collect();
    let this_page = listing.url(
        query
            .before
            .map(|before| (before, query.score.unwrap_or(0.5))),
    );
    let next_page = match (has_more, rows.last()) {
        (true, Some(last)) => Some(listing.url(Some((last.comment.id, last.comment.spam_score)))),
        _ => None,
    };
    // The other order of this listing.
    let reorder = Listing {
        order: match listing.order {
            QueueOrder::Newest => QueueOrder::Score,
            QueueOrder::Score => QueueOrder::Newest,
        },
        ..listing.clone()
    };
    let reorder = (
        reorder.url(None),
        match listing.order {
            QueueOrder::Newest => "Most spam-like first",
            QueueOrder::Score => "Newest first",
        },
    );
    let first_page = query.before.map(|_| listing.url(None));
    let rows = rows
        .into_iter()
        .map(|row| Row {
            id: row.comment.id,
            status: row.comment.status,
            author_name: row.comment.author_name,
            author_email: row.comment.author_email,
            author_url: row.comment.author_url,
            author_ip: row.comment.author_ip,
            body_html: row.comment.body_html,
            spam_score: (row.comment.spam_score != 0.5 || !row.comment.spam_why.is_empty())
                .then(|| format!("{:.2}", row.comment.spam_score)),
            spam_why: row.comment.spam_why,
            post_title: row.post_title,
            permalink: row.post_permalink.clone(),
            date: state.site().clock.date_at_time(row.comment.created_at),
            in_reply_to: link_to(row.comment.parent_id),
        })
        .collect();
    admin_page(&CommentsPage {
        layout,
        tabs,
        status: listing.status,
        search: listing.search,
        rows,
        this_page,
        next_page,
        first_page,
        actions: ModerationAction::ALL,
        reorder,
        digest: listing.digest,
        queue_script: crate::render::assets::COMMENT_QUEUE_SCRIPT.path.as_str(),
    })
}

async fn act_on(
    state: &AppState,
    staff: &Staff,
    ids: Vec<i64>,
    action: ModerationAction,
) -> Result<Vec<(i64, CommentStatus)>, PageError> {
    let context = crate::mail::MailContext::acting(state, &staff.user.email);
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let mut done = Vec::new();
                for id in ids {
                    let before = find_comment(conn, id)?.map(|comment| comment.status);
                    if let (true, Some(before)) = (moderate(conn, &context, id, action)?, before) {
                        done.push((id, before));
                    }
                }
                Ok(done)
            })
        })
        .await
}

/// Where `back` goes after moderating, with the notice and (unless the
/// comments are gone for good) what Undo needs: each comment's status before.
fn after_moderation(back: &str, action: ModerationAction, done: &[(i64, CommentStatus)]) -> String {
    let with = with_notice(back, Notice::Moderated(action), done.len());
    if action == ModerationAction::Delete || done.is_empty() {
        return with;
    }
    let undo: Vec<String> = done
        .iter()
        .map(|(id, status)| format!("{id}.{status}"))
        .collect();
    format!("{with}&undo={}", undo.join(","))
}

/// `12.pending,13.approved` → pairs; `None` if any part is not one.
fn parse_undo(text: &str) -> Option<Vec<(i64, CommentStatus)>> {
    text.split(',')
        .take(200)
        .map(|pair| {
            let (id, status) = pair.split_once('.')?;
            Some((id.parse().ok()?, status.parse().ok()?))
        })
        .collect()
}

/// The notice's Undo: each comment back to the status it had.
pub async fn undo(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let back = safe_return(form.form.get("return_to"), "/admin/comments");
    let Some(pairs) = parse_undo(&form.form.text("undo")) else {
        return Ok(see_other(&back));
    };
    let count = pairs.len();
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                for (id, status) in pairs {
                    if find_comment(conn, id)?.is_some_and(|comment| comment.status != status) {
                        set_comment_status(conn, id, status)?;
                    }
                }
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&with_notice(&back, Notice::Undone, count)))
}

/// A row's button: one action on one comment (an unknown action is a `404`).
pub async fn single_action(
    state: web::Data<AppState>,
    path: web::Path<(i64, ModerationAction)>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let done = act_on(&state, &form.staff, vec![id], action).await?;
    let back = safe_return(form.form.get("return_to"), "/admin/comments");
    Ok(see_other(&after_moderation(&back, action, &done)))
}

/// "Bulk actions" → Apply: one action on every ticked comment; no action
/// chosen does nothing.
pub async fn bulk_action(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let back = safe_return(form.form.get("return_to"), "/admin/comments");
    let Ok(action) = form.form.text("action").parse::<ModerationAction>() else {
        return Ok(see_other(&back));
    };
    let ids = form.form.ids_with_prefix("c");
    let done = act_on(&state, &form.staff, ids, action).await?;
    Ok(see_other(&after_moderation(&back, action, &done)))
}

#[derive(Template)]
#[template(path = "admin/comment_reply.html")]
struct ReplyPage {
    layout: AdminLayout,
    comment: Comment,
    text: String,
    error: Option<&'static str>,
}

async fn load_comment(state: &AppState, id: i64) -> Result<Comment, PageError> {
    state
        .db(move |conn| find_comment(conn, id))
        .await?
        .ok_or(PageError::NotFound)
}

pub async fn reply_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let comment = load_comment(&state, path.into_inner()).await?;
    let layout = AdminLayout::new(
        &state,
        &staff,
        &format!("Reply to {}", comment.author_name),
        "Comments",
    )
    .await?;
    admin_page(&ReplyPage {
        layout,
        comment,
        text: String::new(),
        error: None,
    })
}

pub async fn reply(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let comment = load_comment(&state, path.into_inner()).await?;
    let text = form.form.text("reply");
    if text.trim().is_empty() || text.chars().count() > MAX_COMMENT_CHARS {
        let layout = AdminLayout::new(
            &state,
            &staff,
            &format!("Reply to {}", comment.author_name),
            "Comments",
        )
        .await?;
        let page = ReplyPage {
            layout,
            comment,
            text,
            error: Some("Please type a reply (at most 10,000 characters)."),
        };
        return admin_page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let user = staff.user.clone();
    let parent_id = comment.id;
    let context = crate::mail::MailContext::acting(&state, &staff.user.email);
    let parent_was_approved = comment.status == CommentStatus::Approved;
    let reply_id = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let reply = reply_as_staff(conn, parent_id, &user, &text)?;
                if !parent_was_approved {
                    comment_approved(conn, &context, parent_id)?;
                }
                comment_approved(conn, &context, reply.id)?;
                Ok(reply.id)
            })
        })
        .await?;
    Ok(see_other(&with_notice(
        &format!("/admin/comments?reply={reply_id}"),
        Notice::Replied,
        1,
    )))
}

#[derive(Template)]
#[template(path = "admin/comment_edit.html")]
struct EditPage {
    layout: AdminLayout,
    comment: Comment,
    errors: FieldErrors,
    /// Earlier texts: (text, when replaced, replaced by staff).
    revisions: Vec<(String, String, bool)>,
}

pub async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let comment = load_comment(&state, id).await?;
    let revisions = state.db(move |conn| comment_revisions(conn, id)).await?;
    let layout = AdminLayout::new(&state, &staff, "Edit Comment", "Comments").await?;
    let revisions = revisions
        .into_iter()
        .map(|(text, at, by_staff)| (text, state.site().clock.date_at_time(at), by_staff))
        .collect();
    admin_page(&EditPage {
        layout,
        comment,
        errors: FieldErrors::new(),
        revisions,
    })
}

pub async fn edit(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let id = path.into_inner();
    let mut comment = load_comment(&state, id).await?;
    let fields = form.form;
    let body = fields.text("comment").trim().replace("\r\n", "\n");
    let name = fields.text("author").trim().to_owned();
    let email = EmailAddress::parse(&fields.text("email"));
    let url_text = fields.text("url").trim().to_owned();
    let url = if url_text.is_empty() {
        Some(String::new())
    } else {
        AuthorUrl::parse(&url_text).map(|url| url.as_str().to_owned())
    };
    let mut errors = FieldErrors::new();
    if body.is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
        errors.push((
            "comment",
            "Please type the comment (at most 10,000 characters).",
        ));
    }
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        errors.push(("author", "Please enter a name (at most 100 characters)."));
    }
    if email.is_err() {
        errors.push(("email", "Please enter a valid email address."));
    }
    if url.is_none() {
        errors.push((
            "url",
            "Please enter a website address starting with http:// or https://.",
        ));
    }
    let (Ok(email), Some(url), true) = (email, url, errors.is_empty()) else {
        comment.body_source = body;
        comment.author_name = name;
        comment.author_email = fields.text("email");
        comment.author_url = url_text;
        let layout = AdminLayout::new(&state, &staff, "Edit Comment", "Comments").await?;
        return admin_page_with_status(
            &EditPage {
                layout,
                comment,
                errors,
                revisions: Vec::new(),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let source = body.clone();
    let body_html = web::block(move || render_comment(&source))
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("rendering failed: {error}")))?;
    let edit = CommentEdit {
        body_html,
        body_source: body,
        author_name: name,
        author_email: email.as_str().to_owned(),
        author_url: url,
    };
    let editor_id = Some(staff.user.id);
    state
        .db(move |conn| edit_comment(conn, id, editor_id, &edit))
        .await?;
    Ok(see_other(&with_notice(
        "/admin/comments",
        Notice::Edited,
        1,
    )))
}
