//! The second WordPress fixture (a blog built differently from the rich
//! one): its ids, its title and timezone, its media shortcodes, and a
//! commenter who typed their address as their name.

use reqwest::StatusCode;

use crate::protected_posts::import_second_site;

on_both_backends! {
    async fn wordpress_ids_answer_with_what_wordpress_answered_and_nothing_else(app) {
        let summary = import_second_site(&app);
        assert_eq!(summary.tags, 2, "{summary}");
        // A page's id through `?p=`, as WordPress takes it.
        assert_eq!(app.redirect_target("/?p=16").await, "/secret-page/");
        assert_eq!(app.redirect_target("/?page_id=16").await, "/secret-page/");
        // Any of WordPress's id parameters names any kind of object, as there.
        assert_eq!(app.redirect_target("/?page_id=10").await, "/first-snow-on-the-pass/");
        assert_eq!(app.redirect_target("/?attachment_id=16").await, "/secret-page/");
        assert_eq!(app.redirect_target("/?tag_id=4").await, "/keyword/routes/");
        assert_eq!(app.redirect_target("/?cat=2").await, "/topics/trails/");
        assert_eq!(app.redirect_target("/?author=1").await, "/author/walker/");
        // A private post's id, and ids WordPress never had: nothing, never
        // a post of ours that happens to have that number.
        for id in [12, 1, 2, 3, 7, 99] {
            let (status, _) = app.get_page_as_stranger(&format!("/?p={id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "?p={id}");
        }
        let (status, _) = app.get_page_as_stranger("/?tag_id=99").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn a_native_site_answers_its_own_ids(app) {
        let post = app.publish("Our own", "Words.", 1, &[]);
        assert_eq!(app.redirect_target(&format!("/?p={}", post.id)).await, post.permalink());
    }
}

on_both_backends! {
    async fn the_site_keeps_its_title_tagline_and_timezone(app) {
        let summary = import_second_site(&app);
        assert_eq!(summary.site_title.as_deref(), Some("Walking the Alps"), "{summary}");
        assert_eq!(summary.timezone.as_deref(), Some("Europe/Zurich"), "{summary}");
        let text = summary.to_string();
        assert!(text.contains("site title set to “Walking the Alps”"), "{text}");
        assert!(text.contains("timezone set to Europe/Zurich"), "{text}");
        app.state.reload_site().await.unwrap();
        let (_, front) = app.get_page("/").await;
        assert!(front.contains("<title>Walking the Alps – Notes from the trail &#38; the huts</title>"), "{front}");
        // A second import changes neither, and a title set by hand stays.
        app.set_setting("site_title", "My own name").await;
        let again = import_second_site(&app);
        assert_eq!((again.site_title, again.timezone), (None, None));
        app.state.reload_site().await.unwrap();
        let (_, front) = app.get_page("/").await;
        assert!(front.contains("My own name"), "{front}");
    }
}

on_both_backends! {
    async fn audio_video_and_embeds_show_as_players_and_links(app) {
        import_second_site(&app);
        let post = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 14).unwrap().unwrap();
        let (status, page) = app.get_page(&post.permalink()).await;
        assert_eq!(status, StatusCode::OK);
        for leftover in ["[audio", "[video", "[embed", "[/", "<iframe"] {
            assert!(!page.contains(leftover), "{leftover} shown");
        }
        assert!(page.contains("<audio class=\"wp-audio-shortcode\" controls="), "{page}");
        assert!(page.contains("src=\"/wp-content/uploads/2023/04/valley.mp3\""), "{page}");
        assert!(page.contains("<video class=\"wp-video-shortcode\" controls="), "{page}");
        assert!(page.contains("href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\""), "{page}");
        assert!(page.contains("href=\"https://vimeo.com/76979871\""), "{page}");
        let (_, feed) = app.get_page("/feed/").await;
        assert!(!feed.contains("[audio") && !feed.contains("[embed"));
    }
}

on_both_backends! {
    async fn a_name_that_is_an_email_address_shows_only_its_local_part(app) {
        import_second_site(&app);
        let post = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 10).unwrap().unwrap();
        let mut pages = Vec::new();
        for path in [post.permalink(), "/".to_owned(), "/comments/feed/".to_owned(), format!("{}feed/", post.permalink())] {
            let (status, body) = app.get_page_as_stranger(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!body.contains("walker.jones@example.net"), "{path} shows the address:\n{body}");
            assert!(!body.contains("example.net"), "{path} shows the domain");
            pages.push(body);
        }
        assert!(pages[0].contains("walker.jones"), "the comment is signed by the local part");
        assert!(pages[1].contains("walker.jones"), "and so is the sidebar's entry");
        assert!(pages[2].contains("walker.jones"), "and the comments feed's");
    }
}

on_both_backends! {
    async fn a_renamed_posts_old_slug_and_the_search_feed_answer(app) {
        import_second_site(&app);
        let post = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 15).unwrap().unwrap();
        // WordPress's address with the slug before the rename, and ours.
        assert_eq!(app.redirect_target("/an-old-walk/").await, post.permalink());
        assert_eq!(app.redirect_target("/2023/05/20/an-old-walk/").await, post.permalink());
        // The search feed, at WordPress's addresses.
        for path in ["/search/renamed/feed/rss2/", "/search/renamed/feed/"] {
            let response = app.get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/rss+xml"));
            let body = response.text().await.unwrap();
            assert!(body.contains("<title>A walk renamed</title>"), "{body}");
            assert!(body.contains("Search Results for “renamed”"), "{body}");
        }
        let (_, nothing) = app.get_page("/search/ZANZIBARQUOKKA/feed/rss2/").await;
        assert!(!nothing.contains("<item>"), "a protected post's words find nothing: {nothing}");
        assert_eq!(app.redirect_target("/search/lumbar+x-ray/").await, "/search?q=lumbar%20x-ray");
    }
}

