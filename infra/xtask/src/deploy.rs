//! `cargo xtask deploy --province <config-env> [--dry-run]`: one province's stack, from a checkout,
//! in one command.
//!
//! Steps: build the page (`frontend/build.sh`) and the functions (`sam build`, once for every
//! province); deploy the province's edge stack (`infra/policy/waf.yaml`, us-east-1) and take its
//! web ACL's ARN; `sam deploy --config-env <province>`; read the stack's outputs; upload the page
//! (content-hashed assets cached for a year as immutable, each beside its brotli file, `index.html`
//! never without revalidation);
//! invalidate `/index.html` and `/`; print the site and IPN URLs.
//!
//! Invariants: a province is a config-env of `infra/samconfig.toml` and nothing else is deployed;
//! with `--dry-run` every step is printed and no AWS command runs; no file is uploaded without an
//! explicit content type and cache rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{Failure, root, step, target_dir};

const USAGE: &str =
    "usage: cargo xtask deploy --province <config-env of infra/samconfig.toml> [--dry-run]";

/// The region every CLOUDFRONT-scope web ACL must live in.
const EDGE_REGION: &str = "us-east-1";

/// The Rust target of the functions (`Architectures: [arm64]`).
const LAMBDA_TARGET: &str = "aarch64-unknown-linux-gnu";

/// `infra/samconfig.toml`.
pub fn samconfig_path() -> PathBuf {
    root().join("infra").join("samconfig.toml")
}

/// One province's deploy settings, as `sam deploy --config-env` reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Province {
    pub name: String,
    pub stack_name: String,
    pub region: String,
    pub tags: Vec<(String, String)>,
    pub overrides: Vec<(String, String)>,
}

impl Province {
    /// The value of one template parameter in this config-env.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.overrides
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The us-east-1 stack holding this province's web ACL.
    pub fn edge_stack_name(&self) -> String {
        format!("{}-edge", self.stack_name)
    }
}

/// A TOML value of the subset samconfig.toml uses.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Text(String),
    Other(String),
    List(Vec<String>),
}

/// Reads the subset of TOML that samconfig.toml is written in: `[dotted.table]` headers, and
/// `key = value` where a value is a basic or literal string, a bare scalar, or an array of
/// strings (possibly over several lines).
fn parse_toml(text: &str) -> Result<BTreeMap<String, BTreeMap<String, Value>>, String> {
    let mut tables: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut table = String::new();
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let line = strip_comment(line).trim().to_owned();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = header.trim().to_owned();
            tables.entry(table.clone()).or_default();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected `key = value`", number + 1));
        };
        let key = key.trim().to_owned();
        let mut value = value.trim().to_owned();
        if value.starts_with('[') {
            while !value.ends_with(']') {
                let Some((_, more)) = lines.next() else {
                    return Err(format!("line {}: unterminated array", number + 1));
                };
                value.push(' ');
                value.push_str(strip_comment(more).trim());
            }
            let items = strings_in(&value[1..value.len() - 1])
                .map_err(|e| format!("line {}: {e}", number + 1))?;
            tables
                .entry(table.clone())
                .or_default()
                .insert(key, Value::List(items));
        } else if value.starts_with('"') || value.starts_with('\'') {
            let mut items = strings_in(&value).map_err(|e| format!("line {}: {e}", number + 1))?;
            let Some(text) = items.pop().filter(|_| items.is_empty()) else {
                return Err(format!("line {}: expected one string", number + 1));
            };
            tables
                .entry(table.clone())
                .or_default()
                .insert(key, Value::Text(text));
        } else {
            tables
                .entry(table.clone())
                .or_default()
                .insert(key, Value::Other(value));
        }
    }
    Ok(tables)
}

/// A line without its `#` comment (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..at],
            _ => {}
        }
        escaped = false;
    }
    line
}

/// The strings of a comma-separated sequence of TOML strings.
fn strings_in(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let Some(open) = chars.next() else {
            return Ok(items);
        };
        if open != '"' && open != '\'' {
            return Err(format!("expected a string, found `{open}`"));
        }
        let mut item = String::new();
        loop {
            match chars.next() {
                None => return Err("unterminated string".into()),
                Some(c) if c == open => break,
                Some('\\') if open == '"' => match chars.next() {
                    Some('n') => item.push('\n'),
                    Some('t') => item.push('\t'),
                    Some(c @ ('"' | '\\')) => item.push(c),
                    other => return Err(format!("unsupported escape \\{other:?}")),
                },
                Some(c) => item.push(c),
            }
        }
        items.push(item);
    }
}

