//! `/admin/tags`: every tag with its posts, renamed, merged into another or
//! deleted (tags are made from the post editor).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{
    admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice, NoticeQuery,
};
use crate::domain::Slug;
use crate::error::PageError;
use crate::models::tag::{delete_tag, merge_tags, rename_tag, tags_with_counts, Tag, TagChange};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/tags.html")]
struct TagsPage {
    layout: AdminLayout,
    bases: crate::domain::permalink::TermBases,
    rows: Vec<(Tag, i64)>,
    /// A refused change: (tag, message).
    error: Option<(i64, &'static str)>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    error: Option<(i64, &'static str)>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let rows = state.db(tags_with_counts).await?;
    let layout = AdminLayout::new(state, staff, "Tags", "Tags")
        .await?
        .with_notice(notice);
    admin_page_with_status(
        &TagsPage {
            layout,
            bases: state.site().bases.clone(),
            rows,
            error,
        },
        status,
    )
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    page(&state, &staff, None, notice.text(), StatusCode::OK).await
}

/// Back to the list saying what was done; `404` for a tag that is gone.
fn answer(change: TagChange, notice: Notice) -> Result<HttpResponse, PageError> {
    match change {
        TagChange::Done => Ok(see_other(&with_notice("/admin/tags", notice, 1))),
        TagChange::NoSuchTag | TagChange::SlugTaken => Err(PageError::NotFound),
    }
}

pub async fn rename(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let name = form.form.text("name").trim().to_owned();
    let slug_text = match form.form.text("slug").trim() {
        "" => name.clone(),
        typed => typed.to_owned(),
    };
    let (Ok(slug), false) = (Slug::from_text(&slug_text), name.is_empty()) else {
        return page(
            &state,
            &form.staff,
            Some((id, "A tag needs a name with at least one letter or digit.")),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let change = state
        .db(move |conn| rename_tag(conn, id, &name, &slug))
        .await?;
    if change == TagChange::SlugTaken {
        return page(
            &state,
            &form.staff,
            Some((id, "Another tag has that slug.")),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    }
    answer(change, Notice::TagUpdated)
}

pub async fn merge(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let from = path.into_inner();
    let Ok(into) = form.form.text("into").parse::<i64>() else {
        return Ok(see_other("/admin/tags"));
    };
    let change = state.db(move |conn| merge_tags(conn, from, into)).await?;
    answer(change, Notice::TagsMerged)
}

pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _csrf_checked: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let change = state.db(move |conn| delete_tag(conn, id)).await?;
    answer(change, Notice::TagDeleted)
}
