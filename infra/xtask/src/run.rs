//! Running commands: each step is announced, timed, and turned into a [`Failure`] that names it.
//!
//! Every step that ran is recorded with its wall time, in the order the steps ran, for
//! [`timing_table`].

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A step that failed, with the message to show.
#[derive(Debug)]
pub struct Failure(pub String);

/// The workspace root (the parent of `infra/xtask`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or(manifest)
}

/// Where cargo puts its builds: `CARGO_TARGET_DIR`, or `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Where the pinned tools live: `HOCPHI_TOOLS` (as `frontend/build.sh` reads it), or `.tools/`
/// in the workspace.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("HOCPHI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools"))
}

/// `cargo` as invoked by the user (respects `CARGO`).
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// Clippy's arguments for [`cargo_linted`], in the form `clippy-driver` reads from `CLIPPY_ARGS`
/// (as `cargo clippy -- -D warnings` passes them).
pub const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

/// `cargo` whose compilations of the workspace's own crates go through `clippy-driver` (the
/// toolchain's, beside its `rustc`), as `cargo clippy` runs them, with warnings denied: the
/// lints run inside the build the tests use, so lints and tests share one compilation of every
/// crate. Dependencies are compiled by plain `rustc`, as under `cargo clippy`.
pub fn cargo_linted() -> Result<Command, Failure> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .ok_or_else(|| Failure("`rustc --print sysroot` failed".into()))?;
    let driver = sysroot
        .join("bin")
        .join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
    if !driver.is_file() {
        return Err(Failure(format!(
            "no clippy-driver at {} (rustup component add clippy)",
            driver.display()
        )));
    }
    let mut command = cargo();
    command
        .env("RUSTC_WORKSPACE_WRAPPER", driver)
        .env("CLIPPY_ARGS", CLIPPY_ARGS);
    Ok(command)
}

/// One step that ran, and how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    pub step: String,
    pub took: Duration,
}

static TIMINGS: Mutex<Vec<Timing>> = Mutex::new(Vec::new());

/// Records that `what` ran for `took`.
pub(crate) fn record(what: &str, took: Duration) {
    TIMINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Timing {
            step: what.to_owned(),
            took,
        });
}

/// Every step that ran so far, in order.
pub fn timings() -> Vec<Timing> {
    TIMINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// The steps and their wall time in seconds, one line each under a header line.
pub fn timing_table(timings: &[Timing]) -> String {
    let width = timings
        .iter()
        .map(|t| t.step.chars().count())
        .chain(["step".len()])
        .max()
        .unwrap_or_default();
    let mut table = format!("{:<width$}  {:>8}\n", "step", "seconds");
    for timing in timings {
        table.push_str(&format!(
            "{:<width$}  {:>8.1}\n",
            timing.step,
            timing.took.as_secs_f64()
        ));
    }
    table
}

/// Runs a step to completion, streaming its output.
pub fn step(what: &str, command: &mut Command) -> Result<(), Failure> {
    println!("\n==> {what}");
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| Failure(format!("{what}: could not start {command:?}: {e}")))?;
    let took = started.elapsed();
    record(what, took);
    if status.success() {
        println!("    ok ({took:.1?})");
        Ok(())
    } else {
        Err(Failure(format!(
            "{what} failed ({status}); see the output above"
        )))
    }
}

/// Runs a step done in this process, announced, timed and recorded like [`step`].
pub fn timed<T>(what: &str, work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    println!("\n==> {what}");
    let started = Instant::now();
    let result = work();
    let took = started.elapsed();
    record(what, took);
    match result {
        Ok(value) => {
            println!("    ok ({took:.1?})");
            Ok(value)
        }
        Err(Failure(message)) => Err(Failure(format!("{what} failed: {message}"))),
    }
}

/// True when a command can be started and exits successfully.
pub fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Test counts summed over every `test result:` line of cargo's output.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Counts {
    /// Adds another suite's counts.
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }

    fn add_node_line(&mut self, line: &str) {
        let number = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        if let Some(n) = number("# pass") {
            self.passed += n;
        } else if let Some(n) = number("# fail") {
            self.failed += n;
        } else if let Some(n) = number("# skipped") {
            self.ignored += n;
        }
    }

    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match kind {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                "ignored" => self.ignored += number,
                _ => {}
            }
        }
    }
}

/// Runs a test step, echoing its output and counting the tests cargo reports.
pub fn test_step(what: &str, command: &mut Command) -> Result<Counts, Failure> {
    counting_step(what, command, Counts::add_line)
}

/// Runs Node's test runner, echoing its output and counting its `# pass` / `# fail` lines.
pub fn node_test_step(what: &str, command: &mut Command) -> Result<Counts, Failure> {
    counting_step(what, command, Counts::add_node_line)
}

fn counting_step(
    what: &str,
    command: &mut Command,
    count: fn(&mut Counts, &str),
) -> Result<Counts, Failure> {
    use std::io::{BufRead, BufReader};
    println!("\n==> {what}");
    let started = Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Failure(format!("{what}: could not start {command:?}: {e}")))?;
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            count(&mut counts, &line);
            println!("{line}");
        }
    }
    let status = child.wait().map_err(|e| Failure(format!("{what}: {e}")))?;
    let took = started.elapsed();
    record(what, took);
    if status.success() && counts.failed == 0 {
        println!("    ok ({took:.1?})");
        Ok(counts)
    } else {
        Err(Failure(format!(
            "{what} failed ({status}): {} passed, {} failed; see the output above",
            counts.passed, counts.failed
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timing_table_lists_each_step_with_its_seconds_under_a_header() {
        let timings = [
            Timing {
                step: "formatting (cargo fmt --check)".into(),
                took: Duration::from_millis(1_300),
            },
            Timing {
                step: "the page (Leptos → WebAssembly)".into(),
                took: Duration::from_secs(95),
            },
        ];

        let table = timing_table(&timings);

        assert_eq!(
            table,
            "step                              seconds\n\
             formatting (cargo fmt --check)        1.3\n\
             the page (Leptos → WebAssembly)      95.0\n"
        );
    }

    #[test]
    fn a_step_that_ran_is_recorded_with_its_name() {
        let name = format!("a recorded step {}", std::process::id());

        let ran = step(&name, &mut Command::new("true"));

        assert!(ran.is_ok());
        assert!(timings().iter().any(|t| t.step == name));
    }
}