/// `Key=Value` with SAM's unquoting of a value wrapped in double quotes.
fn key_value(pair: &str) -> Result<(String, String), String> {
    let (key, value) = pair
        .split_once('=')
        .ok_or_else(|| format!("`{pair}` is not Key=Value"))?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Ok((key.trim().to_owned(), value.to_owned()))
}

/// Every province (config-env with `deploy.parameters`) of a samconfig.toml text, in file order
/// of their names.
pub fn provinces_in(text: &str) -> Result<Vec<Province>, String> {
    let tables = parse_toml(text)?;
    let mut provinces = Vec::new();
    for (name, table) in &tables {
        let Some(env) = name.strip_suffix(".deploy.parameters") else {
            continue;
        };
        if env == "default" {
            continue;
        }
        let text = |key: &str| match table.get(key) {
            Some(Value::Text(value)) => Ok(value.clone()),
            _ => Err(format!("[{name}] needs {key} = \"...\"")),
        };
        let pairs = |key: &str| match table.get(key) {
            Some(Value::List(items)) => items.iter().map(|i| key_value(i)).collect(),
            Some(Value::Text(items)) => items.split_whitespace().map(key_value).collect(),
            _ => Err(format!("[{name}] needs {key} = [\"Key=Value\", ...]")),
        };
        provinces.push(Province {
            name: env.to_owned(),
            stack_name: text("stack_name")?,
            region: text("region")?,
            tags: pairs("tags")?,
            overrides: pairs("parameter_overrides")?,
        });
    }
    Ok(provinces)
}

/// The provinces of `infra/samconfig.toml`.
pub fn provinces() -> Result<Vec<Province>, Failure> {
    let path = samconfig_path();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    provinces_in(&text).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

/// The province a config-env name selects, or why none does.
pub fn province(all: &[Province], name: &str) -> Result<Province, Failure> {
    all.iter().find(|p| p.name == name).cloned().ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        Failure(format!(
            "unknown province `{name}`: infra/samconfig.toml has config-envs for {}",
            known.join(", ")
        ))
    })
}

/// How one kind of page file is uploaded.
struct UploadRule {
    pattern: &'static str,
    content_type: &'static str,
}

/// Content-hashed assets: a new build gives them new names, so they never change in place.
const HASHED: [UploadRule; 3] = [
    UploadRule {
        pattern: "*.wasm",
        content_type: "application/wasm",
    },
    UploadRule {
        pattern: "*.js",
        content_type: "text/javascript; charset=utf-8",
    },
    UploadRule {
        pattern: "*.css",
        content_type: "text/css; charset=utf-8",
    },
];
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Files of the built page that are deliberately not uploaded: the build's manifest, the gzip
/// siblings and `index.html`'s brotli one (CloudFront compresses those on the edge).
fn skipped(name: &str) -> bool {
    name == "manifest.txt" || name == "index.html.br" || name.ends_with(".gz")
}

/// The brotli sibling `build.sh` writes for a file: the CloudFront Function hands it to browsers
/// that accept brotli, smaller than CloudFront's own compression on the edge.
fn brotli(name: &str) -> String {
    format!("{name}.br")
}

/// Whether a file name carries the build's content hash (`name-<16 hex>.ext`).
fn hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Refuses a built page that the upload rules would serve wrongly: an unknown kind of file, or
/// an asset without a content hash in its name (it would be cached as immutable).
fn check_site(dir: &Path) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure(format!("cannot read the built page {}: {e}", dir.display())))?;
    let names: Vec<String> = entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let is_asset = |name: &str| {
        HASHED
            .iter()
            .any(|r| name.ends_with(r.pattern.trim_start_matches('*')))
    };
    let mut has_index = false;
    for name in &names {
        let asset = is_asset(name);
        let compressed = name
            .strip_suffix(".br")
            .is_some_and(|plain| is_asset(plain) && names.iter().any(|n| n == plain));
        if name == "index.html" {
            has_index = true;
        } else if asset && !hashed(name) {
            return Err(Failure(format!(
                "{name} has no content hash in its name, so it cannot be cached as immutable"
            )));
        } else if asset && !names.contains(&brotli(name)) {
            return Err(Failure(format!(
                "{name} has no {} beside it, which browsers taking brotli are sent",
                brotli(name)
            )));
        } else if !asset && !compressed && !skipped(name) {
            return Err(Failure(format!(
                "no upload rule for {name} (content type, cache): add one to infra/xtask/src/deploy.rs"
            )));
        }
    }
    if has_index {
        Ok(())
    } else {
        Err(Failure(format!("{} has no index.html", dir.display())))
    }
}

