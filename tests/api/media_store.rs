//! The media store: files answer as a file server answers them, from a
//! folder or from an S3-compatible bucket (moto's S3 server on loopback),
//! and two `serve` processes sharing a database and a bucket serve the
//! same upload.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use ferropress::config::{BucketLocation, MediaLocation, RawConfig};
use ferropress::db::schema::media;
use ferropress::db::Backend;
use ferropress::domain::Role;
use ferropress::media_store::MediaStore;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::helpers::{missing, TestApp};

/// `path` answers as a file server answers: the whole file with its type,
/// validators and a long cache; one range; `HEAD` without the bytes; `304`
/// for the copy the client has; `416` for a range past the end.
pub async fn answers_as_a_file_server(app: &TestApp, path: &str, content_type: &str) {
    let full = app.get(path).await;
    assert_eq!(full.status(), StatusCode::OK, "{path}");
    let headers = full.headers().clone();
    assert_eq!(headers["content-type"], content_type, "{path}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "public, max-age=2592000");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(headers.contains_key("last-modified"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let bytes = full.bytes().await.unwrap();
    assert!(bytes.len() > 20, "{path}");

    let ranged = app
        .client
        .get(app.url(path))
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 10-19/{}", bytes.len()).as_str()
    );
    assert_eq!(ranged.bytes().await.unwrap(), bytes[10..20]);
    let tail = app
        .client
        .get(app.url(path))
        .header("Range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), bytes[bytes.len() - 5..]);
    let past = app
        .client
        .get(app.url(path))
        .header("Range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );

    let head = app.client.head(app.url(path)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert!(head.bytes().await.unwrap().is_empty());

    let again = app
        .client
        .get(app.url(path))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    let changed = app
        .client
        .get(app.url(path))
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

/// moto's S3 server on a loopback port of its own, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// `None` (the test skips) when moto is not installed; never in CI.
    async fn start() -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            missing("an S3-compatible server (moto_server: pip install 'moto[server]')");
            return None;
        };
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/moto-api/", server.endpoint))
                .send()
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on port {port}");
    }

    async fn create_bucket(&self, bucket: &str) {
        let created = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());
    }

    /// An object as the bucket holds it, asked of the S3 server by a
    /// client of its own (objects are private: no anonymous reads).
    async fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let whole_bucket = MediaStore::open(&MediaLocation::Bucket(BucketLocation {
            bucket: bucket.to_owned(),
            prefix: String::new(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            session_token: None,
        }))
        .unwrap();
        let anonymous = reqwest::get(format!("{}/{bucket}/{key}", self.endpoint))
            .await
            .unwrap();
        assert_eq!(
            anonymous.status(),
            StatusCode::FORBIDDEN,
            "the bucket need not be public"
        );
        whole_bucket
            .read(key)
            .await
            .unwrap()
            .map(|bytes| bytes.to_vec())
    }

    /// Configuration for an app keeping its media under `site/` in `bucket`.
    fn media_in(&self, bucket: &str) -> impl Fn(&mut RawConfig) {
        let (endpoint, url) = (self.endpoint.clone(), format!("s3://{bucket}/site"));
        move |raw: &mut RawConfig| {
            raw.media_url = Some(url.clone());
            raw.s3_endpoint = Some(endpoint.clone());
            raw.s3_region = Some("us-east-1".into());
            raw.s3_access_key_id = Some("testing".into());
            raw.s3_secret_access_key = Some("testing".into());
        }
    }
}

/// A JPEG a camera might make.
fn photo() -> Vec<u8> {
    let picture = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }));
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .unwrap();
    bytes.into_inner()
}

