//! Paying: which invoices and voluntary lines are ticked, what they cost with the gateway's fee,
//! the request sent, and the idempotency key of each attempt.
//!
//! Invariants: an invoice's required lines are paid with it or not at all (only whole invoices
//! are ticked); a voluntary line is never ticked at first, is ticked only beside its ticked
//! invoice, and adds its amount to what is paid. An attempt is one student, one set of invoices
//! and voluntary lines and one gateway under one
//! `Idempotency-Key`. Sending it again (a double tap, a retry after a timeout, the back button
//! from the gateway while the payment is still open) reuses the key, so the functions answer
//! with the same payment instead of opening a second one. A new key is drawn only when the
//! selection or the gateway changes, when the functions have stored a refusal for the key (which
//! they would replay), or when the payment it opened has expired or ended.

use chrono::{DateTime, Duration, Utc};
use hocphi_api::{
    BankTransfer, CreatePaymentRequest, CreatePaymentResponse, ErrorCode, InvoiceView,
    VoluntaryChoice,
};
use hocphi_domain::{
    GatewayKind, IdempotencyKey, InvoiceId, LineKind, Money, MoneyError, PaymentRef,
};

use crate::api::ClientError;
use crate::i18n::Lang;
use crate::lookup::LookupQuery;

/// What a payment method costs the parent on top of the fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fee {
    Free,
    Charged(Money),
}

/// A payment method the page offers, with its fee shown before paying and the amounts it takes
/// in one payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub gateway: GatewayKind,
    pub fee: Fee,
    /// The smallest and largest total in VND, when the channel documents them.
    pub limits: Option<(u64, u64)>,
}

impl Offer {
    /// Whether the channel takes `total` in one payment; the functions refuse any other total
    /// before a payment is made, so the page offers the method only for these.
    pub fn accepts(self, total: Money) -> bool {
        self.limits
            .is_none_or(|(min, max)| (min..=max).contains(&total.vnd()))
    }
}

/// VNPay QR: the parent pays no fee.
pub const VNPAY_QR: Offer = Offer {
    gateway: GatewayKind::Vnpay,
    fee: Fee::Free,
    limits: None,
};

/// A bank transfer by VietQR through payOS: the parent pays no fee, and payOS's documentation
/// (payos.vn/docs, create payment link) names no smallest or largest amount, so the page sets
/// none.
pub const BANK_TRANSFER: Offer = Offer {
    gateway: GatewayKind::Payos,
    fee: Fee::Free,
    limits: None,
};

/// The MoMo wallet: the parent pays no fee; MoMo takes 1.000 ₫ to 50.000.000 ₫ in one wallet
/// payment (developers.momo.vn, one-time payments), as the functions' MoMo module says.
pub const MOMO_WALLET: Offer = Offer {
    gateway: GatewayKind::Momo,
    fee: Fee::Free,
    limits: Some((1_000, 50_000_000)),
};

/// The national public-service portal's payment platform: the parent chooses a bank or wallet
/// there. Its fees and limits are not public (no public specification of the platform exists),
/// so the page shows none.
pub const PORTAL: Offer = Offer {
    gateway: GatewayKind::Dvcqg,
    fee: Fee::Free,
    limits: None,
};

/// The methods to offer for the gateways the province has, in its order; VNPay QR when the
/// answer names none. A bill-payment partner is never one.
pub fn offers(gateways: &[GatewayKind]) -> Vec<Offer> {
    let offers: Vec<Offer> = gateways
        .iter()
        .filter_map(|kind| match kind {
            GatewayKind::Vnpay => Some(VNPAY_QR),
            GatewayKind::Momo => Some(MOMO_WALLET),
            GatewayKind::Payos => Some(BANK_TRANSFER),
            GatewayKind::Dvcqg => Some(PORTAL),
            GatewayKind::Partner => None,
        })
        .collect();
    if offers.is_empty() {
        vec![VNPAY_QR]
    } else {
        offers
    }
}

/// The method chosen at first: the gateway of this student's saved attempt (back from it, Pay
/// then reopens that payment), else the first offered.
pub fn first_choice(offers: &[Offer], saved: Option<&Attempt>, query: &LookupQuery) -> Offer {
    saved
        .filter(|a| a.student == query.student.as_str())
        .and_then(|a| offers.iter().find(|o| o.gateway == a.gateway))
        .or(offers.first())
        .copied()
        .unwrap_or(VNPAY_QR)
}

