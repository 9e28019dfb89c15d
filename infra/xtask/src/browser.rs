//! The browser suite: the built page in headless Chromium (Debian's package) against the local
//! stack, driven by `playwright-core` from Node's test runner.
//!
//! The local server runs on a free loopback port over a fresh temporary data directory and is
//! stopped when the guard drops; screenshots of failures land in `target/browser-screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{Counts, Failure, root, step, succeeds, target_dir};

/// The local stack's lookup key in its data directory (`hocphi_runtime::config::
/// LOCAL_LOOKUP_KEY_FILE`): the partner tests compute payment codes with it, as hocphi does.
const LOOKUP_KEY_FILE: &str = "lookup-key";

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// The longest one browser test may take: a test stuck on the browser fails instead of holding
/// the run until CI's own limit.
const TEST_TIMEOUT: &str = "--test-timeout=180000";

/// What the suite imports: the browser driver, payOS's own SDK and an independent VietQR decoder.
const NPM_PACKAGES: [&str; 3] = ["playwright-core", "@payos/node", "vietnam-qr-pay"];

pub(crate) struct Server {
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
pub(crate) fn chromium() -> Result<(), Failure> {
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
    let modules = dir.join("node_modules");
    if NPM_PACKAGES.iter().all(|p| modules.join(p).exists()) {
        return Ok(());
    }
    step(
        "installing playwright-core, @payos/node and vietnam-qr-pay (npm, pinned by tests/browser/package-lock.json)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir),
    )
}

/// Starts the local server `binary` (as [`crate::storm::build_server`] answers it) on a free
/// loopback port over a fresh data directory and the built site; answers it and its base URL.
pub(crate) fn start_server(binary: &Path) -> Result<(Server, String), Failure> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure(format!("no free loopback port: {e}")))?;
    let data = std::env::temp_dir().join(format!("hocphi-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let child = Command::new(binary)
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

/// Runs the browser suite, each file against its own fresh local stack (every file starts from
/// the demo data, whatever the others paid); answers the counted tests.
pub fn run() -> Result<Counts, Failure> {
    chromium()?;
    npm_packages()?;
    let dir = root().join("tests").join("browser");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Failure(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    let binary = crate::storm::build_server(false)?;
    let shots = target_dir().join("browser-screenshots");
    let mut counts = Counts::default();
    let mut failed = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (server, base) = start_server(&binary)?;
        let lookup_key = server.data.join(LOOKUP_KEY_FILE);
        let result = crate::run::node_test_step(
            &format!("browser tests: {name} (headless Chromium against a fresh local stack)"),
            Command::new("node")
                .args(["--test", "--test-concurrency=1", TEST_TIMEOUT])
                .arg(file)
                .env("HOCPHI_BASE_URL", &base)
                .env("HOCPHI_CHROMIUM", CHROMIUM)
                .env("HOCPHI_SCREENSHOTS", &shots)
                .env("HOCPHI_LOOKUP_KEY_FILE", &lookup_key),
        );
        drop(server);
        match result {
            Ok(c) => counts.add(c),
            Err(e) => failed.push(format!("{name}: {}", e.0)),
        }
    }
    if failed.is_empty() {
        Ok(counts)
    } else {
        Err(Failure(failed.join("; ")))
    }
}
