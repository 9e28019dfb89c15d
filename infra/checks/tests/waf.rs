//! The edge stack's web ACL (`infra/policy/waf.yaml`) against the routes the app answers
//! (`Route::ALL`, `Route::of`): the guessing limit counts every request that reaches a door that
//! checks a look-up code however its path is spelt, every gateway callback is limited per
//! address, and where an operator lists a gateway's notification addresses only those reach
//! that gateway's callback. The rules' statements are evaluated on requests the way WAF does
//! (text transformations, then the match); each check is shown rejecting a broken variant.

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

/// The web ACL's rules with the stack's conditions `holding` true (others false).
fn rules(acl: &Value, holding: &[&str]) -> Vec<Value> {
    acl["Resources"]["WebAcl"]["Properties"]["Rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rule| match rule["Fn::If"].as_array() {
            Some(branches) => {
                let holds = holding.contains(&branches[0].as_str().unwrap_or_default());
                let chosen = &branches[if holds { 1 } else { 2 }];
                (chosen["Ref"] != "AWS::NoValue").then(|| chosen.clone())
            }
            None => Some(rule.clone()),
        })
        .collect()
}

/// The requests a rule acts on: a rate-based rule's scope, or its statement.
fn scope(rule: &Value) -> &Value {
    let rate = &rule["Statement"]["RateBasedStatement"];
    if rate.is_object() {
        &rate["ScopeDownStatement"]
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
            // payOS publishes no webhook source addresses
            // (https://payos.vn/docs/du-lieu-tra-ve/webhook/): no allow-list to check.
            GatewayKind::Payos => continue,
            // Not yet decided (issue 13): the portal channel's sources and the partners' list.
            GatewayKind::Dvcqg | GatewayKind::Partner => continue,
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

fn is_callback(route: Route) -> bool {
    Route::CALLBACKS.contains(&route)
}

fn is_not_callback(route: Route) -> bool {
    !is_callback(route)
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
        scope_problems(&acl, &[], "callback-flood", is_callback),
        Vec::<String>::new()
    );
    assert_eq!(
        scope_problems(&acl, &[], "api-flood", is_not_callback),
        Vec::<String>::new()
    );
}

#[test]
fn a_callback_no_limit_counts_is_rejected() {
    let cases = [
        (
            "one channel limited",
            "                  SearchString: /api/callbacks/\n                  TextTransformations:\n                    - { Priority: 0, Type: URL_DECODE }\n                    - { Priority: 1, Type: LOWERCASE }\n        - Name: ip-reputation",
            "                  SearchString: /api/callbacks/vnpay\n                  TextTransformations:\n                    - { Priority: 0, Type: URL_DECODE }\n                    - { Priority: 1, Type: LOWERCASE }\n        - Name: ip-reputation",
            "callback-flood misses POST /api/callbacks/momo",
        ),
        (
            "payOS's webhooks left to the API's limit",
            "                  SearchString: /api/callbacks/\n                  TextTransformations:\n                    - { Priority: 0, Type: URL_DECODE }\n                    - { Priority: 1, Type: LOWERCASE }\n        - Name: ip-reputation",
            "                  SearchString: /api/callbacks/momo\n                  TextTransformations:\n                    - { Priority: 0, Type: URL_DECODE }\n                    - { Priority: 1, Type: LOWERCASE }\n        - Name: ip-reputation",
            "callback-flood misses POST /api/callbacks/payos/HP250915020000ABCDEFGH",
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

        let problems = scope_problems(&acl, &[], "callback-flood", is_callback);

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
