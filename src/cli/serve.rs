use crate::cli::CliError;
use crate::config::Config;
use crate::startup::Application;

/// `ferropress serve`: runs until SIGINT/SIGTERM, then lets requests in
/// flight finish and exits 0.
pub fn serve(config: Config) -> Result<(), CliError> {
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config)?;
        if let Some(url) = application.setup_url() {
            println!("ferropress: create the first admin at {url}");
        }
        application
            .run_until_stopped()
            .await
            .map_err(anyhow::Error::from)?;
        tracing::info!("stopped");
        Ok(())
    })
}
