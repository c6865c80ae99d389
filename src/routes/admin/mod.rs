//! The admin panel (SPEC §5): one file per area, each handler checking the
//! role on the server and every state-changing form's CSRF token.

pub mod account;
pub mod categories;
pub mod comments;
pub mod dashboard;
pub mod login;
pub mod media;
pub mod outbox;
pub mod pages;
pub mod permalinks;
pub mod personal_data;
pub mod posts;
pub mod settings;
pub mod setup;
pub mod tags;
pub mod upload;
pub mod users;

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::web::{self, ServiceConfig};
use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use crate::auth::roles::Area;
use crate::domain::{CommentStatus, ModerationAction};
use crate::error::PageError;
use crate::models::comment::count_with_status;
use crate::render::assets::{ADMIN_STYLESHEET, STYLESHEET};
use crate::routes::staff::{CsrfForm, Staff};
use crate::routes::{get_or_head, Access, RouteEntry};
use crate::state::AppState;

/// Admin forms are small; a post body is the largest thing sent.
const ADMIN_FORM_LIMIT: usize = 2 * 1024 * 1024;

pub fn configure(config: &mut ServiceConfig) {
    let mut scope = web::scope("/admin")
        .app_data(web::FormConfig::default().limit(ADMIN_FORM_LIMIT))
        .app_data(web::PayloadConfig::new(ADMIN_FORM_LIMIT))
        .route(
            "",
            web::get().to(|| async {
                HttpResponse::MovedPermanently()
                    .insert_header((header::LOCATION, "/admin/"))
                    .finish()
            }),
        );
    // One resource per path, guarded by the path's access before any
    // handler runs: a route cannot forget its role check.
    let mut paths: Vec<(&'static str, Access, Vec<actix_web::Route>)> = Vec::new();
    for entry in routes() {
        match paths.iter_mut().find(|(path, _, _)| *path == entry.path) {
            Some((_, access, routes)) => {
                debug_assert_eq!(*access, entry.access, "one access per path: {}", entry.path);
                routes.push(entry.route);
            }
            None => paths.push((entry.path, entry.access, vec![entry.route])),
        }
    }
    for (path, access, routes) in paths {
        let resource = routes
            .into_iter()
            .fold(web::resource(path), |resource, route| resource.route(route));
        scope = scope.service(resource.wrap(from_fn(move |request, next| {
            crate::routes::staff::authorize(access, request, next)
        })));
    }
    config.service(scope);
}

/// Every panel route (under `/admin`), with who may use it.
pub fn routes() -> Vec<RouteEntry> {
    use Access::{Capability, PreSession, SignedIn, Staff};
    let get = |path, access, route| RouteEntry::get(path, access, route);
    let post = |path, access, route| RouteEntry::post(path, access, route);
    vec![
        get(
            "/",
            Staff(Area::Dashboard),
            get_or_head().to(dashboard::show),
        ),
        get("/setup", PreSession, get_or_head().to(setup::show)),
        post(
            "/setup",
            PreSession,
            web::post().to(setup::create_first_admin),
        ),
        get("/login", PreSession, get_or_head().to(login::show)),
        get(
            "/lost-password",
            PreSession,
            get_or_head().to(account::lost_password_form),
        ),
        post(
            "/lost-password",
            PreSession,
            web::post().to(account::lost_password),
        ),
        get(
            "/account/{token}",
            Capability,
            get_or_head().to(account::open_link),
        ),
        post(
            "/account/{token}",
            Capability,
            web::post().to(account::use_link),
        ),
        post("/login", PreSession, web::post().to(login::log_in)),
        post("/logout", SignedIn, web::post().to(login::log_out)),
        get(
            "/comments",
            Staff(Area::Comments),
            get_or_head().to(comments::list),
        ),
        post(
            "/comments/bulk",
            Staff(Area::Comments),
            web::post().to(comments::bulk_action),
        ),
        post(
            "/comments/undo",
            Staff(Area::Comments),
            web::post().to(comments::undo),
        ),
        get(
            "/comments/{id}/reply",
            Staff(Area::Comments),
            get_or_head().to(comments::reply_form),
        ),
        post(
            "/comments/{id}/reply",
            Staff(Area::Comments),
            web::post().to(comments::reply),
        ),
        get(
            "/comments/{id}/edit",
            Staff(Area::Comments),
            get_or_head().to(comments::edit_form),
        ),
        post(
            "/comments/{id}/edit",
            Staff(Area::Comments),
            web::post().to(comments::edit),
        ),
        post(
            "/comments/{id}/{action}",
            Staff(Area::Comments),
            web::post().to(comments::single_action),
        ),
        get("/posts", Staff(Area::Posts), get_or_head().to(posts::list)),
        get(
            "/posts/new",
            Staff(Area::Posts),
            get_or_head().to(posts::new_form),
        ),
        post(
            "/posts/new",
            Staff(Area::Posts),
            web::post().to(posts::create),
        ),
        get(
            "/posts/{id}/edit",
            Staff(Area::Posts),
            get_or_head().to(posts::edit_form),
        ),
        post(
            "/posts/{id}/edit",
            Staff(Area::Posts),
            web::post().to(posts::update),
        ),
        post(
            "/posts/{id}/trash",
            Staff(Area::Posts),
            web::post().to(posts::trash),
        ),
        post(
            "/posts/{id}/restore",
            Staff(Area::Posts),
            web::post().to(posts::restore),
        ),
        get(
            "/categories",
            Staff(Area::Categories),
            get_or_head().to(categories::list),
        ),
        post(
            "/categories",
            Staff(Area::Categories),
            web::post().to(categories::create),
        ),
        get(
            "/categories/{id}/edit",
            Staff(Area::Categories),
            get_or_head().to(categories::edit_form),
        ),
        post(
            "/categories/{id}/edit",
            Staff(Area::Categories),
            web::post().to(categories::update),
        ),
        post(
            "/categories/{id}/delete",
            Staff(Area::Categories),
            web::post().to(categories::delete),
        ),
        get(
            "/tags",
            Staff(Area::Categories),
            get_or_head().to(tags::list),
        ),
        get("/media", Staff(Area::Posts), get_or_head().to(media::list)),
        get("/pages", Staff(Area::Posts), get_or_head().to(pages::list)),
        get(
            "/pages/new",
            Staff(Area::Posts),
            get_or_head().to(pages::new_form),
        ),
        post(
            "/pages/new",
            Staff(Area::Posts),
            web::post().to(pages::create),
        ),
        get(
            "/pages/{id}/edit",
            Staff(Area::Posts),
            get_or_head().to(pages::edit_form),
        ),
        post(
            "/pages/{id}/edit",
            Staff(Area::Posts),
            web::post().to(pages::update),
        ),
        post(
            "/tags/{id}/edit",
            Staff(Area::Categories),
            web::post().to(tags::rename),
        ),
        post(
            "/tags/{id}/merge",
            Staff(Area::Categories),
            web::post().to(tags::merge),
        ),
        post(
            "/tags/{id}/delete",
            Staff(Area::Categories),
            web::post().to(tags::delete),
        ),
        get(
            "/settings",
            Staff(Area::Settings),
            get_or_head().to(settings::show),
        ),
        post(
            "/settings",
            Staff(Area::Settings),
            web::post().to(settings::save),
        ),
        get(
            "/settings/permalinks",
            Staff(Area::Settings),
            get_or_head().to(permalinks::show),
        ),
        post(
            "/settings/permalinks",
            Staff(Area::Settings),
            web::post().to(permalinks::save),
        ),
        get("/users", Staff(Area::Users), get_or_head().to(users::list)),
        post("/users", Staff(Area::Users), web::post().to(users::create)),
        post(
            "/users/{id}/role",
            Staff(Area::Users),
            web::post().to(users::change_role),
        ),
        post(
            "/users/{id}/password",
            Staff(Area::Users),
            web::post().to(users::reset_password),
        ),
        get(
            "/users/{id}/delete",
            Staff(Area::Users),
            get_or_head().to(users::remove_form),
        ),
        post(
            "/users/{id}/delete",
            Staff(Area::Users),
            web::post().to(users::remove),
        ),
        get("/profile", SignedIn, get_or_head().to(users::profile)),
        post("/profile", SignedIn, web::post().to(users::update_profile)),
        post(
            "/profile/email/cancel",
            SignedIn,
            web::post().to(users::cancel_email),
        ),
        get(
            "/outbox",
            Staff(Area::Outbox),
            get_or_head().to(outbox::list),
        ),
        get(
            "/outbox/{id}",
            Staff(Area::Outbox),
            get_or_head().to(outbox::show),
        ),
        post(
            "/outbox/{id}/retry",
            Staff(Area::Outbox),
            web::post().to(outbox::retry),
        ),
        get(
            "/personal-data",
            Staff(Area::PersonalData),
            get_or_head().to(personal_data::show),
        ),
        post(
            "/personal-data/export",
            Staff(Area::PersonalData),
            web::post().to(personal_data::export),
        ),
        post(
            "/personal-data/erase",
            Staff(Area::PersonalData),
            web::post().to(personal_data::erase),
        ),
    ]
}

/// A link in the panel's menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
    pub badge: Option<i64>,
}

