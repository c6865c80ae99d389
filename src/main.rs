use std::process::ExitCode;

fn main() -> ExitCode {
    ferropress::cli::run()
}
