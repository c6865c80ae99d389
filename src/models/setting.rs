//! Site settings as key/value rows, and the site's typed view of them.

use diesel::prelude::*;
use rand::RngCore;

use crate::db::schema::settings;
use crate::db::AnyConnection;
use crate::domain::moderation::{word_list, ModerationRules};
use crate::models::is_unique_violation;
use crate::render::layout::Layout;

/// The key under which a generated secret is kept.
const SECRET_KEY: &str = "secret_key";

pub fn get_setting(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Sets a value, inserting or replacing its row.
pub fn set_setting(conn: &mut AnyConnection, key: &str, value: &str) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let updated = diesel::update(settings::table.find(key))
            .set(settings::value.eq(value))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(settings::table)
                .values((settings::key.eq(key), settings::value.eq(value)))
                .execute(conn)?;
        }
        content_changed(conn)
    })
}

/// The secret that signs cookies and links: the configured one, or one
/// generated on first start and kept, so links survive restarts. Two processes
/// starting at once agree: the loser of the insert reads the winner's key.
pub fn secret_key(conn: &mut AnyConnection, configured: Option<&str>) -> QueryResult<String> {
    if let Some(key) = configured {
        return Ok(key.to_owned());
    }
    if let Some(key) = get_setting(conn, SECRET_KEY)? {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let generated = hex::encode(bytes);
    match diesel::insert_into(settings::table)
        .values((settings::key.eq(SECRET_KEY), settings::value.eq(&generated)))
        .execute(conn)
    {
        Ok(_) => Ok(generated),
        Err(error) if is_unique_violation(&error) => {
            get_setting(conn, SECRET_KEY)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(error) => Err(error),
    }
}

/// What every reader page shows about the site, read from settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub title: String,
    pub tagline: String,
    pub posts_per_page: i64,
    pub discussion: DiscussionSettings,
    pub notifications: NotificationSettings,
    pub retention: crate::models::retention::RetentionSettings,
    /// The timezone and the date and time formats every shown date uses.
    pub clock: crate::render::clock::SiteClock,
    /// Which sidebar widgets readers see.
    pub widgets: WidgetSettings,
    /// The first segment of category and tag addresses (Settings > Permalinks).
    pub bases: crate::domain::permalink::TermBases,
    /// The header menu and the widgets' lists, as of the last change
    /// (read beside the settings by `AppState`: `models::chrome`).
    pub chrome: std::sync::Arc<crate::render::layout::SiteChrome>,
}

impl SiteSettings {
    /// The frame of a page titled `page_title` (`None` for the front page).
    pub fn layout(&self, page_title: Option<&str>) -> Layout {
        let mut layout = Layout::new(&self.title, &self.tagline, page_title);
        layout.chrome = self.chrome.clone();
        layout.widgets = self.widgets;
        layout
    }
}

pub use crate::render::layout::WidgetSettings;

/// Settings > Discussion (SPEC §3), with WordPress's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionSettings {
    pub rules: ModerationRules,
    /// Close comments on posts older than this many days; 0 = never.
    pub close_after_days: i64,
    /// Replies nest this deep; deeper ones attach at the deepest level.
    pub thread_depth: usize,
    /// Comments accepted per client address per minute; 0 = no limit.
    pub comments_per_minute: u32,
    /// Top-level threads per page of a post's comments; 0 = all on one page.
    pub comments_per_page: usize,
    /// WordPress's `comment_order` = `desc`: newer threads at the top of
    /// each page of comments (the pages themselves run oldest first).
    pub newest_first: bool,
    /// More held comments than this within an hour go into a digest
    /// instead of one mail each; 0 = never.
    pub digest_after: i64,
    /// A digest goes out once its oldest comment has waited this long.
    pub digest_minutes: i64,
    /// Minutes a commenter may edit or delete their own comment from the
    /// browser they wrote it in; 0 = never.
    pub edit_minutes: i64,
}

impl DiscussionSettings {
    /// How a post's comments are laid out.
    pub fn paging(&self) -> crate::render::thread::CommentPaging {
        crate::render::thread::CommentPaging {
            max_depth: self.thread_depth,
            per_page: self.comments_per_page,
        }
    }
}

impl Default for DiscussionSettings {
    fn default() -> DiscussionSettings {
        DiscussionSettings {
            rules: ModerationRules::default(),
            close_after_days: 0,
            thread_depth: 5,
            comments_per_minute: 5,
            comments_per_page: 50,
            newest_first: false,
            digest_after: 10,
            digest_minutes: 60,
            edit_minutes: 10,
        }
    }
}

