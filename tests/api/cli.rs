//! SPEC §1: the binary's commands, exit codes and configuration errors.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::fresh_postgres_url;

fn ferropress() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferropress"));
    for variable in [
        "FERROPRESS_BIND",
        "DATABASE_URL",
        "FERROPRESS_SITE_URL",
        "FERROPRESS_SMTP_URL",
        "FERROPRESS_MAIL_FROM",
        "FERROPRESS_SECRET_KEY",
        "FERROPRESS_TRUST_PROXY",
    ] {
        command.env_remove(variable);
    }
    command.env("RUST_LOG", "warn");
    command
}

/// Runs with `args` and `env`, returning exit code, stdout and stderr.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String, String) {
    let mut command = ferropress();
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let output = child.wait_with_output().expect("binary finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_config_error(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let (code, _, stderr) = run(args, env, "");
    assert_eq!(code, 2, "{args:?} {env:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_configuration_values_exit_2_with_one_line() {
    assert_config_error(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root:hunter2@db/blog")],
        "invalid DATABASE_URL",
    );
    let (_, _, stderr) = run(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root:hunter2@db/blog")],
        "",
    );
    assert!(
        !stderr.contains("hunter2"),
        "credentials never echoed: {stderr}"
    );
    assert_config_error(
        &["--bind", "not-an-address", "migrate"],
        &[],
        "invalid bind address",
    );
    assert_config_error(
        &["migrate"],
        &[("FERROPRESS_BIND", "127.0.0.1:99999")],
        "invalid bind address",
    );
    assert_config_error(
        &["migrate"],
        &[("FERROPRESS_SITE_URL", "ftp://blog")],
        "FERROPRESS_SITE_URL",
    );
    assert_config_error(
        &["migrate"],
        &[("FERROPRESS_SMTP_URL", "imap://mail")],
        "FERROPRESS_SMTP_URL",
    );
    assert_config_error(
        &["migrate"],
        &[("FERROPRESS_TRUST_PROXY", "perhaps")],
        "FERROPRESS_TRUST_PROXY",
    );
    assert_config_error(
        &["migrate"],
        &[("FERROPRESS_SECRET_KEY", "short")],
        "FERROPRESS_SECRET_KEY",
    );
    assert_config_error(
        &["--config", "/nonexistent/ferropress.toml", "migrate"],
        &[],
        "cannot read config file",
    );

    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("ferropress.toml");
    std::fs::write(&file, "bnid = \"127.0.0.1:1\"\n").unwrap();
    assert_config_error(
        &["--config", file.to_str().unwrap(), "migrate"],
        &[],
        "not valid TOML",
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["user", "--help"],
        &["user", "add", "--help"],
    ] {
        let (code, stdout, _) = run(args, &[], "");
        assert_eq!(code, 0, "{args:?}");
        assert!(stdout.contains("Usage:"), "{args:?}: {stdout}");
    }
    let (_, stdout, _) = run(&["user", "add", "--help"], &[], "");
    assert!(stdout.contains("--name") && stdout.contains("--role"));
}

#[test]
fn migrate_then_user_add_with_a_password_from_stdin() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("blog.db").display());
    check_migrate_and_user_add(&url);
}

#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set FERROPRESS_TEST_DATABASE_URL (see README, Tests)"
)]
fn migrate_and_user_add_on_postgres() {
    if let Some(url) = fresh_postgres_url() {
        check_migrate_and_user_add(&url);
    }
}

fn check_migrate_and_user_add(url: &str) {
    let env = [("DATABASE_URL", url)];
    let (code, stdout, stderr) = run(&["migrate"], &env, "");
    assert_eq!(code, 0, "{stderr}");
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let migrations = std::fs::read_dir(format!("migrations/{backend}"))
        .unwrap()
        .count();
    assert!(
        stdout.contains(&format!("{migrations} migration(s) applied")),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["migrate"], &env, "");
    assert_eq!(code, 0);
    assert!(stdout.contains("0 migration(s) applied"), "{stdout}");

    let add = [
        "user",
        "add",
        "ann@example.com",
        "--name",
        "Ann Lee",
        "--role",
        "admin",
    ];
    let (code, stdout, stderr) = run(&add, &env, "correct horse battery\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Created admin ann@example.com"), "{stdout}");

    let (code, _, stderr) = run(&add, &env, "another password\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");

    let (code, _, stderr) = run(
        &[
            "user",
            "add",
            "bo@example.com",
            "--name",
            "Bo",
            "--role",
            "king",
        ],
        &env,
        "long enough\n",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("role must be admin, editor or moderator"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &[
            "user",
            "add",
            "not-an-email",
            "--name",
            "Bo",
            "--role",
            "editor",
        ],
        &env,
        "long enough\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid email address"), "{stderr}");
    let (code, _, stderr) = run(
        &[
            "user",
            "add",
            "bo@example.com",
            "--name",
            "Bo",
            "--role",
            "editor",
        ],
        &env,
        "short\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("at least 8 characters"), "{stderr}");
}

