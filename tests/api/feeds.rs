//! SPEC §2: feeds, search and the sitemap.

use ferropress::domain::Role;
use ferropress::models::post::NewPost;
use reqwest::StatusCode;

async fn body_of(
    app: &crate::helpers::TestApp,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.get(path).await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

on_both_backends! {
    async fn post_feeds_parse_with_absolute_links_and_dates(app) {
        let neck = app.create_category("Neck", "Necks.");
        app.publish("First post", "The *first* body.", 2, &[neck.id]);
        app.publish("Second post", "The second body.", 1, &[]);
        let mut draft = NewPost::published("Secret draft", "Hidden.");
        draft.status = ferropress::domain::PostStatus::Draft;
        app.create_post(draft);

        let (status, headers, xml) = body_of(&app, "/feed/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/rss+xml; charset=utf-8");
        let channel = rss::Channel::read_from(xml.as_bytes()).expect("valid RSS");
        assert_eq!(channel.items().len(), 2);
        assert_eq!(channel.items()[0].title(), Some("Second post"));
        for item in channel.items() {
            let link = item.link().unwrap();
            assert!(link.starts_with(&app.address) && link.ends_with('/'), "{link}");
            chrono::DateTime::parse_from_rfc2822(item.pub_date().unwrap()).expect("RFC 822 date");
        }
        assert!(channel.items()[1].content().unwrap().contains("<em>first</em>"));
        assert_eq!(channel.items()[1].categories()[0].name(), "Neck");
        assert!(!xml.contains("Secret draft"));

        let (_, headers, atom_xml) = body_of(&app, "/feed/atom/").await;
        assert_eq!(headers["content-type"], "application/atom+xml; charset=utf-8");
        let feed = atom_syndication::Feed::read_from(atom_xml.as_bytes()).expect("valid Atom");
        assert_eq!(feed.entries().len(), 2);
        assert!(feed.entries()[0].links()[0].href().starts_with(&app.address));
        assert!(atom_xml.contains(&feed.entries()[0].updated().to_rfc3339()), "RFC 3339 dates");

        let (_, _, category_xml) = body_of(&app, "/category/neck/feed/").await;
        let category = rss::Channel::read_from(category_xml.as_bytes()).unwrap();
        assert_eq!(category.items().len(), 1);
        assert_eq!(app.get("/category/nothing/feed/").await.status(), StatusCode::NOT_FOUND);

        // Pages announce their feeds.
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"ferropress » Feed\" href=\"/feed/\">"));
        let (_, category_page) = app.get_page("/category/neck/").await;
        assert!(category_page.contains("href=\"/category/neck/feed/\""));
    }
}

on_both_backends! {
    async fn feeds_answer_304_when_nothing_changed(app) {
        app.publish("A post", "Body.", 1, &[]);
        let (_, headers, _) = body_of(&app, "/feed/").await;
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let last_modified = headers["last-modified"].to_str().unwrap().to_owned();
        let again = app.client.get(app.url("/feed/")).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(again.text().await.unwrap().is_empty());
        let since = app.client.get(app.url("/feed/")).header("If-Modified-Since", &last_modified).send().await.unwrap();
        assert_eq!(since.status(), StatusCode::NOT_MODIFIED);
        app.publish("A newer post", "Body.", 0, &[]);
        let changed = app.client.get(app.url("/feed/")).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
    }
}

on_both_backends! {
    async fn comment_feeds_list_approved_comments_without_emails(app) {
        app.approve_comments_automatically().await;
        let post = app.publish("Discussed", "Body.", 1, &[]);
        app.post_comment(&post, &app.comment_fields("A public thought.")).await;
        app.set_setting(ferropress::models::setting::keys::HOLD_ALL, "1").await;
        app.post_comment(&post, &app.comment_fields("A held thought.")).await;
        for path in ["/comments/feed/".to_owned(), format!("{}feed/", post.permalink())] {
            let (status, _, xml) = body_of(&app, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let channel = rss::Channel::read_from(xml.as_bytes()).unwrap();
            assert_eq!(channel.items().len(), 1, "{path}");
            assert_eq!(channel.items()[0].title(), Some("Comment on Discussed by Ann Reader"));
            assert!(channel.items()[0].link().unwrap().starts_with(&app.address));
            assert!(!xml.contains("ann.reader@example.com") && !xml.contains("held thought"), "{path}");
        }
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains(&format!("href=\"{}feed/\"", post.permalink())));
    }
}

