//! The only module that knows the functions' addresses: one typed call per route, over the
//! contract types of `hocphi-api`, with a timeout on every call.
//!
//! Failures are a [`ClientError`] whose variants are what the parent is told: offline, too slow,
//! unreachable, or the functions' own answer (`{"error": {"code", "message"}}`, the message in
//! Vietnamese and shown as is). Turning a response into a result is plain code, tested on the
//! host; sending it is the thin browser-only part.

use std::time::Duration;

use hocphi_api::{
    CreatePaymentRequest, CreatePaymentResponse, PaymentStatusResponse, ReceiptDocument,
};
use hocphi_api::{ErrorCode, ErrorResponse, InvoicesResponse};
use hocphi_domain::{IdempotencyKey, PaymentRef, ReceiptId, ReceiptToken};

use crate::i18n::{Lang, Text};
use crate::lookup::LookupQuery;
use crate::read::{Node, Read};

/// How long a look-up, a status check or a receipt may take on a slow mobile connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// How long creating a payment may take: it includes a call to the gateway.
pub const PAY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a call did not give the page what it asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The device says it has no network.
    Offline,
    /// No answer within the call's timeout.
    Timeout,
    /// The request could not be sent or its answer not received.
    Network,
    /// The functions answered with an error.
    Api {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// An answer the page cannot read (a proxy's error page, a truncated body).
    Unexpected { status: u16 },
}

impl ClientError {
    /// Reads a non-success answer's parsed body (`None` when it is not JSON): the contract's
    /// error body, or [`ClientError::Unexpected`].
    pub fn from_body<N: Node>(status: u16, body: Option<&N>) -> Self {
        match body.and_then(ErrorResponse::read) {
            Some(ErrorResponse { error }) => Self::Api {
                status,
                code: error.code,
                message: error.message,
            },
            None => Self::Unexpected { status },
        }
    }

    /// The functions' machine-readable code, if they answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            Self::Offline | Self::Timeout | Self::Network | Self::Unexpected { .. } => None,
        }
    }

    /// True when sending the same request again may well succeed: the parent gets a "try
    /// again" button.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Offline | Self::Timeout | Self::Network => true,
            Self::Api { status, code, .. } => {
                *status >= 500 || *code == ErrorCode::RequestInProgress
            }
            Self::Unexpected { status } => *status >= 500 || *status == 0 || *status == 429,
        }
    }

    /// True when a status poll should go on after this error: anything but a refusal in the
    /// functions' own words (an edge's throttling page or a captive portal's HTML included), so
    /// a parent who has paid is never left without the outcome.
    pub fn keeps_polling(&self) -> bool {
        self.is_retryable() || self.code().is_none()
    }

    /// What the parent reads. In Vietnamese the functions' own sentence is shown as is; in
    /// English the known codes are translated and any other keeps the functions' sentence.
    pub fn message(&self, lang: Lang) -> String {
        let fixed = |text: Text| lang.text(text).to_owned();
        match self {
            Self::Offline => fixed(Text::ErrorOffline),
            Self::Timeout => fixed(Text::ErrorTimeout),
            Self::Network => fixed(Text::ErrorNetwork),
            Self::Unexpected { .. } => fixed(Text::ErrorUnexpected),
            Self::Api { code, message, .. } => match (lang, known_code(*code)) {
                (Lang::Vi, known) if message.trim().is_empty() => {
                    fixed(known.unwrap_or(Text::ErrorUnexpected))
                }
                (Lang::Vi, _) | (Lang::En, None) => message.clone(),
                (Lang::En, Some(text)) => fixed(text),
            },
        }
    }
}

/// The page's own sentence for a code, where it has one; the others keep the functions' sentence
/// (the page never sends what they are about).
fn known_code(code: ErrorCode) -> Option<Text> {
    Some(match code {
        ErrorCode::NotFound => Text::ErrorNotFound,
        ErrorCode::TooManyAttempts => Text::ErrorTooManyAttempts,
        ErrorCode::InvoiceHeld => Text::ErrorInvoiceHeld,
        ErrorCode::InvoiceUnavailable => Text::ErrorInvoiceUnavailable,
        ErrorCode::RequestInProgress => Text::ErrorInProgress,
        ErrorCode::GatewayUnavailable => Text::ErrorGatewayUnavailable,
        ErrorCode::AmountOutOfRange => Text::ErrorAmountOutOfRange,
        ErrorCode::UnknownPayment => Text::ErrorUnknownPayment,
        ErrorCode::UnknownReceipt => Text::ErrorUnknownReceipt,
        ErrorCode::Internal => Text::ErrorUnexpected,
        ErrorCode::InvalidStudent
        | ErrorCode::InvalidCode
        | ErrorCode::InvalidInvoiceIds
        | ErrorCode::InvalidGateway
        | ErrorCode::InvalidLocale
        | ErrorCode::InvalidIdempotencyKey
        | ErrorCode::MissingIdempotencyKey
        | ErrorCode::InvalidBody
        | ErrorCode::TooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::NoRoute
        | ErrorCode::MethodNotAllowed
        | ErrorCode::IdempotencyKeyReused
        | ErrorCode::Unknown => return None,
    })
}

