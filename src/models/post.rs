//! Posts (and pages): saving renders the Markdown once; reading lists only
//! what readers may see.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{categories, post_categories, post_tags, posts, redirects};
use crate::db::AnyConnection;
use crate::domain::{Permalink, PostStatus, PostType, Slug};
use crate::models::category::{uncategorized, Category};
use crate::models::media::record_media_uses;
use crate::models::now;
use crate::models::setting::content_changed;
use crate::models::tag::set_post_tag_names;
use crate::render::layout::PostSummary;
use crate::render::markdown::render_post_markdown;
use crate::render::text::{comment_count_label, excerpt, iso_date, permalink_path, plain_text};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub post_type: PostType,
    pub slug: String,
    pub title: String,
    pub body_source: String,
    pub body_format: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub status_before_trash: Option<PostStatus>,
    pub published_at: i64,
    pub author_id: Option<i64>,
    pub allow_comments: bool,
    pub comment_count: i64,
    pub wp_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// A page's parent page.
    pub parent_id: Option<i64>,
    pub menu_order: i64,
    /// Shown first on the front page.
    pub sticky: bool,
    pub featured_media_id: Option<i64>,
    /// Approved comments that start a thread (kept with them: see
    /// `models::comment::threads`).
    pub thread_count: i64,
    /// A page listed in the site's header menu.
    pub in_menu: bool,
    /// WordPress's post password: the body, excerpt and comments are shown
    /// only to a reader who typed it (empty: open to all).
    pub password: String,
    /// WordPress's post format (`aside`, `quote`…; empty: standard).
    pub post_format: String,
    /// A post's address, as the site's permalink structure builds it
    /// (`models::post_address`); empty for pages.
    pub path: String,
}

impl Post {
    /// The canonical address of the post (`/2024/03/14/slug/`, or as the
    /// site's permalink structure has it), or of the page (`/about/`).
    pub fn permalink(&self) -> String {
        permalink_of(self.post_type, &self.path, self.published_at, &self.slug)
    }

    /// Whether a password guards its body, excerpt and comments.
    pub fn is_protected(&self) -> bool {
        !self.password.is_empty()
    }

    /// The title as readers see it: "Protected: …" and "Private: …" as
    /// WordPress marks them.
    pub fn shown_title(&self) -> String {
        shown_title(&self.title, self.status, &self.password)
    }

    /// What listings, feeds and descriptions say of it: its excerpt, or
    /// WordPress's words for a protected post (never its text).
    pub fn shown_excerpt(&self) -> String {
        if self.is_protected() {
            PROTECTED_EXCERPT.to_owned()
        } else {
            excerpt(&self.excerpt, &self.body_html)
        }
    }

    /// The post as listings (front page, categories, search) show it.
    pub fn summary(
        &self,
        categories: &[Category],
        clock: &crate::render::clock::SiteClock,
        bases: &crate::domain::permalink::TermBases,
    ) -> PostSummary {
        PostSummary {
            id: self.id,
            format: self.post_format.clone(),
            title: self.shown_title(),
            permalink: self.permalink(),
            date_human: clock.date(self.published_at),
            date_iso: iso_date(self.published_at),
            excerpt: self.shown_excerpt(),
            categories: categories
                .iter()
                .map(|category| category.link(bases))
                .collect(),
            // As WordPress's listings say it: the count is the password's too.
            comments_label: if self.is_protected() {
                "Enter your password to view comments.".to_owned()
            } else {
                comment_count_label(self.comment_count)
            },
            thumbnail: None,
        }
    }

    /// Whether a reader may see it now: published and not scheduled.
    pub fn is_public(&self, at: i64) -> bool {
        is_public_at(self.status, self.published_at, at)
    }
}

/// What placing a comment needs of its post, without its text: the
/// sidebar's recent comments and the comment feeds, which list comments on
/// many posts (a `Post` row carries the body twice, tens of KB).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostHead {
    pub id: i64,
    pub post_type: PostType,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub published_at: i64,
    pub comment_count: i64,
    pub thread_count: i64,
    pub password: String,
    pub path: String,
}

impl PostHead {
    pub fn permalink(&self) -> String {
        permalink_of(self.post_type, &self.path, self.published_at, &self.slug)
    }

    /// Whether its comments are shown only to readers who typed its password.
    pub fn is_protected(&self) -> bool {
        !self.password.is_empty()
    }

    pub fn shown_title(&self) -> String {
        shown_title(&self.title, self.status, &self.password)
    }

    pub fn is_public(&self, at: i64) -> bool {
        is_public_at(self.status, self.published_at, at)
    }
}

/// What listings and feeds say of a protected post, in WordPress's words.
pub const PROTECTED_EXCERPT: &str = "There is no excerpt because this is a protected post.";

/// "Protected: Title" and "Private: Title", as WordPress titles them.
pub fn shown_title(title: &str, status: PostStatus, password: &str) -> String {
    if status == PostStatus::Private {
        format!("Private: {title}")
    } else if !password.is_empty() {
        format!("Protected: {title}")
    } else {
        title.to_owned()
    }
}

/// A post's canonical address: the one its row keeps, or (a row saved
/// before addresses were kept) `/YYYY/MM/DD/slug/`; `/slug/` for a page.
pub fn permalink_of(post_type: PostType, path: &str, published_at: i64, slug: &str) -> String {
    match post_type {
        PostType::Page => format!("/{slug}/"),
        _ if !path.is_empty() => path.to_owned(),
        _ => permalink_path(published_at, slug),
    }
}

