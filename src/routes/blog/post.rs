//! The permalink page, `/YYYY/MM/DD/slug/`: the post, its comment thread and
//! the comment form. The comment submission renders through here too.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::moved_permanently;
use crate::domain::{CommentStatus, Permalink};
use crate::error::PageError;
use crate::models::category::Category;
use crate::models::comment::{comments_for_page, Comment};
use crate::models::media::{find_media, Media};
use crate::models::post::{categories_of_posts, find_post_at, Post, PostAt};
use crate::models::setting::DiscussionSettings;
use crate::models::tag::{tags_of_posts, Tag};
use crate::models::user::display_name;
use crate::render::assets::COMMENT_REPLY_SCRIPT;
use crate::render::layout::{CategoryLink, Layout};
use crate::render::text::{comment_count_label, iso_date};
use crate::render::thread::comment_page_path;
use crate::render::wordpress::LibraryImage;
use crate::routes::comments::held::held_comment_ids;
use crate::routes::comments::view::{thread_page, CommentForm, CommentItem, PageOfThread};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "blog/post.html")]
struct PostPage<'a> {
    layout: Layout,
    post: &'a Post,
    /// The page of its text shown, and links to the others.
    body: &'a str,
    page_links: Vec<(usize, Option<String>)>,
    permalink: String,
    date_human: String,
    date_iso: String,
    author: Option<&'a str>,
    categories: Vec<CategoryLink>,
    tags: Vec<CategoryLink>,
    featured: Option<LibraryImage>,
    comments_label: String,
    comments_heading: String,
    thread: Vec<CommentItem>,
    /// This page's address, and the neighbouring comment pages'.
    comments_url: String,
    older_comments: Option<String>,
    newer_comments: Option<String>,
    form: CommentForm,
    reply_script: &'static str,
}

/// A post found by its permalink, with everything its page shows.
pub struct PostPageData {
    pub post: Post,
    pub author: Option<String>,
    pub categories: Vec<Category>,
    pub tags: Vec<Tag>,
    /// The featured image, shown above the post.
    pub featured: Option<Media>,
    /// Approved comments, and the visitor's own held ones.
    pub comments: Vec<Comment>,
    /// How many comment pages there are, when `comments` holds one page's
    /// threads only (`None`: all of them).
    pub comment_pages: Option<usize>,
}

impl PostPageData {
    /// An approved comment of this post that a reply may answer.
    pub fn replyable_comment(&self, comment_id: i64) -> Option<&Comment> {
        self.comments
            .iter()
            .find(|comment| comment.id == comment_id && comment.status == CommentStatus::Approved)
    }
}

pub enum PostLookup {
    Found(Box<PostPageData>),
    /// The post lives at another address now (date changed, slug renamed).
    Moved(String),
}

/// The post at a permalink, with the comments of comment page `page` that
/// `held_ids` lets this visitor see: everything its page shows.
pub async fn load_post_page(
    state: &AppState,
    permalink: &Permalink,
    held_ids: Vec<i64>,
    page: usize,
) -> Result<PostLookup, PageError> {
    let permalink = permalink.clone();
    let paging = state.site().discussion.paging();
    let found = state
        .db(move |conn| {
            let post = match find_post_at(conn, &permalink)? {
                Some(PostAt::Here(post)) => *post,
                Some(PostAt::Moved(permalink)) => return Ok(Some(PostLookup::Moved(permalink))),
                None => return Ok(None),
            };
            let data = page_data(conn, post, &held_ids, page, paging)?;
            Ok(Some(PostLookup::Found(Box::new(data))))
        })
        .await?;
    found.ok_or(PageError::NotFound)
}

/// Everything `post`'s page shows: its author, terms, featured image and
/// the comments of comment page `page` that `held_ids` lets this visitor see.
pub fn page_data(
    conn: &mut crate::db::AnyConnection,
    post: Post,
    held_ids: &[i64],
    page: usize,
    paging: crate::render::thread::CommentPaging,
) -> diesel::QueryResult<PostPageData> {
    let author = match post.author_id {
        Some(author_id) => display_name(conn, author_id)?,
        None => None,
    };
    let categories = categories_of_posts(conn, &[post.id])?
        .remove(&post.id)
        .unwrap_or_default();
    let shown = comments_for_page(conn, &post, held_ids, page, paging)?;
    let tags = tags_of_posts(conn, &[post.id])?
        .remove(&post.id)
        .unwrap_or_default();
    let featured = match post.featured_media_id {
        Some(media_id) => find_media(conn, media_id)?,
        None => None,
    };
    Ok(PostPageData {
        post,
        author,
        categories,
        tags,
        featured,
        comments: shown.comments,
        comment_pages: shown.pages,
    })
}

