//! The edge stack's web ACL (`infra/policy/waf.yaml`) against the routes the app answers
//! (`Route::ALL`, `Route::of`): the guessing limit counts every request that reaches a door that
//! checks a look-up code however its path is spelt, every server-to-server request (gateway
//! callbacks, the partner API but its public document) is limited per address on its own limit
//! and spared the API's limit and the managed rules, where an operator lists a gateway's
//! notification addresses only those reach that gateway's callback, and only the partners'
//! listed addresses reach the partner API (no one without a list). The rules' statements are
//! evaluated on requests the way WAF does (text transformations, then the match) in every
//! setting of the stack's conditions; each check is shown rejecting a broken variant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{read, template_json, variant};
use hocphi_app::Route;
use hocphi_domain::GatewayKind;
use http::Method;
use regex::Regex;
use serde_json::Value;

/// The doors that check a look-up code, which the guessing limit must count.
const DOORS: [Route; 2] = [Route::Lookup, Route::Checkout];

/// One request as WAF sees it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    /// From an address in the rule's IP set.
    listed: bool,
}

fn waf_text() -> String {
    read("infra/policy/waf.yaml")
}

/// `%XX` sequences decoded, as WAF's URL_DECODE does.
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The field a statement inspects, after its text transformations in priority order.
fn field(statement: &Value, request: &Request) -> String {
    let field = &statement["FieldToMatch"];
    let mut value = if field["UriPath"].is_object() {
        request.path.clone()
    } else if field["Method"].is_object() {
        request.method.clone()
    } else {
        panic!("the checks do not read {field}");
    };
    let mut transforms: Vec<&Value> = statement["TextTransformations"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    transforms.sort_by_key(|t| t["Priority"].as_u64());
    for transform in transforms {
        value = match transform["Type"].as_str().unwrap_or_default() {
            "URL_DECODE" => url_decode(&value),
            "LOWERCASE" => value.to_lowercase(),
            "NONE" => value,
            other => panic!("the checks do not apply {other}"),
        };
    }
    value
}

/// Whether a WAF statement matches `request`.
fn matches(statement: &Value, request: &Request) -> bool {
    if let Some(byte) = statement.get("ByteMatchStatement") {
        let value = field(byte, request);
        let search = byte["SearchString"].as_str().unwrap_or_default();
        return match byte["PositionalConstraint"].as_str().unwrap_or_default() {
            "EXACTLY" => value == search,
            "STARTS_WITH" => value.starts_with(search),
            "ENDS_WITH" => value.ends_with(search),
            "CONTAINS" => value.contains(search),
            other => panic!("the checks do not apply {other}"),
        };
    }
    if let Some(regex) = statement.get("RegexMatchStatement") {
        let pattern = Regex::new(regex["RegexString"].as_str().unwrap_or_default()).unwrap();
        return pattern.is_match(&field(regex, request));
    }
    if let Some(all) = statement["AndStatement"]["Statements"].as_array() {
        return all.iter().all(|s| matches(s, request));
    }
    if let Some(any) = statement["OrStatement"]["Statements"].as_array() {
        return any.iter().any(|s| matches(s, request));
    }
    if statement["NotStatement"].is_object() {
        return !matches(&statement["NotStatement"]["Statement"], request);
    }
    if statement["IPSetReferenceStatement"].is_object() {
        return request.listed;
    }
    panic!("the checks do not evaluate {statement}");
}

/// `value` with the stack's conditions `holding` true (others false): each `Fn::If` replaced
/// by its chosen branch, `AWS::NoValue` left out (`None` when the value itself is).
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

/// The web ACL's rules with the stack's conditions `holding` true (others false).
fn rules(acl: &Value, holding: &[&str]) -> Vec<Value> {
    resolve(&acl["Resources"]["WebAcl"]["Properties"]["Rules"], holding)
        .and_then(|rules| rules.as_array().cloned())
        .unwrap_or_default()
}

/// The web ACL's conditions.
fn conditions(acl: &Value) -> Vec<String> {
    acl["Conditions"]
        .as_object()
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every setting of the web ACL's conditions: the ones that hold in each.
fn settings(acl: &Value) -> Vec<Vec<String>> {
    let mut settings = vec![Vec::new()];
    for condition in conditions(acl) {
        let with: Vec<Vec<String>> = settings
            .iter()
            .map(|holding| {
                let mut holding = holding.clone();
                holding.push(condition.clone());
                holding
            })
            .collect();
        settings.extend(with);
    }
    settings
}

/// The requests a rule acts on: a rate-based rule's or a managed rule group's scope, or its
/// statement.
fn scope(rule: &Value) -> &Value {
    let rate = &rule["Statement"]["RateBasedStatement"];
    let managed = &rule["Statement"]["ManagedRuleGroupStatement"];
    if rate.is_object() {
        &rate["ScopeDownStatement"]
    } else if managed.is_object() {
        &managed["ScopeDownStatement"]
    } else {
        &rule["Statement"]
    }
}

fn rule<'r>(rules: &'r [Value], name: &str) -> Option<&'r Value> {
    rules.iter().find(|r| r["Name"] == name)
}

