//! What the checks share: the repository's files, the template as CloudFormation JSON (short-form
//! tags like `!Ref` become their long form, so nothing is lost), reference and permission
//! readers, samconfig.toml, and cfn-guard.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map, Value, json};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A repository file's text.
pub fn read(path: &str) -> String {
    let path = root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `text` with `from` replaced by `to` exactly once; fails if `from` does not occur, so a broken
/// variant can never silently equal the original.
pub fn variant(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "the variant needs exactly one `{from}` in the text"
    );
    text.replacen(from, to, 1)
}

/// A YAML CloudFormation template as JSON: `!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` →
/// `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` → `{"Condition": "C"}`, any other `!Fn` →
/// `{"Fn::Fn": ...}`.
pub fn template_json(yaml: &str) -> Value {
    let value: serde_norway::Value = serde_norway::from_str(yaml).expect("the template is YAML");
    to_json(value)
}

fn to_json(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => {
            let mut object = Map::new();
            for (key, value) in map {
                let key = match key {
                    Y::String(s) => s,
                    other => serde_norway::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                object.insert(key, to_json(value));
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = to_json(tagged.value);
            match name {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (resource, attribute) = s.split_once('.').unwrap_or((&s, ""));
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    other => json!({ "Fn::GetAtt": other }),
                },
                other => json!({ format!("Fn::{other}"): inner }),
            }
        }
    }
}

/// The real template, as JSON.
pub fn template() -> Value {
    template_json(&read("infra/template.yaml"))
}

/// The resources of a template with their logical ids.
pub fn resources(template: &Value) -> Vec<(&str, &Value)> {
    template["Resources"]
        .as_object()
        .map(|r| r.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

/// The resources of one type.
pub fn of_type<'t>(template: &'t Value, kind: &str) -> Vec<(&'t str, &'t Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// The logical id a `{"Ref": id}` or `{"Fn::GetAtt": [id, ...]}` points at.
pub fn target(value: &Value) -> Option<&str> {
    value["Ref"]
        .as_str()
        .or_else(|| value["Fn::GetAtt"][0].as_str())
}

/// Every name a template refers to (Ref, GetAtt, `${...}` in Sub, condition names), each with
/// where it was found.
pub fn references(template: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, at: &str, locals: &BTreeSet<String>, out: &mut Vec<(String, String)>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    walk(item, at, locals, out);
                }
            }
            Value::Object(object) => {
                for (key, inner) in object {
                    match key.as_str() {
                        "Ref" => {
                            if let Some(name) = inner.as_str() {
                                out.push((name.to_owned(), at.to_owned()));
                            }
                        }
                        "Fn::GetAtt" => {
                            if let Some(name) = inner[0].as_str() {
                                out.push((name.to_owned(), at.to_owned()));
                            }
                        }
                        "Fn::Sub" => {
                            let (text, vars) = match inner {
                                Value::Array(parts) => (parts[0].as_str(), parts.get(1)),
                                other => (other.as_str(), None),
                            };
                            let mut locals = locals.clone();
                            if let Some(Value::Object(vars)) = vars {
                                locals.extend(vars.keys().cloned());
                                for var in vars.values() {
                                    walk(var, at, &locals, out);
                                }
                            }
                            for name in sub_names(text.unwrap_or_default()) {
                                if !locals.contains(&name) {
                                    out.push((name, at.to_owned()));
                                }
                            }
                        }
                        "Fn::If" => {
                            if let Some(condition) = inner[0].as_str() {
                                out.push((format!("condition:{condition}"), at.to_owned()));
                            }
                            walk(inner, at, locals, out);
                        }
                        "Condition" if inner.is_string() => {
                            let name = inner.as_str().unwrap_or_default();
                            out.push((format!("condition:{name}"), at.to_owned()));
                        }
                        "DependsOn" => {
                            for name in inner
                                .as_array()
                                .map(|a| a.iter().collect())
                                .unwrap_or_else(|| vec![inner])
                            {
                                if let Some(name) = name.as_str() {
                                    out.push((name.to_owned(), at.to_owned()));
                                }
                            }
                        }
                        _ => walk(inner, at, locals, out),
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for section in ["Globals", "Resources", "Outputs", "Conditions", "Rules"] {
        if let Value::Object(entries) = &template[section] {
            for (name, value) in entries {
                walk(
                    value,
                    &format!("{section}.{name}"),
                    &BTreeSet::new(),
                    &mut out,
                );
            }
        }
    }
    out
}

/// The names inside `${...}` of a Sub string, without attributes (`${A.B}` → `A`) and without
/// literals (`${!x}`).
fn sub_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name.split('.').next().unwrap_or(name).to_owned());
        }
        rest = &after[end + 1..];
    }
    names
}

