//! The operators' import of a CSV file (a dry run, through the import's own parser and checks):
//! any bytes give a report or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hocphi_fuzz::import::check(data, "csv");
});
