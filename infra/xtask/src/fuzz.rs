//! `cargo xtask fuzz [--secs N] [target…]`: the cargo-fuzz targets of `tests/fuzz` (libFuzzer,
//! nightly toolchain), each run for N seconds, and the table of executions per target.
//!
//! Owns the install of what fuzzing needs (the nightly toolchain; cargo-fuzz pinned, under
//! `.tools/cargo-fuzz`), one build of every target, and the verdict. Invariants: every target is
//! run from a copy of its committed seed corpus (what a run finds never changes the tree), with
//! `-rss_limit_mb=2048 -timeout=10`; a crash, a timeout, a leak or an out-of-memory fails the task
//! and leaves its input under `<target dir>/fuzz/artifacts/<target>/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{Failure, root, step, succeeds, target_dir};

/// The nightly toolchain, pinned: frontend/build.sh's `NIGHTLY` (one nightly to install).
const NIGHTLY: &str = "nightly-2026-05-20";
/// cargo-fuzz, pinned.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The seconds each target runs for by default.
const DEFAULT_SECS: u64 = 60;
/// The seconds each target runs for in `cargo xtask test`'s smoke run.
pub const SMOKE_SECS: u64 = 5;
/// The smoke run's one departure from the fuzz crate's release profile: LLVM's `-O1` rather than
/// `-O3`, with line tables only. The same instrumentation (libFuzzer's coverage, AddressSanitizer,
/// debug assertions) and the same targets run; the build takes about 30 % less time, and a target
/// runs a little over half as many inputs a second. `cargo xtask fuzz` keeps the full profile.
pub const SMOKE_PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "line-tables-only"),
];

/// The fuzz crate.
fn fuzz_dir() -> PathBuf {
    root().join("tests").join("fuzz")
}

/// Where the fuzz crate builds: beside the workspace's own builds, never mixed with them.
fn fuzz_target_dir() -> PathBuf {
    target_dir().join("fuzz")
}

/// Where a failing input is kept, by target.
fn artifacts_dir() -> PathBuf {
    fuzz_target_dir().join("artifacts")
}

/// The targets, by the file names in `tests/fuzz/fuzz_targets`, sorted.
pub fn targets() -> Result<Vec<String>, Failure> {
    let dir = fuzz_dir().join("fuzz_targets");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Failure(format!("cannot list {}: {e}", dir.display())))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// `cargo-fuzz`'s directory under `.tools/`, installed if missing, and the nightly toolchain.
fn ensure_tools() -> Result<PathBuf, Failure> {
    if !succeeds(Command::new("rustup").args(["run", NIGHTLY, "rustc", "--version"])) {
        step(
            "installing the nightly toolchain (for libFuzzer's instrumentation)",
            Command::new("rustup").args(["toolchain", "install", NIGHTLY, "--profile", "minimal"]),
        )?;
    }
    let dir = crate::run::tools_dir().join("cargo-fuzz");
    let bin = dir.join("bin");
    let installed = Command::new(bin.join("cargo-fuzz"))
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION));
    if !installed {
        step(
            &format!("installing cargo-fuzz {CARGO_FUZZ_VERSION} into .tools/cargo-fuzz"),
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "install",
                    "--locked",
                    "--force",
                    "--version",
                    CARGO_FUZZ_VERSION,
                ])
                .arg("--root")
                .arg(&dir)
                .arg("cargo-fuzz")
                .env("CARGO_TARGET_DIR", target_dir().join("cargo-fuzz-install")),
        )?;
    }
    Ok(bin)
}

/// `cargo +nightly fuzz <sub>` on the fuzz crate, with cargo-fuzz from `bin`.
fn cargo_fuzz(bin: &Path, sub: &str) -> Command {
    let mut command = Command::new("rustup");
    let mut path = vec![bin.to_path_buf()];
    if let Some(old) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&old));
    }
    command
        .args(["run", NIGHTLY, "cargo", "fuzz", sub, "--fuzz-dir"])
        .arg(fuzz_dir())
        .current_dir(root())
        .env("PATH", std::env::join_paths(path).unwrap_or_default())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN");
    command
}

