//! A portal-profile partner message (GetBill, Confirm) as received: refused or verified, never a
//! panic.
#![no_main]

use hocphi_domain::PartnerId;
use hocphi_gateways::partner::{PartnerOp, PartnerRequest, path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mode, body)) = data.split_first() else {
        return;
    };
    let partners = &hocphi_fuzz::channels().partners;
    let portal = partners
        .get(&PartnerId::parse(hocphi_fuzz::LOCAL_PORTAL_PARTNER).unwrap())
        .unwrap();
    let op = [PartnerOp::Bills, PartnerOp::Confirm, PartnerOp::Reverse][usize::from(mode % 3)];
    let path = path(&portal.id, op);
    let request = PartnerRequest {
        op,
        path: &path,
        headers: &[],
        body,
    };
    let _ = portal.verify(&request, hocphi_fuzz::now());
});
