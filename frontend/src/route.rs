//! Which screen an address opens. The server answers every path with the same `index.html`;
//! the page reads `location` once at mount and renders one of these.
//!
//! The result page takes only the payment reference from the gateway's return address
//! (VNPay's `vnp_TxnRef`, MoMo's `orderId`, the portal platform's `MaThamChieu`, or our own
//! `ref`) and nothing else: the outcome claimed by the other parameters is never read, the page
//! asks the functions instead. payOS's return names only its `orderCode` (payos.vn/docs,
//! returnUrl: `code`, `id`, `cancel`, `status`, `orderCode`): that address is
//! [`Screen::PayosReturn`], which the page resolves to the payOS payment this tab opened.

use hocphi_domain::{GatewayKind, PaymentRef, ReceiptId, ReceiptToken};

use crate::checkout::Attempt;
use crate::lookup::{self, LookupQuery};

/// A screen of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// `/`: the look-up form, its student code pre-filled from `?student=`; with a payment
    /// code (`?ma=`, the portal's link), that code's look-up, made at once.
    Lookup {
        student: Option<String>,
        payment: Option<LookupQuery>,
    },
    /// `/ket-qua?vnp_TxnRef=…`, `?orderId=…`, `?MaThamChieu=…` or `?ref=…`: the outcome of a
    /// payment.
    Result {
        reference: Option<PaymentRef>,
    },
    /// `/ket-qua?…&orderCode=…` without a reference: back from payOS's hosted page.
    PayosReturn,
    /// `/bien-lai/{id}?t=…`: a receipt, readable by whoever holds its token.
    Receipt {
        id: ReceiptId,
        token: Option<ReceiptToken>,
    },
    NotFound,
}

/// The result page's own address for a payment, without the gateway's parameters.
pub fn result_path(reference: &PaymentRef) -> String {
    format!("/ket-qua?ref={}", reference.as_str())
}

/// A receipt's address (also what its QR code encodes, after the origin).
pub fn receipt_path(id: &ReceiptId, token: &ReceiptToken) -> String {
    format!("/bien-lai/{}?t={}", id.as_str(), token.as_str())
}

/// The look-up form for a student, where "pay again" leads.
pub fn lookup_path(student: Option<&str>) -> String {
    match student.and_then(|s| lookup::prefilled_student(Some(s))) {
        Some(code) => format!("/?student={code}"),
        None => "/".to_owned(),
    }
}

impl Screen {
    /// The screen for a `location.pathname` and `location.search` (with or without its `?`).
    pub fn parse(path: &str, search: &str) -> Self {
        let query = search.strip_prefix('?').unwrap_or(search);
        let path = match path.trim_end_matches('/') {
            "" | "/index.html" => "/",
            trimmed => trimmed,
        };
        match path {
            "/" => {
                let payment = lookup::payment_code_query(query_value(query, "ma").as_deref());
                Self::Lookup {
                    student: lookup::prefilled_student(query_value(query, "student").as_deref())
                        .or_else(|| payment.as_ref().map(|p| p.student.as_str().to_owned())),
                    payment,
                }
            }
            "/ket-qua" => {
                let named = GatewayKind::ALL
                    .into_iter()
                    .filter_map(return_reference)
                    .chain(["ref"])
                    .find_map(|name| query_value(query, name));
                match named {
                    None if query_value(query, "orderCode").is_some() => Self::PayosReturn,
                    named => Self::Result {
                        reference: named.and_then(|r| PaymentRef::parse(&r).ok()),
                    },
                }
            }
            other => match other.strip_prefix("/bien-lai/").map(ReceiptId::parse) {
                Some(Ok(id)) => Self::Receipt {
                    id,
                    token: query_value(query, "t").and_then(|t| ReceiptToken::parse(&t).ok()),
                },
                Some(Err(_)) | None => Self::NotFound,
            },
        }
    }

    /// A return from payOS as the result of the payOS payment `stored` opened (none if it
    /// opened none); any other screen as it is.
    pub fn resolve(self, stored: Option<&Attempt>) -> Self {
        match self {
            Self::PayosReturn => Self::Result {
                reference: Attempt::payos_return(stored),
            },
            other => other,
        }
    }
}

/// The parameter of a gateway's return address that holds the payment reference; payOS's
/// holds none, and a partner's payment never returns to the page.
fn return_reference(gateway: GatewayKind) -> Option<&'static str> {
    match gateway {
        GatewayKind::Vnpay => Some("vnp_TxnRef"),
        GatewayKind::Momo => Some("orderId"),
        GatewayKind::Dvcqg => Some("MaThamChieu"),
        GatewayKind::Payos | GatewayKind::Partner => None,
    }
}