/// The frame of every panel page.
#[derive(Debug, Clone)]
pub struct AdminLayout {
    pub site_title: String,
    pub page_title: String,
    pub stylesheet: &'static str,
    pub admin_stylesheet: &'static str,
    pub user_name: String,
    pub csrf_token: String,
    pub nav: Vec<NavItem>,
    pub notice: Option<String>,
    /// What the notice's Undo button sends back (`12.pending,13.approved`),
    /// and where to.
    pub undo: Option<(String, String)>,
    /// Across the panel: mail delivery is off, or failing.
    pub mail_banner: Option<String>,
    pub can_see_outbox: bool,
    /// Comments waiting in the queue (the menu's badge).
    pub pending: i64,
    /// A link after the notice: ("View post", its address).
    pub notice_link: Option<(String, String)>,
}

const MENU: [(&str, &str, Area); 11] = [
    ("Dashboard", "/admin/", Area::Dashboard),
    ("Posts", "/admin/posts", Area::Posts),
    ("Media", "/admin/media", Area::Posts),
    ("Pages", "/admin/pages", Area::Posts),
    ("Comments", "/admin/comments", Area::Comments),
    ("Categories", "/admin/categories", Area::Categories),
    ("Tags", "/admin/tags", Area::Categories),
    ("Users", "/admin/users", Area::Users),
    ("Settings", "/admin/settings", Area::Settings),
    ("Personal data", "/admin/personal-data", Area::PersonalData),
    ("Outbox", "/admin/outbox", Area::Outbox),
];

