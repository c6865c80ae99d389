//! `/admin/outbox`: every mail with its status, attempts, last error and
//! next try; "Retry now" for one that waits or failed.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{admin_page, see_other, with_notice, AdminLayout, FieldMap, Notice};
use crate::domain::OutboxStatus;
use crate::error::PageError;
use crate::mail::outbox::{find_message, list_outbox, retry_now, without_capabilities, OutboxRow};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: AdminLayout,
    rows: Vec<(OutboxRow, String, String)>,
    next_page: Option<String>,
    delivery_on: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    before: Option<i64>,
    done: Option<String>,
    n: Option<usize>,
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, PageError> {
    let before = query.before;
    let rows = state
        .db(move |conn| list_outbox(conn, before, PAGE_SIZE))
        .await?;
    let next_page = (rows.len() as i64 == PAGE_SIZE)
        .then(|| {
            rows.last()
                .map(|row| format!("/admin/outbox?before={}", row.id))
        })
        .flatten();
    let clock = state.site().clock.clone();
    let comment_date = |at| clock.date_at_time(at);
    let rows = rows
        .into_iter()
        .map(|row| {
            let queued = comment_date(row.created_at);
            let next = if row.status == OutboxStatus::Pending {
                comment_date(row.next_attempt_at)
            } else {
                String::new()
            };
            (row, queued, next)
        })
        .collect();
    let notice = super::NoticeQuery {
        done: query.done.clone(),
        n: query.n,
    }
    .text();
    let layout = AdminLayout::new(&state, &staff, "Outbox", "Outbox")
        .await?
        .with_notice(notice);
    admin_page(&OutboxPage {
        layout,
        rows,
        next_page,
        delivery_on: state.config.smtp_url.is_some(),
    })
}

#[derive(Template)]
#[template(path = "admin/outbox_message.html")]
struct MessagePage {
    layout: AdminLayout,
    row: OutboxRow,
    queued: String,
    text: String,
}

/// One mail as its recipient reads it (the plain-text part), with the
/// links that act for the recipient blanked.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (row, text) = state
        .db(move |conn| find_message(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    let layout = AdminLayout::new(&state, &staff, &row.subject, "Outbox").await?;
    admin_page(&MessagePage {
        layout,
        queued: state.site().clock.date_at_time(row.created_at),
        text: without_capabilities(&text),
        row,
    })
}

pub async fn retry(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _csrf_checked: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let changed = state.db(move |conn| retry_now(conn, id)).await?;
    Ok(see_other(&with_notice(
        "/admin/outbox",
        Notice::Retried,
        changed,
    )))
}
