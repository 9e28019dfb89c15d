//! The look-up form: what a parent typed, made into a query the functions will accept.
//!
//! The domain's own parsers ([`StudentCode`], [`LookupCode`]) decide what is valid, so the page
//! and the functions cannot disagree; this module only forgives what phones add (spaces,
//! dashes, full-width characters) and names each problem precisely enough to tell the parent
//! how to fix it (a code typed with a Vietnamese input method gets accents, for instance).
//! A link from the national portal's service page carries a payment code instead (`?ma=`),
//! which stands in for both fields.

use hocphi_domain::{LookupCode, PaymentCode, StudentCode};

use crate::i18n::Text;

/// The two fields as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupInput {
    pub student: String,
    pub code: String,
}

/// A valid look-up: the student and what proves the parent holds the fee notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupQuery {
    pub student: StudentCode,
    pub code: NoticeCode,
}

/// A code printed on the fee notice: the lookup code typed in the form, or the payment code of
/// a portal link (its student is the query's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeCode {
    Lookup(LookupCode),
    Payment(PaymentCode),
}

/// What is wrong with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    Missing,
    Length,
    /// Letters with Vietnamese accents: usually an input method (Telex, VNI) left on.
    Diacritics,
    Symbols,
}

/// The problems of the form, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub student: Option<FieldProblem>,
    pub code: Option<FieldProblem>,
}

impl FieldErrors {
    /// True when neither field has a problem.
    pub fn is_empty(&self) -> bool {
        self.student.is_none() && self.code.is_none()
    }

    /// The problem of one field.
    pub fn of(&self, field: Field) -> Option<FieldProblem> {
        match field {
            Field::Student => self.student,
            Field::Code => self.code,
        }
    }

    /// Forgets the problem of one field (the parent is typing in it again).
    pub fn clear(&mut self, field: Field) {
        match field {
            Field::Student => self.student = None,
            Field::Code => self.code = None,
        }
    }
}

/// Which field a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Student,
    Code,
}

/// How a field is shown; the same in `index.html` and in the app.
impl Field {
    /// The id of the field's input.
    pub fn id(self) -> &'static str {
        match self {
            Self::Student => "student-code",
            Self::Code => "lookup-code",
        }
    }

    /// The id of the help text under the label.
    pub fn hint_id(self) -> &'static str {
        match self {
            Self::Student => "student-code-hint",
            Self::Code => "lookup-code-hint",
        }
    }

    /// The id of the error message, while there is one.
    pub fn error_id(self) -> &'static str {
        match self {
            Self::Student => "student-code-error",
            Self::Code => "lookup-code-error",
        }
    }

    /// The form name of the input. The lookup code has none, so that a form sent without
    /// script can never put it in an address.
    pub fn form_name(self) -> Option<&'static str> {
        match self {
            Self::Student => Some("student"),
            Self::Code => None,
        }
    }

    /// What the phone keyboard's enter key says: go on to the code, or search.
    pub fn enter_key_hint(self) -> &'static str {
        match self {
            Self::Student => "next",
            Self::Code => "search",
        }
    }

    /// The label.
    pub fn label(self) -> Text {
        match self {
            Self::Student => Text::StudentCodeLabel,
            Self::Code => Text::LookupCodeLabel,
        }
    }

    /// The help text: where the code is printed.
    pub fn help(self) -> Text {
        match self {
            Self::Student => Text::StudentCodeHelp,
            Self::Code => Text::LookupCodeHelp,
        }
    }
}

impl FieldProblem {
    /// The sentence that tells the parent how to fix the field.
    pub fn message(self, field: Field) -> Text {
        match (self, field) {
            (Self::Missing, Field::Student) => Text::StudentMissing,
            (Self::Missing, Field::Code) => Text::CodeMissing,
            (Self::Length, Field::Student) => Text::StudentLength,
            (Self::Length, Field::Code) => Text::CodeLength,
            (Self::Diacritics, Field::Student | Field::Code) => Text::CodeDiacritics,
            (Self::Symbols, Field::Student | Field::Code) => Text::CodeSymbols,
        }
    }
}

/// Drops white space (including no-break and zero-width spaces) and dashes, and folds
/// full-width letters and digits to ASCII, as some phone keyboards type them.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{200b}' | '\u{2010}'..='\u{2015}'))
        .map(|c| match c {
            '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
                char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c)
            }
            other => other,
        })
        .collect()
}

