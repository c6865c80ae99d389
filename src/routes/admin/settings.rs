//! `/admin/settings`: General (title, tagline, posts per page), Discussion
//! (every moderation rule of SPEC §3) and Notifications.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{
    admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice, NoticeQuery,
};
use crate::domain::EmailAddress;
use crate::domain::FieldErrors;
use crate::error::PageError;
use crate::models::setting::{keys, parse_permille, permille_text, set_setting, SiteSettings};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: AdminLayout,
    values: SettingsValues,
    errors: FieldErrors,
}

impl SettingsPage {
    /// Every IANA timezone, for the list.
    fn timezones(&self) -> Vec<&'static str> {
        crate::render::clock::timezone_names().collect()
    }

    /// Now, in the zone and formats as typed: what readers will see.
    fn format_example(&self) -> String {
        let clock = crate::render::clock::SiteClock {
            timezone: crate::render::clock::parse_timezone(&self.values.timezone)
                .unwrap_or_default(),
            date_format: self.values.date_format.clone(),
            time_format: self.values.time_format.clone(),
        };
        clock.date_at_time(crate::models::now())
    }
}

/// The form's fields as text, as typed or as stored.
#[derive(Debug, Clone)]
struct SettingsValues {
    site_title: String,
    tagline: String,
    timezone: String,
    date_format: String,
    time_format: String,
    widgets: crate::models::setting::WidgetSettings,
    posts_per_page: String,
    hold_all: bool,
    require_previously_approved: bool,
    link_limit: String,
    moderation_words: String,
    disallowed_words: String,
    close_after_days: String,
    thread_depth: String,
    comments_per_minute: String,
    comments_per_page: String,
    /// "Comments should be displayed with the newer comments at the top".
    newest_first: bool,
    edit_minutes: String,
    spam_threshold: String,
    digest_after: String,
    digest_minutes: String,
    notify_email: String,
    notify_moderators: bool,
    notify_post_author: bool,
    sent_mail_days: String,
    ip_days: String,
}

impl SettingsValues {
    fn from_site(site: &SiteSettings) -> SettingsValues {
        let discussion = &site.discussion;
        SettingsValues {
            site_title: site.title.clone(),
            tagline: site.tagline.clone(),
            timezone: site.clock.timezone.name().to_owned(),
            date_format: site.clock.date_format.clone(),
            time_format: site.clock.time_format.clone(),
            widgets: site.widgets,
            posts_per_page: site.posts_per_page.to_string(),
            hold_all: discussion.rules.hold_all,
            require_previously_approved: discussion.rules.require_previously_approved,
            link_limit: discussion.rules.link_limit.to_string(),
            moderation_words: discussion.rules.moderation_words.join("\n"),
            disallowed_words: discussion.rules.disallowed_words.join("\n"),
            close_after_days: discussion.close_after_days.to_string(),
            thread_depth: discussion.thread_depth.to_string(),
            comments_per_minute: discussion.comments_per_minute.to_string(),
            comments_per_page: discussion.comments_per_page.to_string(),
            newest_first: discussion.newest_first,
            edit_minutes: discussion.edit_minutes.to_string(),
            spam_threshold: permille_text(discussion.rules.spam_threshold_permille),
            digest_after: discussion.digest_after.to_string(),
            digest_minutes: discussion.digest_minutes.to_string(),
            notify_email: site.notifications.email.clone(),
            notify_moderators: site.notifications.moderators,
            notify_post_author: site.notifications.post_author,
            sent_mail_days: site.retention.sent_mail_days.to_string(),
            ip_days: site.retention.ip_days.to_string(),
        }
    }