/// The settings keys of the discussion rules, as the admin panel stores them.
pub mod keys {
    pub const SITE_TITLE: &str = "site_title";
    pub const TAGLINE: &str = "tagline";
    pub const POSTS_PER_PAGE: &str = "posts_per_page";
    pub const HOLD_ALL: &str = "comment_hold_all";
    pub const REQUIRE_PREVIOUSLY_APPROVED: &str = "comment_previously_approved";
    pub const LINK_LIMIT: &str = "comment_max_links";
    pub const MODERATION_WORDS: &str = "moderation_keys";
    pub const DISALLOWED_WORDS: &str = "disallowed_keys";
    pub const CLOSE_AFTER_DAYS: &str = "close_comments_days_old";
    pub const THREAD_DEPTH: &str = "thread_comments_depth";
    pub const COMMENTS_PER_MINUTE: &str = "comments_per_minute";
    pub const COMMENTS_PER_PAGE: &str = "comments_per_page";
    /// `asc` (older comments at the top of each page) or `desc`: WordPress's name.
    pub const COMMENT_ORDER: &str = "comment_order";
    pub const SPAM_THRESHOLD: &str = "spam_threshold";
    pub const DIGEST_AFTER: &str = "moderation_digest_after";
    pub const DIGEST_MINUTES: &str = "moderation_digest_minutes";
    pub const EDIT_MINUTES: &str = "comment_edit_minutes";
    pub const TIMEZONE: &str = "timezone_string";
    /// Settings > Permalinks (WordPress's name): `/%year%/%monthnum%/%day%/%postname%/`…
    pub const PERMALINK_STRUCTURE: &str = "permalink_structure";
    /// Settings > Permalinks' "Category base" and "Tag base" (WordPress's names).
    pub const CATEGORY_BASE: &str = "category_base";
    pub const TAG_BASE: &str = "tag_base";
    pub const DATE_FORMAT: &str = "date_format";
    pub const TIME_FORMAT: &str = "time_format";
    pub const WIDGET_RECENT_POSTS: &str = "widget_recent_posts";
    pub const WIDGET_RECENT_COMMENTS: &str = "widget_recent_comments";
    pub const WIDGET_ARCHIVES: &str = "widget_archives";
    pub const WIDGET_CATEGORIES: &str = "widget_categories";
    pub const NOTIFY_EMAIL: &str = "notify_email";
    pub const NOTIFY_MODERATORS: &str = "notify_moderators";
    pub const NOTIFY_POST_AUTHOR: &str = "notify_post_author";
    pub const SENT_MAIL_DAYS: &str = "sent_mail_retention_days";
    pub const IP_DAYS: &str = "commenter_ip_retention_days";
}

/// Who is told about comments (SPEC §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// An extra address told about every comment to moderate; empty = none.
    pub email: String,
    /// Staff who can moderate (and have notifications on) get moderation mail.
    pub moderators: bool,
    /// A post's author hears when a comment on it is approved.
    pub post_author: bool,
}

impl Default for NotificationSettings {
    fn default() -> NotificationSettings {
        NotificationSettings {
            email: String::new(),
            moderators: true,
            post_author: true,
        }
    }
}

/// A threshold such as `0.99` in thousandths, from 0.5 to 1.
pub fn parse_permille(value: &str) -> Option<u32> {
    let number: f64 = value.trim().parse().ok()?;
    (0.5..=1.0)
        .contains(&number)
        .then(|| (number * 1000.0).round() as u32)
}

