//! SPEC §2: the pages readers see, their URLs, and what is hidden from them.

use ferropress::domain::PostStatus;
use ferropress::domain::Role;
use ferropress::models::post::{set_post_status, NewPost};
use ferropress::models::redirect::record_redirect;
use reqwest::StatusCode;

/// 2022-03-14 10:00 UTC, the date of the seed blog's post.
const MARCH_14_2022: i64 = 1_647_252_000;

on_both_backends! {
    async fn permalink_page_reads_like_the_wordpress_post(app) {
        let neck = app.create_category("Neck", "Neck pain and its treatment.");
        let author = app.create_user("doctor@example.com", "Dr. Ann Lee", Role::Admin);
        let mut new_post = NewPost::published(
            "Failed Post-Cervical Laminectomy Fusion Pains -What can you do?",
            "Failed cervical laminectomy/fusions are considered a *difficult* situation.\n\n- Epidurals\n- Rhizotomies",
        );
        new_post.published_at = MARCH_14_2022;
        new_post.author_id = Some(author.id);
        new_post.category_ids = vec![neck.id];
        let post = app.create_post(new_post);
        let permalink = "/2022/03/14/failed-post-cervical-laminectomy-fusion-pains-what-can-you-do/";
        assert_eq!(post.permalink(), permalink);

        let (status, html) = app.get_page(permalink).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1 class=\"entry-title\">Failed Post-Cervical Laminectomy Fusion Pains -What can you do?</h1>"), "{html}");
        assert!(html.contains("March 14, 2022"));
        assert!(html.contains("Dr. Ann Lee"));
        assert!(html.contains("considered a <em>difficult</em> situation"));
        assert!(html.contains("<li>Rhizotomies</li>"));
        assert!(html.contains(&format!(
            "This entry was posted in <a href=\"/category/neck/\" rel=\"category tag\">Neck</a>. \
             Bookmark the <a href=\"{permalink}\" rel=\"bookmark\">permalink</a>."
        )), "{html}");
        assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{}\">", app.url(permalink))));
        assert!(!html.contains("doctor@example.com"), "an author's email is not shown");
    }
}

on_both_backends! {
    async fn front_page_lists_newest_first_with_excerpt_categories_and_counts(app) {
        let neck = app.create_category("Neck", "");
        let back = app.create_category("Back", "");
        app.publish("Older post", "The older body.", 3, &[neck.id]);
        let long_body = (1..=80).map(|n| format!("word{n}")).collect::<Vec<_>>().join(" ");
        app.publish("Newer post", &long_body, 1, &[neck.id, back.id]);

        let (status, html) = app.get_page("/").await;
        assert_eq!(status, StatusCode::OK);
        let newer = html.find("Newer post").expect("newer listed");
        let older = html.find("Older post").expect("older listed");
        assert!(newer < older, "newest first");
        assert!(html.contains("word55 […]") && !html.contains("word56"), "55-word excerpt");
        assert!(html.contains("<a href=\"/category/back/\" rel=\"category tag\">Back</a>, <a href=\"/category/neck/\" rel=\"category tag\">Neck</a>"));
        assert!(html.contains("No Comments"));
        assert!(html.contains("<h1 class=\"site-title\">"));
    }
}

