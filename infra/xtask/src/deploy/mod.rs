//! `cargo xtask deploy --province <config-env> [--dry-run]`: one province's stack, from a checkout,
//! in one command.
//!
//! Steps: build the page (`frontend/build.sh`) and the functions (`sam build`, once for every
//! province); deploy the province's edge stack (`infra/policy/waf.yaml`, us-east-1, with the
//! partners' addresses `PartnerSources`) and take its web ACL's ARN; `sam deploy --config-env
//! <province>`; read the stack's outputs; upload the page ([`upload`]); invalidate `/index.html`
//! and `/`; print the site and IPN URLs and, where the province has them on, the webhook URL each
//! payOS payee registers, the partner API's URL each partner is given and the Confirm URL the
//! portal's operator registers (payees and partners are the keys of their secrets, which the
//! deploy never reads).
//!
//! Invariants: a province is a config-env of `infra/samconfig.toml` ([`samconfig`]) and nothing
//! else is deployed; with `--dry-run` every step is printed and no AWS command runs
//! ([`shell`]); no file is uploaded without an explicit content type and cache rule.

mod aws;
pub mod samconfig;
mod shell;
mod upload;

use std::path::{Path, PathBuf};
use std::process::Command;

use self::aws::{Outputs, aws};
use self::samconfig::{Province, province, provinces, samconfig_path};
use self::shell::{DryRun, Live, Shell};
use crate::run::{Failure, root, target_dir};
use crate::tools::{CARGO_LAMBDA, SAM, sam_build, sam_command};

const USAGE: &str =
    "usage: cargo xtask deploy --province <config-env of infra/samconfig.toml> [--dry-run]";

/// The region every CLOUDFRONT-scope web ACL must live in.
const EDGE_REGION: &str = "us-east-1";

/// The Rust target of the functions (`Architectures: [arm64]`).
const LAMBDA_TARGET: &str = "aarch64-unknown-linux-gnu";

/// Where the deploy works: the checkout, the page in `target/site`, `sam build` in `target/sam`.
struct Paths {
    root: PathBuf,
    site: PathBuf,
    sam_dir: PathBuf,
    built: PathBuf,
}

impl Paths {
    fn new() -> Self {
        let sam_dir = target_dir().join("sam");
        Self {
            root: root(),
            site: target_dir().join("site"),
            built: sam_dir.join("build"),
            sam_dir,
        }
    }
}

