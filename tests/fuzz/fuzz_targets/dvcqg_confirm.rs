//! The portal platform's Confirm (the channel's callback) as received: refused or verified,
//! never a panic; and the platform's Init and status answers.
#![no_main]

use hocphi_domain::GatewayKind;
use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mode, body)) = data.split_first() else {
        return;
    };
    let dvcqg = &hocphi_fuzz::channels().dvcqg;
    match mode % 3 {
        0 => {
            let _ = dvcqg.verify(RawCallback {
                query: "",
                body,
                path_param: None,
            });
        }
        1 => {
            let payment = hocphi_fuzz::payment("HP2609011000ABCDEF", GatewayKind::Dvcqg);
            let _ = dvcqg.query_response(&payment, body);
        }
        _ => {
            let payment = hocphi_fuzz::payment("HP2609011000ABCDEF", GatewayKind::Dvcqg);
            let _ = dvcqg.finish_checkout(&payment, body);
        }
    }
});