/// Whether a post with this status and publish time is readable at `at`.
pub fn is_public_at(status: PostStatus, published_at: i64, at: i64) -> bool {
    status.is_published() && published_at <= at
}

/// A post as the editor (or a test) submits it.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    /// Typed by hand, or `None` to derive it from the title.
    pub slug: Option<Slug>,
    pub body_markdown: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub published_at: i64,
    pub author_id: Option<i64>,
    pub allow_comments: bool,
    /// Empty files the post under "Uncategorized".
    pub category_ids: Vec<i64>,
    /// Tag names; a tag is made the first time it is named.
    pub tags: Vec<String>,
    /// The picture shown above the post and in shares of it.
    pub featured_media_id: Option<i64>,
    /// WordPress's "Password protected" visibility; empty: public.
    pub password: String,
}

impl NewPost {
    /// A published post dated now, with comments open, filed under "Uncategorized".
    pub fn published(title: &str, body_markdown: &str) -> NewPost {
        NewPost {
            title: title.to_owned(),
            slug: None,
            body_markdown: body_markdown.to_owned(),
            excerpt: String::new(),
            status: PostStatus::Published,
            published_at: now(),
            author_id: None,
            allow_comments: true,
            category_ids: Vec::new(),
            tags: Vec::new(),
            featured_media_id: None,
            password: String::new(),
        }
    }
}

/// Saves a new post: a unique slug (`-2`, `-3`… on a clash), its Markdown
/// rendered to sanitised HTML, and its categories, in one transaction.
pub fn create_post(conn: &mut AnyConnection, new_post: &NewPost) -> QueryResult<Post> {
    let base = match &new_post.slug {
        Some(slug) => slug.clone(),
        None => Slug::from_text(&new_post.title).unwrap_or_else(|_| Slug::fallback("untitled")),
    };
    let body_html = render_post_markdown(&new_post.body_markdown);
    let created_at = now();
    crate::db::write_transaction(conn, |conn| {
        content_changed(conn)?;
        let slug = free_slug(conn, &base)?;
        diesel::insert_into(posts::table)
            .values((
                posts::post_type.eq(PostType::Post),
                posts::slug.eq(slug.as_str()),
                posts::title.eq(new_post.title.trim()),
                posts::body_source.eq(&new_post.body_markdown),
                posts::body_format.eq("markdown"),
                posts::body_html.eq(&body_html),
                posts::excerpt.eq(new_post.excerpt.trim()),
                posts::status.eq(new_post.status),
                posts::published_at.eq(new_post.published_at),
                posts::author_id.eq(new_post.author_id),
                posts::allow_comments.eq(new_post.allow_comments),
                posts::featured_media_id.eq(new_post.featured_media_id),
                posts::password.eq(&new_post.password),
                posts::created_at.eq(created_at),
                posts::updated_at.eq(created_at),
            ))
            .execute(conn)?;
        let post: Post = posts::table
            .filter(posts::post_type.eq(PostType::Post))
            .filter(posts::slug.eq(slug.as_str()))
            .select(Post::as_select())
            .first(conn)?;
        crate::models::search::index_post(conn, post.id, &post.title, &searchable_text(&post))?;
        record_media_uses(conn, post.id, &post.body_html)?;
        let mut category_ids = new_post.category_ids.clone();
        if category_ids.is_empty() {
            category_ids.push(uncategorized(conn)?.id);
        }
        category_ids.sort_unstable();
        category_ids.dedup();
        // One row at a time: MultiConnection has no batch insert.
        for category_id in category_ids {
            diesel::insert_into(post_categories::table)
                .values((
                    post_categories::post_id.eq(post.id),
                    post_categories::category_id.eq(category_id),
                ))
                .execute(conn)?;
        }
        set_post_tag_names(conn, post.id, &new_post.tags)?;
        let mut post = post;
        post.path = crate::models::post_address::refresh_address(conn, post.id, false)?;
        Ok(post)
    })
}

fn free_slug(conn: &mut AnyConnection, base: &Slug) -> QueryResult<Slug> {
    free_slug_except(conn, base, None)
}

/// The first of `base`, `base-2`, `base-3`… no other post uses.
fn free_slug_except(
    conn: &mut AnyConnection,
    base: &Slug,
    except_id: Option<i64>,
) -> QueryResult<Slug> {
    free_slug_of_type(conn, PostType::Post, base, except_id)
}

/// The first of `base`, `base-2`… no other post of `post_type` uses.
pub fn free_slug_of_type(
    conn: &mut AnyConnection,
    post_type: PostType,
    base: &Slug,
    except_id: Option<i64>,
) -> QueryResult<Slug> {
    let mut candidate = base.clone();
    let mut suffix = 2;
    loop {
        let taken: i64 = posts::table
            .filter(posts::post_type.eq(post_type))
            .filter(posts::slug.eq(candidate.as_str()))
            .filter(posts::id.ne(except_id.unwrap_or(0)))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return Ok(candidate);
        }
        candidate = base.with_suffix(suffix);
        suffix += 1;
    }
}

