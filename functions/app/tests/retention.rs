//! The retention job as the sweeper runs it, and the periods `infra/PRIVACY.md` states.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use hocphi_app::{App, Gateways, Settings, Transport, TransportError};
use hocphi_domain::privacy::UNPAID_PAYMENT_RETENTION_DAYS;
use hocphi_domain::{ERASED, GatewayKind, Payment, PaymentRef, Store};
use hocphi_fixtures::{InvoiceFixture, ManualClock, SCHOOL, SCHOOL_NAME, STUDENT};
use hocphi_gateways::ApiRequest;
use hocphi_store::SqliteStore;

/// The retention job calls no gateway.
struct NoTransport;

impl Transport for NoTransport {
    async fn send(&self, _: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        Err(TransportError("no gateway in this test".into()))
    }
}

const PRIVACY: &str = include_str!("../../../infra/PRIVACY.md");

#[tokio::test]
async fn the_sweepers_retention_removes_an_unpaid_payments_name_once_its_period_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("hocphi.db")).unwrap();
    let start = Utc.with_ymd_and_hms(2025, 9, 15, 2, 0, 0).unwrap();
    store
        .upsert_school(
            &hocphi_fixtures::school(SCHOOL, SCHOOL_NAME),
            start,
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let invoice = InvoiceFixture::new("INV-1", &[("Học phí", 1_500_000)]).build();
    store
        .upsert_invoice(
            &invoice,
            start,
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let reference = PaymentRef::parse("HP0000000001").unwrap();
    let payment = Payment::open(
        reference.clone(),
        &[invoice],
        &[],
        GatewayKind::Vnpay,
        start,
        Duration::minutes(15),
    )
    .unwrap();
    store
        .create_payment(&payment, start, &hocphi_domain::Actor::Parent)
        .await
        .unwrap();
    store
        .expire(
            &reference,
            start + Duration::minutes(20),
            &hocphi_domain::Actor::Sweeper,
        )
        .await
        .unwrap();
    let clock = ManualClock::at(start + Duration::days(UNPAID_PAYMENT_RETENTION_DAYS - 1));
    let app = App::new(
        store,
        clock.clone(),
        NoTransport,
        Gateways::default(),
        Settings::new("http://127.0.0.1:8080"),
    );

    let early = app.retain(100).await.unwrap();
    clock.advance(Duration::days(1) + Duration::hours(1));
    let due = app.retain(100).await.unwrap();
    let again = app.retain(100).await.unwrap();

    assert_eq!((early.payments, due.payments, again.payments), (0, 1, 0));
    let stored = app.store.payment(&reference).await.unwrap().unwrap();
    assert_eq!(stored.student_name.as_str(), ERASED);
    assert_eq!(stored.student.as_str(), STUDENT);
}

#[test]
fn the_privacy_document_states_the_periods_the_code_applies() {
    let settings = Settings::new("https://example.vn");
    let stated = [
        format!("{UNPAID_PAYMENT_RETENTION_DAYS} ngày sau khi hết hạn thanh toán"),
        format!("{} phút", settings.lookup_window.num_minutes()),
        format!("{} giờ", settings.idempotency_keep.num_hours()),
        format!(
            "{} ngày trước",
            App::<SqliteStore, ManualClock, NoTransport>::RETENTION_LOOKBACK.num_days()
        ),
    ];
    for period in stated {
        assert!(
            PRIVACY.contains(&period),
            "infra/PRIVACY.md does not say \"{period}\""
        );
    }
}
