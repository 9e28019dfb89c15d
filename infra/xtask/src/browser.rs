//! The browser suite: the built page in headless Chromium (Debian's package) against the local
//! stack, driven by `playwright-core` from Node's test runner.
//!
//! The local server runs on a free loopback port over a fresh temporary data directory and is
//! stopped when the guard drops; screenshots of failures land in `target/browser-screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{Counts, Failure, cargo, root, step, succeeds, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";

struct Server {
    child: Child,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Installs Debian's Chromium when it is missing (the tasks run as root on CI machines).
fn chromium() -> Result<(), Failure> {
    if std::path::Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    step(
        "apt-get update",
        Command::new("apt-get").args(["update", "-qq"]),
    )?;
    step(
        "installing Chromium (Debian package) for the browser tests",
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn npm_packages() -> Result<(), Failure> {
    let dir = root().join("tests").join("browser");
    if dir.join("node_modules").join("playwright-core").exists() {
        return Ok(());
    }
    step(
        "installing playwright-core (npm, pinned by tests/browser/package-lock.json)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir),
    )
}

fn start_server() -> Result<(Server, String), Failure> {
    step(
        "building the local server",
        cargo().args(["build", "--locked", "-p", "hocphi-local"]),
    )?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure(format!("no free loopback port: {e}")))?;
    let data = std::env::temp_dir().join(format!("hocphi-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let child = Command::new(target_dir().join("debug").join("hocphi-local"))
        .args(["--port", &port.to_string(), "--data"])
        .arg(&data)
        .arg("--site")
        .arg(target_dir().join("site"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| Failure(format!("cannot start hocphi-local: {e}")))?;
    let server = Server { child, data };
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if succeeds(Command::new("curl").args(["-sf", "-o", "/dev/null", &format!("{base}/")])) {
            return Ok((server, base));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Failure(
        "the local server did not answer within 30 s".into(),
    ))
}

/// Runs the browser suite against a fresh local stack; answers the counted tests.
pub fn run() -> Result<Counts, Failure> {
    chromium()?;
    npm_packages()?;
    let (server, base) = start_server()?;
    let shots = target_dir().join("browser-screenshots");
    let counts = crate::run::node_test_step(
        "browser tests (headless Chromium against the local stack)",
        Command::new("node")
            .args(["--test", "--test-concurrency=1"])
            .arg(root().join("tests").join("browser"))
            .env("HOCPHI_BASE_URL", &base)
            .env("HOCPHI_CHROMIUM", CHROMIUM)
            .env("HOCPHI_SCREENSHOTS", &shots),
    );
    drop(server);
    counts
}
