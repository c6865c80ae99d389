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
}

pub fn run(config: &Config, command: CheckCommand) -> Result<(), CliError> {
    let CheckCommand::Links = command;
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
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config)?;
        let address = format!("127.0.0.1:{}", application.port());
        let state = application.state();
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
    })
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
