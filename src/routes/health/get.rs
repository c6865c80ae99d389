use actix_web::http::header;
use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;

use crate::state::AppState;

/// `200 ok` when the database answers a query, `503` otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let answered = state
        .db(|conn| diesel::sql_query("SELECT 1").execute(conn))
        .await
        .is_ok();
    let mut response = if answered {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body(if answered {
            "ok"
        } else {
            "database unavailable"
        })
}