/// A voluntary line the parent ticked: its invoice and its position in the invoice's items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub invoice: InvoiceId,
    pub line: u16,
}

/// The ticked invoices and voluntary lines, kept in the order they are listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    invoices: Vec<InvoiceId>,
    voluntary: Vec<Chosen>,
}

/// The amount of `invoice`'s line `line` if it is a voluntary line.
fn voluntary_amount(invoice: &InvoiceView, line: u16) -> Option<Money> {
    invoice
        .items
        .get(usize::from(line))
        .filter(|item| item.kind == LineKind::Voluntary)
        .map(|item| item.amount)
}

impl Selection {
    /// Every listed invoice and no voluntary line: most parents pay everything due at once, and
    /// a voluntary line is never chosen for them.
    pub fn all(invoices: &[InvoiceView]) -> Self {
        Self {
            invoices: invoices.iter().map(|i| i.id.clone()).collect(),
            voluntary: Vec::new(),
        }
    }

    /// Ticks or unticks one invoice (unticking it drops its voluntary lines); an id that is not
    /// listed is ignored.
    pub fn toggle(&mut self, id: &InvoiceId, invoices: &[InvoiceView]) {
        let ticked = !self.contains(id);
        self.invoices = invoices
            .iter()
            .map(|i| &i.id)
            .filter(|listed| {
                if *listed == id {
                    ticked
                } else {
                    self.contains(listed)
                }
            })
            .cloned()
            .collect();
        self.voluntary
            .retain(|c| self.invoices.contains(&c.invoice));
    }

    /// Ticks or unticks a voluntary line of a ticked invoice; anything else is ignored.
    pub fn toggle_voluntary(&mut self, id: &InvoiceId, line: u16, invoices: &[InvoiceView]) {
        let Some(invoice) = invoices.iter().find(|i| &i.id == id) else {
            return;
        };
        if !self.contains(id) || voluntary_amount(invoice, line).is_none() {
            return;
        }
        let ticked = !self.chose(id, line);
        let mut chosen: Vec<Chosen> = Vec::new();
        for listed in invoices {
            for position in 0..u16::try_from(listed.items.len()).unwrap_or(u16::MAX) {
                let this = &listed.id == id && position == line;
                if (this && ticked) || (!this && self.chose(&listed.id, position)) {
                    chosen.push(Chosen {
                        invoice: listed.id.clone(),
                        line: position,
                    });
                }
            }
        }
        self.voluntary = chosen;
    }

    pub fn contains(&self, id: &InvoiceId) -> bool {
        self.invoices.contains(id)
    }

    /// True when the parent ticked line `line` of invoice `id`.
    pub fn chose(&self, id: &InvoiceId, line: u16) -> bool {
        self.voluntary
            .iter()
            .any(|c| &c.invoice == id && c.line == line)
    }

    pub fn ids(&self) -> &[InvoiceId] {
        &self.invoices
    }

    /// The voluntary lines ticked, in listing order.
    pub fn voluntary(&self) -> &[Chosen] {
        &self.voluntary
    }

    pub fn is_empty(&self) -> bool {
        self.invoices.is_empty()
    }

    pub fn len(&self) -> usize {
        self.invoices.len()
    }
}

/// What the parent sees before paying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// The ticked invoices' totals and the ticked voluntary lines.
    pub fees: Money,
    /// The ticked voluntary lines, if any.
    pub voluntary: Option<Money>,
    pub fee: Fee,
    pub total: Money,
}

/// The price of a selection through an offer: each ticked invoice's total (what it requires)
/// and each ticked voluntary line; `None` when nothing is ticked.
pub fn quote(
    selection: &Selection,
    invoices: &[InvoiceView],
    offer: Offer,
) -> Option<Result<Quote, MoneyError>> {
    if selection.is_empty() {
        return None;
    }
    let required = invoices
        .iter()
        .filter(|i| selection.contains(&i.id))
        .map(|i| i.total);
    let voluntary: Vec<Money> = selection
        .voluntary()
        .iter()
        .filter_map(|c| {
            let invoice = invoices.iter().find(|i| i.id == c.invoice)?;
            voluntary_amount(invoice, c.line)
        })
        .collect();
    Some(priced(required, &voluntary, offer))
}