/// Which published posts a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFilter {
    All,
    Category(i64),
    Tag(i64),
    Author(i64),
    /// Published in `[from, until)` (a year, month or day archive).
    Between(i64, i64),
    /// Of a post format (`aside`): WordPress's `/type/aside/`.
    Format(&'static str),
}

/// One page of what readers see, newest first, and whether an older page exists.
pub fn published_page(
    conn: &mut AnyConnection,
    filter: PostFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Post>, bool)> {
    let offset = (page.max(1) - 1) * per_page;
    let now = now();
    // A category's or tag's posts: its links walked by their copy of the
    // post's date (one index, newest first), each post looked up by id.
    macro_rules! linked {
        ($links:ident, $key:ident, $id:expr) => {
            $links::table
                .inner_join(posts::table)
                .filter($links::$key.eq($id))
                .filter($links::published_at.le(now))
                .filter(posts::post_type.eq(PostType::Post))
                .filter(posts::status.eq(PostStatus::Published))
                .order(($links::published_at.desc(), $links::post_id.desc()))
                .limit(per_page + 1)
                .offset(offset)
                .select(Post::as_select())
                .load(conn)?
        };
    }
    // Any other listing: the published posts walked by date.
    let listed = || {
        posts::table
            .filter(posts::post_type.eq(PostType::Post))
            .filter(posts::status.eq(PostStatus::Published))
            .filter(posts::published_at.le(now))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(per_page + 1)
            .offset(offset)
            .select(Post::as_select())
            .into_boxed()
    };
    let mut page_posts: Vec<Post> = match filter {
        PostFilter::Category(category_id) => linked!(post_categories, category_id, category_id),
        PostFilter::Tag(tag_id) => linked!(post_tags, tag_id, tag_id),
        PostFilter::All => listed().load(conn)?,
        PostFilter::Author(author_id) => {
            listed().filter(posts::author_id.eq(author_id)).load(conn)?
        }
        PostFilter::Format(format) => listed().filter(posts::post_format.eq(format)).load(conn)?,
        PostFilter::Between(from, until) => listed()
            .filter(posts::published_at.ge(from))
            .filter(posts::published_at.lt(until))
            .load(conn)?,
    };
    let has_older = page_posts.len() as i64 > per_page;
    page_posts.truncate(per_page as usize);
    Ok((page_posts, has_older))
}

/// The sticky posts readers may see, newest first: the front page shows
/// them above the rest.
pub fn sticky_posts(conn: &mut AnyConnection) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::sticky.eq(true))
        .filter(posts::post_type.eq(PostType::Post))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(50)
        .select(Post::as_select())
        .load(conn)
}

