//! Render once, serve many: cached reader pages, and the changes that must
//! show on the very next request — in this process, and in another one.

use std::time::{Duration, Instant};

use ferropress::domain::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// A GET straight to the server: no test-side synchronisation.
async fn fetch(
    client: &reqwest::Client,
    url: String,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

on_both_backends! {
    async fn cached_pages_carry_etags_and_encodings_and_answer_304(app) {
        app.publish("Cached post", "Body.", 1, &[]);
        let plain = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
        let (_, first, body) = fetch(&plain, app.url("/")).await;
        let (_, second, again) = fetch(&plain, app.url("/")).await;
        assert_eq!(body, again);
        let etag = first["etag"].to_str().unwrap().to_owned();
        assert_eq!(second["etag"], etag.as_str());
        assert!(second["content-security-policy"].to_str().unwrap().contains("default-src 'self'"), "headers kept");
        // A page with a hole filled as it is sent (the sidebar's Recent
        // Comments) goes out as gzip; others as brotli when asked.
        let spliced = plain.get(app.url("/")).header("Accept-Encoding", "br, gzip").send().await.unwrap();
        assert_eq!(spliced.headers()["content-encoding"], "gzip");
        let brotli = plain.get(app.url("/feed/")).header("Accept-Encoding", "br, gzip").send().await.unwrap();
        assert_eq!(brotli.headers()["content-encoding"], "br");
        let gzip = plain.get(app.url("/")).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(gzip.headers()["content-encoding"], "gzip");
        let not_modified = plain.get(app.url("/")).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert!(app.state.page_cache.bytes() > 0);
    }
}

on_both_backends! {
    async fn every_kind_of_change_shows_on_the_next_request(app) {
        let neck = app.create_category("Neck", "");
        let post = app.publish("Original title", "Body.", 1, &[neck.id]);
        app.log_in_as(Role::Admin).await;
        let raw = reqwest::Client::new();
        for path in ["/", "/category/neck/", post.permalink().as_str(), "/feed/"] {
            fetch(&raw, app.url(path)).await; // fill the cache
        }

        // A post edited in the panel.
        app.admin_post(&format!("/admin/posts/{}/edit", post.id), &[("title", "Edited title"), ("slug", &post.slug), ("body", "Body."), ("status", "published"), ("allow_comments", "1"), (&format!("cat_{}", neck.id), "1"), ("published_at", &chrono::DateTime::from_timestamp(post.published_at, 0).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string()), ("intent", "save")]).await;
        for path in ["/", "/category/neck/", post.permalink().as_str(), "/feed/"] {
            let (_, _, body) = fetch(&raw, app.url(path)).await;
            assert!(body.contains("Edited title") && !body.contains("Original title"), "{path}");
        }
        // A setting.
        let mut settings = vec![("site_title", "Renamed Site"), ("posts_per_page", "10"), ("link_limit", "2"), ("close_after_days", "0"), ("thread_depth", "5"), ("comments_per_minute", "5")];
        settings.push(("hold_all", "1"));
        app.admin_post("/admin/settings", &settings).await;
        assert!(fetch(&raw, app.url("/")).await.2.contains("Renamed Site"));
        // A category.
        app.admin_post(&format!("/admin/categories/{}/edit", neck.id), &[("name", "Cervical"), ("slug", "neck"), ("description", "")]).await;
        assert!(fetch(&raw, app.url(&post.permalink())).await.2.contains(">Cervical</a>"));
        // An approved comment (a held one changes nothing others see).
        let posted = app.post_comment_as_stranger(&post, &app.comment_fields("Now approved.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER, "{}", posted.text().await.unwrap());
        assert!(!fetch(&raw, app.url(&post.permalink())).await.2.contains("Now approved."));
        let id = app.comments_of(&post)[0].id;
        app.admin_post(&format!("/admin/comments/{id}/approve"), &[]).await;
        let (_, _, page) = fetch(&raw, app.url(&post.permalink())).await;
        assert!(page.contains("Now approved.") && page.contains("1 Comment"));
        assert!(fetch(&raw, app.url("/")).await.2.contains("1 Comment<span"));
        // A trashed post disappears.
        app.admin_post(&format!("/admin/posts/{}/trash", post.id), &[]).await;
        assert_eq!(fetch(&raw, app.url(&post.permalink())).await.0, StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn a_comment_retires_only_the_pages_that_show_its_post(app) {
        let neck = app.create_category("Neck", "");
        let commented = app.publish("Commented post", "Body.", 1, &[]);
        let quiet = app.publish("Quiet post", "Body.", 2, &[neck.id]);
        app.log_in_as(Role::Admin).await;
        let raw = reqwest::Client::new();
        let unaffected = [
            quiet.permalink(),
            format!("{}feed/", quiet.permalink()),
            "/category/neck/".to_owned(),
            "/feed/".to_owned(),
            "/feed/atom/".to_owned(),
            "/sitemap.xml".to_owned(),
            "/search?q=quiet".to_owned(),
        ];
        let affected = [
            commented.permalink(),
            format!("{}feed/", commented.permalink()),
            "/".to_owned(),
            "/comments/feed/".to_owned(),
            "/search?q=commented".to_owned(),
        ];
        for path in unaffected.iter().chain(&affected) {
            assert_eq!(fetch(&raw, app.url(path)).await.0, StatusCode::OK, "{path}");
        }
        let posted = app.post_comment_as_stranger(&commented, &app.comment_fields("Approved at last.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        let id = app.comments_of(&commented)[0].id;
        // The sidebar's Recent Comments on every page link to it once approved.
        let listed = format!("#comment-{id}\">Commented post</a>");
        let quiet_page = fetch(&raw, app.url(&quiet.permalink())).await;
        assert!(!quiet_page.2.contains(&listed));
        let quiet_etag = quiet_page.1["etag"].to_str().unwrap().to_owned();
        let filled = app.state.page_cache.fills();
        app.admin_post(&format!("/admin/comments/{id}/approve"), &[]).await;
        for path in &unaffected {
            let (_, _, body) = fetch(&raw, app.url(path)).await;
            if !path.contains("feed") && !path.contains("sitemap") {
                assert!(body.contains(&listed), "{path} lists the comment in its sidebar");
            }
        }
        assert_eq!(app.state.page_cache.fills(), filled, "pages not showing the post were kept");
        // A browser holding the page from before is not told it is unchanged.
        let revalidated = raw.get(app.url(&quiet.permalink())).header("If-None-Match", &quiet_etag).send().await.unwrap();
        assert_eq!(revalidated.status(), StatusCode::OK);
        assert_ne!(revalidated.headers()["etag"].to_str().unwrap(), quiet_etag);
        let gzipped = reqwest::Client::builder().no_gzip().build().unwrap().get(app.url(&quiet.permalink())).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip");
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped.bytes().await.unwrap()[..]), &mut unzipped).unwrap();
        assert!(unzipped.contains(&listed), "the gzip variant too");
        let (_, _, page) = fetch(&raw, app.url(&commented.permalink())).await;
        assert!(page.contains("Approved at last.") && page.contains("1 Comment"));
        assert!(fetch(&raw, app.url(&format!("{}feed/", commented.permalink()))).await.2.contains("Approved at last."));
        assert!(fetch(&raw, app.url("/")).await.2.contains("1 Comment<span"));
        assert!(fetch(&raw, app.url("/comments/feed/")).await.2.contains("Approved at last."));
        assert!(fetch(&raw, app.url("/search?q=commented")).await.2.contains("1 Comment<span"));
        assert_eq!(app.state.page_cache.fills(), filled + affected.len());
        // Unapproved again: gone from the same pages at once, and from every sidebar.
        app.admin_post(&format!("/admin/comments/{id}/unapprove"), &[]).await;
        assert!(!fetch(&raw, app.url(&commented.permalink())).await.2.contains("Approved at last."));
        assert!(!fetch(&raw, app.url(&quiet.permalink())).await.2.contains(&listed));
        assert!(!fetch(&raw, app.url("/comments/feed/")).await.2.contains("Approved at last."));
        // Anything else still retires every page.
        app.admin_post(&format!("/admin/categories/{}/edit", neck.id), &[("name", "Cervical"), ("slug", "neck"), ("description", "")]).await;
        assert!(fetch(&raw, app.url(&quiet.permalink())).await.2.contains(">Cervical</a>"));
    }
}

on_both_backends! {
    async fn the_recent_comments_widget_links_each_comment_to_its_page_as_threads_move(app) {
        use ferropress::models::setting::keys;
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        app.set_setting(keys::COMMENTS_PER_PAGE, "2").await;
        let busy = app.publish("Busy post", "Body.", 2, &[]);
        let other = app.publish("Other post", "Body.", 1, &[]);
        for n in 1..=3 {
            let posted = app.post_comment(&busy, &app.comment_fields(&format!("Busy {n}."))).await;
            assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        }
        let busy_ids: Vec<i64> = app.comments_of(&busy).iter().map(|comment| comment.id).collect();
        let raw = reqwest::Client::new();
        let widget = |page: String| {
            page.split("widget-recent-comments").nth(1).expect("the widget").split("</section>").next().unwrap().to_owned()
        };
        let base = busy.permalink();
        let third = |page: &str| format!("href=\"{base}{page}#comment-{}\"", busy_ids[2]);
        let shown = widget(fetch(&raw, app.url(&other.permalink())).await.2);
        assert!(shown.contains(&third("comment-page-2/")), "{shown}");
        // A comment on another post: the busy post's comments keep their pages.
        let posted = app.post_comment(&other, &app.comment_fields("Elsewhere.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        let shown = widget(fetch(&raw, app.url(&other.permalink())).await.2);
        assert!(shown.contains(&third("comment-page-2/")) && shown.contains("Other post</a>"), "{shown}");
        // The first thread trashed: the third moves to page 1, and the
        // widget follows it on every page, kept or not.
        app.log_in_as(Role::Admin).await;
        app.admin_post(&format!("/admin/comments/{}/trash", busy_ids[0]), &[]).await;
        for path in [other.permalink(), "/".to_owned()] {
            let shown = widget(fetch(&raw, app.url(&path)).await.2);
            assert!(shown.contains(&third("")) && !shown.contains("comment-page-2/"), "{path}: {shown}");
        }
        // And a comment elsewhere again leaves it there.
        let posted = app.post_comment(&other, &app.comment_fields("Elsewhere again.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        let shown = widget(fetch(&raw, app.url(&other.permalink())).await.2);
        assert!(shown.contains(&third("")), "{shown}");
    }
}

on_both_backends! {
    async fn in_a_storm_of_comments_each_commenter_sees_theirs_and_readers_soon_after(app) {
        use ferropress::models::setting::keys;
        use ferropress::page_cache::{STORM_GRACE, STORM_RENDERS};
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        let raw = reqwest::Client::new();
        let page = app.url(&post.permalink());
        assert_eq!(fetch(&raw, page.clone()).await.0, StatusCode::OK);
        let comments = STORM_RENDERS as usize + 4;
        let started = Instant::now();
        for n in 1..=comments {
            let text = format!("Storm comment {n}.");
            let posted = app.post_comment(&post, &app.comment_fields(&text)).await;
            assert_eq!(posted.status(), StatusCode::SEE_OTHER);
            // Its writer is shown it at once, whatever readers are given.
            let (_, own) = app.get_page(&post.permalink()).await;
            assert!(own.contains(&text), "comment {n} shown to its writer");
            // A reader's visit renders the page anew, or gets the copy from
            // a moment before while the post is this busy.
            let (status, _, read) = fetch(&raw, page.clone()).await;
            assert_eq!(status, StatusCode::OK);
            assert!(read.contains("Storm comment 1."), "{n}");
        }
        let stormy = started.elapsed() < ferropress::page_cache::STORM_GAP * comments as u32;
        // Staff wait for the page as it is now.
        app.log_in_as(Role::Admin).await;
        let (_, staff_view) = app.get_page(&post.permalink()).await;
        assert!(staff_view.contains(&format!("Storm comment {comments}.")));
        // And once the grace is over, every reader gets every comment.
        tokio::time::sleep(STORM_GRACE).await;
        let (_, _, read) = fetch(&raw, page).await;
        assert!(read.contains(&format!("Storm comment {comments}.")), "stormy: {stormy}");
    }
}

on_both_backends! {
    async fn a_held_comment_is_shown_to_its_author_and_never_leaks_from_the_cache(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let stranger = reqwest::Client::new();
        fetch(&stranger, app.url(&post.permalink())).await;
        app.post_comment(&post, &app.comment_fields("Only I can see this yet.")).await;
        let (_, own) = app.get_page(&post.permalink()).await;
        assert!(own.contains("Only I can see this yet.") && own.contains("awaiting moderation"));
        let (_, _, cached) = fetch(&stranger, app.url(&post.permalink())).await;
        assert!(!cached.contains("Only I can see this yet."));
        // The author's page was not stored for others either.
        let (_, _, again) = fetch(&reqwest::Client::new(), app.url(&post.permalink())).await;
        assert!(!again.contains("Only I can see this yet."));
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
async fn a_change_made_by_one_process_shows_in_another_within_a_second() {
    let Some(first) = TestApp::spawn(ferropress::db::Backend::Postgres).await else {
        return;
    };
    let second = first.spawn_beside(None);
    first.publish("Shared post", "Body.", 1, &[]);
    let raw = reqwest::Client::new();
    assert!(fetch(&raw, second.url("/")).await.2.contains("Shared post"));
    fetch(&raw, second.url("/")).await; // cached in the second process
    first.log_in_as(Role::Admin).await;
    first
        .admin_post(
            "/admin/settings",
            &[
                ("site_title", "Changed Elsewhere"),
                ("posts_per_page", "10"),
                ("link_limit", "2"),
                ("close_after_days", "0"),
                ("thread_depth", "5"),
                ("comments_per_minute", "5"),
                ("hold_all", "1"),
            ],
        )
        .await;
    let changed = Instant::now();
    loop {
        let (_, _, body) = fetch(&raw, second.url("/")).await;
        if body.contains("Changed Elsewhere") {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(1),
            "the other process still serves the old page"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A comment approved in the first process: the second retires that
    // post's pages within a second, and keeps the others.
    let commented = first.publish("Commented post", "Body.", 2, &[]);
    let quiet = first.publish("Quiet post", "Body.", 3, &[]);
    let posted = first
        .post_comment_as_stranger(&commented, &first.comment_fields("Seen elsewhere."))
        .await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let id = first.comments_of(&commented)[0].id;
    tokio::time::sleep(Duration::from_millis(500)).await; // the second catches up
    for path in [commented.permalink(), quiet.permalink()] {
        fetch(&raw, second.url(&path)).await;
    }
    let filled = second.state.page_cache.fills();
    first
        .admin_post(&format!("/admin/comments/{id}/approve"), &[])
        .await;
    let changed = Instant::now();
    loop {
        let (_, _, body) = fetch(&raw, second.url(&commented.permalink())).await;
        if body.contains("Seen elsewhere.") {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(1),
            "the other process still serves the old page"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, quiet_page) = fetch(&raw, second.url(&quiet.permalink())).await;
    assert!(
        quiet_page.contains(&format!("#comment-{id}\">Commented post</a>")),
        "its sidebar lists the comment"
    );
    assert_eq!(
        second.state.page_cache.fills(),
        filled + 1,
        "only the commented post's page was rendered again"
    );
}

on_both_backends! {
    async fn a_burst_of_first_visits_gets_one_rendering_of_the_page(app) {
        let post = app.publish("Suddenly popular", "Body.", 1, &[]);
        let plain = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
        app.state.sync_content_version();
        let fills = app.state.page_cache.fills();
        let visits: Vec<_> = (0..24)
            .map(|n| {
                let request = plain.get(app.url(&post.permalink()));
                // Some ask for brotli, some for nothing: every variant comes from the same rendering.
                let request = if n % 2 == 0 { request.header("Accept-Encoding", "br") } else { request };
                tokio::spawn(async move { request.send().await.unwrap() })
            })
            .collect();
        let mut etags = Vec::new();
        for visit in visits {
            let response = visit.await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            etags.push(response.headers()["etag"].to_str().unwrap().to_owned());
        }
        etags.dedup();
        assert_eq!(etags.len(), 1, "one rendering, one ETag: {etags:?}");
        assert_eq!(app.state.page_cache.fills(), fills + 1, "rendered into the cache once");
        let (_, _, body) = fetch(&reqwest::Client::new(), app.url(&post.permalink())).await;
        assert!(body.contains("Suddenly popular"), "a decoded brotli page is the page");
    }
}

/// The form's timing token in a page.
fn timing_token(html: &str) -> String {
    html.split("name=\"fp_ts\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a timing token")
        .to_owned()
}

on_both_backends! {
    async fn a_cached_page_gives_each_view_a_fresh_timing_token(app) {
        use std::io::Read;
        let post = app.publish("Cached form", "Body.", 1, &[]);
        let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let first = plain.get(app.url(&post.permalink())).send().await.unwrap().text().await.unwrap();
        let old_token = timing_token(&first);
        let fills = app.state.page_cache.fills();
        // The cached page is now older than a person takes to type.
        tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
        let zipped = plain.get(app.url(&post.permalink())).header("Accept-Encoding", "gzip, br").send().await.unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "a form page goes out as gzip");
        assert!(zipped.headers()["etag"].to_str().unwrap().starts_with("W/\""));
        let mut second = String::new();
        flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..]).read_to_string(&mut second).expect("valid gzip");
        assert_eq!(app.state.page_cache.fills(), fills, "served from the cache");
        let fresh_token = timing_token(&second);
        assert_ne!(fresh_token, old_token);
        assert_eq!(second.replace(&fresh_token, &old_token), first, "the same page but for its token");
        // Sent at once with this view's token: too fast, though the page is old.
        let mut fields = app.comment_fields("Posted the instant the page arrived.");
        fields[5].1 = fresh_token;
        assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        // With the first view's token, seconds old: a person's pace, held as usual.
        let mut fields = app.comment_fields("Posted after reading the page.");
        fields[5].1 = old_token;
        assert_eq!(app.post_comment_as_stranger(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        let status_of = |text: &str| app.comments_of(&post).into_iter().find(|comment| comment.body_source == text).unwrap().status;
        assert_eq!(status_of("Posted the instant the page arrived."), ferropress::domain::CommentStatus::Spam);
        assert_eq!(status_of("Posted after reading the page."), ferropress::domain::CommentStatus::Pending);
    }
}

on_both_backends! {
    async fn repeated_searches_come_from_the_cache_bounded_and_retired_with_the_posts(app) {
        app.publish("Neck pain at the desk", "Sitting and the neck.", 2, &[]);
        let plain = reqwest::Client::new();
        let search = |query: &str| plain.get(app.url(&format!("/search?{query}"))).send();
        let first = search("q=neck").await.unwrap().text().await.unwrap();
        assert!(first.contains("Neck pain at the desk"));
        let fills = app.state.page_cache.fills();
        let again = search("q=neck").await.unwrap().text().await.unwrap();
        assert_eq!(again, first);
        assert_eq!(app.state.page_cache.fills(), fills, "the repeat came from the cache");
        // A new post retires it: the next search finds both.
        app.publish("Neck stretches", "For the neck.", 1, &[]);
        let after = search("q=neck").await.unwrap().text().await.unwrap();
        assert!(after.contains("Neck stretches") && after.contains("Neck pain at the desk"), "{after}");
        // Other parameters are answered, never kept.
        let fills = app.state.page_cache.fills();
        let tracked = search("q=neck&utm_source=mail").await.unwrap();
        assert_eq!(tracked.status(), StatusCode::OK);
        assert_eq!(app.state.page_cache.fills(), fills);
        // Any query can be asked: the cache keeps at most so many.
        for n in 0..(ferropress::page_cache::MAX_SEARCH_PAGES + 20) {
            assert_eq!(search(&format!("q=word{n}")).await.unwrap().status(), StatusCode::OK);
        }
        assert_eq!(app.state.page_cache.search_pages(), ferropress::page_cache::MAX_SEARCH_PAGES);
    }
}

on_both_backends! {
    async fn answers_not_kept_are_compressed_whole_and_only_when_smaller(app) {
        let post = app.publish("Uncached post", &"Words that repeat and repeat. ".repeat(200), 1, &[]);
        let plain = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
        // A query keeps the page out of the cache: compressed on its way out.
        let path = format!("{}?utm_source=feed", post.permalink());
        let identity = plain.get(app.url(&path)).send().await.unwrap();
        assert!(identity.headers().get("content-encoding").is_none());
        assert!(identity.headers()["vary"].to_str().unwrap().to_lowercase().contains("accept-encoding"));
        let identity = identity.text().await.unwrap();
        for encoding in ["gzip", "br"] {
            let answer = plain.get(app.url(&path)).header("Accept-Encoding", encoding).send().await.unwrap();
            assert_eq!(answer.headers()["content-encoding"], encoding);
            let length: usize = answer.headers()["content-length"].to_str().unwrap().parse().unwrap();
            let bytes = answer.bytes().await.unwrap();
            assert_eq!(bytes.len(), length, "sent whole, with its length");
            assert!(bytes.len() * 3 < identity.len(), "{encoding}: {} of {}", bytes.len(), identity.len());
            let decoded = match encoding {
                "gzip" => {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
                    text
                }
                _ => {
                    let mut out = Vec::new();
                    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
                    String::from_utf8(out).unwrap()
                }
            };
            // The same page but for the form's timing token.
            assert_eq!(decoded.len(), identity.len());
        }
        // Too small to be worth it: sent as is.
        let small = plain.get(app.url("/healthz")).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert!(small.headers().get("content-encoding").is_none());
    }
}

on_both_backends! {
    async fn while_a_touched_page_is_rendered_anew_readers_get_the_copy_before(app) {
        let post = app.publish("Busy post", "Body.", 1, &[]);
        app.log_in_as(Role::Admin).await;
        let raw = reqwest::Client::new();
        fetch(&raw, app.url(&post.permalink())).await;
        let posted = app.post_comment_as_stranger(&post, &app.comment_fields("Approved just now.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        let id = app.comments_of(&post)[0].id;
        app.admin_post(&format!("/admin/comments/{id}/approve"), &[]).await;
        // Someone is rendering the page anew (the test holds their turn).
        let turn = app.state.page_cache.try_fill_turn(&post.permalink()).expect("nobody else renders");
        let (status, _, body) = tokio::time::timeout(Duration::from_secs(5), fetch(&raw, app.url(&post.permalink())))
            .await
            .expect("a reader is not kept waiting");
        assert_eq!(status, StatusCode::OK);
        assert!(!body.contains("Approved just now."), "the copy from before");
        // Staff, who may have just made the change, wait for the new page.
        let staff = {
            let client = app.client.clone();
            let url = app.url(&post.permalink());
            tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!staff.is_finished(), "staff wait for the page being rendered");
        drop(turn);
        assert!(staff.await.unwrap().contains("Approved just now."));
        assert!(fetch(&raw, app.url(&post.permalink())).await.2.contains("Approved just now."));

        // A reader whose comment is published at once sees it at once,
        // even while others are still given the copy from before.
        app.approve_comments_automatically().await;
        let reader = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        fetch(&reader, app.url(&post.permalink())).await;
        let posted = reader.post(app.url(&post.permalink())).form(&app.comment_fields("Published at once.")).send().await.unwrap();
        assert_eq!(posted.status(), StatusCode::SEE_OTHER, "{}", posted.text().await.unwrap());
        let turn = app.state.page_cache.try_fill_turn(&post.permalink()).expect("nobody else renders");
        let (_, _, body) = tokio::time::timeout(Duration::from_secs(5), fetch(&raw, app.url(&post.permalink())))
            .await
            .expect("a reader is not kept waiting");
        assert!(!body.contains("Published at once."));
        assert!(fetch(&reader, app.url(&post.permalink())).await.2.contains("Published at once."));
        drop(turn);
        assert!(fetch(&raw, app.url(&post.permalink())).await.2.contains("Published at once."));
    }
}

on_both_backends! {
    async fn a_touched_page_that_cannot_be_rendered_now_is_the_copy_before(app) {
        let post = app.publish("Crowded post", "Body.", 1, &[]);
        app.approve_comments_automatically().await;
        let raw = reqwest::Client::new();
        assert_eq!(fetch(&raw, app.url(&post.permalink())).await.0, StatusCode::OK);
        let posted = app.post_comment_as_stranger(&post, &app.comment_fields("Published during a flood.")).await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        // Every render turn taken, as by a flood of pages rendered anew.
        let turns = ferropress::state::renders_at_once() as u32;
        let taken = app.state.renders.acquire_many(turns).await.expect("turns");
        let (status, _, body) = fetch(&raw, app.url(&post.permalink())).await;
        assert_eq!(status, StatusCode::OK, "the copy from before, not a 503");
        assert!(body.contains("Crowded post") && !body.contains("Published during a flood."));
        // A page never rendered has no copy: the reader is asked to come back.
        let other = app.publish("Never shown", "Body.", 1, &[]);
        let (status, headers, _) = fetch(&raw, app.url(&other.permalink())).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["retry-after"], "5");
        drop(taken);
        assert!(fetch(&raw, app.url(&post.permalink())).await.2.contains("Published during a flood."));
        assert_eq!(fetch(&raw, app.url(&other.permalink())).await.0, StatusCode::OK);
    }
}

on_both_backends! {
    async fn comments_published_together_move_the_version_once_and_retire_each_post(app) {
        // As a group commit writes them: several approved comments in one
        // transaction (on PostgreSQL each one's bookkeeping is one statement).
        use diesel::prelude::*;
        use ferropress::db::schema::posts;
        use ferropress::db::AnyConnection;
        use ferropress::models::comment::{create_comment, CreateCommentError};
        use ferropress::models::retirement::{current_version, since};
        let first = app.publish("First", "Body.", 1, &[]);
        let second = app.publish("Second", "Body.", 2, &[]);
        let publish = |conn: &mut AnyConnection, post_ids: &[i64]| {
            conn.transaction(|conn| {
                for post_id in post_ids {
                    create_comment(conn, &crate::helpers::new_comment(*post_id, None, true))?;
                }
                Ok::<_, CreateCommentError>(())
            })
            .unwrap();
        };
        // What a cache at `version` retires: the posts, nothing more.
        let retired = |conn: &mut AnyConnection, version: i64| -> Vec<i64> {
            let changes = since(conn, version).unwrap();
            assert!(!changes.everything);
            changes.posts
        };
        // On PostgreSQL the version moves once per transaction; on SQLite
        // once per change.
        let postgres = matches!(&mut *app.conn(), AnyConnection::Postgresql(_));
        let counts = |conn: &mut AnyConnection, post_id: i64| -> (i64, i64) {
            posts::table
                .find(post_id)
                .select((posts::comment_count, posts::thread_count))
                .first(conn)
                .unwrap()
        };
        let mut conn = app.conn();
        let before = current_version(&mut conn).unwrap();
        publish(&mut conn, &[first.id, first.id, second.id]);
        let between = current_version(&mut conn).unwrap();
        assert_eq!(between - before, if postgres { 1 } else { 3 });
        assert_eq!(retired(&mut conn, before), vec![first.id, second.id]);
        assert_eq!(counts(&mut conn, first.id), (2, 2));
        assert_eq!(counts(&mut conn, second.id), (1, 1));
        publish(&mut conn, &[second.id]);
        assert_eq!(current_version(&mut conn).unwrap(), between + 1);
        assert_eq!(retired(&mut conn, between), vec![second.id]);
        assert_eq!(counts(&mut conn, second.id), (2, 2));
        // Kept prepared on PostgreSQL: one statement for all four comments.
        if let AnyConnection::Postgresql(pg) = &mut *conn {
            #[derive(diesel::QueryableByName)]
            struct Prepared {
                #[diesel(sql_type = diesel::sql_types::Text)]
                statement: String,
            }
            let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
                .load::<Prepared>(pg)
                .unwrap()
                .into_iter()
                .map(|row| row.statement)
                .filter(|statement| statement.starts_with("WITH bumped"))
                .collect();
            assert_eq!(prepared.len(), 1, "{prepared:#?}");
        }
    }
}

/// What every published comment writes besides itself — the content
/// version, the record of what it retires — is prepared once per
/// connection on PostgreSQL: diesel parses an `UPDATE` or an upsert anew at
/// every execution, and these run with every comment.
#[test]
fn a_published_comments_bookkeeping_is_prepared_once_per_connection() {
    use diesel::prelude::*;
    use ferropress::db::AnyConnection;
    let Some(url) = crate::helpers::fresh_postgres_url() else {
        return;
    };
    let mut conn = AnyConnection::Postgresql(diesel::PgConnection::establish(&url).unwrap());
    ferropress::db::run_migrations(&mut conn).unwrap();
    for _ in 0..3 {
        conn.transaction(|conn| ferropress::models::setting::comments_changed(conn, 7))
            .unwrap();
    }
    #[derive(diesel::QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement: String,
    }
    let AnyConnection::Postgresql(pg) = &mut conn else {
        unreachable!()
    };
    let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
        .load::<Prepared>(pg)
        .unwrap()
        .into_iter()
        .map(|row| row.statement)
        .collect();
    for start in ["UPDATE settings", "INSERT INTO page_retirements"] {
        let kept = prepared
            .iter()
            .filter(|statement| statement.starts_with(start))
            .count();
        assert_eq!(kept, 1, "{start}: {prepared:#?}");
    }
    let version = ferropress::models::retirement::current_version(&mut conn).unwrap();
    let changes = ferropress::models::retirement::since(&mut conn, version - 3).unwrap();
    assert_eq!((changes.everything, changes.posts), (false, vec![7]));
}