/// A letter with Vietnamese accents as an input method (Telex, VNI) types it: a precomposed
/// Latin letter with a mark (Latin-1 Supplement to Latin Extended-B, Latin Extended Additional),
/// or a combining mark typed after its letter. Ranges, not Unicode's table of letters, which
/// would weigh some 2 KB on the page.
fn accented(c: char) -> bool {
    matches!(c, '\u{C0}'..='\u{24F}' | '\u{300}'..='\u{36F}' | '\u{1E00}'..='\u{1EFF}')
        && !matches!(c, '\u{D7}' | '\u{F7}')
}

fn check<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, hocphi_domain::IdError>,
) -> Result<T, FieldProblem> {
    let value = normalise(raw);
    if value.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if value.chars().any(accented) {
        return Err(FieldProblem::Diacritics);
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(FieldProblem::Symbols);
    }
    parse(&value).map_err(|_| FieldProblem::Length)
}

impl LookupInput {
    /// What is typed in one field.
    pub fn of(&self, field: Field) -> &str {
        match field {
            Field::Student => &self.student,
            Field::Code => &self.code,
        }
    }

    /// Replaces what is typed in one field.
    pub fn set(&mut self, field: Field, typed: String) {
        match field {
            Field::Student => self.student = typed,
            Field::Code => self.code = typed,
        }
    }

    /// Checks both fields at once, so the parent sees every problem in one go.
    pub fn parse(&self) -> Result<LookupQuery, FieldErrors> {
        match (
            check(&self.student, StudentCode::parse),
            check(&self.code, LookupCode::parse),
        ) {
            (Ok(student), Ok(code)) => Ok(LookupQuery {
                student,
                code: NoticeCode::Lookup(code),
            }),
            (student, code) => Err(FieldErrors {
                student: student.err(),
                code: code.err(),
            }),
        }
    }
}

/// What `?student=…` in the page's address puts in the student field: a link on the province
/// portal or the QR code on a paper notice lands the parent on a half-filled form. Anything
/// that cannot be a code is ignored rather than shown.
pub fn prefilled_student(raw: Option<&str>) -> Option<String> {
    let value = normalise(raw?);
    StudentCode::parse(&value).ok().map(String::from)
}

/// What `?ma=…` in the page's address looks up at once: a payment code's look-up. Anything that
/// cannot be a payment code is ignored, as a bad `?student=` is.
pub fn payment_code_query(raw: Option<&str>) -> Option<LookupQuery> {
    let code = PaymentCode::parse(raw?).ok()?;
    Some(LookupQuery {
        student: code.student().clone(),
        code: NoticeCode::Payment(code),
    })
}

impl LookupQuery {
    /// `GET /api/invoices?…`. Every value is ASCII letters, digits and dashes by construction,
    /// so none needs escaping.
    pub fn path(&self) -> String {
        match &self.code {
            NoticeCode::Lookup(code) => format!(
                "/api/invoices?student={}&code={}",
                self.student.as_str(),
                code.as_str()
            ),
            NoticeCode::Payment(code) => format!("/api/invoices?ma={code}"),
        }
    }

