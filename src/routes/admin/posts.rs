//! `/admin/posts`: the list by status, and the editor (Title, Slug, Body in
//! Markdown with a preview that needs no JavaScript, Excerpt, Categories,
//! Status, Publish date, Allow comments), trash and restore.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{
    admin_page, admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice,
    NoticeQuery,
};
use crate::domain::FieldErrors;
use crate::domain::{PostStatus, Slug};
use crate::error::PageError;
use crate::models::category::{all_categories, Category};
use crate::models::media::{insert_media, recent_images, Media};
use crate::models::now;
use crate::models::post::{
    category_ids_of_post, create_post, find_post, list_posts_admin, restore_post, set_post_status,
    update_post, NewPost, Post, PostsShown,
};
use crate::models::tag::tags_of_posts;
use crate::render::clock::SiteClock;
use crate::render::markdown::render_post_markdown;
use crate::routes::admin::upload::{AdminUpload, UploadedFile};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;
use crate::uploads::{process, store, UploadError};

const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "admin/posts.html")]
struct PostsPage {
    layout: AdminLayout,
    tabs: Vec<(&'static str, String, bool)>,
    rows: Vec<PostRow>,
    next_page: Option<String>,
}

struct PostRow {
    id: i64,
    title: String,
    state: &'static str,
    date: String,
    comments: i64,
    permalink: String,
    trashed: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    before: Option<i64>,
    done: Option<String>,
    n: Option<usize>,
}

fn state_label(post: &Post, at: i64) -> &'static str {
    match post.status {
        PostStatus::Published if post.published_at > at => "Scheduled",
        PostStatus::Published => "Published",
        PostStatus::Private => "Private",
        PostStatus::Trash => "Trash",
        PostStatus::Draft => "Draft",
    }
}

/// A page of the posts screen: its tab's first page, or the one after post `before`.
fn posts_url(shown: PostsShown, before: Option<i64>) -> String {
    match (shown.code(), before) {
        ("", None) => "/admin/posts".to_owned(),
        ("", Some(before)) => format!("/admin/posts?before={before}"),
        (code, None) => format!("/admin/posts?status={code}"),
        (code, Some(before)) => format!("/admin/posts?status={code}&before={before}"),
    }
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let shown = PostsShown::parse(query.status.as_deref().unwrap_or_default());
    let before = query.before;
    let (posts, has_more) = state
        .db(move |conn| list_posts_admin(conn, shown, before, PAGE_SIZE))
        .await?;
    let at = now();
    let tabs = PostsShown::TABS
        .into_iter()
        .map(|tab| (tab.label(), posts_url(tab, None), tab == shown))
        .collect();
    let next_page = match (has_more, posts.last()) {
        (true, Some(last)) => Some(posts_url(shown, Some(last.id))),
        _ => None,
    };
    let rows = posts
        .iter()
        .map(|post| PostRow {
            id: post.id,
            title: if post.title.is_empty() {
                "(no title)".to_owned()
            } else {
                post.title.clone()
            },
            state: state_label(post, at),
            date: state.site().clock.date(post.published_at),
            comments: post.comment_count,
            permalink: post.permalink(),
            trashed: post.status.is_trash(),
        })
        .collect();
    let notice = NoticeQuery {
        done: query.done.clone(),
        n: query.n,
    }
    .text();
    let layout = AdminLayout::new(&state, &staff, "Posts", "Posts")
        .await?
        .with_notice(notice);
    admin_page(&PostsPage {
        layout,
        tabs,
        rows,
        next_page,
    })
}

/// The editor's fields as typed.
#[derive(Debug, Clone, Default)]
struct PostValues {
    title: String,
    slug: String,
    body: String,
    excerpt: String,
    status: String,
    published_at: String,
    allow_comments: bool,
    category_ids: Vec<i64>,
    /// Comma-separated, as typed.
    tags: String,
    featured_media_id: Option<i64>,
    /// "Password protected": empty for a public post.
    password: String,
}

#[derive(Template)]
#[template(path = "admin/post_edit.html")]
struct EditorPage {
    layout: AdminLayout,
    action: String,
    permalink: Option<String>,
    values: PostValues,
    categories: Vec<Category>,
    errors: FieldErrors,
    preview: Option<String>,
    /// Pictures to choose the featured image from: (id, path).
    library: Vec<(i64, String)>,
    drop_script: &'static str,
    /// The site's timezone, in which the publish date is typed.
    timezone: &'static str,
    /// The publish date as readers will see it, for the preview.
    preview_date: String,
}

impl EditorPage {
    fn checked(&self, category_id: &i64) -> bool {
        self.values.category_ids.contains(category_id)
    }
}

