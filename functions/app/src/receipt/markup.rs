//! An HTML fragment written as one string: what the printed receipt is made of.
//!
//! Invariant: only `&'static str` reaches the markup unescaped (tag names, attribute lists
//! written in this crate); every other text and attribute value is escaped, so nothing a
//! server or a parent wrote can become markup.

use std::fmt::Write as _;

use hocphi_api::QrPicture;
use hocphi_domain::escape_html_into;

/// An HTML fragment being written.
#[derive(Debug, Default)]
pub struct Markup(String);

impl Markup {
    /// An empty fragment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fragment written so far.
    pub fn finish(self) -> String {
        self.0
    }

    /// `<tag attrs>`; `attrs` is a fixed attribute list (`class="entry"`) or empty.
    pub fn open(&mut self, tag: &'static str, attrs: &'static str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        if !attrs.is_empty() {
            self.0.push(' ');
            self.0.push_str(attrs);
        }
        self.0.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `text`, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_html_into(&mut self.0, text);
        self
    }

    /// `<tag attrs>text</tag>`, the text escaped.
    pub fn leaf(&mut self, tag: &'static str, attrs: &'static str, text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A labelled value of a description list: `<div class="entry"><dt>…</dt><dd>…</dd></div>`.
    pub fn entry(&mut self, label: &str, value: &str) -> &mut Self {
        self.open("div", r#"class="entry""#)
            .leaf("dt", "", label)
            .leaf("dd", "", value)
            .close("div")
    }

    /// A QR code as one SVG path on white, named for screen readers by `label`.
    pub fn qr(&mut self, picture: &QrPicture, label: &str) -> &mut Self {
        self.0
            .push_str(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox=""#);
        let _ = write!(self.0, "0 0 {0} {0}", picture.side);
        self.0.push_str(r#"" role="img" aria-label=""#);
        escape_html_into(&mut self.0, label);
        self.0.push_str(r##"" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"></rect><path fill="#000" d=""##);
        escape_html_into(&mut self.0, &picture.path);
        self.0.push_str(r#""></path></svg>"#);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_written_by_others_never_becomes_markup() {
        let mut m = Markup::new();
        m.leaf("p", r#"class="x""#, r#"<b onclick="x">A & B's</b>"#);
        assert_eq!(
            m.finish(),
            r#"<p class="x">&lt;b onclick=&quot;x&quot;&gt;A &amp; B&#39;s&lt;/b&gt;</p>"#
        );
    }

    #[test]
    fn an_entry_is_a_labelled_value() {
        let mut m = Markup::new();
        m.entry("Lớp", "6A<1>");
        assert_eq!(
            m.finish(),
            r#"<div class="entry"><dt>Lớp</dt><dd>6A&lt;1&gt;</dd></div>"#
        );
    }

    #[test]
    fn a_qr_code_is_one_path_named_for_screen_readers() {
        let picture = QrPicture {
            side: 29,
            path: "M4 4h7v1h-7zM12 4h1v1h-1z".to_owned(),
        };
        let mut m = Markup::new();
        m.qr(&picture, "Mã \"QR\"");
        let svg = m.finish();
        assert!(svg.starts_with(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" role="img" aria-label="Mã &quot;QR&quot;""#
        ));
        assert!(svg.contains(r#"d="M4 4h7v1h-7zM12 4h1v1h-1z""#));
        assert!(svg.ends_with("</path></svg>"));
    }
}