/// The first value of `name` in a query string, percent-decoded (`+` is a space).
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| percent_decode(key) == name)
        .map(|(_, value)| percent_decode(value))
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(student: Option<&str>) -> Screen {
        Screen::Lookup {
            student: student.map(String::from),
            payment: None,
        }
    }

    #[test]
    fn every_path_opens_its_screen() {
        let token = "ab".repeat(16);
        let cases = [
            ("/", "", form(None)),
            ("/index.html", "", form(None)),
            ("/", "?student=hs001234", form(Some("HS001234"))),
            (
                "/",
                "?ma=hs0012345-26k7m2qxab",
                Screen::Lookup {
                    student: Some("HS0012345".into()),
                    payment: lookup::payment_code_query(Some("HS0012345-26K7M2QXAB")),
                },
            ),
            ("/", "?ma=HS0012345-26K7M2QXA0", form(None)),
            (
                "/ket-qua",
                "?ref=HP250901120000ABCDEFGH",
                Screen::Result {
                    reference: PaymentRef::parse("HP250901120000ABCDEFGH").ok(),
                },
            ),
            ("/ket-qua/", "", Screen::Result { reference: None }),
            (
                "/bien-lai/BLHP1",
                &format!("?t={token}"),
                Screen::Receipt {
                    id: ReceiptId::parse("BLHP1").unwrap(),
                    token: ReceiptToken::parse(&token).ok(),
                },
            ),
            (
                "/bien-lai/BLHP1",
                "",
                Screen::Receipt {
                    id: ReceiptId::parse("BLHP1").unwrap(),
                    token: None,
                },
            ),
            ("/bien-lai/", "", Screen::NotFound),
            ("/bien-lai/a.b", "", Screen::NotFound),
            ("/admin", "", Screen::NotFound),
        ];
        for (path, search, screen) in cases {
            assert_eq!(Screen::parse(path, search), screen, "{path}{search}");
        }
    }

    #[test]
    fn the_result_page_takes_only_the_reference_from_the_gateways_return() {
        let search = "?vnp_Amount=150000000&vnp_ResponseCode=00&vnp_TransactionStatus=00\
                      &vnp_TxnRef=HP250901120000ABCDEFGH&vnp_SecureHash=deadbeef";
        let momo = "?partnerCode=MOMOHOCPHI01&orderId=HP250901120000ABCDEFGH&amount=1500000\
                    &resultCode=0&signature=deadbeef";
        let portal = "?MaLoi=00&MaThamChieu=HP250901120000ABCDEFGH&SoTien=1500000\
                      &MaXacThuc=deadbeef";
        for search in [search, momo, portal] {
            assert_eq!(
                Screen::parse("/ket-qua", search),
                Screen::Result {
                    reference: PaymentRef::parse("HP250901120000ABCDEFGH").ok()
                },
                "{search}"
            );
        }
    }

    #[test]
    fn a_return_from_payos_is_resolved_with_the_payos_payment_this_tab_opened() {
        use crate::checkout::{Opened, Selection};
        use hocphi_domain::{LookupCode, StudentCode};

        let paid = "?code=00&id=2e4acf1083304877bf1a8c108b30cccd&cancel=false&status=PAID\
                    &orderCode=803347";
        let cancelled = "?code=00&id=2e4a&cancel=true&status=CANCELLED&orderCode=803347";
        let reference = PaymentRef::parse("HP251005070000ABCD").unwrap();
        let query = lookup::LookupQuery {
            student: StudentCode::parse("HS001234").unwrap(),
            code: crate::lookup::NoticeCode::Lookup(LookupCode::parse("ABCD2345").unwrap()),
        };
        let mut attempt = Attempt::for_selection(
            None,
            &query,
            &Selection::default(),
            GatewayKind::Payos,
            chrono::DateTime::UNIX_EPOCH,
            || [1; 16],
        );
        attempt.opened = Some(Opened {
            payment_ref: reference.clone(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
            transfer: None,
        });
        for search in [paid, cancelled] {
            let screen = Screen::parse("/ket-qua", search);
            assert_eq!(screen, Screen::PayosReturn, "{search}");
            assert_eq!(
                screen.clone().resolve(Some(&attempt)),
                Screen::Result {
                    reference: Some(reference.clone())
                }
            );
            assert_eq!(screen.resolve(None), Screen::Result { reference: None });
        }
        assert_eq!(
            Screen::parse(
                "/ket-qua",
                &format!("?ref={}&orderCode=803347", reference.as_str())
            )
            .resolve(None),
            Screen::Result {
                reference: Some(reference)
            },
            "our own reference wins"
        );
        assert_eq!(Screen::parse("/", "").resolve(Some(&attempt)), form(None));
    }

    #[test]
    fn a_malformed_reference_is_no_reference() {
        let screen = Screen::parse("/ket-qua", "?vnp_TxnRef=HP-1%3Cscript%3E");
        assert_eq!(screen, Screen::Result { reference: None });
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let query = "a=1&student=hs%20001&x&name=Nguy%E1%BB%85n+A&bad=%zz";
        assert_eq!(query_value(query, "student").as_deref(), Some("hs 001"));
        assert_eq!(query_value(query, "name").as_deref(), Some("Nguyễn A"));
        assert_eq!(query_value(query, "x").as_deref(), Some(""));
        assert_eq!(query_value(query, "bad").as_deref(), Some("%zz"));
        assert_eq!(query_value(query, "missing"), None);
    }

    #[test]
    fn addresses_built_by_the_page_route_back_to_their_screens() {
        let reference = PaymentRef::parse("HP250901120000ABCDEFGH").unwrap();
        let (path, search) = result_path(&reference)
            .split_once('?')
            .map(|(p, s)| (p.to_owned(), s.to_owned()))
            .unwrap();
        assert_eq!(
            Screen::parse(&path, &search),
            Screen::Result {
                reference: Some(reference)
            }
        );
        assert_eq!(lookup_path(Some("hs001234")), "/?student=HS001234");
        assert_eq!(lookup_path(Some("??")), "/");
        assert_eq!(lookup_path(None), "/");
        let id = ReceiptId::parse("BLHP1").unwrap();
        let token = ReceiptToken::parse(&"0f".repeat(16)).unwrap();
        assert_eq!(
            receipt_path(&id, &token),
            format!("/bien-lai/BLHP1?t={}", "0f".repeat(16))
        );
    }
}