/// The published, not scheduled, post with this slug.
pub fn find_public_post_by_slug(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<Post>> {
    find_public_by_slug(conn, PostType::Post, slug)
}

/// Where a permalink leads.
#[derive(Debug, Clone)]
pub enum PostAt {
    /// The public post that lives at exactly this address.
    Here(Box<Post>),
    /// The post lives at another address now (date changed, slug renamed,
    /// or a WordPress address recorded at import): its permalink.
    Moved(String),
}

/// The public post a permalink names, or where it went; `None` when no
/// public post answers to it.
pub fn find_post_at(
    conn: &mut AnyConnection,
    permalink: &Permalink,
) -> QueryResult<Option<PostAt>> {
    let path = permalink.path();
    if let Some(post) = find_public_post_by_path(conn, &path)? {
        return Ok(Some(PostAt::Here(Box::new(post))));
    }
    if let Some(post) = find_redirect_target(conn, &path)? {
        return Ok(Some(PostAt::Moved(post.permalink())));
    }
    // Its slug is a post's (a date changed, a structure from before): as
    // WordPress guesses, that post.
    let slug = permalink.slug();
    if slug.is_empty() {
        return Ok(None);
    }
    Ok(find_public_post_by_slug(conn, slug)?.map(|post| PostAt::Moved(post.permalink())))
}

/// The public post whose address (by the site's structure) is `path`.
pub fn find_public_post_by_path(conn: &mut AnyConnection, path: &str) -> QueryResult<Option<Post>> {
    // By the address alone, so the planner takes its index (a few rows at
    // most share one: drafts, the Trash); which may be shown, here.
    let at = now();
    let found: Vec<Post> = posts::table
        .filter(posts::path.eq(path))
        .limit(8)
        .select(Post::as_select())
        .load(conn)?;
    Ok(found
        .into_iter()
        .find(|post| post.post_type == PostType::Post && post.is_public(at)))
}

/// The public post or page (`post_type`) with this slug.
fn find_public_by_slug(
    conn: &mut AnyConnection,
    post_type: PostType,
    slug: &str,
) -> QueryResult<Option<Post>> {
    posts::table
        .filter(posts::post_type.eq(post_type))
        .filter(posts::slug.eq(slug))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// The public page whose own slug (the last of its address) is `slug`:
/// WordPress's guess for `/directions/` when the page is
/// `/about/directions/`. Pages are few; they are read by type.
pub fn find_public_page_by_own_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> QueryResult<Option<Post>> {
    let pages: Vec<(i64, String)> = posts::table
        .filter(posts::post_type.eq(PostType::Page))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .limit(1000)
        .select((posts::id, posts::slug))
        .load(conn)?;
    let Some((id, _)) = pages
        .into_iter()
        .find(|(_, path)| path.rsplit('/').next() == Some(slug))
    else {
        return Ok(None);
    };
    find_post(conn, id)
}

/// The published post with this id (WordPress's `/?p=ID`).
pub fn find_public_post_by_id(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Changes a post's status (trash keeps the status to restore).
pub fn set_post_status(
    conn: &mut AnyConnection,
    post_id: i64,
    status: PostStatus,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let (current, kept): (PostStatus, Option<PostStatus>) = posts::table
            .find(post_id)
            .select((posts::status, posts::status_before_trash))
            .first(conn)?;
        content_changed(conn)?;
        // Trashed again (a form sent twice), it keeps what it was before.
        let before_trash = match (status.is_trash(), current.is_trash()) {
            (true, false) => Some(current),
            (true, true) => kept,
            (false, _) => None,
        };
        diesel::update(posts::table.find(post_id))
            .set((
                posts::status.eq(status.as_str()),
                posts::status_before_trash.eq(before_trash),
                posts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The categories of each post, by post id, in name order.
pub fn categories_of_posts(
    conn: &mut AnyConnection,
    post_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<Category>>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = post_categories::table
        .inner_join(categories::table)
        .order(categories::name.asc())
        .select((post_categories::post_id, Category::as_select()))
        .into_boxed();
    // One post (a post page) is bound as one value: PostgreSQL plans a
    // statement with an array anew each time, one value once.
    let rows: Vec<(i64, Category)> = match post_ids {
        [post_id] => query.filter(post_categories::post_id.eq(*post_id)),
        _ => query.filter(post_categories::post_id.eq_any(post_ids)),
    }
    .load(conn)?;
    let mut by_post: HashMap<i64, Vec<Category>> = HashMap::new();
    for (post_id, category) in rows {
        by_post.entry(post_id).or_default().push(category);
    }
    Ok(by_post)
}

/// Each post with its categories (one query for them all), in the order given.
pub fn with_categories(
    conn: &mut AnyConnection,
    posts: Vec<Post>,
) -> QueryResult<Vec<(Post, Vec<Category>)>> {
    let ids: Vec<i64> = posts.iter().map(|post| post.id).collect();
    let mut categories = categories_of_posts(conn, &ids)?;
    Ok(posts
        .into_iter()
        .map(|post| {
            let own = categories.remove(&post.id).unwrap_or_default();
            (post, own)
        })
        .collect())
}

pub fn find_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .find(post_id)
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// The ids of a post's categories.
pub fn category_ids_of_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<Vec<i64>> {
    post_categories::table
        .filter(post_categories::post_id.eq(post_id))
        .select(post_categories::category_id)
        .load(conn)
}

fn replace_categories(
    conn: &mut AnyConnection,
    post_id: i64,
    category_ids: &[i64],
) -> QueryResult<()> {
    let mut ids = category_ids.to_vec();
    if ids.is_empty() {
        ids.push(uncategorized(conn)?.id);
    }
    ids.sort_unstable();
    ids.dedup();
    diesel::delete(post_categories::table.filter(post_categories::post_id.eq(post_id)))
        .execute(conn)?;
    for category_id in ids {
        diesel::insert_into(post_categories::table)
            .values((
                post_categories::post_id.eq(post_id),
                post_categories::category_id.eq(category_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves an edited post. A changed slug or date leaves a redirect from the
/// old permalink, so links to it keep working.
pub fn update_post(conn: &mut AnyConnection, post_id: i64, edited: &NewPost) -> QueryResult<Post> {
    let body_html = render_post_markdown(&edited.body_markdown);
    crate::db::write_transaction(conn, |conn| {
        let before: Post = posts::table
            .find(post_id)
            .select(Post::as_select())
            .first(conn)?;
        let base = match &edited.slug {
            Some(slug) => slug.clone(),
            None => Slug::from_text(&edited.title).unwrap_or_else(|_| Slug::fallback("untitled")),
        };
        content_changed(conn)?;
        let slug = free_slug_except(conn, &base, Some(post_id))?;
        diesel::update(posts::table.find(post_id))
            .set((
                posts::slug.eq(slug.as_str()),
                posts::title.eq(edited.title.trim()),
                posts::body_source.eq(&edited.body_markdown),
                posts::body_format.eq("markdown"),
                posts::body_html.eq(&body_html),
                posts::excerpt.eq(edited.excerpt.trim()),
                posts::status.eq(edited.status),
                posts::published_at.eq(edited.published_at),
                posts::allow_comments.eq(edited.allow_comments),
                posts::featured_media_id.eq(edited.featured_media_id),
                posts::password.eq(&edited.password),
                posts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        replace_categories(conn, post_id, &edited.category_ids)?;
        set_post_tag_names(conn, post_id, &edited.tags)?;
        // Its old address (a new slug, date or category) keeps answering.
        crate::models::post_address::refresh_address(conn, post_id, true)?;
        let after: Post = posts::table
            .find(post_id)
            .select(Post::as_select())
            .first(conn)?;
        crate::models::search::index_post(conn, post_id, &after.title, &searchable_text(&after))?;
        record_media_uses(conn, post_id, &after.body_html)?;
        // A row from before addresses were kept has none to leave.
        if before.path.is_empty() && before.permalink() != after.permalink() {
            crate::models::redirect::record_redirect(conn, &before.permalink(), post_id)?;
        }
        Ok(after)
    })
}

/// Puts a trashed post back with the status it had; a post not in the
/// Trash (restored already: a form sent twice) stays as it is.
pub fn restore_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    let (current, before): (PostStatus, Option<PostStatus>) = posts::table
        .find(post_id)
        .select((posts::status, posts::status_before_trash))
        .first(conn)?;
    if !current.is_trash() {
        return Ok(());
    }
    let status = match before {
        Some(PostStatus::Published) => PostStatus::Published,
        Some(PostStatus::Private) => PostStatus::Private,
        _ => PostStatus::Draft,
    };
    set_post_status(conn, post_id, status)
}

/// Which posts the posts screen lists (its tabs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostsShown {
    /// "All": everything but the Trash.
    NotTrashed,
    /// Published and dated now or earlier.
    Published,
    /// Published, dated in the future.
    Scheduled,
    Drafts,
    Private,
    Trash,
}

impl PostsShown {
    pub const TABS: [PostsShown; 6] = [
        PostsShown::NotTrashed,
        PostsShown::Published,
        PostsShown::Scheduled,
        PostsShown::Drafts,
        PostsShown::Private,
        PostsShown::Trash,
    ];

    /// The `?status=` spelling ("" for All).
    pub fn code(self) -> &'static str {
        match self {
            PostsShown::NotTrashed => "",
            PostsShown::Published => "published",
            PostsShown::Scheduled => "scheduled",
            PostsShown::Drafts => "draft",
            PostsShown::Private => "private",
            PostsShown::Trash => "trash",
        }
    }

    /// The tab for a `?status=` value; anything unknown is All.
    pub fn parse(code: &str) -> PostsShown {
        PostsShown::TABS
            .into_iter()
            .find(|tab| tab.code() == code)
            .unwrap_or(PostsShown::NotTrashed)
    }

    pub fn label(self) -> &'static str {
        match self {
            PostsShown::NotTrashed => "All",
            PostsShown::Published => "Published",
            PostsShown::Scheduled => "Scheduled",
            PostsShown::Drafts => "Drafts",
            PostsShown::Private => "Private",
            PostsShown::Trash => "Trash",
        }
    }
}

/// One page of the posts screen, newest first by date (as WordPress lists
/// them), after the post `before_id` when given. Each status shown is one
/// walk down `posts_stamps` (type, status, date, id) that stops at the
/// page's length; "All" merges three. Ordered by id, the screen sorted every
/// post of the site for each page (18 ms on 10,000 posts).
pub fn list_posts_admin(
    conn: &mut AnyConnection,
    shown: PostsShown,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Post>, bool)> {
    let after: Option<(i64, i64)> = match before_id {
        Some(id) => posts::table
            .find(id)
            .select(posts::published_at)
            .first(conn)
            .optional()?
            .map(|at| (at, id)),
        None => None,
    };
    let statuses: &[PostStatus] = match shown {
        PostsShown::NotTrashed => &[
            PostStatus::Published,
            PostStatus::Draft,
            PostStatus::Private,
        ],
        PostsShown::Published | PostsShown::Scheduled => &[PostStatus::Published],
        PostsShown::Drafts => &[PostStatus::Draft],
        PostsShown::Private => &[PostStatus::Private],
        PostsShown::Trash => &[PostStatus::Trash],
    };
    let at = now();
    let mut rows = Vec::new();
    for status in statuses {
        let mut query = posts::table
            .filter(posts::post_type.eq(PostType::Post))
            .filter(posts::status.eq(*status))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(limit + 1)
            .select(Post::as_select())
            .into_boxed();
        query = match shown {
            PostsShown::Scheduled => query.filter(posts::published_at.gt(at)),
            PostsShown::Published => query.filter(posts::published_at.le(at)),
            _ => query,
        };
        if let Some((published_at, id)) = after {
            // The `<=` gives the index a range; the `or` alone does not.
            query = query.filter(posts::published_at.le(published_at)).filter(
                posts::published_at
                    .lt(published_at)
                    .or(posts::published_at.eq(published_at).and(posts::id.lt(id))),
            );
        }
        rows.extend(query.load(conn)?);
    }
    rows.sort_by_key(|post: &Post| std::cmp::Reverse((post.published_at, post.id)));
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, has_more))
}

/// A published page (WordPress's `page` type) by slug.
pub fn find_public_page_by_slug(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<Post>> {
    find_public_by_slug(conn, PostType::Page, slug)
}

/// Published posts by id, in the order of `ids` (search results).
pub fn public_posts_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<Post>> {
    let found: Vec<Post> = posts::table
        .filter(posts::id.eq_any(ids))
        .filter(posts::status.eq(PostStatus::Published))
        .select(Post::as_select())
        .load(conn)?;
    let mut ordered = Vec::with_capacity(found.len());
    for id in ids {
        if let Some(post) = found.iter().find(|post| post.id == *id) {
            ordered.push(post.clone());
        }
    }
    Ok(ordered)
}

/// A post or page brought in by an import, as the importer prepared it.
#[derive(Debug, Clone)]
pub struct ImportedPost {
    pub post_type: PostType,
    pub slug: Slug,
    pub title: String,
    /// The HTML as exported, and its sanitised rendering.
    pub body_source: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub published_at: i64,
    pub author_id: Option<i64>,
    pub allow_comments: bool,
    pub wp_id: i64,
    pub category_ids: Vec<i64>,
    pub sticky: bool,
    pub menu_order: i64,
    /// WordPress's `post_password` (empty: open).
    pub password: String,
    /// WordPress's post format (`aside`…; empty: standard).
    pub post_format: String,
}

/// Whether a post with this WordPress id was imported already.
pub fn find_post_by_wp_id(conn: &mut AnyConnection, wp_id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .filter(posts::wp_id.eq(wp_id))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Stores an imported post with a free slug, its categories and its search entry.
pub fn insert_imported_post(
    conn: &mut AnyConnection,
    imported: &ImportedPost,
) -> QueryResult<Post> {
    content_changed(conn)?;
    let slug = free_slug_of_type(conn, imported.post_type, &imported.slug, None)?;
    let created_at = now();
    diesel::insert_into(posts::table)
        .values((
            posts::post_type.eq(imported.post_type),
            posts::slug.eq(slug.as_str()),
            posts::title.eq(&imported.title),
            posts::body_source.eq(&imported.body_source),
            posts::body_format.eq("html"),
            posts::body_html.eq(&imported.body_html),
            posts::excerpt.eq(&imported.excerpt),
            posts::status.eq(imported.status),
            posts::status_before_trash.eq(imported.status.is_trash().then_some(PostStatus::Draft)),
            posts::published_at.eq(imported.published_at),
            posts::author_id.eq(imported.author_id),
            posts::allow_comments.eq(imported.allow_comments),
            posts::wp_id.eq(imported.wp_id),
            posts::sticky.eq(imported.sticky),
            posts::menu_order.eq(imported.menu_order),
            posts::password.eq(&imported.password),
            posts::post_format.eq(&imported.post_format),
            posts::created_at.eq(created_at),
            posts::updated_at.eq(created_at),
        ))
        .execute(conn)?;
    // WordPress's id as ours, where it is free: `?p=ID` and `%post_id%`
    // addresses then name the same post here as there. Nothing refers to
    // the row yet. (PostgreSQL's sequence is moved past it at once:
    // `follow_imported_ids`.)
    let free: i64 = posts::table.find(imported.wp_id).count().get_result(conn)?;
    if free == 0 {
        diesel::update(posts::table.filter(posts::wp_id.eq(imported.wp_id)))
            .set(posts::id.eq(imported.wp_id))
            .execute(conn)?;
        follow_imported_ids(conn)?;
    }
    let post = find_post_by_wp_id(conn, imported.wp_id)?.ok_or(diesel::result::Error::NotFound)?;
    let mut post = post;
    if imported.post_type == PostType::Post {
        replace_categories(conn, post.id, &imported.category_ids)?;
        post.path = crate::models::post_address::refresh_address(conn, post.id, false)?;
    }
    crate::models::search::index_post(conn, post.id, &post.title, &searchable_text(&post))?;
    record_media_uses(conn, post.id, &post.body_html)?;
    Ok(post)
}

/// Every post and page, oldest id first, a batch at a time (the exporter).
pub fn all_posts_after(
    conn: &mut AnyConnection,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::id.gt(after_id))
        .order(posts::id.asc())
        .limit(limit)
        .select(Post::as_select())
        .load(conn)
}

/// The largest id and the largest WordPress id among posts and pages (0 for none).
pub fn largest_post_ids(conn: &mut AnyConnection) -> QueryResult<(i64, i64)> {
    use diesel::dsl::max;
    let (id, wp_id): (Option<i64>, Option<i64>) = posts::table
        .select((max(posts::id), max(posts::wp_id)))
        .first(conn)?;
    Ok((id.unwrap_or(0), wp_id.unwrap_or(0)))
}

/// The published post an old path leads to, if any.
pub fn find_redirect_target(
    conn: &mut AnyConnection,
    from_path: &str,
) -> QueryResult<Option<Post>> {
    redirects::table
        .inner_join(posts::table)
        .filter(redirects::from_path.eq(from_path))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

pub fn set_featured_media(
    conn: &mut AnyConnection,
    post_id: i64,
    media_id: Option<i64>,
) -> QueryResult<()> {
    content_changed(conn)?;
    diesel::update(posts::table.find(post_id))
        .set(posts::featured_media_id.eq(media_id))
        .execute(conn)?;
    Ok(())
}

pub fn set_post_parent(
    conn: &mut AnyConnection,
    post_id: i64,
    parent_id: Option<i64>,
) -> QueryResult<()> {
    content_changed(conn)?;
    diesel::update(posts::table.find(post_id))
        .set(posts::parent_id.eq(parent_id))
        .execute(conn)?;
    Ok(())
}

/// A child page's address is its parents' slugs and its own
/// (`about/directions`), kept in its `slug`; a page without a parent keeps
/// its own slug alone. Its children (and theirs) follow.
pub fn refresh_page_path(conn: &mut AnyConnection, page_id: i64) -> QueryResult<()> {
    refresh_page_path_to_depth(conn, page_id, 0)
}

fn refresh_page_path_to_depth(
    conn: &mut AnyConnection,
    page_id: i64,
    depth: usize,
) -> QueryResult<()> {
    let Some(page) = find_post(conn, page_id)? else {
        return Ok(());
    };
    let own = page
        .slug
        .rsplit('/')
        .next()
        .unwrap_or(&page.slug)
        .to_owned();
    let mut slugs = vec![own];
    let mut seen = vec![page.id];
    let mut parent = page.parent_id;
    while let Some(parent_id) = parent {
        if seen.contains(&parent_id) {
            break;
        }
        let Some(above) = find_post(conn, parent_id)? else {
            break;
        };
        seen.push(above.id);
        slugs.push(
            above
                .slug
                .rsplit('/')
                .next()
                .unwrap_or(&above.slug)
                .to_owned(),
        );
        parent = above.parent_id;
    }
    slugs.reverse();
    let path = slugs.join("/");
    if path != page.slug {
        content_changed(conn)?;
        diesel::update(posts::table.find(page_id))
            .set(posts::slug.eq(path))
            .execute(conn)?;
    }
    if depth < 20 {
        let children: Vec<i64> = posts::table
            .filter(posts::parent_id.eq(page_id))
            .select(posts::id)
            .load(conn)?;
        for child in children {
            refresh_page_path_to_depth(conn, child, depth + 1)?;
        }
    }
    Ok(())
}

pub fn set_body_html(conn: &mut AnyConnection, post_id: i64, body_html: &str) -> QueryResult<()> {
    content_changed(conn)?;
    diesel::update(posts::table.find(post_id))
        .set(posts::body_html.eq(body_html))
        .execute(conn)?;
    record_media_uses(conn, post_id, body_html)?;
    Ok(())
}

/// A page as the panel's page editor submits it.
#[derive(Debug, Clone)]
pub struct PageInput {
    pub title: String,
    /// Its own segment; `None` to derive it from the title.
    pub slug: Option<Slug>,
    pub body_markdown: String,
    pub status: PostStatus,
    pub parent_id: Option<i64>,
    pub menu_order: i64,
    pub author_id: Option<i64>,
    /// Listed in the site's header menu (a top-level page).
    pub in_menu: bool,
    /// WordPress's "Password protected" visibility; empty: public.
    pub password: String,
}

/// Every page (not trashed) for the Pages screen: parents before their
/// children, each level by order then title; with each page's depth.
pub fn pages_in_order(conn: &mut AnyConnection) -> QueryResult<Vec<(Post, usize)>> {
    let pages: Vec<Post> = posts::table
        .filter(posts::post_type.eq(PostType::Page))
        .filter(posts::status.ne(PostStatus::Trash))
        .order((posts::menu_order.asc(), posts::title.asc()))
        .select(Post::as_select())
        .load(conn)?;
    fn place(pages: &[Post], parent: Option<i64>, depth: usize, out: &mut Vec<(Post, usize)>) {
        for page in pages.iter().filter(|page| page.parent_id == parent) {
            if out.iter().any(|(placed, _)| placed.id == page.id) || depth > 20 {
                continue;
            }
            out.push((page.clone(), depth));
            place(pages, Some(page.id), depth + 1, out);
        }
    }
    let mut ordered = Vec::with_capacity(pages.len());
    place(&pages, None, 0, &mut ordered);
    // A page whose parent is gone (or trashed) shows at the top level.
    for page in &pages {
        if !ordered.iter().any(|(placed, _)| placed.id == page.id) {
            ordered.push((page.clone(), 0));
        }
    }
    Ok(ordered)
}

/// Saves a page (new when `page_id` is `None`): its own slug made free among
/// its siblings, its address its parents' slugs and its own, and its
/// children's addresses with it.
pub fn save_page(
    conn: &mut AnyConnection,
    page_id: Option<i64>,
    input: &PageInput,
) -> QueryResult<Post> {
    let body_html = render_post_markdown(&input.body_markdown);
    let base = match &input.slug {
        Some(slug) => slug.clone(),
        None => Slug::from_text(&input.title).unwrap_or_else(|_| Slug::fallback("page")),
    };
    crate::db::write_transaction(conn, |conn| {
        content_changed(conn)?;
        // A page cannot sit below itself or one of its own children.
        let mut parent_id = input.parent_id.filter(|parent| Some(*parent) != page_id);
        let mut above = parent_id;
        while let Some(id) = above {
            if Some(id) == page_id {
                parent_id = None;
                break;
            }
            above = find_post(conn, id)?.and_then(|page| page.parent_id);
        }
        let prefix = match parent_id {
            Some(parent) => find_post(conn, parent)?.map(|page| format!("{}/", page.slug)),
            None => None,
        }
        .unwrap_or_default();
        let mut candidate = base.as_str().to_owned();
        let mut suffix = 2;
        loop {
            let taken: i64 = posts::table
                .filter(posts::post_type.eq(PostType::Page))
                .filter(posts::slug.eq(format!("{prefix}{candidate}")))
                .filter(posts::id.ne(page_id.unwrap_or(0)))
                .count()
                .get_result(conn)?;
            if taken == 0 {
                break;
            }
            candidate = base.with_suffix(suffix).into_string();
            suffix += 1;
        }
        let slug = format!("{prefix}{candidate}");
        let at = now();
        let id = match page_id {
            Some(id) => {
                diesel::update(posts::table.find(id))
                    .set((
                        posts::title.eq(input.title.trim()),
                        posts::slug.eq(&slug),
                        posts::body_source.eq(&input.body_markdown),
                        posts::body_format.eq("markdown"),
                        posts::body_html.eq(&body_html),
                        posts::status.eq(input.status),
                        posts::parent_id.eq(parent_id),
                        posts::menu_order.eq(input.menu_order),
                        posts::in_menu.eq(input.in_menu),
                        posts::password.eq(&input.password),
                        posts::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                id
            }
            None => {
                diesel::insert_into(posts::table)
                    .values((
                        posts::post_type.eq(PostType::Page),
                        posts::slug.eq(&slug),
                        posts::title.eq(input.title.trim()),
                        posts::body_source.eq(&input.body_markdown),
                        posts::body_format.eq("markdown"),
                        posts::body_html.eq(&body_html),
                        posts::status.eq(input.status),
                        posts::published_at.eq(at),
                        posts::author_id.eq(input.author_id),
                        posts::allow_comments.eq(false),
                        posts::parent_id.eq(parent_id),
                        posts::menu_order.eq(input.menu_order),
                        posts::in_menu.eq(input.in_menu),
                        posts::password.eq(&input.password),
                        posts::created_at.eq(at),
                        posts::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                posts::table
                    .filter(posts::post_type.eq(PostType::Page))
                    .filter(posts::slug.eq(&slug))
                    .select(posts::id)
                    .first(conn)?
            }
        };
        record_media_uses(conn, id, &body_html)?;
        // Children follow their parent's address.
        let children: Vec<i64> = posts::table
            .filter(posts::parent_id.eq(id))
            .select(posts::id)
            .load(conn)?;
        for child in children {
            refresh_page_path(conn, child)?;
        }
        find_post(conn, id)?.ok_or(diesel::result::Error::NotFound)
    })
}

/// How many posts and pages (any status) `author_id` wrote.
pub fn count_by_author(conn: &mut AnyConnection, author_id: i64) -> QueryResult<i64> {
    posts::table
        .filter(posts::author_id.eq(author_id))
        .count()
        .get_result(conn)
}

/// What search reads of a post besides its title: its text, and the
/// excerpt its author wrote; of a protected post, nothing (a search for
/// one of its words would tell that the word is in it).
fn searchable_text(post: &Post) -> String {
    if post.is_protected() {
        return String::new();
    }
    let text = plain_text(&post.body_html);
    if post.excerpt.trim().is_empty() {
        text
    } else {
        format!("{text}\n{}", post.excerpt)
    }
}

/// One page of public posts' stamps for the sitemaps, oldest first:
/// (id, address, published at, updated at), `per_page` from `page` (1-based).
/// In the order of the publish-date index, so only the page's rows are read.
pub fn public_post_stamps_page(
    conn: &mut AnyConnection,
    page: i64,
    per_page: i64,
) -> QueryResult<Vec<(i64, String, i64, i64)>> {
    posts::table
        .filter(posts::post_type.eq(PostType::Post))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .order((posts::published_at.asc(), posts::id.asc()))
        .limit(per_page)
        .offset((page.max(1) - 1).saturating_mul(per_page))
        .select((
            posts::id,
            posts::path,
            posts::published_at,
            posts::updated_at,
        ))
        .load(conn)
}

/// How many posts readers can see.
pub fn count_public_posts(conn: &mut AnyConnection) -> QueryResult<i64> {
    posts::table
        .filter(posts::post_type.eq(PostType::Post))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .count()
        .get_result(conn)
}

/// The ids of the posts and pages a password guards (a handful on any
/// site), from their own index: for lists read from other indexes alone
/// (the sitemaps) that must leave them out, as WordPress's do.
pub fn protected_post_ids(conn: &mut AnyConnection) -> QueryResult<Vec<i64>> {
    // Past the empty passwords in `posts_by_password`: the rows sought
    // are the protected ones alone.
    posts::table
        .filter(posts::password.gt(""))
        .select(posts::id)
        .load(conn)
}

/// The private post or page (`post_type`) with this slug: shown only to
/// the staff who may read it (WordPress's "Visibility: Private").
pub fn find_private_by_slug(
    conn: &mut AnyConnection,
    post_type: PostType,
    slug: &str,
) -> QueryResult<Option<Post>> {
    posts::table
        .filter(posts::post_type.eq(post_type))
        .filter(posts::slug.eq(slug))
        .filter(posts::status.eq(PostStatus::Private))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Whether any post or page came from a WordPress import (then `?p=ID`
/// names WordPress ids, never ours).
pub fn has_imported_posts(conn: &mut AnyConnection) -> QueryResult<bool> {
    // A range of the unique index on `wp_id` (WordPress ids are positive).
    let first: Option<Option<i64>> = posts::table
        .filter(posts::wp_id.gt(0))
        .select(posts::wp_id)
        .first(conn)
        .optional()?;
    Ok(first.is_some())
}

/// After a post took its WordPress id: PostgreSQL's sequence moved past
/// the largest id (never back), so the next post made here takes a free
/// one. (SQLite takes the largest id plus one by itself.)
pub fn follow_imported_ids(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(
            "SELECT setval(sequence, GREATEST(nextval(sequence) - 1, \
               (SELECT coalesce(max(id), 1) FROM posts))) \
             FROM (SELECT pg_get_serial_sequence('posts', 'id') AS sequence) AS posts_sequence",
        )
        .execute(pg)?;
    }
    Ok(())
}
