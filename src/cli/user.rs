use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::Subcommand;

use crate::auth::password::hash_password;
use crate::cli::CliError;
use crate::config::Config;
use crate::db;
use crate::domain::{EmailAddress, Role};
use crate::models::is_unique_violation;
use crate::models::user::{create_user, NewUser};

pub use crate::auth::password::MIN_PASSWORD_LENGTH;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; the password comes from standard input, or a
    /// prompt (asked twice) on a terminal
    Add {
        /// The account's email address (its login)
        email: String,
        /// Display name shown on posts
        #[arg(long)]
        name: String,
        /// admin, editor or moderator
        #[arg(long)]
        role: String,
    },
}

pub fn run(config: &Config, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add { email, name, role } => add_user(config, &email, &name, &role),
    }
}

fn add_user(config: &Config, email: &str, name: &str, role: &str) -> Result<(), CliError> {
    let email = EmailAddress::parse(email)
        .map_err(|_| CliError::Usage(format!("invalid email address {email:?}")))?;
    let role: Role = role
        .parse()
        .map_err(|error| CliError::Usage(format!("{error}")))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CliError::Usage(
            "--name must be 1 to 100 characters".to_owned(),
        ));
    }
    let password = read_password()?;
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(CliError::Usage(format!(
            "the password must be at least {MIN_PASSWORD_LENGTH} characters"
        )));
    }
    let password_hash = hash_password(&password).map_err(anyhow::Error::from)?;

    let pool = db::connect(&config.database_url, 1).context("cannot open the database")?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    db::run_migrations(&mut conn)?;
    let new_user = NewUser {
        email: &email,
        display_name: name,
        password_hash: Some(&password_hash),
        role,
    };
    match create_user(&mut conn, &new_user) {
        Ok(user) => {
            println!(
                "Created {} {} ({}).",
                user.role, user.email, user.display_name
            );
            Ok(())
        }
        Err(error) if is_unique_violation(&error) => Err(CliError::Usage(format!(
            "a user with the email {email} already exists"
        ))),
        Err(error) => Err(CliError::Failed(
            anyhow::Error::from(error).context("cannot create the user"),
        )),
    }
}

/// One line from a pipe, or a hidden prompt asked twice on a terminal.
fn read_password() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        let second =
            rpassword::prompt_password("Password again: ").context("cannot read the password")?;
        if first != second {
            return Err(CliError::Usage("the passwords do not match".to_owned()));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
