//! Every URL, one folder per area; each endpoint in its own file.

pub mod admin;
pub mod assets;
pub mod blog;
pub mod cache;
pub mod comments;
pub mod compress;
pub mod errors;
pub mod feeds;
pub mod health;
pub mod media;
pub mod moderate;
pub mod staff;
pub mod subscriptions;

use actix_web::guard;

pub use crate::auth::roles::Access;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web::{self, ServiceConfig};
use actix_web::HttpResponse;

/// Content-Security-Policy: everything from this site only; no inline scripts.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// A comment submission larger than this is refused with `413`.
pub const COMMENT_BODY_LIMIT: usize = 64 * 1024;

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}

/// Middleware: an address with a NUL character in its path or query
/// (`%00`) names nothing here (and PostgreSQL could not even look it up):
/// the themed `404`, before any handler runs.
pub async fn refuse_nul_in_urls(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let uri = request.uri();
    let has_nul = |text: &str| text.contains("%00") || text.contains('\0');
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return Ok(request.error_response(crate::error::PageError::NotFound));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// Middleware: the site's category and tag bases (Settings > Permalinks).
/// A request at `/topics/x/` is answered by the `/category/x/` routes; one
/// at `/category/x/`, on a site whose base is `topics`, moves there (`301`).
pub async fn term_bases(
    mut request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let Some(state) = request
        .app_data::<web::Data<crate::state::AppState>>()
        .cloned()
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let site = state.site();
    let query = match request.query_string() {
        "" => String::new(),
        query => format!("?{query}"),
    };
    let reading = request.method() == actix_web::http::Method::GET
        || request.method() == actix_web::http::Method::HEAD;
    if let Some(moved) = site.bases.moved_path(request.path()).filter(|_| reading) {
        let answer = HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("{moved}{query}")))
            .finish();
        return Ok(request.into_response(answer));
    }
    if let Some(internal) = site.bases.internal_path(request.path()) {
        if let Ok(uri) = format!("{internal}{query}").parse::<actix_web::http::Uri>() {
            request.match_info_mut().get_mut().update(&uri);
            request.head_mut().uri = uri;
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// A route, its path, and who may use it.
pub struct RouteEntry {
    pub method: actix_web::http::Method,
    pub path: &'static str,
    pub access: Access,
    pub route: actix_web::Route,
}

impl RouteEntry {
    /// GET (and HEAD).
    pub fn get(path: &'static str, access: Access, route: actix_web::Route) -> RouteEntry {
        RouteEntry {
            method: actix_web::http::Method::GET,
            path,
            access,
            route,
        }
    }

    pub fn post(path: &'static str, access: Access, route: actix_web::Route) -> RouteEntry {
        RouteEntry {
            method: actix_web::http::Method::POST,
            path,
            access,
            route,
        }
    }
}

/// Every route of the site as (method, full path, access), for tests and
/// tools: the same tables `configure` registers.
pub fn route_table() -> Vec<(actix_web::http::Method, String, Access)> {
    let mut table: Vec<_> = routes()
        .into_iter()
        .map(|entry| (entry.method, entry.path.to_owned(), entry.access))
        .collect();
    table.extend(
        admin::routes()
            .into_iter()
            .map(|entry| (entry.method, format!("/admin{}", entry.path), entry.access)),
    );
    table.push((
        actix_web::http::Method::GET,
        PERMALINK.to_owned(),
        Access::Public,
    ));
    table.push((
        actix_web::http::Method::POST,
        PERMALINK.to_owned(),
        Access::Public,
    ));
    table
}

/// A post's address; its resource carries the comment form's body limit.
const PERMALINK: &str = "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/";

/// GET, and HEAD answered the same way without a body.
pub fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Every route outside the panel but the permalink (see `configure`).
pub fn routes() -> Vec<RouteEntry> {
    use Access::{Capability, Public};
    let get = |path, access, route| RouteEntry::get(path, access, route);
    let post = |path, access, route| RouteEntry::post(path, access, route);
    vec![
        get("/healthz", Public, get_or_head().to(health::get::healthz)),
        get(
            "/robots.txt",
            Public,
            get_or_head().to(blog::robots::robots_txt),
        ),
        get(
            "/static/{file}",
            Public,
            get_or_head().to(assets::get::asset),
        ),
        get(
            "/avatar/{file}",
            Public,
            get_or_head().to(assets::get::avatar),
        ),
        get(
            "/moderate/{token}",
            Capability,
            get_or_head().to(moderate::confirm),
        ),
        post(
            "/moderate/{token}",
            Capability,
            web::post().to(moderate::act),
        ),
        get(
            "/subscriptions/confirm/{token}",
            Capability,
            get_or_head().to(subscriptions::confirm_form),
        ),
        post(
            "/subscriptions/confirm/{token}",
            Capability,
            web::post().to(subscriptions::confirm),
        ),
        get(
            "/subscriptions/unsubscribe/{token}",
            Capability,
            get_or_head().to(subscriptions::unsubscribe_form),
        ),
        post(
            "/subscriptions/unsubscribe/{token}",
            Capability,
            web::post().to(subscriptions::unsubscribe_now),
        ),
        get(
            "/subscriptions/manage/{token}",
            Capability,
            get_or_head().to(subscriptions::manage),
        ),
        post(
            "/subscriptions/manage/{token}/post/{post_id}",
            Capability,
            web::post().to(subscriptions::stop_post),
        ),
        get(
            "/comments/{id:\\d{1,18}}/edit",
            Public,
            get_or_head().to(comments::edit::edit_form),
        ),
        post(
            "/comments/{id:\\d{1,18}}/edit",
            Public,
            web::post().to(comments::edit::save),
        ),
        post(
            "/comments/{id:\\d{1,18}}/delete",
            Public,
            web::post().to(comments::edit::delete),
        ),
        get("/feed/", Public, get_or_head().to(feeds::posts_rss)),
        get("/feed/atom/", Public, get_or_head().to(feeds::posts_atom)),
        get(
            "/comments/feed/",
            Public,
            get_or_head().to(feeds::comments_rss),
        ),
        get(
            "/category/{path:.+}/feed/",
            Public,
            get_or_head().to(feeds::category_rss),
        ),
        get(
            "/tag/{slug}/feed/",
            Public,
            get_or_head().to(feeds::tag_rss),
        ),
        get(
            "/author/{slug}/feed/",
            Public,
            get_or_head().to(feeds::author_rss),
        ),
        // WordPress's other feed addresses: the same RSS.
        get("/feed/rss2/", Public, get_or_head().to(feeds::posts_rss)),
        get("/feed/rdf/", Public, get_or_head().to(feeds::posts_rss)),
        get("/feed/rss/", Public, get_or_head().to(feeds::posts_rss)),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/feed/",
            Public,
            get_or_head().to(feeds::post_comments_rss),
        ),
        // WordPress's address for the form of a password-protected post.
        post(
            "/wp-login.php",
            Public,
            web::post().to(blog::enter_password::enter_password),
        ),
        get("/search", Public, get_or_head().to(blog::search::search)),
        // WordPress's pretty search address and its feeds.
        get(
            "/search/{words}/feed/",
            Public,
            get_or_head().to(feeds::search_rss),
        ),
        get(
            "/search/{words}/feed/rss2/",
            Public,
            get_or_head().to(feeds::search_rss),
        ),
        get(
            "/search/{words}/",
            Public,
            get_or_head().to(feeds::search_address),
        ),
        get(
            "/sitemap.xml",
            Public,
            get_or_head().to(blog::sitemap::sitemap),
        ),
        get("/", Public, get_or_head().to(blog::home::front_page)),
        get(
            "/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::home::older_page),
        ),
        get(
            "/category/{path:.+}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::category_older),
        ),
        get(
            "/category/{path:.+}/",
            Public,
            get_or_head().to(blog::archive::category_first),
        ),
        get(
            "/type/{format}/feed/",
            Public,
            get_or_head().to(feeds::format_rss),
        ),
        get(
            "/type/{format}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::format_older),
        ),
        get(
            "/type/{format}/",
            Public,
            get_or_head().to(blog::archive::format_first),
        ),
        get(
            "/tag/{slug}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::tag_older),
        ),
        get(
            "/tag/{slug}/",
            Public,
            get_or_head().to(blog::archive::tag_first),
        ),
        get(
            "/author/{slug}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::author_older),
        ),
        get(
            "/author/{slug}/",
            Public,
            get_or_head().to(blog::archive::author_first),
        ),
        get(
            "/{year:\\d{4}}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::year_older),
        ),
        get(
            "/{year:\\d{4}}/",
            Public,
            get_or_head().to(blog::archive::year),
        ),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::month_older),
        ),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/",
            Public,
            get_or_head().to(blog::archive::month),
        ),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/page/{page:\\d+}/",
            Public,
            get_or_head().to(blog::archive::day_older),
        ),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/",
            Public,
            get_or_head().to(blog::archive::day),
        ),
        get(
            "/wp-content/uploads/{path:.+}",
            Public,
            get_or_head().to(media::serve),
        ),
        get(
            "/wp-sitemap.xml",
            Public,
            get_or_head().to(blog::sitemap::sitemap),
        ),
        get(
            "/sitemap-posts-{page}.xml",
            Public,
            get_or_head().to(blog::sitemap::posts),
        ),
        get(
            "/sitemap-categories-{page}.xml",
            Public,
            get_or_head().to(blog::sitemap::categories),
        ),
        // WordPress's own names for the same files.
        get(
            "/wp-sitemap-posts-post-{page}.xml",
            Public,
            get_or_head().to(blog::sitemap::posts),
        ),
        get(
            "/wp-sitemap-taxonomies-category-{page}.xml",
            Public,
            get_or_head().to(blog::sitemap::categories),
        ),
        get(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/comment-page-{page:\\d{1,6}}/",
            Public,
            get_or_head().to(blog::post::comment_page),
        ),
        // A page, or a child page at its parents' address and its own; a
        // post at its permalink structure's address (and what is below it).
        get("/{path:.+}/", Public, get_or_head().to(blog::page::page)),
        // A comment to a post at its permalink structure's address.
        post(
            "/{path:.+}/",
            Public,
            web::post().to(blog::address::comment),
        ),
    ]
}

pub fn configure(config: &mut ServiceConfig) {
    // The permalink (a reader's GET, a comment's POST) first: routes are
    // tried in order, each pattern with a parameter by a regular
    // expression, and a comment's POST went through some sixty of them
    // (4 % of the app's CPU for a comment). No other route matches a path of a
    // four-digit year, a two-digit month and day and one segment more.
    config.service(
        web::resource(PERMALINK)
            .app_data(web::PayloadConfig::new(COMMENT_BODY_LIMIT))
            .route(get_or_head().to(blog::post::permalink))
            .route(web::post().to(comments::submit::submit)),
    );
    config.configure(admin::configure);
    for entry in routes() {
        config.route(entry.path, entry.route);
    }
    config.default_service(web::to(blog::not_found::fallback));
}
