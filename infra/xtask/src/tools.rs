//! The pinned Python tools under `.tools/`: AWS SAM CLI (with cfn-lint and the SAM translator),
//! checkov, cargo-lambda and moto; and how `sam` is invoked with cargo-lambda on its `PATH`.
//!
//! Invariants: every tool is pinned to an exact version and lives in its own virtual environment
//! under `.tools/<dir>`, installed only when missing or when its pins change. Environments are
//! made and filled by uv (itself pinned, installed by pip into `.tools/uv`), which resolves,
//! unpacks and compiles the bytecode in parallel: SAM, checkov and moto in 28 s on two cores,
//! where pip took 137 s. The bytecode is compiled at install because the tools' later runs may
//! not write it (`PYTHONDONTWRITEBYTECODE`), and without it each run of cfn-lint or checkov
//! compiles its modules again (5 s instead of 2 s).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{Failure, step};

/// A Python tool in its own virtual environment under `.tools/<dir>`.
pub struct Venv {
    dir: &'static str,
    probe: &'static str,
    pins: &'static [&'static str],
}

/// AWS SAM CLI, with the cfn-lint and SAM translator it ships with pinned to the same versions.
pub const SAM: Venv = Venv {
    dir: "sam",
    probe: "sam",
    pins: &[
        "aws-sam-cli==1.170.0",
        "cfn-lint==1.58.0",
        "aws-sam-translator==1.115.0",
    ],
};

/// checkov pins an older boto3 than SAM CLI, hence its own environment.
pub const CHECKOV: Venv = Venv {
    dir: "checkov",
    probe: "checkov",
    pins: &["checkov==3.3.30"],
};

/// cargo-lambda (with ziglang as its cross linker), which `sam build` runs for Rust functions.
pub const CARGO_LAMBDA: Venv = Venv {
    dir: "cargo-lambda",
    probe: "cargo-lambda",
    pins: &["cargo-lambda==1.9.2"],
};

/// moto's server mode, the DynamoDB API the tests run against ([`crate::moto`]).
pub const MOTO: Venv = Venv {
    dir: "moto",
    probe: "moto_server",
    pins: &["moto[server]==5.2.5"],
};

/// uv, which makes and fills the other environments.
const UV: Venv = Venv {
    dir: "uv",
    probe: "uv",
    pins: &["uv==0.13.9"],
};

/// The directory of a tool under `.tools/`.
fn tool_dir(name: &str) -> PathBuf {
    crate::run::tools_dir().join(name)
}

impl Venv {
    /// The environment's `bin` directory, installed or not.
    pub fn bin(&self) -> PathBuf {
        tool_dir(self.dir).join("bin")
    }

    fn stamp(&self) -> PathBuf {
        tool_dir(self.dir).join("hocphi-pins.txt")
    }

    fn installed(&self) -> bool {
        self.bin().join(self.probe).exists()
            && std::fs::read_to_string(self.stamp()).is_ok_and(|s| s == self.pins.join("\n"))
    }

    /// The environment's `bin` directory, installing the pinned packages first if needed (and uv
    /// before them).
    pub fn ensure(&self) -> Result<PathBuf, Failure> {
        if self.installed() {
            return Ok(self.bin());
        }
        let uv = UV.ensure_by(&Installer::Pip)?.join("uv");
        self.ensure_by(&Installer::Uv(uv))
    }

    /// [`Venv::ensure`] with `installer` making and filling the environment.
    fn ensure_by(&self, installer: &Installer) -> Result<PathBuf, Failure> {
        if self.installed() {
            return Ok(self.bin());
        }
        let dir = tool_dir(self.dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| Failure(format!("cannot replace {}: {e}", dir.display())))?;
        }
        step(
            &format!("creating a Python environment in .tools/{}", self.dir),
            &mut installer.make(&dir),
        )?;
        step(
            &format!("installing {} from PyPI", self.pins.join(" ")),
            &mut installer.fill(&self.bin(), self.pins),
        )?;
        std::fs::write(self.stamp(), self.pins.join("\n"))
            .map_err(|e| Failure(format!("cannot write {}: {e}", self.stamp().display())))?;
        Ok(self.bin())
    }

    /// [`Venv::ensure`] when `install` is set, else only where the tool would be.
    pub fn bin_installing_if(&self, install: bool) -> Result<PathBuf, Failure> {
        if install {
            self.ensure()
        } else {
            Ok(self.bin())
        }
    }
}

/// How an environment is made and filled: with the Python's own venv and pip (for uv itself), or
/// with uv.
enum Installer {
    Pip,
    Uv(PathBuf),
}

impl Installer {
    /// Makes an empty environment at `dir` from `PYTHON` (else `python3`).
    fn make(&self, dir: &Path) -> Command {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut command;
        match self {
            Self::Pip => {
                command = Command::new(python);
                command.args(["-m", "venv"]);
            }
            Self::Uv(uv) => {
                command = Command::new(uv);
                command.args(["venv", "--quiet", "--python"]).arg(python);
            }
        }
        command.arg(dir);
        command
    }

    /// Installs `pins` into the environment whose `bin` directory is `bin`.
    fn fill(&self, bin: &Path, pins: &[&str]) -> Command {
        let mut command;
        match self {
            Self::Pip => {
                command = Command::new(bin.join("pip"));
                command.args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                ]);
            }
            Self::Uv(uv) => {
                command = Command::new(uv);
                command
                    .args([
                        "pip",
                        "install",
                        "--quiet",
                        "--compile-bytecode",
                        "--python",
                    ])
                    .arg(bin.join("python"));
            }
        }
        command.args(pins);
        command
    }
}

/// `sam` from `bin`, run in `dir`, without telemetry.
pub fn sam_command(bin: &Path, dir: &Path) -> Command {
    let mut command = Command::new(bin.join("sam"));
    command.current_dir(dir).env("SAM_CLI_TELEMETRY", "0");
    command
}

/// `sam build` of `template` into `build_dir`, run in `dir` with cargo-lambda's `bin` on `PATH`.
pub fn sam_build(
    sam: &Path,
    cargo_lambda: &Path,
    dir: &Path,
    template: &Path,
    build_dir: &Path,
) -> Command {
    let mut command = sam_command(sam, dir);
    command
        .env("PATH", path_with(cargo_lambda))
        .arg("build")
        .arg("--template-file")
        .arg(template)
        .arg("--build-dir")
        .arg(build_dir);
    command
}

/// `cargo lambda build --release` of every `binaries` in one invocation, as `sam build` runs it
/// for one (`--arm64` for arm64; nothing for x86_64 on an x86_64 host), so that the links run in
/// parallel and the `sam build` that follows finds every binary fresh.
pub fn cargo_lambda_build(cargo_lambda: &Path, arm64: bool, binaries: &[&str]) -> Command {
    let mut command = crate::run::cargo();
    command
        .env("PATH", path_with(cargo_lambda))
        .args(["lambda", "build", "--release"]);
    if arm64 {
        command.arg("--arm64");
    }
    for binary in binaries {
        command.args(["--bin", binary]);
    }
    command
}

/// `PATH` with `dir` in front.
fn path_with(dir: &Path) -> OsString {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_pinned_to_an_exact_version() {
        for venv in [&SAM, &CHECKOV, &CARGO_LAMBDA, &MOTO, &UV] {
            for pin in venv.pins {
                assert!(pin.contains("=="), "{pin} is not pinned");
            }
        }
    }
}