/// Every spelling of `route`'s path that the app answers as `route`: as written, with trailing
/// slashes, and with a percent-encoded letter.
fn spellings(route: Route) -> Vec<Request> {
    let path = Regex::new(r"\{\w+\}")
        .unwrap()
        .replace_all(route.path(), "HP250915020000ABCDEFGH")
        .into_owned();
    let (api, rest) = path.split_at("/api/".len());
    let encoded = format!("{api}%{:02X}{}", rest.as_bytes()[0], &rest[1..]);
    [
        path.clone(),
        format!("{path}/"),
        format!("{path}//"),
        encoded,
    ]
    .into_iter()
    .filter(|spelt| {
        let method = Method::from_bytes(route.method().as_bytes()).unwrap();
        Route::of(&method, &url_decode(spelt)).is_ok_and(|(found, _)| found == route)
    })
    .map(|path| Request {
        method: route.method().to_owned(),
        path,
        listed: false,
    })
    .collect()
}

/// Requests to `routes` a rule's scope counts when it should not, or misses when it should:
/// it must take exactly the routes `wanted` picks.
fn scope_problems(
    acl: &Value,
    holding: &[&str],
    name: &str,
    wanted: fn(Route) -> bool,
) -> Vec<String> {
    let rules = rules(acl, holding);
    let Some(rule) = rule(&rules, name) else {
        return vec![format!("the web ACL has no rule {name}")];
    };
    let mut problems = Vec::new();
    for route in Route::ALL {
        for request in spellings(route) {
            let taken = matches(scope(rule), &request);
            if taken != wanted(route) {
                problems.push(format!(
                    "{name} {} {} {}",
                    if taken { "takes" } else { "misses" },
                    request.method,
                    request.path
                ));
            }
        }
    }
    problems
}

/// Where a channel's allow-list, when listed, lets an unlisted address reach the channel's
/// callback or stops a listed one (or anything else); and where it exists without a list.
fn allow_list_problems(acl: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for kind in GatewayKind::ALL {
        let name = format!("{}-ipn-sources", kind.as_str());
        let condition = match kind {
            GatewayKind::Vnpay => "HasVnpayIpnSources",
            GatewayKind::Momo => "HasMomoIpnSources",
            GatewayKind::Dvcqg => "HasDvcqgIpnSources",
            // payOS publishes no webhook source addresses
            // (https://payos.vn/docs/du-lieu-tra-ve/webhook/): no allow-list to check.
            GatewayKind::Payos => continue,
            // The partners' list is not optional: `partner_allow_list_problems`.
            GatewayKind::Partner => continue,
        };
        if rule(&rules(acl, &[]), &name).is_some() {
            problems.push(format!("{name} exists without {condition}"));
        }
        let listed = rules(acl, &[condition]);
        let Some(rule) = rule(&listed, &name) else {
            problems.push(format!("the web ACL has no rule {name} under {condition}"));
            continue;
        };
        if rule["Action"]["Block"].is_null() {
            problems.push(format!("{name} does not block"));
        }
        for route in Route::ALL {
            for request in spellings(route) {
                for from_listed in [false, true] {
                    let request = Request {
                        listed: from_listed,
                        ..request.clone()
                    };
                    let blocked = matches(scope(rule), &request);
                    let should = route == Route::Callback(kind) && !from_listed;
                    if blocked != should {
                        problems.push(format!(
                            "{name} {} {} {} from {} address",
                            if blocked { "blocks" } else { "lets through" },
                            request.method,
                            request.path,
                            if from_listed {
                                "a listed"
                            } else {
                                "an unlisted"
                            }
                        ));
                    }
                }
            }
        }
    }
    problems
}

fn is_door(route: Route) -> bool {
    DOORS.contains(&route)
}

/// The partner API's routes that only partners call (all but its public document).
fn is_partner_only(route: Route) -> bool {
    Route::PARTNER.contains(&route) && route != Route::PartnerApi
}

/// A request from another server rather than a browser: a channel's callback or a partner's.
fn is_server_to_server(route: Route) -> bool {
    Route::CALLBACKS.contains(&route) || is_partner_only(route)
}