/// The fees (required totals and chosen voluntary amounts) and what the parent pays with `offer`.
fn priced(
    required: impl Iterator<Item = Money>,
    voluntary: &[Money],
    offer: Offer,
) -> Result<Quote, MoneyError> {
    let voluntary = match voluntary {
        [] => None,
        some => Some(Money::sum(some.iter().copied())?),
    };
    let mut fees = Money::sum(required)?;
    if let Some(extra) = voluntary {
        fees = fees.checked_add(extra)?;
    }
    let total = match offer.fee {
        Fee::Free => fees,
        Fee::Charged(fee) => fees.checked_add(fee)?,
    };
    Ok(Quote {
        fees,
        voluntary,
        fee: offer.fee,
        total,
    })
}

/// The body of `POST /api/payments`.
pub fn payment_request(
    query: &LookupQuery,
    selection: &Selection,
    offer: Offer,
    lang: Lang,
) -> CreatePaymentRequest {
    CreatePaymentRequest {
        student: query.student.as_str().to_owned(),
        code: query.code_text(),
        invoice_ids: selection
            .ids()
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect(),
        gateway: offer.gateway.as_str().to_owned(),
        locale: Some(lang.code().to_owned()),
        voluntary: selection
            .voluntary()
            .iter()
            .map(|c| VoluntaryChoice {
                invoice_id: c.invoice.as_str().to_owned(),
                line: c.line,
            })
            .collect(),
    }
}

/// A random (version 4) UUID from 16 bytes of entropy: the `Idempotency-Key` of an attempt.
pub fn idempotency_key(mut entropy: [u8; 16]) -> IdempotencyKey {
    entropy[6] = (entropy[6] & 0x0f) | 0x40;
    entropy[8] = (entropy[8] & 0x3f) | 0x80;
    let hex: String = entropy.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    IdempotencyKey::parse(&text).unwrap_or_else(|_| unreachable!("a UUID is a valid key"))
}

/// The payment an attempt opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub payment_ref: PaymentRef,
    pub expires_at: DateTime<Utc>,
    /// The bank transfer to show (payOS), kept so that a reload shows the same QR code.
    pub transfer: Option<Transfer>,
}

/// A bank transfer the page shows on the site, with the gateway's own page as the fallback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub details: BankTransfer,
    /// payOS's hosted checkout page (`checkoutUrl`), for when the QR code cannot be shown.
    pub checkout_url: String,
}

/// One attempt to pay, remembered for the browser tab (sessionStorage) so a reload or the back
/// button from the gateway still finds its key. Written as JSON by [`crate::write`], read
/// back by [`crate::read`]: an attempt saved with no `voluntary` chose none, one with no `gateway`
/// (saved before the page offered others) was VNPay's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub student: String,
    pub invoices: Vec<InvoiceId>,
    pub voluntary: Vec<Chosen>,
    pub gateway: GatewayKind,
    pub key: IdempotencyKey,
    pub opened: Option<Opened>,
}

/// What the functions' refusal means for the attempt's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFate {
    /// Nothing was stored under the key (or the same answer is wanted): retry with it.
    Keep,
    /// The functions stored this refusal and would replay it: the next try needs a new key.
    Discard,
}

impl Attempt {
    /// Where a sessionStorage copy is kept.
    pub const STORAGE_KEY: &'static str = "hocphi.attempt";

    /// A payment this close to its expiry is not resumed: the parent would reach the gateway
    /// with too little time to pay.
    pub const RESUME_MARGIN_SECONDS: i64 = 60;

    /// The attempt to send for this student, selection and gateway: `previous` when it is the
    /// same attempt and can still be resumed, otherwise a new one under a key drawn from
    /// `entropy`.
    pub fn for_selection(
        previous: Option<Attempt>,
        query: &LookupQuery,
        selection: &Selection,
        gateway: GatewayKind,
        now: DateTime<Utc>,
        entropy: impl FnOnce() -> [u8; 16],
    ) -> Attempt {
        let same = |a: &Attempt| {
            a.student == query.student.as_str()
                && a.invoices == selection.ids()
                && a.voluntary == selection.voluntary()
                && a.gateway == gateway
                && (a.opened.is_none() || a.resumable(now))
        };
        match previous {
            Some(attempt) if same(&attempt) => attempt,
            Some(_) | None => Attempt {
                student: query.student.as_str().to_owned(),
                invoices: selection.ids().to_vec(),
                voluntary: selection.voluntary().to_vec(),
                gateway,
                key: idempotency_key(entropy()),
                opened: None,
            },
        }
    }

