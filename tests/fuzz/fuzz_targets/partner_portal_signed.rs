//! A portal-profile partner message with its `MaXacThuc` under the local portal partner's key,
//! so the message's parser behind the checksum is reached.
#![no_main]

use arbitrary::Arbitrary;
use hocphi_domain::PartnerId;
use hocphi_gateways::partner::dvcqg::{CONFIRM_FIELDS, GET_BILL_FIELDS};
use hocphi_gateways::partner::{PartnerOp, PartnerRequest, path};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    confirm: bool,
    values: Vec<Option<String>>,
    extra: Vec<(String, String)>,
}

fuzz_target!(|input: Input| {
    hocphi_fuzz::assert_signing_agrees();
    let partners = &hocphi_fuzz::channels().partners;
    let portal = partners
        .get(&PartnerId::parse(hocphi_fuzz::LOCAL_PORTAL_PARTNER).unwrap())
        .unwrap();
    let (op, names): (PartnerOp, &[&str]) = if input.confirm {
        (PartnerOp::Confirm, &CONFIRM_FIELDS)
    } else {
        (PartnerOp::Bills, &GET_BILL_FIELDS)
    };
    let body = hocphi_fuzz::portal_signed_message(names, &input.values, &input.extra);
    let path = path(&portal.id, op);
    let request = PartnerRequest {
        op,
        path: &path,
        headers: &[],
        body: &body,
    };
    let _ = portal.verify(&request, hocphi_fuzz::now());
});
