//! `ferropress import wordpress FILE.xml`: categories, authors, posts and
//! pages with their status, categories and comments (status and threading),
//! and every old URL as a redirect — in one transaction, so a broken file
//! leaves nothing half-imported, and by WordPress ids, so a second run
//! changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::BufRead;

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;

use crate::db::AnyConnection;
use crate::domain::{CommentStatus, PostStatus, PostType};
use crate::domain::{EmailAddress, Role, Slug};
use crate::models::category::{category_with_slug, set_category_parent};
use crate::models::comment::wp_ids_of_post;
use crate::models::comment::{
    comment_id_by_wp_id, insert_imported_comments, recount_approved, reserve_comment_ids,
    ImportedComment,
};
use crate::models::now;
use crate::models::post::{find_post_by_wp_id, insert_imported_post, ImportedPost};
use crate::models::redirect::record_redirect;
use crate::models::user::{
    create_user, find_user_by_email_ignoring_case, find_user_by_wp_login, set_wp_login, NewUser,
};
use crate::render::comment::sanitize_imported_comment;
use crate::render::markdown::{autop, sanitize_post_html};
use crate::render::text::plain_text;
use crate::render::text::thousands;
use crate::wxr::read::{WxrCategory, WxrComment, WxrError, WxrItem, WxrReader, WxrRecord};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] WxrError),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// What an import did, for the closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub categories: usize,
    pub authors: usize,
    pub posts: usize,
    pub pages: usize,
    pub comments: usize,
    /// Why records were left out, and how many: "attachment", "pingback"…
    pub skipped: BTreeMap<String, usize>,
    /// Posts and comments found from an earlier run, left as they are.
    pub already_there: usize,
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(count),
        if count == 1 { one } else { many }
    )
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}, {}, {} imported",
            plural(self.categories, "category", "categories"),
            plural(self.authors, "author", "authors"),
            plural(self.posts, "post", "posts"),
            plural(self.pages, "page", "pages"),
            plural(self.comments, "comment", "comments"),
        )?;
        let skipped: usize = self.skipped.values().sum();
        if skipped > 0 {
            let reasons: Vec<String> = self
                .skipped
                .iter()
                .map(|(reason, count)| format!("{} {reason}", thousands(*count)))
                .collect();
            write!(
                f,
                "; {} skipped: {}",
                thousands(skipped),
                reasons.join(", ")
            )?;
        }
        if self.already_there > 0 {
            write!(f, "; {} already there", thousands(self.already_there))?;
        }
        Ok(())
    }
}

/// WordPress's `2024-03-14 10:00:00` (UTC when from a `_gmt` field).
fn parse_wp_date(text: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|date| date.and_utc().timestamp())
}

fn item_date(item: &WxrItem) -> i64 {
    parse_wp_date(&item.date_gmt)
        .or_else(|| parse_wp_date(&item.date))
        .or_else(|| {
            chrono::DateTime::parse_from_rfc2822(item.pub_date.trim())
                .ok()
                .map(|date| date.timestamp())
        })
        .unwrap_or_else(now)
}

/// The path (and query) of an absolute WordPress URL: what old links ask for.
fn old_path(link: &str) -> Option<String> {
    let rest = link.trim().split("://").nth(1)?;
    let path = rest.find('/').map(|index| &rest[index..]).unwrap_or("/");
    let path = path.split('#').next().unwrap_or(path);
    (path != "/" && !path.is_empty()).then(|| path.to_owned())
}

/// The importer's memory of what it mapped: WordPress → ferropress ids.
struct Importer {
    summary: ImportSummary,
    categories: HashMap<String, i64>,
    parents: Vec<(String, String)>,
    authors: HashMap<String, i64>,
}

/// Imports a whole WXR stream; `progress` hears the bytes read so far.
pub fn import_wordpress<R: BufRead>(
    conn: &mut AnyConnection,
    input: R,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let mut reader = WxrReader::new(input);
    crate::db::write_transaction(conn, |conn| {
        match conn {
            // The tables grow from nothing inside this one transaction: a
            // plan PostgreSQL makes once and reuses (planned on the empty
            // tables) would scan where an index lookup is wanted.
            AnyConnection::Postgresql(pg) => {
                diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan").execute(pg)?
            }
            // A reply may be stored before its parent (ids are reserved up
            // front): foreign keys are checked at commit, for this transaction.
            AnyConnection::Sqlite(sqlite) => {
                diesel::sql_query("PRAGMA defer_foreign_keys = ON").execute(sqlite)?
            }
        };
        let mut importer = Importer {
            summary: ImportSummary::default(),
            categories: HashMap::new(),
            parents: Vec::new(),
            authors: HashMap::new(),
        };
        while let Some(record) = reader.next_record()? {
            match record {
                WxrRecord::Author(author) => {
                    importer.author(conn, &author.login, &author.email, &author.display_name)?
                }
                WxrRecord::Category(category) => importer.category(conn, &category)?,
                WxrRecord::Item(item) => importer.item(conn, &item)?,
            }
            progress(reader.position());
        }
        importer.link_category_parents(conn)?;
        Ok(importer.summary)
    })
}