/// Turns a received answer, its body parsed (`None` when it is not JSON), into the expected body
/// or the error it carries.
pub fn read_answer<T: Read, N: Node>(status: u16, body: Option<&N>) -> Result<T, ClientError> {
    if (200..300).contains(&status) {
        body.and_then(T::read)
            .ok_or(ClientError::Unexpected { status })
    } else {
        Err(ClientError::from_body(status, body))
    }
}

/// `GET /api/invoices`: the student and their open invoices.
pub async fn invoices(query: &LookupQuery) -> Result<InvoicesResponse, ClientError> {
    transport::get(&query.path(), READ_TIMEOUT).await
}

/// `POST /api/payments` under `key`; the same key must be sent again for a retry of the same
/// attempt.
pub async fn create_payment(
    request: &CreatePaymentRequest,
    key: &IdempotencyKey,
) -> Result<CreatePaymentResponse, ClientError> {
    transport::post("/api/payments", request, key, PAY_TIMEOUT).await
}

/// `GET /api/payments/{ref}`.
pub async fn payment_status(reference: &PaymentRef) -> Result<PaymentStatusResponse, ClientError> {
    transport::get(
        &format!("/api/payments/{}", reference.as_str()),
        READ_TIMEOUT,
    )
    .await
}

/// `GET /api/receipts/{id}?t=…&lang=…`: the receipt's printable document in `lang`.
pub async fn receipt(
    id: &ReceiptId,
    token: &ReceiptToken,
    lang: Lang,
) -> Result<ReceiptDocument, ClientError> {
    let path = format!(
        "/api/receipts/{}?t={}&lang={}",
        id.as_str(),
        token.as_str(),
        lang.code()
    );
    transport::get(&path, READ_TIMEOUT).await
}

