//! Money, identifiers, school years, payment codes and wire times: any text is refused or
//! parsed, never a panic, and what parses is stable (its own text parses to the same value).
#![no_main]

use hocphi_domain::*;
use libfuzzer_sys::fuzz_target;

macro_rules! stable {
    ($raw:expr, $($ty:ty),+) => {$(
        if let Ok(value) = <$ty>::parse($raw) {
            assert_eq!(<$ty>::parse(value.as_str()).ok().as_ref(), Some(&value), "{}", stringify!($ty));
        }
    )+};
}

fuzz_target!(|raw: &str| {
    if let Ok(money) = Money::parse(raw) {
        assert_eq!(Money::parse(&String::from(money)).ok(), Some(money));
        let _ = money.in_words();
        let _ = money.display_vnd();
    }
    stable!(
        raw,
        ProvinceCode,
        SchoolId,
        PayeeId,
        PartnerId,
        StudentCode,
        LookupCode,
        InvoiceId,
        PaymentRef,
        ReceiptId,
        LeaseToken,
        IdempotencyKey,
        GatewayTxnNo,
        GatewayCode,
        Symbol,
        ReceiptToken,
        LookupDigest
    );
    if let Ok(code) = PaymentCode::parse(raw) {
        let again = PaymentCode::parse(&code.to_string()).expect("a payment code's own text");
        assert_eq!(again, code);
        let _ = code.school_year();
    }
    if let Ok(year) = SchoolYear::parse(raw) {
        assert_eq!(SchoolYear::parse(&year.to_string()).ok(), Some(year));
    }
    let _ = Label::parse(raw);
    let _ = MaskedName::parse(raw);
    let _ = MaskedName::mask(raw);
    if let Some(at) = hocphi_api::wire_time::parse_utc(raw) {
        let chrono = chrono::DateTime::parse_from_rfc3339(raw).map(|t| t.to_utc());
        assert_eq!(
            chrono.ok(),
            Some(at),
            "the light reader and chrono disagree on {raw:?}"
        );
    }
    if let Some(date) = hocphi_api::wire_time::parse_date(raw) {
        assert_eq!(raw.parse::<chrono::NaiveDate>().ok(), Some(date), "{raw:?}");
    }
});
