//! Every province's config-env in `infra/samconfig.toml` is complete on its own (SAM does not
//! inherit from `[default]`), satisfies the template's parameter constraints, and holds no secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{ConfigEnv, config_envs, read, template, variant};
use regex::Regex;
use serde_json::Value;

fn samconfig() -> String {
    read("infra/samconfig.toml")
}

/// Why a value does not fit a template parameter's declared constraints.
fn constraint_problem(name: &str, parameter: &Value, value: &str) -> Option<String> {
    if let Some(pattern) = parameter["AllowedPattern"].as_str() {
        let whole = Regex::new(&format!("^(?:{pattern})$")).expect("AllowedPattern is a regex");
        if !whole.is_match(value) {
            return Some(format!("{name}={value} does not match {pattern}"));
        }
    }
    if let Some(allowed) = parameter["AllowedValues"].as_array() {
        let fits = allowed.iter().any(|a| match a {
            Value::String(s) => s == value,
            other => other
                .as_u64()
                .is_some_and(|n| value.parse::<u64>() == Ok(n)),
        });
        if !fits {
            return Some(format!("{name}={value} is not one of {allowed:?}"));
        }
    }
    if let Some(max) = parameter["MaxLength"].as_u64()
        && value.chars().count() as u64 > max
    {
        return Some(format!("{name}={value} is longer than {max}"));
    }
    if parameter["Type"] == "Number" {
        let Ok(number) = value.parse::<u64>() else {
            return Some(format!("{name}={value} is not a number"));
        };
        if parameter["MinValue"]
            .as_u64()
            .is_some_and(|min| number < min)
        {
            return Some(format!("{name}={value} is below MinValue"));
        }
        if parameter["MaxValue"]
            .as_u64()
            .is_some_and(|max| number > max)
        {
            return Some(format!("{name}={value} is above MaxValue"));
        }
    }
    None
}

/// Names that would carry a secret's value (an ARN pointing at one is fine), such as payOS's API
/// or checksum key. MoMo's access key is configuration: it enters MoMo's signatures beside the
/// partner code, and the secret key that makes them is passed by ARN.
fn secret_like(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key != "momoaccesskey"
        && !key.ends_with("arn")
        && [
            "secret",
            "password",
            "token",
            "hashkey",
            "accesskey",
            "privatekey",
            "checksumkey",
            "apikey",
        ]
        .iter()
        .any(|word| key.replace(['_', '-'], "").contains(word))
}

