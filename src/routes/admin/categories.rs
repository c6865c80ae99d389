//! `/admin/categories`: add, edit, delete (orphaned posts go to "Uncategorized").

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{
    admin_page, admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice,
    NoticeQuery,
};
use crate::domain::Slug;
use crate::error::PageError;
use crate::models::category::{
    all_categories, create_category, delete_category, find_category, post_counts, update_category,
    Category, UNCATEGORIZED_SLUG,
};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage {
    layout: AdminLayout,
    bases: crate::domain::permalink::TermBases,
    rows: Vec<(Category, i64)>,
    name: String,
    slug: String,
    description: String,
    error: Option<&'static str>,
    uncategorized: &'static str,
}

#[derive(Template)]
#[template(path = "admin/category_edit.html")]
struct EditPage {
    layout: AdminLayout,
    category: Category,
    error: Option<&'static str>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    values: (String, String, String),
    error: Option<&'static str>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (categories, counts) = state
        .db(|conn| Ok((all_categories(conn)?, post_counts(conn)?)))
        .await?;
    let rows = categories
        .into_iter()
        .map(|category| {
            let count = counts
                .iter()
                .find(|(id, _)| *id == category.id)
                .map(|(_, count)| *count)
                .unwrap_or(0);
            (category, count)
        })
        .collect();
    let layout = AdminLayout::new(state, staff, "Categories", "Categories")
        .await?
        .with_notice(notice);
    let (name, slug, description) = values;
    admin_page_with_status(
        &CategoriesPage {
            layout,
            bases: state.site().bases.clone(),
            rows,
            name,
            slug,
            description,
            error,
            uncategorized: UNCATEGORIZED_SLUG,
        },
        status,
    )
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    page(
        &state,
        &staff,
        Default::default(),
        None,
        notice.text(),
        StatusCode::OK,
    )
    .await
}

/// Name and slug from a form; `Err` carries the message for the name field.
fn parse(fields: &FieldMap) -> Result<(String, Option<Slug>, String), &'static str> {
    let name = fields.text("name").trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("Please enter a name (at most 200 characters).");
    }
    let slug = match fields.text("slug").trim() {
        "" => None,
        typed => {
            Some(Slug::from_text(typed).map_err(|_| "A slug needs at least one letter or digit.")?)
        }
    };
    Ok((name, slug, fields.text("description")))
}

pub async fn create(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let (name, slug, description) = match parse(&form.form) {
        Ok(parsed) => parsed,
        Err(error) => {
            let values = (
                form.form.text("name"),
                form.form.text("slug"),
                form.form.text("description"),
            );
            return page(
                &state,
                &staff,
                values,
                Some(error),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    state
        .db(move |conn| create_category(conn, &name, slug.as_ref(), &description))
        .await?;
    Ok(see_other(&with_notice(
        "/admin/categories",
        Notice::CategoryAdded,
        1,
    )))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let category = state
        .db(move |conn| find_category(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    let layout = AdminLayout::new(&state, &staff, "Edit Category", "Categories").await?;
    admin_page(&EditPage {
        layout,
        category,
        error: None,
    })
}

pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let id = path.into_inner();
    let mut category = state
        .db(move |conn| find_category(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    let (name, slug, description) = match parse(&form.form) {
        Ok(parsed) => parsed,
        Err(error) => {
            category.name = form.form.text("name");
            category.description = form.form.text("description");
            let layout = AdminLayout::new(&state, &staff, "Edit Category", "Categories").await?;
            return admin_page_with_status(
                &EditPage {
                    layout,
                    category,
                    error: Some(error),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let slug = slug
        .unwrap_or_else(|| Slug::from_text(&name).unwrap_or_else(|_| Slug::fallback("category")));
    state
        .db(move |conn| update_category(conn, id, &name, &slug, &description))
        .await?;
    Ok(see_other(&with_notice(
        "/admin/categories",
        Notice::CategoryUpdated,
        1,
    )))
}

pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _csrf_checked: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    state
        .db(move |conn| find_category(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    if !state.db(move |conn| delete_category(conn, id)).await? {
        return Err(PageError::Forbidden);
    }
    Ok(see_other(&with_notice(
        "/admin/categories",
        Notice::CategoryDeleted,
        1,
    )))
}