on_both_backends! {
    async fn each_comment_feed_link_leads_to_the_comment_page_that_shows_it(app) {
        use ferropress::models::setting::keys;
        app.approve_comments_automatically().await;
        app.set_setting(keys::COMMENTS_PER_MINUTE, "0").await;
        app.set_setting(keys::COMMENTS_PER_PAGE, "2").await;
        let post = app.publish("A busy post", "Body.", 1, &[]);
        let other = app.publish("A quiet post", "Body.", 2, &[]);
        for n in 1..=5 {
            let fields = app.comment_fields(&format!("Thread {n}."));
            assert_eq!(app.post_comment(&post, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        // A reply to the first thread stays on its page.
        let first = app.comments_of(&post)[0].id;
        let mut reply = app.comment_fields("A reply to thread 1.");
        reply.iter_mut().find(|(name, _)| *name == "parent").unwrap().1 = first.to_string();
        assert_eq!(app.post_comment(&post, &reply).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.post_comment(&other, &app.comment_fields("Elsewhere.")).await.status(), StatusCode::SEE_OTHER);
        for path in ["/comments/feed/".to_owned(), format!("{}feed/", post.permalink())] {
            let (status, _, xml) = body_of(&app, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let channel = rss::Channel::read_from(xml.as_bytes()).unwrap();
            let links: Vec<String> = channel.items().iter().map(|item| item.link().unwrap().to_owned()).collect();
            assert_eq!(links.len(), if path.starts_with("/comments") { 7 } else { 6 }, "{path}");
            assert!(links.iter().any(|link| link.contains("/comment-page-3/#comment-")), "{path}: {links:?}");
            for link in links {
                let (page, anchor) = link.strip_prefix(&app.address).unwrap().split_once('#').unwrap();
                let (status, html) = app.get_page(page).await;
                assert_eq!(status, StatusCode::OK, "{link}");
                assert!(html.contains(&format!("id=\"{anchor}\"")), "{link} is not on {page}");
            }
        }
    }
}

on_both_backends! {
    async fn comment_feeds_list_the_newest_comments_by_time_not_by_number(app) {
        use diesel::prelude::*;
        use ferropress::db::schema::comments;
        // An import keeps each comment's time but numbers the comments in
        // the order of the file: here the first numbered is the newest.
        app.approve_comments_automatically().await;
        let post = app.publish("Discussed", "Body.", 3, &[]);
        let other = app.publish("Elsewhere", "Body.", 3, &[]);
        for (on, text) in [(&post, "Said last."), (&other, "Said in between."), (&post, "Said first.")] {
            let mut fields = app.comment_fields(text);
            fields[2].1 = format!("{}@example.com", text.len());
            assert_eq!(app.post_comment(on, &fields).await.status(), StatusCode::SEE_OTHER);
        }
        let mut ids: Vec<i64> = comments::table.select(comments::id).order(comments::id).load(&mut app.conn()).unwrap();
        ids.sort_unstable();
        let an_hour_ago = ferropress::models::now() - 3_600;
        for (at, id) in ids.iter().rev().enumerate() {
            diesel::update(comments::table.find(id))
                .set(comments::created_at.eq(an_hour_ago + at as i64 * 60))
                .execute(&mut app.conn())
                .unwrap();
        }
        let said = |xml: &str| -> Vec<String> {
            rss::Channel::read_from(xml.as_bytes()).unwrap().items().iter()
                .map(|item| item.description().unwrap_or_default().trim().to_owned())
                .collect()
        };
        let (_, _, site) = body_of(&app, "/comments/feed/").await;
        assert_eq!(said(&site), ["Said last.", "Said in between.", "Said first."]);
        let (_, _, one) = body_of(&app, &format!("{}feed/", post.permalink())).await;
        assert_eq!(said(&one), ["Said last.", "Said first."]);
    }
}

on_both_backends! {
    async fn search_finds_body_words_and_ranks_title_hits_first(app) {
        app.publish("Knee injections explained", "Steroids help the knee.", 5, &[]);
        app.publish("A note on shoulders", "Rhizotomy is rarely used for a shoulder; for the knee it helps.", 4, &[]);
        app.publish("Rhizotomy outcomes", "What to expect afterwards.", 3, &[]);
        let mut draft = NewPost::published("Rhizotomy draft", "Unpublished rhizotomy notes.");
        draft.status = ferropress::domain::PostStatus::Draft;
        app.create_post(draft);

        let (status, html) = app.get_page("/search?q=rhizotomy").await;
        assert_eq!(status, StatusCode::OK);
        let html = crate::helpers::main_content(&html);
        let title_hit = html.find("Rhizotomy outcomes").expect("title match found");
        let body_hit = html.find("A note on shoulders").expect("body match found");
        assert!(title_hit < body_hit, "a title hit ranks first");
        assert!(!html.contains("Rhizotomy draft") && !html.contains("Knee injections"));
        assert!(html.contains(r#"<p class="search-count" role="status">2 results</p>"#), "how many were found");

        let (_, knee) = app.get_page("/search?q=knee+steroids").await;
        let knee = crate::helpers::main_content(&knee);
        assert!(knee.contains("Knee injections explained") && !knee.contains("A note on shoulders"), "every word must match");
        let (_, none) = app.get_page("/search?q=zebra").await;
        assert!(none.contains("Nothing Found"));
        let (status, tricky) = app.get_page("/search?q=%22%3Cscript%3Ealert(1)%3C%2Fscript%3E+OR+*").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!tricky.contains("<script>alert(1)") && tricky.contains("&#60;script&#62;"), "the query is echoed escaped");
        assert_eq!(app.redirect_target("/?s=rhizotomy").await, "/search?q=rhizotomy");

        // Editing a post re-indexes it.
        app.log_in_as(Role::Editor).await;
        let id = app.get_page("/").await.1.split("id=\"post-").nth(1).unwrap().split('"').next().unwrap().to_owned();
        app.admin_post(&format!("/admin/posts/{id}/edit"), &[("title", "Zebra crossing"), ("body", "Stripes."), ("status", "published"), ("intent", "save")]).await;
        let (_, zebra) = app.get_page("/search?q=zebra").await;
        assert!(zebra.contains("Zebra crossing"));
    }
}

on_both_backends! {
    async fn search_paginates(app) {
        app.set_setting("posts_per_page", "2").await;
        for n in 0..5 {
            app.publish(&format!("Spine note {n}"), "About the spine.", n + 1, &[]);
        }
        let (_, first) = app.get_page("/search?q=spine").await;
        assert_eq!(first.matches("<article").count(), 2);
        assert!(first.contains("href=\"/search?q=spine&#38;page=2\"") || first.contains("href=\"/search?q=spine&amp;page=2\""), "{first}");
        let (_, third) = app.get_page("/search?q=spine&page=3").await;
        assert_eq!(third.matches("<article").count(), 1);
        assert!(first.contains(">5 results</p>") && third.contains(">5 results</p>"), "the total, on every page");
        let (status, past) = app.get_page("/search?q=spine&page=4").await;
        assert_eq!(status, StatusCode::OK);
        assert!(past.contains("Nothing Found") && past.matches("<article").count() == 0, "a page past the last");
    }
}

on_both_backends! {
    async fn search_matches_word_prefixes_and_excerpts(app) {
        app.publish("After a laminectomy", "Rest for two weeks.", 3, &[]);
        let mut summarised = NewPost::published("Walking again", "Short walks, every day.");
        summarised.excerpt = "Recovery after spinal fusion surgery.".to_owned();
        app.create_post(summarised);
        let (_, prefix) = app.get_page("/search?q=lamin").await;
        assert!(prefix.contains("After a laminectomy") && prefix.contains(">1 result</p>"), "lamin finds laminectomy");
        let (_, two) = app.get_page("/search?q=lamin+rest").await;
        assert!(two.contains("After a laminectomy"), "every word, each a prefix");
        let (_, excerpt) = app.get_page("/search?q=fusion").await;
        assert!(excerpt.contains("Walking again"), "the excerpt is searched too");
        let (_, none) = app.get_page("/search?q=laminz").await;
        assert!(none.contains("Nothing Found"));
    }
}

on_both_backends! {
    async fn pages_rendered_anew_take_turns_and_the_rest_of_the_site_goes_on(app) {
        use ferropress::state::{renders_at_once, searches_at_once};
        let post = app.publish("Spine note", "About the spine.", 1, &[]);
        assert_eq!(app.get_page("/").await.0, StatusCode::OK, "the front page, cached");
        app.log_in_as(Role::Moderator).await;
        // Every turn taken, as by pages and searches being rendered.
        let renders = app.state.renders.acquire_many(renders_at_once() as u32).await.expect("turns");
        let searches = app.state.searches.acquire_many(searches_at_once() as u32).await.expect("turns");
        let fetch = |path: &str| {
            let url = app.url(path);
            tokio::spawn(async move { reqwest::get(url).await.expect("request") })
        };
        let (fresh, search) = (fetch("/?fresh=1"), fetch("/search?q=spine"));
        let lookalike = fetch("/searching/");
        // Meanwhile a comment is taken, and cached pages, the panel and
        // health checks answer.
        let answer = app.post_comment(&post, &app.comment_fields("Still reading.")).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get_page_as_stranger("/").await.0, StatusCode::OK);
        assert_eq!(app.get_page("/admin/comments").await.0, StatusCode::OK);
        assert_eq!(app.get_page("/healthz").await.0, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!fresh.is_finished(), "a page rendered anew waits for its turn");
        assert!(!search.is_finished(), "a search waits for its turn");
        assert!(!lookalike.is_finished(), "only the search page itself takes the search's turns");
        drop((renders, searches));
        for waited in [fresh, search] {
            let page = waited.await.expect("answer");
            assert_eq!(page.status(), StatusCode::OK);
            assert!(page.text().await.expect("body").contains("Spine note"));
        }
        assert_eq!(lookalike.await.expect("answer").status(), StatusCode::NOT_FOUND);

        // Kept waiting past TURN_WAIT, a reader is asked to come back.
        let renders = app.state.renders.acquire_many(renders_at_once() as u32).await.expect("turns");
        let searches = app.state.searches.acquire_many(searches_at_once() as u32).await.expect("turns");
        let (fresh, search) = tokio::join!(app.get("/?fresh=2"), app.get("/search?q=about"));
        for busy in [fresh, search] {
            assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(busy.headers()["retry-after"], "5");
            assert!(busy.text().await.expect("body").contains("Please try again in a moment."));
        }
        drop((renders, searches));
        let (status, found) = app.get_page("/search?q=about").await;
        assert_eq!(status, StatusCode::OK, "the refusal was not kept");
        assert!(found.contains("Spine note"));
        assert_eq!(app.get_page("/?fresh=2").await.0, StatusCode::OK);
    }
}

on_both_backends! {
    async fn sitemap_lists_posts_and_categories_and_robots_points_at_it(app) {
        let neck = app.create_category("Neck", "");
        app.create_category("Empty", "");
        let post = app.publish("Mapped", "Body.", 1, &[neck.id]);
        let mut draft = NewPost::published("Unmapped draft", "Body.");
        draft.status = ferropress::domain::PostStatus::Draft;
        let draft = app.create_post(draft);
        // An index of files, as WordPress's wp-sitemap.xml.
        let (status, headers, index) = body_of(&app, "/sitemap.xml").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/xml"));
        assert!(index.starts_with("<?xml") && index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
        assert!(index.contains(&format!("<sitemap><loc>{}</loc></sitemap>", app.url("/sitemap-posts-1.xml"))));
        assert!(index.contains(&format!("<sitemap><loc>{}</loc></sitemap>", app.url("/sitemap-categories-1.xml"))));
        assert!(!index.contains("/sitemap-posts-2.xml"));
        assert_eq!(body_of(&app, "/wp-sitemap.xml").await.2, index);
        let (_, _, xml) = body_of(&app, "/sitemap-posts-1.xml").await;
        assert!(xml.starts_with("<?xml") && xml.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
        assert!(xml.contains(&format!("<url><loc>{}</loc></url>", app.url("/"))), "the front page first");
        assert!(xml.contains(&format!("<loc>{}</loc>", app.url(&post.permalink()))));
        assert!(!xml.contains(&draft.slug));
        assert!(xml.contains("<lastmod>"));
        assert_eq!(body_of(&app, "/wp-sitemap-posts-post-1.xml").await.2, xml, "WordPress's name for it");
        let (_, _, categories) = body_of(&app, "/sitemap-categories-1.xml").await;
        assert!(categories.contains(&format!("<loc>{}</loc>", app.url("/category/neck/"))));
        assert!(!categories.contains("/category/empty/"));
        assert_eq!(body_of(&app, "/wp-sitemap-taxonomies-category-1.xml").await.2, categories);
        for missing in ["/sitemap-posts-2.xml", "/sitemap-posts-0.xml", "/sitemap-categories-2.xml", "/sitemap-posts-x.xml"] {
            assert_eq!(body_of(&app, missing).await.0, StatusCode::NOT_FOUND, "{missing}");
        }
        let (_, robots) = app.get_page("/robots.txt").await;
        assert!(robots.contains(&format!("Sitemap: {}", app.url("/sitemap.xml"))));
    }
}