impl AdminLayout {
    /// The frame for `staff` on a page titled `page_title` under menu entry `current`.
    pub async fn new(
        state: &AppState,
        staff: &Staff,
        page_title: &str,
        current: &str,
    ) -> Result<AdminLayout, PageError> {
        let smtp_on = state.config.smtp_url.is_some();
        let (pending, (failing, last_error)) = state
            .db(move |conn| {
                let pending = count_with_status(conn, CommentStatus::Pending)?;
                // Delivery trouble only matters while delivery is on.
                let trouble = if smtp_on {
                    crate::mail::outbox::delivery_trouble(conn)?
                } else {
                    (0, None)
                };
                Ok((pending, trouble))
            })
            .await?;
        let mail_banner = if !smtp_on {
            Some("Email delivery is off: FERROPRESS_SMTP_URL is not set, so mail waits in the outbox.".to_owned())
        } else if failing > 0 {
            let noun = if failing == 1 {
                "email has"
            } else {
                "emails have"
            };
            let error = last_error
                .map(|error| format!(" Last error: {error}"))
                .unwrap_or_default();
            Some(format!("{failing} {noun} not been delivered yet.{error}"))
        } else {
            None
        };
        let nav = MENU
            .iter()
            .filter(|(_, _, area)| staff.can(*area))
            .map(|(label, href, _)| NavItem {
                label,
                href,
                current: *label == current,
                badge: (*label == "Comments" && pending > 0).then_some(pending),
            })
            .collect();
        Ok(AdminLayout {
            site_title: state.site().title.clone(),
            page_title: page_title.to_owned(),
            stylesheet: STYLESHEET.path.as_str(),
            admin_stylesheet: ADMIN_STYLESHEET.path.as_str(),
            user_name: staff.user.display_name.clone(),
            csrf_token: staff.csrf_token.clone(),
            nav,
            notice: None,
            undo: None,
            mail_banner,
            can_see_outbox: staff.can(Area::Outbox),
            pending,
            notice_link: None,
        })
    }

