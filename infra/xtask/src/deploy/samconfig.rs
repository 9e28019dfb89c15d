//! The provinces: the config-envs of `infra/samconfig.toml`, read the way `sam deploy
//! --config-env` reads them.
//!
//! Invariants: a province is a top-level table with a `deploy.parameters` table, other than
//! `default`; each has `stack_name`, `region`, `tags` and `parameter_overrides` or is refused with
//! the config-env and the key it lacks; provinces are listed in the order of their names.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::run::{Failure, root};

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

/// The province of one config-env's `deploy.parameters` table.
fn province_of(env: &str, table: &toml::Table) -> Result<Province, String> {
    let section = format!("{env}.deploy.parameters");
    let text = |key: &str| match table.get(key) {
        Some(toml::Value::String(value)) => Ok(value.clone()),
        _ => Err(format!("[{section}] needs {key} = \"...\"")),
    };
    let pairs = |key: &str| {
        let refused = || format!("[{section}] needs {key} = [\"Key=Value\", ...]");
        match table.get(key) {
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(refused).and_then(key_value))
                .collect(),
            Some(toml::Value::String(items)) => items.split_whitespace().map(key_value).collect(),
            _ => Err(refused()),
        }
    };
    Ok(Province {
        name: env.to_owned(),
        stack_name: text("stack_name")?,
        region: text("region")?,
        tags: pairs("tags")?,
        overrides: pairs("parameter_overrides")?,
    })
}

/// Every province (config-env with `deploy.parameters`) of a samconfig.toml text, in the order
/// of their names.
pub fn provinces_in(text: &str) -> Result<Vec<Province>, String> {
    let config: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let envs: BTreeMap<&str, &toml::Table> = config
        .iter()
        .filter(|(env, _)| env.as_str() != "default")
        .filter_map(|(env, value)| {
            let parameters = value.get("deploy")?.get("parameters")?.as_table()?;
            Some((env.as_str(), parameters))
        })
        .collect();
    envs.into_iter()
        .map(|(env, table)| province_of(env, table))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn samconfig() -> String {
        std::fs::read_to_string(samconfig_path()).unwrap()
    }

    const COMPLETE: &str = r#"
        version = 0.1

        [default.deploy.parameters]
        stack_name = "not-a-province"

        [quang-nam.global.parameters]
        stack_name = "hocphi-quang-nam"

        [quang-nam.deploy.parameters]
        stack_name = "hocphi-quang-nam"
        region = "ap-southeast-1"
        tags = ["project=hocphi", "province=quang-nam"]
        parameter_overrides = ["Province=quang-nam", 'DomainName=""']
    "#;

    #[test]
    fn the_provinces_are_the_config_envs_of_samconfig() {
        let names: Vec<String> = provinces_in(&samconfig())
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();

        assert_eq!(names, ["da-nang", "gia-lai"]);
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
        assert!(refused.0.contains("da-nang, gia-lai"), "{}", refused.0);
    }

    #[test]
    fn a_province_reads_its_stack_region_tags_and_parameters() {
        let all = provinces_in(&samconfig()).unwrap();

        let gia_lai = province(&all, "gia-lai").unwrap();

        assert_eq!(gia_lai.stack_name, "hocphi-gia-lai");
        assert_eq!(gia_lai.region, "ap-southeast-1");
        assert!(
            gia_lai
                .tags
                .contains(&("province".into(), "gia-lai".into()))
        );
        assert_eq!(gia_lai.parameter("Province"), Some("gia-lai"));
        assert_eq!(gia_lai.parameter("DomainName"), Some(""));
        assert_eq!(gia_lai.edge_stack_name(), "hocphi-gia-lai-edge");
    }

    #[test]
    fn a_config_env_reads_strings_arrays_and_comments() {
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
    fn a_complete_config_env_is_a_province_and_default_is_not() {
        let all = provinces_in(COMPLETE).unwrap();

        assert_eq!(
            all,
            [Province {
                name: "quang-nam".into(),
                stack_name: "hocphi-quang-nam".into(),
                region: "ap-southeast-1".into(),
                tags: vec![
                    ("project".into(), "hocphi".into()),
                    ("province".into(), "quang-nam".into()),
                ],
                overrides: vec![
                    ("Province".into(), "quang-nam".into()),
                    ("DomainName".into(), String::new()),
                ],
            }]
        );
    }

    #[test]
    fn a_config_env_without_a_key_is_refused_naming_the_env_and_the_key() {
        for (key, needs) in [
            ("region", "needs region = \"...\""),
            ("stack_name", "needs stack_name = \"...\""),
            ("tags", "needs tags = [\"Key=Value\", ...]"),
            (
                "parameter_overrides",
                "needs parameter_overrides = [\"Key=Value\", ...]",
            ),
        ] {
            let text: String = COMPLETE
                .lines()
                .filter(|line| !line.trim_start().starts_with(&format!("{key} =")))
                .map(|line| format!("{line}\n"))
                .collect();

            let refused = provinces_in(&text).unwrap_err();

            assert_eq!(refused, format!("[quang-nam.deploy.parameters] {needs}"));
        }
    }

    #[test]
    fn a_parameter_that_is_not_key_value_is_refused() {
        let text = COMPLETE.replace("\"Province=quang-nam\"", "\"Province\"");

        let refused = provinces_in(&text).unwrap_err();

        assert_eq!(refused, "`Province` is not Key=Value");
    }

    #[test]
    fn a_parameter_list_with_a_non_string_is_refused() {
        let text = COMPLETE.replace("\"project=hocphi\"", "42");

        let refused = provinces_in(&text).unwrap_err();

        assert_eq!(
            refused,
            "[quang-nam.deploy.parameters] needs tags = [\"Key=Value\", ...]"
        );
    }

    #[test]
    fn an_unknown_config_env_is_refused_with_the_known_ones() {
        let all = provinces_in(COMPLETE).unwrap();

        let refused = province(&all, "default").unwrap_err();

        assert_eq!(
            refused.0,
            "unknown province `default`: infra/samconfig.toml has config-envs for quang-nam"
        );
    }

    #[test]
    fn a_file_that_is_not_toml_is_refused() {
        assert!(provinces_in("[quang-nam.deploy.parameters\n").is_err());
    }
}