/// `fetch` itself (`web_sys`), with an `AbortController` for the timeout: the page carries no
/// HTTP client library.
mod transport {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use hocphi_domain::IdempotencyKey;
    use leptos::prelude::set_timeout_with_handle;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, Headers, Request, RequestInit, Response};

    use super::{ClientError, read_answer};
    use crate::read::Read;
    use crate::write::Write;

    pub async fn get<T: Read>(path: &str, timeout: Duration) -> Result<T, ClientError> {
        let (status, body) = send(path, "GET", &[], None, timeout).await?;
        read_answer(status, body.as_ref())
    }

    pub async fn post<B: Write, T: Read>(
        path: &str,
        body: &B,
        key: &IdempotencyKey,
        timeout: Duration,
    ) -> Result<T, ClientError> {
        let json = crate::write::to_json(body);
        let headers = [
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key.as_str()),
        ];
        let (status, body) = send(path, "POST", &headers, Some(json), timeout).await?;
        read_answer(status, body.as_ref())
    }

    fn request(
        path: &str,
        method: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
        controller: Option<&AbortController>,
    ) -> Option<Request> {
        let list = Headers::new().ok()?;
        list.set("Accept", "application/json").ok()?;
        for (name, value) in headers {
            list.set(name, value).ok()?;
        }
        let init = RequestInit::new();
        init.set_method(method);
        init.set_headers(&list);
        if let Some(body) = body {
            init.set_body(&body.into());
        }
        init.set_signal(controller.map(AbortController::signal).as_ref());
        Request::new_with_str_and_init(path, &init).ok()
    }

    /// The answer's status and its body as the browser parsed it (`None` when it is not JSON):
    /// one fetch for every answer type, which only the callers' reading depends on.
    async fn send(
        path: &str,
        method: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
        timeout: Duration,
    ) -> Result<(u16, Option<JsValue>), ClientError> {
        if !crate::browser::online() {
            return Err(ClientError::Offline);
        }
        let window = web_sys::window().ok_or(ClientError::Network)?;
        let controller = AbortController::new().ok();
        let request = request(path, method, headers, body, controller.as_ref())
            .ok_or(ClientError::Network)?;
        let timed_out = Rc::new(Cell::new(false));
        let timer = {
            let timed_out = Rc::clone(&timed_out);
            set_timeout_with_handle(
                move || {
                    timed_out.set(true);
                    if let Some(controller) = controller {
                        controller.abort();
                    }
                },
                timeout,
            )
            .ok()
        };
        let answer = async {
            let response = JsFuture::from(window.fetch_with_request(&request))
                .await
                .ok()?
                .dyn_into::<Response>()
                .ok()?;
            let text = JsFuture::from(response.text().ok()?).await.ok()?;
            Some((response.status(), text))
        }
        .await;
        if let Some(timer) = timer {
            timer.clear();
        }
        match answer {
            Some((status, text)) => Ok((status, crate::browser::parse_json(&text))),
            None if timed_out.get() => Err(ClientError::Timeout),
            None if !crate::browser::online() => Err(ClientError::Offline),
            None => Err(ClientError::Network),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An answer's text as the browser parses it for the page (`None` when it is not JSON).
    fn parsed(body: &str) -> Option<serde_json::Value> {
        serde_json::from_str(body).ok()
    }

    fn from_response(status: u16, body: &str) -> ClientError {
        ClientError::from_body(status, parsed(body).as_ref())
    }

    fn answer<T: Read>(status: u16, body: &str) -> Result<T, ClientError> {
        read_answer(status, parsed(body).as_ref())
    }

    #[test]
    fn error_bodies_from_the_functions_are_read() {
        let body = r#"{"error":{"code":"not_found","message":"Không tìm thấy khoản thu nào."}}"#;
        assert_eq!(
            from_response(404, body),
            ClientError::Api {
                status: 404,
                code: ErrorCode::NotFound,
                message: "Không tìm thấy khoản thu nào.".into()
            }
        );
        assert_eq!(
            from_response(502, "<html>Bad gateway</html>"),
            ClientError::Unexpected { status: 502 }
        );
    }

    #[test]
    fn the_functions_vietnamese_sentence_is_shown_as_is() {
        let err = from_response(
            429,
            r#"{"error":{"code":"too_many_attempts","message":"Thử lại sau 15 phút."}}"#,
        );
        assert_eq!(err.message(Lang::Vi), "Thử lại sau 15 phút.");
        assert_eq!(
            err.message(Lang::En),
            Lang::En.text(Text::ErrorTooManyAttempts)
        );
        let unknown = from_response(
            400,
            r#"{"error":{"code":"invalid_locale","message":"Ngôn ngữ phải là vi hoặc en."}}"#,
        );
        assert_eq!(unknown.message(Lang::En), "Ngôn ngữ phải là vi hoặc en.");
        let blank = from_response(404, r#"{"error":{"code":"not_found","message":" "}}"#);
        assert_eq!(blank.message(Lang::Vi), Lang::Vi.text(Text::ErrorNotFound));
    }

    pub(crate) fn api(status: u16, code: ErrorCode) -> ClientError {
        ClientError::Api {
            status,
            code,
            message: String::new(),
        }
    }

    #[test]
    fn connection_problems_offer_a_retry_and_refusals_do_not() {
        let cases = [
            (ClientError::Offline, true),
            (ClientError::Timeout, true),
            (ClientError::Network, true),
            (ClientError::Unexpected { status: 502 }, true),
            (ClientError::Unexpected { status: 200 }, false),
            (ClientError::Unexpected { status: 429 }, true),
            (api(500, ErrorCode::Internal), true),
            (api(502, ErrorCode::GatewayUnavailable), true),
            (api(409, ErrorCode::RequestInProgress), true),
            (api(404, ErrorCode::NotFound), false),
            (api(429, ErrorCode::TooManyAttempts), false),
            (api(409, ErrorCode::InvoiceHeld), false),
        ];
        for (err, retry) in cases {
            assert_eq!(err.is_retryable(), retry, "{err:?}");
        }
    }

    #[test]
    fn a_status_poll_stops_only_on_a_refusal_in_the_functions_own_words() {
        let cases = [
            (ClientError::Unexpected { status: 200 }, true),
            (ClientError::Unexpected { status: 403 }, true),
            (ClientError::Timeout, true),
            (api(500, ErrorCode::Internal), true),
            (api(404, ErrorCode::UnknownPayment), false),
        ];
        for (err, keep) in cases {
            assert_eq!(err.keeps_polling(), keep, "{err:?}");
        }
    }

    #[test]
    fn a_success_must_have_the_contracts_shape() {
        let body = r#"{"payment_ref":"HP1","status":"pending","amount":"1500000","gateway":"vnpay",
            "invoices":["NQ-1"],"expires_at":"2025-10-05T07:18:00Z","failure_code":null,"receipt":null}"#;
        let status: PaymentStatusResponse = answer(200, body).unwrap();
        assert_eq!(status.amount.vnd(), 1_500_000);
        let float_amount = body.replace("\"1500000\"", "1500000.0");
        assert_eq!(
            answer::<PaymentStatusResponse>(200, &float_amount),
            Err(ClientError::Unexpected { status: 200 })
        );
        assert!(matches!(
            answer::<PaymentStatusResponse>(
                404,
                r#"{"error":{"code":"unknown_payment","message":"x"}}"#
            ),
            Err(ClientError::Api { status: 404, .. })
        ));
    }
}
