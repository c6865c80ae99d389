//! Feeds (SPEC §2): RSS 2.0 and Atom of posts, a category's posts, approved
//! comments site-wide and per post. Absolute links from the site URL; an
//! `ETag` and `Last-Modified` with each, and `304` when nothing changed.

use crate::page_cache::Shows;
use actix_web::http::header::{self, HttpDate};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use atom_syndication as atom;
use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use crate::db::AnyConnection;
use crate::domain::Permalink;
use crate::error::PageError;
use crate::models::category::{find_category_by_path, Category};
use crate::models::comment::{
    approved_comment_paths, latest_public_comments, ApprovedPlace, Comment,
};
use crate::models::post::{
    find_post_at, published_page, with_categories, Post, PostAt, PostFilter, PostHead,
};
use crate::models::setting::SiteSettings;
use crate::models::tag::find_tag_by_slug;
use crate::models::user::find_author_by_slug;
use crate::render::text::{datetime, escape_html, plain_text, public_name};
use crate::render::thread::CommentPaging;
use crate::state::AppState;
use diesel::QueryResult;

const FEED_ITEMS: i64 = 10;
const COMMENT_ITEMS: i64 = 20;

fn fixed(unix_seconds: i64) -> DateTime<FixedOffset> {
    datetime(unix_seconds).fixed_offset()
}

/// The body with validators; `304` when the client's copy is current.
fn conditional(
    request: &HttpRequest,
    body: String,
    content_type: &str,
    last_modified: i64,
) -> HttpResponse {
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..20]
    );
    let modified = HttpDate::from(
        std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(last_modified).unwrap_or(0)),
    );
    let headers = request.headers();
    let etag_matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let not_modified_since = !headers.contains_key(header::IF_NONE_MATCH)
        && headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<HttpDate>().ok())
            .is_some_and(|since| {
                std::time::SystemTime::from(since) >= std::time::SystemTime::from(modified)
            });
    let mut response = if etag_matches || not_modified_since {
        HttpResponse::build(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::LAST_MODIFIED, modified))
        .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"));
    if etag_matches || not_modified_since {
        return response.finish();
    }
    response.content_type(content_type).body(body)
}

fn post_item(state: &AppState, post: &Post, categories: &[Category]) -> rss::Item {
    let link = state.config.absolute_url(&post.permalink());
    rss::Item {
        title: Some(post.shown_title()),
        link: Some(link.clone()),
        guid: Some(rss::Guid {
            value: link.clone(),
            permalink: true,
        }),
        pub_date: Some(datetime(post.published_at).to_rfc2822()),
        // Feed readers render a description as HTML: the excerpt is text,
        // so it goes in escaped, never as decoded user text.
        description: Some(escape_html(&post.shown_excerpt())),
        // A protected post's text is for those who typed its password.
        content: (!post.is_protected()).then(|| post.body_html.clone()),
        comments: Some(format!("{link}#comments")),
        categories: categories
            .iter()
            .map(|category| rss::Category {
                name: category.name.clone(),
                domain: None,
            })
            .collect(),
        ..rss::Item::default()
    }
}

fn channel(
    site: &SiteSettings,
    title: String,
    link: String,
    description: String,
    items: Vec<rss::Item>,
    updated: i64,
) -> String {
    rss::Channel {
        title,
        link,
        // Feed readers render it as HTML: no markup gets through. An
        // ampersand stays one (escaped once, by the XML), as WordPress's
        // `&#038;`, not `&amp;amp;`.
        description: escape_html(&description).replace("&amp;", "&"),
        language: Some("en-US".to_owned()),
        last_build_date: Some(datetime(updated).to_rfc2822()),
        generator: Some(format!("ferropress ({})", site.title)),
        items,
        ..rss::Channel::default()
    }
    .to_string()
}

async fn load_posts(
    state: &AppState,
    filter: PostFilter,
) -> Result<Vec<(Post, Vec<Category>)>, PageError> {
    state
        .db(move |conn| {
            let (posts, _) = published_page(conn, filter, 1, FEED_ITEMS)?;
            with_categories(conn, posts)
        })
        .await
}

