//! `softtoken-server`: see the crate documentation.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    softtoken_server::main_with_args(softtoken_server::Args::parse())
}
