//! The result page's rules: what each payment status means for the parent, what they should do
//! next, and how often the page asks while the bank has not answered.
//!
//! Every match over [`PaymentStatus`] is exhaustive, so a new status cannot reach parents
//! without its own words. Polling starts fast, because the gateway's notice usually lands
//! within seconds, then backs off and stops after [`Backoff::BUDGET_MS`], leaving a "check
//! again" button: a phone is never kept busy for long.

use hocphi_domain::{GatewayKind, PaymentStatus};

use crate::i18n::Text;

/// How the outcome is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Waiting,
    Good,
    Bad,
    Notice,
}

impl Tone {
    /// The CSS modifier of the outcome panel.
    pub fn class(self) -> &'static str {
        match self {
            Self::Waiting => "outcome outcome--waiting",
            Self::Good => "outcome outcome--good",
            Self::Bad => "outcome outcome--bad",
            Self::Notice => "outcome outcome--notice",
        }
    }
}

/// What the parent should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Nothing: the page keeps asking.
    Wait,
    /// Open the receipt.
    OpenReceipt,
    /// Go back to the form, student pre-filled, and pay again.
    PayAgain,
    /// Keep the reference; the school will refund.
    KeepReference,
}

/// A status in plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub tone: Tone,
    pub title: Text,
    pub body: Text,
    pub next: NextStep,
}

/// The words and next step for a status of a payment through `gateway`.
pub fn outcome(gateway: GatewayKind, status: PaymentStatus) -> Outcome {
    let (tone, title, body, next) = match status {
        PaymentStatus::Expired if gateway == GatewayKind::Payos => (
            Tone::Notice,
            Text::QrExpiredTitle,
            Text::QrExpiredBody,
            NextStep::PayAgain,
        ),
        PaymentStatus::Pending => (
            Tone::Waiting,
            Text::PendingTitle,
            Text::PendingBody,
            NextStep::Wait,
        ),
        PaymentStatus::Succeeded => (
            Tone::Good,
            Text::SucceededTitle,
            Text::SucceededBody,
            NextStep::OpenReceipt,
        ),
        PaymentStatus::Failed => (
            Tone::Bad,
            Text::FailedTitle,
            Text::FailedBody,
            NextStep::PayAgain,
        ),
        PaymentStatus::Expired => (
            Tone::Notice,
            Text::ExpiredTitle,
            Text::ExpiredBody,
            NextStep::PayAgain,
        ),
        PaymentStatus::RefundDue => (
            Tone::Notice,
            Text::RefundTitle,
            Text::RefundBody,
            NextStep::KeepReference,
        ),
        PaymentStatus::Mismatched => (
            Tone::Bad,
            Text::MismatchedTitle,
            Text::MismatchedBody,
            NextStep::KeepReference,
        ),
    };
    Outcome {
        tone,
        title,
        body,
        next,
    }
}

/// Why a payment failed, in words, from the gateway's result code when the page knows it.
pub fn failure_reason(gateway: GatewayKind, code: Option<&str>) -> Option<Text> {
    let code = code?;
    if code == "UNREACHABLE" {
        return Some(Text::ReasonGatewayUnreachable);
    }
    match gateway {
        // The portal platform's result codes are not public (only `00`, paid, is known), and a
        // partner's payment never fails: neither has words of its own.
        GatewayKind::Dvcqg | GatewayKind::Partner => None,
        GatewayKind::Vnpay => match code {
            "24" => Some(Text::ReasonCancelled),
            "11" => Some(Text::ReasonTimedOut),
            "51" => Some(Text::ReasonInsufficientFunds),
            "65" => Some(Text::ReasonLimit),
            "75" => Some(Text::ReasonBankMaintenance),
            "09" | "10" | "12" | "13" | "79" => Some(Text::ReasonBankRefused),
            _ => None,
        },
        GatewayKind::Momo => match code {
            "1003" | "1006" => Some(Text::ReasonCancelled),
            "1005" => Some(Text::ReasonTimedOut),
            "1001" => Some(Text::ReasonInsufficientFunds),
            "1004" => Some(Text::ReasonLimit),
            "1002" | "1007" => Some(Text::ReasonBankRefused),
            _ => None,
        },
        GatewayKind::Payos => match code {
            "CANCELLED" => Some(Text::ReasonCancelled),
            "EXPIRED" => Some(Text::ReasonTimedOut),
            _ => None,
        },
    }
}