/// The build of every target, with `profile`'s environment overrides.
fn build(bin: &Path, profile: &[(&str, &str)]) -> Command {
    let mut command = cargo_fuzz(bin, "build");
    command
        .arg("--target-dir")
        .arg(fuzz_target_dir())
        .envs(profile.iter().copied());
    command
}

/// The build [`run`] starts with, for starting it ahead (what fuzzing needs installed first).
pub fn build_ahead(profile: &[(&str, &str)]) -> Result<Command, Failure> {
    Ok(build(&ensure_tools()?, profile))
}

/// What one target's run gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub target: String,
    pub executions: u64,
    pub took: Duration,
    /// The kind of failure libFuzzer reported (`crash`, `timeout`, `leak`, `oom`), if any.
    pub failure: Option<&'static str>,
}

/// The outcome a run's output and exit status tell.
pub fn outcome(target: &str, output: &str, success: bool, took: Duration) -> Outcome {
    let executions = output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("stat::number_of_executed_units:"))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_default();
    let failure = if output.contains("ERROR: libFuzzer: timeout") {
        Some("timeout")
    } else if output.contains("ERROR: libFuzzer: out-of-memory")
        || output.contains("ERROR: libFuzzer: malloc limit")
    {
        Some("oom")
    } else if output.contains("ERROR: LeakSanitizer") {
        Some("leak")
    } else if !success || output.contains("==ERROR:") || output.contains("panicked at") {
        Some("crash")
    } else {
        None
    };
    Outcome {
        target: target.to_owned(),
        executions,
        took,
        failure,
    }
}

/// The table of executions per target, with the total.
pub fn table(outcomes: &[Outcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.target.len())
        .chain(["target".len(), "total".len()])
        .max()
        .unwrap_or_default();
    let mut out = format!(
        "{:<width$}  {:>12}  {:>8}  {:>10}  result\n",
        "target", "executions", "seconds", "exec/s"
    );
    let mut total = 0u64;
    for o in outcomes {
        total += o.executions;
        let millis = u64::try_from(o.took.as_millis()).unwrap_or(u64::MAX).max(1);
        out.push_str(&format!(
            "{:<width$}  {:>12}  {:>8}  {:>10}  {}\n",
            o.target,
            o.executions,
            o.took.as_secs(),
            o.executions.saturating_mul(1000) / millis,
            o.failure.unwrap_or("ok")
        ));
    }
    out.push_str(&format!("{:<width$}  {:>12}\n", "total", total));
    out
}

/// Builds every target once (the release profile changed by `profile`'s environment overrides,
/// such as [`SMOKE_PROFILE`]), then runs each (all, or `only`) for `secs` seconds; fails on any
/// crash, timeout, leak or out-of-memory.
pub fn run(secs: u64, only: &[String], profile: &[(&str, &str)]) -> Result<Vec<Outcome>, Failure> {
    let all = targets()?;
    if let Some(unknown) = only.iter().find(|t| !all.contains(t)) {
        return Err(Failure(format!(
            "no fuzz target `{unknown}`; the targets: {}",
            all.join(" ")
        )));
    }
    let chosen: Vec<&String> = all
        .iter()
        .filter(|t| only.is_empty() || only.contains(t))
        .collect();
    let bin = ensure_tools()?;
    step(
        "building the fuzz targets (cargo +nightly fuzz build)",
        &mut build(&bin, profile),
    )?;
    let work = fuzz_target_dir().join("runs");
    let started = Instant::now();
    let lanes = std::thread::available_parallelism().map_or(1, usize::from);
    let host = host_triple()?;
    let outcomes = in_lanes(&chosen, lanes, |target| run_one(&host, target, secs, &work))?;
    crate::run::record(
        &format!(
            "fuzzing {} targets for {secs} s each, {lanes} at a time",
            outcomes.len()
        ),
        started.elapsed(),
    );
    print!("\n{}", table(&outcomes));
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.map(|f| format!("{} ({f})", o.target)))
        .collect();
    if failed.is_empty() {
        Ok(outcomes)
    } else {
        Err(Failure(format!(
            "fuzzing found a problem in {}; the input is under {}",
            failed.join(", "),
            artifacts_dir().display()
        )))
    }
}

