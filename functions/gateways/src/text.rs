//! Reducing Vietnamese text to what gateways accept in free-text fields.
//!
//! VNPay asks for "Tiếng Việt không dấu" (Vietnamese without diacritics) and no special characters
//! in `vnp_OrderInfo`, and the encoders of VNPay's own demos disagree on punctuation. Invariant: the
//! output of [`plain_text`] holds only `[A-Za-z0-9 -_.,:]`, single spaces, no leading or trailing
//! space, so every implementation of the signature agrees on it.

/// Each Vietnamese letter with a diacritic, grouped by the plain letter it folds to.
const FOLDS: [(&str, char); 14] = [
    ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
    ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
    ("èéẻẽẹêềếểễệ", 'e'),
    ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
    ("ìíỉĩị", 'i'),
    ("ÌÍỈĨỊ", 'I'),
    ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
    ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
    ("ùúủũụưừứửữự", 'u'),
    ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
    ("ỳýỷỹỵ", 'y'),
    ("ỲÝỶỸỴ", 'Y'),
    ("đ", 'd'),
    ("Đ", 'D'),
];

/// Removes Vietnamese diacritics: `Học phí – Đợt 1` → `Hoc phi – Dot 1`. Precomposed letters
/// fold through the table; combining marks (text typed in decomposed form) are dropped.
pub fn fold_diacritics(raw: &str) -> String {
    raw.chars()
        .filter(|c| !is_combining_mark(*c))
        .map(fold_char)
        .collect()
}

fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    FOLDS
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map_or(c, |(_, plain)| *plain)
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

/// Folds diacritics, turns every character outside `[A-Za-z0-9-_.,:]` into a separator, collapses
/// separators into single spaces and cuts the result to `max_len` characters.
pub fn plain_text(raw: &str, max_len: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max_len));
    let mut separated = false;
    for c in fold_diacritics(raw).chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ',' | ':') {
            if separated && !out.is_empty() {
                out.push(' ');
            }
            separated = false;
            out.push(c);
        } else {
            separated = true;
        }
    }
    out.truncate(max_len);
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vietnamese_letter_with_a_diacritic_folds_to_its_plain_letter() {
        let all: String = FOLDS.iter().map(|(letters, _)| *letters).collect();
        assert_eq!(
            all.chars().count(),
            134,
            "67 lowercase and 67 uppercase letters"
        );
        let folded = fold_diacritics(&all);
        assert!(folded.is_ascii(), "{folded}");
        let expected: String = FOLDS
            .iter()
            .flat_map(|(letters, plain)| letters.chars().map(move |_| *plain))
            .collect();
        assert_eq!(folded, expected);
    }

    #[test]
    fn decomposed_text_folds_like_precomposed_text() {
        let decomposed = "Ho\u{0323}c phi\u{0301} \u{0111}o\u{031b}\u{0323}t 1";
        assert_eq!(fold_diacritics(decomposed), "Hoc phi dot 1");
        assert_eq!(fold_diacritics("Học phí đợt 1"), "Hoc phi dot 1");
    }

    #[test]
    fn plain_text_keeps_only_what_every_encoder_agrees_on() {
        let cases = [
            (
                "Học phí học kỳ 1 – Nguyễn Văn A",
                "Hoc phi hoc ky 1 Nguyen Van A",
            ),
            ("Thanh toán HS 123: kỳ 1", "Thanh toan HS 123: ky 1"),
            ("  a*b~c&d=e%f+g/h  ", "a b c d e f g h"),
            ("ĐÓNG TIỀN ĂN, BÁN TRÚ.", "DONG TIEN AN, BAN TRU."),
            ("NQ-2025_HK1", "NQ-2025_HK1"),
            ("学费 😀", ""),
            ("", ""),
        ];
        for (raw, plain) in cases {
            assert_eq!(plain_text(raw, 255), plain, "{raw:?}");
        }
    }

    #[test]
    fn plain_text_is_cut_to_length_without_a_trailing_space() {
        assert_eq!(plain_text("abc def", 4), "abc");
        assert_eq!(plain_text("abc def", 5), "abc d");
        assert_eq!(plain_text(&"ă".repeat(300), 255), "a".repeat(255));
    }
}
