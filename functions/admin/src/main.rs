//! `hocphi-admin`: wiring only; see the library for the commands.

use clap::Parser;

fn main() -> std::process::ExitCode {
    hocphi_admin::cli::main(hocphi_admin::Cli::parse())
}