/// Uploads a photo from the post editor of `app`; the stored original's path.
async fn upload_photo(app: &TestApp) -> String {
    app.log_in_as(Role::Editor).await;
    let form = Form::new()
        .text("csrf_token", app.csrf_token().await)
        .text("title", "From the bucket")
        .text("body", "A picture kept in a bucket.")
        .text("status", "published")
        .text("intent", "save")
        .text("media_alt", "A chair")
        .part("media", Part::bytes(photo()).file_name("chair.jpg"));
    let response = app
        .client
        .post(app.url("/admin/posts/new"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    media::table
        .order(media::id.desc())
        .select(media::path)
        .first(&mut app.conn())
        .unwrap()
}

async fn uploads_and_imports_go_to_the_bucket(backend: Backend) {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    s3.create_bucket("blog-media").await;
    let Some(app) = TestApp::spawn_with(backend, s3.media_in("blog-media")).await else {
        return;
    };

    let path = upload_photo(&app).await;
    assert!(path.ends_with("/chair.jpg"), "{path}");
    let url = format!("/wp-content/uploads/{path}");
    let in_bucket = s3
        .object("blog-media", &format!("site/{path}"))
        .await
        .expect("the original is in the bucket");
    assert_eq!(app.get(&url).await.bytes().await.unwrap(), in_bucket);
    let thumbnail = path.replace("chair.jpg", "chair-150x150.jpg");
    assert!(
        s3.object("blog-media", &format!("site/{thumbnail}"))
            .await
            .is_some(),
        "sizes go beside it"
    );
    answers_as_a_file_server(&app, &url, "image/jpeg").await;
    assert_eq!(
        app.get("/wp-content/uploads/2020/01/none.jpg")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The rich WordPress site's uploads go to the bucket too, every size of
    // every picture answering.
    let mut conn = app.conn();
    let app_media = app.state.media.clone();
    let summary = tokio::task::spawn_blocking(move || {
        let copy = tempfile::tempdir().unwrap();
        let unpacked = Command::new("tar")
            .args(["xzf", crate::wordpress_move::UPLOADS, "-C"])
            .arg(copy.path())
            .status()
            .unwrap();
        assert!(unpacked.success());
        let files = ferropress::wxr::import::MediaFiles {
            uploads: Some(copy.path().join("uploads")),
            store: app_media,
            fetch: false,
        };
        ferropress::wxr::import::import_wordpress(
            &mut conn,
            crate::wordpress_move::EXPORT.as_bytes(),
            &files,
            |_| {},
        )
        .unwrap()
    })
    .await
    .unwrap();
    app.state.sync_content_version();
    assert!(summary.missing_files.is_empty(), "{summary}");
    let rows: Vec<(String, String, String)> = media::table
        .filter(media::wp_id.is_not_null())
        .select((media::path, media::sizes, media::mime))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows.len(), 4);
    for (path, sizes, mime) in rows {
        let folder = path.rsplit_once('/').unwrap().0.to_owned();
        let sizes: Vec<serde_json::Value> = serde_json::from_str(&sizes).unwrap();
        assert!(!sizes.is_empty());
        let files = std::iter::once(path.clone()).chain(
            sizes
                .iter()
                .map(|size| format!("{folder}/{}", size["file"].as_str().unwrap())),
        );
        for file in files {
            let response = app.get(&format!("/wp-content/uploads/{file}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{file}");
            assert_eq!(response.headers()["content-type"], mime.as_str(), "{file}");
        }
    }
}

#[tokio::test]
async fn sqlite_uploads_and_imports_go_to_the_bucket() {
    uploads_and_imports_go_to_the_bucket(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn postgres_uploads_and_imports_go_to_the_bucket() {
    uploads_and_imports_go_to_the_bucket(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn two_processes_on_one_database_and_bucket_serve_the_same_upload() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    s3.create_bucket("shared-media").await;
    let Some(first) = TestApp::spawn_with(Backend::Postgres, s3.media_in("shared-media")).await
    else {
        return;
    };
    let second = first.spawn_beside_with(s3.media_in("shared-media"));
    let path = upload_photo(&first).await;
    let url = format!("/wp-content/uploads/{path}");
    let from_first = first.get(&url).await.bytes().await.unwrap();
    let answer = second.get(&url).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.bytes().await.unwrap(),
        from_first,
        "the other process serves the same file"
    );
    // And the post the other process shows has the picture's sizes.
    let post =
        ferropress::models::post::find_public_post_by_slug(&mut second.conn(), "from-the-bucket")
            .unwrap()
            .unwrap();
    let (status, page) = second.get_page(&post.permalink()).await;
    assert_eq!(status, StatusCode::OK);
    let srcset = path.replace("chair.jpg", "chair-300x225.jpg");
    assert!(page.contains(&srcset), "{page}");
    answers_as_a_file_server(
        &second,
        &format!("/wp-content/uploads/{srcset}"),
        "image/jpeg",
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_bucket_is_an_error_page_not_a_hang() {
    // Nothing listens on port 9: the request fails fast with a themed 500.
    let adjust = |raw: &mut RawConfig| {
        raw.media_url = Some("s3://nowhere-bucket/site".into());
        raw.s3_endpoint = Some("http://127.0.0.1:9".into());
        raw.s3_region = Some("us-east-1".into());
        raw.s3_access_key_id = Some("testing".into());
        raw.s3_secret_access_key = Some("testing".into());
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, adjust).await else {
        return;
    };
    let response = app.get("/wp-content/uploads/2024/01/a.jpg").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response.text().await.unwrap().contains("<html"),
        "a themed page"
    );
}