on_both_backends! {
    async fn front_page_paginates_by_the_posts_per_page_setting(app) {
        app.set_setting("posts_per_page", "3").await;
        for day in 1..=7 {
            app.publish(&format!("Post number {day}"), "Body.", day, &[]);
        }
        let (_, first) = app.get_page("/").await;
        let first = crate::helpers::main_content(&first);
        assert!(first.contains("Post number 1") && first.contains("Post number 3") && !first.contains("Post number 4"));
        assert!(first.contains("href=\"/page/2/\">← Older posts"));
        assert!(!first.contains("Newer posts"));

        let (status, second) = app.get_page("/page/2/").await;
        assert_eq!(status, StatusCode::OK);
        let second = crate::helpers::main_content(&second);
        assert!(second.contains("Post number 4") && second.contains("Post number 6"));
        assert!(second.contains("href=\"/page/3/\">← Older posts") && second.contains("href=\"/\">Newer posts"));

        let (_, third) = app.get_page("/page/3/").await;
        let third = crate::helpers::main_content(&third);
        assert!(third.contains("Post number 7") && !third.contains("Older posts"));
        assert!(third.contains("href=\"/page/2/\">Newer posts"));

        assert_eq!(app.get_page("/page/4/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get_page("/page/0/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.redirect_target("/page/1/").await, "/");
    }
}

on_both_backends! {
    async fn category_pages_show_name_description_and_only_their_posts(app) {
        app.set_setting("posts_per_page", "2").await;
        let neck = app.create_category("Neck", "Everything about necks.");
        let back = app.create_category("Back", "");
        app.publish("Neck one", "Body.", 3, &[neck.id]);
        app.publish("Neck two", "Body.", 2, &[neck.id]);
        app.publish("Neck three", "Body.", 1, &[neck.id]);
        app.publish("Back only", "Body.", 1, &[back.id]);

        let (status, html) = app.get_page("/category/neck/").await;
        assert_eq!(status, StatusCode::OK);
        let html = crate::helpers::main_content(&html);
        assert!(html.contains("Category: <span>Neck</span>") && html.contains("Everything about necks."));
        assert!(html.contains("Neck three") && html.contains("Neck two") && !html.contains("Neck one"));
        assert!(!html.contains("Back only"));
        assert!(html.contains("href=\"/category/neck/page/2/\">← Older posts"));

        let (status, second) = app.get_page("/category/neck/page/2/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(second.contains("Neck one") && second.contains("href=\"/category/neck/\">Newer posts"));
        assert_eq!(app.redirect_target("/category/neck/page/1/").await, "/category/neck/");
        assert_eq!(app.get_page("/category/neck/page/3/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get_page("/category/no-such-thing/").await.0, StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn posts_without_a_category_are_uncategorized(app) {
        let post = app.publish("Loose thoughts", "Body.", 0, &[]);
        let (_, html) = app.get_page(&post.permalink()).await;
        assert!(html.contains("This entry was posted in <a href=\"/category/uncategorized/\" rel=\"category tag\">Uncategorized</a>."));
        assert_eq!(app.get_page("/category/uncategorized/").await.0, StatusCode::OK);
    }
}

on_both_backends! {
    async fn drafts_scheduled_private_and_trashed_posts_are_404_and_unlisted(app) {
        let visible = app.publish("Visible post", "Body.", 1, &[]);
        let mut draft = NewPost::published("Draft post", "Body.");
        draft.status = PostStatus::Draft;
        let draft = app.create_post(draft);
        let mut scheduled = NewPost::published("Scheduled post", "Body.");
        scheduled.published_at += 86_400;
        let scheduled = app.create_post(scheduled);
        let mut private = NewPost::published("Private post", "Body.");
        private.status = PostStatus::Private;
        let private = app.create_post(private);
        let trashed = app.publish("Trashed post", "Body.", 2, &[]);
        set_post_status(&mut app.conn(), trashed.id, PostStatus::Trash).unwrap();

        for hidden in [&draft, &scheduled, &private, &trashed] {
            let (status, html) = app.get_page(&hidden.permalink()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}", hidden.title);
            assert!(!html.contains(&hidden.title));
            let (status, _) = app.get_page(&format!("/?p={}", hidden.id)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "/?p= for {}", hidden.title);
        }
        let (_, home) = app.get_page("/").await;
        assert!(home.contains("Visible post"));
        for title in ["Draft post", "Scheduled post", "Private post", "Trashed post"] {
            assert!(!home.contains(title), "{title} listed");
        }
        let (_, category) = app.get_page("/category/uncategorized/").await;
        assert!(category.contains("Visible post") && !category.contains("Trashed post"));
        assert_eq!(app.get_page(&visible.permalink()).await.0, StatusCode::OK);
    }
}

on_both_backends! {
    async fn other_forms_of_a_url_answer_301_to_the_canonical_one(app) {
        let post = app.publish("Hello world", "Body.", 0, &[]);
        let permalink = post.permalink();
        let slashless = permalink.trim_end_matches('/');
        assert_eq!(app.redirect_target(slashless).await, permalink);
        assert_eq!(app.redirect_target("/category/uncategorized").await, "/category/uncategorized/");
        assert_eq!(app.redirect_target("/page/2").await, "/page/2/");
        // A wrong date leads to the real one.
        assert_eq!(app.redirect_target("/1999/01/01/hello-world/").await, permalink);
        // WordPress's own short link.
        assert_eq!(app.redirect_target(&format!("/?p={}", post.id)).await, permalink);
        // An old address recorded by a rename or an import.
        record_redirect(&mut app.conn(), "/old-blog/hello.html", post.id).unwrap();
        record_redirect(&mut app.conn(), "/?p=4242", post.id).unwrap();
        assert_eq!(app.redirect_target("/old-blog/hello.html").await, permalink);
        assert_eq!(app.redirect_target("/?p=4242").await, permalink);
        record_redirect(&mut app.conn(), "/2001/02/03/old-slug/", post.id).unwrap();
        assert_eq!(app.redirect_target("/2001/02/03/old-slug/").await, permalink);
    }
}

on_both_backends! {
    async fn unknown_paths_get_the_themed_404_with_a_search_box(app) {
        for path in ["/no-such-page/", "/2022/03/14/never-written/", "/wp-login.php", "/category/x/page/abc/"] {
            let response = app.get(path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
            let html = response.text().await.unwrap();
            assert!(html.contains("Oops! That page can’t be found."), "{path}: {html}");
            assert!(html.contains("<form role=\"search\" method=\"get\" class=\"search-form\" action=\"/search\">"));
            assert!(html.contains("name=\"q\""));
            assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/style."), "themed");
            assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        }
    }
}

on_both_backends! {
    async fn post_bodies_are_sanitised_markdown_rendered_once(app) {
        let post = app.publish(
            "Tricky <b>title</b>",
            "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n```\ncode <here>\n```",
            0,
            &[],
        );
        assert!(!post.body_html.contains("<script"), "sanitised when saved: {}", post.body_html);
        let (_, html) = app.get_page(&post.permalink()).await;
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("onerror"));
        assert!(!html.contains("Tricky <b>") && html.contains("Tricky &#60;b&#62;title"), "titles are escaped");
        assert!(html.contains("code &lt;here&gt;"));
    }
}

on_both_backends! {
    async fn every_page_carries_security_headers_and_the_hashed_stylesheet(app) {
        app.publish("Styled", "Body.", 0, &[]);
        let response = app.get("/").await;
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("referrer-policy"));
        let html = response.text().await.unwrap();
        let start = html.find("/static/style.").unwrap();
        let stylesheet = &html[start..start + html[start..].find('"').unwrap()];

        let css = app.get(stylesheet).await;
        assert_eq!(css.status(), StatusCode::OK);
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(css.text().await.unwrap().contains(".site-header"));
        assert_eq!(app.get("/static/style.0000.css").await.status(), StatusCode::NOT_FOUND);

        let head = app.client.head(app.url("/")).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
    }
}

on_both_backends! {
    async fn robots_txt_keeps_crawlers_out_of_the_admin_panel(app) {
        let (status, body) = app.get_page("/robots.txt").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("User-agent: *") && body.contains("Disallow: /admin/"));
    }
}

