//! `cargo xtask bench page`: the parents' page as a first visit downloads it (the page build's
//! table of brotli weights against its budget) and Lighthouse's mobile performance audit of its
//! screens on the local stack (`infra/xtask/lighthouse.mjs`).
//!
//! Lighthouse is npm's `lighthouse` at [`LIGHTHOUSE`], installed into `.tools/lighthouse` (or
//! `$HOCPHI_TOOLS/lighthouse`) when missing; it drives Debian's Chromium, as the browser suite does.

use std::path::PathBuf;
use std::process::Command;

use crate::browser;
use crate::run::{Failure, root, step};

/// The pinned Lighthouse release.
const LIGHTHOUSE: &str = "12.8.2";

fn install_dir() -> PathBuf {
    std::env::var_os("HOCPHI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools"))
        .join("lighthouse")
}

fn lighthouse() -> Result<PathBuf, Failure> {
    let dir = install_dir();
    let manifest = dir.join("node_modules/lighthouse/package.json");
    let version = format!("\"version\": \"{LIGHTHOUSE}\"");
    if std::fs::read_to_string(&manifest).is_ok_and(|m| m.contains(&version)) {
        return Ok(dir);
    }
    step(
        &format!(
            "installing lighthouse {LIGHTHOUSE} (npm) into {}",
            dir.display()
        ),
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .args([
                "--save-exact",
                &format!("lighthouse@{LIGHTHOUSE}"),
                "--prefix",
            ])
            .arg(&dir),
    )?;
    Ok(dir)
}

/// Builds the page (its weights), starts the local stack and audits its screens.
pub fn run() -> Result<(), Failure> {
    crate::tasks::build_page()?;
    browser::chromium()?;
    let lighthouse = lighthouse()?;
    let binary = crate::storm::build_server(false)?;
    let (_server, base) = browser::start_server(&binary)?;
    step(
        &format!("Lighthouse {LIGHTHOUSE}, mobile: look-up, result, receipt and transfer screens"),
        Command::new("node")
            .arg(root().join("infra/xtask/lighthouse.mjs"))
            .arg(&lighthouse)
            .arg(&base)
            .arg(browser::CHROMIUM),
    )
}