/// What the editor shows besides the post itself.
#[derive(Default)]
struct EditorContent {
    values: PostValues,
    errors: FieldErrors,
    preview: Option<String>,
    notice: Option<String>,
}

async fn editor(
    state: &AppState,
    staff: &Staff,
    post: Option<&Post>,
    content: EditorContent,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (categories, library) = state
        .db(|conn| Ok((all_categories(conn)?, recent_images(conn, 100)?)))
        .await?;
    let title = if post.is_some() {
        "Edit Post"
    } else {
        "Add New Post"
    };
    let EditorContent {
        values,
        errors,
        preview,
        notice,
    } = content;
    let permalink = post
        .filter(|post| post.is_public(now()))
        .map(Post::permalink);
    let values_published_at = values.published_at.clone();
    let mut layout = AdminLayout::new(state, staff, title, "Posts")
        .await?
        .with_notice(notice);
    if let Some(permalink) = &permalink {
        // "Post published. View post", as WordPress says it.
        layout = layout.with_notice_link("View post", permalink.clone());
    }
    let page = EditorPage {
        layout,
        action: match post {
            Some(post) => format!("/admin/posts/{}/edit", post.id),
            None => "/admin/posts/new".to_owned(),
        },
        permalink,
        values,
        categories,
        errors,
        preview,
        library,
        drop_script: crate::render::assets::PICTURE_DROP_SCRIPT.path.as_str(),
        timezone: state.site().clock.timezone.name(),
        preview_date: {
            let clock = &state.site().clock;
            clock.date(clock.parse_input(&values_published_at).unwrap_or_else(now))
        },
    };
    admin_page_with_status(&page, status)
}

pub async fn new_form(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, PageError> {
    let values = PostValues {
        status: PostStatus::Draft.to_string(),
        published_at: state.site().clock.input_value(now()),
        allow_comments: true,
        ..PostValues::default()
    };
    editor(
        &state,
        &staff,
        None,
        EditorContent {
            values,
            errors: FieldErrors::new(),
            preview: None,
            notice: None,
        },
        StatusCode::OK,
    )
    .await
}

pub async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (post, category_ids, tags) = state
        .db(move |conn| {
            let Some(post) = find_post(conn, id)? else {
                return Ok(None);
            };
            let category_ids = category_ids_of_post(conn, id)?;
            let tags = tags_of_posts(conn, &[id])?.remove(&id).unwrap_or_default();
            Ok(Some((post, category_ids, tags)))
        })
        .await?
        .ok_or(PageError::NotFound)?;
    let values = PostValues {
        title: post.title.clone(),
        slug: post.slug.clone(),
        body: post.body_source.clone(),
        excerpt: post.excerpt.clone(),
        status: if post.status.is_trash() {
            post.status_before_trash.unwrap_or(PostStatus::Draft)
        } else {
            post.status
        }
        .to_string(),
        published_at: state.site().clock.input_value(post.published_at),
        allow_comments: post.allow_comments,
        category_ids,
        tags: tags
            .iter()
            .map(|tag| tag.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        featured_media_id: post.featured_media_id,
        password: post.password.clone(),
    };
    editor(
        &state,
        &staff,
        Some(&post),
        EditorContent {
            values,
            errors: FieldErrors::new(),
            preview: None,
            notice: notice.text(),
        },
        StatusCode::OK,
    )
    .await
}

fn values_from(fields: &FieldMap) -> PostValues {
    PostValues {
        title: fields.text("title"),
        slug: fields.text("slug"),
        body: fields.text("body").replace("\r\n", "\n"),
        excerpt: fields.text("excerpt"),
        status: fields.text("status"),
        published_at: fields.text("published_at"),
        allow_comments: fields.checked("allow_comments"),
        category_ids: fields.ids_with_prefix("cat_"),
        tags: fields.text("tags"),
        featured_media_id: fields
            .get("featured_media")
            .and_then(|id| id.parse().ok())
            .filter(|id| *id > 0),
        password: fields.text("password"),
    }
}

/// What the post and page editors share: a title, a slug typed or not, and
/// a status (the Trash is reached by "Move to Trash", never chosen) — each
/// with its message when it is wrong.
pub(super) fn parse_heading(
    title: &str,
    slug: &str,
    status: &str,
    errors: &mut FieldErrors,
) -> (Option<Slug>, PostStatus) {
    if title.trim().is_empty() {
        errors.push(("title", "Please enter a title."));
    }
    let slug = match slug.trim() {
        "" => None,
        typed => match Slug::from_text(typed) {
            Ok(slug) => Some(slug),
            Err(_) => {
                errors.push(("slug", "A slug needs at least one letter or digit."));
                None
            }
        },
    };
    let status = match status.parse::<PostStatus>() {
        Ok(status) if !status.is_trash() => status,
        _ => {
            errors.push(("status", "Please choose a status."));
            PostStatus::Draft
        }
    };
    (slug, status)
}

/// A post's password as typed (WordPress keeps up to 255 characters); a
/// private post has none, as in WordPress, where the two are one choice.
pub(super) fn parse_password(typed: &str, status: PostStatus, errors: &mut FieldErrors) -> String {
    if status == PostStatus::Private {
        return String::new();
    }
    if typed.chars().count() > 255 {
        errors.push(("password", "A password can be at most 255 characters."));
    }
    if typed.chars().any(char::is_control) {
        errors.push(("password", "A password cannot hold control characters."));
    }
    typed.to_owned()
}

/// The editor's values as a post to save, or a message at each bad field.
fn parse(values: &PostValues, clock: &SiteClock) -> Result<NewPost, FieldErrors> {
    let mut errors = FieldErrors::new();
    let (slug, status) = parse_heading(&values.title, &values.slug, &values.status, &mut errors);
    let published_at = match values.published_at.trim() {
        "" => now(),
        typed => match clock.parse_input(typed) {
            Some(at) => at,
            None => {
                errors.push((
                    "published_at",
                    "Please enter a date such as 2024-03-14T10:00.",
                ));
                now()
            }
        },
    };
    let password = parse_password(&values.password, status, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewPost {
        title: values.title.trim().to_owned(),
        slug,
        body_markdown: values.body.clone(),
        excerpt: values.excerpt.trim().to_owned(),
        status,
        published_at,
        author_id: None,
        allow_comments: values.allow_comments,
        category_ids: values.category_ids.clone(),
        tags: values
            .tags
            .split(',')
            .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|name| !name.is_empty())
            .map(|name| name.chars().take(200).collect())
            .collect(),
        featured_media_id: values.featured_media_id,
        password,
    })
}

