//! SPEC §7: a WordPress export comes in whole (or not at all), twice is
//! once, old URLs keep working, and our export goes back in unchanged.

use diesel::prelude::*;
use ferropress::db::schema::{categories, comments, posts, users};
use ferropress::wxr::export::export_wordpress;
use ferropress::wxr::import::{import_wordpress, ImportError, ImportSummary};
use reqwest::StatusCode;

use crate::helpers::TestApp;

const FIXTURE: &str = include_str!("../fixtures/wordpress-import.xml");
const SAMPLE: &str = include_str!("../fixtures/wordpress-export-sample.xml");

fn import(app: &TestApp, wxr: &str) -> Result<ImportSummary, ImportError> {
    import_wordpress(&mut app.conn(), wxr.as_bytes(), &app.no_uploads(), |_| {})
}

/// (posts, comments, categories, users): what a second run must not change.
fn row_counts(app: &TestApp) -> (i64, i64, i64, i64) {
    let mut conn = app.conn();
    (
        posts::table.count().get_result(&mut conn).unwrap(),
        comments::table.count().get_result(&mut conn).unwrap(),
        categories::table.count().get_result(&mut conn).unwrap(),
        users::table.count().get_result(&mut conn).unwrap(),
    )
}

on_both_backends! {
    async fn a_wordpress_export_imports_with_exact_counts_and_old_urls(app) {
        let summary = import(&app, FIXTURE).unwrap();
        assert_eq!(
            summary.to_string(),
            "3 categories, 1 tag, 2 authors, 6 posts, 1 page, 1 media file, 7 comments imported; 1 file not found in the uploads folder (spine-xray.jpg); site title set to “Spine & Pain Clinic”; timezone set to America/Chicago, as the posts' dates say (Settings > General)"
        );

        let permalink = "/2022/03/14/failed-post-cervical-laminectomy-fusion-pains-what-can-you-do/";
        let (status, page) = app.get_page(permalink).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("a <strong>difficult</strong> situation") && !page.contains("alert(\"not kept\")"));
        assert!(page.contains("Dr. Ann Lee"), "the author's display name");
        assert!(page.contains(">Neck &#38; Shoulders</a>") || page.contains(">Neck &amp; Shoulders</a>"));
        assert!(page.contains("4 Comments"), "approved only (the pingback counts, as in WordPress)");
        assert!(page.contains("Pingback: "), "a pingback is one line");
        let ann = page.find("Thank you, doctor.").unwrap();
        let lee = page.find("You are welcome.").unwrap();
        let carl = page.find("A reply to the reply").unwrap();
        assert!(ann < lee && lee < carl, "threaded, each reply under its parent");
        assert!(page.contains("comment depth-3"));
        assert!(page.contains("<a href=\"https://example.org/\" rel=\"nofollow ugc noopener\">link</a>"));
        // A pingback is one line naming the site; its excerpt is not shown.
        for hidden in ["Held for moderation.", "Cheap pills.", "Trashed.", "Pingback."] {
            assert!(!page.contains(hidden), "{hidden}");
        }
        let mut conn = app.conn();
        let statuses: Vec<String> = comments::table.order(comments::wp_id.asc()).select(comments::status).load(&mut conn).unwrap();
        assert_eq!(statuses, ["approved", "approved", "approved", "pending", "spam", "trash", "approved"]);

        // Old URLs answer 301 to the new ones.
        assert_eq!(app.redirect_target("/?p=101").await, permalink);
        assert_eq!(app.redirect_target("/?p=102").await, "/2023/01/02/cafe-creme/");
        assert_eq!(app.redirect_target("/?page_id=107").await, "/about-the-clinic/");
        let (_, odd) = app.get_page("/2023/01/02/cafe-creme/").await;
        assert!(odd.contains("Café &#38; crème: &#60;odd&#62; &#34;characters&#34;"), "odd characters, escaped once");
        assert!(odd.contains("<p>Plain text written without markup.</p>") && odd.contains("<br>"));
        assert!(odd.contains("]]&gt; inside"));
        assert!(!odd.contains("id=\"commentform\""), "comments closed as they were");
        // A nested category lives below its parent, as in WordPress.
        assert_eq!(app.redirect_target("/category/lumbar/").await, "/category/back/lumbar/");
        let (_, lumbar) = app.get_page("/category/back/lumbar/").await;
        assert!(lumbar.contains("A hand-written excerpt."));
        let lumbar_parent: Option<i64> = categories::table.filter(categories::slug.eq("lumbar")).select(categories::parent_id).first(&mut conn).unwrap();
        let back_id: i64 = categories::table.filter(categories::slug.eq("back")).select(categories::id).first(&mut conn).unwrap();
        assert_eq!(lumbar_parent, Some(back_id));

        // Drafts, scheduled, private and trashed posts keep their status, hidden from readers.
        let stored: Vec<(i64, String, i64)> = posts::table.order(posts::wp_id.asc()).select((posts::wp_id.assume_not_null(), posts::status, posts::published_at)).load(&mut conn).unwrap();
        let status_of = |wp_id: i64| stored.iter().find(|(id, _, _)| *id == wp_id).map(|(_, status, _)| status.clone()).unwrap();
        assert_eq!(status_of(103), "draft");
        assert_eq!(status_of(104), "published");
        assert_eq!(status_of(105), "private");
        assert_eq!(status_of(106), "trash");
        assert_eq!(app.get_page("/2099/06/01/coming-next-year/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get_page("/2021/01/01/staff-only/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get_page("/about-the-clinic/").await.0, StatusCode::OK);
        let (_, home) = app.get_page("/").await;
        assert!(!home.contains("An unfinished draft") && !home.contains("Coming next year") && !home.contains("Staff only"));

        // Authors come without a password: they must reset it to log in.
        let nurse: (String, Option<String>) = users::table.filter(users::wp_login.eq("nurse")).select((users::email, users::password_hash)).first(&mut conn).unwrap();
        assert!(nurse.0.ends_with("@imported.invalid") && nurse.1.is_none());
        // Imported text is searchable.
        let (_, found) = app.get_page("/search?q=laminectomy").await;
        assert!(found.contains("Failed Post-Cervical"));
    }
}

