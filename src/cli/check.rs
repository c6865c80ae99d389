//! `ferropress check links`: the site started on a loopback port of its
//! own, and every internal link and image of published content asked of it.

use clap::Subcommand;

use crate::cli::CliError;
use crate::config::Config;
use crate::linkcheck::{check, published_links, LinkReport};
use crate::startup::Application;

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// List every internal link and image in published posts and pages
    /// that does not answer 200 (exit code 1 when there is one)
    Links,
    /// Ask the running server's /healthz (exit code 1 unless it answers
    /// 200): the container's HEALTHCHECK
    Health,
}

pub fn run(config: &Config, command: CheckCommand) -> Result<(), CliError> {
    if let CheckCommand::Health = command {
        return health(config);
    }
    let report = check_links(config)?;
    print_report(&report);
    if report.broken.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(anyhow::anyhow!(
            "{} of {} internal links and images do not answer",
            report.broken.len(),
            report.checked
        )))
    }
}

/// Checks the site's links; it is served meanwhile on a free loopback port,
/// without sending any mail.
pub fn check_links(config: &Config) -> Result<LinkReport, CliError> {
    let mut config = config.clone();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.smtp_url = None;
    let (health_sender, health) = std::sync::mpsc::channel();
    let report = actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config)?;
        let address = format!("127.0.0.1:{}", application.port());
        let state = application.state();
        let _ = health_sender.send(state.db_health.clone());
        let server = actix_web::rt::spawn(application.run_until_stopped());
        let site_url = state.config.site_url.clone();
        let mut conn = state
            .pool
            .get()
            .map_err(|error| anyhow::anyhow!("cannot open a database connection: {error}"))?;
        let links = published_links(&mut conn, &site_url).map_err(anyhow::Error::from)?;
        drop(conn);
        let report = check(&address, links).await;
        server.abort();
        Ok(report)
    });
    // The check's requests may have left the pool opening a spare.
    if let Ok(health) = health.try_recv() {
        health.settle(crate::db::CHECKOUT_TIMEOUT);
    }
    report
}

pub fn print_report(report: &LinkReport) {
    for broken in &report.broken {
        let status = match broken.status {
            0 => "no answer".to_owned(),
            status => status.to_string(),
        };
        println!(
            "{status}  {}  (on {})",
            broken.path,
            broken.used_on.join(", ")
        );
    }
    if report.broken.is_empty() {
        println!("All {} internal links and images answer.", report.checked);
    } else {
        println!(
            "{} of {} internal links and images do not answer.",
            report.broken.len(),
            report.checked
        );
    }
}

/// `GET /healthz` of the server at the configured address (an unspecified
/// one, `0.0.0.0:8080`, is asked on loopback), within 3 seconds.
fn health(config: &Config) -> Result<(), CliError> {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
    use std::time::Duration;
    let mut address = config.bind;
    if address.ip().is_unspecified() {
        let loopback = match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        address = SocketAddr::new(loopback, address.port());
    }
    let timeout = Duration::from_secs(3);
    let failed = |why: String| CliError::Failed(anyhow::anyhow!("{address}: {why}"));
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|error| failed(format!("not answering ({error})")))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|error| failed(error.to_string()))?;
    let mut answer = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    if status.split(' ').nth(1) == Some("200") {
        println!("healthy");
        Ok(())
    } else {
        Err(failed(format!("unhealthy ({status})")))
    }
}
