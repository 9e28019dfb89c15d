//! The tasks behind `cargo xtask test | bench | dev`.

use std::process::Command;

use crate::run::{
    Counts, Failure, cargo, cargo_linted, root, step, succeeds, target_dir, test_step,
    timing_table, timings,
};
use crate::{gateway_bench, lambda_bench, moto};

/// Makes sure the toolchain pieces the tasks use are installed (rustfmt, clippy, the wasm target).
fn toolchain() -> Result<(), Failure> {
    if !succeeds(cargo().args(["fmt", "--version"]))
        || !succeeds(cargo().args(["clippy", "--version"]))
    {
        step(
            "installing rustfmt and clippy",
            Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]),
        )?;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if !installed {
        step(
            "installing the wasm32-unknown-unknown target",
            Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        )?;
    }
    Ok(())
}

/// Everything CI checks: formatting, clippy's lints inside the one build of every target that the
/// tests then run ([`cargo_linted`]) and inside the page's tools' build, the domain's wasm build,
/// the infrastructure checks, every cargo test (DynamoDB's against moto), a smoke run of every fuzz
/// target ([`crate::fuzz::SMOKE_SECS`] each, built with [`crate::fuzz::SMOKE_PROFILE`]), the
/// page's build and browser tests, a short SIGKILL run of the local stack (`cargo xtask crash`, 3
/// rounds), and a `sam build` of the functions ([`crate::infra::SMOKE_PROFILE`]). The wall time
/// of every step that ran is printed at the end, before the closing line of test counts (CI reads
/// that last line).
pub fn test() -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let checked = checks();
    print!("\n{}", timing_table(&timings()));
    println!("total wall time: {:.1} s", started.elapsed().as_secs_f64());
    let counts = checked?;
    println!("\nall checks passed");
    println!(
        "{} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.ignored
    );
    Ok(())
}

/// The steps of [`test`], answering the test counts.
fn checks() -> Result<Counts, Failure> {
    toolchain()?;
    step(
        "formatting (cargo fmt --check)",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    step(
        "lints (clippy -D warnings) inside the build of every target",
        cargo_linted()?
            .args([
                "test",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--locked",
                "--no-run",
            ])
            .args(BUILT_BY_THE_PAGE),
    )?;
    step(
        "lints (clippy -D warnings) inside the build of the page's tools",
        cargo_linted()?.args(["build", "--locked", "-p", "hocphi-pagetools"]),
    )?;
    let mut ahead = start_ahead()?;
    step(
        "the domain builds for the browser (wasm32)",
        cargo().args([
            "build",
            "--locked",
            "-p",
            "hocphi-domain",
            "--target",
            "wasm32-unknown-unknown",
        ]),
    )?;
    crate::infra::check()?;
    let moto = moto::start()?;
    let mut counts = test_step(
        "all tests (DynamoDB tests against moto)",
        cargo_linted()?
            .args(["test", "--workspace", "--all-features", "--locked"])
            .args(BUILT_BY_THE_PAGE)
            .env("HOCPHI_DYNAMODB_ENDPOINT", &moto.endpoint)
            .env("HOCPHI_REQUIRE_DYNAMODB", "1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE"),
    )?;
    drop(moto);
    ahead.wait(AHEAD_FUZZ);
    crate::fuzz::run(crate::fuzz::SMOKE_SECS, &[], crate::fuzz::SMOKE_PROFILE)?;
    ahead.wait(AHEAD_PAGE);
    build_page()?;
    counts.add(crate::browser::run()?);
    crate::crash::crash(3, 24)?;
    crate::infra::sam_build_smoke(crate::infra::SMOKE_PROFILE)?;
    Ok(counts)
}

/// `hocphi-pagetools` (no tests of its own) is left out of the workspace's test build and built as
/// `frontend/build.sh` builds it (`-p`, so with its own features of serde and the rest): built
/// inside the workspace too, its dependencies were compiled twice.
const BUILT_BY_THE_PAGE: [&str; 2] = ["--exclude", "hocphi-pagetools"];

const AHEAD_FUZZ: &str = "the fuzz targets";
const AHEAD_PAGE: &str = "the page's WebAssembly";

/// The builds of the fuzz targets and of the page's WebAssembly, started once the test build is
/// done, so that they use the cores the test run (waiting on moto) leaves idle; each step still
/// runs its own build, which then finds them fresh. Fuzzing's tools are installed first; the
/// page's (rust-src, binaryen, esbuild) are installed, and `hocphi-pagetools` built, by `build.sh`
/// ahead, each tool whole or not at all as `build.sh` checks it. Measured on two cores and not
/// done: starting them before the test build (it slowed that build by a minute and saved nothing
/// overall), and the functions' arm64 build ahead of the browser tests (it slowed them about as
/// much as it gained).
fn start_ahead() -> Result<crate::ahead::Ahead, Failure> {
    crate::ahead::Ahead::start(vec![
        crate::ahead::Job {
            what: AHEAD_FUZZ,
            command: crate::fuzz::build_ahead(crate::fuzz::SMOKE_PROFILE)?,
        },
        crate::ahead::Job {
            what: AHEAD_PAGE,
            command: build_sh("--compile-only".as_ref()),
        },
    ])
}

/// The benchmarks (all, or the ones named); figures are printed, and `gateways` fails when a
/// ratio misses its target.
pub fn bench(only: &[String]) -> Result<(), Failure> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("store") {
        step(
            "settles per second on the SQLite store",
            cargo().args([
                "bench",
                "--locked",
                "-p",
                "hocphi-store",
                "--all-features",
                "--bench",
                "settle",
            ]),
        )?;
    }
    if wanted("callbacks") {
        step(
            "verified-and-settled IPNs per second on the SQLite store",
            cargo().args([
                "bench",
                "--locked",
                "-p",
                "hocphi-tests",
                "--bench",
                "callbacks",
            ]),
        )?;
    }
    if wanted("import") {
        step(
            "invoice import throughput (100,000 rows, SQLite)",
            cargo().args([
                "bench",
                "--locked",
                "-p",
                "hocphi-admin",
                "--bench",
                "import",
            ]),
        )?;
    }
    if wanted("gateways") {
        gateway_bench::run()?;
    }
    if wanted("load") {
        crate::load::run(&["--release".to_owned()])?;
    }
    if wanted("lambda") {
        let moto = moto::start()?;
        lambda_bench::run(&moto)?;
    }
    if wanted("page") {
        crate::page_bench::run()?;
    }
    Ok(())
}

/// Builds the parents' page into `target/site` (installing its toolchain on first use).
pub fn build_page() -> Result<(), Failure> {
    toolchain()?;
    step(
        "building the page (Leptos → WebAssembly) into target/site",
        &mut build_sh(target_dir().join("site").as_os_str()),
    )
}

/// `frontend/build.sh <arg>`, run from the workspace root.
fn build_sh(arg: &std::ffi::OsStr) -> Command {
    let mut command = Command::new("bash");
    command
        .arg(root().join("frontend").join("build.sh"))
        .arg(arg)
        .current_dir(root());
    command
}

/// The local stack: builds the page, then runs the local server (flags pass through).
pub fn dev(args: &[String]) -> Result<(), Failure> {
    build_page()?;
    step(
        "starting hocphi on 127.0.0.1 (embedded store, demo data, VNPay simulator)",
        cargo()
            .args(["run", "--locked", "--quiet", "-p", "hocphi-local", "--"])
            .args(args),
    )
}
