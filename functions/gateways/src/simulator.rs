//! What every gateway simulator shares: the request an HTTP server hands it and the answer it
//! writes back, form and query helpers, and the shell of the pages it shows a parent.
//!
//! Invariants: a simulator is transport-free (a [`SimRequest`] in, a [`SimResponse`] out, time
//! passed in); its pages are self-contained HTML documents (inline style, no script, no external
//! asset) in Vietnamese, readable on a phone, and every value interpolated into them goes through
//! `escape`.

use chrono::{DateTime, Utc};
use hocphi_domain::escape_html;

/// A request as an HTTP server received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub body: &'a [u8],
    pub now: DateTime<Utc>,
}

/// The answer for the HTTP server to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl SimResponse {
    pub(crate) fn html(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "text/html; charset=utf-8".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body,
        }
    }

    pub(crate) fn redirect(location: String) -> Self {
        Self {
            status: 302,
            headers: vec![("location", location)],
            body: String::new(),
        }
    }

    pub(crate) fn json(body: String) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json; charset=utf-8".to_owned())],
            body,
        }
    }
}

/// `url` with `query` appended, after `&` when it already has a query.
pub(crate) fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// The single value of a form field, `None` when absent or repeated.
pub(crate) fn form_value(form: &[u8], name: &str) -> Option<String> {
    let mut values = form_urlencoded::parse(form).filter(|(key, _)| key == name);
    let (_, value) = values.next()?;
    values.next().is_none().then(|| value.into_owned())
}

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
background:#f2f4f7;color:#1d2939}main{max-width:28rem;margin:0 auto;padding:1rem}\
h1{font-size:1.25rem;color:#005baa;margin:.5rem 0}.sim{display:inline-block;font-size:.75rem;\
background:#fef0c7;color:#93370d;border-radius:.25rem;padding:0 .4rem;margin-left:.4rem}\
.card{background:#fff;border-radius:.75rem;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}\
dl{margin:0}dt{font-size:.8rem;color:#667085}dd{margin:0 0 .6rem;word-break:break-word}\
.amount{font-size:1.5rem;font-weight:700;color:#b42318}form{display:grid;gap:.6rem;margin-top:1rem}\
button{font:inherit;padding:.8rem;border:0;border-radius:.5rem;cursor:pointer}\
.pay{background:#005baa;color:#fff}.fail{background:#fee4e2;color:#912018}\
.cancel{background:#eaecf0;color:#344054}.note{font-size:.8rem;color:#667085}";

/// The start of a page, up to and including `<body>`: its title and the shared style.
pub(crate) fn head(title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>",
        escape_html(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_text_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert!(head("a < b").contains("<title>a &lt; b</title>"));
    }

    #[test]
    fn a_query_is_appended_after_question_mark_or_ampersand() {
        assert_eq!(
            with_query("http://127.0.0.1/ret", "a=1"),
            "http://127.0.0.1/ret?a=1"
        );
        assert_eq!(
            with_query("http://127.0.0.1/ret?x=2", "a=1"),
            "http://127.0.0.1/ret?x=2&a=1"
        );
    }

    #[test]
    fn a_form_field_is_read_only_when_it_appears_exactly_once() {
        assert_eq!(
            form_value(b"choice=00&vnp_TxnRef=HP1", "choice").as_deref(),
            Some("00")
        );
        assert_eq!(
            form_value(b"orderId=HP%2B1", "orderId").as_deref(),
            Some("HP+1")
        );
        assert_eq!(form_value(b"choice=00&choice=24", "choice"), None);
        assert_eq!(form_value(b"other=1", "choice"), None);
    }
}