/// Whether readers may comment now: the post's switch, and the setting that
/// closes comments on old posts.
pub fn comments_open(post: &Post, discussion: &DiscussionSettings, at: i64) -> bool {
    post.allow_comments
        && (discussion.close_after_days <= 0
            || at - post.published_at <= discussion.close_after_days * 86_400)
}

#[derive(Deserialize)]
struct PermalinkQuery {
    replytocom: Option<String>,
}

pub async fn permalink(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<crate::domain::permalink::DatedParts>,
) -> Result<HttpResponse, PageError> {
    show_post(request, state, &Permalink::from(path.into_inner()), 1, 1).await
}

/// `/YYYY/MM/DD/slug/comment-page-N/`: a later page of a post's comments.
pub async fn comment_page(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String, usize)>,
) -> Result<HttpResponse, PageError> {
    let (year, month, day, slug, page) = path.into_inner();
    let permalink = Permalink::from(crate::domain::permalink::DatedParts {
        year,
        month,
        day,
        slug,
    });
    if page <= 1 {
        return Ok(moved_permanently(&permalink.path()));
    }
    show_post(request, state, &permalink, page, 1).await
}

/// The post at `permalink`: comment page `page`, and page `part` of its
/// text (WordPress's `<!--nextpage-->`; both 1 for the post's own address).
pub(super) async fn show_post(
    request: HttpRequest,
    state: web::Data<AppState>,
    permalink: &Permalink,
    page: usize,
    part: usize,
) -> Result<HttpResponse, PageError> {
    let held_ids = held_comment_ids(&request, &state.secret_key);
    let data = match load_post_page(&state, permalink, held_ids, page).await {
        Ok(PostLookup::Found(data)) => data,
        Ok(PostLookup::Moved(permalink)) => {
            let moved = comment_page_path(&permalink, page);
            return Ok(moved_permanently(&moved));
        }
        // A private post, for the staff who may read it.
        Err(PageError::NotFound) if page == 1 => {
            return show_private_post(&request, &state, permalink).await
        }
        Err(error) => return Err(error),
    };
    if !super::protected::unlocked(&request, &state.secret_key, &data.post) {
        // Its comment pages are the post's form too, at the post's address.
        if page > 1 {
            return Ok(moved_permanently(&data.post.permalink()));
        }
        return super::protected::locked_page(&state, &data.post, None, StatusCode::OK);
    }
    let open = comments_open(&data.post, &state.site().discussion, crate::models::now());
    let reply_to = web::Query::<PermalinkQuery>::from_query(request.query_string())
        .ok()
        .and_then(|query| {
            query
                .replytocom
                .as_deref()
                .and_then(|id| id.parse::<i64>().ok())
        })
        .and_then(|id| data.replyable_comment(id))
        .filter(|_| open)
        .map(|comment| {
            (
                comment.id,
                crate::render::text::public_name(&comment.author_name),
            )
        });
    let own = crate::routes::comments::own::own_comments(
        &request,
        &state.secret_key,
        crate::models::now(),
    )
    .into_iter()
    .map(|(id, _)| id)
    .collect();
    let view = PostPageView {
        own,
        comment_page: page,
        part,
        // A reply form is not a page of its own for search engines.
        noindex: reply_to.is_some(),
        form: CommentForm::blank(
            open,
            reply_to.as_ref().map(|(id, name)| (*id, name.as_ref())),
            &state.secret_key,
        )
        .remembering(crate::routes::comments::remembered::remembered(&request)),
        status: StatusCode::OK,
    };
    match render_post_page(&state, &data, view) {
        // A comment page past the last (the old site broke its comments
        // into smaller pages): the comments are on the post's pages now.
        Err(PageError::NotFound) if page > 1 => Ok(moved_permanently(&data.post.permalink())),
        answer => answer,
    }
}

/// The private post at `permalink`, for staff; `404` for everyone else.
async fn show_private_post(
    request: &HttpRequest,
    state: &AppState,
    permalink: &Permalink,
) -> Result<HttpResponse, PageError> {
    let found = super::private::private_post(
        request,
        state,
        crate::domain::PostType::Post,
        permalink.slug().to_owned(),
        permalink.path(),
    )
    .await?;
    let post = found.ok_or(PageError::NotFound)?;
    let paging = state.site().discussion.paging();
    let mut shown = state
        .db(move |conn| page_data(conn, post, &[], 1, paging))
        .await?;
    shown.post.title = shown.post.shown_title();
    let mut view = PostPageView::refusal(
        CommentForm::blank(false, None, &state.secret_key),
        StatusCode::OK,
    );
    view.noindex = true;
    render_post_page(state, &shown, view)
}

/// How a post page is shown: which page of its comments, with what form.
pub struct PostPageView {
    /// Comments this reader may still edit (their browser's own).
    pub own: Vec<i64>,
    /// 1-based.
    pub comment_page: usize,
    /// The page of the post's text (`<!--nextpage-->`), 1-based.
    pub part: usize,
    pub form: CommentForm,
    /// Asks search engines not to index it.
    pub noindex: bool,
    pub status: StatusCode,
}