fn is_from_browsers(route: Route) -> bool {
    !is_server_to_server(route)
}

#[test]
fn the_spellings_are_the_routes_the_app_answers() {
    let payments: Vec<String> = spellings(Route::Checkout)
        .into_iter()
        .map(|r| r.path)
        .collect();

    assert_eq!(
        payments,
        [
            "/api/payments",
            "/api/payments/",
            "/api/payments//",
            "/api/%70ayments"
        ]
    );
    assert!(Route::ALL.iter().all(|r| spellings(*r).len() == 4));
}

#[test]
fn the_guessing_limit_counts_every_request_that_reaches_a_door_that_checks_a_code() {
    let acl = template_json(&waf_text());

    assert_eq!(
        scope_problems(&acl, &[], "code-guessing", is_door),
        Vec::<String>::new()
    );
}

#[test]
fn a_guessing_limit_a_spelling_of_a_door_escapes_is_rejected() {
    let cases = [
        (
            "checkout with a trailing slash",
            "                          - RegexMatchStatement:\n                              FieldToMatch: { UriPath: {} }\n                              RegexString: ^/api/payments/*$\n",
            "                          - ByteMatchStatement:\n                              FieldToMatch: { UriPath: {} }\n                              PositionalConstraint: EXACTLY\n                              SearchString: /api/payments\n",
            "code-guessing misses POST /api/payments/",
        ),
        (
            "a percent-encoded path",
            "                              RegexString: ^/api/payments/*$\n                              TextTransformations:\n                                - { Priority: 0, Type: URL_DECODE }\n                                - { Priority: 1, Type: LOWERCASE }\n",
            "                              RegexString: ^/api/payments/*$\n                              TextTransformations:\n                                - { Priority: 1, Type: LOWERCASE }\n",
            "code-guessing misses POST /api/%70ayments",
        ),
        (
            "every read counted as a guess",
            "                        SearchString: /api/invoices\n",
            "                        SearchString: /api/\n",
            "code-guessing takes GET /api/payments/HP250915020000ABCDEFGH",
        ),
    ];
    for (case, from, to, expected) in cases {
        let acl = template_json(&variant(&waf_text(), from, to));

        let problems = scope_problems(&acl, &[], "code-guessing", is_door);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn every_callback_has_its_own_limit_per_address_and_the_api_limit_spares_them() {
    let acl = template_json(&waf_text());

    assert_eq!(
        scope_problems(&acl, &[], "callback-flood", is_server_to_server),
        Vec::<String>::new()
    );
    assert_eq!(
        scope_problems(&acl, &[], "api-flood", is_from_browsers),
        Vec::<String>::new()
    );
}

#[test]
fn a_callback_no_limit_counts_is_rejected() {
    let cases = [
        (
            "one channel limited",
            "STARTS_WITH\n                        SearchString: /api/callbacks/\n",
            "STARTS_WITH\n                        SearchString: /api/callbacks/vnpay\n",
            "callback-flood misses POST /api/callbacks/momo",
        ),
        (
            "payOS's webhooks left to the API's limit",
            "STARTS_WITH\n                        SearchString: /api/callbacks/\n",
            "STARTS_WITH\n                        SearchString: /api/callbacks/momo\n",
            "callback-flood misses POST /api/callbacks/payos/HP250915020000ABCDEFGH",
        ),
        (
            "the partners left to the API's limit",
            "STARTS_WITH\n                              SearchString: /api/partners/\n",
            "STARTS_WITH\n                              SearchString: /api/partners/bankdemo/\n",
            "callback-flood misses POST /api/partners/HP250915020000ABCDEFGH/confirmations",
        ),
        (
            "no limit at all",
            "        - Name: callback-flood\n",
            "        - Name: callbacks-unlimited\n",
            "the web ACL has no rule callback-flood",
        ),
    ];
    for (case, from, to, expected) in cases {
        let acl = template_json(&variant(&waf_text(), from, to));

        let problems = scope_problems(&acl, &[], "callback-flood", is_server_to_server);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn with_its_addresses_listed_only_those_reach_a_gateways_callback() {
    let acl = template_json(&waf_text());

    assert_eq!(allow_list_problems(&acl), Vec::<String>::new());
    assert_eq!(acl["Parameters"]["VnpayIpnSources"]["Default"], "");
    assert_eq!(acl["Parameters"]["MomoIpnSources"]["Default"], "");
    assert_eq!(acl["Parameters"]["DvcqgIpnSources"]["Default"], "");
    assert!(acl["Parameters"]["PayosIpnSources"].is_null());
}

#[test]
fn an_allow_list_that_lets_others_through_or_stops_the_gateway_is_rejected() {
    let cases = [
        (
            "the listed addresses blocked too",
            "                  - NotStatement:\n                      Statement:\n                        IPSetReferenceStatement:\n                          Arn: !GetAtt VnpayIpnSourceSet.Arn\n",
            "                  - IPSetReferenceStatement:\n                      Arn: !GetAtt VnpayIpnSourceSet.Arn\n",
            "vnpay-ipn-sources blocks GET /api/callbacks/vnpay from a listed address",
        ),
        (
            "MoMo's list guards VNPay's callback",
            "                      SearchString: /api/callbacks/momo\n",
            "                      SearchString: /api/callbacks/vnpay\n",
            "momo-ipn-sources lets through POST /api/callbacks/momo from an unlisted address",
        ),
        (
            "the list applies without addresses",
            "        - !If\n          - HasMomoIpnSources\n          - Name: momo-ipn-sources",
            "        - !If\n          - HasVnpayIpnSources\n          - Name: momo-ipn-sources",
            "the web ACL has no rule momo-ipn-sources under HasMomoIpnSources",
        ),
        (
            "the portal's list guards the partner API instead of its Confirm",
            "                      SearchString: /api/callbacks/dvcqg\n",
            "                      SearchString: /api/partners/\n",
            "dvcqg-ipn-sources lets through POST /api/callbacks/dvcqg from an unlisted address",
        ),
    ];
    for (case, from, to, expected) in cases {
        let acl = template_json(&variant(&waf_text(), from, to));

        let problems = allow_list_problems(&acl);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

/// Where the partner API's allow-list lets an unlisted address reach a partner route, stops a
/// listed one (or anything but the partner routes, the public document included), or exists
/// under no list with a hole; and where its IP set is not the partners' sources.
fn partner_allow_list_problems(acl: &Value) -> Vec<String> {
    let name = "partner-sources";
    let mut problems = Vec::new();
    let set = &acl["Resources"]["PartnerSourceSet"];
    if set["Condition"] != "HasPartnerSources"
        || set["Properties"]["Addresses"]["Ref"] != "PartnerSources"
        || set["Properties"]["Scope"] != "CLOUDFRONT"
    {
        problems.push("PartnerSourceSet is not the PartnerSources, under HasPartnerSources".into());
    }
    for (holding, listing) in [(vec![], false), (vec!["HasPartnerSources"], true)] {
        let rules = rules(acl, &holding);
        let Some(rule) = rule(&rules, name) else {
            problems.push(format!("the web ACL has no rule {name} with {holding:?}"));
            continue;
        };
        if rule["Action"]["Block"].is_null() {
            problems.push(format!("{name} does not block"));
        }
        for route in Route::ALL {
            for request in partner_spellings(route) {
                for from_listed in [false, true] {
                    let request = Request {
                        listed: from_listed,
                        ..request.clone()
                    };
                    let blocked = matches(scope(rule), &request);
                    let should = is_partner_only(route) && !(listing && from_listed);
                    if blocked != should {
                        problems.push(format!(
                            "{name} {} {} {} from {} address{}",
                            if blocked { "blocks" } else { "lets through" },
                            request.method,
                            request.path,
                            if from_listed {
                                "a listed"
                            } else {
                                "an unlisted"
                            },
                            if listing { "" } else { " with no list" }
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Every spelling of `route` (see [`spellings`]), and for a partner route the one whose partner
/// id is the document's name (`/api/partners/openapi.json/bills`, which the app answers as that
/// partner's look-up).
fn partner_spellings(route: Route) -> Vec<Request> {
    let mut requests = spellings(route);
    if route.path().contains("{partner}") {
        let path = route.path().replace("{partner}", "openapi.json");
        let method = Method::from_bytes(route.method().as_bytes()).unwrap();
        if Route::of(&method, &path).is_ok_and(|(found, _)| found == route) {
            requests.push(Request {
                method: route.method().to_owned(),
                path,
                listed: false,
            });
        }
    }
    requests
}

/// Rules that share a priority or a name in some setting of the stack's conditions (WAF refuses
/// the web ACL).
fn priority_problems(acl: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for holding in settings(acl) {
        let holding: Vec<&str> = holding.iter().map(String::as_str).collect();
        let rules = rules(acl, &holding);
        for (i, rule) in rules.iter().enumerate() {
            for other in &rules[i + 1..] {
                if rule["Priority"] == other["Priority"] || rule["Name"] == other["Name"] {
                    problems.push(format!(
                        "with {holding:?}: {} and {} share a priority or a name",
                        rule["Name"], other["Name"]
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn only_the_partners_addresses_reach_the_partner_api_and_its_document_is_public() {
    let acl = template_json(&waf_text());

    assert_eq!(partner_allow_list_problems(&acl), Vec::<String>::new());
    assert_eq!(acl["Parameters"]["PartnerSources"]["Default"], "");
    assert_eq!(
        acl["Parameters"]["PartnerSources"]["Type"],
        "CommaDelimitedList"
    );
}

#[test]
fn a_partner_route_served_without_the_allow_list_is_rejected() {
    let condition = "                - !If\n                  - HasPartnerSources\n                  - NotStatement:\n                      Statement:\n                        IPSetReferenceStatement:\n                          Arn: !GetAtt PartnerSourceSet.Arn\n                  - !Ref AWS::NoValue\n";
    let cases = [
        (
            "no rule for the partners",
            "        - Name: partner-sources\n",
            "        - Name: partners-welcome\n",
            "the web ACL has no rule partner-sources with []",
        ),
        (
            "one route guarded, the confirmations open",
            "STARTS_WITH\n                    SearchString: /api/partners/\n",
            "STARTS_WITH\n                    SearchString: /api/partners/bankdemo/bills\n",
            "partner-sources lets through POST /api/partners/HP250915020000ABCDEFGH/confirmations from an unlisted address with no list",
        ),
        (
            "a percent-encoded path slips past",
            "STARTS_WITH\n                    SearchString: /api/partners/\n                    TextTransformations:\n                      - { Priority: 0, Type: URL_DECODE }\n",
            "STARTS_WITH\n                    SearchString: /api/partners/\n                    TextTransformations:\n",
            "partner-sources lets through POST /api/%70artners/HP250915020000ABCDEFGH/bills from an unlisted address with no list",
        ),
        (
            "the list admits everyone",
            condition,
            "",
            "partner-sources blocks POST /api/partners/HP250915020000ABCDEFGH/reversals from a listed address",
        ),
        (
            "the document's exception anchored at its start only",
            "                        RegexString: ^/api/partners/openapi\\.json/*$\n                        TextTransformations:\n                          - { Priority: 0, Type: URL_DECODE }\n                          - { Priority: 1, Type: LOWERCASE }\n                - !If",
            "                        RegexString: ^/api/partners/openapi\\.json\n                        TextTransformations:\n                          - { Priority: 0, Type: URL_DECODE }\n                          - { Priority: 1, Type: LOWERCASE }\n                - !If",
            "partner-sources lets through POST /api/partners/openapi.json/bills from an unlisted address with no list",
        ),
        (
            "the public document blocked",
            "                - NotStatement:\n                    Statement:\n                      RegexMatchStatement:\n",
            "                - NotStatement:\n                    Statement:\n                      ByteMatchStatement:\n                        FieldToMatch: { Method: {} }\n                        PositionalConstraint: EXACTLY\n                        SearchString: OPTIONS\n                        TextTransformations:\n                          - { Priority: 0, Type: NONE }\n                      RegexMatchStatement:\n",
            "partner-sources blocks GET /api/partners/openapi.json from an unlisted address with no list",
        ),
        (
            "the IP set is another channel's",
            "      Addresses: !Ref PartnerSources\n",
            "      Addresses: !Ref MomoIpnSources\n",
            "PartnerSourceSet is not the PartnerSources, under HasPartnerSources",
        ),
    ];
    for (case, from, to, expected) in cases {
        let acl = template_json(&variant(&waf_text(), from, to));

        let problems = partner_allow_list_problems(&acl);

        assert!(
            problems.iter().any(|p| p == expected),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn no_two_rules_share_a_priority_in_any_setting() {
    let acl = template_json(&waf_text());

    assert_eq!(settings(&acl).len(), 16);
    assert_eq!(priority_problems(&acl), Vec::<String>::new());
    let broken = template_json(&variant(
        &waf_text(),
        "        - Name: partner-sources\n          Priority: 3\n",
        "        - Name: partner-sources\n          Priority: 2\n",
    ));
    assert!(
        priority_problems(&broken)
            .iter()
            .any(|p| p.contains("\"dvcqg-ipn-sources\" and \"partner-sources\"")),
        "{:?}",
        priority_problems(&broken)
    );
}

#[test]
fn the_managed_rules_spare_the_servers_and_judge_every_browser_request() {
    let acl = template_json(&waf_text());

    for name in ["ip-reputation", "known-bad-inputs"] {
        assert_eq!(
            scope_problems(&acl, &[], name, is_from_browsers),
            Vec::<String>::new(),
            "{name}"
        );
    }
}
