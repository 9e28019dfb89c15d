//! A generic-profile partner request signed with the local bank's key (`partner::generic::sign`),
//! so the body's parser behind the signature is reached.
#![no_main]

use arbitrary::Arbitrary;
use hocphi_domain::PartnerId;
use hocphi_gateways::partner::{PartnerOp, PartnerRequest, path};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    op: u8,
    /// Seconds from the harness's clock to the signed timestamp.
    skew: i16,
    nonce: &'a str,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    hocphi_fuzz::assert_signing_agrees();
    let partners = &hocphi_fuzz::channels().partners;
    let bank = partners
        .get(&PartnerId::parse(hocphi_fuzz::LOCAL_BANK_PARTNER).unwrap())
        .unwrap();
    let op = [PartnerOp::Bills, PartnerOp::Confirm, PartnerOp::Reverse][usize::from(input.op % 3)];
    let path = path(&bank.id, op);
    let timestamp = hocphi_fuzz::now().timestamp() + i64::from(input.skew);
    let signature = hocphi_fuzz::bank_signature(&path, timestamp, input.nonce, input.body);
    let timestamp = timestamp.to_string();
    let headers = [
        ("x-hocphi-timestamp", timestamp.as_str()),
        ("x-hocphi-nonce", input.nonce),
        ("x-hocphi-signature", signature.as_str()),
    ];
    let request = PartnerRequest {
        op,
        path: &path,
        headers: &headers,
        body: input.body,
    };
    let _ = bank.verify(&request, hocphi_fuzz::now());
});