/// The preview of a body, rendered on a blocking thread.
async fn render_off_thread(body: String) -> Result<String, PageError> {
    web::block(move || render_post_markdown(&body))
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("rendering failed: {error}")))
}

/// A picture sent with the editor, stored in the library: the `<img>` to
/// insert, or the message to show at the picture field.
async fn store_picture(
    state: &AppState,
    file: UploadedFile,
    alt: String,
) -> Result<Result<(String, i64), &'static str>, PageError> {
    let UploadedFile { name, bytes } = file;
    // Decoding and resizing take CPU: not on the threads serving connections.
    let processed = web::block(move || process(&bytes)).await.map_err(|error| {
        PageError::Unexpected(anyhow::anyhow!("processing a picture failed: {error}"))
    })?;
    let processed = match processed {
        Ok(processed) => processed,
        Err(UploadError::NotAPicture) => return Ok(Err(NOT_A_PICTURE)),
        Err(UploadError::Unreadable) => return Ok(Err(UNREADABLE_PICTURE)),
        Err(UploadError::TooLarge) => return Ok(Err(PICTURE_TOO_LARGE)),
    };
    let new_media = store(&state.media, processed, &name, &alt, now())
        .await
        .map_err(|error| {
            PageError::Unexpected(anyhow::anyhow!("storing a picture failed: {error}"))
        })?;
    let media = state.db(move |conn| insert_media(conn, &new_media)).await?;
    tracing::info!(media_id = media.id, "picture uploaded");
    Ok(Ok((image_tag(&media), media.id)))
}

const NOT_A_PICTURE: &str =
    "This file is not a JPEG, PNG, GIF or WebP picture, so it cannot be uploaded.";
const UNREADABLE_PICTURE: &str = "This picture could not be read; it may be damaged.";
const PICTURE_TOO_LARGE: &str = "This file is larger than 20 MB.";

/// The `<img>` the editor inserts: its size, every smaller version for the
/// browser to choose from, its description, and loaded when scrolled to.
fn image_tag(media: &Media) -> String {
    let escape = crate::render::text::escape_html;
    let width = media.width.unwrap_or(0);
    format!(
        "<img src=\"{}\" width=\"{width}\" height=\"{}\" srcset=\"{}\" sizes=\"(max-width: {width}px) 100vw, {width}px\" alt=\"{}\" loading=\"lazy\">",
        escape(&media.url()),
        media.height.unwrap_or(0),
        escape(&media.srcset()),
        escape(&media.alt)
    )
}

/// What the editor's submission asks for, after a picture sent with it is
/// stored and inserted: the editor shown again (a preview, an upload, a
/// mistake), or the post to save.
enum Submission {
    Show(EditorContent, StatusCode),
    Save(NewPost),
}

