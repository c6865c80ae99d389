//! `/admin/personal-data`: everything stored about a commenter's email,
//! exported as JSON, or erased (anonymised), as GDPR asks and WordPress does.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Serialize;

use super::{
    admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice, NoticeQuery,
};
use crate::domain::CommentStatus;
use crate::domain::EmailAddress;
use crate::error::PageError;
use crate::models::comment::{comments_by_email, erase_comments_by_email};
use crate::render::text::iso_date;
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/personal_data.html")]
struct PersonalDataPage {
    layout: AdminLayout,
    email: String,
    error: Option<&'static str>,
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let layout = AdminLayout::new(&state, &staff, "Personal data", "Personal data")
        .await?
        .with_notice(notice.text());
    admin_page_with_status(
        &PersonalDataPage {
            layout,
            email: String::new(),
            error: None,
        },
        StatusCode::OK,
    )
}

/// One comment in an export.
#[derive(Debug, Serialize)]
pub struct ExportedComment {
    pub id: i64,
    pub post: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub date: String,
    pub status: CommentStatus,
    pub text: String,
}

#[derive(Debug, Serialize)]
struct Export {
    email: String,
    exported_at: String,
    comments: Vec<ExportedComment>,
}

async fn parsed_email(
    state: &AppState,
    staff: &Staff,
    fields: &FieldMap,
) -> Result<Result<EmailAddress, HttpResponse>, PageError> {
    match EmailAddress::parse(&fields.text("email")) {
        Ok(email) => Ok(Ok(email)),
        Err(_) => {
            let layout = AdminLayout::new(state, staff, "Personal data", "Personal data").await?;
            let page = PersonalDataPage {
                layout,
                email: fields.text("email"),
                error: Some("Please enter a valid email address."),
            };
            Ok(Err(admin_page_with_status(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
            )?))
        }
    }
}

pub async fn export(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let email = match parsed_email(&state, &form.staff, &form.form).await? {
        Ok(email) => email,
        Err(response) => return Ok(response),
    };
    let lookup = email.as_str().to_owned();
    let rows = state
        .db(move |conn| comments_by_email(conn, &lookup))
        .await?;
    let export = Export {
        email: email.as_str().to_owned(),
        exported_at: iso_date(crate::models::now()),
        comments: rows
            .into_iter()
            .map(|(comment, post)| ExportedComment {
                id: comment.id,
                post,
                author_name: comment.author_name,
                author_email: comment.author_email,
                author_url: comment.author_url,
                author_ip: comment.author_ip,
                user_agent: comment.user_agent,
                date: iso_date(comment.created_at),
                status: comment.status,
                text: comment.body_source,
            })
            .collect(),
    };
    let body = serde_json::to_string_pretty(&export).map_err(anyhow::Error::from)?;
    tracing::info!(comments = export.comments.len(), "personal data exported");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"personal-data.json\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

pub async fn erase(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let email = match parsed_email(&state, &form.staff, &form.form).await? {
        Ok(email) => email,
        Err(response) => return Ok(response),
    };
    let lookup = email.as_str().to_owned();
    let erased = state
        .db(move |conn| {
            // Every copy of the address, in one transaction: comments
            // anonymised, the subscription and every mail naming it gone.
            crate::db::serialized_transaction(conn, |conn| {
                let erased = erase_comments_by_email(conn, &lookup)?;
                crate::models::subscriber::forget_subscriber(conn, &lookup)?;
                crate::mail::outbox::forget_address(conn, &lookup)?;
                Ok(erased)
            })
        })
        .await?;
    tracing::info!(comments = erased, "personal data erased");
    Ok(see_other(&with_notice(
        "/admin/personal-data",
        Notice::Erased,
        erased,
    )))
}
