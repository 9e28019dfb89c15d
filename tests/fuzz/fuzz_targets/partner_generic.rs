//! A generic-profile partner request as received (operation, headers, body): refused or
//! verified, never a panic.
#![no_main]

use arbitrary::Arbitrary;
use hocphi_domain::PartnerId;
use hocphi_gateways::partner::{PartnerOp, PartnerRequest, path};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    op: u8,
    own_path: bool,
    path: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let partners = &hocphi_fuzz::channels().partners;
    let bank = partners
        .get(&PartnerId::parse(hocphi_fuzz::LOCAL_BANK_PARTNER).unwrap())
        .unwrap();
    let op = [PartnerOp::Bills, PartnerOp::Confirm, PartnerOp::Reverse][usize::from(input.op % 3)];
    let own = path(&bank.id, op);
    let request = PartnerRequest {
        op,
        path: if input.own_path { &own } else { input.path },
        headers: &input.headers,
        body: input.body,
    };
    let _ = bank.verify(&request, hocphi_fuzz::now());
});