/// Runs commands, or only shows them.
pub trait Shell {
    /// Runs a step to completion.
    fn run(&mut self, what: &str, command: &mut Command) -> Result<(), Failure>;
    /// Runs a step and answers its standard output; `placeholder` stands in when nothing runs.
    fn read(
        &mut self,
        what: &str,
        command: &mut Command,
        placeholder: &str,
    ) -> Result<String, Failure>;
    /// Whether commands really run.
    fn live(&self) -> bool;
}

/// Runs every command.
#[derive(Debug)]
struct Live;

impl Shell for Live {
    fn run(&mut self, what: &str, command: &mut Command) -> Result<(), Failure> {
        step(what, command)
    }

    fn read(&mut self, what: &str, command: &mut Command, _: &str) -> Result<String, Failure> {
        println!("\n==> {what}");
        let output = command
            .output()
            .map_err(|e| Failure(format!("{what}: could not start {}: {e}", show(command))))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(Failure(format!(
                "{what} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }

    fn live(&self) -> bool {
        true
    }
}

/// Prints every command and runs none.
#[derive(Debug, Default)]
pub struct DryRun {
    pub shown: Vec<String>,
}

impl Shell for DryRun {
    fn run(&mut self, what: &str, command: &mut Command) -> Result<(), Failure> {
        let line = show(command);
        println!("\n==> {what}\n    {line}");
        self.shown.push(line);
        Ok(())
    }

    fn read(
        &mut self,
        what: &str,
        command: &mut Command,
        placeholder: &str,
    ) -> Result<String, Failure> {
        self.run(what, command)?;
        Ok(placeholder.to_owned())
    }

    fn live(&self) -> bool {
        false
    }
}

/// A command as a shell line: `cd dir && VAR=value program 'arg' ...`.
pub fn show(command: &Command) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b))
        {
            s.to_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut line = String::new();
    if let Some(dir) = command.get_current_dir() {
        line.push_str(&format!("cd {} && ", quote(&dir.to_string_lossy())));
    }
    let inherited_path = std::env::var("PATH").unwrap_or_default();
    for (key, value) in command.get_envs() {
        let Some(value) = value else { continue };
        let value = value.to_string_lossy();
        let shown = match value.strip_suffix(&format!(":{inherited_path}")) {
            Some(front) if key == "PATH" && !inherited_path.is_empty() => {
                format!("{}:\"$PATH\"", quote(front))
            }
            _ => quote(&value),
        };
        line.push_str(&format!("{}={shown} ", key.to_string_lossy()));
    }
    line.push_str(&quote(&command.get_program().to_string_lossy()));
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&quote(&arg.to_string_lossy()));
    }
    line
}

/// `aws` with the region set and no pager.
fn aws(region: &str) -> Command {
    let mut command = Command::new("aws");
    command
        .args(["--region", region])
        .env("AWS_PAGER", "")
        .env_remove("AWS_DEFAULT_OUTPUT");
    command
}