    /// What the form sent; a field the form did not send keeps `current`'s value.
    fn from_form(fields: &FieldMap, current: &SiteSettings) -> SettingsValues {
        SettingsValues {
            site_title: fields.text("site_title").trim().to_owned(),
            tagline: fields.text("tagline").trim().to_owned(),
            timezone: match fields.text("timezone").trim() {
                "" => current.clock.timezone.name().to_owned(),
                sent => sent.to_owned(),
            },
            date_format: match fields.text("date_format").trim() {
                "" => current.clock.date_format.clone(),
                sent => sent.to_owned(),
            },
            time_format: match fields.text("time_format").trim() {
                "" => current.clock.time_format.clone(),
                sent => sent.to_owned(),
            },
            // Boxes left unticked are not sent: the fieldset says it was.
            widgets: if fields.checked("widgets_shown") {
                crate::models::setting::WidgetSettings {
                    recent_posts: fields.checked("widget_recent_posts"),
                    recent_comments: fields.checked("widget_recent_comments"),
                    archives: fields.checked("widget_archives"),
                    categories: fields.checked("widget_categories"),
                }
            } else {
                current.widgets
            },
            posts_per_page: fields.text("posts_per_page").trim().to_owned(),
            hold_all: fields.checked("hold_all"),
            require_previously_approved: fields.checked("require_previously_approved"),
            link_limit: fields.text("link_limit").trim().to_owned(),
            moderation_words: fields.text("moderation_words").replace("\r\n", "\n"),
            disallowed_words: fields.text("disallowed_words").replace("\r\n", "\n"),
            close_after_days: fields.text("close_after_days").trim().to_owned(),
            thread_depth: fields.text("thread_depth").trim().to_owned(),
            comments_per_minute: fields.text("comments_per_minute").trim().to_owned(),
            comments_per_page: match fields.text("comments_per_page").trim() {
                "" => current.discussion.comments_per_page.to_string(),
                sent => sent.to_owned(),
            },
            newest_first: match fields.text("comment_order").trim() {
                "desc" => true,
                "asc" => false,
                _ => current.discussion.newest_first,
            },
            edit_minutes: match fields.text("edit_minutes").trim() {
                "" => current.discussion.edit_minutes.to_string(),
                sent => sent.to_owned(),
            },
            spam_threshold: match fields.text("spam_threshold").trim() {
                "" => permille_text(current.discussion.rules.spam_threshold_permille),
                sent => sent.to_owned(),
            },
            digest_after: match fields.text("digest_after").trim() {
                "" => current.discussion.digest_after.to_string(),
                sent => sent.to_owned(),
            },
            digest_minutes: match fields.text("digest_minutes").trim() {
                "" => current.discussion.digest_minutes.to_string(),
                sent => sent.to_owned(),
            },
            notify_email: fields.text("notify_email").trim().to_owned(),
            notify_moderators: fields.checked("notify_moderators"),
            notify_post_author: fields.checked("notify_post_author"),
            sent_mail_days: match fields.text("sent_mail_days").trim() {
                "" => current.retention.sent_mail_days.to_string(),
                sent => sent.to_owned(),
            },
            ip_days: match fields.text("ip_days").trim() {
                "" => current.retention.ip_days.to_string(),
                sent => sent.to_owned(),
            },
        }
    }

