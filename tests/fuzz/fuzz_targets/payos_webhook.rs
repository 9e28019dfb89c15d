//! payOS's webhook as received, for the local payee (first byte even) or a payee named by the
//! input: refused or verified, never a panic.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let payos = &hocphi_fuzz::channels().payos;
    if mode % 2 == 0 {
        let _ = payos.verify(RawCallback {
            query: "",
            body: rest,
            path_param: Some(hocphi_fuzz::LOCAL_PAYOS_PAYEE_NQ),
        });
    } else {
        let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let payee = String::from_utf8_lossy(&rest[..split]);
        let body = rest.get(split + 1..).unwrap_or_default();
        let _ = payos.verify(RawCallback {
            query: "",
            body,
            path_param: Some(&payee),
        });
    }
});