on_both_backends! {
    async fn importing_twice_changes_nothing(app) {
        import(&app, FIXTURE).unwrap();
        let before = row_counts(&app);
        let again = import(&app, FIXTURE).unwrap();
        assert_eq!((again.posts, again.pages, again.comments, again.categories, again.authors), (0, 0, 0, 0, 0));
        assert_eq!(again.already_there, 15, "7 posts and pages, 7 comments (one a pingback), 1 attachment");
        assert_eq!(row_counts(&app), before);
    }
}

on_both_backends! {
    async fn a_malformed_file_says_where_and_imports_nothing(app) {
        let cut = FIXTURE.find("<item>\n\t\t<title><![CDATA[An unfinished draft]]>").unwrap();
        let broken = format!("{}<item><title>broken</titel></item></channel></rss>", &FIXTURE[..cut]);
        let error = import(&app, &broken).unwrap_err();
        assert!(matches!(error, ImportError::File(_)), "{error}");
        assert_eq!(row_counts(&app).0, 0, "the posts before the error were rolled back");
        assert_eq!(row_counts(&app).1, 0);
        assert!(matches!(import(&app, "<html></html>"), Err(ImportError::File(_))));
    }
}

on_both_backends! {
    async fn an_export_imports_back_unchanged(app) {
        import(&app, FIXTURE).unwrap();
        app.publish("Written here", "In *Markdown*.", 1, &[]);
        let mut wxr = Vec::new();
        export_wordpress(&mut app.conn(), "Spine", &app.address, &mut wxr).unwrap();
        let wxr = String::from_utf8(wxr).unwrap();
        assert!(wxr.contains("<wp:wxr_version>1.2</wp:wxr_version>") && wxr.contains("<wp:comment_parent>"));
        assert!(wxr.contains("<wp:status><![CDATA[future]]></wp:status>") && wxr.contains("<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>"));

        // A fresh database of the same backend for the copy.
        let fresh = crate::helpers::TestApp::spawn(if app.database_url.starts_with("postgres") { ferropress::db::Backend::Postgres } else { ferropress::db::Backend::Sqlite }).await.unwrap();
        let summary = import(&fresh, &wxr).unwrap();
        assert_eq!((summary.posts, summary.pages, summary.comments), (7, 1, 7));
        let shape = |app: &TestApp| -> Vec<(String, String, String)> {
            posts::table.order(posts::slug.asc()).select((posts::slug, posts::status, posts::post_type)).load(&mut app.conn()).unwrap()
        };
        assert_eq!(shape(&fresh), shape(&app));
        let threads = |app: &TestApp| -> Vec<(String, String, Option<String>)> {
            let rows: Vec<(i64, String, String, Option<i64>)> = comments::table.order(comments::body_source.asc()).select((comments::id, comments::author_name, comments::status, comments::parent_id)).load(&mut app.conn()).unwrap();
            rows.iter().map(|(_, name, status, parent)| {
                let parent_name = parent.and_then(|parent| rows.iter().find(|row| row.0 == parent)).map(|row| row.1.clone());
                (name.clone(), status.clone(), parent_name)
            }).collect()
        };
        let mut original = threads(&app);
        let mut copied = threads(&fresh);
        original.sort();
        copied.sort();
        assert_eq!(copied, original);
        let (_, page) = fresh.get_page("/2022/03/14/failed-post-cervical-laminectomy-fusion-pains-what-can-you-do/").await;
        assert!(page.contains("4 Comments") && page.contains("comment depth-3"));
    }
}