    fn errors(&self) -> FieldErrors {
        let in_range = |text: &str, min: i64, max: i64| {
            text.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n))
        };
        let mut errors = FieldErrors::new();
        if self.site_title.is_empty() {
            errors.push(("site_title", "Please enter a site title."));
        }
        if !in_range(&self.posts_per_page, 1, 100) {
            errors.push(("posts_per_page", "Enter a number from 1 to 100."));
        }
        if !in_range(&self.link_limit, 0, 1000) {
            errors.push(("link_limit", "Enter a number from 0 (no limit) to 1000."));
        }
        if !in_range(&self.close_after_days, 0, 100_000) {
            errors.push((
                "close_after_days",
                "Enter a number of days, or 0 to keep comments open.",
            ));
        }
        if !in_range(&self.thread_depth, 1, 10) {
            errors.push(("thread_depth", "Enter a depth from 1 to 10."));
        }
        if !in_range(&self.comments_per_minute, 0, 100_000) {
            errors.push(("comments_per_minute", "Enter a number, or 0 for no limit."));
        }
        if !in_range(&self.edit_minutes, 0, 1440) {
            errors.push((
                "edit_minutes",
                "Enter a number of minutes up to 1440, or 0 to never allow it.",
            ));
        }
        if !in_range(&self.comments_per_page, 0, 1000) {
            errors.push((
                "comments_per_page",
                "Enter a number from 1 to 1000, or 0 for all comments on one page.",
            ));
        }
        if parse_permille(&self.spam_threshold).is_none() {
            errors.push((
                "spam_threshold",
                "Enter a score from 0.5 to 1 (1: never send to spam by score).",
            ));
        }
        if !in_range(&self.digest_after, 0, 100_000) {
            errors.push((
                "digest_after",
                "Enter a number, or 0 for one mail per comment always.",
            ));
        }
        if !in_range(&self.digest_minutes, 1, 1440) {
            errors.push((
                "digest_minutes",
                "Enter a number of minutes from 1 to 1440.",
            ));
        }
        if !in_range(&self.sent_mail_days, 0, 36_500) {
            errors.push((
                "sent_mail_days",
                "Enter a number of days, or 0 to keep sent mail.",
            ));
        }
        if !in_range(&self.ip_days, 0, 36_500) {
            errors.push((
                "ip_days",
                "Enter a number of days, or 0 to keep addresses whole.",
            ));
        }
        if crate::render::clock::parse_timezone(&self.timezone).is_none() {
            errors.push((
                "timezone",
                "Choose a timezone from the list, such as Europe/Berlin or America/New_York.",
            ));
        }
        let usable =
            |format: &str| format.chars().count() <= 100 && !format.chars().any(char::is_control);
        if !usable(&self.date_format) {
            errors.push((
                "date_format",
                "Enter a date format of at most 100 characters, such as F j, Y.",
            ));
        }
        if !usable(&self.time_format) {
            errors.push((
                "time_format",
                "Enter a time format of at most 100 characters, such as g:i a.",
            ));
        }
        if !self.notify_email.is_empty() && EmailAddress::parse(&self.notify_email).is_err() {
            errors.push(("notify_email", "Please enter a valid email address."));
        }
        errors
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let flag = |on: bool| if on { "1" } else { "0" }.to_owned();
        vec![
            (keys::SITE_TITLE, self.site_title.clone()),
            (keys::TAGLINE, self.tagline.clone()),
            (keys::TIMEZONE, self.timezone.clone()),
            (keys::DATE_FORMAT, self.date_format.clone()),
            (keys::TIME_FORMAT, self.time_format.clone()),
            (keys::WIDGET_RECENT_POSTS, flag(self.widgets.recent_posts)),
            (
                keys::WIDGET_RECENT_COMMENTS,
                flag(self.widgets.recent_comments),
            ),
            (keys::WIDGET_ARCHIVES, flag(self.widgets.archives)),
            (keys::WIDGET_CATEGORIES, flag(self.widgets.categories)),
            (keys::POSTS_PER_PAGE, self.posts_per_page.clone()),
            (keys::HOLD_ALL, flag(self.hold_all)),
            (
                keys::REQUIRE_PREVIOUSLY_APPROVED,
                flag(self.require_previously_approved),
            ),
            (keys::LINK_LIMIT, self.link_limit.clone()),
            (keys::MODERATION_WORDS, self.moderation_words.clone()),
            (keys::DISALLOWED_WORDS, self.disallowed_words.clone()),
            (keys::CLOSE_AFTER_DAYS, self.close_after_days.clone()),
            (keys::THREAD_DEPTH, self.thread_depth.clone()),
            (keys::COMMENTS_PER_MINUTE, self.comments_per_minute.clone()),
            (keys::COMMENTS_PER_PAGE, self.comments_per_page.clone()),
            (
                keys::COMMENT_ORDER,
                if self.newest_first { "desc" } else { "asc" }.to_owned(),
            ),
            (keys::EDIT_MINUTES, self.edit_minutes.clone()),
            (keys::SPAM_THRESHOLD, self.spam_threshold.clone()),
            (keys::DIGEST_AFTER, self.digest_after.clone()),
            (keys::DIGEST_MINUTES, self.digest_minutes.clone()),
            (keys::NOTIFY_EMAIL, self.notify_email.clone()),
            (keys::NOTIFY_MODERATORS, flag(self.notify_moderators)),
            (keys::NOTIFY_POST_AUTHOR, flag(self.notify_post_author)),
            (keys::SENT_MAIL_DAYS, self.sent_mail_days.clone()),
            (keys::IP_DAYS, self.ip_days.clone()),
        ]
    }
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let layout = AdminLayout::new(&state, &staff, "Settings", "Settings")
        .await?
        .with_notice(notice.text());
    let values = SettingsValues::from_site(&state.site());
    admin_page_with_status(
        &SettingsPage {
            layout,
            values,
            errors: FieldErrors::new(),
        },
        StatusCode::OK,
    )
}

pub async fn save(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let values = SettingsValues::from_form(&form.form, &state.site());
    let errors = values.errors();
    if !errors.is_empty() {
        let layout = AdminLayout::new(&state, &staff, "Settings", "Settings").await?;
        return admin_page_with_status(
            &SettingsPage {
                layout,
                values,
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let pairs = values.pairs();
    // Dated addresses are the site's local dates: a new timezone moves them.
    let new_timezone = state.site().clock.timezone.name() != values.timezone;
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                for (key, value) in &pairs {
                    set_setting(conn, key, value)?;
                }
                if new_timezone {
                    crate::models::setting::content_changed(conn)?;
                    crate::models::post_address::rebuild_addresses(conn, true)?;
                }
                Ok(())
            })
        })
        .await?;
    state.reload_site().await?;
    Ok(see_other(&with_notice(
        "/admin/settings",
        Notice::SettingsSaved,
        1,
    )))
}