    pub fn with_notice(mut self, notice: Option<String>) -> AdminLayout {
        self.notice = notice;
        self
    }

    /// A link after the notice, when there is a notice.
    pub fn with_notice_link(mut self, label: &str, href: String) -> AdminLayout {
        if self.notice.is_some() {
            self.notice_link = Some((label.to_owned(), href));
        }
        self
    }

    /// An Undo button in the notice, putting comments back as they were.
    pub fn with_undo(mut self, undo: Option<(String, String)>) -> AdminLayout {
        if self.notice.is_some() {
            self.undo = undo;
        }
        self
    }
}

#[derive(Template)]
#[template(path = "admin/refused.html")]
struct RefusedPage {
    layout: AdminLayout,
    message: &'static str,
}

/// A refusal (403 and the like) inside the panel, with its menu and a way
/// back; `None` if the frame cannot be drawn (the themed page is used).
pub async fn refusal_html(
    state: &AppState,
    staff: &Staff,
    status: actix_web::http::StatusCode,
    error: Option<&PageError>,
) -> Option<String> {
    let (heading, message) = crate::error::wording(status, error);
    let layout = AdminLayout::new(state, staff, heading, "").await.ok()?;
    RefusedPage { layout, message }.render().ok()
}

/// An admin page: never cached, anywhere.
pub fn admin_page(template: &impl Template) -> Result<HttpResponse, PageError> {
    admin_page_with_status(template, actix_web::http::StatusCode::OK)
}

pub fn admin_page_with_status(
    template: &impl Template,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let body = template.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// An argon2id hash made on a blocking thread (it takes tens of
/// milliseconds on purpose, too long for the async workers).
pub async fn hash_off_thread(password: String) -> Result<String, PageError> {
    Ok(
        web::block(move || crate::auth::password::hash_password(&password))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .map_err(anyhow::Error::from)?,
    )
}

/// `303` to `location`, the answer to every successful admin form.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            crate::domain::slug::percent_encode_path(location),
        ))
        .finish()
}

