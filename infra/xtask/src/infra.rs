//! Offline checks of the infrastructure code, and the `sam build` smoke build.
//!
//! [`check`] lints `infra/template.yaml` and the edge stack `infra/policy/waf.yaml` with
//! cfn-lint, lints the template again after expanding it with the SAM translator (cfn-lint alone
//! does not look inside SAM functions' environment), runs `sam validate --lint` and checkov, and
//! proves the expansion path still catches a dangling reference. [`sam_build_smoke`] builds every
//! function the way `cargo xtask deploy` does (`cargo xtask test` without LTO or optimisation:
//! [`SMOKE_PROFILE`]).
//!
//! Invariants: every tool is one of the pinned ones of [`crate::tools`]; nothing here talks to
//! AWS.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::deploy::samconfig;
use crate::run::{Failure, root, step, target_dir};
use crate::tools::{CARGO_LAMBDA, CHECKOV, SAM, cargo_lambda_build, sam_build};

/// The region the SAM translator and `sam validate` resolve pseudo parameters for.
const LINT_REGION: &str = "ap-southeast-1";

/// Expands a SAM template into plain CloudFormation, as CloudFormation's transform would, with
/// local `CodeUri`s replaced by a packaged location (the translator accepts only S3 URIs).
const EXPAND: &str = r#"
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

with open(sys.argv[1], encoding="utf-8") as source:
    template = yaml_parse(source.read())
packaged = "s3://hocphi-lint/code.zip"
globals_ = template.get("Globals", {}).get("Function", {})
if "CodeUri" in globals_:
    globals_["CodeUri"] = packaged
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in resource.get("Properties", {}):
        resource["Properties"]["CodeUri"] = packaged
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(transform(template, {}, NoManagedPolicies()), out, indent=1)
"#;