on_both_backends! {
    async fn the_export_wordpress_wrote_itself_imports(app) {
        let summary = import(&app, SAMPLE).unwrap();
        assert_eq!(summary.to_string(), "4 categories, 0 tags, 1 author, 6 posts, 3 pages, 0 media files, 30 comments imported; site title set to “Pain Management Blog”");
        let (status, page) = app.get_page("/2022/03/14/failed-post-cervical-laminectomy-fusion-pains-what-can-you-do/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("This entry was posted in <a href=\"/category/neck/\" rel=\"category tag\">Neck</a>."));
        assert_eq!(app.get_page("/sample-page/").await.0, StatusCode::OK);
    }
}

#[test]
fn the_import_command_shows_a_summary_and_refuses_broken_files_with_a_line() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("blog.db").display());
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wordpress-import.xml"
    );
    let run = |file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferropress"))
            .args(["import", "wordpress", file])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = run(fixture);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("3 categories, 1 tag, 2 authors, 6 posts, 1 page, 1 media file, 7 comments imported; 1 file not found in the uploads folder (spine-xray.jpg); site title set to “Spine & Pain Clinic”; timezone set to America/Chicago, as the posts' dates say (Settings > General)."));
    // Settings > Privacy applied to the old comments, said once.
    assert_eq!(
        lines.next(),
        Some("Commenter addresses older than 60 days were shortened (7 comments), as Settings > Privacy says."),
        "{stdout}"
    );
    // Nobody can log in yet: what to do next, as this binary is run
    // (here from cargo's `target` folder).
    assert_eq!(
        lines.next(),
        Some("Next: start the site (`cargo run`) and open http://127.0.0.1:8080/admin/setup to create your administrator; use your WordPress email to keep your posts under your name."),
        "{stdout}"
    );
    // Then the link check of what was imported (the missing file is used nowhere).
    assert_eq!(
        lines.next(),
        Some("All 0 internal links and images answer."),
        "{stdout}"
    );
    let broken = directory.path().join("broken.xml");
    std::fs::write(
        &broken,
        FIXTURE.replace(
            "<wp:post_id>104</wp:post_id>",
            "<wp:post_id>104</wp:postid>",
        ),
    )
    .unwrap();
    let output = run(broken.to_str().unwrap());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = FIXTURE
        .lines()
        .position(|line| line.contains("<wp:post_id>104</wp:post_id>"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("(line {line})")) && stderr.contains("nothing was imported"),
        "{stderr}"
    );
}