async fn read_submission(state: &AppState, upload: AdminUpload) -> Result<Submission, PageError> {
    let AdminUpload {
        form,
        file,
        too_large,
        ..
    } = upload;
    let mut values = values_from(&form);
    let show = |values, errors, notice: Option<String>, status| {
        Submission::Show(
            EditorContent {
                values,
                errors,
                preview: None,
                notice,
            },
            status,
        )
    };
    if too_large {
        let errors = FieldErrors::one("media", PICTURE_TOO_LARGE);
        return Ok(show(values, errors, None, StatusCode::PAYLOAD_TOO_LARGE));
    }
    let mut notice = None;
    if let Some(file) = file {
        match store_picture(state, file, form.text("media_alt")).await? {
            Ok((tag, media_id)) => {
                if form.checked("media_featured") {
                    values.featured_media_id = Some(media_id);
                }
                let body = values.body.trim_end();
                values.body = if body.is_empty() {
                    tag
                } else {
                    format!("{body}\n\n{tag}")
                };
                notice =
                    Some("The picture is uploaded and inserted at the end of the body.".to_owned());
            }
            Err(message) => {
                let errors = FieldErrors::one("media", message);
                return Ok(show(values, errors, None, StatusCode::UNPROCESSABLE_ENTITY));
            }
        }
    }
    match form.get("intent") {
        Some("preview") => {
            let preview = render_off_thread(values.body.clone()).await?;
            let content = EditorContent {
                values,
                errors: FieldErrors::new(),
                preview: Some(preview),
                notice,
            };
            return Ok(Submission::Show(content, StatusCode::OK));
        }
        Some("upload") => {
            let notice = notice.map(|text| format!("{text} Save to keep it."));
            return Ok(show(values, FieldErrors::new(), notice, StatusCode::OK));
        }
        _ => {}
    }
    match parse(&values, &state.site().clock) {
        Ok(new_post) => Ok(Submission::Save(new_post)),
        Err(errors) => Ok(show(
            values,
            errors,
            notice,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    upload: AdminUpload,
) -> Result<HttpResponse, PageError> {
    let staff = upload.staff.clone();
    let mut new_post = match read_submission(&state, upload).await? {
        Submission::Show(content, status) => {
            return editor(&state, &staff, None, content, status).await
        }
        Submission::Save(new_post) => new_post,
    };
    new_post.author_id = Some(staff.user.id);
    let post = state.db(move |conn| create_post(conn, &new_post)).await?;
    tracing::info!(post_id = post.id, "post created");
    let notice = saved_notice(false, post.status, post.published_at);
    Ok(see_other(&with_notice(
        &format!("/admin/posts/{}/edit", post.id),
        notice,
        1,
    )))
}

/// What WordPress says after a save: "Post published." (with "View post"),
/// "Post updated.", "Post scheduled.", "Draft saved.".
fn saved_notice(was_public: bool, status: PostStatus, published_at: i64) -> Notice {
    if status.is_published() && published_at > now() {
        Notice::PostScheduled
    } else if status.is_published() && was_public {
        Notice::PostUpdated
    } else if status.is_published() {
        Notice::PostPublished
    } else {
        Notice::DraftSaved
    }
}

pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    upload: AdminUpload,
) -> Result<HttpResponse, PageError> {
    let staff = upload.staff.clone();
    let id = path.into_inner();
    let post = state
        .db(move |conn| find_post(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    let edited = match read_submission(&state, upload).await? {
        Submission::Show(content, status) => {
            return editor(&state, &staff, Some(&post), content, status).await
        }
        Submission::Save(edited) => edited,
    };
    let notice = saved_notice(post.is_public(now()), edited.status, edited.published_at);
    state.db(move |conn| update_post(conn, id, &edited)).await?;
    Ok(see_other(&with_notice(
        &format!("/admin/posts/{id}/edit"),
        notice,
        1,
    )))
}

pub async fn trash(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _csrf_checked: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    state
        .db(move |conn| find_post(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    state
        .db(move |conn| set_post_status(conn, id, PostStatus::Trash))
        .await?;
    Ok(see_other(&with_notice(
        "/admin/posts",
        Notice::PostTrashed,
        1,
    )))
}

pub async fn restore(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _csrf_checked: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    state
        .db(move |conn| find_post(conn, id))
        .await?
        .ok_or(PageError::NotFound)?;
    state.db(move |conn| restore_post(conn, id)).await?;
    Ok(see_other(&with_notice(
        "/admin/posts?status=trash",
        Notice::PostRestored,
        1,
    )))
}
