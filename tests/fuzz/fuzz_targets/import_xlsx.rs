//! The operators' import of an XLSX file (a dry run, through the sheet reader and the import's
//! checks): any bytes give a report or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hocphi_fuzz::import::check(data, "xlsx");
});
