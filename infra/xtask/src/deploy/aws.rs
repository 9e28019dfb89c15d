//! The AWS CLI as the deploy runs it: one region per command, no pager, text output read back
//! as a stack's outputs.

use std::collections::BTreeMap;
use std::process::Command;

use crate::run::Failure;

/// `aws` with the region set and no pager.
pub fn aws(region: &str) -> Command {
    let mut command = Command::new("aws");
    command
        .args(["--region", region])
        .env("AWS_PAGER", "")
        .env_remove("AWS_DEFAULT_OUTPUT");
    command
}

/// A stack's outputs, by key.
#[derive(Debug)]
pub struct Outputs(BTreeMap<String, String>);

impl Outputs {
    /// Stack outputs as `Key\tValue` lines.
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter_map(|line| line.split_once('\t'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
        )
    }

    /// One output, or a failure naming it.
    pub fn get(&self, key: &str) -> Result<String, Failure> {
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| Failure(format!("the stack has no output {key}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_read_from_tab_separated_lines_and_a_missing_one_is_named() {
        let outputs = Outputs::parse("BucketName\tb \nnot an output\nSiteUrl\thttps://s\n");

        assert_eq!(outputs.get("BucketName").unwrap(), "b");
        assert_eq!(outputs.get("SiteUrl").unwrap(), "https://s");
        assert_eq!(
            outputs.get("IpnUrl").unwrap_err().0,
            "the stack has no output IpnUrl"
        );
    }
}
