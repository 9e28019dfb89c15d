//! The log messages the operators' alarms watch: each deployed stack has a metric filter on
//! `$.message` for every one of [`ALARMED`] (the template checks hold the template to this list),
//! so a use case logs them only through these constants.

/// A callback failed verification (a forged, tampered or misaddressed notification).
pub const CALLBACK_REJECTED: &str = "callback rejected";
/// The sweeper found a payment that only an operator can resolve.
pub const NEEDS_REVIEW: &str = "payment needs an operator's review";
/// The sweeper could not finish one payment.
pub const SWEEP_FAILED: &str = "sweep of one payment failed";

/// Every alarmed message.
pub const ALARMED: [&str; 3] = [CALLBACK_REJECTED, NEEDS_REVIEW, SWEEP_FAILED];