/// Whether a URL in a page loads from this site: a path, or the site's own
/// address (canonical links are absolute).
fn from_this_site(app: &crate::helpers::TestApp, url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with(&app.url("/"))
        || url.starts_with('#')
}

/// `url(…)` values in CSS text.
fn css_urls(css: &str) -> Vec<String> {
    css.split("url(")
        .skip(1)
        .map(|rest| {
            rest.split(')')
                .next()
                .unwrap_or_default()
                .trim_matches(['"', '\'', ' '])
                .to_owned()
        })
        .collect()
}

on_both_backends! {
    async fn pages_link_nothing_from_other_hosts(app) {
        // A post may link anywhere (and its author may choose to show a
        // picture from elsewhere); a reader's comment loads nothing.
        let post = app.publish("Links", "See [an external site](https://example.org/).", 0, &[]);
        app.approve_comments_automatically().await;
        let comment = "Look ![pixel](https://tracker.example/pixel.png) <img src=\"https://tracker.example/2.png\"> <link rel=\"preload\" href=\"https://tracker.example/font.woff2\"> <span style=\"background:url(https://tracker.example/3.png)\">x</span>";
        let response = app.post_comment(&post, &app.comment_fields(comment)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "the comment is taken");
        let (_, shown) = app.get_page(&post.permalink()).await;
        assert!(shown.contains("Look") && shown.contains("tracker.example"), "the comment is on the page, its addresses as text");
        let mut stylesheets = std::collections::BTreeSet::new();
        for path in ["/", post.permalink().as_str(), "/category/uncategorized/", "/nowhere/", "/?s=links", "/admin/login"] {
            let (_, html) = app.get_page(path).await;
            let document = scraper::Html::parse_document(&html);
            // Everything a browser fetches by itself: every <link> but
            // navigation ones, and every element with a source.
            let loading = scraper::Selector::parse("link, script[src], img, iframe, source, video, audio, embed, object, input[type=image]").unwrap();
            for element in document.select(&loading) {
                let value = element.value();
                let rel = value.attr("rel").unwrap_or_default();
                if value.name() == "link" && ["alternate", "canonical", "search"].contains(&rel) {
                    continue;
                }
                for attribute in ["href", "src", "srcset", "poster", "data"] {
                    if let Some(url) = value.attr(attribute) {
                        for candidate in url.split(',') {
                            let url = candidate.split_whitespace().next().unwrap_or_default();
                            assert!(from_this_site(&app, url), "{path}: <{} {attribute}=\"{url}\">", value.name());
                        }
                    }
                }
                if value.name() == "link" && rel == "stylesheet" {
                    stylesheets.insert(value.attr("href").unwrap_or_default().to_owned());
                }
            }
            // Inline styles and <style> elements load nothing from elsewhere.
            let styled = scraper::Selector::parse("[style], style").unwrap();
            for element in document.select(&styled) {
                let css = element.value().attr("style").map(str::to_owned).unwrap_or_else(|| element.text().collect());
                assert!(!css.contains("@import"), "{path}: @import");
                for url in css_urls(&css) {
                    assert!(url.starts_with("data:") || from_this_site(&app, &url), "{path}: url({url})");
                }
            }
            for script in html.split("<script").skip(1) {
                assert!(script.trim_start().starts_with("src=\"/static/comment-reply."), "{path}: only our own script");
            }
        }
        assert!(!stylesheets.is_empty());
        // The stylesheets themselves: no imports, no fonts or images from elsewhere.
        for stylesheet in stylesheets {
            let css = app.get(&stylesheet).await.text().await.unwrap();
            assert!(!css.contains("@import"), "{stylesheet}: @import");
            for url in css_urls(&css) {
                assert!(url.starts_with("data:") || from_this_site(&app, &url), "{stylesheet}: url({url})");
            }
        }
    }
}

