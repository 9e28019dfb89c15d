//! The one error type of the HTTP boundary and its one mapping to a status, a code and a
//! Vietnamese sentence a parent can act on.
//!
//! Invariant: a 5xx answer never says anything internal; its cause is logged once, here.

use hocphi_api::{ErrorBody, ErrorResponse};
use hocphi_domain::{ConflictReason, InvoiceId, StoreError};

/// Everything a route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid {field}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error("the request body is not valid JSON of the expected shape")]
    BadJson,
    #[error("the request body is too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("unknown student or wrong lookup code")]
    NotFound,
    #[error("too many wrong lookup codes for this student")]
    TooManyAttempts,
    #[error("no such payment")]
    UnknownPayment,
    #[error("no such receipt, or a wrong token")]
    UnknownReceipt,
    #[error("invoice {invoice} cannot be paid now ({reason:?})")]
    InvoiceUnavailable {
        invoice: InvoiceId,
        reason: ConflictReason,
    },
    #[error("an Idempotency-Key header is required")]
    MissingIdempotencyKey,
    #[error("the same request is still being processed")]
    InProgress,
    #[error("the Idempotency-Key was already used for another request")]
    KeyReused,
    #[error("this payment method is not offered")]
    GatewayNotOffered,
    #[error("the payment gateway could not be reached")]
    GatewayUnavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl ApiError {
    /// HTTP status, machine code and the parent-facing message.
    pub fn parts(&self) -> (u16, &'static str, &'static str) {
        match self {
            Self::Invalid { field, message } => (400, field_code(field), message),
            Self::BadJson => (400, "invalid_body", "Yêu cầu không đúng định dạng."),
            Self::TooLarge => (413, "too_large", "Yêu cầu quá lớn."),
            Self::UnsupportedMediaType => (
                415,
                "unsupported_media_type",
                "Yêu cầu phải gửi dữ liệu dạng JSON.",
            ),
            Self::NoRoute => (404, "no_route", "Không tìm thấy địa chỉ này."),
            Self::MethodNotAllowed { .. } => (
                405,
                "method_not_allowed",
                "Phương thức không được hỗ trợ cho địa chỉ này.",
            ),
            Self::NotFound => (
                404,
                "not_found",
                "Không tìm thấy khoản thu nào. Vui lòng kiểm tra lại mã học sinh và mã tra cứu in trên giấy báo học phí.",
            ),
            Self::TooManyAttempts => (
                429,
                "too_many_attempts",
                "Bạn đã nhập sai mã tra cứu quá nhiều lần. Vui lòng thử lại sau 15 phút.",
            ),
            Self::UnknownPayment => (404, "unknown_payment", "Không tìm thấy giao dịch này."),
            Self::UnknownReceipt => (
                404,
                "unknown_receipt",
                "Không tìm thấy biên lai, hoặc đường dẫn không đúng.",
            ),
            Self::InvoiceUnavailable { reason, .. } => match reason {
                ConflictReason::Held => (
                    409,
                    "invoice_held",
                    "Khoản thu này đang được thanh toán trong một giao dịch khác. Vui lòng đợi vài phút rồi thử lại.",
                ),
                ConflictReason::Missing | ConflictReason::NotOpen | ConflictReason::Changed => (
                    409,
                    "invoice_unavailable",
                    "Khoản thu đã được thanh toán hoặc đã thay đổi. Vui lòng tải lại danh sách.",
                ),
            },
            Self::MissingIdempotencyKey => (
                400,
                "missing_idempotency_key",
                "Thiếu khoá chống trùng lặp (Idempotency-Key).",
            ),
            Self::InProgress => (
                409,
                "request_in_progress",
                "Yêu cầu thanh toán đang được xử lý. Vui lòng đợi trong giây lát.",
            ),
            Self::KeyReused => (
                422,
                "idempotency_key_reused",
                "Khoá chống trùng lặp đã được dùng cho một yêu cầu khác.",
            ),
            Self::GatewayNotOffered => (
                400,
                "invalid_gateway",
                "Phương thức thanh toán này chưa được hỗ trợ.",
            ),
            Self::GatewayUnavailable(_) => (
                502,
                "gateway_unavailable",
                "Không kết nối được cổng thanh toán. Vui lòng thử lại sau ít phút.",
            ),
            Self::Internal(_) => (
                500,
                "internal",
                "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
            ),
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorResponse {
        let (_, code, message) = self.parts();
        ErrorResponse {
            error: ErrorBody {
                code: code.to_owned(),
                message: message.to_owned(),
            },
        }
    }

    /// Logs what must be logged: server-side failures with their cause chain, once.
    pub fn log(&self) {
        if let Self::Internal(cause) | Self::GatewayUnavailable(cause) = self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(next) = source {
                chain.push_str(": ");
                chain.push_str(&next.to_string());
                source = next.source();
            }
            tracing::error!(error = %self, cause = %chain, "request failed");
        }
    }
}

fn field_code(field: &str) -> &'static str {
    match field {
        "student" => "invalid_student",
        "code" => "invalid_code",
        "invoice_ids" => "invalid_invoice_ids",
        "gateway" => "invalid_gateway",
        "locale" => "invalid_locale",
        "ref" => "invalid_ref",
        "token" => "invalid_token",
        _ => "invalid_request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_failures_say_nothing_internal() {
        let err = ApiError::Internal(Box::new(StoreError::Corrupt("table hocphi-prod".into())));
        let body = serde_json::to_string(&err.body()).unwrap();
        assert!(!body.contains("hocphi-prod"), "{body}");
        assert_eq!(err.parts().0, 500);
    }
}