fn newest(posts: &[(Post, Vec<Category>)]) -> i64 {
    posts
        .iter()
        .map(|(post, _)| post.updated_at.max(post.published_at))
        .max()
        .unwrap_or(0)
}

/// An RSS 2.0 answer listing `posts`.
fn posts_rss_answer(
    request: &HttpRequest,
    state: &AppState,
    posts: &[(Post, Vec<Category>)],
    title: String,
    link: String,
    description: String,
) -> HttpResponse {
    let site = state.site();
    let items = posts
        .iter()
        .map(|(post, categories)| post_item(state, post, categories))
        .collect();
    let updated = newest(posts);
    let body = channel(&site, title, link, description, items, updated);
    // Posts only: no comment counts.
    Shows::nothing().on(conditional(
        request,
        body,
        "application/rss+xml; charset=utf-8",
        updated,
    ))
}

/// `/feed/`: the newest posts, RSS 2.0.
pub async fn posts_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let posts = load_posts(&state, PostFilter::All).await?;
    let site = state.site();
    Ok(posts_rss_answer(
        &request,
        &state,
        &posts,
        site.title.clone(),
        state.config.absolute_url("/"),
        site.tagline.clone(),
    ))
}

/// `/feed/atom/`: the newest posts, Atom.
pub async fn posts_atom(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let posts = load_posts(&state, PostFilter::All).await?;
    let site = state.site();
    let updated = newest(&posts);
    let entries = posts
        .iter()
        .map(|(post, categories)| {
            let link = state.config.absolute_url(&post.permalink());
            atom::Entry {
                title: atom::Text::plain(post.shown_title()),
                id: link.clone(),
                updated: fixed(post.updated_at.max(post.published_at)),
                published: Some(fixed(post.published_at)),
                authors: vec![atom::Person {
                    name: site.title.clone(),
                    ..atom::Person::default()
                }],
                links: vec![atom::Link {
                    href: link,
                    rel: "alternate".to_owned(),
                    mime_type: Some("text/html".to_owned()),
                    ..atom::Link::default()
                }],
                summary: Some(atom::Text::plain(post.shown_excerpt())),
                content: (!post.is_protected()).then(|| atom::Content {
                    value: Some(post.body_html.clone()),
                    content_type: Some("html".to_owned()),
                    ..atom::Content::default()
                }),
                categories: categories
                    .iter()
                    .map(|category| atom::Category {
                        term: category.slug.clone(),
                        label: Some(category.name.clone()),
                        ..atom::Category::default()
                    })
                    .collect(),
                ..atom::Entry::default()
            }
        })
        .collect();
    let feed = atom::Feed {
        title: atom::Text::plain(site.title.clone()),
        subtitle: Some(atom::Text::plain(site.tagline.clone())),
        id: state.config.absolute_url("/feed/atom/"),
        updated: fixed(updated),
        authors: vec![atom::Person {
            name: site.title.clone(),
            ..atom::Person::default()
        }],
        links: vec![
            atom::Link {
                href: state.config.absolute_url("/"),
                rel: "alternate".to_owned(),
                mime_type: Some("text/html".to_owned()),
                ..atom::Link::default()
            },
            atom::Link {
                href: state.config.absolute_url("/feed/atom/"),
                rel: "self".to_owned(),
                mime_type: Some("application/atom+xml".to_owned()),
                ..atom::Link::default()
            },
        ],
        entries,
        ..atom::Feed::default()
    };
    Ok(Shows::nothing().on(conditional(
        &request,
        feed.to_string(),
        "application/atom+xml; charset=utf-8",
        updated,
    )))
}

/// `/category/slug/feed/`: a category's newest posts.
pub async fn category_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let path = path.into_inner();
    let category = state
        .db(move |conn| find_category_by_path(conn, &path))
        .await?
        .ok_or(PageError::NotFound)?;
    let posts = load_posts(&state, PostFilter::Category(category.id)).await?;
    Ok(posts_rss_answer(
        &request,
        &state,
        &posts,
        format!("{} » {}", state.site().title, category.name),
        state
            .config
            .absolute_url(&category.path(&state.site().bases)),
        category.description.clone(),
    ))
}

