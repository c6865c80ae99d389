//! Pictures uploaded from the post editor: the kind decided by content,
//! camera metadata gone, WordPress's sizes made, refusals that keep the
//! editor's text.

use std::io::Cursor;

use diesel::prelude::*;
use ferropress::db::schema::media;
use ferropress::domain::Role;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn encoded(format: image::ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let picture =
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
        }));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A phone photo: a JPEG with an EXIF block that says where it was taken.
fn photo_with_location() -> Vec<u8> {
    let jpeg = encoded(image::ImageFormat::Jpeg, 1200, 900);
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1aGPSLatitude 52.5200 N GPSLongitude 13.4050 E secret-home".to_vec();
    exif.resize(exif.len() + 16, 0);
    let length = u16::try_from(exif.len() + 2).unwrap().to_be_bytes();
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1, length[0], length[1]]);
    with_exif.extend_from_slice(&exif);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

/// The editor's form, with a file, as a browser sends it (fields first).
async fn editor_form(app: &TestApp, intent: &str, file_name: &str, bytes: Vec<u8>) -> Form {
    Form::new()
        .text("csrf_token", app.csrf_token().await)
        .text("title", "A picture post")
        .text("body", "Words written before the picture.")
        .text("status", "published")
        .text("intent", intent.to_owned())
        .text("media_alt", "A lumbar roll on a chair")
        .text("media_featured", "1")
        .part("media", Part::bytes(bytes).file_name(file_name.to_owned()))
}

async fn send(app: &TestApp, form: Form) -> reqwest::Response {
    app.client
        .post(app.url("/admin/posts/new"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn media_rows(app: &TestApp) -> Vec<(String, String)> {
    media::table
        .order(media::id.asc())
        .select((media::path, media::mime))
        .load(&mut app.conn())
        .unwrap()
}

on_both_backends! {
    async fn a_photo_is_stored_without_where_it_was_taken_and_shown_with_its_sizes(app) {
        app.log_in_as(Role::Editor).await;
        let photo = photo_with_location();
        assert!(photo.windows(11).any(|window| window == b"GPSLatitude"), "the photo says where it was taken");
        assert!(image::load_from_memory(&photo).is_ok(), "and is a picture");
        let response = send(&app, editor_form(&app, "save", "IMG_2041.JPG", photo).await).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let rows = media_rows(&app);
        assert_eq!(rows.len(), 1);
        let (path, mime) = &rows[0];
        assert!(path.ends_with("/img-2041.jpg"), "{path}");
        assert_eq!(mime, "image/jpeg");
        let stored = app.state.media.read(path).await.unwrap().expect("the original is stored");
        assert!(!stored.windows(4).any(|window| window == b"Exif"), "no EXIF block");
        assert!(!stored.windows(11).any(|window| window == b"GPSLatitude"), "no location");
        assert!(image::load_from_memory(&stored).is_ok());

        let post = ferropress::models::post::find_public_post_by_slug(&mut app.conn(), "a-picture-post").unwrap().unwrap();
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("Words written before the picture."));
        let url = format!("/wp-content/uploads/{path}");
        let stem = url.trim_end_matches(".jpg");
        for expected in [
            format!("src=\"{url}\" width=\"1200\" height=\"900\""),
            format!("{stem}-300x225.jpg 300w"),
            format!("{stem}-768x576.jpg 768w"),
            format!("{stem}-1024x768.jpg 1024w"),
            format!("{url} 1200w"),
            "alt=\"A lumbar roll on a chair\"".to_owned(),
            "loading=\"lazy\"".to_owned(),
            "sizes=\"(max-width: 1200px) 100vw, 1200px\"".to_owned(),
        ] {
            assert!(page.contains(&expected), "{expected} in {page}");
        }
        // It is the featured image too, and what a share of the post shows.
        assert!(page.contains(&format!("<figure class=\"post-thumbnail\"><img src=\"{url}\"")), "{page}");
        assert!(page.contains(&format!("<meta property=\"og:image\" content=\"{}{url}\">", app.address)));
        // The library lists it, with the post that shows it.
        let (_, library) = app.get_page("/admin/media").await;
        assert!(library.contains(path.as_str()) && library.contains("1200 × 900"), "{library}");
        assert!(library.contains(&format!("<a href=\"/admin/posts/{}/edit\">A picture post</a>", post.id)), "{library}");
        for size in [url.clone(), format!("{stem}-150x150.jpg"), format!("{stem}-1024x768.jpg")] {
            let answer = app.get(&size).await;
            assert_eq!(answer.status(), StatusCode::OK, "{size}");
            assert_eq!(answer.headers()["content-type"], "image/jpeg");
        }
    }
}

on_both_backends! {
    async fn the_kind_comes_from_the_content_not_the_name(app) {
        app.log_in_as(Role::Editor).await;
        // A PNG named .jpg is stored as what it is.
        let response = send(&app, editor_form(&app, "upload", "chart.jpg", encoded(image::ImageFormat::Png, 400, 300)).await).await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        assert!(page.contains("The picture is uploaded and inserted at the end of the body. Save to keep it."), "{page}");
        assert!(page.contains("Words written before the picture.\n\n&#60;img src=&#34;/wp-content/uploads/"), "inserted into the body, not saved yet");
        assert_eq!(media_rows(&app).iter().map(|(path, mime)| (path.ends_with("/chart.png"), mime.as_str())).collect::<Vec<_>>(), [(true, "image/png")]);
        // Markup in a picture's name refuses to be a picture, whatever the name says.
        for (name, bytes) in [
            ("logo.png", b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec()),
            ("page.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec()),
        ] {
            let response = send(&app, editor_form(&app, "save", name, bytes).await).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            let page = response.text().await.unwrap();
            assert!(page.contains("This file is not a JPEG, PNG, GIF or WebP picture, so it cannot be uploaded."), "{name}");
            assert!(page.contains("Words written before the picture."), "the text is kept");
        }
        assert_eq!(media_rows(&app).len(), 1, "nothing stored for the refused files");
        assert!(ferropress::models::post::find_public_post_by_slug(&mut app.conn(), "a-picture-post").unwrap().is_none(), "nor the post");
    }
}

on_both_backends! {
    async fn an_oversized_upload_is_refused_with_the_text_kept(app) {
        app.log_in_as(Role::Editor).await;
        let big = vec![0xFFu8; 20 * 1024 * 1024 + 1];
        let response = send(&app, editor_form(&app, "save", "huge.jpg", big).await).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let page = response.text().await.unwrap();
        assert!(page.contains("This file is larger than 20 MB.") && page.contains("Words written before the picture."));
        assert!(media_rows(&app).is_empty());
        // Without the session's token, nothing is read or stored at all.
        let forged = Form::new().text("csrf_token", "f".repeat(64)).text("title", "Forged").part("media", Part::bytes(encoded(image::ImageFormat::Png, 10, 10)).file_name("x.png"));
        assert_eq!(send(&app, forged).await.status(), StatusCode::FORBIDDEN);
        assert!(media_rows(&app).is_empty());
    }
}