/// `990` → `0.99`.
pub fn permille_text(permille: u32) -> String {
    let text = format!("{:.3}", f64::from(permille) / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn parse_flag(value: &str) -> bool {
    matches!(value.trim(), "1" | "true" | "on" | "yes")
}

fn parse_number<T: std::str::FromStr + PartialOrd>(value: &str, min: T, max: T, default: T) -> T {
    value
        .trim()
        .parse::<T>()
        .ok()
        .filter(|n| *n >= min && *n <= max)
        .unwrap_or(default)
}

impl SiteSettings {
    pub const DEFAULT_TITLE: &'static str = "ferropress";
    pub const DEFAULT_TAGLINE: &'static str = "Just another ferropress site";
    pub const DEFAULT_POSTS_PER_PAGE: i64 = 10;

    /// The settings of a site nobody has configured yet.
    pub fn load_defaults() -> SiteSettings {
        SiteSettings {
            title: Self::DEFAULT_TITLE.to_owned(),
            tagline: Self::DEFAULT_TAGLINE.to_owned(),
            posts_per_page: Self::DEFAULT_POSTS_PER_PAGE,
            discussion: DiscussionSettings::default(),
            notifications: NotificationSettings::default(),
            retention: Default::default(),
            clock: Default::default(),
            widgets: Default::default(),
            bases: Default::default(),
            chrome: Default::default(),
        }
    }

    pub fn load(conn: &mut AnyConnection) -> QueryResult<SiteSettings> {
        let rows: Vec<(String, String)> = settings::table
            .filter(settings::key.ne(SECRET_KEY))
            .select((settings::key, settings::value))
            .load(conn)?;
        let mut site = Self::load_defaults();
        let (mut category_base, mut tag_base) = (String::new(), String::new());
        let discussion = &mut site.discussion;
        for (key, value) in rows {
            match key.as_str() {
                keys::SITE_TITLE => site.title = value,
                keys::TAGLINE => site.tagline = value,
                keys::POSTS_PER_PAGE => {
                    site.posts_per_page = parse_number(&value, 1, 100, Self::DEFAULT_POSTS_PER_PAGE)
                }
                keys::HOLD_ALL => discussion.rules.hold_all = parse_flag(&value),
                keys::REQUIRE_PREVIOUSLY_APPROVED => {
                    discussion.rules.require_previously_approved = parse_flag(&value)
                }
                keys::LINK_LIMIT => discussion.rules.link_limit = parse_number(&value, 0, 1000, 2),
                keys::MODERATION_WORDS => discussion.rules.moderation_words = word_list(&value),
                keys::DISALLOWED_WORDS => discussion.rules.disallowed_words = word_list(&value),
                keys::CLOSE_AFTER_DAYS => {
                    discussion.close_after_days = parse_number(&value, 0, 100_000, 0)
                }
                keys::THREAD_DEPTH => discussion.thread_depth = parse_number(&value, 1, 10, 5),
                keys::COMMENTS_PER_MINUTE => {
                    discussion.comments_per_minute = parse_number(&value, 0, 100_000, 5)
                }
                keys::COMMENTS_PER_PAGE => {
                    discussion.comments_per_page = parse_number(&value, 0, 1000, 50)
                }
                keys::EDIT_MINUTES => discussion.edit_minutes = parse_number(&value, 0, 1440, 10),
                keys::COMMENT_ORDER => discussion.newest_first = value.trim() == "desc",
                keys::SPAM_THRESHOLD => {
                    discussion.rules.spam_threshold_permille = parse_permille(&value).unwrap_or(990)
                }
                keys::DIGEST_AFTER => {
                    discussion.digest_after = parse_number(&value, 0, 100_000, 10)
                }
                keys::DIGEST_MINUTES => {
                    discussion.digest_minutes = parse_number(&value, 1, 1440, 60)
                }
                keys::NOTIFY_EMAIL => site.notifications.email = value.trim().to_owned(),
                keys::NOTIFY_MODERATORS => site.notifications.moderators = parse_flag(&value),
                keys::NOTIFY_POST_AUTHOR => site.notifications.post_author = parse_flag(&value),
                keys::SENT_MAIL_DAYS => {
                    site.retention.sent_mail_days = parse_number(&value, 0, 36_500, 30)
                }
                keys::IP_DAYS => site.retention.ip_days = parse_number(&value, 0, 36_500, 60),
                keys::TIMEZONE => {
                    if let Some(zone) = crate::render::clock::parse_timezone(&value) {
                        site.clock.timezone = zone;
                    }
                }
                keys::DATE_FORMAT if !value.trim().is_empty() => site.clock.date_format = value,
                keys::TIME_FORMAT if !value.trim().is_empty() => site.clock.time_format = value,
                keys::WIDGET_RECENT_POSTS => site.widgets.recent_posts = parse_flag(&value),
                keys::WIDGET_RECENT_COMMENTS => site.widgets.recent_comments = parse_flag(&value),
                keys::WIDGET_ARCHIVES => site.widgets.archives = parse_flag(&value),
                keys::WIDGET_CATEGORIES => site.widgets.categories = parse_flag(&value),
                keys::CATEGORY_BASE => category_base = value,
                keys::TAG_BASE => tag_base = value,
                _ => {}
            }
        }
        site.bases = crate::domain::permalink::TermBases::parse(&category_base, &tag_base)
            .unwrap_or_default();
        Ok(site)
    }
}

/// Marks that something readers see changed (a post, a category, a setting,
/// a user), in the caller's transaction, so every process's page cache
/// retires its pages.
pub fn content_changed(conn: &mut AnyConnection) -> QueryResult<()> {
    bump_content_version(conn)?;
    crate::models::retirement::record(conn, crate::models::retirement::EVERYTHING)
}

/// Marks that the comments readers see on one post changed (approved,
/// unapproved, edited, removed), in the caller's transaction: the caches
/// retire the pages that show that post, and the comment feeds.
pub fn comments_changed(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    bump_content_version(conn)?;
    crate::models::retirement::record(conn, post_id)
}

/// The content version, one up. On PostgreSQL once per transaction is
/// enough: a row this transaction already updated carries its id as `xmin`
/// (updating one row thousands of times in one transaction, as an import
/// would, gets slower with every version). Kept prepared: every change runs it.
pub(crate) struct BumpVersion;

impl crate::db::fixed::FixedSql for BumpVersion {
    const POSTGRES: &'static str = "UPDATE settings \
         SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
         WHERE key = 'content_version' \
         AND xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296";
    const SQLITE: &'static str = "UPDATE settings \
         SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
         WHERE key = 'content_version'";
}

fn bump_content_version(conn: &mut AnyConnection) -> QueryResult<()> {
    crate::db::fixed::Fixed::<BumpVersion>::new(Vec::new()).execute(conn)?;
    Ok(())
}

/// The current content version (0 before the migration that adds it).
pub fn content_version(conn: &mut AnyConnection) -> QueryResult<i64> {
    crate::models::retirement::current_version(conn)
}