/// Everything wrong with one config-env against the template.
fn problems(env: &ConfigEnv, template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let parameters = template["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let text = |key: &str| env.deploy.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let expected_stack = format!("hocphi-{}", env.name);

    if text("stack_name") != expected_stack {
        problems.push(format!("stack_name is not {expected_stack}"));
    }
    if !Regex::new(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
        .unwrap()
        .is_match(text("region"))
    {
        problems.push(format!("region `{}` is not an AWS region", text("region")));
    }
    if env.deploy.get("resolve_s3").and_then(|v| v.as_bool()) != Some(true) {
        problems.push("resolve_s3 is not true".into());
    }
    if !text("capabilities").contains("CAPABILITY_IAM") {
        problems.push("capabilities lack CAPABILITY_IAM (the template creates roles)".into());
    }
    if env
        .deploy
        .get("confirm_changeset")
        .and_then(|v| v.as_bool())
        .is_none()
    {
        problems.push("confirm_changeset is not set".into());
    }
    for (tag, value) in [("project", "hocphi"), ("province", env.name.as_str())] {
        if env.tags.get(tag).map(String::as_str) != Some(value) {
            problems.push(format!("tag {tag} is not {value}"));
        }
    }
    if env.overrides.get("Province") != Some(&env.name) {
        problems.push(format!(
            "Province is not the config-env's name {}",
            env.name
        ));
    }
    for (name, parameter) in &parameters {
        match env.overrides.get(name) {
            None if parameter.get("Default").is_none() => {
                problems.push(format!("required parameter {name} is missing"));
            }
            None => {}
            Some(value) => problems.extend(constraint_problem(name, parameter, value)),
        }
    }
    for key in env.overrides.keys() {
        if !parameters.contains_key(key) {
            problems.push(format!("{key} is not a parameter of the template"));
        }
        if secret_like(key) {
            problems.push(format!(
                "{key} looks like a secret's value: pass its ARN instead"
            ));
        }
    }
    let domain = env.overrides.get("DomainName").map_or("", String::as_str);
    let certificate = env
        .overrides
        .get("CertificateArn")
        .map_or("", String::as_str);
    if !domain.is_empty() && certificate.is_empty() {
        problems.push("DomainName without CertificateArn".into());
    }
    let given = |name: &str| env.overrides.get(name).is_some_and(|v| !v.is_empty());
    for (channel, turned_on_by, needs) in [
        (
            "MoMo",
            "MomoPartnerCode",
            &["MomoAccessKey", "MomoSecretArn"][..],
        ),
        (
            "the portal's channel",
            "DvcqgPartnerCode",
            &["DvcqgSecretArn", "DvcqgEndpoint"][..],
        ),
        (
            "the partner API",
            "PartnersSecretArn",
            &["PartnerSources"][..],
        ),
    ] {
        if given(turned_on_by) {
            for needed in needs {
                if !given(needed) {
                    problems.push(format!("{channel} is on but {needed} is missing"));
                }
            }
        }
    }
    for arn_name in [
        "VnpaySecretArn",
        "MomoSecretArn",
        "PayosChannelsSecretArn",
        "DvcqgSecretArn",
        "PartnersSecretArn",
        "CertificateArn",
    ] {
        let Some(arn) = env.overrides.get(arn_name).filter(|a| !a.is_empty()) else {
            continue;
        };
        let arn_region = arn.split(':').nth(3).unwrap_or("");
        let expected = if arn_name == "CertificateArn" {
            "us-east-1"
        } else {
            text("region")
        };
        if arn_region != expected {
            problems.push(format!("{arn_name} is in {arn_region}, not {expected}"));
        }
    }
    problems
}

#[test]
fn gia_lai_turns_payos_on_with_a_placeholder_secret() {
    let envs = config_envs(&samconfig());
    let gia_lai = envs.iter().find(|e| e.name == "gia-lai").unwrap();
    let others_with_payos: Vec<&str> = envs
        .iter()
        .filter(|e| e.name != "gia-lai")
        .filter(|e| e.overrides.contains_key("PayosChannelsSecretArn"))
        .map(|e| e.name.as_str())
        .collect();

    assert_eq!(gia_lai.tags["owner"], "so-giao-duc-gia-lai");
    let arn = &gia_lai.overrides["PayosChannelsSecretArn"];
    assert!(
        arn.ends_with(":secret:hocphi/gia-lai/payos-channels-XXXXXX"),
        "{arn}"
    );
    assert!(
        samconfig().contains("# PLACEHOLDER: the ARN"),
        "the example ARN is marked as a placeholder"
    );
    assert_eq!(others_with_payos, Vec::<&str>::new());
}

#[test]
fn gia_lai_turns_the_partner_api_on_with_a_placeholder_secret_and_documentation_addresses() {
    let envs = config_envs(&samconfig());
    let gia_lai = envs.iter().find(|e| e.name == "gia-lai").unwrap();
    let documentation = Regex::new(r"^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+/\d+$").unwrap();

    let arn = &gia_lai.overrides["PartnersSecretArn"];
    assert!(
        arn.ends_with(":secret:hocphi/gia-lai/partners-XXXXXX"),
        "{arn}"
    );
    let sources: Vec<&str> = gia_lai.overrides["PartnerSources"].split(',').collect();
    assert!(!sources.is_empty());
    for source in sources {
        assert!(
            documentation.is_match(source),
            "{source} is not a documentation range (RFC 5737), so it may be someone's address"
        );
    }
    assert!(
        samconfig().contains("# PLACEHOLDER: the ARN `aws secretsmanager create-secret --name hocphi/gia-lai/partners`"),
        "the partners' example is marked as a placeholder"
    );
    assert!(
        envs.iter()
            .filter(|e| e.name != "gia-lai")
            .all(|e| !e.overrides.contains_key("PartnersSecretArn"))
    );
}

#[test]
fn there_are_provinces_and_gia_lai_is_the_worked_example() {
    let envs = config_envs(&samconfig());
    let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();

    assert!(envs.len() >= 2, "{names:?}");
    let gia_lai = envs.iter().find(|e| e.name == "gia-lai").expect("gia-lai");
    assert_eq!(gia_lai.deploy["region"].as_str(), Some("ap-southeast-1"));
}

#[test]
fn every_province_is_complete_and_fits_the_template() {
    let template = template();

    for env in config_envs(&samconfig()) {
        let problems = problems(&env, &template);

        assert!(problems.is_empty(), "[{}] {problems:#?}", env.name);
    }
}

#[test]
fn provinces_do_not_share_a_stack() {
    let envs = config_envs(&samconfig());
    let mut stacks: BTreeMap<(String, String), String> = BTreeMap::new();

    for env in &envs {
        let key = (
            env.deploy["region"].as_str().unwrap().to_owned(),
            env.deploy["stack_name"].as_str().unwrap().to_owned(),
        );
        let before = stacks.insert(key.clone(), env.name.clone());

        assert!(
            before.is_none(),
            "{key:?} is used by {before:?} and {}",
            env.name
        );
    }
}

#[test]
fn the_samconfig_holds_no_secret_value() {
    let text = samconfig();

    for forbidden in [
        "HASH_SECRET",
        "HashSecret",
        "vnp_HashSecret",
        "aws_secret_access_key",
        "aws_access_key_id",
        "BEGIN PRIVATE KEY",
    ] {
        assert!(
            !text.contains(forbidden),
            "samconfig.toml mentions {forbidden}"
        );
    }
    assert!(!Regex::new(r"AKIA[0-9A-Z]{16}").unwrap().is_match(&text));
}

#[test]
fn a_broken_province_is_rejected() {
    let template = template();
    let cases = [
        (
            "a required parameter missing",
            "    \"OperatorEmail=hocphi-ops@example.com\",\n    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",",
            "required parameter OperatorEmail is missing",
        ),
        (
            "a value outside AllowedPattern",
            "VnpayTmnCode=GLHP0001",
            "VnpayTmnCode=BD-HP-0001",
            "VnpayTmnCode=BD-HP-0001 does not match ^[A-Za-z0-9]{8}$",
        ),
        (
            "a value outside AllowedValues",
            "    \"LogRetentionDays=90\",\n    \"LogLevel=info\",\n    \"ApiRateLimit=100\",\n    \"ApiBurstLimit=200\",\n    \"LookupRateLimit=20\",\n    \"LookupBurstLimit=40\",\n    \"LookupConcurrency=20\",\n    \"FunctionConcurrency=20\",\n    \"CallbackConcurrency=20\",\n    \"PriceClass=PriceClass_200\",\n]\n\n# ------------------------------------------------------------------ Đà Nẵng",
            "    \"LogRetentionDays=100\",\n    \"LogLevel=info\",\n    \"ApiRateLimit=100\",\n    \"ApiBurstLimit=200\",\n    \"LookupRateLimit=20\",\n    \"LookupBurstLimit=40\",\n    \"LookupConcurrency=20\",\n    \"FunctionConcurrency=20\",\n    \"CallbackConcurrency=20\",\n    \"PriceClass=PriceClass_200\",\n]\n\n# ------------------------------------------------------------------ Đà Nẵng",
            "LogRetentionDays=100 is not one of",
        ),
        (
            "the secret's value instead of its ARN",
            "    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",\n    \"VnpayHashSecret=0123456789ABCDEF0123456789ABCDEF\",",
            "VnpayHashSecret looks like a secret's value",
        ),
        (
            "MoMo half configured",
            "    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",\n    \"MomoPartnerCode=MOMOGLHP2026\",",
            "MoMo is on but MomoAccessKey is missing",
        ),
        (
            "MoMo's secret in another region",
            "    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",\n    \"MomoPartnerCode=MOMOGLHP2026\",\n    \"MomoAccessKey=GLhp2026AccessKey\",\n    \"MomoSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:hocphi/gia-lai/momo-AbCd12\",",
            "MomoSecretArn is in eu-west-1, not ap-southeast-1",
        ),
        (
            "payOS's secret in another region",
            "PayosChannelsSecretArn=arn:aws:secretsmanager:ap-southeast-1:",
            "PayosChannelsSecretArn=arn:aws:secretsmanager:eu-west-1:",
            "PayosChannelsSecretArn is in eu-west-1, not ap-southeast-1",
        ),
        (
            "a payOS checksum key instead of the secret's ARN",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",\n    \"PayosChecksumKey=1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675\",",
            "PayosChecksumKey looks like a secret's value",
        ),
        (
            "a payOS API key instead of the secret's ARN",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",\n    \"PayosApiKey=2a54716c-8f0e-fb27-44fb-28b6e38b25da\",",
            "PayosApiKey looks like a secret's value",
        ),
        (
            "the partner API without its addresses",
            "    \"PartnerSources=192.0.2.0/28,198.51.100.16/29\",\n",
            "",
            "the partner API is on but PartnerSources is missing",
        ),
        (
            "a partner's address that is no CIDR range",
            "PartnerSources=192.0.2.0/28,198.51.100.16/29",
            "PartnerSources=192.0.2.0/28,bank.example.vn",
            "PartnerSources=192.0.2.0/28,bank.example.vn does not match",
        ),
        (
            "the partners' secret in another region",
            "PartnersSecretArn=arn:aws:secretsmanager:ap-southeast-1:",
            "PartnersSecretArn=arn:aws:secretsmanager:eu-west-1:",
            "PartnersSecretArn is in eu-west-1, not ap-southeast-1",
        ),
        (
            "a partner's key instead of the secret's ARN",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",",
            "    \"PayosEndpoint=https://api-merchant.payos.vn\",\n    \"PartnerSecretKey=LOCALPARTNERKEYBANKDEMO000000001\",",
            "PartnerSecretKey looks like a secret's value",
        ),
        (
            "the portal's channel half configured",
            "    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",\n    \"DvcqgPartnerCode=HOCPHIGL\",\n    \"DvcqgEndpoint=https://dvcqg.example.vn/api\",",
            "the portal's channel is on but DvcqgSecretArn is missing",
        ),
        (
            "the portal's shared key instead of its ARN",
            "    \"VnpayTmnCode=GLHP0001\",",
            "    \"VnpayTmnCode=GLHP0001\",\n    \"DvcqgHashKey=LOCALDVCQGHASHKEYLOCALDVCQG00001\",",
            "DvcqgHashKey looks like a secret's value",
        ),
        (
            "a stack named after another province",
            "stack_name = \"hocphi-gia-lai\"\nregion = \"ap-southeast-1\"\ns3_prefix",
            "stack_name = \"hocphi-da-nang\"\nregion = \"ap-southeast-1\"\ns3_prefix",
            "stack_name is not hocphi-gia-lai",
        ),
        (
            "a tag missing",
            "    \"province=gia-lai\",\n",
            "",
            "tag province is not gia-lai",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = variant(&samconfig(), from, to);
        let env = config_envs(&broken)
            .into_iter()
            .find(|e| e.name == "gia-lai")
            .unwrap();

        let problems = problems(&env, &template);

        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{case}: {problems:#?}"
        );
    }
}