on_both_backends! {
    async fn the_comment_form_and_login_read_as_the_spec_words_them(app) {
        let post = app.publish("A post", "Body.", 1, &[]);
        let (_, page) = app.get_page(&post.permalink()).await;
        for text in [
            "Leave a Reply",
            "<label for=\"comment\">Comment <span class=\"required\">*</span></label>",
            "<label for=\"author\">Name <span class=\"required\">*</span></label>",
            "<label for=\"email\">Email <span class=\"required\">*</span></label>",
            "<label for=\"url\">Website</label>",
            "<label for=\"subscribe\">Notify me of replies by email</label>",
            "Your email address will not be published.",
            ">Post Comment</button>",
            "name=\"comment\"", "name=\"author\"", "name=\"email\"", "name=\"url\"", "name=\"subscribe\"", "name=\"parent\"",
        ] {
            assert!(page.contains(text), "the comment form says {text:?}");
        }
        app.create_staff("someone@example.com", ferropress::domain::Role::Admin).await;
        let (_, login) = app.get_page("/admin/login").await;
        for text in [">Email</label>", ">Password</label>", ">Log in</button>"] {
            assert!(login.contains(text), "the login page says {text:?}");
        }
    }
}

on_both_backends_configured! {
    async fn absolute_links_follow_the_site_url_and_cookies_are_secure_on_https(app) with |raw: &mut ferropress::config::RawConfig| {
        raw.site_url = Some("https://blog.example/".to_owned());
    }; {
        let post = app.publish("A post", "Body.", 1, &[]);
        let (_, feed) = app.get_page("/feed/").await;
        assert!(feed.contains(&format!("<link>https://blog.example{}</link>", post.permalink())), "{feed}");
        assert!(!feed.contains("127.0.0.1"), "links from the site URL, not the Host");
        let (_, sitemap) = app.get_page("/sitemap-posts-1.xml").await;
        assert!(sitemap.contains("<loc>https://blog.example/</loc>") || sitemap.contains("https://blog.example/"));
        let (_, page) = app.get_page(&post.permalink()).await;
        assert!(page.contains(&format!("href=\"https://blog.example{}\"", post.permalink())), "canonical");
        let email = "secure@example.com";
        app.create_staff(email, ferropress::domain::Role::Admin).await;
        let response = app.log_in_with(&crate::helpers::fresh_client(), email, crate::helpers::STAFF_PASSWORD).await;
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .find(|cookie| cookie.starts_with("ferropress_session="))
            .expect("a session cookie");
        assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    }
}