/// The waits between two status checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    budget_ms: u32,
    waited_ms: u32,
    next_ms: u32,
    fast_left: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            budget_ms: Self::BUDGET_MS,
            waited_ms: 0,
            next_ms: Self::FIRST_MS,
            fast_left: Self::FAST_CHECKS,
        }
    }
}

impl Backoff {
    /// The wait between the first checks.
    pub const FIRST_MS: u32 = 2_000;
    /// How many checks come [`Self::FIRST_MS`] apart before the waits grow.
    pub const FAST_CHECKS: u32 = 15;
    /// The longest wait between two checks.
    pub const LONGEST_MS: u32 = 15_000;
    /// After this much waiting the page stops asking on its own.
    pub const BUDGET_MS: u32 = 5 * 60 * 1_000;

    /// After this much waiting past a bank transfer's expiry the page stops asking: a transfer
    /// made in the last seconds is still seen.
    pub const AFTER_EXPIRY_MS: u32 = 2 * 60 * 1_000;
    /// The longest a bank transfer screen asks on its own.
    pub const TRANSFER_BUDGET_MS: u32 = 35 * 60 * 1_000;

    /// The schedule while a bank transfer's QR code is shown: the same waits, asking until
    /// [`Self::AFTER_EXPIRY_MS`] past the QR code's expiry (`left_ms` from now), never less than
    /// [`Self::BUDGET_MS`] nor more than [`Self::TRANSFER_BUDGET_MS`].
    pub fn for_transfer(left_ms: i64) -> Self {
        let wanted = left_ms.saturating_add(i64::from(Self::AFTER_EXPIRY_MS));
        let budget = wanted.clamp(
            i64::from(Self::BUDGET_MS),
            i64::from(Self::TRANSFER_BUDGET_MS),
        );
        Self {
            budget_ms: u32::try_from(budget).unwrap_or(Self::BUDGET_MS),
            ..Self::default()
        }
    }

