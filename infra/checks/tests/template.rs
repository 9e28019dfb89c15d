//! `infra/template.yaml` against the code it deploys: every Lambda binary and only those, every
//! route of the HTTP contract on the right function, the environment the functions read, the
//! permissions their use cases need and no more, references that resolve, alarms on messages the
//! code really logs, and the site's CDN behaviours. Each check is shown rejecting a broken variant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    dangling_references, functions, grants, lambda_binaries, of_type, read, target, template,
    template_json, variant,
};
use hocphi_api::site;
use hocphi_app::alarm;
use hocphi_domain::GatewayKind;
use hocphi_runtime::Function;
use hocphi_runtime::config::{
    Deployed, LOOKUP_KEY_ARN, TABLE, VARIABLES, VNPAY_SECRET_ARN, Variable,
};
use regex::Regex;
use serde_json::Value;

/// The HTTP contract: route key (path parameters as `{}`) → the binary that serves it.
const CONTRACT: [(&str, &str); 6] = [
    ("GET /api/invoices", "lookup"),
    ("POST /api/payments", "checkout"),
    ("GET /api/payments/{}", "status"),
    ("GET /api/callbacks/vnpay", "callback"),
    ("POST /api/callbacks/momo", "callback"),
    ("GET /api/receipts/{}", "receipt"),
];

/// What each function's use cases do to the table and the secret (read from the DynamoDB
/// adapter: `TransactWriteItems` is authorised per item as PutItem, UpdateItem and
/// ConditionCheckItem), besides writing its own log group.
const NEEDS: [(&str, &[(&str, &str)]); 6] = [
    (
        "lookup",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:Query", "index GSI1"),
            ("secretsmanager:GetSecretValue", "lookup key"),
        ],
    ),
    (
        "checkout",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:DeleteItem", "table"),
            ("secretsmanager:GetSecretValue", "lookup key"),
            ("secretsmanager:GetSecretValue", "gateway secret"),
            ("secretsmanager:GetSecretValue", "MoMo secret"),
        ],
    ),
    (
        "callback",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("secretsmanager:GetSecretValue", "gateway secret"),
            ("secretsmanager:GetSecretValue", "MoMo secret"),
        ],
    ),
    ("status", &[("dynamodb:GetItem", "table")]),
    ("receipt", &[("dynamodb:GetItem", "table")]),
    (
        "sweeper",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("dynamodb:Query", "index GSI2"),
            ("secretsmanager:GetSecretValue", "gateway secret"),
            ("secretsmanager:GetSecretValue", "MoMo secret"),
        ],
    ),
];

/// MoMo's variables of the gateway functions and the parameters they carry; each is set only
/// when MoMo is on (a partner code given), so a stack without MoMo never reads its secret.
const MOMO_VARIABLES: [(&str, &str); 4] = [
    ("HOCPHI_MOMO_PARTNER_CODE", "MomoPartnerCode"),
    ("HOCPHI_MOMO_ACCESS_KEY", "MomoAccessKey"),
    ("HOCPHI_MOMO_SECRET_ARN", "MomoSecretArn"),
    ("HOCPHI_MOMO_ENDPOINT", "MomoEndpoint"),
];

/// `parameter`'s value when MoMo is on, nothing otherwise.
fn only_with_momo(parameter: &str) -> Value {
    serde_json::json!({"Fn::If": ["HasMomo", {"Ref": parameter}, {"Ref": "AWS::NoValue"}]})
}

fn template_text() -> String {
    read("infra/template.yaml")
}

