//! `cargo xtask <task>`: hocphi's build, test and run tasks, in Rust so they work wherever cargo does.
//!
//! Each task says what it is doing, installs what a fresh machine lacks, and stops at the first
//! failure with a message that names the step.

mod ahead;
mod browser;
mod crash;
mod deploy;
mod fuzz;
mod gateway_bench;
mod infra;
mod lambda_bench;
mod load;
mod moto;
mod page_bench;
mod run;
mod storm;
mod tasks;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test    everything CI checks: fmt, clippy -D warnings (inside the test build), wasm build, infra checks, all tests, a fuzzing smoke run, browser tests, a short crash run, sam build
  fuzz    the fuzz targets of tests/fuzz (libFuzzer, nightly): [--secs N, default 60] [target…]; a table of executions per target
  bench   the benchmarks, all or some of: store callbacks gateways import load lambda page
  dev     the local stack: page, API and gateway simulator on 127.0.0.1:8080
  deploy  one province: --province <config-env of infra/samconfig.toml> [--dry-run]
  infra   the infrastructure linters, offline: cfn-lint, SAM translator, sam validate, checkov
  sam-build  sam build of every Lambda function for arm64, as the deploy does
  crash   the local stack killed with SIGKILL mid-storm of settles: [--rounds N (20)] [--payments M (40)]
  load    a bounded load on the local stack (loopback): [--secs N (30)] [--concurrency C (16)] [--release]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => tasks::test(),
        Some("bench") => tasks::bench(&args[1..]),
        Some("fuzz") => fuzz::task(&args[1..]),
        Some("dev") => tasks::dev(&args[1..]),
        Some("deploy") => deploy::run(&args[1..]),
        Some("infra") => infra::check(),
        Some("crash") => crash::run(&args[1..]),
        Some("load") => load::run(&args[1..]),
        Some("sam-build") => infra::sam_build_smoke(&[]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(run::Failure(format!("unknown task `{other}`\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(run::Failure(message)) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}