    /// The wait before the next check, or `None` once the budget is spent.
    pub fn next_wait_ms(&mut self) -> Option<u32> {
        if self.waited_ms >= self.budget_ms {
            return None;
        }
        let wait = self.next_ms.min(self.budget_ms - self.waited_ms);
        self.waited_ms += wait;
        if self.fast_left > 0 {
            self.fast_left -= 1;
        } else {
            self.next_ms = (self.next_ms + self.next_ms / 2).min(Self::LONGEST_MS);
        }
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_its_words_and_next_step() {
        use PaymentStatus::*;
        let expected = [
            (Pending, Tone::Waiting, NextStep::Wait),
            (Succeeded, Tone::Good, NextStep::OpenReceipt),
            (Failed, Tone::Bad, NextStep::PayAgain),
            (Expired, Tone::Notice, NextStep::PayAgain),
            (RefundDue, Tone::Notice, NextStep::KeepReference),
            (Mismatched, Tone::Bad, NextStep::KeepReference),
        ];
        for gateway in GatewayKind::ALL {
            for (status, tone, next) in expected {
                let shown = outcome(gateway, status);
                assert_eq!((shown.tone, shown.next), (tone, next), "{status:?}");
            }
            let titles: std::collections::HashSet<_> = PaymentStatus::ALL
                .iter()
                .map(|s| outcome(gateway, *s).title)
                .collect();
            assert_eq!(
                titles.len(),
                PaymentStatus::ALL.len(),
                "one title per status"
            );
        }
    }

    #[test]
    fn only_the_pending_status_keeps_the_page_waiting() {
        for status in PaymentStatus::ALL {
            assert_eq!(
                outcome(GatewayKind::Vnpay, status).next == NextStep::Wait,
                !status.is_terminal(),
                "{status:?}"
            );
        }
    }

    #[test]
    fn money_that_does_not_match_is_never_a_receipt_and_an_expired_qr_says_so() {
        for gateway in GatewayKind::ALL {
            let mismatched = outcome(gateway, PaymentStatus::Mismatched);
            assert_eq!(mismatched.title, Text::MismatchedTitle);
            assert_eq!(mismatched.body, Text::MismatchedBody);
            assert_ne!(mismatched.next, NextStep::OpenReceipt);
        }
        let expired = outcome(GatewayKind::Payos, PaymentStatus::Expired);
        assert_eq!(
            (expired.title, expired.next),
            (Text::QrExpiredTitle, NextStep::PayAgain)
        );
        assert_eq!(
            outcome(GatewayKind::Vnpay, PaymentStatus::Expired).title,
            Text::ExpiredTitle
        );
    }

    #[test]
    fn a_transfer_screen_asks_until_just_after_the_qr_code_expires() {
        let total =
            |mut backoff: Backoff| std::iter::from_fn(|| backoff.next_wait_ms()).sum::<u32>();
        assert_eq!(
            total(Backoff::for_transfer(15 * 60 * 1_000)),
            17 * 60 * 1_000
        );
        assert_eq!(total(Backoff::for_transfer(0)), Backoff::BUDGET_MS);
        assert_eq!(total(Backoff::for_transfer(-60_000)), Backoff::BUDGET_MS);
        assert_eq!(
            total(Backoff::for_transfer(i64::MAX)),
            Backoff::TRANSFER_BUDGET_MS
        );
        let mut backoff = Backoff::for_transfer(15 * 60 * 1_000);
        let waits: Vec<u32> = std::iter::from_fn(|| backoff.next_wait_ms()).collect();
        assert!(waits[..15].iter().all(|w| *w == Backoff::FIRST_MS));
        assert!(waits.iter().all(|w| *w <= Backoff::LONGEST_MS));
    }

    #[test]
    fn known_gateway_codes_are_explained() {
        let cases = [
            (GatewayKind::Vnpay, Some("24"), Some(Text::ReasonCancelled)),
            (
                GatewayKind::Vnpay,
                Some("51"),
                Some(Text::ReasonInsufficientFunds),
            ),
            (
                GatewayKind::Vnpay,
                Some("13"),
                Some(Text::ReasonBankRefused),
            ),
            (GatewayKind::Vnpay, Some("99"), None),
            (GatewayKind::Vnpay, None, None),
            (
                GatewayKind::Vnpay,
                Some("UNREACHABLE"),
                Some(Text::ReasonGatewayUnreachable),
            ),
            (GatewayKind::Momo, Some("1006"), Some(Text::ReasonCancelled)),
            (GatewayKind::Momo, Some("24"), None),
            (
                GatewayKind::Payos,
                Some("CANCELLED"),
                Some(Text::ReasonCancelled),
            ),
            (GatewayKind::Payos, Some("24"), None),
            (GatewayKind::Dvcqg, Some("24"), None),
            (
                GatewayKind::Dvcqg,
                Some("UNREACHABLE"),
                Some(Text::ReasonGatewayUnreachable),
            ),
        ];
        for (gateway, code, reason) in cases {
            assert_eq!(
                failure_reason(gateway, code),
                reason,
                "{gateway:?} {code:?}"
            );
        }
    }

    #[test]
    fn polling_starts_every_two_seconds_then_backs_off_and_stops_after_five_minutes() {
        let mut backoff = Backoff::default();
        let waits: Vec<u32> = std::iter::from_fn(|| backoff.next_wait_ms()).collect();
        assert!(waits[..15].iter().all(|w| *w == 2_000), "{waits:?}");
        assert_eq!(&waits[15..19], &[2_000, 3_000, 4_500, 6_750]);
        assert!(waits.windows(2).take(waits.len() - 2).all(|w| w[0] <= w[1]));
        assert!(waits.iter().all(|w| *w <= Backoff::LONGEST_MS));
        assert_eq!(waits.iter().sum::<u32>(), Backoff::BUDGET_MS);
        assert!(waits.len() < 40, "{} checks is too many", waits.len());
        assert_eq!(backoff.next_wait_ms(), None);
    }
}