on_both_backends! {
    async fn wordpress_comment_anchors_still_find_their_comments(app) {
        import_second_site(&app);
        let post = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 10).unwrap().unwrap();
        let comments = app.comments_of(&post);
        assert_eq!(comments.iter().map(|comment| comment.id).collect::<Vec<_>>(), [21], "WordPress's comment id kept");
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains("id=\"comment-21\""), "{page}");
        // A comment made here afterwards takes a free id.
        app.approve_comments_automatically().await;
        let response = crate::helpers::fresh_client().post(app.url(&post.permalink())).form(&app.comment_fields("Later.")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let ids: Vec<i64> = app.comments_of(&post).iter().map(|comment| comment.id).collect();
        assert_eq!(ids.len(), 2);
        assert!(ids[1] > 22, "{ids:?}");
    }
}

on_both_backends! {
    async fn asides_show_without_a_title_and_have_their_archive(app) {
        import_second_site(&app);
        let aside = ferropress::models::post::find_post_by_wp_id(&mut app.conn(), 13).unwrap().unwrap();
        assert_eq!((aside.post_format.as_str(), aside.title.as_str()), ("aside", ""));
        assert_eq!(aside.permalink(), "/13/", "where WordPress had it");
        let (status, page) = app.get_page("/13/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("class=\"post post-full format-aside\""), "{page}");
        assert!(page.contains("<h1 class=\"screen-reader-text\">March 5, 2023</h1>"), "named by its date: {page}");
        assert!(!page.contains("<h1 class=\"entry-title\"></h1>"));
        let (status, archive) = app.get_page("/type/aside/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(archive.contains("Asides") && archive.contains("the hut is open again"), "{archive}");
        assert!(!archive.contains("The pass closed early"), "standard posts are not asides");
        assert!(archive.contains("format-aside"));
        let (status, feed) = app.get_page("/type/aside/feed/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(feed.contains("/13/"), "{feed}");
        assert_eq!(app.get("/type/audio/").await.status(), StatusCode::OK, "the audio post");
        for missing in ["/type/novel/", "/type/novel/feed/", "/type/aside/page/9/"] {
            assert_eq!(app.get(missing).await.status(), StatusCode::NOT_FOUND, "{missing}");
        }
    }
}

on_both_backends! {
    async fn a_post_in_pages_shows_each_at_wordpresss_address(app) {
        import_second_site(&app);
        let (status, first) = app.get_page("/a-three-day-traverse/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(first.contains("FIRSTDAYWORD") && !crate::helpers::main_content(&first).contains("SECONDDAYWORD"), "{first}");
        assert!(first.contains("Pages: <span aria-current=\"page\">1</span> <a href=\"/a-three-day-traverse/2/\">2</a> <a href=\"/a-three-day-traverse/3/\">3</a>"), "{first}");
        let (status, second) = app.get_page("/a-three-day-traverse/2/").await;
        assert_eq!(status, StatusCode::OK);
        let shown = crate::helpers::main_content(&second);
        assert!(shown.contains("SECONDDAYWORD") && !shown.contains("FIRSTDAYWORD") && !shown.contains("THIRDDAYWORD"), "{second}");
        assert!(second.contains("/a-three-day-traverse/2/\">"), "its own canonical address");
        let (_, third) = app.get_page("/a-three-day-traverse/3/").await;
        assert!(third.contains("THIRDDAYWORD"));
        assert_eq!(app.redirect_target("/a-three-day-traverse/1/").await, "/a-three-day-traverse/");
        assert_eq!(app.get("/a-three-day-traverse/4/").await.status(), StatusCode::NOT_FOUND);
        // Listings show its first page; no marker anywhere.
        let (_, front) = app.get_page("/").await;
        assert!(!front.contains("SECONDDAYWORD") && !front.contains("nextpage"));
    }
}

/// A site whose one picture WordPress scaled down (`-scaled`, WordPress
/// 5.3+), with the upload it was made from.
const SCALED_EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Summits</title><link>http://127.0.0.3:8084</link>
<item>
<title><![CDATA[summit]]></title><link>http://127.0.0.3:8084/summit/</link>
<wp:post_id>50</wp:post_id><wp:post_date><![CDATA[2023-04-02 10:00:00]]></wp:post_date><wp:post_date_gmt><![CDATA[2023-04-02 08:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[summit]]></wp:post_name><wp:status><![CDATA[inherit]]></wp:status><wp:post_parent>51</wp:post_parent><wp:post_type><![CDATA[attachment]]></wp:post_type>
<wp:attachment_url><![CDATA[http://127.0.0.3:8084/wp-content/uploads/2023/04/summit-scaled.png]]></wp:attachment_url>
<wp:postmeta><wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key><wp:meta_value><![CDATA[2023/04/summit-scaled.png]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_wp_attachment_metadata]]></wp:meta_key><wp:meta_value><![CDATA[a:5:{s:5:"width";i:256;s:6:"height";i:128;s:4:"file";s:25:"2023/04/summit-scaled.png";s:5:"sizes";a:1:{s:6:"medium";a:4:{s:4:"file";s:18:"summit-128x64.png";s:5:"width";i:128;s:6:"height";i:64;s:9:"mime-type";s:9:"image/png";}}s:14:"original_image";s:10:"summit.png";}]]></wp:meta_value></wp:postmeta>
</item>
<item>
<title><![CDATA[On the summit]]></title><link>http://127.0.0.3:8084/2023/04/02/on-the-summit/</link>
<content:encoded><![CDATA[<!-- wp:image {"id":50} --><figure class="wp-block-image size-large"><img src="http://127.0.0.3:8084/wp-content/uploads/2023/04/summit-scaled.png" alt="The summit" class="wp-image-50"/></figure><!-- /wp:image -->]]></content:encoded>
<wp:post_id>51</wp:post_id><wp:post_date><![CDATA[2023-04-02 10:00:00]]></wp:post_date><wp:post_date_gmt><![CDATA[2023-04-02 08:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[on-the-summit]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
</item>
</channel>
</rss>"#;

on_both_backends! {
    async fn a_scaled_pictures_original_comes_along_and_content_images_get_srcset(app) {
        let uploads = tempfile::tempdir().unwrap();
        let folder = uploads.path().join("2023/04");
        std::fs::create_dir_all(&folder).unwrap();
        for (name, width, height) in [("summit.png", 512, 256), ("summit-scaled.png", 256, 128), ("summit-128x64.png", 128, 64)] {
            image::RgbImage::new(width, height).save(folder.join(name)).unwrap();
        }
        let files = ferropress::wxr::import::MediaFiles {
            uploads: Some(uploads.path().to_owned()),
            store: app.state.media.clone(),
            fetch: false,
        };
        let summary = ferropress::wxr::import::import_wordpress(&mut app.conn(), SCALED_EXPORT.as_bytes(), &files, |_| {}).unwrap();
        app.state.sync_content_version();
        assert!(summary.missing_files.is_empty(), "{summary}");
        let response = app.get("/wp-content/uploads/2023/04/summit.png").await;
        assert_eq!(response.status(), StatusCode::OK, "the original is in the library");
        let (_, page) = app.get_page("/2023/04/02/on-the-summit/").await;
        let srcset = page.split("srcset=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a srcset");
        for candidate in ["summit-128x64.png 128w", "summit-scaled.png 256w", "summit.png 512w"] {
            assert!(srcset.contains(candidate), "{candidate} in {srcset}");
        }
        assert!(page.contains("sizes=\"(max-width: 256px) 100vw, 256px\""), "{page}");
    }
}
