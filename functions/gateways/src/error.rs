//! The errors of each boundary of this crate: configuration, checkout, verification and query.
//!
//! Invariant: no message quotes a secret, a signature or a signed value; a message names the field
//! at fault and the reason, which is enough to act on and safe to log.

use hocphi_domain::{GatewayKind, Payment};

/// Why a gateway could not be configured. Raised at start-up, so a bad or missing secret stops
/// the function instead of producing a gateway that signs with an empty key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("a gateway secret may not be empty")]
    SecretEmpty,
    #[error("a gateway secret must have at least {min} characters")]
    SecretTooShort { min: usize },
    #[error("a gateway secret may not start or end with white space")]
    SecretWhitespace,
    #[error("invalid {field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// Why no checkout could be produced for a payment.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("the payment is for {payment:?}, not for {gateway:?}")]
    WrongGateway {
        payment: GatewayKind,
        gateway: GatewayKind,
    },
    #[error("the payment has expired")]
    Expired,
    #[error("the return URL must be an absolute http(s) URL of 10 to 255 characters")]
    InvalidReturnUrl,
    #[error("the bank code must be 3 to 20 ASCII letters or digits")]
    InvalidBankCode,
    #[error("{gateway:?} accepts {min} to {max} VND for this method")]
    AmountOutOfRange {
        gateway: GatewayKind,
        min: u64,
        max: u64,
    },
    #[error("this gateway's checkout has no API step")]
    NoApiStep,
    #[error("could not encode the request")]
    Encode(#[source] serde_json::Error),
    #[error("the gateway's answer is not the expected JSON")]
    Malformed(#[source] serde_json::Error),
    #[error("the gateway's answer is about another order or amount")]
    Mismatch,
    #[error("the gateway refused the payment with code {code}")]
    Refused { code: String },
    #[error("the payment reference cannot name an order at this gateway")]
    UnsupportedReference,
    #[error("the gateway's answer does not carry its valid signature")]
    BadSignature,
    #[error("the payment's payee has no channel at this gateway")]
    NoChannel,
}

/// Why a callback was not accepted. Every variant is an answer, not a crash: the gateway still
/// gets its reply (see [`crate::CallbackOutcome::from_rejection`]).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the callback carries no signature")]
    MissingSignature,
    #[error("the signature is not a hex digest of the expected length")]
    MalformedSignature,
    #[error("the signature does not match the signed fields")]
    BadSignature,
    #[error("the field {0} appears more than once")]
    DuplicateField(String),
    #[error("the signed callback lacks {0}")]
    MissingField(&'static str),
    #[error("the signed callback has an invalid {0}")]
    InvalidField(&'static str),
    #[error("the callback is addressed to another merchant")]
    WrongMerchant,
    #[error("the signed reference is not one hocphi issues")]
    UnknownReference,
    #[error("the signed amount is not a valid VND amount")]
    InvalidAmount,
    #[error("the body is not the gateway's JSON notification")]
    NotJson(#[source] serde_json::Error),
}

impl VerifyError {
    /// A duplicated field, named without letting an attacker fill the logs.
    pub(crate) fn duplicate(name: &str) -> Self {
        Self::DuplicateField(name.chars().take(40).collect())
    }
}

/// Why a status query could not be made or its answer not used.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("the payment is for {payment:?}, not for {gateway:?}")]
    WrongGateway {
        payment: GatewayKind,
        gateway: GatewayKind,
    },
    #[error("could not encode the request")]
    Encode(#[source] serde_json::Error),
    #[error("the answer is not the gateway's JSON")]
    Malformed(#[source] serde_json::Error),
    #[error("the answer carries no signature")]
    MissingSignature,
    #[error("the answer's signature is not a hex digest of the expected length")]
    MalformedSignature,
    #[error("the answer's signature does not match")]
    BadSignature,
    #[error("the answer is addressed to another merchant")]
    WrongMerchant,
    #[error("the answer is about another payment")]
    WrongPayment,
    #[error("the answer has an invalid {0}")]
    InvalidField(&'static str),
    #[error("the gateway refused the query with code {code}")]
    Refused { code: String },
    #[error("the payment's payee has no channel at this gateway")]
    NoChannel,
}

impl CheckoutError {
    /// Refuses a payment of another channel than `gateway`.
    pub(crate) fn unless_for(payment: &Payment, gateway: GatewayKind) -> Result<(), Self> {
        if payment.gateway == gateway {
            Ok(())
        } else {
            Err(Self::WrongGateway {
                payment: payment.gateway,
                gateway,
            })
        }
    }
}

impl QueryError {
    /// Refuses a payment of another channel than `gateway`.
    pub(crate) fn unless_for(payment: &Payment, gateway: GatewayKind) -> Result<(), Self> {
        if payment.gateway == gateway {
            Ok(())
        } else {
            Err(Self::WrongGateway {
                payment: payment.gateway,
                gateway,
            })
        }
    }
}