/// Every step of one province's deployment, through `shell`.
pub fn deploy(shell: &mut dyn Shell, province: &Province) -> Result<(), Failure> {
    let paths = Paths::new();
    if shell.live() {
        std::fs::create_dir_all(&paths.sam_dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", paths.sam_dir.display())))?;
    }
    announce_account(shell, province)?;
    build_page(shell, &paths)?;
    let sam = build_functions(shell, &paths)?;
    deploy_edge(shell, province, &paths)?;
    let web_acl = web_acl_arn(shell, province)?;
    deploy_stack(shell, province, &paths, &sam, &web_acl)?;
    let outputs = stack_outputs(shell, province)?;
    let bucket = format!("s3://{}", outputs.get("BucketName")?);
    upload::upload(shell, &province.region, &paths.site, &bucket)?;
    invalidate(shell, province, &outputs.get("DistributionId")?)?;
    report(shell.live(), province, &outputs)
}

/// Shows which AWS account and region the deploy will change.
fn announce_account(shell: &mut dyn Shell, province: &Province) -> Result<(), Failure> {
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
    Ok(())
}

/// Builds the page into `target/site` and refuses it if the upload rules would serve it wrongly.
fn build_page(shell: &mut dyn Shell, paths: &Paths) -> Result<(), Failure> {
    shell.run(
        "building the page into target/site",
        Command::new("bash")
            .arg(paths.root.join("frontend").join("build.sh"))
            .arg(&paths.site)
            .current_dir(&paths.root),
    )?;
    if shell.live() {
        upload::check_site(&paths.site)?;
    }
    Ok(())
}

/// Builds every function for arm64 with `sam build`; answers the SAM CLI's `bin` directory.
fn build_functions(shell: &mut dyn Shell, paths: &Paths) -> Result<PathBuf, Failure> {
    shell.run(
        &format!("the Rust target of the functions ({LAMBDA_TARGET})"),
        Command::new("rustup").args(["target", "add", LAMBDA_TARGET]),
    )?;
    let cargo_lambda = CARGO_LAMBDA.bin_installing_if(shell.live())?;
    let sam = SAM.bin_installing_if(shell.live())?;
    let template = paths.root.join("infra").join("template.yaml");
    shell.run(
        "building the functions (sam build, cargo-lambda, arm64)",
        &mut sam_build(&sam, &cargo_lambda, &paths.sam_dir, &template, &paths.built),
    )?;
    Ok(sam)
}

/// Deploys the province's edge stack: its WAF web ACL, in us-east-1.
fn deploy_edge(shell: &mut dyn Shell, province: &Province, paths: &Paths) -> Result<(), Failure> {
    let edge_stack = province.edge_stack_name();
    let tags = province.tags.iter().map(|(k, v)| format!("{k}={v}"));
    let mut edge = aws(EDGE_REGION);
    edge.args(["cloudformation", "deploy", "--stack-name", &edge_stack])
        .arg("--template-file")
        .arg(paths.root.join("infra").join("policy").join("waf.yaml"))
        .args(["--no-fail-on-empty-changeset", "--parameter-overrides"])
        .arg(format!("Province={}", province.name));
    if let Some(days) = province.parameter("LogRetentionDays") {
        edge.arg(format!("LogRetentionDays={days}"));
    }
    if let Some(sources) = province.parameter("PartnerSources") {
        edge.arg(format!("PartnerSources={sources}"));
    }
    edge.arg("--tags").args(tags);
    shell.run(
        &format!("the edge stack {edge_stack} (WAF web ACL, {EDGE_REGION})"),
        &mut edge,
    )
}

/// The edge stack's web ACL ARN, with a note when samconfig.toml records another one.
fn web_acl_arn(shell: &mut dyn Shell, province: &Province) -> Result<String, Failure> {
    let recorded = province.parameter("WebAclArn").unwrap_or_default();
    let web_acl = shell.read(
        "the web ACL's ARN",
        aws(EDGE_REGION).args([
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &province.edge_stack_name(),
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
    Ok(web_acl)
}

/// `sam deploy --config-env <province>` of the built template, with the edge stack's web ACL.
fn deploy_stack(
    shell: &mut dyn Shell,
    province: &Province,
    paths: &Paths,
    sam: &Path,
    web_acl: &str,
) -> Result<(), Failure> {
    let overrides: Vec<String> = province
        .overrides
        .iter()
        .map(|(k, v)| {
            let v = if k == "WebAclArn" { web_acl } else { v };
            format!("{k}=\"{v}\"")
        })
        .collect();
    shell.run(
        &format!(
            "deploying {} (sam deploy --config-env {})",
            province.stack_name, province.name
        ),
        sam_command(sam, &paths.sam_dir)
            .arg("deploy")
            .arg("--config-file")
            .arg(samconfig_path())
            .args(["--config-env", &province.name])
            .arg("--template-file")
            .arg(paths.built.join("template.yaml"))
            .arg("--parameter-overrides")
            .arg(overrides.join(" ")),
    )
}

/// The province's stack outputs (placeholders in a dry run).
fn stack_outputs(shell: &mut dyn Shell, province: &Province) -> Result<Outputs, Failure> {
    let text = shell.read(
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
    Ok(Outputs::parse(&text))
}

/// Invalidates `/index.html` and `/` in the province's CloudFront distribution.
fn invalidate(
    shell: &mut dyn Shell,
    province: &Province,
    distribution: &str,
) -> Result<(), Failure> {
    shell.run(
        "invalidating the page in CloudFront",
        aws(&province.region).args([
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            distribution,
            "--paths",
            "/index.html",
            "/",
            "/quyen-rieng-tu.html",
            "--query",
            "Invalidation.Id",
            "--output",
            "text",
        ]),
    )
}

/// The closing lines: what was done, the site and the IPN URL to register with VNPay.
fn report(live: bool, province: &Province, outputs: &Outputs) -> Result<(), Failure> {
    for line in closing_lines(live, province, outputs)? {
        println!("{line}");
    }
    Ok(())
}

/// What [`report`] prints: with payOS on, also the webhook URL of each payee and the operator's
/// step that registers it (payOS checks the URL with a call, so only a deployed stack can); with
/// the partner API on, its URL for each partner and its document's; with the portal's channel
/// on, the Confirm URL for the portal's operator.
fn closing_lines(
    live: bool,
    province: &Province,
    outputs: &Outputs,
) -> Result<Vec<String>, Failure> {
    let site = outputs.get("SiteUrl")?;
    let mut lines = vec![
        if live {
            format!("\n{} is deployed.", province.name)
        } else {
            format!(
                "\ndry run of {} complete: nothing was built, deployed or uploaded.",
                province.name
            )
        },
        format!("  site:    {site}"),
        format!("  VNPay IPN URL to register: {}", outputs.get("IpnUrl")?),
    ];
    if let Some(channels) = province
        .parameter("PayosChannelsSecretArn")
        .filter(|arn| !arn.is_empty())
    {
        let site = site.trim_end_matches('/');
        lines.extend([
            "  payOS webhook URL to register for each payee (each key of the channels secret):"
                .to_owned(),
            format!("    {site}/api/callbacks/payos/<PAYEE>"),
            "    at my.payos.vn (the channel's webhook setting), or for each payee:".to_owned(),
            format!(
                "    AWS_REGION={} HOCPHI_SITE_URL={site} HOCPHI_PAYOS_CHANNELS_ARN={channels} \\\n      \
                 hocphi-admin payos confirm-webhook --payee <PAYEE>",
                province.region
            ),
        ]);
    }
    let site = site.trim_end_matches('/');
    if province
        .parameter("PartnersSecretArn")
        .is_some_and(|arn| !arn.is_empty())
    {
        lines.extend([
            "  partner API URL to give each partner (each key of the partners secret):".to_owned(),
            format!("    {site}/api/partners/<PARTNER>/bills, /confirmations, /reversals"),
            format!("    document: {site}/api/partners/openapi.json"),
            format!(
                "    admitted from PartnerSources only: {}",
                province.parameter("PartnerSources").unwrap_or_default()
            ),
        ]);
    }
    if province
        .parameter("DvcqgPartnerCode")
        .is_some_and(|code| !code.is_empty())
    {
        lines.push(format!(
            "  portal Confirm URL to register with the portal's operator: {site}/api/callbacks/dvcqg"
        ));
    }
    Ok(lines)
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

    #[test]
    fn a_dry_run_shows_every_step_in_order_and_runs_none() {
        let all = provinces().unwrap();
        let gia_lai = province(&all, "gia-lai").unwrap();
        let mut shell = DryRun::default();

        deploy(&mut shell, &gia_lai).unwrap();

        let expected = [
            "sts get-caller-identity",
            "frontend/build.sh",
            "rustup target add aarch64-unknown-linux-gnu",
            " build --template-file",
            "cloudformation deploy --stack-name hocphi-gia-lai-edge",
            "--region us-east-1 cloudformation describe-stacks --stack-name hocphi-gia-lai-edge",
            " deploy --config-file",
            "--region ap-southeast-1 cloudformation describe-stacks --stack-name hocphi-gia-lai ",
            "--include '*.wasm' --content-type application/wasm --cache-control 'public, max-age=31536000, immutable'",
            "--include '*.wasm.br' --content-type application/wasm --cache-control 'public, max-age=31536000, immutable' --content-encoding br",
            "--include '*.js'",
            "--include '*.js.br'",
            "--include '*.css'",
            "--include '*.css.br'",
            "--include '*.json' --content-type 'application/json; charset=utf-8'",
            "--include '*.json.br'",
            "quyen-rieng-tu.html 's3://<BucketName>/quyen-rieng-tu.html'",
            "s3 cp",
            "cloudfront create-invalidation --distribution-id '<DistributionId>' --paths /index.html / /quyen-rieng-tu.html",
        ];
        assert_eq!(shell.shown.len(), expected.len(), "{:#?}", shell.shown);
        for (line, part) in shell.shown.iter().zip(expected) {
            assert!(line.contains(part), "expected `{part}` in `{line}`");
        }
        let deploy = &shell.shown[6];
        assert!(deploy.contains("--config-env gia-lai"), "{deploy}");
        assert!(deploy.contains("Province=\"gia-lai\""), "{deploy}");
        let privacy = &shell.shown[16];
        assert!(privacy.contains("quyen-rieng-tu.html"), "{privacy}");
        assert!(privacy.contains("--cache-control no-cache"), "{privacy}");
        let index = &shell.shown[17];
        assert!(index.contains("index.html"), "{index}");
        assert!(index.contains("--cache-control no-cache"), "{index}");
        assert!(index.contains("text/html; charset=utf-8"), "{index}");
    }

    fn outputs() -> Outputs {
        Outputs::parse(
            "SiteUrl\thttps://hocphi.example.vn\nIpnUrl\thttps://hocphi.example.vn/api/callbacks/vnpay",
        )
    }

    #[test]
    fn a_province_with_payos_is_told_each_payees_webhook_url_and_how_to_register_it() {
        let all = provinces().unwrap();
        let gia_lai = province(&all, "gia-lai").unwrap();

        let lines = closing_lines(true, &gia_lai, &outputs())
            .unwrap()
            .join("\n");

        assert!(
            lines.contains("  payOS webhook URL to register for each payee"),
            "{lines}"
        );
        assert!(
            lines.contains("    https://hocphi.example.vn/api/callbacks/payos/<PAYEE>\n"),
            "{lines}"
        );
        assert!(lines.contains("my.payos.vn"), "{lines}");
        assert!(
            lines.contains("hocphi-admin payos confirm-webhook --payee <PAYEE>"),
            "{lines}"
        );
        assert!(lines.contains("AWS_REGION=ap-southeast-1 "), "{lines}");
        assert!(
            lines.contains(&format!(
                "HOCPHI_PAYOS_CHANNELS_ARN={}",
                gia_lai.parameter("PayosChannelsSecretArn").unwrap()
            )),
            "{lines}"
        );
    }

    #[test]
    fn a_province_without_payos_is_told_only_the_site_and_the_ipn_url() {
        let all = provinces().unwrap();
        let da_nang = province(&all, "da-nang").unwrap();

        let lines = closing_lines(false, &da_nang, &outputs()).unwrap();

        assert_eq!(
            lines,
            [
                "\ndry run of da-nang complete: nothing was built, deployed or uploaded.",
                "  site:    https://hocphi.example.vn",
                "  VNPay IPN URL to register: https://hocphi.example.vn/api/callbacks/vnpay",
            ]
        );
    }

    #[test]
    fn a_dry_run_of_a_province_with_payos_ends_with_the_webhook_url_pattern() {
        let all = provinces().unwrap();
        let gia_lai = province(&all, "gia-lai").unwrap();
        let placeholders = Outputs::parse("SiteUrl\t<SiteUrl>\nIpnUrl\t<IpnUrl>");

        let lines = closing_lines(false, &gia_lai, &placeholders).unwrap();

        assert!(lines.contains(&"    <SiteUrl>/api/callbacks/payos/<PAYEE>".to_owned()));
    }

    #[test]
    fn a_province_with_partners_is_told_the_partner_api_url_and_its_sources() {
        let all = provinces().unwrap();
        let gia_lai = province(&all, "gia-lai").unwrap();

        let lines = closing_lines(true, &gia_lai, &outputs())
            .unwrap()
            .join("\n");

        assert!(
            lines.contains(
                "    https://hocphi.example.vn/api/partners/<PARTNER>/bills, /confirmations, /reversals\n"
            ),
            "{lines}"
        );
        assert!(
            lines.contains("    document: https://hocphi.example.vn/api/partners/openapi.json"),
            "{lines}"
        );
        assert!(
            lines.contains(&format!(
                "admitted from PartnerSources only: {}",
                gia_lai.parameter("PartnerSources").unwrap()
            )),
            "{lines}"
        );
        assert!(!lines.contains("/api/callbacks/dvcqg"), "{lines}");
    }

    #[test]
    fn a_province_with_the_portals_channel_is_told_its_confirm_url() {
        let all = provinces().unwrap();
        let mut with_portal = province(&all, "da-nang").unwrap();
        with_portal
            .overrides
            .push(("DvcqgPartnerCode".into(), "HOCPHIDN".into()));

        let lines = closing_lines(true, &with_portal, &outputs()).unwrap();

        assert_eq!(
            lines.last().map(String::as_str),
            Some(
                "  portal Confirm URL to register with the portal's operator: https://hocphi.example.vn/api/callbacks/dvcqg"
            )
        );
    }

    #[test]
    fn the_edge_stack_is_given_the_partners_addresses() {
        let all = provinces().unwrap();
        let gia_lai = province(&all, "gia-lai").unwrap();
        let mut shell = DryRun::default();

        deploy(&mut shell, &gia_lai).unwrap();

        let edge = shell
            .shown
            .iter()
            .find(|line| line.contains("cloudformation deploy --stack-name hocphi-gia-lai-edge"))
            .unwrap();
        assert!(
            edge.contains(&format!(
                "PartnerSources={}",
                gia_lai.parameter("PartnerSources").unwrap()
            )),
            "{edge}"
        );
    }
}
