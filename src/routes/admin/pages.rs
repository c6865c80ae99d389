//! `/admin/pages`: the site's pages as a tree (parent, order), and the page
//! editor — title, slug, body, status, parent and order.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{
    admin_page, admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice,
    NoticeQuery,
};
use crate::domain::PostType;
use crate::domain::{FieldErrors, PostStatus};
use crate::error::PageError;
use crate::models::post::{find_post, pages_in_order, save_page, PageInput, Post};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/pages.html")]
struct PagesPage {
    layout: AdminLayout,
    /// (page, depth), parents first.
    rows: Vec<(Post, usize)>,
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let rows = state.db(pages_in_order).await?;
    let layout = AdminLayout::new(&state, &staff, "Pages", "Pages")
        .await?
        .with_notice(notice.text());
    admin_page(&PagesPage { layout, rows })
}

/// The page editor's fields as typed.
#[derive(Debug, Clone, Default)]
struct PageValues {
    title: String,
    slug: String,
    body: String,
    status: String,
    parent_id: Option<i64>,
    menu_order: String,
    in_menu: bool,
    /// "Password protected": empty for a public page.
    password: String,
}

#[derive(Template)]
#[template(path = "admin/page_edit.html")]
struct EditorPage {
    layout: AdminLayout,
    action: String,
    permalink: Option<String>,
    values: PageValues,
    /// The pages it may sit below: (id, title, depth).
    parents: Vec<(i64, String, usize)>,
    errors: FieldErrors,
}

async fn editor(
    state: &AppState,
    staff: &Staff,
    page: Option<&Post>,
    values: PageValues,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let this = page.map(|page| page.id);
    let parents = state
        .db(pages_in_order)
        .await?
        .into_iter()
        .filter(|(candidate, _)| Some(candidate.id) != this)
        .map(|(candidate, depth)| (candidate.id, candidate.title, depth))
        .collect();
    let title = if page.is_some() {
        "Edit Page"
    } else {
        "Add New Page"
    };
    let layout = AdminLayout::new(state, staff, title, "Pages").await?;
    let editor = EditorPage {
        layout,
        action: match page {
            Some(page) => format!("/admin/pages/{}/edit", page.id),
            None => "/admin/pages/new".to_owned(),
        },
        permalink: page
            .filter(|page| page.is_public(crate::models::now()))
            .map(Post::permalink),
        values,
        parents,
        errors,
    };
    admin_page_with_status(&editor, status)
}

pub async fn new_form(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, PageError> {
    let values = PageValues {
        status: PostStatus::Draft.to_string(),
        menu_order: "0".to_owned(),
        in_menu: true,
        ..PageValues::default()
    };
    editor(
        &state,
        &staff,
        None,
        values,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn load_page(state: &AppState, id: i64) -> Result<Post, PageError> {
    state
        .db(move |conn| find_post(conn, id))
        .await?
        .filter(|post| post.post_type == PostType::Page)
        .ok_or(PageError::NotFound)
}

pub async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let page = load_page(&state, path.into_inner()).await?;
    let values = PageValues {
        title: page.title.clone(),
        slug: page
            .slug
            .rsplit('/')
            .next()
            .unwrap_or(&page.slug)
            .to_owned(),
        body: page.body_source.clone(),
        status: page.status.to_string(),
        parent_id: page.parent_id,
        menu_order: page.menu_order.to_string(),
        in_menu: page.in_menu,
        password: page.password.clone(),
    };
    editor(
        &state,
        &staff,
        Some(&page),
        values,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

fn values_from(fields: &FieldMap) -> PageValues {
    PageValues {
        title: fields.text("title"),
        slug: fields.text("slug"),
        body: fields.text("body").replace("\r\n", "\n"),
        status: fields.text("status"),
        parent_id: fields
            .get("parent")
            .and_then(|id| id.parse().ok())
            .filter(|id| *id > 0),
        menu_order: fields.text("menu_order"),
        in_menu: fields.checked("in_menu"),
        password: fields.text("password"),
    }
}

fn parse(values: &PageValues, author_id: i64) -> Result<PageInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let (slug, status) =
        super::posts::parse_heading(&values.title, &values.slug, &values.status, &mut errors);
    let menu_order = match values.menu_order.trim() {
        "" => 0,
        typed => typed.parse::<i64>().unwrap_or_else(|_| {
            errors.push(("menu_order", "Enter a whole number."));
            0
        }),
    };
    let password = super::posts::parse_password(&values.password, status, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PageInput {
        title: values.title.trim().to_owned(),
        slug,
        body_markdown: values.body.clone(),
        status,
        parent_id: values.parent_id,
        menu_order,
        author_id: Some(author_id),
        in_menu: values.in_menu,
        password,
    })
}

async fn save(
    state: &AppState,
    staff: &Staff,
    page: Option<Post>,
    fields: &FieldMap,
) -> Result<HttpResponse, PageError> {
    let values = values_from(fields);
    let input = match parse(&values, staff.user.id) {
        Ok(input) => input,
        Err(errors) => {
            return editor(
                state,
                staff,
                page.as_ref(),
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let id = page.as_ref().map(|page| page.id);
    let saved = state.db(move |conn| save_page(conn, id, &input)).await?;
    Ok(see_other(&with_notice(
        &format!("/admin/pages/{}/edit", saved.id),
        Notice::PostSaved,
        1,
    )))
}

pub async fn create(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    save(&state, &form.staff, None, &form.form).await
}

pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let page = load_page(&state, path.into_inner()).await?;
    save(&state, &form.staff, Some(page), &form.form).await
}