/// A panel path to come back to, only ever inside the panel.
pub fn safe_return(path: Option<&str>, fallback: &str) -> String {
    match path {
        Some(path)
            if path.starts_with("/admin")
                && !path.contains("//")
                && !path.contains('\\')
                // A line break would end the `Location` header.
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

/// What the page after a successful form says happened (WordPress's words).
/// It travels as a code in the URL (`?done=CODE&n=COUNT`); only known codes
/// produce text, so nothing from the URL is ever echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Comments moderated, coded by the action's own spelling.
    Moderated(ModerationAction),
    Replied,
    Edited,
    PostSaved,
    /// A post made public by this save ("View post" follows).
    PostPublished,
    /// A public post saved again.
    PostUpdated,
    PostScheduled,
    DraftSaved,
    PostTrashed,
    PostRestored,
    CategoryAdded,
    CategoryUpdated,
    CategoryDeleted,
    TagUpdated,
    TagsMerged,
    TagDeleted,
    SettingsSaved,
    UserAdded,
    RoleChanged,
    UserRemoved,
    PasswordReset,
    /// A password chosen from a mailed link (reset or invitation).
    PasswordSet,
    ProfileSaved,
    /// A new address waits for its confirmation link.
    EmailPending,
    /// The pending address change was cancelled.
    EmailKept,
    /// A mail queued again (`n` = 1), or nothing to retry (`n` = 0).
    Retried,
    /// Comments anonymised on an erasure request.
    Erased,
    /// Comments put back as they were (the notice's Undo).
    Undone,
}

impl Notice {
    /// The notices that are not moderation actions.
    const OTHERS: [Notice; 27] = [
        Notice::Replied,
        Notice::Edited,
        Notice::PostSaved,
        Notice::PostPublished,
        Notice::PostUpdated,
        Notice::PostScheduled,
        Notice::DraftSaved,
        Notice::PostTrashed,
        Notice::PostRestored,
        Notice::CategoryAdded,
        Notice::CategoryUpdated,
        Notice::CategoryDeleted,
        Notice::TagUpdated,
        Notice::TagsMerged,
        Notice::TagDeleted,
        Notice::SettingsSaved,
        Notice::UserAdded,
        Notice::RoleChanged,
        Notice::UserRemoved,
        Notice::PasswordReset,
        Notice::PasswordSet,
        Notice::ProfileSaved,
        Notice::EmailPending,
        Notice::EmailKept,
        Notice::Retried,
        Notice::Erased,
        Notice::Undone,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Notice::Moderated(action) => action.as_str(),
            Notice::Replied => "replied",
            Notice::Edited => "edited",
            Notice::PostSaved => "post_saved",
            Notice::PostPublished => "post_published",
            Notice::PostUpdated => "post_updated",
            Notice::PostScheduled => "post_scheduled",
            Notice::DraftSaved => "draft_saved",
            Notice::PostTrashed => "post_trashed",
            Notice::PostRestored => "post_restored",
            Notice::CategoryAdded => "category_added",
            Notice::CategoryUpdated => "category_updated",
            Notice::CategoryDeleted => "category_deleted",
            Notice::TagUpdated => "tag_updated",
            Notice::TagsMerged => "tags_merged",
            Notice::TagDeleted => "tag_deleted",
            Notice::SettingsSaved => "settings_saved",
            Notice::UserAdded => "user_added",
            Notice::RoleChanged => "role_changed",
            Notice::UserRemoved => "user_removed",
            Notice::PasswordReset => "password_reset",
            Notice::PasswordSet => "password_set",
            Notice::ProfileSaved => "profile_saved",
            Notice::EmailPending => "email_pending",
            Notice::EmailKept => "email_kept",
            Notice::Retried => "retry",
            Notice::Erased => "erased",
            Notice::Undone => "undone",
        }
    }

    pub fn parse(code: &str) -> Option<Notice> {
        match code.parse::<ModerationAction>() {
            Ok(action) => Some(Notice::Moderated(action)),
            Err(_) => Notice::OTHERS
                .into_iter()
                .find(|notice| notice.code() == code),
        }
    }

    /// The sentence, for `count` things done.
    pub fn text(self, count: usize) -> String {
        let plural = |noun: &str, verb: &str| {
            if count == 1 {
                format!("1 {noun} {verb}.")
            } else {
                format!("{count} {noun}s {verb}.")
            }
        };
        match self {
            Notice::Moderated(action) => plural("comment", action.done()),
            Notice::Replied => "Reply published.".to_owned(),
            Notice::Edited => "Comment updated.".to_owned(),
            Notice::PostSaved => "Post saved.".to_owned(),
            Notice::PostPublished => "Post published.".to_owned(),
            Notice::PostUpdated => "Post updated.".to_owned(),
            Notice::PostScheduled => "Post scheduled.".to_owned(),
            Notice::DraftSaved => "Draft saved.".to_owned(),
            Notice::PostTrashed => "Post moved to the Trash.".to_owned(),
            Notice::PostRestored => "Post restored from the Trash.".to_owned(),
            Notice::CategoryAdded => "Category added.".to_owned(),
            Notice::CategoryUpdated => "Category updated.".to_owned(),
            Notice::CategoryDeleted => "Category deleted.".to_owned(),
            Notice::TagUpdated => "Tag updated.".to_owned(),
            Notice::TagsMerged => "Tags merged.".to_owned(),
            Notice::TagDeleted => "Tag deleted.".to_owned(),
            Notice::SettingsSaved => "Settings saved.".to_owned(),
            Notice::UserAdded => {
                "User added. An invitation to set a password was emailed to them.".to_owned()
            }
            Notice::RoleChanged => "Role changed.".to_owned(),
            Notice::UserRemoved => "User removed.".to_owned(),
            Notice::PasswordReset => {
                "A link to choose a password was emailed to that user.".to_owned()
            }
            Notice::PasswordSet => "Your password is saved; you are logged in.".to_owned(),
            Notice::ProfileSaved => "Profile updated.".to_owned(),
            Notice::EmailPending => "Profile updated. To use your new email address, open the link just sent to it; until then your old one stays.".to_owned(),
            Notice::EmailKept => "The email change was cancelled; your address stays as it was.".to_owned(),
            Notice::Undone if count == 1 => "1 comment put back as it was.".to_owned(),
            Notice::Undone => format!("{count} comments put back as they were."),
            Notice::Retried if count == 1 => "The message will be sent again shortly.".to_owned(),
            Notice::Retried => "Nothing to retry.".to_owned(),
            Notice::Erased => plural("comment", "anonymised"),
        }
    }
}