    /// The notice's code as the payment request carries it (`code`).
    pub fn code_text(&self) -> String {
        match &self.code {
            NoticeCode::Lookup(code) => code.as_str().to_owned(),
            NoticeCode::Payment(code) => code.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(student: &str, code: &str) -> LookupInput {
        LookupInput {
            student: student.to_owned(),
            code: code.to_owned(),
        }
    }

    #[test]
    fn what_phones_add_is_forgiven() {
        let cases = [
            ("hs001234", "abcd2345"),
            ("  HS 001 234 ", "ABCD-2345"),
            ("ＨＳ００１２３４", "ａｂｃｄ２３４５"),
            ("HS\u{a0}001234", "ABCD\u{200b}2345"),
            ("HS–001234", "ABCD 2345"),
        ];
        for (student, code) in cases {
            let query = input(student, code).parse().unwrap_or_else(|e| {
                panic!("{student:?}/{code:?} refused: {e:?}");
            });
            assert_eq!(query.student.as_str(), "HS001234", "{student:?}");
            assert_eq!(query.code_text(), "ABCD2345", "{code:?}");
        }
    }

    #[test]
    fn every_vietnamese_accented_letter_is_told_apart_from_a_symbol() {
        let lower = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
        for letter in lower.chars().chain(lower.to_uppercase().chars()) {
            assert!(accented(letter), "{letter}");
        }
        let decomposed = "A\u{301}";
        assert_eq!(
            input("HS001234", &format!("{decomposed}BCD2345"))
                .parse()
                .unwrap_err()
                .code,
            Some(FieldProblem::Diacritics)
        );
        for symbol in ['×', '÷', '€', '–', '·', 'A', 'z', '0', '_'] {
            assert!(!accented(symbol), "{symbol}");
        }
    }

    #[test]
    fn each_field_reports_its_own_problem() {
        let cases = [
            (
                input("", ""),
                Some(FieldProblem::Missing),
                Some(FieldProblem::Missing),
            ),
            (input("HS1", "ABCD2345"), Some(FieldProblem::Length), None),
            (input("HS001234", "ABC23"), None, Some(FieldProblem::Length)),
            (
                input("HS001234", "ABCDE2345678X"),
                None,
                Some(FieldProblem::Length),
            ),
            (
                input("HỌC001", "ABCD2345"),
                Some(FieldProblem::Diacritics),
                None,
            ),
            (
                input("HS001234", "ÁBCD2345"),
                None,
                Some(FieldProblem::Diacritics),
            ),
            (
                input("HS/001", "ABCD2345"),
                Some(FieldProblem::Symbols),
                None,
            ),
            (
                input("HS001234", "ABCD_2345"),
                None,
                Some(FieldProblem::Symbols),
            ),
        ];
        for (typed, student, code) in cases {
            let errors = typed.parse().expect_err("should be refused");
            assert_eq!((errors.student, errors.code), (student, code), "{typed:?}");
            assert!(!errors.is_empty());
        }
    }

    #[test]
    fn the_length_messages_state_the_domains_limits() {
        assert!(StudentCode::parse("HS01").is_ok() && StudentCode::parse("HS0").is_err());
        assert!(StudentCode::parse(&"9".repeat(20)).is_ok());
        assert!(StudentCode::parse(&"9".repeat(21)).is_err());
        assert!(LookupCode::parse("ABC234").is_ok() && LookupCode::parse("ABC23").is_err());
        assert!(LookupCode::parse(&"A".repeat(12)).is_ok());
        assert!(LookupCode::parse(&"A".repeat(13)).is_err());
        let vi = |t| crate::i18n::Lang::Vi.text(t);
        assert!(vi(FieldProblem::Length.message(Field::Student)).contains("4 đến 20"));
        assert!(vi(FieldProblem::Length.message(Field::Code)).contains("6 đến 12"));
    }

    #[test]
    fn the_query_path_carries_the_normalised_codes() {
        let query = input(" hs001234", "abcd-2345").parse().unwrap();
        assert_eq!(query.path(), "/api/invoices?student=HS001234&code=ABCD2345");
    }

    #[test]
    fn a_payment_code_from_the_address_looks_its_student_up_by_that_code() {
        for raw in ["HS0012345-26K7M2QXAB", "hs0012345 26k7m2qxab"] {
            let query = payment_code_query(Some(raw)).expect(raw);
            assert_eq!(query.student.as_str(), "HS0012345", "{raw}");
            assert_eq!(query.path(), "/api/invoices?ma=HS0012345-26K7M2QXAB");
            assert_eq!(query.code_text(), "HS0012345-26K7M2QXAB");
        }
        for raw in [
            "",
            "HS0012345",
            "HS0012345-26K7M2QXA0",
            "<script>-26K7M2QXAB",
        ] {
            assert_eq!(payment_code_query(Some(raw)), None, "{raw:?}");
        }
        assert_eq!(payment_code_query(None), None);
    }

    #[test]
    fn only_a_plausible_student_code_is_prefilled_from_the_address() {
        assert_eq!(
            prefilled_student(Some("hs001234")).as_deref(),
            Some("HS001234")
        );
        assert_eq!(
            prefilled_student(Some("HS 001 234")).as_deref(),
            Some("HS001234")
        );
        assert_eq!(prefilled_student(Some("<script>")), None);
        assert_eq!(prefilled_student(Some("")), None);
        assert_eq!(prefilled_student(None), None);
    }
}