/// Runs `each` over `items` on `lanes` threads (a libFuzzer run keeps one core busy), answering
/// the results in the order of `items`, or the first error.
fn in_lanes<T: Sync, R: Send>(
    items: &[T],
    lanes: usize,
    each: impl Fn(&T) -> Result<R, Failure> + Sync,
) -> Result<Vec<R>, Failure> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<R, Failure>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..lanes.clamp(1, items.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break done };
                        done.push((i, each(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Where `cargo fuzz build` leaves a target's binary: under the host's triple, which cargo-fuzz
/// builds for by default.
fn binary(host: &str, target: &str) -> PathBuf {
    fuzz_target_dir().join(host).join("release").join(target)
}

/// The nightly toolchain's host triple (`rustc -vV`).
fn host_triple() -> Result<String, Failure> {
    let output = Command::new("rustup")
        .args(["run", NIGHTLY, "rustc", "-vV"])
        .output()
        .map_err(|e| Failure(format!("could not run rustc -vV: {e}")))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Failure("rustc -vV names no host".into()))
}

/// One target's run from a fresh copy of its seed corpus: the binary [`run`] built, started as
/// `cargo fuzz run` starts it (with AddressSanitizer's `detect_odr_violation=0`), without the two
/// cargo invocations `cargo fuzz run` makes first to find it fresh.
fn run_one(host: &str, target: &str, secs: u64, work: &Path) -> Result<Outcome, Failure> {
    let corpus = work.join(target);
    let _ = std::fs::remove_dir_all(&corpus);
    std::fs::create_dir_all(&corpus)
        .map_err(|e| Failure(format!("cannot create {}: {e}", corpus.display())))?;
    let seeds = fuzz_dir().join("corpus").join(target);
    if let Ok(entries) = std::fs::read_dir(&seeds) {
        for entry in entries.filter_map(Result::ok) {
            let _ = std::fs::copy(entry.path(), corpus.join(entry.file_name()));
        }
    }
    let artifacts = artifacts_dir().join(target);
    std::fs::create_dir_all(&artifacts)
        .map_err(|e| Failure(format!("cannot create {}: {e}", artifacts.display())))?;
    println!("\n==> fuzzing {target} for {secs} s");
    let started = Instant::now();
    let asan = match std::env::var("ASAN_OPTIONS") {
        Ok(options) if !options.is_empty() => format!("{options}:detect_odr_violation=0"),
        _ => "detect_odr_violation=0".to_owned(),
    };
    let output = Command::new(binary(host, target))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(format!("-max_total_time={secs}"))
        .args(["-rss_limit_mb=2048", "-timeout=10", "-print_final_stats=1"])
        .arg(&corpus)
        .current_dir(root())
        .env("ASAN_OPTIONS", asan)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Failure(format!(
                "could not start {}: {e}",
                binary(host, target).display()
            ))
        })?;
    let took = started.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let result = outcome(target, &text, output.status.success(), took);
    if result.failure.is_some() {
        eprintln!("{text}");
    }
    println!(
        "    {} executions{}",
        result.executions,
        result.failure.map(|f| format!(", {f}")).unwrap_or_default()
    );
    Ok(result)
}