fn normalize_route(key: &str) -> String {
    let (method, path) = key.split_once(' ').unwrap_or((key, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect();
    format!("{method} {}", path.join("/"))
}

/// The routes the app's one HTTP mapping answers (`Route::ALL`), each with the binary of the
/// deployed function that serves it (`Function::routes`).
fn routes_in_code() -> BTreeMap<String, String> {
    Function::DEPLOYED
        .iter()
        .flat_map(|function| {
            function.routes().iter().map(move |route| {
                (
                    normalize_route(&format!("{} {}", route.method(), route.path())),
                    function.binary().to_owned(),
                )
            })
        })
        .collect()
}

/// The routes of a template: route key → the binary of the function its integration invokes.
fn routes_in_template(template: &Value) -> BTreeMap<String, String> {
    let binaries = functions(template);
    let integration_name = Regex::new(r"^integrations/\$\{(\w+)\}$").unwrap();
    of_type(template, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .map(|(id, route)| {
            let key = route["Properties"]["RouteKey"].as_str().unwrap_or_default();
            let target_text = route["Properties"]["Target"]["Fn::Sub"]
                .as_str()
                .unwrap_or_default();
            let integration = integration_name
                .captures(target_text)
                .unwrap_or_else(|| panic!("{id}: Target is not integrations/${{...}}"))[1]
                .to_owned();
            let function =
                target(&template["Resources"][&integration]["Properties"]["IntegrationUri"])
                    .unwrap_or_else(|| panic!("{integration}: IntegrationUri names no function"));
            let binary = binaries
                .get(function)
                .unwrap_or_else(|| panic!("{integration} invokes {function}, not a function"));
            (normalize_route(key), binary.clone())
        })
        .collect()
}

/// `*` in a permission's SourceArn matches any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

/// Routes whose function API Gateway may not invoke (no `AWS::Lambda::Permission` whose
/// SourceArn covers the route).
fn routes_without_permission(template: &Value) -> Vec<String> {
    let binaries = functions(template);
    let routes = routes_in_template(template);
    let permissions: Vec<(String, String)> = of_type(template, "AWS::Lambda::Permission")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["Principal"] == "apigateway.amazonaws.com")
        .filter_map(|(_, p)| {
            let function = binaries.get(target(&p["Properties"]["FunctionName"])?)?;
            let source = p["Properties"]["SourceArn"]["Fn::Sub"].as_str()?;
            let tail = source.split_once("${HttpApi}")?.1;
            Some((function.clone(), tail.to_owned()))
        })
        .collect();
    routes
        .into_iter()
        .filter(|(key, binary)| {
            let (method, path) = key.split_once(' ').unwrap_or_default();
            let invoked = format!("/$default/{method}{}", path.replace("{}", "x"));
            !permissions
                .iter()
                .any(|(function, tail)| function == binary && glob_matches(tail, &invoked))
        })
        .map(|(key, binary)| format!("{key} ({binary})"))
        .collect()
}

/// A statement's resource as a short name: the table, one of its indexes, the gateway secret, a
/// log group, or the resource as written.
fn resource_name(resource: &Value) -> String {
    if resource["Ref"] == "VnpaySecretArn" {
        return "gateway secret".into();
    }
    if resource["Ref"] == "LookupKeySecret" {
        return "lookup key".into();
    }
    if resource["Fn::If"]
        == serde_json::json!(["HasMomo", {"Ref": "MomoSecretArn"}, {"Ref": "AWS::NoValue"}])
    {
        return "MoMo secret".into();
    }
    if resource["Fn::GetAtt"] == serde_json::json!(["Table", "Arn"]) {
        return "table".into();
    }
    if let Some(index) = resource["Fn::Sub"]
        .as_str()
        .and_then(|s| s.strip_prefix("${Table.Arn}/index/"))
    {
        return format!("index {index}");
    }
    if resource["Fn::GetAtt"][1] == "Arn"
        && let Some(group) = resource["Fn::GetAtt"][0].as_str()
        && group.ends_with("LogGroup")
    {
        return format!("log group {group}");
    }
    resource.to_string()
}

/// Differences between what each function's role allows and what its use cases need.
fn permission_problems(template: &Value) -> Vec<String> {
    let needs: BTreeMap<&str, &[(&str, &str)]> = NEEDS.into_iter().collect();
    let mut problems = Vec::new();
    for (id, binary) in functions(template) {
        let function = &template["Resources"][&id];
        let Some(role) = target(&function["Properties"]["Role"]) else {
            problems.push(format!("{binary}: no Role"));
            continue;
        };
        let log_group = target(&function["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or("<none>")
            .to_owned();
        let granted: BTreeSet<(String, String)> = grants(&template["Resources"][role])
            .into_iter()
            .flat_map(|grant| {
                let resources: Vec<String> = grant.resources.iter().map(resource_name).collect();
                grant
                    .actions
                    .into_iter()
                    .flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
            })
            .collect();
        let mut needed: BTreeSet<(String, String)> = needs
            .get(binary.as_str())
            .copied()
            .unwrap_or_default()
            .iter()
            .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
            .collect();
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            needed.insert((action.to_owned(), format!("log group {log_group}")));
        }
        for (action, resource) in needed.difference(&granted) {
            problems.push(format!("{binary} lacks {action} on {resource}"));
        }
        for (action, resource) in granted.difference(&needed) {
            problems.push(format!(
                "{binary} has {action} on {resource}, which it does not need"
            ));
        }
    }
    problems
}

/// Environment variables of each function (Globals merged), by binary.
fn environments(template: &Value) -> BTreeMap<String, BTreeMap<String, Value>> {
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    functions(template)
        .into_iter()
        .map(|(id, binary)| {
            let mut variables: BTreeMap<String, Value> = globals.clone().into_iter().collect();
            if let Some(own) =
                template["Resources"][&id]["Properties"]["Environment"]["Variables"].as_object()
            {
                variables.extend(own.clone());
            }
            (binary, variables)
        })
        .collect()
}

/// The deployed function whose binary is `binary`.
fn function_of(binary: &str) -> Function {
    Function::DEPLOYED
        .into_iter()
        .find(|f| f.binary() == binary)
        .unwrap_or_else(|| panic!("{binary} is no deployed function of the runtime"))
}

/// Differences between the environment the template gives each function and the runtime's
/// table of variables (`hocphi_runtime::config::VARIABLES`).
fn environment_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (binary, variables) in environments(template) {
        let function = function_of(&binary);
        for variable in VARIABLES.iter().filter(|v| v.read_by(function)) {
            let name = variable.name;
            match (variable.deployed, variables.get(name)) {
                (Deployed::Always, None) => problems.push(format!("{binary} lacks {name}")),
                (Deployed::WithChannel(GatewayKind::Momo), value) => {
                    let parameter = momo_parameter(name);
                    match value {
                        None => problems.push(format!("{binary} lacks {name}")),
                        Some(value) if *value != only_with_momo(parameter) => {
                            problems.push(format!(
                                "{binary}: {name} is not the {parameter} parameter when MoMo is on"
                            ));
                        }
                        Some(_) => {}
                    }
                }
                (Deployed::WithChannel(GatewayKind::Vnpay), None) => {
                    problems.push(format!("{binary} lacks {name}"));
                }
                (Deployed::LocalOnly, Some(_)) => problems.push(format!(
                    "{binary} sets {name}, which is for local runs only"
                )),
                _ => {}
            }
        }
        for name in variables.keys() {
            match Variable::named(name) {
                _ if name == "RUST_LOG" => {}
                None => problems.push(format!(
                    "{binary} sets {name}, which the runtime never reads"
                )),
                Some(variable) if !variable.read_by(function) => {
                    problems.push(format!("{binary} is given {name}, which it never reads"));
                }
                Some(_) => {}
            }
        }
        if let Some(arn) = variables.get(VNPAY_SECRET_ARN)
            && arn["Ref"] != "VnpaySecretArn"
        {
            problems.push(format!(
                "{binary}: {VNPAY_SECRET_ARN} is not the VnpaySecretArn parameter"
            ));
        }
        if let Some(arn) = variables.get(LOOKUP_KEY_ARN)
            && arn["Ref"] != "LookupKeySecret"
        {
            problems.push(format!(
                "{binary}: {LOOKUP_KEY_ARN} is not the LookupKeySecret"
            ));
        }
        if variables.get(TABLE).is_some_and(|t| t["Ref"] != "Table") {
            problems.push(format!("{binary}: {TABLE} is not the table"));
        }
    }
    problems
}

/// The template parameter a MoMo variable carries.
fn momo_parameter(name: &str) -> &'static str {
    MOMO_VARIABLES
        .iter()
        .find(|(variable, _)| *variable == name)
        .map(|(_, parameter)| *parameter)
        .unwrap_or_else(|| panic!("{name} has no MoMo parameter in MOMO_VARIABLES"))
}

#[test]
fn every_momo_variable_of_the_runtime_has_its_parameter_and_no_other_does() {
    let in_runtime: BTreeSet<&str> = VARIABLES
        .iter()
        .filter(|v| v.deployed == Deployed::WithChannel(GatewayKind::Momo))
        .map(|v| v.name)
        .collect();
    let with_parameter: BTreeSet<&str> = MOMO_VARIABLES.iter().map(|(v, _)| *v).collect();

    assert_eq!(in_runtime, with_parameter);
}

#[test]
fn every_deployed_function_of_the_runtime_is_a_lambda_binary_of_the_workspace() {
    let in_runtime: BTreeSet<String> = Function::DEPLOYED
        .iter()
        .map(|f| f.binary().to_owned())
        .collect();

    assert_eq!(in_runtime, lambda_binaries());
}

#[test]
fn every_function_is_a_lambda_binary_of_the_workspace_and_every_lambda_binary_is_deployed() {
    let in_template: BTreeSet<String> = functions(&template()).into_values().collect();

    let in_workspace = lambda_binaries();

    assert_eq!(in_template, in_workspace);
    assert_eq!(
        in_workspace,
        [
            "callback", "checkout", "lookup", "receipt", "status", "sweeper"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn every_function_is_built_by_cargo_lambda_from_the_workspace_root() {
    let template = template();
    assert_eq!(template["Globals"]["Function"]["CodeUri"], "../");
    assert_eq!(template["Globals"]["Function"]["Handler"], "bootstrap");

    for (id, _) in functions(&template) {
        let function = &template["Resources"][&id];

        assert_eq!(
            function["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{id}"
        );
        assert!(
            function["Properties"]["CodeUri"].is_null(),
            "{id} overrides CodeUri"
        );
    }
    assert!(
        common::root().join("infra").join("../Cargo.toml").exists(),
        "CodeUri ../ must hold the workspace's Cargo.toml"
    );
}

#[test]
fn the_http_contract_is_what_the_code_serves() {
    let expected: BTreeMap<String, String> = CONTRACT
        .iter()
        .map(|(k, b)| ((*k).to_owned(), (*b).to_owned()))
        .collect();

    assert_eq!(routes_in_code(), expected);
}

#[test]
fn every_route_of_the_contract_reaches_its_function() {
    let expected: BTreeMap<String, String> = CONTRACT
        .iter()
        .map(|(k, b)| ((*k).to_owned(), (*b).to_owned()))
        .collect();

    assert_eq!(routes_in_template(&template()), expected);
    assert!(routes_without_permission(&template()).is_empty());
}

#[test]
fn a_route_on_the_wrong_function_or_without_invoke_permission_is_rejected() {
    let swapped = template_json(&variant(
        &template_text(),
        "Target: !Sub \"integrations/${ReceiptIntegration}\"",
        "Target: !Sub \"integrations/${StatusIntegration}\"",
    ));
    let unpermitted = template_json(&variant(
        &template_text(),
        "${HttpApi}/*/GET/api/receipts/*",
        "${HttpApi}/*/GET/api/receipt/*",
    ));

    assert_eq!(
        routes_in_template(&swapped).get("GET /api/receipts/{}"),
        Some(&"status".to_owned())
    );
    assert_eq!(
        routes_without_permission(&unpermitted),
        ["GET /api/receipts/{} (receipt)"]
    );
}

#[test]
fn the_lookup_route_is_throttled_tighter_than_the_api() {
    let template = template();
    let stage = &of_type(&template, "AWS::ApiGatewayV2::Stage")[0].1["Properties"];
    let default = |name: &str| template["Parameters"][name]["Default"].as_u64().unwrap();

    let lookup = &stage["RouteSettings"]["GET /api/invoices"];

    assert_eq!(lookup["ThrottlingRateLimit"]["Ref"], "LookupRateLimit");
    assert_eq!(lookup["ThrottlingBurstLimit"]["Ref"], "LookupBurstLimit");
    assert_eq!(
        stage["DefaultRouteSettings"]["ThrottlingRateLimit"]["Ref"],
        "ApiRateLimit"
    );
    assert!(default("LookupRateLimit") < default("ApiRateLimit"));
    assert!(default("LookupBurstLimit") < default("ApiBurstLimit"));
}

#[test]
fn every_reference_resolves() {
    assert_eq!(dangling_references(&template()), Vec::<String>::new());
    assert_eq!(
        dangling_references(&template_json(&read("infra/policy/waf.yaml"))),
        Vec::<String>::new()
    );
}

#[test]
fn a_dangling_reference_is_rejected_wherever_it_hides() {
    let cases = [
        (
            "in the functions' shared environment",
            "HOCPHI_TABLE: !Ref Table",
            "HOCPHI_TABLE: !Ref Tabel",
            "Globals.Function refers to Tabel",
        ),
        (
            "in a Sub of a policy resource",
            "Resource: !Sub \"${Table.Arn}/index/GSI2\"",
            "Resource: !Sub \"${Tables.Arn}/index/GSI2\"",
            "Resources.SweeperRole refers to Tables",
        ),
        (
            "in a function's own environment",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n\n  StatusLogGroup",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpiont, !Ref AWS::NoValue]\n\n  StatusLogGroup",
            "Resources.CallbackFunction refers to MomoEndpiont",
        ),
        (
            "in a condition of a function's environment",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n\n  StatusLogGroup",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMoMo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n\n  StatusLogGroup",
            "Resources.CallbackFunction refers to condition:HasMoMo",
        ),
        (
            "in a condition",
            "Aliases: !If [HasDomain,",
            "Aliases: !If [HasCustomDomain,",
            "Resources.Distribution refers to condition:HasCustomDomain",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let dangling = dangling_references(&broken);

        assert_eq!(dangling.len(), 1, "{case}: {dangling:?}");
        assert!(dangling[0].starts_with(expected), "{case}: {}", dangling[0]);
    }
}

#[test]
fn every_function_has_exactly_the_permissions_its_use_cases_need() {
    assert_eq!(permission_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_missing_or_superfluous_permission_is_rejected() {
    let cases = [
        (
            "settling needs ConditionCheckItem",
            "                  - dynamodb:ConditionCheckItem\n                Resource: !GetAtt Table.Arn\n              - Sid: GatewaySecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource:\n                  - !Ref VnpaySecretArn\n                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n  CallbackFunction:",
            "                Resource: !GetAtt Table.Arn\n              - Sid: GatewaySecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource:\n                  - !Ref VnpaySecretArn\n                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n  CallbackFunction:",
            "callback lacks dynamodb:ConditionCheckItem on table",
        ),
        (
            "the sweeper asks MoMo about MoMo payments",
            "                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "  SweeperFunction:",
            "sweeper lacks secretsmanager:GetSecretValue on MoMo secret",
        ),
        (
            "a stack without MoMo reads no MoMo secret",
            "                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n  CheckoutFunction:",
            "                  - !Ref MomoSecretArn\n  CheckoutFunction:",
            "checkout has secretsmanager:GetSecretValue on {\"Ref\":\"MomoSecretArn\"}, which it does not need",
        ),
        (
            "the look-up queries GSI1, not GSI2",
            "Resource: !Sub \"${Table.Arn}/index/GSI1\"",
            "Resource: !Sub \"${Table.Arn}/index/GSI2\"",
            "lookup has dynamodb:Query on index GSI2, which it does not need",
        ),
        (
            "status only reads",
            "                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n  StatusFunction:",
            "                Action: [dynamodb:GetItem, dynamodb:PutItem]\n                Resource: !GetAtt Table.Arn\n  StatusFunction:",
            "status has dynamodb:PutItem on table, which it does not need",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = permission_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn every_function_gets_the_environment_the_runtime_reads() {
    assert_eq!(environment_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_misspelt_missing_or_local_only_variable_is_rejected() {
    let cases = [
        (
            "HOCPHI_TABLE: !Ref Table",
            "HOCPHI_TABEL: !Ref Table",
            "callback lacks HOCPHI_TABLE",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_VNPAY_HASH_SECRET: do-not-put-secrets-here\n      EventInvokeConfig:",
            "sweeper sets HOCPHI_VNPAY_HASH_SECRET, which is for local runs only",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_KEY: do-not-put-secrets-here\n      EventInvokeConfig:",
            "sweeper sets HOCPHI_MOMO_SECRET_KEY, which is for local runs only",
        ),
        (
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_SECRET_ARN: !Ref MomoSecretArn\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "sweeper lacks HOCPHI_MOMO_ACCESS_KEY",
        ),
        (
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !Ref MomoSecretArn\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "sweeper: HOCPHI_MOMO_SECRET_ARN is not the MomoSecretArn parameter when MoMo is on",
        ),
    ];
    for (from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = environment_problems(&broken);

        assert!(problems.iter().any(|p| p == expected), "{problems:?}");
    }
}

/// What is wrong with the lookup key's secret: it must be generated (no one types or sees it),
/// long, and kept when the stack or the resource goes (another key refuses every printed code).
fn lookup_key_problems(template: &Value) -> Vec<String> {
    let secret = &template["Resources"]["LookupKeySecret"];
    let mut problems = Vec::new();
    if secret["Type"] != "AWS::SecretsManager::Secret" {
        return vec!["no LookupKeySecret secret".into()];
    }
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if secret[policy] != "Retain" {
            problems.push(format!("the lookup key's {policy} is not Retain"));
        }
    }
    let generated = &secret["Properties"]["GenerateSecretString"];
    let length = generated["PasswordLength"].as_u64().unwrap_or(0);
    if length < 32 {
        problems.push(format!(
            "the lookup key is not generated with at least 32 characters ({length})"
        ));
    }
    if generated["ExcludePunctuation"] != true || generated["IncludeSpace"] != false {
        problems.push("the lookup key may hold punctuation or spaces".into());
    }
    problems
}

#[test]
fn the_lookup_key_is_generated_kept_and_read_only_where_codes_are_checked() {
    let template = template();

    assert_eq!(lookup_key_problems(&template), Vec::<String>::new());
    let cases = [
        (
            "    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Properties:\n      Name: !Sub \"hocphi/${Province}/lookup-key\"",
            "    DeletionPolicy: Delete\n    UpdateReplacePolicy: Retain\n    Properties:\n      Name: !Sub \"hocphi/${Province}/lookup-key\"",
            "the lookup key's DeletionPolicy is not Retain",
        ),
        (
            "        PasswordLength: 64",
            "        PasswordLength: 16",
            "the lookup key is not generated with at least 32 characters (16)",
        ),
        (
            "        ExcludePunctuation: true",
            "        ExcludePunctuation: false",
            "the lookup key may hold punctuation or spaces",
        ),
    ];
    for (from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = lookup_key_problems(&broken);

        assert!(problems.iter().any(|p| p == expected), "{problems:?}");
    }
    let elsewhere = [
        (
            "              - Sid: LookupKey\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref LookupKeySecret\n  LookupFunction:",
            "  LookupFunction:",
            "lookup lacks secretsmanager:GetSecretValue on lookup key",
        ),
        (
            "                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n  StatusFunction:",
            "                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n              - Sid: LookupKey\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref LookupKeySecret\n  StatusFunction:",
            "status has secretsmanager:GetSecretValue on lookup key, which it does not need",
        ),
    ];
    for (from, to, expected) in elsewhere {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = permission_problems(&broken);

        assert!(problems.iter().any(|p| p == expected), "{problems:?}");
    }
    let environment = [
        (
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n\n  CheckoutLogGroup:",
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref VnpaySecretArn\n\n  CheckoutLogGroup:",
            "lookup: HOCPHI_LOOKUP_KEY_ARN is not the LookupKeySecret",
        ),
        (
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n\n  CallbackLogGroup:",
            "\n  CallbackLogGroup:",
            "checkout lacks HOCPHI_LOOKUP_KEY_ARN",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n      EventInvokeConfig:",
            "sweeper is given HOCPHI_LOOKUP_KEY_ARN, which it never reads",
        ),
    ];
    for (from, to, expected) in environment {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = environment_problems(&broken);

        assert!(problems.iter().any(|p| p == expected), "{problems:?}");
    }
}

#[test]
fn the_alarms_watch_messages_the_code_really_logs() {
    let message = Regex::new(r#"\$\.message = "([^"]+)""#).unwrap();
    let template = template();
    let filters = of_type(&template, "AWS::Logs::MetricFilter");
    let mut watched = BTreeSet::new();

    for (id, filter) in filters {
        let pattern = filter["Properties"]["FilterPattern"].as_str().unwrap();
        for captures in message.captures_iter(pattern) {
            let text = captures[1].replace("''", "'");
            assert!(
                alarm::ALARMED.contains(&text.as_str()),
                "{id} watches \"{text}\", which is none of hocphi_app::alarm::ALARMED"
            );
            watched.insert(text);
        }
    }
    assert_eq!(
        watched,
        alarm::ALARMED.iter().map(|m| (*m).to_owned()).collect(),
        "every alarmed message has its metric filter"
    );
}

#[test]
fn every_alarm_notifies_the_operators() {
    let template = template();
    let alarms = of_type(&template, "AWS::CloudWatch::Alarm");

    assert!(alarms.len() >= 8);
    for (id, alarm) in alarms {
        assert_eq!(
            alarm["Properties"]["AlarmActions"][0]["Ref"], "OperatorTopic",
            "{id}"
        );
    }
}

#[test]
fn the_site_serves_the_page_and_the_api_from_one_origin() {
    let template = template();
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let api = config["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["PathPattern"] == "/api/*")
        .expect("a /api/* behaviour");
    let forwarded =
        &template["Resources"]["ApiOriginRequest"]["Properties"]["OriginRequestPolicyConfig"];
    let headers: Vec<&str> = forwarded["HeadersConfig"]["Headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();

    assert_eq!(api["TargetOriginId"], "api");
    assert_eq!(
        api["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "CachingDisabled"
    );
    assert!(
        api["AllowedMethods"]
            .as_array()
            .unwrap()
            .contains(&"POST".into())
    );
    assert_eq!(
        forwarded["QueryStringsConfig"]["QueryStringBehavior"],
        "all"
    );
    for header in [
        "Idempotency-Key",
        "Content-Type",
        "CloudFront-Viewer-Address",
    ] {
        assert!(headers.contains(&header), "{header} is not forwarded");
    }
    assert!(
        !headers.iter().any(|h| h.eq_ignore_ascii_case("host")),
        "Host breaks API Gateway"
    );
    assert_eq!(config["WebACLId"]["Ref"], "WebAclArn");
    assert_eq!(
        config["DefaultCacheBehavior"]["ViewerProtocolPolicy"],
        "redirect-to-https"
    );
}

#[test]
fn the_page_routes_are_rewritten_to_index_html_and_assets_to_their_brotli_files() {
    let template = template();
    let code = template["Resources"]["SpaRoutes"]["Properties"]["FunctionCode"]
        .as_str()
        .unwrap();
    let association = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
        ["FunctionAssociations"][0];
    let br = Some("gzip, deflate, br, zstd");
    let cases = [
        ("/", None, "/index.html"),
        ("/ket-qua", br, "/index.html"),
        ("/ket-qua/", None, "/index.html"),
        ("/bien-lai/BLHP251005070000ABCDEFGH", br, "/index.html"),
        ("/index.html", br, "/index.html"),
        (
            "/hocphi-0123456789abcdef.wasm",
            br,
            "/hocphi-0123456789abcdef.wasm.br",
        ),
        (
            "/boot-0123456789abcdef.js",
            br,
            "/boot-0123456789abcdef.js.br",
        ),
        (
            "/style-0123456789abcdef.css",
            Some("br"),
            "/style-0123456789abcdef.css.br",
        ),
        (
            "/hocphi-0123456789abcdef.wasm",
            Some("gzip, deflate"),
            "/hocphi-0123456789abcdef.wasm",
        ),
        (
            "/style-0123456789abcdef.css",
            None,
            "/style-0123456789abcdef.css",
        ),
        ("/style.css", br, "/style.css"),
        ("/favicon.ico", br, "/favicon.ico"),
    ];

    assert_eq!(association["EventType"], "viewer-request");
    assert_eq!(association["FunctionARN"]["Fn::GetAtt"][0], "SpaRoutes");
    let requests: Vec<serde_json::Value> = cases
        .iter()
        .map(|(uri, accepted, _)| match accepted {
            Some(value) => {
                serde_json::json!({"uri": uri, "headers": {"accept-encoding": {"value": value}}})
            }
            None => serde_json::json!({"uri": uri, "headers": {}}),
        })
        .collect();
    let script = format!(
        "{code}\nconsole.log(JSON.stringify({}.map(r => handler({{request: r}}).uri)));",
        serde_json::Value::from(requests)
    );
    match std::process::Command::new("node")
        .arg("-e")
        .arg(&script)
        .output()
    {
        Ok(run) => {
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            let answered: Vec<String> = serde_json::from_slice(&run.stdout).unwrap();
            for ((uri, accepted, expected), answer) in cases.iter().zip(&answered) {
                assert_eq!(answer, expected, "{uri} with {accepted:?}");
            }
        }
        Err(_) => {
            eprintln!("node is not installed: the CloudFront Function was only read, not run");
            assert!(code.contains("request.uri = '/index.html'"));
        }
    }
}

/// A policy's directives, each with its sources separated by single spaces.
fn csp_directives(policy: &str) -> Vec<String> {
    policy
        .split(';')
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty())
        .collect()
}

#[test]
fn the_security_headers_allow_the_wasm_page_and_nothing_else() {
    let template = template();
    let headers = &template["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
        ["SecurityHeadersConfig"];
    let csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        .as_str()
        .unwrap();

    for directive in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"));
    assert_eq!(
        csp_directives(csp),
        csp_directives(&format!(
            "{}; {}",
            site::CONTENT_SECURITY_POLICY,
            site::HTTPS_ONLY_DIRECTIVE
        )),
        "the CDN's policy is the one the local stack serves (hocphi_api::site)"
    );
    assert!(
        headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_u64() >= Some(31_536_000)
    );
    assert_eq!(headers["ContentTypeOptions"]["Override"], true);
    assert_eq!(headers["FrameOptions"]["FrameOption"], "DENY");
    assert_eq!(
        headers["ReferrerPolicy"]["ReferrerPolicy"],
        site::REFERRER_POLICY
    );
}

#[test]
fn the_outputs_give_the_operator_everything_deploy_and_vnpay_need() {
    let template = template();

    for output in [
        "SiteUrl",
        "ApiUrl",
        "BucketName",
        "DistributionId",
        "TableName",
        "IpnUrl",
    ] {
        assert!(
            template["Outputs"][output].is_object(),
            "no output {output}"
        );
    }
    let ipn = template["Outputs"]["IpnUrl"]["Value"].to_string();
    assert!(ipn.contains("/api/callbacks/vnpay"), "{ipn}");
}
