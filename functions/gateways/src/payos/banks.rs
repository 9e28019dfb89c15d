//! The short names of Vietnamese banks by their NAPAS BIN (the six digits a VietQR code and a
//! payOS link name the receiving bank by), as listed by VietQR's public bank list
//! (api.vietqr.io/v2/banks, fields `bin` and `shortName`).
//!
//! Invariant: public facts only; a BIN this table lacks has no name (the page then shows the
//! BIN), never a guess.

/// BIN → short name, sorted by BIN.
const BANKS: &[(&str, &str)] = &[
    ("970400", "Saigonbank"),
    ("970403", "Sacombank"),
    ("970405", "Agribank"),
    ("970407", "Techcombank"),
    ("970409", "BacABank"),
    ("970412", "PVcomBank"),
    ("970415", "VietinBank"),
    ("970416", "ACB"),
    ("970418", "BIDV"),
    ("970419", "NCB"),
    ("970422", "MBBank"),
    ("970423", "TPBank"),
    ("970425", "ABBANK"),
    ("970426", "MSB"),
    ("970427", "VietABank"),
    ("970428", "NamABank"),
    ("970429", "SCB"),
    ("970431", "Eximbank"),
    ("970432", "VPBank"),
    ("970433", "VietBank"),
    ("970436", "Vietcombank"),
    ("970437", "HDBank"),
    ("970438", "BaoVietBank"),
    ("970440", "SeABank"),
    ("970441", "VIB"),
    ("970443", "SHB"),
    ("970448", "OCB"),
    ("970449", "LPBank"),
    ("970452", "KienLongBank"),
    ("970454", "BVBank"),
];

/// The short name of the bank with this NAPAS BIN, if the table knows it.
pub fn bank_name(bin: &str) -> Option<&'static str> {
    BANKS
        .binary_search_by(|(b, _)| (*b).cmp(bin))
        .ok()
        .map(|i| BANKS[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_by_bin_with_six_digit_bins_listed_once() {
        for pair in BANKS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{pair:?}");
        }
        for (bin, _) in BANKS {
            assert!(
                bin.len() == 6 && bin.bytes().all(|b| b.is_ascii_digit()),
                "{bin}"
            );
        }
    }

    #[test]
    fn known_bins_have_their_short_names_and_others_none() {
        let cases = [
            ("970436", Some("Vietcombank")),
            ("970415", Some("VietinBank")),
            ("970418", Some("BIDV")),
            ("970400", Some("Saigonbank")),
            ("970454", Some("BVBank")),
            ("970499", None),
            ("", None),
            ("97043", None),
        ];
        for (bin, name) in cases {
            assert_eq!(bank_name(bin), name, "{bin:?}");
        }
    }
}
