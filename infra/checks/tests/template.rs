//! `infra/template.yaml` against the code it deploys: every Lambda binary and only those, every
//! route of the HTTP contract on the right function (each payment channel's callbacks on their
//! own function, with its own capacity), the environment the functions read, the permissions
//! their use cases need and no more (the public doors' writes held to their items' keys),
//! references that resolve, an API that answers only through the CDN, alarms on messages the
//! code really logs in every log group that logs them, the site's CDN behaviours, and the
//! channels a province may leave off (MoMo, payOS, the portal's platform, the bill-payment
//! partners' API): with each on or off, their functions and grants exist exactly then, nothing
//! refers to what is gone, the errors and throttles alarms add up exactly the functions
//! deployed, and the look-up is told which channels the province offers; the table's indexes
//! are the DynamoDB adapter's. Each check is shown rejecting a broken variant.

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
use hocphi_gateways::partner::generic;
use hocphi_runtime::Function;
use hocphi_runtime::config::{
    CALLBACK_CHANNEL, Deployed, LOOKUP_KEY_ARN, ORIGIN_HEADER, ORIGIN_SECRET_ARN, TABLE, VARIABLES,
    VNPAY_SECRET_ARN, Variable,
};
use hocphi_store::dynamodb::{INDEXES, ITEM_KINDS};
use regex::Regex;
use serde_json::Value;

/// The HTTP contract: route key (path parameters as `{}`) → the function that serves it.
const CONTRACT: [(&str, &str); 12] = [
    ("GET /api/invoices", "lookup"),
    ("POST /api/payments", "checkout"),
    ("GET /api/payments/{}", "status"),
    ("POST /api/callbacks/payos/{}", "callback-payos"),
    ("GET /api/callbacks/vnpay", "callback-vnpay"),
    ("POST /api/callbacks/momo", "callback-momo"),
    ("POST /api/callbacks/dvcqg", "callback-dvcqg"),
    ("POST /api/partners/{}/bills", "partners"),
    ("POST /api/partners/{}/confirmations", "partners"),
    ("POST /api/partners/{}/reversals", "partners"),
    ("GET /api/partners/openapi.json", "partners"),
    ("GET /api/receipts/{}", "receipt"),
];

/// What each function's use cases do to the table and the channels' secrets (read from the
/// DynamoDB adapter: `TransactWriteItems` is authorised per item as PutItem, UpdateItem and
/// ConditionCheckItem), besides writing its own log group and, behind the CDN, reading the
/// origin secret.
const NEEDS: [(&str, &[(&str, &str)]); 10] = [
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
            ("secretsmanager:GetSecretValue", "payOS channels secret"),
            ("secretsmanager:GetSecretValue", "portal secret"),
        ],
    ),
    (
        "callback-vnpay",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("secretsmanager:GetSecretValue", "gateway secret"),
        ],
    ),
    (
        "callback-momo",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("secretsmanager:GetSecretValue", "MoMo secret"),
        ],
    ),
    (
        "callback-payos",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("secretsmanager:GetSecretValue", "payOS channels secret"),
        ],
    ),
    (
        "callback-dvcqg",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("secretsmanager:GetSecretValue", "portal secret"),
        ],
    ),
    (
        "partners",
        &[
            ("dynamodb:GetItem", "table"),
            ("dynamodb:PutItem", "table"),
            ("dynamodb:UpdateItem", "table"),
            ("dynamodb:ConditionCheckItem", "table"),
            ("dynamodb:Query", "index GSI1"),
            ("secretsmanager:GetSecretValue", "lookup key"),
            ("secretsmanager:GetSecretValue", "partners secret"),
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
            ("secretsmanager:GetSecretValue", "payOS channels secret"),
            ("secretsmanager:GetSecretValue", "portal secret"),
        ],
    ),
];

/// The partition keys of the items each public door writes (the DynamoDB adapter's item kinds,
/// `functions/store/src/dynamodb.rs`): its role may put, update and delete those items and no
/// others (`dynamodb:LeadingKeys`). Both count failed codes and re-key a student's lookup digest
/// stored before keys; checkout also stores the payment, holds its invoices and keeps its
/// idempotency record; the partners' function counts its look-ups, claims nonces and records a
/// captured payment with its invoices, receipt number and receipt.
const WRITES: [(&str, &[&str]); 3] = [
    ("lookup", &["LOOKUPFAIL#", "STUDENT#"]),
    (
        "partners",
        &[
            "COUNTER#",
            "INVOICE#",
            "LOOKUPFAIL#",
            "NONCE#",
            "PAYMENT#",
            "RECEIPT#",
        ],
    ),
    (
        "checkout",
        &[
            "IDEMPOTENCY#",
            "INVOICE#",
            "LOOKUPFAIL#",
            "PAYMENT#",
            "STUDENT#",
        ],
    ),
];

/// The actions that write an item.
const WRITE_ACTIONS: [&str; 3] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
];

/// The channels a province may leave off, each with the template condition that turns it on
/// (VNPay is always on); the partners' API counts as one.
const OPTIONAL_CHANNELS: [(GatewayKind, &str); 4] = [
    (GatewayKind::Payos, "HasPayos"),
    (GatewayKind::Momo, "HasMomo"),
    (GatewayKind::Dvcqg, "HasDvcqg"),
    (GatewayKind::Partner, "HasPartners"),
];

/// The optional channels' variables of the gateway functions, the parameters they carry and
/// the channel that sets them: each is set only when its channel is on (MoMo: a partner code
/// given; payOS: its channels secret's ARN given; the portal: its partner code and key's ARN
/// given; the partners: their secret's ARN given), so a stack without the channel never reads
/// its secret.
const CHANNEL_VARIABLES: [(&str, &str, GatewayKind); 10] = [
    (
        "HOCPHI_MOMO_PARTNER_CODE",
        "MomoPartnerCode",
        GatewayKind::Momo,
    ),
    ("HOCPHI_MOMO_ACCESS_KEY", "MomoAccessKey", GatewayKind::Momo),
    ("HOCPHI_MOMO_SECRET_ARN", "MomoSecretArn", GatewayKind::Momo),
    ("HOCPHI_MOMO_ENDPOINT", "MomoEndpoint", GatewayKind::Momo),
    (
        "HOCPHI_PAYOS_CHANNELS_ARN",
        "PayosChannelsSecretArn",
        GatewayKind::Payos,
    ),
    ("HOCPHI_PAYOS_ENDPOINT", "PayosEndpoint", GatewayKind::Payos),
    (
        "HOCPHI_DVCQG_PARTNER_CODE",
        "DvcqgPartnerCode",
        GatewayKind::Dvcqg,
    ),
    (
        "HOCPHI_DVCQG_SECRET_ARN",
        "DvcqgSecretArn",
        GatewayKind::Dvcqg,
    ),
    ("HOCPHI_DVCQG_ENDPOINT", "DvcqgEndpoint", GatewayKind::Dvcqg),
    (
        "HOCPHI_PARTNERS_ARN",
        "PartnersSecretArn",
        GatewayKind::Partner,
    ),
];

/// The variable that tells the look-up which channels the province offers
/// (comma-separated, in `GatewayKind::ALL`'s order).
const CHANNELS: &str = "HOCPHI_CHANNELS";

/// The value of the header CloudFront adds to API requests: the origin secret, resolved from
/// Secrets Manager when the stack deploys.
const ORIGIN_HEADER_VALUE: &str = "{{resolve:secretsmanager:${OriginSecret}:SecretString}}";

/// A channel's name in the checks' messages.
fn label(kind: GatewayKind) -> &'static str {
    match kind {
        GatewayKind::Payos => "payOS",
        GatewayKind::Vnpay => "VNPay",
        GatewayKind::Momo => "MoMo",
        GatewayKind::Dvcqg => "the portal platform",
        GatewayKind::Partner => "partners",
    }
}

/// The condition that turns an optional channel on.
fn channel_condition(kind: GatewayKind) -> Option<&'static str> {
    OPTIONAL_CHANNELS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, condition)| *condition)
}

/// The channel an optional channel's parameter belongs to.
fn parameter_channel(parameter: &str) -> GatewayKind {
    CHANNEL_VARIABLES
        .iter()
        .find(|(_, p, _)| *p == parameter)
        .map(|(_, _, kind)| *kind)
        .unwrap_or_else(|| panic!("{parameter} is no optional channel's parameter"))
}