/// `path` with `done=CODE&n=COUNT` added: the next page says what happened.
pub fn with_notice(path: &str, notice: Notice, count: usize) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}done={}&n={count}", notice.code())
}

/// The `done`/`n` pair every panel page reads.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub done: Option<String>,
    pub n: Option<usize>,
}

impl NoticeQuery {
    pub fn text(&self) -> Option<String> {
        let notice = Notice::parse(self.done.as_deref()?)?;
        Some(notice.text(self.n.unwrap_or(1)))
    }
}

/// A form read as name → value, for fields named by id (`c12`, `cat_3`).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct FieldMap(pub HashMap<String, String>);

impl FieldMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The ids of fields named `prefix` + id.
    pub fn ids_with_prefix(&self, prefix: &str) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .0
            .keys()
            .filter_map(|name| name.strip_prefix(prefix))
            .filter_map(|id| id.parse().ok())
            .collect();
        ids.sort_unstable();
        ids
    }
}

impl CsrfForm for FieldMap {
    fn csrf_token(&self) -> &str {
        self.get("csrf_token").unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_count_like_wordpress_and_ignore_unknown_codes() {
        assert_eq!(
            NoticeQuery {
                done: Some("approve".into()),
                n: Some(1)
            }
            .text()
            .as_deref(),
            Some("1 comment approved.")
        );
        assert_eq!(
            NoticeQuery {
                done: Some("approve".into()),
                n: Some(3)
            }
            .text()
            .as_deref(),
            Some("3 comments approved.")
        );
        assert_eq!(
            NoticeQuery {
                done: Some("<script>".into()),
                n: Some(3)
            }
            .text(),
            None
        );
        for notice in Notice::OTHERS {
            assert_eq!(Notice::parse(notice.code()), Some(notice));
        }
        for action in ModerationAction::ALL {
            let notice = Notice::Moderated(*action);
            assert_eq!(Notice::parse(notice.code()), Some(notice));
        }
        assert_eq!(NoticeQuery::default().text(), None);
    }

    #[test]
    fn return_paths_stay_inside_the_panel() {
        assert_eq!(
            safe_return(Some("/admin/comments?status=spam"), "/admin/"),
            "/admin/comments?status=spam"
        );
        assert_eq!(
            safe_return(Some("https://evil.example/"), "/admin/"),
            "/admin/"
        );
        assert_eq!(
            safe_return(Some("/admin//evil.example"), "/admin/"),
            "/admin/"
        );
        assert_eq!(
            safe_return(Some("/admin/\r\nSet-Cookie: x=1"), "/admin/"),
            "/admin/"
        );
        assert_eq!(
            with_notice(
                "/admin/comments?status=pending",
                Notice::Moderated(ModerationAction::Approve),
                2
            ),
            "/admin/comments?status=pending&done=approve&n=2"
        );
    }
}