/// A directory under `target/` for generated files.
fn scratch(name: &str) -> Result<PathBuf, Failure> {
    let dir = target_dir().join(name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// A Python tool from `bin`, with the lint region set and no AWS profile.
fn tool(bin: &Path, name: &str) -> Command {
    let mut command = Command::new(bin.join(name));
    command
        .env("AWS_DEFAULT_REGION", LINT_REGION)
        .env("SAM_CLI_TELEMETRY", "0")
        .env_remove("AWS_PROFILE");
    command
}

fn expand(sam: &Path, template: &Path, out: &Path) -> Command {
    let mut command = tool(sam, "python");
    command.arg("-c").arg(EXPAND).arg(template).arg(out);
    command
}

/// The template with one reference renamed to a resource that does not exist.
fn dangling_reference(template: &str) -> Result<String, Failure> {
    let good = "HOCPHI_TABLE: !Ref Table\n";
    if !template.contains(good) {
        return Err(Failure(format!(
            "the dangling-reference canary needs `{}` in infra/template.yaml",
            good.trim()
        )));
    }
    Ok(template.replacen(good, "HOCPHI_TABLE: !Ref NoSuchTable\n", 1))
}

/// Proves the expansion path still catches a dangling reference inside a function's environment.
fn canary(sam: &Path, template: &Path, out: &Path) -> Result<(), Failure> {
    println!("\n==> canary: a dangling reference inside a function's environment is caught");
    let text = std::fs::read_to_string(template)
        .map_err(|e| Failure(format!("cannot read {}: {e}", template.display())))?;
    let broken = out.join("canary-dangling-reference.yaml");
    let broken_expanded = out.join("canary-dangling-reference.json");
    std::fs::write(&broken, dangling_reference(&text)?)
        .map_err(|e| Failure(format!("cannot write {}: {e}", broken.display())))?;
    let translated = expand(sam, &broken, &broken_expanded)
        .status()
        .map_err(|e| Failure(format!("cannot run the SAM translator: {e}")))?;
    let linted = tool(sam, "cfn-lint")
        .args(["--format", "parseable", "--"])
        .arg(&broken_expanded)
        .output()
        .map_err(|e| Failure(format!("cannot run cfn-lint: {e}")))?;
    let findings = String::from_utf8_lossy(&linted.stdout);
    let caught = translated.success()
        && !linted.status.success()
        && findings.contains("E1020")
        && findings.contains("NoSuchTable");
    if !caught {
        return Err(Failure(format!(
            "the expanded template with `!Ref NoSuchTable` was not rejected by cfn-lint:\n{findings}"
        )));
    }
    println!(
        "    caught: E1020 on the expanded template ({} findings)",
        findings.lines().count()
    );
    Ok(())
}

/// Runs the linters over the infrastructure code; see the module docs.
pub fn check() -> Result<(), Failure> {
    let started = Instant::now();
    let sam = SAM.ensure()?;
    let checkov = CHECKOV.ensure()?;
    let installed = started.elapsed();
    let root = root();
    let template = root.join("infra").join("template.yaml");
    let waf = root.join("infra").join("policy").join("waf.yaml");
    let out = scratch("infra")?;
    let expanded = out.join("template.expanded.json");
    let regions: BTreeSet<String> = samconfig::provinces()?
        .into_iter()
        .map(|p| p.region)
        .collect();

    step(
        "expanding the template with the SAM translator",
        &mut expand(&sam, &template, &expanded),
    )?;
    step(
        "cfn-lint: infra/template.yaml and its expansion",
        tool(&sam, "cfn-lint")
            .arg("--regions")
            .args(&regions)
            .arg("--")
            .arg(&template)
            .arg(&expanded),
    )?;
    step(
        "cfn-lint: infra/policy/waf.yaml (us-east-1)",
        tool(&sam, "cfn-lint")
            .args(["--regions", "us-east-1", "--"])
            .arg(&waf),
    )?;
    step(
        "sam validate --lint",
        tool(&sam, "sam")
            .args(["validate", "--lint", "--template-file"])
            .arg(&template)
            .current_dir(&out),
    )?;
    step(
        "checkov (skips justified in .checkov.yaml)",
        tool(&checkov, "checkov")
            .arg("--config-file")
            .arg(root.join(".checkov.yaml"))
            .args(["--skip-download", "--compact", "--quiet"])
            .args(["--framework", "cloudformation"])
            .arg("--file")
            .arg(&template)
            .arg("--file")
            .arg(&waf)
            .current_dir(&root),
    )?;

    canary(&sam, &template, &out)?;
    println!(
        "\ninfrastructure checks passed in {:.1?} (tool installation {:.1?})",
        started.elapsed(),
        installed
    );
    Ok(())
}

/// `cargo xtask test`'s one departure from the release profile `cargo xtask deploy` ships: no LTO
/// and no optimisation. The smoke checks that SAM and cargo-lambda build and package every
/// function for arm64 as a deploy does; how LLVM optimises the code plays no part in that, only in
/// how long the build takes (cold, two cores: 97 s, against 159 s at the shipped `opt-level = "z"`
/// without LTO). `cargo xtask sam-build` keeps the shipping profile, and `cargo xtask bench
/// lambda` builds with it and holds each binary to its size, cold-start and memory targets.
/// (16 codegen units were measured slower on two cores: 180 s against 164 s cold.)
pub const SMOKE_PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_LTO", "off"),
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
];

/// Builds every function with `sam build` the way `cargo xtask deploy` does (arm64), with the
/// release profile changed by `profile` (environment overrides such as [`SMOKE_PROFILE`]), or for
/// x86_64 from a copy of the template when the arm64 standard library cannot be installed. The
/// binaries are built first by one `cargo lambda build` of them all, with the flags `sam build`
/// passes, so their release links run in parallel; `sam build` then runs its own `cargo lambda
/// build` per function, which finds them fresh, and packages each.
pub fn sam_build_smoke(profile: &[(&str, &str)]) -> Result<(), Failure> {
    let started = Instant::now();
    let sam = SAM.ensure()?;
    let cargo_lambda = CARGO_LAMBDA.ensure()?;
    let root = root();
    let out = scratch("sam-smoke")?;
    let mut template = root.join("infra").join("template.yaml");
    let arm64 = step(
        "the arm64 Rust target (aarch64-unknown-linux-gnu)",
        Command::new("rustup").args(["target", "add", "aarch64-unknown-linux-gnu"]),
    );
    if arm64.is_err() {
        println!("    no arm64 standard library here: building for x86_64 instead");
        let text = std::fs::read_to_string(&template)
            .map_err(|e| Failure(format!("cannot read {}: {e}", template.display())))?;
        let root_dir = root.to_string_lossy();
        let x86 = text
            .replacen("Architectures: [arm64]", "Architectures: [x86_64]", 1)
            .replacen("CodeUri: ../", &format!("CodeUri: {root_dir}/"), 1);
        template = out.join("template-x86_64.yaml");
        std::fs::write(&template, x86)
            .map_err(|e| Failure(format!("cannot write {}: {e}", template.display())))?;
    }
    let build = out.join("build");
    let tools = started.elapsed();
    let building = Instant::now();
    let mut binaries: Vec<&str> = hocphi_runtime::Function::DEPLOYED
        .iter()
        .map(|f| f.binary())
        .collect();
    binaries.sort_unstable();
    binaries.dedup();
    step(
        "cargo lambda build of every function in one invocation (links in parallel)",
        cargo_lambda_build(&cargo_lambda, arm64.is_ok(), &binaries).envs(profile.iter().copied()),
    )?;
    step(
        "sam build (cargo-lambda, release)",
        sam_build(&sam, &cargo_lambda, &out, &template, &build).envs(profile.iter().copied()),
    )?;
    let took = building.elapsed();
    println!("\nfunction   bootstrap");
    if !profile.is_empty() {
        println!(
            "(built with {profile:?}: not the shipped sizes, which `cargo xtask bench lambda` measures)"
        );
    }
    let text = std::fs::read_to_string(&template)
        .map_err(|e| Failure(format!("cannot read {}: {e}", template.display())))?;
    let functions = serverless_functions(&text);
    if functions.is_empty() {
        return Err(Failure(format!(
            "{} declares no AWS::Serverless::Function",
            template.display()
        )));
    }
    for function in &functions {
        let bootstrap = build.join(function).join("bootstrap");
        let size = std::fs::metadata(&bootstrap)
            .map_err(|_| Failure(format!("sam build produced no {}", bootstrap.display())))?
            .len();
        println!(
            "{function:<18} {}.{} MB",
            size / 1_000_000,
            size % 1_000_000 / 100_000
        );
    }
    println!(
        "\nsam build smoke passed: build {took:.1?}, tools {tools:.1?} ({})",
        if arm64.is_ok() { "arm64" } else { "x86_64" }
    );
    Ok(())
}

/// The logical ids of the template's `AWS::Serverless::Function` resources, in order.
fn serverless_functions(template: &str) -> Vec<String> {
    let lines: Vec<&str> = template.lines().collect();
    lines
        .windows(2)
        .filter(|pair| pair[1].trim() == "Type: AWS::Serverless::Function")
        .filter_map(|pair| {
            let id = pair[0].strip_prefix("  ")?.strip_suffix(':')?;
            (!id.starts_with(' ')).then(|| id.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_build_checks_every_function_the_template_declares() {
        let text = std::fs::read_to_string(root().join("infra").join("template.yaml")).unwrap();

        let functions = serverless_functions(&text);

        assert!(
            functions.contains(&"VnpayCallbackFunction".to_owned()),
            "{functions:?}"
        );
        assert!(
            functions.contains(&"MomoCallbackFunction".to_owned()),
            "{functions:?}"
        );
        for name in [
            "PayosCallbackFunction",
            "DvcqgCallbackFunction",
            "PartnersFunction",
        ] {
            assert!(functions.contains(&name.to_owned()), "{functions:?}");
        }
        assert_eq!(functions.len(), 10, "{functions:?}");
    }

    #[test]
    fn the_canary_breaks_exactly_one_reference_of_the_real_template() {
        let text = std::fs::read_to_string(root().join("infra").join("template.yaml")).unwrap();

        let broken = dangling_reference(&text).unwrap();

        assert_eq!(broken.matches("!Ref NoSuchTable").count(), 1);
        assert_eq!(broken.len(), text.len() + "NoSuch".len());
    }
}