impl PostPageView {
    /// A comment refused: the first page, the form as it was sent, kept
    /// out of search engines, answered with `status`.
    pub fn refusal(form: CommentForm, status: StatusCode) -> PostPageView {
        PostPageView {
            own: Vec::new(),
            comment_page: 1,
            part: 1,
            form,
            noindex: true,
            status,
        }
    }
}

/// The post page as `view` says; `404` when the post has no such page of
/// comments.
pub fn render_post_page(
    state: &AppState,
    data: &PostPageData,
    view: PostPageView,
) -> Result<HttpResponse, PageError> {
    let PostPageView {
        own,
        comment_page: page,
        part,
        form,
        noindex,
        status,
    } = view;
    let site = state.site();
    let post = &data.post;
    let permalink = post.permalink();
    let (body, parts) = crate::render::text::body_part(&post.body_html, part)
        .filter(|_| part == 1 || page == 1)
        .ok_or(PageError::NotFound)?;
    // "Pages: 1 2 3", each but this one a link.
    let part_path = |number: usize| match number {
        1 => permalink.clone(),
        _ => format!("{}{number}/", crate::render::thread::below(&permalink)),
    };
    let page_links: Vec<(usize, Option<String>)> = if parts > 1 {
        (1..=parts)
            .map(|number| (number, (number != part).then(|| part_path(number))))
            .collect()
    } else {
        Vec::new()
    };
    let mut thread = thread_page(
        &data.comments,
        &state.secret_key,
        &PageOfThread {
            paging: site.discussion.paging(),
            page,
            replies_open: form.open,
            permalink: &permalink,
            clock: &site.clock,
            known_pages: data.comment_pages,
            newest_first: site.discussion.newest_first,
        },
    )
    .ok_or(PageError::NotFound)?;
    for item in &mut thread.items {
        item.editable = own.contains(&item.id);
    }
    // A post without a title (an aside) is named by its date, as
    // WordPress's themes name it.
    let date_human = site.clock.date(post.published_at);
    let page_title = if post.title.is_empty() {
        &date_human
    } else {
        &post.title
    };
    let canonical = if part > 1 {
        part_path(part)
    } else {
        thread.path.clone()
    };
    let mut layout = site
        .layout(Some(page_title))
        .with_canonical(state.config.absolute_url(&canonical));
    if noindex {
        layout.robots = Some("noindex");
    }
    layout.description = Some(post.shown_excerpt());
    layout.og_image = data
        .featured
        .as_ref()
        .filter(|media| media.is_image())
        .map(|media| state.config.absolute_url(&media.url()));
    layout = layout.with_feed(
        format!("{} » {} Comments Feed", site.title, post.title),
        format!("{}feed/", crate::render::thread::below(&permalink)),
    );
    let shows_own_held = thread.items.iter().any(|item| item.awaiting);
    // A protected post shown is shown to one who typed its password.
    let personal = form.is_personal()
        || thread.items.iter().any(|item| item.editable)
        || post.is_protected()
        || post.status == crate::domain::PostStatus::Private;
    let comments_heading = match post.comment_count {
        0 => "Comments".to_owned(),
        _ => format!(
            "{} on “{}”",
            comment_count_label(post.comment_count),
            post.title
        ),
    };
    let page = PostPage {
        layout,
        post,
        body,
        page_links,
        date_human: site.clock.date(post.published_at),
        date_iso: iso_date(post.published_at),
        author: data.author.as_deref(),
        categories: data
            .categories
            .iter()
            .map(|category| category.link(&site.bases))
            .collect(),
        tags: data.tags.iter().map(|tag| tag.link(&site.bases)).collect(),
        featured: data
            .featured
            .as_ref()
            .filter(|media| media.is_image())
            .map(|media| LibraryImage {
                wp_id: media.wp_id.unwrap_or_default(),
                url: media.url(),
                width: media.width,
                height: media.height,
                alt: media.alt.clone(),
                thumbnail: None,
                srcset: media.srcset(),
            }),
        comments_label: comment_count_label(post.comment_count),
        comments_heading,
        older_comments: thread.older(&permalink),
        newer_comments: thread.newer(&permalink),
        comments_url: thread.path,
        thread: thread.items,
        form,
        reply_script: COMMENT_REPLY_SCRIPT.path.as_str(),
        permalink,
    };
    let body = page.render().map_err(anyhow::Error::from)?;
    // A page showing a visitor's own held comment, or what they typed
    // (any refusal), is theirs alone.
    Ok(super::html_answer(
        status,
        shows_own_held || personal || status != StatusCode::OK,
        body,
        crate::page_cache::Shows(vec![post.id]),
    ))
}
