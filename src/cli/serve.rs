use crate::cli::CliError;
use crate::config::Config;
use crate::startup::Application;

/// `ferropress serve`: runs until SIGINT/SIGTERM, then lets requests in
/// flight finish and exits 0.
pub fn serve(config: Config) -> Result<(), CliError> {
    let (health_sender, health) = std::sync::mpsc::channel();
    let served = actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config)?;
        let _ = health_sender.send(application.state().db_health.clone());
        if let Some(url) = application.setup_url() {
            println!("ferropress: create the first admin at {url}");
        }
        application
            .run_until_stopped()
            .await
            .map_err(anyhow::Error::from)?;
        tracing::info!("stopped");
        Ok(())
    });
    // No exit while the pool is opening a connection (`DbHealth::settle`).
    if let Ok(health) = health.try_recv() {
        health.settle(crate::db::CHECKOUT_TIMEOUT);
    }
    served
}
