use actix_web::http::header;
use actix_web::HttpResponse;

/// Everything public may be crawled; the admin panel may not.
pub async fn robots_txt() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body("User-agent: *\nDisallow: /admin/\n")
}
