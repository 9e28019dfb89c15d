//! VNPay's querydr answer: the raw body (first byte even), or the body read as an answer and
//! signed with the local hash secret (odd) so the status mapping behind the signature is reached.
#![no_main]

use hocphi_domain::GatewayKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hocphi_fuzz::assert_signing_agrees();
    let Some((mode, body)) = data.split_first() else {
        return;
    };
    let vnpay = &hocphi_fuzz::channels().vnpay;
    let payment = hocphi_fuzz::payment("HP2609011000ABCDEF", GatewayKind::Vnpay);
    if mode % 2 == 0 {
        let _ = vnpay.query_response(&payment, body);
    } else if let Ok(answer) = serde_json::from_slice(body) {
        let _ = vnpay.query_response(&payment, &hocphi_fuzz::vnpay_signed_querydr(answer));
    }
});