/// `parameter`'s value when its channel is on, nothing otherwise.
fn only_with_channel(parameter: &str) -> Value {
    let condition = channel_condition(parameter_channel(parameter)).unwrap_or_default();
    serde_json::json!({"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]})
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

/// The deployed function a template function runs: its binary, and for the callback binary the
/// channel its `HOCPHI_CALLBACK_CHANNEL` names.
fn deployed_function(template: &Value, id: &str, binary: &str) -> Result<Function, String> {
    if binary == Function::Callback(GatewayKind::Vnpay).binary() {
        let channel = template["Resources"][id]["Properties"]["Environment"]["Variables"]
            [CALLBACK_CHANNEL]
            .as_str()
            .unwrap_or_default();
        return GatewayKind::parse(channel)
            .map(Function::Callback)
            .ok_or_else(|| format!("{id} runs {binary} without a channel in {CALLBACK_CHANNEL}"));
    }
    Function::DEPLOYED
        .into_iter()
        .find(|f| f.binary() == binary)
        .ok_or_else(|| format!("{id} runs {binary}, which is no deployed function of the runtime"))
}

/// The functions of a template: logical id → the deployed function it is.
fn deployed(template: &Value) -> BTreeMap<String, Function> {
    functions(template)
        .into_iter()
        .map(|(id, binary)| {
            let function =
                deployed_function(template, &id, &binary).unwrap_or_else(|e| panic!("{e}"));
            (id, function)
        })
        .collect()
}

/// Problems in which template function is which deployed function: one a runtime function
/// cannot be, or two that are the same.
fn identity_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (id, binary) in functions(template) {
        match deployed_function(template, &id, &binary) {
            Ok(function) => {
                if let Some(other) = seen.insert(function.name(), id.clone()) {
                    problems.push(format!("{other} and {id} are both {}", function.name()));
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    problems
}

/// The routes the app's one HTTP mapping answers (`Route::ALL`), each with the name of the
/// deployed function that serves it (`Function::routes`).
fn routes_in_code() -> BTreeMap<String, String> {
    Function::DEPLOYED
        .iter()
        .flat_map(|function| {
            function.routes().iter().map(move |route| {
                (
                    normalize_route(&format!("{} {}", route.method(), route.path())),
                    function.name().to_owned(),
                )
            })
        })
        .collect()
}

/// The routes of a template: route key → the name of the function its integration invokes.
fn routes_in_template(template: &Value) -> BTreeMap<String, String> {
    let deployed = deployed(template);
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
            let function = deployed
                .get(function)
                .unwrap_or_else(|| panic!("{integration} invokes {function}, not a function"));
            (normalize_route(key), function.name().to_owned())
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
    let deployed = deployed(template);
    let routes = routes_in_template(template);
    let permissions: Vec<(String, String)> = of_type(template, "AWS::Lambda::Permission")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["Principal"] == "apigateway.amazonaws.com")
        .filter_map(|(_, p)| {
            let function = deployed.get(target(&p["Properties"]["FunctionName"])?)?;
            let source = p["Properties"]["SourceArn"]["Fn::Sub"].as_str()?;
            let tail = source.split_once("${HttpApi}")?.1;
            Some((function.name().to_owned(), tail.to_owned()))
        })
        .collect();
    routes
        .into_iter()
        .filter(|(key, name)| {
            let (method, path) = key.split_once(' ').unwrap_or_default();
            let invoked = format!("/$default/{method}{}", path.replace("{}", "x"));
            !permissions
                .iter()
                .any(|(function, tail)| function == name && glob_matches(tail, &invoked))
        })
        .map(|(key, name)| format!("{key} ({name})"))
        .collect()
}

/// Whether `value` is an optional channel's `parameter` in a resource that exists under
/// `condition`: the parameter itself where the resource exists only with the channel, else the
/// parameter when the channel is on and nothing otherwise.
fn is_channel_parameter(value: &Value, parameter: &str, condition: Option<&str>) -> bool {
    *value == only_with_channel(parameter)
        || (condition.is_some()
            && condition == channel_condition(parameter_channel(parameter))
            && value["Ref"] == parameter)
}

/// A statement's resource, in a role that exists under `condition`, as a short name: the table,
/// one of its indexes, a channel's secret, the origin secret, a log group, or the resource as
/// written.
fn resource_name(resource: &Value, condition: Option<&str>) -> String {
    if resource["Ref"] == "VnpaySecretArn" {
        return "gateway secret".into();
    }
    if resource["Ref"] == "OriginSecret" {
        return "origin secret".into();
    }
    if resource["Ref"] == "LookupKeySecret" {
        return "lookup key".into();
    }
    if is_channel_parameter(resource, "MomoSecretArn", condition) {
        return "MoMo secret".into();
    }
    if is_channel_parameter(resource, "PayosChannelsSecretArn", condition) {
        return "payOS channels secret".into();
    }
    if is_channel_parameter(resource, "DvcqgSecretArn", condition) {
        return "portal secret".into();
    }
    if is_channel_parameter(resource, "PartnersSecretArn", condition) {
        return "partners secret".into();
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
    for (id, function) in deployed(template) {
        let name = function.name();
        let resource = &template["Resources"][&id];
        let Some(role) = target(&resource["Properties"]["Role"]) else {
            problems.push(format!("{name}: no Role"));
            continue;
        };
        let log_group = target(&resource["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or("<none>")
            .to_owned();
        let condition = template["Resources"][role]["Condition"].as_str();
        let granted: BTreeSet<(String, String)> = grants(&template["Resources"][role])
            .into_iter()
            .flat_map(|grant| {
                let resources: Vec<String> = grant
                    .resources
                    .iter()
                    .map(|r| resource_name(r, condition))
                    .collect();
                grant
                    .actions
                    .into_iter()
                    .flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
            })
            .collect();
        let mut needed: BTreeSet<(String, String)> = needs
            .get(name)
            .copied()
            .unwrap_or_default()
            .iter()
            .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
            .collect();
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            needed.insert((action.to_owned(), format!("log group {log_group}")));
        }
        if function.behind_cdn() {
            needed.insert((
                "secretsmanager:GetSecretValue".to_owned(),
                "origin secret".to_owned(),
            ));
        }
        for (action, resource) in needed.difference(&granted) {
            problems.push(format!("{name} lacks {action} on {resource}"));
        }
        for (action, resource) in granted.difference(&needed) {
            problems.push(format!(
                "{name} has {action} on {resource}, which it does not need"
            ));
        }
    }
    problems
}

/// Where the public doors' roles may write more items than their use cases do: a write on the
/// table without `dynamodb:LeadingKeys`, or with keys other than its items'.
fn leading_key_problems(template: &Value) -> Vec<String> {
    let writes: BTreeMap<&str, &[&str]> = WRITES.into_iter().collect();
    let mut problems = Vec::new();
    for (id, function) in deployed(template) {
        let Some(items) = writes.get(function.name()) else {
            continue;
        };
        let expected: BTreeSet<String> = items.iter().map(|p| format!("{p}*")).collect();
        let role = target(&template["Resources"][&id]["Properties"]["Role"]).unwrap_or_default();
        for grant in grants(&template["Resources"][role]) {
            let on_table = grant
                .resources
                .iter()
                .any(|r| resource_name(r, None) == "table");
            let writing: Vec<&String> = grant
                .actions
                .iter()
                .filter(|a| WRITE_ACTIONS.contains(&a.as_str()))
                .collect();
            if !on_table || writing.is_empty() {
                continue;
            }
            let keys = &grant.condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let Some(keys) = keys.as_array() else {
                problems.push(format!(
                    "{} may {writing:?} any item: no ForAllValues:StringLike dynamodb:LeadingKeys",
                    function.name()
                ));
                continue;
            };
            let granted: BTreeSet<String> = keys
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            for extra in granted.difference(&expected) {
                problems.push(format!(
                    "{} may write {extra} items, which it never writes",
                    function.name()
                ));
            }
            for missing in expected.difference(&granted) {
                problems.push(format!(
                    "{} may not write the {missing} items it writes",
                    function.name()
                ));
            }
        }
    }
    problems
}

/// A function, the condition it exists under, and its environment variables.
type Environment = (Function, Option<String>, BTreeMap<String, Value>);

/// Environment variables of each function (Globals merged), by the function's name.
fn environments(template: &Value) -> BTreeMap<String, Environment> {
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    deployed(template)
        .into_iter()
        .map(|(id, function)| {
            let mut variables: BTreeMap<String, Value> = globals.clone().into_iter().collect();
            if let Some(own) =
                template["Resources"][&id]["Properties"]["Environment"]["Variables"].as_object()
            {
                variables.extend(own.clone());
            }
            let condition = template["Resources"][&id]["Condition"]
                .as_str()
                .map(str::to_owned);
            (function.name().to_owned(), (function, condition, variables))
        })
        .collect()
}

/// Differences between the environment the template gives each function and the runtime's
/// table of variables (`hocphi_runtime::config::VARIABLES`).
fn environment_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, (function, condition, variables)) in environments(template) {
        for variable in VARIABLES.iter().filter(|v| v.read_by(function)) {
            let var = variable.name;
            match (variable.deployed, variables.get(var)) {
                (Deployed::Always, None) => problems.push(format!("{name} lacks {var}")),
                (Deployed::WithChannel(kind), value) if channel_condition(kind).is_some() => {
                    let parameter = channel_parameter(var);
                    match value {
                        None => problems.push(format!("{name} lacks {var}")),
                        Some(value)
                            if !is_channel_parameter(value, parameter, condition.as_deref()) =>
                        {
                            problems.push(format!(
                                "{name}: {var} is not the {parameter} parameter when {} is on",
                                label(kind)
                            ));
                        }
                        Some(_) => {}
                    }
                }
                (Deployed::WithChannel(GatewayKind::Vnpay), None) => {
                    problems.push(format!("{name} lacks {var}"));
                }
                (Deployed::LocalOnly, Some(_)) => {
                    problems.push(format!("{name} sets {var}, which is for local runs only"))
                }
                _ => {}
            }
        }
        for var in variables.keys() {
            match Variable::named(var) {
                _ if var == "RUST_LOG" => {}
                None => problems.push(format!("{name} sets {var}, which the runtime never reads")),
                Some(variable) if !variable.read_by(function) => {
                    problems.push(format!("{name} is given {var}, which it never reads"));
                }
                Some(_) => {}
            }
        }
        let references = |var: &str, resource: &str| {
            variables
                .get(var)
                .is_none_or(|value| value["Ref"] == resource)
        };
        if !references(VNPAY_SECRET_ARN, "VnpaySecretArn") {
            problems.push(format!(
                "{name}: {VNPAY_SECRET_ARN} is not the VnpaySecretArn parameter"
            ));
        }
        if !references(ORIGIN_SECRET_ARN, "OriginSecret") {
            problems.push(format!(
                "{name}: {ORIGIN_SECRET_ARN} is not the stack's OriginSecret"
            ));
        }
        if !references(LOOKUP_KEY_ARN, "LookupKeySecret") {
            problems.push(format!(
                "{name}: {LOOKUP_KEY_ARN} is not the LookupKeySecret"
            ));
        }
        if !references(TABLE, "Table") {
            problems.push(format!("{name}: {TABLE} is not the table"));
        }
    }
    problems
}

/// The template parameter an optional channel's variable carries.
fn channel_parameter(name: &str) -> &'static str {
    CHANNEL_VARIABLES
        .iter()
        .find(|(variable, _, _)| *variable == name)
        .map(|(_, parameter, _)| *parameter)
        .unwrap_or_else(|| panic!("{name} has no parameter in CHANNEL_VARIABLES"))
}

/// Ways a caller could reach the functions without the CDN: CloudFront not adding the origin
/// secret to API requests, a secret that is typed rather than generated, or an output that
/// publishes the API's own endpoint.
fn origin_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let origins =
        template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    let api = origins.iter().find(|o| o["Id"] == "api");
    let added = api
        .and_then(|api| api["OriginCustomHeaders"].as_array())
        .into_iter()
        .flatten()
        .find(|h| {
            h["HeaderName"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(ORIGIN_HEADER))
        });
    match added {
        None => problems.push(format!(
            "CloudFront's api origin does not add the {ORIGIN_HEADER} header"
        )),
        Some(header) if header["HeaderValue"]["Fn::Sub"] != ORIGIN_HEADER_VALUE => {
            problems.push(format!(
                "CloudFront's {ORIGIN_HEADER} is {}, not the OriginSecret",
                header["HeaderValue"]
            ));
        }
        Some(_) => {}
    }
    let secret = &template["Resources"]["OriginSecret"];
    if secret["Type"] != "AWS::SecretsManager::Secret"
        || !secret["Properties"]["GenerateSecretString"].is_object()
        || !secret["Properties"]["SecretString"].is_null()
    {
        problems.push("the OriginSecret is not a secret Secrets Manager generates".into());
    }
    if let Some(outputs) = template["Outputs"].as_object() {
        for (name, output) in outputs {
            if output["Value"].to_string().contains("execute-api") {
                problems.push(format!(
                    "output {name} publishes the API's own endpoint, which skips the CDN"
                ));
            }
        }
    }
    problems
}

/// A metric filter: its log group, the `$.message` it watches (if any) and the metric it counts.
struct Filter {
    id: String,
    log_group: String,
    message: Option<String>,
    metric: String,
    condition: Option<String>,
}

fn metric_filters(template: &Value) -> Vec<Filter> {
    let message = Regex::new(r#"\$\.message = "([^"]+)""#).unwrap();
    of_type(template, "AWS::Logs::MetricFilter")
        .into_iter()
        .map(|(id, filter)| {
            let pattern = filter["Properties"]["FilterPattern"]
                .as_str()
                .unwrap_or_default();
            Filter {
                id: id.to_owned(),
                log_group: target(&filter["Properties"]["LogGroupName"])
                    .unwrap_or_default()
                    .to_owned(),
                message: message.captures(pattern).map(|c| c[1].replace("''", "'")),
                metric: filter["Properties"]["MetricTransformations"][0]["MetricName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                condition: filter["Condition"].as_str().map(str::to_owned),
            }
        })
        .collect()
}

/// Alarmed messages some function logs with no metric filter in its log group (under the
/// function's own condition) whose metric an alarm watches.
fn alarm_coverage_problems(template: &Value) -> Vec<String> {
    let filters = metric_filters(template);
    let alarmed: BTreeSet<String> = of_type(template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| a["Properties"]["Namespace"]["Fn::Sub"] == "hocphi/${Province}")
        .filter_map(|(_, a)| a["Properties"]["MetricName"].as_str().map(str::to_owned))
        .collect();
    let mut problems = Vec::new();
    for (id, function) in deployed(template) {
        let resource = &template["Resources"][&id];
        let log_group = target(&resource["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_default()
            .to_owned();
        let condition = resource["Condition"].as_str().map(str::to_owned);
        for use_case in function.alarmed() {
            for message in alarm::logged_by(*use_case) {
                let watching: Vec<&Filter> = filters
                    .iter()
                    .filter(|f| f.log_group == log_group && f.message.as_deref() == Some(message))
                    .collect();
                if watching.is_empty() {
                    problems.push(format!(
                        "{}'s log group has no filter for \"{message}\"",
                        function.name()
                    ));
                }
                for filter in watching {
                    if filter.condition != condition {
                        problems.push(format!(
                            "{} has condition {:?}, its log group {:?}",
                            filter.id, filter.condition, condition
                        ));
                    }
                    if !alarmed.contains(&filter.metric) {
                        problems.push(format!(
                            "{} counts {}, which no alarm watches",
                            filter.id, filter.metric
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// The ids a metric math `SUM([a, b, ...])` adds up.
fn summed_ids(expression: &str) -> BTreeSet<String> {
    expression
        .trim_start_matches("SUM([")
        .trim_end_matches("])")
        .split(',')
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Functions whose errors or throttles an all-functions alarm does not add up, in every setting
/// of the optional channels (the template as CloudFormation deploys it then): each deployed
/// function has its metric query, and the SUM names exactly those queries (a query of a
/// function that is gone would dangle; an id without its query is refused by CloudWatch).
fn all_functions_alarm_problems(template: &Value, alarm_id: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for holding in channel_settings() {
        let setting = setting_name(&holding);
        let deployed_template = deployed_with(template, &holding);
        let metrics: Vec<Value> = deployed_template["Resources"][alarm_id]["Properties"]["Metrics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let Some(expression) = metrics
            .iter()
            .find(|q| q["ReturnData"] == true)
            .and_then(|q| q["Expression"].as_str())
            .map(str::to_owned)
        else {
            problems.push(format!("with {setting}: {alarm_id} has no expression"));
            continue;
        };
        let summed = summed_ids(&expression);
        let functions = deployed(&deployed_template);
        for (id, function) in &functions {
            let query = metrics.iter().find(|q| {
                target(&q["MetricStat"]["Metric"]["Dimensions"][0]["Value"]) == Some(id.as_str())
            });
            let Some(query) = query else {
                problems.push(format!(
                    "with {setting}: {alarm_id} has no metric of {}",
                    function.name()
                ));
                continue;
            };
            let query_id = query["Id"].as_str().unwrap_or_default();
            if !summed.contains(query_id) {
                problems.push(format!(
                    "with {setting}: {alarm_id}: {expression} leaves out {query_id} ({})",
                    function.name()
                ));
            }
        }
        for query in metrics.iter().filter(|q| q["ReturnData"] != true) {
            let function = target(&query["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
                .unwrap_or_default();
            if !functions.contains_key(function) {
                problems.push(format!(
                    "with {setting}: {alarm_id} has a metric of {function}, which is not deployed"
                ));
            }
        }
        for id in &summed {
            if !metrics.iter().any(|q| q["Id"] == id.as_str()) {
                problems.push(format!(
                    "with {setting}: {alarm_id}: {expression} adds {id}, the metric of no deployed function"
                ));
            }
        }
    }
    problems
}

/// Channels whose notifications do not reach a function of their own with capacity of its own.
fn callback_capacity_problems(template: &Value) -> Vec<String> {
    let routes = routes_in_template(template);
    let deployed = deployed(template);
    let mut problems = identity_problems(template);
    for kind in GatewayKind::ALL {
        let function = Function::Callback(kind);
        let route = function.routes()[0];
        let key = normalize_route(&format!("{} {}", route.method(), route.path()));
        if routes.get(&key).map(String::as_str) != Some(function.name()) {
            problems.push(format!(
                "{key} reaches {:?}, not {}",
                routes.get(&key),
                function.name()
            ));
        }
        let Some((id, _)) = deployed.iter().find(|(_, f)| **f == function) else {
            problems.push(format!("no function is {}", function.name()));
            continue;
        };
        let reserved = &template["Resources"][id]["Properties"]["ReservedConcurrentExecutions"];
        if reserved.is_null() {
            problems.push(format!(
                "{} has no reserved concurrency of its own",
                function.name()
            ));
        }
    }
    problems
}

#[test]
fn every_optional_channel_variable_of_the_runtime_has_its_parameter_and_no_other_does() {
    let template = template();
    for (kind, _) in OPTIONAL_CHANNELS {
        let in_runtime: BTreeSet<&str> = VARIABLES
            .iter()
            .filter(|v| v.deployed == Deployed::WithChannel(kind))
            .map(|v| v.name)
            .collect();
        let with_parameter: BTreeSet<&str> = CHANNEL_VARIABLES
            .iter()
            .filter(|(_, _, k)| *k == kind)
            .map(|(v, _, _)| *v)
            .collect();

        assert_eq!(in_runtime, with_parameter, "{kind:?}");
    }
    for (_, parameter, _) in CHANNEL_VARIABLES {
        assert!(
            template["Parameters"][parameter].is_object(),
            "no parameter {parameter}"
        );
    }
    assert_eq!(
        Variable::named(CHANNELS).map(|v| v.deployed),
        Some(Deployed::Always)
    );
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
            "HOCPHI_MOMO_ENDPOINT: !Ref MomoEndpoint\n",
            "HOCPHI_MOMO_ENDPOINT: !Ref MomoEndpiont\n",
            "Resources.MomoCallbackFunction refers to MomoEndpiont",
        ),
        (
            "in a condition of a function's environment",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "HOCPHI_MOMO_ENDPOINT: !If [HasMoMo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "Resources.CheckoutFunction refers to condition:HasMoMo",
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
            "                  - dynamodb:ConditionCheckItem\n                Resource: !GetAtt Table.Arn\n              - Sid: GatewaySecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref VnpaySecretArn\n",
            "                Resource: !GetAtt Table.Arn\n              - Sid: GatewaySecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref VnpaySecretArn\n",
            "callback-vnpay lacks dynamodb:ConditionCheckItem on table",
        ),
        (
            "a channel's callback reads no other channel's secret",
            "                Resource: !Ref VnpaySecretArn\n",
            "                Resource:\n                  - !Ref VnpaySecretArn\n                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n",
            "callback-vnpay has secretsmanager:GetSecretValue on MoMo secret, which it does not need",
        ),
        (
            "a function behind the CDN reads the origin secret",
            "              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  ReceiptFunction:",
            "  ReceiptFunction:",
            "receipt lacks secretsmanager:GetSecretValue on origin secret",
        ),
        (
            "the sweeper asks MoMo about MoMo payments",
            "                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "sweeper lacks secretsmanager:GetSecretValue on MoMo secret",
        ),
        (
            "a stack without MoMo reads no MoMo secret",
            "                  - !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "                  - !Ref MomoSecretArn\n                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "checkout has secretsmanager:GetSecretValue on {\"Ref\":\"MomoSecretArn\"}, which it does not need",
        ),
        (
            "the look-up queries GSI1, not GSI2",
            "Resource: !Sub \"${Table.Arn}/index/GSI1\"\n              - Sid: OriginSecret",
            "Resource: !Sub \"${Table.Arn}/index/GSI2\"\n              - Sid: OriginSecret",
            "lookup has dynamodb:Query on index GSI2, which it does not need",
        ),
        (
            "status only reads",
            "              - Sid: ReadPayment\n                Effect: Allow\n                Action: dynamodb:GetItem\n",
            "              - Sid: ReadPayment\n                Effect: Allow\n                Action: [dynamodb:GetItem, dynamodb:PutItem]\n",
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
            "callback-vnpay lacks HOCPHI_TABLE",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_VNPAY_HASH_SECRET: do-not-put-secrets-here\n      EventInvokeConfig:",
            "sweeper sets HOCPHI_VNPAY_HASH_SECRET, which is for local runs only",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_KEY: do-not-put-secrets-here\n      EventInvokeConfig:",
            "sweeper sets HOCPHI_MOMO_SECRET_KEY, which is for local runs only",
        ),
        (
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_SECRET_ARN: !Ref MomoSecretArn\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "sweeper lacks HOCPHI_MOMO_ACCESS_KEY",
        ),
        (
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !Ref MomoSecretArn\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
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
            "        PasswordLength: 64\n        ExcludePunctuation: true",
            "        PasswordLength: 64\n        ExcludePunctuation: false",
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
            "                Resource: !Ref OriginSecret\n  StatusFunction:",
            "                Resource: !Ref OriginSecret\n              - Sid: LookupKey\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref LookupKeySecret\n  StatusFunction:",
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
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n          HOCPHI_CHANNELS: !Join",
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref VnpaySecretArn\n          HOCPHI_CHANNELS: !Join",
            "lookup: HOCPHI_LOOKUP_KEY_ARN is not the LookupKeySecret",
        ),
        (
            "          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n\n  # One function per payment channel",
            "\n  # One function per payment channel",
            "checkout lacks HOCPHI_LOOKUP_KEY_ARN",
        ),
        (
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n      EventInvokeConfig:",
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
        generic::TIMESTAMP_HEADER,
        generic::NONCE_HEADER,
        generic::SIGNATURE_HEADER,
    ] {
        assert!(headers.contains(&header), "{header} is not forwarded");
    }
    assert!(
        headers.len() <= 10,
        "CloudFront forwards at most 10 headers"
    );
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
            "/en-0123456789abcdef.json",
            br,
            "/en-0123456789abcdef.json.br",
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

#[test]
fn the_api_answers_only_requests_cloudfront_brings_with_the_origin_secret() {
    assert_eq!(origin_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_way_around_the_cdn_is_rejected() {
    let header = "            OriginCustomHeaders:\n              - HeaderName: X-Hocphi-Origin\n                HeaderValue: !Sub \"{{resolve:secretsmanager:${OriginSecret}:SecretString}}\"\n";
    let cases = [
        (
            "CloudFront adds no origin secret",
            header,
            "",
            "CloudFront's api origin does not add the x-hocphi-origin header",
        ),
        (
            "CloudFront adds another header than the functions check",
            "              - HeaderName: X-Hocphi-Origin\n",
            "              - HeaderName: X-Origin-Verify\n",
            "CloudFront's api origin does not add the x-hocphi-origin header",
        ),
        (
            "the secret is typed into the template",
            "                HeaderValue: !Sub \"{{resolve:secretsmanager:${OriginSecret}:SecretString}}\"\n",
            "                HeaderValue: hocphi-origin-0123456789\n",
            "CloudFront's x-hocphi-origin is \"hocphi-origin-0123456789\", not the OriginSecret",
        ),
        (
            "the secret's value is written rather than generated",
            "      GenerateSecretString:\n        PasswordLength: 48\n        ExcludePunctuation: true\n",
            "      SecretString: hocphi-origin-0123456789abcdef0123456789abcdef\n",
            "the OriginSecret is not a secret Secrets Manager generates",
        ),
        (
            "the API's own endpoint is published",
            "Outputs:\n",
            "Outputs:\n  ApiUrl:\n    Value: !Sub \"https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}\"\n",
            "output ApiUrl publishes the API's own endpoint, which skips the CDN",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        assert_eq!(origin_problems(&broken), [expected], "{case}");
    }
}

#[test]
fn a_function_behind_the_cdn_gets_the_stacks_origin_secret_and_no_other_function_does() {
    let cases = [
        (
            "          HOCPHI_ORIGIN_SECRET_ARN: !Ref OriginSecret\n          HOCPHI_VNPAY_TMN_CODE: !Ref VnpayTmnCode\n          HOCPHI_VNPAY_SECRET_ARN: !Ref VnpaySecretArn\n          HOCPHI_VNPAY_PAY_URL: !Ref VnpayPayUrl\n          HOCPHI_VNPAY_API_URL: !Ref VnpayApiUrl\n\n",
            "          HOCPHI_VNPAY_TMN_CODE: !Ref VnpayTmnCode\n          HOCPHI_VNPAY_SECRET_ARN: !Ref VnpaySecretArn\n          HOCPHI_VNPAY_PAY_URL: !Ref VnpayPayUrl\n          HOCPHI_VNPAY_API_URL: !Ref VnpayApiUrl\n\n",
            "callback-vnpay lacks HOCPHI_ORIGIN_SECRET_ARN",
        ),
        (
            "          HOCPHI_ORIGIN_SECRET_ARN: !Ref OriginSecret\n          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n          HOCPHI_CHANNELS: !Join",
            "          HOCPHI_ORIGIN_SECRET_ARN: !Ref VnpaySecretArn\n          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n          HOCPHI_CHANNELS: !Join",
            "lookup: HOCPHI_ORIGIN_SECRET_ARN is not the stack's OriginSecret",
        ),
        (
            "      Environment:\n        Variables:\n          HOCPHI_VNPAY_TMN_CODE: !Ref VnpayTmnCode\n          HOCPHI_VNPAY_SECRET_ARN: !Ref VnpaySecretArn\n          HOCPHI_VNPAY_PAY_URL: !Ref VnpayPayUrl\n          HOCPHI_VNPAY_API_URL: !Ref VnpayApiUrl\n          HOCPHI_MOMO_PARTNER_CODE: !If [HasMomo, !Ref MomoPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "      Environment:\n        Variables:\n          HOCPHI_ORIGIN_SECRET_ARN: !Ref OriginSecret\n          HOCPHI_VNPAY_TMN_CODE: !Ref VnpayTmnCode\n          HOCPHI_VNPAY_SECRET_ARN: !Ref VnpaySecretArn\n          HOCPHI_VNPAY_PAY_URL: !Ref VnpayPayUrl\n          HOCPHI_VNPAY_API_URL: !Ref VnpayApiUrl\n          HOCPHI_MOMO_PARTNER_CODE: !If [HasMomo, !Ref MomoPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ACCESS_KEY: !If [HasMomo, !Ref MomoAccessKey, !Ref AWS::NoValue]\n          HOCPHI_MOMO_SECRET_ARN: !If [HasMomo, !Ref MomoSecretArn, !Ref AWS::NoValue]\n          HOCPHI_MOMO_ENDPOINT: !If [HasMomo, !Ref MomoEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "sweeper is given HOCPHI_ORIGIN_SECRET_ARN, which it never reads",
        ),
    ];
    for (from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = environment_problems(&broken);

        assert!(problems.iter().any(|p| p == expected), "{problems:?}");
    }
}

#[test]
fn the_public_doors_write_only_the_items_their_use_cases_write() {
    let kinds: BTreeSet<&str> = ITEM_KINDS.into_iter().collect();

    for (function, items) in WRITES {
        for item in items {
            assert!(
                kinds.contains(item),
                "{function} writes {item} items, which the DynamoDB adapter does not have"
            );
        }
    }
    assert_eq!(leading_key_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_public_door_that_may_write_other_items_is_rejected() {
    let cases = [
        (
            "no condition on the look-up's writes",
            "                Condition:\n                  ForAllValues:StringLike:\n                    dynamodb:LeadingKeys: [\"LOOKUPFAIL#*\", \"STUDENT#*\"]\n",
            "",
            "lookup may [\"dynamodb:PutItem\", \"dynamodb:UpdateItem\"] any item: no ForAllValues:StringLike dynamodb:LeadingKeys",
        ),
        (
            "the look-up may write payments",
            "dynamodb:LeadingKeys: [\"LOOKUPFAIL#*\", \"STUDENT#*\"]",
            "dynamodb:LeadingKeys: [\"LOOKUPFAIL#*\", \"STUDENT#*\", \"PAYMENT#*\"]",
            "lookup may write PAYMENT#* items, which it never writes",
        ),
        (
            "the look-up may write anything",
            "dynamodb:LeadingKeys: [\"LOOKUPFAIL#*\", \"STUDENT#*\"]",
            "dynamodb:LeadingKeys: [\"*\"]",
            "lookup may write * items, which it never writes",
        ),
        (
            "any value of a key is enough",
            "                  ForAllValues:StringLike:\n                    dynamodb:LeadingKeys: [\"PAYMENT#*\"",
            "                  ForAnyValue:StringLike:\n                    dynamodb:LeadingKeys: [\"PAYMENT#*\"",
            "checkout may [\"dynamodb:PutItem\", \"dynamodb:UpdateItem\", \"dynamodb:DeleteItem\"] any item: no ForAllValues:StringLike dynamodb:LeadingKeys",
        ),
        (
            "no condition on the partners' writes",
            "                Condition:\n                  ForAllValues:StringLike:\n                    dynamodb:LeadingKeys: [\"NONCE#*\"",
            "                Condition:\n                  ForAnyValue:StringLike:\n                    dynamodb:LeadingKeys: [\"NONCE#*\"",
            "partners may [\"dynamodb:PutItem\", \"dynamodb:UpdateItem\"] any item: no ForAllValues:StringLike dynamodb:LeadingKeys",
        ),
        (
            "the partners may write idempotency records",
            "[\"NONCE#*\", ",
            "[\"IDEMPOTENCY#*\", \"NONCE#*\", ",
            "partners may write IDEMPOTENCY#* items, which it never writes",
        ),
        (
            "the partners may not number receipts",
            ", \"COUNTER#*\", \"RECEIPT#*\"]",
            ", \"RECEIPT#*\"]",
            "partners may not write the COUNTER#* items it writes",
        ),
        (
            "checkout may not hold invoices",
            "[\"PAYMENT#*\", \"INVOICE#*\", ",
            "[\"PAYMENT#*\", ",
            "checkout may not write the INVOICE#* items it writes",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = leading_key_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn every_alarmed_message_is_watched_in_every_log_group_that_logs_it() {
    assert_eq!(alarm_coverage_problems(&template()), Vec::<String>::new());
}

#[test]
fn an_alarmed_message_a_log_group_does_not_watch_is_rejected() {
    let cases = [
        (
            "the sweeper's refunds",
            "  SweeperRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: !Ref SweeperLogGroup\n",
            "  SweeperRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: !Ref CheckoutLogGroup\n",
            "sweeper's log group has no filter for \"money captured for invoices no longer open: refund due\"",
        ),
        (
            "MoMo's mismatches",
            "  MomoCallbackAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasMomo\n    Properties:\n      LogGroupName: !Ref MomoCallbackLogGroup\n",
            "  MomoCallbackAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasMomo\n    Properties:\n      LogGroupName: !Ref VnpayCallbackLogGroup\n",
            "callback-momo's log group has no filter for \"captured amount differs from the payment's\"",
        ),
        (
            "a filter on MoMo's group that outlives it",
            "  MomoCallbackRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasMomo\n",
            "  MomoCallbackRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n",
            "MomoCallbackRefundDueLogs has condition None, its log group Some(\"HasMomo\")",
        ),
        (
            "no alarm on refunds",
            "      MetricName: RefundsDue\n      Statistic: Sum\n",
            "      MetricName: RefundDue\n      Statistic: Sum\n",
            "VnpayCallbackRefundDueLogs counts RefundsDue, which no alarm watches",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = alarm_coverage_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn the_errors_and_throttles_alarms_add_up_every_function() {
    for alarm in ["FunctionErrorsAlarm", "FunctionThrottlesAlarm"] {
        assert_eq!(
            all_functions_alarm_problems(&template(), alarm),
            Vec::<String>::new(),
            "{alarm}"
        );
    }
}

#[test]
fn an_errors_alarm_that_leaves_out_a_function_or_counts_a_missing_one_is_rejected() {
    let tail = "              - !If [HasDvcqg, \"callback_dvcqg, \", \"\"]\n              - !If [HasPartners, \"partners, \", \"\"]\n              - \"status, receipt, sweeper])\"\n          Label: Errors";
    let cases = [
        (
            "MoMo's callback left out",
            format!("              - !If [HasMomo, \"callback_momo, \", \"\"]\n{tail}"),
            tail.to_owned(),
            "with payOS off, MoMo on, the portal platform off, partners off: FunctionErrorsAlarm: SUM([lookup, checkout, callback_vnpay, status, receipt, sweeper]) leaves out callback_momo (callback-momo)",
        ),
        (
            "MoMo's callback counted in a stack without it",
            format!("              - !If [HasMomo, \"callback_momo, \", \"\"]\n{tail}"),
            format!("              - \"callback_momo, \"\n{tail}"),
            "with payOS off, MoMo off, the portal platform off, partners off: FunctionErrorsAlarm: SUM([lookup, checkout, callback_vnpay, callback_momo, status, receipt, sweeper]) adds callback_momo, the metric of no deployed function",
        ),
        (
            "the partner API left out",
            "              - !If [HasPartners, \"partners, \", \"\"]\n              - \"status, receipt, sweeper])\"\n          Label: Errors".to_owned(),
            "              - \"status, receipt, sweeper])\"\n          Label: Errors".to_owned(),
            "with payOS off, MoMo off, the portal platform off, partners on: FunctionErrorsAlarm: SUM([lookup, checkout, callback_vnpay, status, receipt, sweeper]) leaves out partners (partners)",
        ),
        (
            "the portal's metric under the partners' condition",
            "          - HasDvcqg\n          - Id: callback_dvcqg\n            ReturnData: false\n            MetricStat: { Stat: Sum, Period: 300, Metric: { Namespace: AWS/Lambda, MetricName: Errors,".to_owned(),
            "          - HasPartners\n          - Id: callback_dvcqg\n            ReturnData: false\n            MetricStat: { Stat: Sum, Period: 300, Metric: { Namespace: AWS/Lambda, MetricName: Errors,".to_owned(),
            "with payOS off, MoMo off, the portal platform off, partners on: FunctionErrorsAlarm has a metric of DvcqgCallbackFunction, which is not deployed",
        ),
        (
            "the portal's function without its metric",
            "          - HasDvcqg\n          - Id: callback_dvcqg\n            ReturnData: false\n            MetricStat: { Stat: Sum, Period: 300, Metric: { Namespace: AWS/Lambda, MetricName: Errors,".to_owned(),
            "          - HasPartners\n          - Id: callback_dvcqg\n            ReturnData: false\n            MetricStat: { Stat: Sum, Period: 300, Metric: { Namespace: AWS/Lambda, MetricName: Errors,".to_owned(),
            "with payOS off, MoMo off, the portal platform on, partners off: FunctionErrorsAlarm has no metric of callback-dvcqg",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), &from, &to));

        let problems = all_functions_alarm_problems(&broken, "FunctionErrorsAlarm");

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:#?}"
        );
    }
}

#[test]
fn each_channel_notifies_a_function_of_its_own_with_capacity_of_its_own() {
    assert_eq!(
        callback_capacity_problems(&template()),
        Vec::<String>::new()
    );
}

/// A check of a template: the problems it finds.
type Check = fn(&Value) -> Vec<String>;

#[test]
fn channels_that_share_a_function_or_its_capacity_are_rejected() {
    let cases: [(&str, &str, &str, &str, Check); 4] = [
        (
            "MoMo's route on VNPay's function",
            "      Target: !Sub \"integrations/${MomoCallbackIntegration}\"",
            "      Target: !Sub \"integrations/${VnpayCallbackIntegration}\"",
            "POST /api/callbacks/momo reaches Some(\"callback-vnpay\"), not callback-momo",
            callback_capacity_problems,
        ),
        (
            "MoMo's function set to serve VNPay",
            "          HOCPHI_CALLBACK_CHANNEL: momo\n",
            "          HOCPHI_CALLBACK_CHANNEL: vnpay\n",
            "MomoCallbackFunction and VnpayCallbackFunction are both callback-vnpay",
            callback_capacity_problems,
        ),
        (
            "a callback function without its channel",
            "          HOCPHI_CALLBACK_CHANNEL: momo\n",
            "",
            "MomoCallbackFunction runs callback without a channel in HOCPHI_CALLBACK_CHANNEL",
            identity_problems,
        ),
        (
            "MoMo's function draws on the account's shared pool",
            "      Role: !GetAtt MomoCallbackRole.Arn\n      ReservedConcurrentExecutions: !Ref CallbackConcurrency\n",
            "      Role: !GetAtt MomoCallbackRole.Arn\n",
            "callback-momo has no reserved concurrency of its own",
            callback_capacity_problems,
        ),
    ];
    for (case, from, to, expected, check) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = check(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

/// Every way a province may set its optional channels: the conditions that hold in each (the
/// channel conditions of `OPTIONAL_CHANNELS`, all other conditions false).
fn channel_settings() -> Vec<Vec<&'static str>> {
    let mut settings = vec![Vec::new()];
    for (_, condition) in OPTIONAL_CHANNELS {
        let with: Vec<Vec<&str>> = settings
            .iter()
            .map(|holding| {
                let mut holding = holding.clone();
                holding.push(condition);
                holding
            })
            .collect();
        settings.extend(with);
    }
    settings
}

/// A setting in words, e.g. "payOS on, MoMo off".
fn setting_name(holding: &[&str]) -> String {
    OPTIONAL_CHANNELS
        .iter()
        .map(|(kind, condition)| {
            let state = if holding.contains(condition) {
                "on"
            } else {
                "off"
            };
            format!("{} {state}", label(*kind))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `value` as CloudFormation resolves it when exactly `holding` conditions hold: each `Fn::If`
/// replaced by its chosen branch, `AWS::NoValue` left out (`None` when the value itself is), a
/// `Fn::Join` of strings joined.
fn resolve(value: &Value, holding: &[&str]) -> Option<Value> {
    match value {
        Value::Object(object) => {
            if let Some(parts) = object.get("Fn::If").and_then(Value::as_array) {
                let holds = holding.contains(&parts[0].as_str().unwrap_or_default());
                return resolve(&parts[if holds { 1 } else { 2 }], holding);
            }
            if value["Ref"] == "AWS::NoValue" {
                return None;
            }
            if let Some(join) = object.get("Fn::Join") {
                let join = resolve(join, holding)?;
                let parts: Option<Vec<&str>> = join[1]
                    .as_array()
                    .and_then(|parts| parts.iter().map(Value::as_str).collect());
                if let (Some(delimiter), Some(parts)) = (join[0].as_str(), parts) {
                    return Some(Value::String(parts.join(delimiter)));
                }
            }
            Some(Value::Object(
                object
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), resolve(v, holding)?)))
                    .collect(),
            ))
        }
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|i| resolve(i, holding)).collect(),
        )),
        other => Some(other.clone()),
    }
}

/// The template CloudFormation deploys when exactly `holding` conditions hold: the resources and
/// outputs of other conditions gone, every `Fn::If` resolved.
fn deployed_with(template: &Value, holding: &[&str]) -> Value {
    let mut deployed = template.clone();
    for section in ["Resources", "Outputs"] {
        let kept: serde_json::Map<String, Value> = template[section]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, entry)| {
                entry["Condition"]
                    .as_str()
                    .is_none_or(|c| holding.contains(&c))
            })
            .filter_map(|(id, entry)| Some((id.clone(), resolve(entry, holding)?)))
            .collect();
        deployed[section] = Value::Object(kept);
    }
    deployed["Globals"] = resolve(&template["Globals"], holding).unwrap_or_default();
    deployed
}

/// What is wrong with the optional channels in each setting: a channel's callback function
/// deployed while the channel is off (or missing while on), a reference to a resource that
/// setting removes, or a look-up told other channels than the province offers.
fn channel_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for holding in channel_settings() {
        let setting = setting_name(&holding);
        let on = |kind: GatewayKind| channel_condition(kind).is_none_or(|c| holding.contains(&c));
        let deployed = deployed_with(template, &holding);
        for problem in dangling_references(&deployed) {
            problems.push(format!("with {setting}: {problem}"));
        }
        let functions: BTreeSet<&str> = functions(&deployed)
            .into_iter()
            .filter_map(|(id, binary)| deployed_function(&deployed, &id, &binary).ok())
            .map(Function::name)
            .collect();
        for kind in GatewayKind::ALL {
            let name = Function::Callback(kind).name();
            match (on(kind), functions.contains(name)) {
                (true, false) => problems.push(format!("with {setting}: no {name}")),
                (false, true) => problems.push(format!("with {setting}: {name} is deployed")),
                _ => {}
            }
        }
        let offered: Vec<&str> = GatewayKind::CHECKOUT
            .into_iter()
            .filter(|kind| on(*kind))
            .map(GatewayKind::as_str)
            .collect();
        let offered = offered.join(",");
        for (name, (_, _, variables)) in environments(&deployed) {
            let Some(value) = variables.get(CHANNELS) else {
                continue;
            };
            if value.as_str() != Some(offered.as_str()) {
                problems.push(format!(
                    "with {setting}: {name} is told the channels {value}, not \"{offered}\""
                ));
            }
        }
    }
    problems
}

#[test]
fn each_optional_channel_is_deployed_exactly_when_the_province_turns_it_on() {
    assert_eq!(channel_settings().len(), 16);
    assert_eq!(channel_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_channel_deployed_while_off_or_announced_wrongly_is_rejected() {
    let cases = [
        (
            "payOS's callback deployed without payOS",
            "  PayosCallbackFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasPayos\n",
            "  PayosCallbackFunction:\n    Type: AWS::Serverless::Function\n",
            "with payOS off, MoMo off, the portal platform off, partners off: callback-payos is deployed",
        ),
        (
            "payOS's integration outlives its function",
            "  PayosCallbackIntegration:\n    Type: AWS::ApiGatewayV2::Integration\n    Condition: HasPayos\n",
            "  PayosCallbackIntegration:\n    Type: AWS::ApiGatewayV2::Integration\n",
            "with payOS off, MoMo off, the portal platform off, partners off: Resources.PayosCallbackIntegration refers to PayosCallbackFunction, which the template does not declare",
        ),
        (
            "payOS's callback only with MoMo",
            "  PayosCallbackFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasPayos\n",
            "  PayosCallbackFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasMomo\n",
            "with payOS on, MoMo off, the portal platform off, partners off: no callback-payos",
        ),
        (
            "the partner API deployed without partners",
            "  PartnersFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasPartners\n",
            "  PartnersFunction:\n    Type: AWS::Serverless::Function\n",
            "with payOS off, MoMo off, the portal platform off, partners off: partners is deployed",
        ),
        (
            "a partner route outlives the partner API",
            "  PartnerReversalsRoute:\n    Type: AWS::ApiGatewayV2::Route\n    Condition: HasPartners\n",
            "  PartnerReversalsRoute:\n    Type: AWS::ApiGatewayV2::Route\n",
            "with payOS off, MoMo off, the portal platform off, partners off: Resources.PartnerReversalsRoute refers to PartnersIntegration, which the template does not declare",
        ),
        (
            "the portal's callback only with partners",
            "  DvcqgCallbackFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasDvcqg\n",
            "  DvcqgCallbackFunction:\n    Type: AWS::Serverless::Function\n    Condition: HasPartners\n",
            "with payOS off, MoMo off, the portal platform on, partners off: no callback-dvcqg",
        ),
        (
            "the look-up not told of payOS",
            "            - - !If [HasPayos, \"payos,\", \"\"]\n",
            "            - - \"\"\n",
            "with payOS on, MoMo off, the portal platform off, partners off: lookup is told the channels \"vnpay\", not \"payos,vnpay\"",
        ),
        (
            "the look-up told of payOS in a stack without it",
            "            - - !If [HasPayos, \"payos,\", \"\"]\n",
            "            - - \"payos,\"\n",
            "with payOS off, MoMo on, the portal platform off, partners off: lookup is told the channels \"payos,vnpay,momo\", not \"vnpay,momo\"",
        ),
        (
            "the look-up told of the portal in a stack without it",
            "              - !If [HasDvcqg, \",dvcqg\", \"\"]\n",
            "              - \",dvcqg\"\n",
            "with payOS off, MoMo off, the portal platform off, partners off: lookup is told the channels \"vnpay,dvcqg\", not \"vnpay\"",
        ),
        (
            "the partners offered to parents",
            "              - !If [HasDvcqg, \",dvcqg\", \"\"]\n",
            "              - !If [HasDvcqg, \",dvcqg\", \"\"]\n              - !If [HasPartners, \",partner\", \"\"]\n",
            "with payOS off, MoMo off, the portal platform off, partners on: lookup is told the channels \"vnpay,partner\", not \"vnpay\"",
        ),
        (
            "the channels in another order than the page offers them",
            "            - - !If [HasPayos, \"payos,\", \"\"]\n              - vnpay\n              - !If [HasMomo, \",momo\", \"\"]\n",
            "            - - vnpay\n              - !If [HasMomo, \",momo\", \"\"]\n              - !If [HasPayos, \",payos\", \"\"]\n",
            "with payOS on, MoMo on, the portal platform off, partners off: lookup is told the channels \"vnpay,momo,payos\", not \"payos,vnpay,momo\"",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = channel_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
    let without_channels = template_json(&variant(
        &template_text(),
        "          HOCPHI_CHANNELS: !Join\n",
        "          HOCPHI_CHANNEL_LIST: !If\n",
    ));
    assert!(
        environment_problems(&without_channels)
            .iter()
            .any(|p| p == "lookup lacks HOCPHI_CHANNELS"),
        "{:?}",
        environment_problems(&without_channels)
    );
}

#[test]
fn the_payos_channels_secret_is_read_only_by_checkout_payos_callback_and_sweeper() {
    let readers: BTreeSet<&str> = NEEDS
        .iter()
        .filter(|(_, needs)| needs.iter().any(|(_, r)| *r == "payOS channels secret"))
        .map(|(name, _)| *name)
        .collect();
    let reading: BTreeSet<&str> = Function::DEPLOYED
        .iter()
        .filter(|f| f.channels().contains(&GatewayKind::Payos))
        .map(|f| f.name())
        .collect();

    assert_eq!(readers, ["callback-payos", "checkout", "sweeper"].into());
    assert_eq!(readers, reading);
    let permissions = [
        (
            "the status function reads the payOS channels",
            "                Resource: !Ref OriginSecret\n  StatusFunction:",
            "                Resource: !Ref OriginSecret\n              - Sid: Payos\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n  StatusFunction:",
            "status has secretsmanager:GetSecretValue on payOS channels secret, which it does not need",
        ),
        (
            "the sweeper cannot ask payOS",
            "                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "  SweeperFunction:",
            "sweeper lacks secretsmanager:GetSecretValue on payOS channels secret",
        ),
        (
            "a stack without payOS reads its secret",
            "                  - !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "                  - !Ref PayosChannelsSecretArn\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "checkout has secretsmanager:GetSecretValue on {\"Ref\":\"PayosChannelsSecretArn\"}, which it does not need",
        ),
        (
            "payOS's callback reads VNPay's secret",
            "                Resource: !Ref PayosChannelsSecretArn\n",
            "                Resource: [!Ref PayosChannelsSecretArn, !Ref VnpaySecretArn]\n",
            "callback-payos has secretsmanager:GetSecretValue on gateway secret, which it does not need",
        ),
    ];
    for (case, from, to, expected) in permissions {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = permission_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
    let environment = [
        (
            "the sweeper without payOS's endpoint",
            "          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n      EventInvokeConfig:",
            "      EventInvokeConfig:",
            "sweeper lacks HOCPHI_PAYOS_ENDPOINT",
        ),
        (
            "checkout given the ARN in a stack without payOS",
            "          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "          HOCPHI_PAYOS_CHANNELS_ARN: !Ref PayosChannelsSecretArn\n          HOCPHI_PAYOS_ENDPOINT: !If [HasPayos, !Ref PayosEndpoint, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "checkout: HOCPHI_PAYOS_CHANNELS_ARN is not the PayosChannelsSecretArn parameter when payOS is on",
        ),
        (
            "the look-up given the channels' keys",
            "          HOCPHI_CHANNELS: !Join\n",
            "          HOCPHI_PAYOS_CHANNELS_ARN: !If [HasPayos, !Ref PayosChannelsSecretArn, !Ref AWS::NoValue]\n          HOCPHI_CHANNELS: !Join\n",
            "lookup is given HOCPHI_PAYOS_CHANNELS_ARN, which it never reads",
        ),
        (
            "the keys themselves in the template",
            "          HOCPHI_PAYOS_ENDPOINT: !Ref PayosEndpoint\n",
            "          HOCPHI_PAYOS_ENDPOINT: !Ref PayosEndpoint\n          HOCPHI_PAYOS_CHANNELS: '{\"BD-THCS-NGOQUYEN\": {}}'\n",
            "callback-payos sets HOCPHI_PAYOS_CHANNELS, which is for local runs only",
        ),
    ];
    for (case, from, to, expected) in environment {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = environment_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn the_payos_webhook_reaches_its_own_function_with_capacity_alarms_and_a_url_to_register() {
    let template = template();
    let output = template["Outputs"]["PayosWebhookUrl"].clone();

    assert_eq!(output["Condition"], "HasPayos");
    assert!(
        output["Value"]
            .to_string()
            .contains("/api/callbacks/payos/<PAYEE>"),
        "{output}"
    );
    let routing: [(&str, &str, &str, &str, Check); 5] = [
        (
            "payOS's webhooks on MoMo's function",
            "      Target: !Sub \"integrations/${PayosCallbackIntegration}\"",
            "      Target: !Sub \"integrations/${MomoCallbackIntegration}\"",
            "POST /api/callbacks/payos/{} reaches Some(\"callback-momo\"), not callback-payos",
            callback_capacity_problems,
        ),
        (
            "payOS's function draws on the account's shared pool",
            "      Role: !GetAtt PayosCallbackRole.Arn\n      ReservedConcurrentExecutions: !Ref CallbackConcurrency\n",
            "      Role: !GetAtt PayosCallbackRole.Arn\n",
            "callback-payos has no reserved concurrency of its own",
            callback_capacity_problems,
        ),
        (
            "API Gateway may invoke it only without a payee",
            "${HttpApi}/*/POST/api/callbacks/payos/*",
            "${HttpApi}/*/POST/api/callbacks/payos",
            "POST /api/callbacks/payos/{} (callback-payos)",
            routes_without_permission,
        ),
        (
            "payOS's rejected webhooks counted nowhere",
            "  PayosCallbackRejectedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPayos\n    Properties:\n      LogGroupName: !Ref PayosCallbackLogGroup\n",
            "  PayosCallbackRejectedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPayos\n    Properties:\n      LogGroupName: !Ref VnpayCallbackLogGroup\n",
            "callback-payos's log group has no filter for \"callback rejected\"",
            alarm_coverage_problems,
        ),
        (
            "payOS's mismatched transfers counted nowhere",
            "  PayosCallbackAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPayos\n    Properties:\n      LogGroupName: !Ref PayosCallbackLogGroup\n",
            "  PayosCallbackAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPayos\n    Properties:\n      LogGroupName: !Ref SweeperLogGroup\n",
            "callback-payos's log group has no filter for \"captured amount differs from the payment's\"",
            alarm_coverage_problems,
        ),
    ];
    for (case, from, to, expected, check) in routing {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = check(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
    let left_out = template_json(&variant(
        &template_text(),
        "              - !If [HasPayos, \"callback_payos, \", \"\"]\n              - \"callback_vnpay, \"\n              - !If [HasMomo, \"callback_momo, \", \"\"]\n              - !If [HasDvcqg, \"callback_dvcqg, \", \"\"]\n              - !If [HasPartners, \"partners, \", \"\"]\n              - \"status, receipt, sweeper])\"\n          Label: Errors",
        "              - \"callback_vnpay, \"\n              - !If [HasMomo, \"callback_momo, \", \"\"]\n              - !If [HasDvcqg, \"callback_dvcqg, \", \"\"]\n              - !If [HasPartners, \"partners, \", \"\"]\n              - \"status, receipt, sweeper])\"\n          Label: Errors",
    ));
    assert!(
        all_functions_alarm_problems(&left_out, "FunctionErrorsAlarm").contains(
            &"with payOS on, MoMo off, the portal platform off, partners off: FunctionErrorsAlarm: SUM([lookup, checkout, callback_vnpay, status, receipt, sweeper]) leaves out callback_payos (callback-payos)".to_owned()
        )
    );
}

/// What is wrong with how a province turns the partner API on: the secret's ARN that turns it
/// on (`HasPartners`), the partners' source addresses (a list the edge stack admits alone) and
/// the rule that refuses the API without them, and the outputs that give the operator the URLs
/// to hand over (the partner API's, the portal's Confirm).
fn partner_setting_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let turned_on =
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "PartnersSecretArn"}, ""]}]});
    if template["Conditions"]["HasPartners"] != turned_on {
        problems.push("HasPartners is not \"PartnersSecretArn is given\"".into());
    }
    let sources = &template["Parameters"]["PartnerSources"];
    if sources["Type"] != "CommaDelimitedList" || sources["Default"] != "" {
        problems.push("PartnerSources is not a list that defaults to empty".into());
    }
    let needs_sources =
        serde_json::json!({"Fn::Not": [{"Fn::Contains": [{"Ref": "PartnerSources"}, ""]}]});
    let refused = template["Rules"]
        .as_object()
        .into_iter()
        .flatten()
        .any(|(_, rule)| {
            rule["RuleCondition"] == turned_on
                && rule["Assertions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|a| a["Assert"] == needs_sources)
        });
    if !refused {
        problems.push("no rule refuses the partner API without PartnerSources".into());
    }
    for (output, condition, path) in [
        ("PartnerApiUrl", "HasPartners", "/api/partners/<PARTNER>/"),
        ("DvcqgCallbackUrl", "HasDvcqg", "/api/callbacks/dvcqg"),
    ] {
        let output_value = &template["Outputs"][output];
        if output_value["Condition"] != condition {
            problems.push(format!("{output} does not exist exactly under {condition}"));
        }
        let value = output_value["Value"].to_string();
        if !value.contains(&format!("{{DomainName}}{path}"))
            || !value.contains(&format!("{{Distribution.DomainName}}{path}"))
        {
            problems.push(format!("{output} is not the site's {path}"));
        }
    }
    problems
}

#[test]
fn the_partner_api_is_on_with_its_secret_only_behind_its_sources_and_its_urls_are_given() {
    assert_eq!(partner_setting_problems(&template()), Vec::<String>::new());
    let cases = [
        (
            "the API without an allow-list",
            "      - Assert: !Not [!Contains [!Ref PartnerSources, \"\"]]\n",
            "      - Assert: !Not [!Equals [!Ref PartnersSecretArn, \"\"]]\n",
            "no rule refuses the partner API without PartnerSources",
        ),
        (
            "the rule asked only with the portal on",
            "    RuleCondition: !Not [!Equals [!Ref PartnersSecretArn, \"\"]]\n",
            "    RuleCondition: !Not [!Equals [!Ref DvcqgPartnerCode, \"\"]]\n",
            "no rule refuses the partner API without PartnerSources",
        ),
        (
            "one address typed into the template",
            "  PartnerSources:\n    Type: CommaDelimitedList\n",
            "  PartnerSources:\n    Type: String\n",
            "PartnerSources is not a list that defaults to empty",
        ),
        (
            "the API's URL printed for a province without it",
            "  PartnerApiUrl:\n    Condition: HasPartners\n",
            "  PartnerApiUrl:\n",
            "PartnerApiUrl does not exist exactly under HasPartners",
        ),
        (
            "the portal told another path",
            "!Sub \"https://${DomainName}/api/callbacks/dvcqg\"",
            "!Sub \"https://${DomainName}/api/callbacks/vnpay\"",
            "DvcqgCallbackUrl is not the site's /api/callbacks/dvcqg",
        ),
    ];
    for (case, from, to, expected) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = partner_setting_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn the_partner_api_reads_the_table_and_its_two_secrets_and_nothing_else() {
    let partners = NEEDS
        .iter()
        .find(|(name, _)| *name == Function::Callback(GatewayKind::Partner).name())
        .map(|(_, needs)| *needs)
        .unwrap();
    let secrets: BTreeSet<&str> = partners
        .iter()
        .filter(|(action, _)| action.starts_with("secretsmanager:"))
        .map(|(_, resource)| *resource)
        .collect();
    let readers: BTreeSet<&str> = NEEDS
        .iter()
        .filter(|(_, needs)| needs.iter().any(|(_, r)| *r == "partners secret"))
        .map(|(name, _)| *name)
        .collect();

    assert_eq!(secrets, ["lookup key", "partners secret"].into());
    assert_eq!(readers, ["partners"].into());
    let permissions = [
        (
            "the partners read VNPay's hash secret",
            "                Resource: !Ref PartnersSecretArn\n",
            "                Resource: [!Ref PartnersSecretArn, !Ref VnpaySecretArn]\n",
            "partners has secretsmanager:GetSecretValue on gateway secret, which it does not need",
        ),
        (
            "the partners may delete items",
            "              - Sid: CountLookUpsAndRecordCapture\n                Effect: Allow\n                Action:\n                  - dynamodb:PutItem\n",
            "              - Sid: CountLookUpsAndRecordCapture\n                Effect: Allow\n                Action:\n                  - dynamodb:DeleteItem\n                  - dynamodb:PutItem\n",
            "partners has dynamodb:DeleteItem on table, which it does not need",
        ),
        (
            "the partners page through the pending payments",
            "                Resource: !Sub \"${Table.Arn}/index/GSI1\"\n              - Sid: PartnersSecret",
            "                Resource: !Sub \"${Table.Arn}/index/GSI2\"\n              - Sid: PartnersSecret",
            "partners has dynamodb:Query on index GSI2, which it does not need",
        ),
        (
            "payment codes cannot be checked",
            "                Resource: !Ref PartnersSecretArn\n              - Sid: LookupKey\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref LookupKeySecret\n",
            "                Resource: !Ref PartnersSecretArn\n",
            "partners lacks secretsmanager:GetSecretValue on lookup key",
        ),
        (
            "checkout reads the partners' keys",
            "                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n                  - !If [HasPartners, !Ref PartnersSecretArn, !Ref AWS::NoValue]\n              - Sid: OriginSecret\n                Effect: Allow\n                Action: secretsmanager:GetSecretValue\n                Resource: !Ref OriginSecret\n  CheckoutFunction:",
            "checkout has secretsmanager:GetSecretValue on partners secret, which it does not need",
        ),
    ];
    for (case, from, to, expected) in permissions {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = permission_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
    let environment = [
        (
            "the partners given VNPay's secret",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n          HOCPHI_VNPAY_SECRET_ARN: !Ref VnpaySecretArn\n",
            "partners is given HOCPHI_VNPAY_SECRET_ARN, which it never reads",
        ),
        (
            "the partners' keys in the template",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n",
            "          HOCPHI_PARTNERS: '{\"BANKDEMO\": {}}'\n",
            "partners sets HOCPHI_PARTNERS, which is for local runs only",
        ),
        (
            "the partners without their secret",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n",
            "",
            "partners lacks HOCPHI_PARTNERS_ARN",
        ),
        (
            "payment codes without the lookup key",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n          HOCPHI_LOOKUP_KEY_ARN: !Ref LookupKeySecret\n",
            "          HOCPHI_PARTNERS_ARN: !Ref PartnersSecretArn\n",
            "partners lacks HOCPHI_LOOKUP_KEY_ARN",
        ),
        (
            "checkout given the partners' secret",
            "          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_PARTNERS_ARN: !If [HasPartners, !Ref PartnersSecretArn, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "checkout is given HOCPHI_PARTNERS_ARN, which it never reads",
        ),
    ];
    for (case, from, to, expected) in environment {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = environment_problems(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn the_partner_api_is_one_function_with_capacity_and_alarms_of_its_own() {
    let routing: [(&str, &str, &str, &str, Check); 7] = [
        (
            "the partners served by VNPay's callback",
            "          HOCPHI_CALLBACK_CHANNEL: partner\n",
            "          HOCPHI_CALLBACK_CHANNEL: vnpay\n",
            "PartnersFunction and VnpayCallbackFunction are both callback-vnpay",
            callback_capacity_problems,
        ),
        (
            "the partners draw on the account's shared pool",
            "      Role: !GetAtt PartnersRole.Arn\n      ReservedConcurrentExecutions: !Ref CallbackConcurrency\n",
            "      Role: !GetAtt PartnersRole.Arn\n",
            "partners has no reserved concurrency of its own",
            callback_capacity_problems,
        ),
        (
            "API Gateway may not invoke it for the document",
            "${HttpApi}/*/GET/api/partners/openapi.json",
            "${HttpApi}/*/GET/api/partners/openapi.yaml",
            "GET /api/partners/openapi.json (partners)",
            routes_without_permission,
        ),
        (
            "refused confirmations counted nowhere",
            "  PartnersRefusedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPartners\n    Properties:\n      LogGroupName: !Ref PartnersLogGroup\n",
            "  PartnersRefusedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPartners\n    Properties:\n      LogGroupName: !Ref SweeperLogGroup\n",
            "partners's log group has no filter for \"partner confirmation refused\"",
            alarm_coverage_problems,
        ),
        (
            "refused reversals counted but never alarmed",
            "      MetricName: PartnerReversals\n      Statistic: Sum\n",
            "      MetricName: PartnerReversal\n      Statistic: Sum\n",
            "PartnersReversalRefusedLogs counts PartnerReversals, which no alarm watches",
            alarm_coverage_problems,
        ),
        (
            "a refund due on a partner's confirmation counted nowhere",
            "  PartnersRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPartners\n    Properties:\n      LogGroupName: !Ref PartnersLogGroup\n",
            "  PartnersRefundDueLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPartners\n    Properties:\n      LogGroupName: !Ref CheckoutLogGroup\n",
            "partners's log group has no filter for \"money captured for invoices no longer open: refund due\"",
            alarm_coverage_problems,
        ),
        (
            "a filter on the partners' group that outlives it",
            "  PartnersAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasPartners\n",
            "  PartnersAmountMismatchLogs:\n    Type: AWS::Logs::MetricFilter\n",
            "PartnersAmountMismatchLogs has condition None, its log group Some(\"HasPartners\")",
            alarm_coverage_problems,
        ),
    ];
    for (case, from, to, expected, check) in routing {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = check(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
    let swapped = template_json(&variant(
        &template_text(),
        "      RouteKey: POST /api/partners/{partner}/reversals\n      AuthorizationType: NONE\n      Target: !Sub \"integrations/${PartnersIntegration}\"",
        "      RouteKey: POST /api/partners/{partner}/reversals\n      AuthorizationType: NONE\n      Target: !Sub \"integrations/${CheckoutIntegration}\"",
    ));
    assert_eq!(
        routes_in_template(&swapped).get("POST /api/partners/{}/reversals"),
        Some(&"checkout".to_owned())
    );
}

#[test]
fn the_portals_channel_reads_its_key_only_where_the_channel_is_served() {
    let readers: BTreeSet<&str> = NEEDS
        .iter()
        .filter(|(_, needs)| needs.iter().any(|(_, r)| *r == "portal secret"))
        .map(|(name, _)| *name)
        .collect();
    let reading: BTreeSet<&str> = Function::DEPLOYED
        .iter()
        .filter(|f| f.channels().contains(&GatewayKind::Dvcqg))
        .map(|f| f.name())
        .collect();

    assert_eq!(readers, ["callback-dvcqg", "checkout", "sweeper"].into());
    assert_eq!(readers, reading);
    let cases: [(&str, &str, &str, &str, Check); 5] = [
        (
            "the sweeper cannot ask the platform",
            "                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "  SweeperFunction:",
            "sweeper lacks secretsmanager:GetSecretValue on portal secret",
            permission_problems,
        ),
        (
            "a stack without the portal reads its key",
            "                  - !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n  SweeperFunction:",
            "                  - !Ref DvcqgSecretArn\n  SweeperFunction:",
            "sweeper has secretsmanager:GetSecretValue on {\"Ref\":\"DvcqgSecretArn\"}, which it does not need",
            permission_problems,
        ),
        (
            "the portal's key read by the partners",
            "                Resource: !Ref PartnersSecretArn\n",
            "                Resource: [!Ref PartnersSecretArn, !Ref DvcqgSecretArn]\n",
            "partners has secretsmanager:GetSecretValue on {\"Ref\":\"DvcqgSecretArn\"}, which it does not need",
            permission_problems,
        ),
        (
            "checkout given the portal's code in a stack without it",
            "          HOCPHI_DVCQG_PARTNER_CODE: !If [HasDvcqg, !Ref DvcqgPartnerCode, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "          HOCPHI_DVCQG_PARTNER_CODE: !Ref DvcqgPartnerCode\n          HOCPHI_DVCQG_SECRET_ARN: !If [HasDvcqg, !Ref DvcqgSecretArn, !Ref AWS::NoValue]\n          HOCPHI_DVCQG_ENDPOINT: !If [HasDvcqg, !Ref DvcqgEndpoint, !Ref AWS::NoValue]\n          HOCPHI_LOOKUP_KEY_ARN",
            "checkout: HOCPHI_DVCQG_PARTNER_CODE is not the DvcqgPartnerCode parameter when the portal platform is on",
            environment_problems,
        ),
        (
            "the portal's rejected Confirms counted nowhere",
            "  DvcqgCallbackRejectedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasDvcqg\n    Properties:\n      LogGroupName: !Ref DvcqgCallbackLogGroup\n",
            "  DvcqgCallbackRejectedLogs:\n    Type: AWS::Logs::MetricFilter\n    Condition: HasDvcqg\n    Properties:\n      LogGroupName: !Ref VnpayCallbackLogGroup\n",
            "callback-dvcqg's log group has no filter for \"callback rejected\"",
            alarm_coverage_problems,
        ),
    ];
    for (case, from, to, expected, check) in cases {
        let broken = template_json(&variant(&template_text(), from, to));

        let problems = check(&broken);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

/// How the table's global secondary indexes differ from the adapter's [`INDEXES`] (each `NAME`
/// keyed by string attributes `NAMEPK`, `NAMESK`, projecting everything).
fn index_problems(template: &Value) -> Vec<String> {
    let table = &template["Resources"]["Table"]["Properties"];
    let declared: BTreeSet<&str> = table["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["AttributeType"] == "S")
        .filter_map(|a| a["AttributeName"].as_str())
        .collect();
    let indexes: BTreeMap<&str, &Value> = table["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["IndexName"].as_str()?, i)))
        .collect();
    let mut problems = Vec::new();
    for name in indexes.keys().filter(|n| !INDEXES.contains(n)) {
        problems.push(format!(
            "the table has index {name}, which the store does not use"
        ));
    }
    for name in INDEXES {
        let Some(index) = indexes.get(name) else {
            problems.push(format!("the table lacks index {name}"));
            continue;
        };
        let keys: Vec<(&str, &str)> = index["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| Some((k["AttributeName"].as_str()?, k["KeyType"].as_str()?)))
            .collect();
        let (pk, sk) = (format!("{name}PK"), format!("{name}SK"));
        if keys != [(pk.as_str(), "HASH"), (sk.as_str(), "RANGE")] {
            problems.push(format!("index {name} is not keyed by {pk}, {sk}: {keys:?}"));
        }
        for attribute in [&pk, &sk] {
            if !declared.contains(attribute.as_str()) {
                problems.push(format!("{attribute} is not declared a string attribute"));
            }
        }
        if index["Projection"]["ProjectionType"] != "ALL" {
            problems.push(format!("index {name} does not project every attribute"));
        }
    }
    problems
}

#[test]
fn the_tables_indexes_are_the_ones_the_store_creates_and_queries() {
    assert_eq!(index_problems(&template()), Vec::<String>::new());
}

#[test]
fn a_table_whose_indexes_differ_from_the_stores_is_rejected() {
    let text = template_text();
    let cases = [
        (
            "GSI3 missing",
            "        - IndexName: GSI3\n",
            "        - IndexName: GSI9\n",
            "the table lacks index GSI3",
        ),
        (
            "GSI3 keyed by other attributes",
            "            - { AttributeName: GSI3SK, KeyType: RANGE }",
            "            - { AttributeName: GSI2SK, KeyType: RANGE }",
            "index GSI3 is not keyed by GSI3PK, GSI3SK: [(\"GSI3PK\", \"HASH\"), (\"GSI2SK\", \"RANGE\")]",
        ),
        (
            "GSI3PK undeclared",
            "        - { AttributeName: GSI3PK, AttributeType: S }\n",
            "",
            "GSI3PK is not declared a string attribute",
        ),
    ];
    for (what, from, to, expected) in cases {
        let problems = index_problems(&template_json(&variant(&text, from, to)));
        assert!(
            problems.iter().any(|p| p == expected),
            "{what}: {problems:?}"
        );
    }
}