#[test]
fn serve_prints_the_setup_url_and_stops_cleanly_on_sigterm() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("blog.db").display());
    let mut child = ferropress()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = lines.next().expect("a line").expect("utf-8");
    assert!(
        line.contains("create the first admin at http://127.0.0.1:"),
        "{line}"
    );
    let setup_url = line.split("at ").nth(1).expect("url").trim().to_owned();
    assert!(setup_url.ends_with("/admin/setup"), "{setup_url}");
    let port: u16 = setup_url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/admin/setup")
        .parse()
        .expect("port");

    // The server answers, then SIGTERM makes it exit 0.
    let started = Instant::now();
    let answered = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
            let mut response = String::new();
            std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        answered.starts_with("HTTP/1.0 200") && answered.ends_with("ok"),
        "{answered}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("ferropress.toml");
    // The file names a bad bind address; the environment fixes it; a bad flag then wins again.
    std::fs::write(
        &file,
        format!(
            "bind = \"file-bind\"\ndatabase_url = \"sqlite://{}\"\n",
            directory.path().join("f.db").display()
        ),
    )
    .unwrap();
    let config = file.to_str().unwrap();
    assert_config_error(&["--config", config, "migrate"], &[], "\"file-bind\"");
    let (code, _, stderr) = run(
        &["--config", config, "migrate"],
        &[("FERROPRESS_BIND", "127.0.0.1:8081")],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        directory.path().join("f.db").exists(),
        "the file's database_url was used"
    );
    assert_config_error(
        &["--config", config, "--bind", "flag-bind", "migrate"],
        &[("FERROPRESS_BIND", "127.0.0.1:8081")],
        "\"flag-bind\"",
    );
}

#[test]
fn migrate_dry_run_lists_what_is_pending_and_changes_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("blog.db").display());
    let env = [("DATABASE_URL", url.as_str())];
    let (code, stdout, stderr) = run(&["migrate", "--dry-run"], &env, "");
    assert_eq!(code, 0, "{stderr}");
    let migrations = std::fs::read_dir("migrations/sqlite").unwrap().count();
    assert!(
        stdout.contains(&format!("{migrations} pending migration(s), not applied:")),
        "{stdout}"
    );
    assert!(
        stdout.contains("2026-11-26-000012_moderation_queue"),
        "{stdout}"
    );
    // Nothing was applied: a second look lists the same.
    let (_, again, _) = run(&["migrate", "--dry-run"], &env, "");
    assert_eq!(again, stdout);
    let (code, _, _) = run(&["migrate"], &env, "");
    assert_eq!(code, 0);
    let (_, after, _) = run(&["migrate", "--dry-run"], &env, "");
    assert!(after.contains("No pending migrations"), "{after}");
}

#[test]
fn json_logs_for_shippers_and_a_health_check_for_containers() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("blog.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = ferropress()
        .args(["serve", "--bind", &bind])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "info")
        .env("FERROPRESS_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    // Every line is one JSON object; the "listening" one says where.
    let started = Instant::now();
    loop {
        let line = lines.next().expect("a log line").expect("utf-8");
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'), "no colour codes: {line}");
        if event["message"] == "listening" {
            assert_eq!(event["address"], bind.as_str());
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    let (code, stdout, stderr) = run(
        &["check", "health", "--bind", &bind],
        &[("DATABASE_URL", &url)],
        "",
    );
    assert_eq!((code, stdout.trim()), (0, "healthy"), "{stderr}");
    let request_line = lines
        .by_ref()
        .map(|line| line.unwrap())
        .find(|line| line.contains("\"message\":\"request\""))
        .expect("the health request is logged");
    let request: serde_json::Value = serde_json::from_str(&request_line).unwrap();
    assert_eq!(
        (
            request["message"].as_str(),
            request["path"].as_str(),
            request["status"].as_u64()
        ),
        (Some("request"), Some("/healthz"), Some(200)),
        "{request_line}"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    let (code, _, stderr) = run(
        &["check", "health", "--bind", &bind],
        &[("DATABASE_URL", &url)],
        "",
    );
    assert_eq!(code, 1, "a stopped server is unhealthy: {stderr}");
    assert!(stderr.contains("not answering"), "{stderr}");
}