/// After `ferropress import` into PostgreSQL the planner knows the new
/// tables at once (`ANALYZE`), instead of planning for the empty tables it
/// saw until autovacuum looks (a fresh post page rendered 10× slower).
#[test]
fn an_import_into_postgresql_leaves_the_planner_statistics_fresh() {
    use diesel::prelude::*;
    let Some(url) = crate::helpers::fresh_postgres_url() else {
        return;
    };
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wordpress-import.xml"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferropress"))
        .args(["import", "wordpress", fixture])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    #[derive(diesel::QueryableByName)]
    struct Analysed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        relname: String,
    }
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    // The importer's statistics reach the shared counters when its
    // connection closes, a moment later on a busy server: wait for them.
    let started = std::time::Instant::now();
    loop {
        let mut analysed: Vec<String> = diesel::sql_query(
            "SELECT relname::text AS relname FROM pg_stat_user_tables \
             WHERE relname IN ('posts', 'comments', 'post_categories') AND last_analyze IS NOT NULL",
        )
        .load::<Analysed>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.relname)
        .collect();
        analysed.sort();
        if analysed == ["comments", "post_categories", "posts"] {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "analysed: {analysed:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `ferropress import wordpress` as a person runs it, in `dir`, with no
/// `RUST_LOG`, into `app`'s database and media: (exit code, standard
/// output, standard error).
fn import_as_a_person(
    app: &TestApp,
    dir: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferropress"))
        .arg("import")
        .arg("wordpress")
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", &app.database_url)
        .env("FERROPRESS_MEDIA_URL", app.media_dir())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

on_both_backends! {
    async fn a_second_run_with_the_right_folder_brings_the_files_the_first_missed(app) {
        let dir = tempfile::tempdir().unwrap();
        let export = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress-export-rich-a.xml");
        let uploads = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress-uploads-rich-a.tar.gz");
        let site = dir.path().join("old-site");
        std::fs::create_dir_all(site.join("wp-content")).unwrap();
        let unpacked = std::process::Command::new("tar").args(["xzf", uploads, "-C"]).arg(site.join("wp-content")).status().unwrap();
        assert!(unpacked.success());
        let empty = dir.path().join("somewhere-else");
        std::fs::create_dir_all(&empty).unwrap();
        // The wrong folder: nothing in it.
        let (code, stdout, stderr) = import_as_a_person(&app, dir.path(), &[export, "--uploads", empty.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("not found in the uploads folder"), "{stdout}");
        // The output is the summary and its verdict: no log lines.
        for output in [&stdout, &stderr] {
            assert!(!output.contains(" INFO ") && !output.contains("ips_anonymised") && !output.contains("first administrator"), "{output}");
        }
        app.state.sync_content_version();
        assert_eq!(app.get("/wp-content/uploads/2026/11/lumbar-x-ray-a-300x225.jpg").await.status(), StatusCode::NOT_FOUND);
        // Again, one level off (the old site's folder, holding wp-content/uploads).
        let (code, stdout, stderr) = import_as_a_person(&app, dir.path(), &[export, "--uploads", site.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{stderr}");
        let mut lines = stdout.lines();
        assert_eq!(lines.next(), Some(format!("Using {}: the uploads folder inside the one given.", site.join("wp-content/uploads").display()).as_str()), "{stdout}");
        let summary = lines.next().unwrap();
        assert!(summary.starts_with("0 categories, 0 tags, 0 authors, 0 posts, 0 pages, 0 media files, 0 comments imported; 19 files added that were missing"), "{summary}");
        assert!(!summary.contains("not found"), "{summary}");
        assert!(stdout.contains("All 13 internal links and images answer."), "{stdout}");
        // Every picture the posts show answers now.
        app.state.sync_content_version();
        for path in ["/2023/03/05/reading-your-lumbar-x-ray-a/", "/2023/02/10/radiofrequency-ablation-what-to-expect-a/"] {
            let (_, page) = app.get_page(path).await;
            let pictures: Vec<&str> = page.split("/wp-content/uploads/").skip(1).filter_map(|rest| rest.split(['"', ' ']).next()).collect();
            assert!(!pictures.is_empty(), "{path}");
            for picture in pictures {
                let response = app.get(&format!("/wp-content/uploads/{picture}")).await;
                assert_eq!(response.status(), StatusCode::OK, "{picture} on {path}");
            }
        }
        // A third run has nothing left to add.
        let (_, stdout, _) = import_as_a_person(&app, dir.path(), &[export, "--uploads", site.join("wp-content").to_str().unwrap()]);
        assert!(!stdout.contains("added that were missing") && stdout.contains("All 13"), "{stdout}");
    }
}