/// `cargo xtask fuzz [--secs N] [target…]`.
pub fn task(args: &[String]) -> Result<(), Failure> {
    let mut secs = DEFAULT_SECS;
    let mut only = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => {
                secs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Failure("--secs takes a whole number of seconds".into()))?;
            }
            other if other.starts_with('-') => {
                return Err(Failure(format!(
                    "unknown option `{other}`; usage: cargo xtask fuzz [--secs N] [target…]"
                )));
            }
            target => only.push(target.to_owned()),
        }
    }
    run(secs, &only, &[]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzing_uses_the_nightly_the_page_is_built_with() {
        let build =
            std::fs::read_to_string(root().join("frontend").join("build.sh")).unwrap_or_default();

        assert!(
            build.contains(&format!("readonly NIGHTLY={NIGHTLY}\n")),
            "frontend/build.sh pins another nightly than {NIGHTLY}"
        );
    }

    #[test]
    fn a_clean_run_gives_its_executions_and_no_failure() {
        let output = "#1048576 pulse\nDone 2345678 runs in 61 second(s)\n\
                      stat::number_of_executed_units: 2345678\nstat::peak_rss_mb: 80\n";

        let o = outcome("money_ids", output, true, Duration::from_secs(61));

        assert_eq!(o.executions, 2_345_678);
        assert_eq!(o.failure, None);
    }

    #[test]
    fn each_kind_of_libfuzzer_failure_is_named() {
        let cases = [
            (
                "==1== ERROR: libFuzzer: timeout after 10 seconds",
                "timeout",
            ),
            (
                "==1== ERROR: libFuzzer: out-of-memory (used: 2100Mb)",
                "oom",
            ),
            ("==1==ERROR: LeakSanitizer: detected memory leaks", "leak"),
            ("thread '<unnamed>' panicked at src/lib.rs:1:1", "crash"),
            (
                "==1==ERROR: AddressSanitizer: heap-buffer-overflow",
                "crash",
            ),
        ];
        for (output, kind) in cases {
            assert_eq!(
                outcome("t", output, false, Duration::from_secs(1)).failure,
                Some(kind),
                "{output}"
            );
        }
        assert_eq!(
            outcome("t", "", false, Duration::from_secs(1)).failure,
            Some("crash")
        );
    }

    #[test]
    fn the_table_lists_each_target_and_the_total() {
        let outcomes = [
            Outcome {
                target: "money_ids".into(),
                executions: 3_000_000,
                took: Duration::from_secs(60),
                failure: None,
            },
            Outcome {
                target: "http".into(),
                executions: 60_000,
                took: Duration::from_secs(60),
                failure: Some("crash"),
            },
        ];

        let table = table(&outcomes);

        assert!(table.contains("money_ids"), "{table}");
        assert!(table.contains("crash"), "{table}");
        assert!(
            table
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("total") && l.ends_with("3060000")),
            "{table}"
        );
    }

    #[test]
    fn lanes_answer_every_result_in_order_and_the_first_error() {
        let items: Vec<u32> = (0..17).collect();
        for lanes in [1, 2, 5, 40] {
            let squares = in_lanes(&items, lanes, |n| Ok(n * n)).unwrap();
            assert_eq!(
                squares,
                items.iter().map(|n| n * n).collect::<Vec<_>>(),
                "{lanes} lanes"
            );
        }
        let failed = in_lanes(&items, 2, |n| match n {
            3 | 9 => Err(Failure(format!("target {n} failed"))),
            n => Ok(*n),
        });
        assert_eq!(failed.unwrap_err().0, "target 3 failed");
        assert!(in_lanes(&[] as &[u32], 2, |n| Ok(*n)).unwrap().is_empty());
    }

    #[test]
    fn every_target_has_a_seed_corpus() {
        for target in targets().unwrap() {
            let seeds = fuzz_dir().join("corpus").join(&target);
            assert!(
                std::fs::read_dir(&seeds).is_ok_and(|mut d| d.next().is_some()),
                "{target} has no seeds in {}",
                seeds.display()
            );
        }
    }
}
