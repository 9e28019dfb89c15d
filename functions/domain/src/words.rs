//! Amounts in Vietnamese words, in the accounting style used on receipts.
//!
//! Rules: groups of three digits with the scale words nghìn, triệu, tỷ (and nghìn tỷ beyond);
//! every group after the first reads its hundreds, "không trăm" included; zero tens before a unit
//! read "linh"; 1 after tens of two or more reads "mốt", 5 after any tens reads "lăm"; all-zero
//! groups are skipped. The result is capitalised and ends in "đồng".

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];
const BILLION: u64 = 1_000_000_000;

/// `1001` → "Một nghìn không trăm linh một đồng"; `0` → "Không đồng".
pub fn amount_in_words(vnd: u64) -> String {
    let mut words = Vec::new();
    number_words(vnd, true, &mut words);
    if words.is_empty() {
        words.push(DIGITS[0]);
    }
    words.push("đồng");
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn number_words(n: u64, leading: bool, out: &mut Vec<&'static str>) {
    if n >= BILLION {
        number_words(n / BILLION, leading, out);
        out.push("tỷ");
        below_billion(n % BILLION, false, out);
    } else {
        below_billion(n, leading, out);
    }
}

fn below_billion(n: u64, leading: bool, out: &mut Vec<&'static str>) {
    let groups = [
        (n / 1_000_000, Some("triệu")),
        (n / 1_000 % 1_000, Some("nghìn")),
        (n % 1_000, None),
    ];
    let mut full = !leading;
    for (group, scale) in groups {
        if group == 0 {
            continue;
        }
        three_digits(group, full, out);
        out.extend(scale);
        full = true;
    }
}

fn three_digits(group: u64, full: bool, out: &mut Vec<&'static str>) {
    let (hundreds, tens, units) = (
        (group / 100) as usize,
        (group / 10 % 10) as usize,
        (group % 10) as usize,
    );
    let read_hundreds = full || hundreds > 0;
    if read_hundreds {
        out.extend([DIGITS[hundreds], "trăm"]);
    }
    match (tens, units) {
        (0, 0) => {}
        (0, u) => {
            if read_hundreds {
                out.push("linh");
            }
            out.push(DIGITS[u]);
        }
        (1, u) => {
            out.push("mười");
            match u {
                0 => {}
                5 => out.push("lăm"),
                u => out.push(DIGITS[u]),
            }
        }
        (t, u) => {
            out.extend([DIGITS[t], "mươi"]);
            match u {
                0 => {}
                1 => out.push("mốt"),
                5 => out.push("lăm"),
                u => out.push(DIGITS[u]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::amount_in_words;

    /// Each row was read aloud and checked by hand against the accounting convention.
    const CASES: &[(u64, &str)] = &[
        (0, "Không đồng"),
        (1, "Một đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (15, "Mười lăm đồng"),
        (20, "Hai mươi đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi bốn đồng"),
        (25, "Hai mươi lăm đồng"),
        (41, "Bốn mươi mốt đồng"),
        (100, "Một trăm đồng"),
        (101, "Một trăm linh một đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (999, "Chín trăm chín mươi chín đồng"),
        (1_000, "Một nghìn đồng"),
        (1_001, "Một nghìn không trăm linh một đồng"),
        (1_010, "Một nghìn không trăm mười đồng"),
        (1_015, "Một nghìn không trăm mười lăm đồng"),
        (1_100, "Một nghìn một trăm đồng"),
        (10_000, "Mười nghìn đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (50_500, "Năm mươi nghìn năm trăm đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (700_070, "Bảy trăm nghìn không trăm bảy mươi đồng"),
        (1_000_000, "Một triệu đồng"),
        (1_000_001, "Một triệu không trăm linh một đồng"),
        (1_500_000, "Một triệu năm trăm nghìn đồng"),
        (2_050_000, "Hai triệu không trăm năm mươi nghìn đồng"),
        (3_500_000, "Ba triệu năm trăm nghìn đồng"),
        (
            12_345_678,
            "Mười hai triệu ba trăm bốn mươi lăm nghìn sáu trăm bảy mươi tám đồng",
        ),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_000_001, "Một tỷ không trăm linh một đồng"),
        (1_005_000_000, "Một tỷ không trăm linh năm triệu đồng"),
        (2_000_050_000, "Hai tỷ không trăm năm mươi nghìn đồng"),
        (
            9_999_999_999,
            "Chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
        ),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ];

    #[test]
    fn amounts_read_in_the_accounting_style() {
        for (vnd, expected) in CASES {
            assert_eq!(amount_in_words(*vnd), *expected, "amount {vnd}");
        }
    }
}