    /// True when the attempt opened a payment that can still be resumed.
    fn resumable(&self, now: DateTime<Utc>) -> bool {
        self.opened
            .as_ref()
            .is_some_and(|o| now + Duration::seconds(Self::RESUME_MARGIN_SECONDS) < o.expires_at)
    }

    /// True when saving this attempt before it is sent would hide `stored`: another attempt
    /// whose payment can still be resumed. This one is then saved only once it is accepted.
    pub fn would_hide(&self, stored: Option<&Attempt>, now: DateTime<Utc>) -> bool {
        stored.is_some_and(|s| s.key != self.key && s.resumable(now))
    }

    /// True when the attempt opened `reference`: a result page forgets only its own attempt.
    pub fn opened_payment(&self, reference: &PaymentRef) -> bool {
        self.opened
            .as_ref()
            .is_some_and(|o| &o.payment_ref == reference)
    }

    /// Records the payment the attempt opened.
    pub fn opened(mut self, created: &CreatePaymentResponse) -> Attempt {
        self.opened = Some(Opened {
            payment_ref: created.payment_ref.clone(),
            expires_at: created.expires_at,
            transfer: created.transfer.clone().map(|details| Transfer {
                details,
                checkout_url: created.redirect_url.clone(),
            }),
        });
        self
    }

    /// The payment a return from payOS's hosted page is about. payOS's return address names
    /// only its own `orderCode`, so the page follows the payOS payment this tab opened.
    pub fn payos_return(stored: Option<&Attempt>) -> Option<PaymentRef> {
        stored
            .filter(|a| a.gateway == GatewayKind::Payos)
            .and_then(|a| a.opened.as_ref())
            .map(|o| o.payment_ref.clone())
    }

