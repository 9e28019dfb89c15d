//! Progress bars for long commands, drawn on stderr only when it is a terminal, so scripts and
//! logs stay quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on a terminal, nothing otherwise.
#[derive(Debug)]
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(enabled: bool, len: Option<u64>, template: &str, message: &'static str) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = match len {
            Some(len) => ProgressBar::new(len),
            None => ProgressBar::new_spinner(),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        Self(Some(bar))
    }

    /// Reading a file: a bar over its bytes when their count is known, else a row counter.
    pub(crate) fn reading(enabled: bool, bytes: Option<u64>) -> Self {
        match bytes {
            Some(len) => Self::new(
                enabled,
                Some(len),
                "{msg} [{bar:40}] {bytes}/{total_bytes} (còn {eta})",
                "Đọc tệp",
            ),
            None => Self::new(enabled, None, "{spinner} {msg}: {pos} dòng", "Đọc tệp"),
        }
    }

    /// `len` steps of work.
    pub(crate) fn steps(enabled: bool, len: usize, message: &'static str) -> Self {
        Self::new(
            enabled,
            Some(len as u64),
            "{msg} [{bar:40}] {pos}/{len} ({per_sec}, còn {eta})",
            message,
        )
    }

    /// Items of a table read, about `estimate` in all when known.
    #[cfg(feature = "aws")]
    pub(crate) fn items(enabled: bool, estimate: Option<u64>, message: &'static str) -> Self {
        match estimate {
            Some(len) => Self::new(
                enabled,
                Some(len),
                "{msg} [{bar:40}] {pos}/~{len} mục ({per_sec}, còn {eta})",
                message,
            ),
            None => Self::new(enabled, None, "{spinner} {msg}: {pos} mục", message),
        }
    }

    /// `position` steps done.
    #[cfg(feature = "aws")]
    pub(crate) fn set(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    /// One more row read, starting at `offset` bytes when known.
    pub(crate) fn at(&self, offset: Option<u64>) {
        if let Some(bar) = &self.0 {
            match offset {
                Some(offset) => bar.set_position(offset),
                None => bar.inc(1),
            }
        }
    }

    /// One more step done.
    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
