//! Matching the header row of an operator's spreadsheet to the columns a command knows.
//!
//! Invariant: two headers match when they [`fold`] to the same text, so case, runs of spaces,
//! accents (composed or decomposed), `đ`/`d`, a `*` or `:` and a note in brackets never matter.
//! A known column is found at most once; unknown columns are ignored. A known column whose note
//! scales its values (`Số tiền (nghìn đồng)`) is refused: amounts are read as whole đồng only.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-case, accent-free, single-spaced text without bracketed notes.
pub(crate) fn fold(raw: &str) -> String {
    let mut folded = String::with_capacity(raw.len());
    let mut depth = 0u32;
    for c in raw.nfd() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '\u{feff}' | '*' | ':' => {}
            c if is_combining_mark(c) => {}
            'đ' | 'Đ' => folded.push('d'),
            c if c.is_whitespace() => folded.push(' '),
            c => folded.extend(c.to_lowercase()),
        }
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A column a command reads: the name used in messages and the headers that mean it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnSpec {
    /// The canonical header, as messages quote it.
    pub name: &'static str,
    /// Other headers that mean the same column.
    pub aliases: &'static [&'static str],
    pub required: bool,
    /// Its values are amounts of money, which must be whole đồng.
    pub money: bool,
}

impl ColumnSpec {
    pub(crate) const fn required(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: true,
            money: false,
        }
    }

    pub(crate) const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: false,
            money: false,
        }
    }

    /// The same column, holding amounts of money.
    pub(crate) const fn money(self) -> Self {
        Self {
            money: true,
            ..self
        }
    }

    fn matches(&self, folded: &str) -> bool {
        fold(self.name) == folded || self.aliases.iter().any(|a| fold(a) == folded)
    }
}

/// Why a header row does not fit a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    /// Required columns that no header names.
    Missing(Vec<&'static str>),
    /// Two headers name the same column.
    Duplicate(&'static str),
    /// A column's header says its values are in thousands or millions (the header as written).
    Scaled(String),
}

/// True when a header's bracketed note gives its amounts in thousands or millions of đồng: the
/// unit alone (`nghìn`, `K`), the unit with a currency (`nghìn đồng`, `triệu VNĐ`), after
/// `đơn vị` (`đơn vị: nghìn`), or a bare multiplier (`x 1.000`). Other notes that merely mention
/// thousands (`không dùng dấu ngăn cách hàng nghìn`) are not units.
fn scaled(raw: &str) -> bool {
    let notes: String = raw
        .split(['(', '['])
        .skip(1)
        .map(|part| part.split([')', ']']).next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let folded = fold(&notes);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let unit = |w: &str| matches!(w, "k" | "nghin" | "ngan" | "trieu");
    let currency = |w: &str| matches!(w, "dong" | "d" | "vnd");
    let stated = matches!(words.as_slice(), [w] if unit(w))
        || words
            .windows(2)
            .any(|pair| (unit(pair[0]) && currency(pair[1])) || (pair[0] == "vi" && unit(pair[1])));
    let compact = folded.replace(['.', ',', ' ', 'x', '*'], "");
    let multiplier = ["dong", "vnd", "d"]
        .iter()
        .fold(compact.as_str(), |m, c| m.strip_suffix(c).unwrap_or(m));
    stated || matches!(multiplier, "1000" | "1000000")
}

/// For each spec, the index of its column in `headers`, if present.
pub(crate) fn resolve(
    headers: &[String],
    specs: &[ColumnSpec],
) -> Result<Vec<Option<usize>>, HeaderProblem> {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut found = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut hits = folded.iter().enumerate().filter(|(_, h)| spec.matches(h));
        let first = hits.next().map(|(i, _)| i);
        if hits.next().is_some() {
            return Err(HeaderProblem::Duplicate(spec.name));
        }
        if spec.money
            && let Some(index) = first
            && scaled(&headers[index])
        {
            return Err(HeaderProblem::Scaled(headers[index].trim().to_owned()));
        }
        found.push(first);
    }
    let missing: Vec<&'static str> = specs
        .iter()
        .zip(&found)
        .filter(|(spec, index)| spec.required && index.is_none())
        .map(|(spec, _)| spec.name)
        .collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(HeaderProblem::Missing(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_fold_to_accent_free_lower_case_single_spaced_text() {
        let cases = [
            ("Mã học sinh", "ma hoc sinh"),
            ("  MÃ   HỌC SINH ", "ma hoc sinh"),
            ("Ma hoc sinh", "ma hoc sinh"),
            ("Mã ho\u{323}c sinh", "ma hoc sinh"),
            ("\u{feff}Mã trường", "ma truong"),
            ("Số tiền (VNĐ)", "so tien"),
            ("Hạn nộp*:", "han nop"),
            ("Đợt", "dot"),
            ("vnp_TxnRef", "vnp_txnref"),
        ];
        for (raw, folded) in cases {
            assert_eq!(fold(raw), folded, "{raw:?}");
        }
    }

    #[test]
    fn columns_are_found_in_any_order_and_extra_columns_are_ignored() {
        let specs = [
            ColumnSpec::required("Số tiền", &[]),
            ColumnSpec::required("Mã học sinh", &["Mã HS"]),
            ColumnSpec::optional("Tổng tiền", &[]),
        ];
        let headers = ["STT", "ma hs", "SO TIEN"].map(String::from);
        assert_eq!(resolve(&headers, &specs), Ok(vec![Some(2), Some(1), None]));
    }

    #[test]
    fn a_column_in_thousands_or_millions_is_refused_and_one_in_dong_is_read() {
        let specs = [ColumnSpec::required("Số tiền", &[]).money()];
        let cases = [
            ("Số tiền (nghìn đồng)", false),
            ("Số tiền (ngàn đ)", false),
            ("SỐ TIỀN (Triệu đồng)", false),
            ("Số tiền (x 1.000 đ)", false),
            ("Số tiền [1000 VND]", false),
            ("Số tiền (K)", false),
            ("Số tiền (đơn vị: nghìn)", false),
            ("Số tiền (VNĐ)", true),
            ("Số tiền (không dùng dấu ngăn cách hàng nghìn)", true),
            ("Số tiền (VD: 1.000.000)", true),
            ("Số tiền (tối đa 100.000.000)", true),
            ("Số tiền (chuyển khoản ngân hàng)", true),
            ("Số tiền (đồng)", true),
            ("Số tiền (đ)", true),
            ("Số tiền", true),
        ];
        for (header, read) in cases {
            let resolved = resolve(&[header.to_owned()], &specs);
            let expected = if read {
                Ok(vec![Some(0)])
            } else {
                Err(HeaderProblem::Scaled(header.to_owned()))
            };
            assert_eq!(resolved, expected, "{header}");
        }
        let not_money = [ColumnSpec::required("Học kỳ", &[])];
        assert_eq!(
            resolve(&["Học kỳ (nghìn đồng)".to_owned()], &not_money),
            Ok(vec![Some(0)]),
            "only amount columns are checked"
        );
    }

    #[test]
    fn missing_and_duplicate_columns_are_named() {
        let specs = [
            ColumnSpec::required("Số tiền", &[]),
            ColumnSpec::required("Lớp", &[]),
        ];
        assert_eq!(
            resolve(&["Lớp".to_owned()], &specs),
            Err(HeaderProblem::Missing(vec!["Số tiền"]))
        );
        assert_eq!(
            resolve(&["Lớp", "Số tiền", "so tien"].map(String::from), &specs),
            Err(HeaderProblem::Duplicate("Số tiền"))
        );
    }
}