    /// What a failed try means for the key (see the functions' idempotency rules: a 201 or a
    /// 409 about the invoices is stored and replayed; anything else releases the key).
    pub fn fate_after(err: &ClientError) -> KeyFate {
        match err.code() {
            Some(
                ErrorCode::InvoiceHeld
                | ErrorCode::InvoiceUnavailable
                | ErrorCode::IdempotencyKeyReused,
            ) => KeyFate::Discard,
            Some(_) | None => KeyFate::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use hocphi_api::ItemView;
    use hocphi_domain::{LookupCode, PaymentStatus, StudentCode};

    use super::*;
    use crate::api::tests::api;
    use crate::fixtures::bank_transfer;

    fn invoice(id: &str, amounts: &[u64]) -> InvoiceView {
        let items: Vec<ItemView> = amounts
            .iter()
            .map(|a| ItemView {
                description: format!("Khoản {a}"),
                amount: Money::from_vnd(*a).unwrap(),
                kind: Default::default(),
                pricing: None,
                beneficiary: None,
            })
            .collect();
        InvoiceView {
            id: InvoiceId::parse(id).unwrap(),
            school_year: "2025-2026".into(),
            term: "Học kỳ I".into(),
            total: Money::sum(items.iter().map(|i| i.amount)).unwrap(),
            items,
            due_date: NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        }
    }

    fn listed() -> Vec<InvoiceView> {
        vec![
            invoice("NQ-1", &[1_000_000, 500_000]),
            invoice("NQ-2", &[250_000]),
            invoice("NQ-3", &[75_000]),
        ]
    }

    /// A public school's invoice: meals, health insurance on behalf, and a voluntary line (2).
    fn with_voluntary(id: &str) -> InvoiceView {
        let mut view = invoice(id, &[525_000, 884_520, 100_000]);
        view.items[1].kind = LineKind::OnBehalf;
        view.items[2].kind = LineKind::Voluntary;
        view.total = Money::from_vnd(1_409_520).unwrap();
        view
    }

    fn query() -> LookupQuery {
        LookupQuery {
            student: StudentCode::parse("HS001234").unwrap(),
            code: crate::lookup::NoticeCode::Lookup(LookupCode::parse("ABCD2345").unwrap()),
        }
    }

    fn at(minute: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2025, 10, 5)
            .unwrap()
            .and_hms_opt(7, minute, 0)
            .unwrap()
            .and_utc()
    }

    fn created(expires_at: DateTime<Utc>) -> CreatePaymentResponse {
        CreatePaymentResponse {
            payment_ref: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
            status: PaymentStatus::Pending,
            redirect_url: "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?x=1".into(),
            expires_at,
            transfer: None,
        }
    }

    #[test]
    fn everything_listed_is_ticked_at_first_and_toggling_keeps_the_listing_order() {
        let invoices = listed();
        let mut selection = Selection::all(&invoices);
        assert_eq!(selection.len(), 3);
        let first = InvoiceId::parse("NQ-1").unwrap();
        selection.toggle(&first, &invoices);
        assert!(!selection.contains(&first));
        selection.toggle(&first, &invoices);
        let order: Vec<&str> = selection.ids().iter().map(InvoiceId::as_str).collect();
        assert_eq!(order, ["NQ-1", "NQ-2", "NQ-3"]);
        selection.toggle(&InvoiceId::parse("NQ-404").unwrap(), &invoices);
        assert_eq!(selection.len(), 3, "an unlisted id changes nothing");
    }

    #[test]
    fn the_quote_adds_the_ticked_invoices_and_the_fee() {
        let invoices = listed();
        let mut selection = Selection::all(&invoices);
        selection.toggle(&InvoiceId::parse("NQ-2").unwrap(), &invoices);
        let free = quote(&selection, &invoices, VNPAY_QR).unwrap().unwrap();
        assert_eq!(free.fees.vnd(), 1_575_000);
        assert_eq!(free.total, free.fees);
        assert_eq!(free.fee, Fee::Free);
        let charged = Offer {
            gateway: GatewayKind::Momo,
            fee: Fee::Charged(Money::from_vnd(3_300).unwrap()),
            limits: None,
        };
        let with_fee = quote(&selection, &invoices, charged).unwrap().unwrap();
        assert_eq!(with_fee.total.vnd(), 1_578_300);
        assert_eq!(quote(&Selection::default(), &invoices, VNPAY_QR), None);
    }

    #[test]
    fn a_voluntary_line_is_never_ticked_at_first_and_adds_its_amount_once_ticked() {
        let invoices = vec![with_voluntary("NQ-1"), invoice("NQ-2", &[250_000])];
        let first = InvoiceId::parse("NQ-1").unwrap();
        let mut selection = Selection::all(&invoices);
        assert!(selection.voluntary().is_empty());
        let before = quote(&selection, &invoices, VNPAY_QR).unwrap().unwrap();
        assert_eq!((before.fees.vnd(), before.voluntary), (1_659_520, None));

        selection.toggle_voluntary(&first, 2, &invoices);

        let after = quote(&selection, &invoices, VNPAY_QR).unwrap().unwrap();
        assert_eq!(after.fees.vnd(), 1_759_520);
        assert_eq!(after.voluntary, Some(Money::from_vnd(100_000).unwrap()));
        selection.toggle_voluntary(&first, 2, &invoices);
        assert!(!selection.chose(&first, 2), "ticked twice is unticked");
    }

    #[test]
    fn only_a_voluntary_line_of_a_ticked_invoice_can_be_ticked_and_it_leaves_with_its_invoice() {
        let invoices = vec![with_voluntary("NQ-1"), invoice("NQ-2", &[250_000])];
        let first = InvoiceId::parse("NQ-1").unwrap();
        let second = InvoiceId::parse("NQ-2").unwrap();
        let mut selection = Selection::all(&invoices);
        for (id, line, why) in [
            (&first, 0, "a service line is required, not chosen"),
            (&first, 1, "a line collected on behalf is required"),
            (&first, 9, "no such line"),
            (&second, 0, "a tuition line"),
        ] {
            selection.toggle_voluntary(id, line, &invoices);
            assert!(selection.voluntary().is_empty(), "{why}");
        }
        selection.toggle_voluntary(&first, 2, &invoices);
        selection.toggle(&first, &invoices);
        assert!(
            selection.voluntary().is_empty(),
            "unticking the invoice drops it"
        );
        selection.toggle_voluntary(&first, 2, &invoices);
        assert!(
            selection.voluntary().is_empty(),
            "not beside an unticked invoice"
        );
    }

    #[test]
    fn the_request_names_the_ticked_voluntary_lines_and_another_choice_draws_a_new_key() {
        let invoices = vec![with_voluntary("NQ-1")];
        let first = InvoiceId::parse("NQ-1").unwrap();
        let all = Selection::all(&invoices);
        let mut more = all.clone();
        more.toggle_voluntary(&first, 2, &invoices);

        let request = payment_request(&query(), &more, VNPAY_QR, Lang::Vi);
        let plain = payment_request(&query(), &all, VNPAY_QR, Lang::Vi);

        assert_eq!(
            request.voluntary,
            [VoluntaryChoice {
                invoice_id: "NQ-1".into(),
                line: 2
            }]
        );
        assert!(plain.voluntary.is_empty());
        let sent =
            Attempt::for_selection(None, &query(), &all, GatewayKind::Vnpay, at(0), || [1; 16]);
        let changed = Attempt::for_selection(
            Some(sent.clone()),
            &query(),
            &more,
            GatewayKind::Vnpay,
            at(0),
            || [2; 16],
        );
        assert_ne!(changed.key, sent.key);
        assert_eq!(changed.voluntary, more.voluntary());
        assert!(!crate::write::to_json(&sent).contains("voluntary"));
    }

    #[test]
    fn an_offer_takes_only_totals_within_its_channels_limits() {
        let cases = [
            (MOMO_WALLET, 999, false),
            (MOMO_WALLET, 1_000, true),
            (MOMO_WALLET, 50_000_000, true),
            (MOMO_WALLET, 50_000_001, false),
            (VNPAY_QR, 999, true),
            (VNPAY_QR, 50_000_001, true),
        ];
        for (offer, vnd, accepted) in cases {
            let total = Money::from_vnd(vnd).unwrap();
            assert_eq!(offer.accepts(total), accepted, "{:?} {vnd}", offer.gateway);
        }
    }

    #[test]
    fn the_pages_momo_limits_are_the_ones_the_functions_check() {
        assert_eq!(
            MOMO_WALLET.limits,
            Some(hocphi_gateways::momo::RequestType::CaptureWallet.limits())
        );
    }

    #[test]
    fn the_request_names_the_normalised_codes_the_invoices_and_the_language() {
        let invoices = listed();
        let request = payment_request(&query(), &Selection::all(&invoices), VNPAY_QR, Lang::En);
        assert_eq!(request.student, "HS001234");
        assert_eq!(request.code, "ABCD2345");
        assert_eq!(request.invoice_ids, ["NQ-1", "NQ-2", "NQ-3"]);
        assert_eq!(request.gateway, "vnpay");
        assert_eq!(request.locale.as_deref(), Some("en"));
    }

    #[test]
    fn a_look_up_by_payment_code_pays_with_that_code_for_its_student() {
        let query = crate::lookup::payment_code_query(Some("hs0012345-26k7m2qxab")).unwrap();
        let request = payment_request(&query, &Selection::all(&listed()), PORTAL, Lang::Vi);
        assert_eq!(request.student, "HS0012345");
        assert_eq!(request.code, "HS0012345-26K7M2QXAB");
        assert_eq!(request.gateway, "dvcqg");
    }

    #[test]
    fn keys_are_version_4_uuids() {
        let key = idempotency_key([0xff; 16]);
        assert_eq!(key.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let key = idempotency_key([0; 16]);
        assert_eq!(key.as_str(), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn the_same_selection_reuses_its_key_until_the_payment_it_opened_is_about_to_expire() {
        let invoices = listed();
        let selection = Selection::all(&invoices);
        let first = Attempt::for_selection(
            None,
            &query(),
            &selection,
            GatewayKind::Vnpay,
            at(0),
            || [1; 16],
        );
        let again = Attempt::for_selection(
            Some(first.clone()),
            &query(),
            &selection,
            GatewayKind::Vnpay,
            at(1),
            || [2; 16],
        );
        assert_eq!(again.key, first.key, "a double tap or a retry");

        let open = first.clone().opened(&created(at(15)));
        let resumed = Attempt::for_selection(
            Some(open.clone()),
            &query(),
            &selection,
            GatewayKind::Vnpay,
            at(10),
            || [3; 16],
        );
        assert_eq!(
            resumed.key, first.key,
            "back from the gateway while the payment is open"
        );

        let late = Attempt::for_selection(
            Some(open),
            &query(),
            &selection,
            GatewayKind::Vnpay,
            at(14),
            || [4; 16],
        );
        assert_ne!(late.key, first.key, "less than a minute left");
        assert_eq!(late.opened, None);
    }

    #[test]
    fn another_gateway_draws_a_new_key_and_the_offers_follow_the_provinces_gateways() {
        let invoices = listed();
        let all = Selection::all(&invoices);
        let vnpay =
            Attempt::for_selection(None, &query(), &all, GatewayKind::Vnpay, at(0), || [1; 16]);
        let momo = Attempt::for_selection(
            Some(vnpay.clone()),
            &query(),
            &all,
            GatewayKind::Momo,
            at(0),
            || [2; 16],
        );
        assert_ne!(momo.key, vnpay.key);
        assert_eq!(momo.gateway, GatewayKind::Momo);
        let mut stored_before_momo: serde_json::Value =
            serde_json::from_str(&crate::write::to_json(&vnpay)).unwrap();
        stored_before_momo
            .as_object_mut()
            .unwrap()
            .remove("gateway");
        let read: Attempt = crate::read::from_json(&stored_before_momo.to_string()).unwrap();
        assert_eq!(
            read.gateway,
            GatewayKind::Vnpay,
            "older saved attempts were VNPay's"
        );
        assert_eq!(
            offers(&[GatewayKind::Vnpay, GatewayKind::Momo]),
            [VNPAY_QR, MOMO_WALLET]
        );
        assert_eq!(offers(&[]), [VNPAY_QR]);
        assert_eq!(
            offers(&[GatewayKind::Partner, GatewayKind::Dvcqg]),
            [PORTAL],
            "a bill-payment partner is never offered"
        );
        assert_eq!(offers(&[GatewayKind::Partner]), [VNPAY_QR]);
        let both = offers(&[GatewayKind::Vnpay, GatewayKind::Momo]);
        let other = LookupQuery {
            student: StudentCode::parse("HS009999").unwrap(),
            ..query()
        };
        assert_eq!(
            first_choice(&both, Some(&momo), &query()),
            MOMO_WALLET,
            "back from MoMo"
        );
        assert_eq!(first_choice(&both, Some(&momo), &other), VNPAY_QR);
        assert_eq!(first_choice(&both, None, &query()), VNPAY_QR);
        assert_eq!(first_choice(&[VNPAY_QR], Some(&momo), &query()), VNPAY_QR);
    }

    #[test]
    fn another_selection_or_student_draws_a_new_key() {
        let invoices = listed();
        let all = Selection::all(&invoices);
        let mut fewer = all.clone();
        fewer.toggle(&InvoiceId::parse("NQ-3").unwrap(), &invoices);
        let first =
            Attempt::for_selection(None, &query(), &all, GatewayKind::Vnpay, at(0), || [1; 16]);
        let changed = Attempt::for_selection(
            Some(first.clone()),
            &query(),
            &fewer,
            GatewayKind::Vnpay,
            at(0),
            || [2; 16],
        );
        assert_ne!(changed.key, first.key);
        let other = LookupQuery {
            student: StudentCode::parse("HS009999").unwrap(),
            ..query()
        };
        let sibling = Attempt::for_selection(
            Some(first.clone()),
            &other,
            &all,
            GatewayKind::Vnpay,
            at(0),
            || [3; 16],
        );
        assert_ne!(sibling.key, first.key);
    }

    #[test]
    fn a_new_attempt_is_not_saved_over_a_payment_that_can_still_be_resumed() {
        let invoices = listed();
        let all = Selection::all(&invoices);
        let mut fewer = all.clone();
        fewer.toggle(&InvoiceId::parse("NQ-3").unwrap(), &invoices);
        let sent =
            Attempt::for_selection(None, &query(), &all, GatewayKind::Vnpay, at(0), || [1; 16]);
        let open = sent.clone().opened(&created(at(15)));
        let changed = Attempt::for_selection(
            Some(open.clone()),
            &query(),
            &fewer,
            GatewayKind::Vnpay,
            at(2),
            || [2; 16],
        );

        assert!(!sent.would_hide(None, at(0)), "nothing stored yet");
        assert!(!sent.would_hide(Some(&sent), at(0)), "a retry of itself");
        assert!(changed.would_hide(Some(&open), at(2)), "the open payment");
        assert!(
            !changed.would_hide(Some(&open), at(14)),
            "one that can no longer be resumed"
        );
        assert!(open.opened_payment(&created(at(15)).payment_ref));
        assert!(!sent.opened_payment(&created(at(15)).payment_ref));
    }

    #[test]
    fn a_refusal_the_functions_would_replay_discards_the_key() {
        let cases = [
            (api(409, ErrorCode::InvoiceHeld), KeyFate::Discard),
            (api(409, ErrorCode::InvoiceUnavailable), KeyFate::Discard),
            (api(422, ErrorCode::IdempotencyKeyReused), KeyFate::Discard),
            (api(409, ErrorCode::RequestInProgress), KeyFate::Keep),
            (api(502, ErrorCode::GatewayUnavailable), KeyFate::Keep),
            (api(500, ErrorCode::Internal), KeyFate::Keep),
            (ClientError::Timeout, KeyFate::Keep),
            (ClientError::Offline, KeyFate::Keep),
        ];
        for (err, fate) in cases {
            assert_eq!(Attempt::fate_after(&err), fate, "{err:?}");
        }
    }

    #[test]
    fn the_bank_transfer_is_offered_first_free_and_without_limits_when_the_province_has_it() {
        assert_eq!(
            offers(&GatewayKind::ALL),
            [BANK_TRANSFER, VNPAY_QR, MOMO_WALLET, PORTAL]
        );
        assert_eq!(BANK_TRANSFER.fee, Fee::Free);
        assert!(BANK_TRANSFER.accepts(Money::from_vnd(1).unwrap()));
        assert!(BANK_TRANSFER.accepts(Money::from_vnd(500_000_000).unwrap()));
        assert_eq!(
            first_choice(&offers(&GatewayKind::ALL), None, &query()),
            BANK_TRANSFER
        );
        assert_eq!(
            payment_request(
                &query(),
                &Selection::all(&listed()),
                BANK_TRANSFER,
                Lang::Vi
            )
            .gateway,
            "payos"
        );
    }

    #[test]
    fn an_opened_bank_transfer_is_kept_with_the_attempt_so_a_reload_shows_the_same_qr() {
        let mut answer = created(at(15));
        answer.redirect_url = "https://pay.payos.vn/web/abc".into();
        answer.transfer = Some(bank_transfer());
        let attempt = Attempt::for_selection(
            None,
            &query(),
            &Selection::all(&listed()),
            GatewayKind::Payos,
            at(0),
            || [5; 16],
        )
        .opened(&answer);
        let stored = crate::write::to_json(&attempt);
        let read: Attempt = crate::read::from_json(&stored).unwrap();
        let transfer = read
            .opened
            .as_ref()
            .and_then(|o| o.transfer.clone())
            .unwrap();
        assert_eq!(transfer.details, bank_transfer());
        assert_eq!(transfer.checkout_url, "https://pay.payos.vn/web/abc");
        let vnpay = Attempt::for_selection(
            None,
            &query(),
            &Selection::all(&listed()),
            GatewayKind::Vnpay,
            at(0),
            || [6; 16],
        )
        .opened(&created(at(15)));
        assert!(
            !crate::write::to_json(&vnpay).contains("transfer"),
            "other channels store what they stored before"
        );
    }

    #[test]
    fn a_return_from_payos_follows_the_payos_payment_this_tab_opened() {
        let selection = Selection::all(&listed());
        let payos = Attempt::for_selection(
            None,
            &query(),
            &selection,
            GatewayKind::Payos,
            at(0),
            || [7; 16],
        );
        assert_eq!(Attempt::payos_return(Some(&payos)), None, "nothing opened");
        let opened = payos.clone().opened(&created(at(15)));
        assert_eq!(
            Attempt::payos_return(Some(&opened)),
            Some(created(at(15)).payment_ref)
        );
        let vnpay = Attempt {
            gateway: GatewayKind::Vnpay,
            ..opened
        };
        assert_eq!(Attempt::payos_return(Some(&vnpay)), None);
        assert_eq!(Attempt::payos_return(None), None);
    }

    #[test]
    fn an_attempt_survives_a_round_trip_through_storage() {
        let invoices = listed();
        let attempt = Attempt::for_selection(
            None,
            &query(),
            &Selection::all(&invoices),
            GatewayKind::Vnpay,
            at(0),
            || [9; 16],
        )
        .opened(&created(at(15)));
        let stored = crate::write::to_json(&attempt);
        assert_eq!(crate::read::from_json::<Attempt>(&stored), Some(attempt));
    }
}