on_both_backends! {
    async fn the_theme_has_a_menu_of_pages_and_sidebar_widgets(app) {
        use ferropress::models::post::{save_page, PageInput};
        let page = |title: &str, order: i64, parent_id: Option<i64>, in_menu: bool| PageInput {
            title: title.to_owned(), slug: None, body_markdown: "Words.".to_owned(), status: PostStatus::Published,
            parent_id, menu_order: order, author_id: None, in_menu, password: String::new(),
        };
        let about = save_page(&mut app.conn(), None, &page("About", 2, None, true)).unwrap();
        save_page(&mut app.conn(), None, &page("Contact", 1, None, true)).unwrap();
        save_page(&mut app.conn(), None, &page("Hidden away", 0, None, false)).unwrap();
        save_page(&mut app.conn(), None, &page("Our team", 0, Some(about.id), true)).unwrap();
        let neck = app.create_category("Neck", "");
        let back = app.create_category("Back", "");
        let mut march = NewPost::published("March notes", "Body.");
        march.published_at = MARCH_14_2022;
        march.category_ids = vec![neck.id];
        let march = app.create_post(march);
        let mut april = NewPost::published("April notes", "Body.");
        april.published_at = MARCH_14_2022 + 31 * 86_400;
        april.category_ids = vec![neck.id, back.id];
        app.create_post(april);
        let mut draft = NewPost::published("Draft notes", "Body.");
        draft.status = PostStatus::Draft;
        app.create_post(draft);
        app.approve_comments_automatically().await;
        assert_eq!(app.post_comment_as_stranger(&march, &app.comment_fields("Thanks for this.")).await.status(), StatusCode::SEE_OTHER);

        let (_, home) = app.get_page_as_stranger("/").await;
        let menu = home.split(r#"<nav class="site-menu" aria-label="Menu">"#).nth(1).expect("a menu").split("</nav>").next().unwrap();
        assert_eq!(menu.matches("<li>").count(), 2, "top-level pages in the menu only: {menu}");
        assert!(menu.find(r#"href="/contact/">Contact"#).unwrap() < menu.find(r#"href="/about/">About"#).unwrap(), "by Order");
        let sidebar = home.split(r#"<aside class="sidebar""#).nth(1).unwrap();
        let recent = sidebar.split("Recent Posts").nth(1).unwrap();
        assert!(recent.find("April notes").unwrap() < recent.find("March notes").unwrap());
        assert!(!sidebar.contains("Draft notes"));
        assert!(sidebar.contains(&format!(r#"<li><bdi>Ann Reader</bdi> on <a href="{}#comment-"#, march.permalink())), "{sidebar}");
        assert!(!sidebar.contains("ann.reader@example.com"), "a name, never an email");
        assert!(sidebar.contains(r#"<a href="/2022/04/">April 2022</a>&nbsp;(1)"#) && sidebar.contains(r#"<a href="/2022/03/">March 2022</a>&nbsp;(1)"#));
        assert!(sidebar.contains(r#"<a href="/category/back/">Back</a>&nbsp;(1)"#) && sidebar.contains(r#"<a href="/category/neck/">Neck</a>&nbsp;(2)"#));
        let (_, post_page) = app.get_page_as_stranger(&march.permalink()).await;
        assert!(post_page.contains(r#"<nav class="site-menu""#) && post_page.contains("widget-archives"), "on every reader page");

        // A widget off in Settings, a page out of the menu in its editor.
        app.log_in_as(Role::Admin).await;
        let saved = app.admin_post("/admin/settings", &[("site_title", "Site"), ("posts_per_page", "10"), ("link_limit", "2"), ("close_after_days", "0"), ("thread_depth", "5"), ("comments_per_minute", "0"), ("widgets_shown", "1"), ("widget_recent_posts", "1"), ("widget_recent_comments", "1"), ("widget_archives", "1")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let edited = app.admin_post(&format!("/admin/pages/{}/edit", about.id), &[("title", "About"), ("body", "Words."), ("status", "published"), ("menu_order", "2"), ("intent", "save")]).await;
        assert_eq!(edited.status(), StatusCode::SEE_OTHER);
        let (_, home) = app.get_page_as_stranger("/").await;
        assert!(!home.contains("widget-categories") && home.contains("widget-archives"));
        assert!(!home.contains(r#"href="/about/">About"#) && home.contains(r#"href="/contact/">Contact"#));
    }
}
