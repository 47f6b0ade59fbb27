//! `softtoken`: the command-line shell over softtoken-core, for testers and scripts.
//!
//! Exit status: 0 on success, 2 on a usage error, 1 on any other error, with a one-line message on stderr.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod provision;
mod secret;
mod store;

use std::process::ExitCode;

use clap::Parser;

/// An error the CLI reports: a usage mistake (exit 2) or a failure (exit 1).
#[derive(Debug)]
pub enum CliError {
    /// The command line asks for something impossible; exit 2.
    Usage(String),
    /// Anything softtoken-core refused or failed at; exit 1.
    Core(softtoken_core::Error),
    /// Writing output or reading input failed; exit 1.
    Io(String),
}

impl From<softtoken_core::Error> for CliError {
    fn from(e: softtoken_core::Error) -> Self {
        CliError::Core(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse(); // clap prints usage errors itself and exits with 2
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Io(msg)) if msg.contains("Broken pipe") => ExitCode::SUCCESS, // `softtoken code … | head`
        Err(e) => {
            let (line, status) = match e {
                CliError::Usage(msg) => (format!("softtoken: usage: {msg}"), 2),
                CliError::Core(err) => {
                    // The core names the way out in general terms; the CLI's way is a flag.
                    let hint = match err {
                        softtoken_core::Error::KeychainUnavailable { .. } => ": --store file:PATH",
                        softtoken_core::Error::TokenNotFound { .. } => " (see `softtoken list`)",
                        _ => "",
                    };
                    (format!("softtoken: error: {err}{hint} [{}]", err.code()), 1)
                }
                CliError::Io(msg) => (format!("softtoken: error: {msg} [io]"), 1),
            };
            // The one place the CLI writes to stderr: a single line, never a secret (core errors carry none).
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{}", commands::printable(&line));
            }
            ExitCode::from(status)
        }
    }
}
