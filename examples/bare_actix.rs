//! The benchmark's yardstick: a bare actix-web handler answering every
//! request with the same bytes from memory (`bench/run` serves the rendered
//! permalink page with it), to show how much of the stack's speed ferropress keeps.
//!
//!     cargo run --release --example bare_actix -- 127.0.0.1:8183 page.html

use actix_web::{web, App, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:8183".to_owned());
    let path = args.next().unwrap_or_else(|| "page.html".to_owned());
    let page = web::Bytes::from(std::fs::read(&path)?);
    HttpServer::new(move || {
        let page = page.clone();
        App::new().default_service(web::to(move || {
            let page = page.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(page)
            }
        }))
    })
    .bind(bind)?
    .run()
    .await
}
