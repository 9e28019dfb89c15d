//! How the deploy's commands run: [`Live`] runs each one, [`DryRun`] only prints it as a shell
//! line ([`show`]) and answers placeholders where a command's output is read.
//!
//! Invariant: under [`DryRun`] no command is started.

use std::process::Command;

use crate::run::{Failure, step};

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
pub struct Live;

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