/// Stack outputs as `Key\tValue` lines.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Every step of one province's deployment, through `shell`.
pub fn deploy(shell: &mut dyn Shell, province: &Province) -> Result<(), Failure> {
    let root = root();
    let site = target_dir().join("site");
    let sam_dir = target_dir().join("sam");
    let built = sam_dir.join("build");
    let tags: Vec<String> = province
        .tags
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if shell.live() {
        std::fs::create_dir_all(&sam_dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", sam_dir.display())))?;
    }

    let identity = shell.read(
        "the AWS account that will be changed",
        aws(&province.region).args([
            "sts",
            "get-caller-identity",
            "--query",
            "Account",
            "--output",
            "text",
        ]),
        "<account>",
    )?;
    println!(
        "    deploying {} to account {identity}, {}",
        province.name, province.region
    );

    shell.run(
        "building the page into target/site",
        Command::new("bash")
            .arg(root.join("frontend").join("build.sh"))
            .arg(&site)
            .current_dir(&root),
    )?;
    if shell.live() {
        check_site(&site)?;
    }
    shell.run(
        &format!("the Rust target of the functions ({LAMBDA_TARGET})"),
        Command::new("rustup").args(["target", "add", LAMBDA_TARGET]),
    )?;
    let cargo_lambda = crate::infra::cargo_lambda(shell.live())?;
    let sam = crate::infra::sam_cli(shell.live())?;
    shell.run(
        "building the functions (sam build, cargo-lambda, arm64)",
        crate::infra::sam_command(&sam, &sam_dir)
            .env("PATH", crate::infra::path_with(&cargo_lambda))
            .arg("build")
            .arg("--template-file")
            .arg(root.join("infra").join("template.yaml"))
            .arg("--build-dir")
            .arg(&built),
    )?;

    let edge_stack = province.edge_stack_name();
    let mut edge = aws(EDGE_REGION);
    edge.args(["cloudformation", "deploy", "--stack-name", &edge_stack])
        .arg("--template-file")
        .arg(root.join("infra").join("policy").join("waf.yaml"))
        .args(["--no-fail-on-empty-changeset", "--parameter-overrides"])
        .arg(format!("Province={}", province.name));
    if let Some(days) = province.parameter("LogRetentionDays") {
        edge.arg(format!("LogRetentionDays={days}"));
    }
    edge.arg("--tags").args(&tags);
    shell.run(
        &format!("the edge stack {edge_stack} (WAF web ACL, {EDGE_REGION})"),
        &mut edge,
    )?;
    let recorded = province.parameter("WebAclArn").unwrap_or_default();
    let web_acl = shell.read(
        "the web ACL's ARN",
        aws(EDGE_REGION).args([
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &edge_stack,
            "--query",
            "Stacks[0].Outputs[?OutputKey=='WebAclArn'].OutputValue",
            "--output",
            "text",
        ]),
        recorded,
    )?;
    if web_acl != recorded {
        println!(
            "    note: infra/samconfig.toml has WebAclArn={recorded}; the edge stack's is {web_acl}.\n    \
             Record it in [{}.deploy.parameters] so that `sam deploy --config-env {}` alone stays right.",
            province.name, province.name
        );
    }
    let overrides: Vec<String> = province
        .overrides
        .iter()
        .map(|(k, v)| {
            let v = if k == "WebAclArn" { &web_acl } else { v };
            format!("{k}=\"{v}\"")
        })
        .collect();
    shell.run(
        &format!(
            "deploying {} (sam deploy --config-env {})",
            province.stack_name, province.name
        ),
        crate::infra::sam_command(&sam, &sam_dir)
            .arg("deploy")
            .arg("--config-file")
            .arg(samconfig_path())
            .args(["--config-env", &province.name])
            .arg("--template-file")
            .arg(built.join("template.yaml"))
            .arg("--parameter-overrides")
            .arg(overrides.join(" ")),
    )?;

    let outputs = shell.read(
        "the stack's outputs",
        aws(&province.region).args([
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &province.stack_name,
            "--query",
            "Stacks[0].Outputs[].[OutputKey,OutputValue]",
            "--output",
            "text",
        ]),
        "BucketName\t<BucketName>\nDistributionId\t<DistributionId>\nSiteUrl\t<SiteUrl>\nIpnUrl\t<IpnUrl>",
    )?;
    let outputs = parse_outputs(&outputs);
    let output = |key: &str| {
        outputs
            .get(key)
            .cloned()
            .ok_or_else(|| Failure(format!("the stack has no output {key}")))
    };
    let bucket = format!("s3://{}", output("BucketName")?);

    for rule in &HASHED {
        for (pattern, encoding) in [
            (rule.pattern.to_owned(), None),
            (brotli(rule.pattern), Some("br")),
        ] {
            let mut upload = aws(&province.region);
            upload
                .args(["s3", "sync"])
                .arg(&site)
                .arg(&bucket)
                .args(["--exclude", "*", "--include", &pattern])
                .args(["--content-type", rule.content_type])
                .args(["--cache-control", IMMUTABLE]);
            if let Some(encoding) = encoding {
                upload.args(["--content-encoding", encoding]);
            }
            shell.run(
                &format!("uploading {pattern} (immutable)"),
                upload.arg("--only-show-errors"),
            )?;
        }
    }
    shell.run(
        "uploading index.html (always revalidated)",
        aws(&province.region)
            .args(["s3", "cp"])
            .arg(site.join("index.html"))
            .arg(format!("{bucket}/index.html"))
            .args(["--content-type", "text/html; charset=utf-8"])
            .args(["--cache-control", REVALIDATE])
            .arg("--only-show-errors"),
    )?;
    shell.run(
        "invalidating the page in CloudFront",
        aws(&province.region).args([
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            &output("DistributionId")?,
            "--paths",
            "/index.html",
            "/",
            "--query",
            "Invalidation.Id",
            "--output",
            "text",
        ]),
    )?;

    if shell.live() {
        println!("\n{} is deployed.", province.name);
    } else {
        println!(
            "\ndry run of {} complete: nothing was built, deployed or uploaded.",
            province.name
        );
    }
    println!("  site:    {}", output("SiteUrl")?);
    println!("  VNPay IPN URL to register: {}", output("IpnUrl")?);
    Ok(())
}

/// `cargo xtask deploy` with its arguments.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut name = None;
    let mut dry_run = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--province" => name = args.next().cloned(),
            other => match other.strip_prefix("--province=") {
                Some(value) => name = Some(value.to_owned()),
                None => return Err(Failure(format!("unknown argument `{other}`\n\n{USAGE}"))),
            },
        }
    }
    let Some(name) = name else {
        return Err(Failure(USAGE.into()));
    };
    let province = province(&provinces()?, &name)?;
    if dry_run {
        println!("dry run: every step is shown, nothing runs");
        deploy(&mut DryRun::default(), &province)
    } else {
        deploy(&mut Live, &province)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samconfig() -> String {
        std::fs::read_to_string(samconfig_path()).unwrap()
    }

    #[test]
    fn the_provinces_are_the_config_envs_of_samconfig() {
        let names: Vec<String> = provinces_in(&samconfig())
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();

        assert_eq!(names, ["binh-dinh", "da-nang"]);
    }

    #[test]
    fn an_unknown_province_is_refused_with_the_known_ones() {
        let all = provinces_in(&samconfig()).unwrap();

        let refused = province(&all, "ha-noi").unwrap_err();

        assert!(
            refused.0.contains("unknown province `ha-noi`"),
            "{}",
            refused.0
        );
        assert!(refused.0.contains("binh-dinh, da-nang"), "{}", refused.0);
    }

    #[test]
    fn a_province_reads_its_stack_region_tags_and_parameters() {
        let all = provinces_in(&samconfig()).unwrap();

        let binh_dinh = province(&all, "binh-dinh").unwrap();

        assert_eq!(binh_dinh.stack_name, "hocphi-binh-dinh");
        assert_eq!(binh_dinh.region, "ap-southeast-1");
        assert!(
            binh_dinh
                .tags
                .contains(&("province".into(), "binh-dinh".into()))
        );
        assert_eq!(binh_dinh.parameter("Province"), Some("binh-dinh"));
        assert_eq!(binh_dinh.parameter("DomainName"), Some(""));
        assert_eq!(binh_dinh.edge_stack_name(), "hocphi-binh-dinh-edge");
    }

    #[test]
    fn the_toml_subset_reads_strings_arrays_and_comments() {
        let text = r#"
            version = 0.1 # a comment
            [a.deploy.parameters]
            stack_name = "s#1"
            region = 'r'
            tags = "k=v x=\"y\""
            parameter_overrides = [
                "A=1", # one
                'B=""',
            ]
        "#;

        let all = provinces_in(text).unwrap();

        assert_eq!(
            all,
            [Province {
                name: "a".into(),
                stack_name: "s#1".into(),
                region: "r".into(),
                tags: vec![("k".into(), "v".into()), ("x".into(), "y".into())],
                overrides: vec![("A".into(), "1".into()), ("B".into(), String::new())],
            }]
        );
    }

    #[test]
    fn a_dry_run_shows_every_step_in_order_and_runs_none() {
        let all = provinces_in(&samconfig()).unwrap();
        let binh_dinh = province(&all, "binh-dinh").unwrap();
        let mut shell = DryRun::default();

        deploy(&mut shell, &binh_dinh).unwrap();

        let expected = [
            "sts get-caller-identity",
            "frontend/build.sh",
            "rustup target add aarch64-unknown-linux-gnu",
            " build --template-file",
            "cloudformation deploy --stack-name hocphi-binh-dinh-edge",
            "--region us-east-1 cloudformation describe-stacks --stack-name hocphi-binh-dinh-edge",
            " deploy --config-file",
            "--region ap-southeast-1 cloudformation describe-stacks --stack-name hocphi-binh-dinh ",
            "--include '*.wasm' --content-type application/wasm --cache-control 'public, max-age=31536000, immutable'",
            "--include '*.wasm.br' --content-type application/wasm --cache-control 'public, max-age=31536000, immutable' --content-encoding br",
            "--include '*.js'",
            "--include '*.js.br'",
            "--include '*.css'",
            "--include '*.css.br'",
            "s3 cp",
            "cloudfront create-invalidation --distribution-id '<DistributionId>' --paths /index.html /",
        ];
        assert_eq!(shell.shown.len(), expected.len(), "{:#?}", shell.shown);
        for (line, part) in shell.shown.iter().zip(expected) {
            assert!(line.contains(part), "expected `{part}` in `{line}`");
        }
        let deploy = &shell.shown[6];
        assert!(deploy.contains("--config-env binh-dinh"), "{deploy}");
        assert!(deploy.contains("Province=\"binh-dinh\""), "{deploy}");
        let index = &shell.shown[14];
        assert!(index.contains("index.html"), "{index}");
        assert!(index.contains("--cache-control no-cache"), "{index}");
        assert!(index.contains("text/html; charset=utf-8"), "{index}");
    }

    #[test]
    fn hashed_names_are_recognised() {
        for (name, expected) in [
            ("hocphi-0123456789abcdef.wasm", true),
            ("style-fedcba9876543210.css", true),
            ("hocphi.js", false),
            ("boot-123.js", false),
        ] {
            assert_eq!(hashed(name), expected, "{name}");
        }
    }

    #[test]
    fn a_page_with_an_unhashed_or_uncompressed_asset_or_an_unknown_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("hocphi-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        for name in [
            "hocphi-0123456789abcdef.wasm",
            "hocphi-0123456789abcdef.wasm.br",
            "hocphi-0123456789abcdef.wasm.gz",
            "index.html.br",
            "manifest.txt",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let good = check_site(&dir);
        std::fs::write(dir.join("logo.svg"), "").unwrap();
        let unknown = check_site(&dir);
        std::fs::remove_file(dir.join("logo.svg")).unwrap();
        std::fs::write(dir.join("style-0123456789abcdef.css"), "").unwrap();
        let uncompressed = check_site(&dir);
        std::fs::remove_file(dir.join("style-0123456789abcdef.css")).unwrap();
        std::fs::write(dir.join("stale-0123456789abcdef.js.br"), "").unwrap();
        let orphan = check_site(&dir);
        std::fs::remove_file(dir.join("stale-0123456789abcdef.js.br")).unwrap();
        std::fs::write(dir.join("boot.js"), "").unwrap();
        let unhashed = check_site(&dir);
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(good.is_ok(), "{good:?}");
        assert!(
            uncompressed
                .unwrap_err()
                .0
                .contains("style-0123456789abcdef.css has no style-0123456789abcdef.css.br")
        );
        assert!(
            orphan
                .unwrap_err()
                .0
                .contains("no upload rule for stale-0123456789abcdef.js.br")
        );
        assert!(
            unknown
                .unwrap_err()
                .0
                .contains("no upload rule for logo.svg")
        );
        assert!(
            unhashed
                .unwrap_err()
                .0
                .contains("boot.js has no content hash")
        );
    }
}