/// `/author/nicename/feed/`: an author's newest posts.
pub async fn author_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let path = format!("/author/{slug}/");
    let (author_id, name) = state
        .db(move |conn| find_author_by_slug(conn, &slug))
        .await?
        .ok_or(PageError::NotFound)?;
    let posts = load_posts(&state, PostFilter::Author(author_id)).await?;
    Ok(posts_rss_answer(
        &request,
        &state,
        &posts,
        format!("{} » Posts by {name}", state.site().title),
        state.config.absolute_url(&path),
        String::new(),
    ))
}

/// `/tag/slug/feed/`: a tag's newest posts.
pub async fn tag_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let tag = state
        .db(move |conn| find_tag_by_slug(conn, &slug))
        .await?
        .ok_or(PageError::NotFound)?;
    let posts = load_posts(&state, PostFilter::Tag(tag.id)).await?;
    Ok(posts_rss_answer(
        &request,
        &state,
        &posts,
        format!("{} » {}", state.site().title, tag.name),
        state.config.absolute_url(&tag.path(&state.site().bases)),
        tag.description.clone(),
    ))
}

/// `/type/aside/feed/`: a post format's newest posts.
pub async fn format_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    format: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (format, name) = crate::domain::status::POST_FORMATS
        .iter()
        .find(|(known, _)| *known == format.as_str())
        .ok_or(PageError::NotFound)?;
    let posts = load_posts(&state, PostFilter::Format(format)).await?;
    Ok(posts_rss_answer(
        &request,
        &state,
        &posts,
        format!("{} » {name}", state.site().title),
        state.config.absolute_url(&format!("/type/{format}/")),
        state.site().tagline.clone(),
    ))
}

/// A comment as a feed item: name and text, never the email.
fn comment_item(state: &AppState, comment: &Comment, post: &PostHead, path: &str) -> rss::Item {
    let link = state.config.absolute_url(path);
    rss::Item {
        title: Some(format!(
            "Comment on {} by {}",
            post.shown_title(),
            public_name(&comment.author_name)
        )),
        link: Some(link.clone()),
        guid: Some(rss::Guid {
            value: link,
            permalink: true,
        }),
        pub_date: Some(datetime(comment.created_at).to_rfc2822()),
        description: Some(escape_html(&plain_text(&comment.body_html))),
        content: Some(comment.body_html.clone()),
        dublin_core_ext: Some(rss::extension::dublincore::DublinCoreExtension {
            creators: vec![public_name(&comment.author_name).into_owned()],
            ..Default::default()
        }),
        ..rss::Item::default()
    }
}

fn comments_channel(
    state: &AppState,
    title: String,
    link: String,
    rows: &[(Comment, PostHead, String)],
) -> (String, i64) {
    let site = state.site();
    let items = rows
        .iter()
        .map(|(comment, post, path)| comment_item(state, comment, post, path))
        .collect();
    let updated = rows
        .iter()
        .map(|(comment, _, _)| comment.updated_at.max(comment.created_at))
        .max()
        .unwrap_or(0);
    (
        channel(
            &site,
            title,
            link,
            format!("Comments on {}", site.title),
            items,
            updated,
        ),
        updated,
    )
}

/// The newest approved comments (of one post, or of the site), each with
/// the address of the page showing it, placed from the rows already read
/// (neither the comment nor its post is read again for its page).
fn comments_with_paths(
    conn: &mut AnyConnection,
    post_id: Option<i64>,
    paging: CommentPaging,
) -> QueryResult<Vec<(Comment, PostHead, String)>> {
    let mut rows = latest_public_comments(conn, post_id, COMMENT_ITEMS)?;
    // A protected post's comments are for those who typed its password.
    rows.retain(|(_, post)| !post.is_protected());
    let permalinks: Vec<String> = rows.iter().map(|(_, post)| post.permalink()).collect();
    let places: Vec<ApprovedPlace> = rows
        .iter()
        .zip(&permalinks)
        .map(|((comment, post), permalink)| ApprovedPlace {
            permalink,
            post_id: post.id,
            comment_count: post.comment_count,
            thread_count: post.thread_count,
            comment_id: comment.id,
            parent_id: comment.parent_id,
            created_at: comment.created_at,
        })
        .collect();
    let paths = approved_comment_paths(conn, &places, paging)?;
    Ok(rows
        .into_iter()
        .zip(paths)
        .map(|((comment, post), path)| (comment, post, path))
        .collect())
}