/// References to nothing: every name must be a parameter, a resource, a pseudo parameter, or
/// (prefixed `condition:`) a condition.
pub fn dangling_references(template: &Value) -> Vec<String> {
    let declared = |section: &str| -> BTreeSet<String> {
        template[section]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let names: BTreeSet<String> = declared("Parameters")
        .into_iter()
        .chain(declared("Resources"))
        .collect();
    let conditions = declared("Conditions");
    references(template)
        .into_iter()
        .filter(|(name, _)| match name.strip_prefix("condition:") {
            Some(condition) => !conditions.contains(condition),
            None => !names.contains(name) && !name.starts_with("AWS::"),
        })
        .map(|(name, at)| format!("{at} refers to {name}, which the template does not declare"))
        .collect()
}

/// One Allow statement of an IAM role's inline policies: actions, resources and condition as
/// written.
#[derive(Debug, Clone)]
pub struct Grant {
    pub actions: Vec<String>,
    pub resources: Vec<Value>,
    pub condition: Value,
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn values(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The Allow statements of a role's inline policies.
pub fn grants(role: &Value) -> Vec<Grant> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|policy| values(&policy["PolicyDocument"]["Statement"]))
        .filter(|statement| statement["Effect"] == "Allow")
        .map(|statement| Grant {
            actions: strings(&statement["Action"]),
            resources: values(&statement["Resource"]),
            condition: statement["Condition"].clone(),
        })
        .collect()
}

/// The Lambda binaries of the workspace: the `[[bin]]`s (or the package itself) of every member
/// that uses hocphi-runtime's Lambda glue (feature `aws`).
pub fn lambda_binaries() -> BTreeSet<String> {
    let workspace: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let members = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace members");
    let mut binaries = BTreeSet::new();
    for member in members.iter().filter_map(|m| m.as_str()) {
        let manifest: toml::Table =
            toml::from_str(&read(&format!("{member}/Cargo.toml"))).expect("member manifest");
        let uses_lambda = manifest
            .get("dependencies")
            .and_then(|d| d.get("hocphi-runtime"))
            .and_then(|r| r.get("features"))
            .and_then(|f| f.as_array())
            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("aws")));
        if !uses_lambda {
            continue;
        }
        match manifest.get("bin").and_then(|b| b.as_array()) {
            Some(bins) => binaries.extend(
                bins.iter()
                    .filter_map(|b| b.get("name")?.as_str().map(str::to_owned)),
            ),
            None if root().join(member).join("src/main.rs").exists() => {
                binaries.insert(
                    manifest["package"]["name"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                );
            }
            None => {}
        }
    }
    binaries
}

/// The member directory of the workspace whose package (or bin) is named `binary`.
pub fn member_of(binary: &str) -> Option<String> {
    let workspace: toml::Table = toml::from_str(&read("Cargo.toml")).ok()?;
    workspace["workspace"]["members"]
        .as_array()?
        .iter()
        .filter_map(|m| m.as_str())
        .find(|member| {
            let Ok(manifest) =
                toml::from_str::<toml::Table>(&read(&format!("{member}/Cargo.toml")))
            else {
                return false;
            };
            manifest["package"]["name"].as_str() == Some(binary)
        })
        .map(str::to_owned)
}

/// The functions of the template: logical id → the binary its build metadata names.
pub fn functions(template: &Value) -> BTreeMap<String, String> {
    of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, f)| {
            let binary = f["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (id.to_owned(), binary)
        })
        .collect()
}

/// One config-env of samconfig.toml, read the way SAM reads it.
#[derive(Debug, Clone)]
pub struct ConfigEnv {
    pub name: String,
    pub deploy: toml::Table,
    pub overrides: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

fn pairs(value: Option<&toml::Value>) -> BTreeMap<String, String> {
    let items: Vec<String> = match value {
        Some(toml::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(toml::Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| {
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Every config-env with deploy parameters, except `default`.
pub fn config_envs(text: &str) -> Vec<ConfigEnv> {
    let config: toml::Table = toml::from_str(text).expect("samconfig.toml is TOML");
    config
        .iter()
        .filter(|(name, _)| name.as_str() != "default")
        .filter_map(|(name, env)| {
            let deploy = env.get("deploy")?.get("parameters")?.as_table()?.clone();
            Some(ConfigEnv {
                name: name.clone(),
                overrides: pairs(deploy.get("parameter_overrides")),
                tags: pairs(deploy.get("tags")),
                deploy,
            })
        })
        .collect()
}

/// Runs one rule file of `infra/policy` over a template (as JSON) and answers each rule's
/// status: `PASS`, `FAIL`, or `SKIP` (its `when` did not apply).
pub fn rule_statuses(template: &Value, rule_file: &str) -> BTreeMap<String, String> {
    let rules = read(&format!("infra/policy/{rule_file}"));
    let data = serde_json::to_string(template).expect("JSON");
    let record = cfn_guard::run_checks(
        cfn_guard::ValidateInput {
            content: &data,
            file_name: "template.json",
        },
        cfn_guard::ValidateInput {
            content: &rules,
            file_name: rule_file,
        },
        true,
    )
    .unwrap_or_else(|e| panic!("cfn-guard could not evaluate {rule_file}: {e}"));
    let record: Value = serde_json::from_str(&record).expect("cfn-guard's record is JSON");
    record["children"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|child| &child["container"]["RuleCheck"])
        .filter_map(|rule| {
            Some((
                rule["name"].as_str()?.to_owned(),
                rule["status"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The rules of one file that fail for a template, by name.
pub fn failed_rules(template: &Value, rule_file: &str) -> Vec<String> {
    rule_statuses(template, rule_file)
        .into_iter()
        .filter(|(_, status)| status == "FAIL")
        .map(|(name, _)| name)
        .collect()
}