impl Importer {
    fn author(
        &mut self,
        conn: &mut AnyConnection,
        login: &str,
        email: &str,
        display_name: &str,
    ) -> Result<(), ImportError> {
        if login.is_empty() || self.authors.contains_key(login) {
            return Ok(());
        }
        if let Some(user) = find_user_by_wp_login(conn, login)? {
            self.authors.insert(login.to_owned(), user.id);
            return Ok(());
        }
        let email = EmailAddress::parse(email).or_else(|_| {
            EmailAddress::parse(&format!(
                "{}@imported.invalid",
                Slug::from_text(login)
                    .map(Slug::into_string)
                    .unwrap_or_else(|_| "author".to_owned())
            ))
        });
        let Ok(email) = email else { return Ok(()) };
        // Someone already here with that address (often the person importing) is that author.
        if let Some(user) = find_user_by_email_ignoring_case(conn, email.as_str())? {
            if user.wp_login.is_none() {
                set_wp_login(conn, user.id, login)?;
            }
            self.authors.insert(login.to_owned(), user.id);
            return Ok(());
        }
        let name = if display_name.trim().is_empty() {
            login
        } else {
            display_name.trim()
        };
        let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
        let user = create_user(
            conn,
            &NewUser {
                email: &email,
                display_name: &name,
                password_hash: None,
                role: Role::Editor,
            },
        )?;
        set_wp_login(conn, user.id, login)?;
        self.authors.insert(login.to_owned(), user.id);
        self.summary.authors += 1;
        Ok(())
    }

    fn category(
        &mut self,
        conn: &mut AnyConnection,
        category: &WxrCategory,
    ) -> Result<(), ImportError> {
        let Ok(slug) = Slug::from_text(if category.slug.is_empty() {
            &category.name
        } else {
            &category.slug
        }) else {
            *self
                .summary
                .skipped
                .entry("unnamed categories".to_owned())
                .or_default() += 1;
            return Ok(());
        };
        let (stored, created) =
            category_with_slug(conn, &slug, &category.name, &category.description)?;
        if created {
            self.summary.categories += 1;
        }
        self.categories.insert(category.slug.clone(), stored.id);
        if !category.parent_slug.is_empty() {
            self.parents
                .push((category.slug.clone(), category.parent_slug.clone()));
        }
        Ok(())
    }

    fn link_category_parents(&mut self, conn: &mut AnyConnection) -> Result<(), ImportError> {
        for (child, parent) in &self.parents {
            if let (Some(child), Some(parent)) =
                (self.categories.get(child), self.categories.get(parent))
            {
                set_category_parent(conn, *child, *parent)?;
            }
        }
        Ok(())
    }

    /// Counts a record left out, and why.
    fn skip(&mut self, reason: &str) -> Result<(), ImportError> {
        *self.summary.skipped.entry(reason.to_owned()).or_default() += 1;
        Ok(())
    }

    fn item(&mut self, conn: &mut AnyConnection, item: &WxrItem) -> Result<(), ImportError> {
        let post_type = match item.post_type.as_str() {
            "post" | "" => PostType::Post,
            "page" => PostType::Page,
            "attachment" => return self.skip("attachments"),
            "nav_menu_item" => return self.skip("menu items"),
            _ => return self.skip("other items"),
        };
        let status = match item.status.as_str() {
            "publish" | "future" => PostStatus::Published,
            "private" => PostStatus::Private,
            "trash" => PostStatus::Trash,
            "draft" | "pending" | "auto-draft" => PostStatus::Draft,
            "inherit" => return self.skip("revisions"),
            _ => PostStatus::Draft,
        };
        if item.id <= 0 {
            return self.skip("items without an id");
        }
        let post = match find_post_by_wp_id(conn, item.id)? {
            Some(post) => {
                self.summary.already_there += 1;
                post
            }
            None => {
                let mut category_ids = Vec::new();
                for (slug, name) in &item.categories {
                    let id = match self.categories.get(slug) {
                        Some(id) => *id,
                        None => {
                            let Ok(parsed) =
                                Slug::from_text(if slug.is_empty() { name } else { slug })
                            else {
                                continue;
                            };
                            let (category, created) = category_with_slug(conn, &parsed, name, "")?;
                            if created {
                                self.summary.categories += 1;
                            }
                            self.categories.insert(slug.clone(), category.id);
                            category.id
                        }
                    };
                    category_ids.push(id);
                }
                if !item.creator.is_empty() && !self.authors.contains_key(&item.creator) {
                    self.author(conn, &item.creator.clone(), "", "")?;
                }
                let title = item.title.trim().to_owned();
                let slug = Slug::from_text(&item.slug)
                    .or_else(|_| Slug::from_text(&title))
                    .unwrap_or_else(|_| Slug::fallback("untitled"));
                let imported = ImportedPost {
                    post_type,
                    slug,
                    title,
                    body_source: item.content.clone(),
                    body_html: sanitize_post_html(&autop(&item.content)),
                    excerpt: plain_text(&item.excerpt),
                    status,
                    published_at: item_date(item),
                    author_id: self.authors.get(&item.creator).copied(),
                    allow_comments: item.comment_status != "closed",
                    wp_id: item.id,
                    category_ids,
                };
                let post = insert_imported_post(conn, &imported)?;
                if post_type == PostType::Page {
                    self.summary.pages += 1;
                } else {
                    self.summary.posts += 1;
                }
                post
            }
        };
        // Old addresses: the short link, and the WordPress permalink when it differs.
        let short = if post_type == PostType::Page {
            format!("/?page_id={}", item.id)
        } else {
            format!("/?p={}", item.id)
        };
        record_redirect(conn, &short, post.id)?;
        if let Some(path) = old_path(&item.link) {
            if path != post.permalink() {
                record_redirect(conn, &path, post.id)?;
            }
        }
        self.comments(conn, post.id, &item.comments)
    }

