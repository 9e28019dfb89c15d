//! The one error type of the HTTP boundary and its one mapping to a status, a code and a
//! Vietnamese sentence a parent can act on.
//!
//! Invariant: a 5xx answer never says anything internal; its cause is logged once, here.

use hocphi_api::{ErrorBody, ErrorCode, ErrorResponse};
use hocphi_domain::{ConflictReason, GatewayKind, InvoiceId, StoreError};

/// Everything a route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid {}", field.name())]
    Invalid { field: Field, message: &'static str },
    /// The voluntary items chosen cannot be paid with these invoices: well-formed, but not
    /// something the invoices offer.
    #[error("invalid voluntary choice")]
    Voluntary { message: &'static str },
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
    #[error("the total is outside what {gateway:?} takes in one payment")]
    AmountOutOfRange { gateway: GatewayKind },
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
    pub fn parts(&self) -> (u16, ErrorCode, &'static str) {
        match self {
            Self::Invalid { field, message } => (400, field.code(), message),
            Self::Voluntary { message } => (422, ErrorCode::InvalidInvoiceIds, message),
            Self::BadJson => (400, ErrorCode::InvalidBody, "Yêu cầu không đúng định dạng."),
            Self::TooLarge => (413, ErrorCode::TooLarge, "Yêu cầu quá lớn."),
            Self::UnsupportedMediaType => (
                415,
                ErrorCode::UnsupportedMediaType,
                "Yêu cầu phải gửi dữ liệu dạng JSON.",
            ),
            Self::NoRoute => (404, ErrorCode::NoRoute, "Không tìm thấy địa chỉ này."),
            Self::MethodNotAllowed { .. } => (
                405,
                ErrorCode::MethodNotAllowed,
                "Phương thức không được hỗ trợ cho địa chỉ này.",
            ),
            Self::NotFound => (
                404,
                ErrorCode::NotFound,
                "Không tìm thấy khoản thu nào. Vui lòng kiểm tra lại mã học sinh và mã tra cứu in trên giấy báo học phí.",
            ),
            Self::TooManyAttempts => (
                429,
                ErrorCode::TooManyAttempts,
                "Bạn đã nhập sai mã tra cứu quá nhiều lần. Vui lòng thử lại sau 15 phút.",
            ),
            Self::UnknownPayment => (
                404,
                ErrorCode::UnknownPayment,
                "Không tìm thấy giao dịch này.",
            ),
            Self::UnknownReceipt => (
                404,
                ErrorCode::UnknownReceipt,
                "Không tìm thấy biên lai, hoặc đường dẫn không đúng.",
            ),
            Self::InvoiceUnavailable { reason, .. } => match reason {
                ConflictReason::Held => (
                    409,
                    ErrorCode::InvoiceHeld,
                    "Khoản thu này đang được thanh toán trong một giao dịch khác. Vui lòng đợi vài phút rồi thử lại.",
                ),
                ConflictReason::Missing | ConflictReason::NotOpen | ConflictReason::Changed => (
                    409,
                    ErrorCode::InvoiceUnavailable,
                    "Khoản thu đã được thanh toán hoặc đã thay đổi. Vui lòng tải lại danh sách.",
                ),
            },
            Self::MissingIdempotencyKey => (
                400,
                ErrorCode::MissingIdempotencyKey,
                "Thiếu khoá chống trùng lặp (Idempotency-Key).",
            ),
            Self::InProgress => (
                409,
                ErrorCode::RequestInProgress,
                "Yêu cầu thanh toán đang được xử lý. Vui lòng đợi trong giây lát.",
            ),
            Self::KeyReused => (
                422,
                ErrorCode::IdempotencyKeyReused,
                "Khoá chống trùng lặp đã được dùng cho một yêu cầu khác.",
            ),
            Self::GatewayNotOffered => (
                400,
                ErrorCode::InvalidGateway,
                "Phương thức thanh toán này chưa được hỗ trợ.",
            ),
            Self::AmountOutOfRange { .. } => (
                400,
                ErrorCode::AmountOutOfRange,
                "Tổng số tiền nằm ngoài hạn mức một lần thanh toán của phương thức này. Vui lòng chọn ít khoản thu hơn hoặc chọn phương thức thanh toán khác.",
            ),
            Self::GatewayUnavailable(_) => (
                502,
                ErrorCode::GatewayUnavailable,
                "Không kết nối được cổng thanh toán. Vui lòng thử lại sau ít phút.",
            ),
            Self::Internal(_) => (
                500,
                ErrorCode::Internal,
                "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
            ),
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorResponse {
        let (_, code, message) = self.parts();
        ErrorResponse {
            error: ErrorBody {
                code,
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

/// A request field that can be malformed, each answered with its own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The student code (query or body).
    Student,
    /// The lookup code (query or body).
    Code,
    /// The body's `invoice_ids`.
    InvoiceIds,
    /// The body's `gateway`.
    Gateway,
    /// The body's `locale`.
    Locale,
    /// The `Idempotency-Key` header.
    IdempotencyKey,
}

impl Field {
    /// The field's name in the request.
    pub fn name(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Code => "code",
            Self::InvoiceIds => "invoice_ids",
            Self::Gateway => "gateway",
            Self::Locale => "locale",
            Self::IdempotencyKey => "Idempotency-Key",
        }
    }

    /// The code an answer about this field carries.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Student => ErrorCode::InvalidStudent,
            Self::Code => ErrorCode::InvalidCode,
            Self::InvoiceIds => ErrorCode::InvalidInvoiceIds,
            Self::Gateway => ErrorCode::InvalidGateway,
            Self::Locale => ErrorCode::InvalidLocale,
            Self::IdempotencyKey => ErrorCode::InvalidIdempotencyKey,
        }
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

    #[test]
    fn each_malformed_field_answers_its_own_code() {
        let fields = [
            Field::Student,
            Field::Code,
            Field::InvoiceIds,
            Field::Gateway,
            Field::Locale,
            Field::IdempotencyKey,
        ];
        let codes: std::collections::HashSet<_> = fields.iter().map(|f| f.code()).collect();
        assert_eq!(codes.len(), fields.len());
        assert!(!codes.contains(&ErrorCode::Unknown));
    }
}
