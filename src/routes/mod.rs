//! Every URL, one folder per area; each endpoint in its own file.

pub mod admin;
pub mod assets;
pub mod blog;
pub mod comments;
pub mod feeds;
pub mod form;
pub mod health;
pub mod moderate;
pub mod subscriptions;

use actix_web::guard;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web::{self, ServiceConfig};

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

/// GET, and HEAD answered the same way without a body.
pub fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub fn configure(config: &mut ServiceConfig) {
    config
        .route("/healthz", get_or_head().to(health::get::healthz))
        .route("/robots.txt", get_or_head().to(blog::robots::robots_txt))
        .route("/static/{file}", get_or_head().to(assets::get::asset))
        .route("/avatar/{file}", get_or_head().to(assets::get::avatar))
        .configure(admin::configure)
        .route("/moderate/{token}", get_or_head().to(moderate::confirm))
        .route("/moderate/{token}", web::post().to(moderate::act))
        .route(
            "/subscriptions/confirm/{token}",
            get_or_head().to(subscriptions::confirm_form),
        )
        .route(
            "/subscriptions/confirm/{token}",
            web::post().to(subscriptions::confirm),
        )
        .route(
            "/subscriptions/unsubscribe/{token}",
            get_or_head().to(subscriptions::unsubscribe_form),
        )
        .route(
            "/subscriptions/unsubscribe/{token}",
            web::post().to(subscriptions::unsubscribe_now),
        )
        .route("/feed/", get_or_head().to(feeds::posts_rss))
        .route("/feed/atom/", get_or_head().to(feeds::posts_atom))
        .route("/comments/feed/", get_or_head().to(feeds::comments_rss))
        .route(
            "/category/{slug}/feed/",
            get_or_head().to(feeds::category_rss),
        )
        .route(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/feed/",
            get_or_head().to(feeds::post_comments_rss),
        )
        .route("/search", get_or_head().to(blog::search::search))
        .route("/sitemap.xml", get_or_head().to(blog::sitemap::sitemap))
        .route("/", get_or_head().to(blog::home::front_page))
        .route(
            "/page/{page:\\d+}/",
            get_or_head().to(blog::home::older_page),
        )
        .route(
            "/category/{slug}/",
            get_or_head().to(blog::category::first_page),
        )
        .route(
            "/category/{slug}/page/{page:\\d+}/",
            get_or_head().to(blog::category::older_page),
        )
        .service(
            web::resource("/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/")
                .app_data(web::PayloadConfig::new(COMMENT_BODY_LIMIT))
                .route(get_or_head().to(blog::post::permalink))
                .route(web::post().to(comments::post::submit)),
        )
        .route(
            "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{slug}/comment-page-{page:\\d{1,6}}/",
            get_or_head().to(blog::post::comment_page),
        )
        .route("/{slug}/", get_or_head().to(blog::page::page))
        .default_service(web::to(blog::not_found::fallback));
}