    fn comments(
        &mut self,
        conn: &mut AnyConnection,
        post_id: i64,
        comments: &[WxrComment],
    ) -> Result<(), ImportError> {
        // Comments already here from an earlier run, found in one query.
        let mut ids: HashMap<i64, i64> = wp_ids_of_post(conn, post_id)?.into_iter().collect();
        let mut parents = Vec::new();
        let mut batch = Vec::with_capacity(comments.len());
        let mut queued = std::collections::HashSet::new();
        for comment in comments {
            if comment.id <= 0 {
                self.skip("comments without an id")?;
                continue;
            }
            match comment.comment_type.as_str() {
                "" | "comment" => {}
                "pingback" => {
                    self.skip("pingbacks")?;
                    continue;
                }
                "trackback" => {
                    self.skip("trackbacks")?;
                    continue;
                }
                _ => {
                    self.skip("other comment types")?;
                    continue;
                }
            }
            if ids.contains_key(&comment.id) {
                self.summary.already_there += 1;
                continue;
            }
            if !queued.insert(comment.id) {
                self.skip("duplicate comments")?;
                continue;
            }
            // WordPress's `comment_approved` spellings.
            let status = match comment.approved.as_str() {
                "1" | "approve" | "approved" => CommentStatus::Approved,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                _ => CommentStatus::Pending,
            };
            let email = EmailAddress::parse(&comment.author_email)
                .map(|email| email.as_str().to_owned())
                .unwrap_or_default();
            let url = crate::domain::comment::AuthorUrl::parse(&comment.author_url)
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default();
            let author: String = comment
                .author
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(200)
                .collect();
            let created_at = parse_wp_date(&comment.date_gmt)
                .or_else(|| parse_wp_date(&comment.date))
                .unwrap_or_else(now);
            let imported = ImportedComment {
                id: 0,
                post_id,
                parent_id: None,
                author_name: if author.trim().is_empty() {
                    "Anonymous".to_owned()
                } else {
                    author.trim().to_owned()
                },
                author_email: email,
                author_url: url,
                author_ip: comment.author_ip.trim().chars().take(45).collect(),
                body_source: comment.content.clone(),
                body_html: sanitize_imported_comment(&comment.content),
                status,
                status_before_trash: (status == CommentStatus::Trash)
                    .then_some(CommentStatus::Pending),
                wp_id: comment.id,
                created_at,
                updated_at: created_at,
            };
            parents.push(comment.parent);
            batch.push(imported);
        }
        // Ids first, so that each reply names its parent as it goes in
        // (a reply may come before its parent in the file).
        let reserved = reserve_comment_ids(conn, batch.len())?;
        for (imported, id) in batch.iter_mut().zip(reserved) {
            imported.id = id;
            ids.insert(imported.wp_id, id);
        }
        for (imported, parent_wp_id) in batch.iter_mut().zip(parents) {
            if parent_wp_id <= 0 {
                continue;
            }
            imported.parent_id = match ids.get(&parent_wp_id) {
                Some(parent) => Some(*parent),
                None => comment_id_by_wp_id(conn, parent_wp_id)?,
            };
        }
        insert_imported_comments(conn, &batch)?;
        self.summary.comments += batch.len();
        recount_approved(conn, post_id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        let mut summary = ImportSummary {
            categories: 12,
            posts: 340,
            comments: 5120,
            ..ImportSummary::default()
        };
        summary.skipped.insert("attachments".into(), 2);
        summary.skipped.insert("pingbacks".into(), 1);
        assert_eq!(
            summary.to_string(),
            "12 categories, 0 authors, 340 posts, 0 pages, 5,120 comments imported; 3 skipped: 2 attachments, 1 pingbacks"
        );
    }

    #[test]
    fn old_paths_keep_path_and_query() {
        assert_eq!(
            old_path("http://blog.example/2022/03/14/x/").as_deref(),
            Some("/2022/03/14/x/")
        );
        assert_eq!(
            old_path("http://127.0.0.1:8081/?page_id=3").as_deref(),
            Some("/?page_id=3")
        );
        assert_eq!(old_path("http://blog.example/"), None);
        assert_eq!(parse_wp_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_wp_date("2022-03-14 10:00:00"), Some(1_647_252_000));
    }
}