/// `/comments/feed/`: the newest approved comments on the site.
pub async fn comments_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let paging = state.site().discussion.paging();
    let rows = state
        .db(move |conn| comments_with_paths(conn, None, paging))
        .await?;
    let title = format!("Comments for {}", state.site().title);
    let (body, updated) = comments_channel(&state, title, state.config.absolute_url("/"), &rows);
    Ok(conditional(
        &request,
        body,
        "application/rss+xml; charset=utf-8",
        updated,
    ))
}

/// `/YYYY/MM/DD/slug/feed/`: one post's approved comments.
pub async fn post_comments_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<crate::domain::permalink::DatedParts>,
) -> Result<HttpResponse, PageError> {
    comments_feed_at(&request, &state, Permalink::from(path.into_inner())).await
}

/// The comments feed below the post at `permalink` (any structure's).
pub async fn comments_feed_at(
    request: &HttpRequest,
    state: &AppState,
    permalink: Permalink,
) -> Result<HttpResponse, PageError> {
    let post = match state
        .db(move |conn| find_post_at(conn, &permalink))
        .await?
        .ok_or(PageError::NotFound)?
    {
        PostAt::Here(post) => *post,
        PostAt::Moved(permalink) => {
            return Ok(crate::routes::blog::moved_permanently(&format!(
                "{}feed/",
                crate::render::thread::below(&permalink)
            )))
        }
    };
    comments_feed_of(request, state, post).await
}

/// The comments feed of a post or page (`…/feed/` below its address).
pub async fn comments_feed_of(
    request: &HttpRequest,
    state: &AppState,
    post: Post,
) -> Result<HttpResponse, PageError> {
    let post_id = post.id;
    let paging = state.site().discussion.paging();
    let rows = state
        .db(move |conn| comments_with_paths(conn, Some(post_id), paging))
        .await?;
    let title = format!("Comments on: {}", post.title);
    let (body, updated) = comments_channel(
        state,
        title,
        state.config.absolute_url(&post.permalink()),
        &rows,
    );
    Ok(Shows(vec![post_id]).on(conditional(
        request,
        body,
        "application/rss+xml; charset=utf-8",
        updated.max(post.published_at),
    )))
}

/// The words of WordPress's pretty search address (`/search/lumbar+x-ray/`).
fn searched_words(segment: &str) -> String {
    crate::domain::slug::percent_decode(&segment.replace('+', " "))
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// `/search/WORDS/feed/` and `/search/WORDS/feed/rss2/`: WordPress's feed
/// of a search, its best matches as RSS 2.0. Searches take their turns.
pub async fn search_rss(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let typed = searched_words(&path.into_inner());
    let _turn = crate::state::take_turn(&state.searches).await?;
    let lookup = typed.clone();
    let posts = state
        .db(move |conn| {
            let found = crate::models::search::search_published(conn, &lookup, 1, FEED_ITEMS)?;
            let posts = crate::models::post::public_posts_by_ids(conn, &found.ids)?;
            with_categories(conn, posts)
        })
        .await?;
    let site = state.site();
    let mut response = posts_rss_answer(
        &request,
        &state,
        &posts,
        format!("Search Results for “{typed}” – {}", site.title),
        state.config.absolute_url(&format!(
            "/search?q={}",
            crate::error::percent_encode(&typed)
        )),
        site.tagline.clone(),
    );
    // One address per words anyone types: not for the page cache to keep.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=0"),
    );
    Ok(response)
}

/// `/search/WORDS/`: WordPress's pretty search address, `301` to ours.
pub async fn search_address(path: web::Path<String>) -> HttpResponse {
    let typed = searched_words(&path.into_inner());
    crate::routes::blog::moved_permanently(&format!(
        "/search?q={}",
        crate::error::percent_encode(&typed)
    ))
}
