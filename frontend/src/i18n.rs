//! Every word the page shows: Vietnamese compiled in (the default, and the language of the static
//! first screen), English in `frontend/en.json`, which the build publishes as a content-hashed
//! array the page fetches only when a parent chooses English.
//!
//! Invariants: a [`Text`] is declared with its Vietnamese (the `texts!` table has no other way to
//! declare one) and `en.json` holds exactly one English entry per [`Text`], in the same order (the
//! tests hold it to this); sentences that carry values are texts with `{name}` slots that
//! [`Lang`]'s methods fill, so both languages take the same values. Until the English table is
//! installed, [`Lang::En`] shows Vietnamese rather than nothing; the page switches to English
//! only once it is there.

use std::fmt::{Display, Write as _};
use std::sync::OnceLock;

use chrono::NaiveDate;
use hocphi_domain::{Collected, Money, Pricing, Unit};

use crate::format;

/// The page's languages. Vietnamese first: it is the default and the language of the static
/// first screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Where the parent's choice is remembered (localStorage).
    pub const STORAGE_KEY: &'static str = "hocphi.lang";

    /// The BCP 47 tag, for `<html lang>`, storage and the gateway's `locale`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// Reads a stored tag; anything unknown means "no choice made".
    pub fn from_code(raw: &str) -> Option<Self> {
        match raw.trim() {
            "vi" => Some(Self::Vi),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language the switch offers.
    pub fn other(self) -> Self {
        match self {
            Self::Vi => Self::En,
            Self::En => Self::Vi,
        }
    }

    /// The language's name written in itself, as a switch shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::Vi => "Tiếng Việt",
            Self::En => "English",
        }
    }

    /// Whether this language's texts are there to show.
    pub fn ready(self) -> bool {
        self == Self::Vi || english().is_some()
    }

    /// One fixed text in this language (Vietnamese while English is not installed).
    #[inline(never)]
    pub fn text(self, text: Text) -> &'static str {
        match (self, english()) {
            (Self::En, Some(table)) => table.get(text as usize).map_or(text.vietnamese(), |en| en),
            _ => text.vietnamese(),
        }
    }

    /// The text with each `{slot}` replaced by its value (a slot without one is left out).
    fn fill(self, text: Text, values: &[(&str, &dyn Display)]) -> String {
        let mut filled = String::new();
        let mut rest = self.text(text);
        while let Some((before, after)) = rest.split_once('{') {
            filled.push_str(before);
            let (slot, after) = after.split_once('}').unwrap_or((after, ""));
            if let Some((_, value)) = values.iter().find(|(name, _)| *name == slot) {
                let _ = write!(filled, "{value}");
            }
            rest = after;
        }
        filled.push_str(rest);
        filled
    }

    /// "Thanh toán 1.500.000 ₫".
    pub fn pay_amount(self, amount: Money) -> String {
        self.fill(Text::PayAmount, &[("amount", &amount)])
    }

    /// Why a method cannot take the ticked total: its limits, and what to do.
    pub fn outside_limits(self, method: &str, min: Money, max: Money) -> String {
        self.fill(
            Text::OutsideLimits,
            &[("method", &method), ("min", &min), ("max", &max)],
        )
    }

    /// How many of the listed invoices are ticked.
    pub fn selected_count(self, chosen: usize, listed: usize) -> String {
        self.fill(
            Text::SelectedCount,
            &[("chosen", &chosen), ("listed", &listed)],
        )
    }

    /// What a screen reader hears once the invoices arrive.
    pub fn found_invoices(self, count: usize) -> String {
        match count {
            0 => self.text(Text::FoundNone).to_owned(),
            1 => self.text(Text::FoundOne).to_owned(),
            n => self.fill(Text::FoundMany, &[("count", &n)]),
        }
    }

    /// An invoice's heading: its term and school year.
    pub fn term_of_year(self, term: &str, school_year: &str) -> String {
        self.fill(Text::TermOfYear, &[("term", &term), ("year", &school_year)])
    }

    /// "Hạn nộp: 15/10/2025".
    pub fn due_on(self, date: NaiveDate) -> String {
        self.fill(Text::DueOn, &[("date", &format::date(date))])
    }

    /// A per-unit line's detail: "21 ngày × 25.000 ₫".
    pub fn priced(self, pricing: Pricing) -> String {
        let unit = self.text(match pricing.unit {
            Unit::Month => Text::UnitMonth,
            Unit::Day => Text::UnitDay,
            Unit::Term => Text::UnitTerm,
            Unit::Year => Text::UnitYear,
            Unit::Item => Text::UnitItem,
        });
        self.fill(
            Text::Priced,
            &[
                ("quantity", &pricing.quantity),
                ("unit", &unit),
                ("price", &pricing.unit_price),
            ],
        )
    }

    /// "Thu hộ Bảo hiểm xã hội tỉnh Gia Lai": the detail of a line collected on behalf.
    pub fn on_behalf(self, beneficiary: &str) -> String {
        self.fill(Text::OnBehalfOf, &[("beneficiary", &beneficiary)])
    }
}

/// The look-up's heading over the invoices due, by what they collect.
pub fn due(collected: Collected) -> Text {
    match collected {
        Collected::Tuition => Text::DueTuition,
        Collected::Fees => Text::DueFees,
        Collected::Both => Text::DueBoth,
    }
}

/// The English texts in [`Text::ALL`]'s order, once installed.
static ENGLISH: OnceLock<Box<[String]>> = OnceLock::new();

/// The English source: `[text id, English]` pairs in [`Text::ALL`]'s order. Compiled in only
/// off the page (tests and host tools); the page fetches the array the build makes of it.
#[cfg(not(target_arch = "wasm32"))]
pub const ENGLISH_SOURCE: &str = include_str!("../en.json");

#[cfg(not(target_arch = "wasm32"))]
fn english() -> Option<&'static [String]> {
    let table = ENGLISH.get_or_init(|| {
        english_from_source(ENGLISH_SOURCE)
            .unwrap_or_default()
            .into()
    });
    Some(table)
}

#[cfg(target_arch = "wasm32")]
fn english() -> Option<&'static [String]> {
    ENGLISH.get().map(|table| &table[..])
}

/// The English of `source` (`en.json`) in [`Text::ALL`]'s order; `None` unless its ids are
/// exactly the texts' names, in that order.
#[cfg(not(target_arch = "wasm32"))]
pub fn english_from_source(source: &str) -> Option<Vec<String>> {
    let pairs: Vec<(String, String)> = serde_json::from_str(source).ok()?;
    let ids = pairs.iter().map(|(id, _)| id.clone());
    ids.eq(Text::ALL.iter().map(|text| format!("{text:?}")))
        .then(|| pairs.into_iter().map(|(_, english)| english).collect())
}

/// Installs the published English texts (one per [`Text`], in [`Text::ALL`]'s order); `false`
/// if they are not that, and English stays unavailable.
pub fn install_english(table: Vec<String>) -> bool {
    table.len() == Text::ALL.len() && {
        let _ = ENGLISH.set(table.into_boxed_slice());
        true
    }
}

macro_rules! texts {
    ($($key:ident: $vi:literal;)*) => {
        /// A fixed text of the page; [`Lang::text`] gives it in a language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Text { $($key,)* }

        impl Text {
            /// Every text, for checks over the whole table.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];

            const fn vietnamese(self) -> &'static str {
                match self { $(Text::$key => $vi,)* }
            }
        }
    };
}

texts! {
    SiteName: "Học phí trực tuyến";
    SkipToContent: "Bỏ qua, đến nội dung chính";
    FooterPrivacy:
        "Mã tra cứu chỉ dùng để xem các khoản thu. Trang này không lưu mã tra cứu.";
    PageNotFound: "Không tìm thấy trang này.";
    BackToLookup: "Về trang tra cứu học phí";
    TryAgain: "Thử lại";

    LookupTitle: "Tra cứu và nộp học phí, các khoản thu";
    LookupIntro:
        "Nhập mã học sinh và mã tra cứu để xem các khoản cần nộp.";
    StudentCodeLabel: "Mã học sinh";
    LookupCodeLabel: "Mã tra cứu";
    StudentCodeHelp:
        "In trên Giấy báo thu nhà trường gửi về.";
    LookupCodeHelp:
        "Cũng in trên Giấy báo thu, có dạng ABCD-2345. Mã này bảo vệ thông tin của con bạn: đừng chia sẻ cho người khác.";
    LookupSubmit: "Tra cứu";
    LookupBusy: "Đang tra cứu…";
    StudentMissing: "Vui lòng nhập mã học sinh.";
    StudentLength: "Mã học sinh có từ 4 đến 20 ký tự.";
    CodeMissing: "Vui lòng nhập mã tra cứu.";
    CodeLength: "Mã tra cứu có từ 6 đến 12 ký tự.";
    CodeDiacritics:
        "Mã chỉ gồm chữ không dấu và chữ số. Nếu bàn phím đang gõ tiếng Việt (Telex, VNI), hãy tắt bộ gõ rồi nhập lại.";
    CodeSymbols:
        "Mã chỉ gồm chữ cái và chữ số, không có ký hiệu.";

    ErrorOffline:
        "Thiết bị đang không có kết nối mạng. Hãy kiểm tra Wi-Fi hoặc dữ liệu di động rồi thử lại.";
    ErrorTimeout:
        "Máy chủ phản hồi quá lâu, có thể do mạng chậm. Vui lòng thử lại.";
    ErrorNetwork:
        "Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.";
    ErrorUnexpected:
        "Hệ thống gặp lỗi không mong muốn. Vui lòng thử lại sau ít phút.";
    ErrorNotFound:
        "Không tìm thấy khoản thu nào. Vui lòng kiểm tra lại mã học sinh và mã tra cứu in trên Giấy báo thu.";
    ErrorTooManyAttempts:
        "Bạn đã nhập sai mã tra cứu quá nhiều lần. Vui lòng thử lại sau 15 phút.";
    ErrorInvoiceHeld:
        "Khoản thu này đang được thanh toán trong một giao dịch khác. Vui lòng đợi vài phút rồi thử lại.";
    ErrorInvoiceUnavailable:
        "Khoản thu đã được thanh toán hoặc đã thay đổi. Vui lòng tải lại danh sách.";
    ErrorInProgress:
        "Yêu cầu thanh toán đang được xử lý. Vui lòng đợi trong giây lát rồi thử lại.";
    ErrorGatewayUnavailable:
        "Không kết nối được cổng thanh toán. Vui lòng thử lại sau ít phút.";
    ErrorAmountOutOfRange:
        "Tổng số tiền nằm ngoài hạn mức một lần thanh toán của phương thức này. Vui lòng chọn ít khoản thu hơn hoặc chọn phương thức thanh toán khác.";
    ErrorUnknownPayment: "Không tìm thấy giao dịch này.";
    ErrorUnknownReceipt:
        "Không tìm thấy biên lai, hoặc đường dẫn không đúng.";

    StudentHeading: "Thông tin học sinh";
    StudentName: "Họ tên";
    School: "Trường";
    Class: "Lớp";
    ChangeStudent: "Tra cứu học sinh khác";
    InvoicesHeading: "Các khoản cần nộp";
    ChooseInvoices: "Chọn các khoản muốn thanh toán";
    NoInvoices:
        "Học sinh không còn khoản nào cần nộp. Cảm ơn quý phụ huynh!";
    Overdue: "Quá hạn";
    InvoiceTotal: "Cộng";
    SummaryHeading: "Thanh toán";
    Fees: "Tiền các khoản đã chọn";
    TransactionFee: "Phí giao dịch";
    NoFee: "Miễn phí giao dịch";
    TotalToPay: "Tổng thanh toán";
    PaymentMethod: "Hình thức thanh toán";
    VnpayMethod:
        "VNPay (quét mã QR bằng ứng dụng ngân hàng)";
    MomoMethod: "Ví MoMo (ứng dụng MoMo)";
    BankTransferMethod:
        "Chuyển khoản ngân hàng (VietQR) — miễn phí";
    PortalMethod: "Thanh toán qua Cổng Dịch vụ công";
    NothingSelected: "Hãy chọn ít nhất một khoản để thanh toán.";
    PayNote:
        "Bạn sẽ được chuyển sang trang của VNPay để thanh toán, rồi quay lại đây để xem kết quả.";
    PayNoteMomo:
        "Bạn sẽ được chuyển sang trang của MoMo để thanh toán, rồi quay lại đây để xem kết quả.";
    PayNotePayos:
        "Mã VietQR hiện ngay trên trang này: quét bằng ứng dụng của bất kỳ ngân hàng nào, không mất phí.";
    PayNotePortal:
        "Bạn sẽ được chuyển sang Cổng Dịch vụ công quốc gia để chọn ngân hàng hoặc ví và thanh toán, rồi quay lại đây để xem kết quả.";
    PayBusy: "Đang tạo giao dịch…";
    Redirecting: "Đang chuyển sang trang thanh toán VNPay…";
    RedirectingMomo: "Đang chuyển sang trang thanh toán MoMo…";
    RedirectingPayos: "Đang chuyển sang trang thanh toán payOS…";
    RedirectingPortal: "Đang chuyển sang Cổng Dịch vụ công…";
    ReloadInvoices: "Tải lại danh sách";

    TransferTitle: "Chuyển khoản để thanh toán";
    TransferIntro:
        "Mở ứng dụng ngân hàng, chọn quét mã QR và quét mã dưới đây; hoặc chuyển khoản theo đúng thông tin bên dưới.";
    TransferQrLabel: "Mã VietQR để chuyển khoản";
    TimeLeft: "Mã QR còn hiệu lực";
    TransferKeepExact:
        "Không sửa số tiền và nội dung chuyển khoản: hệ thống dựa vào đó để ghi nhận khoản đã nộp. Chuyển khác số tiền sẽ không được tính là đã nộp.";
    TransferBank: "Ngân hàng";
    TransferAccountName: "Chủ tài khoản";
    TransferAccountNumber: "Số tài khoản";
    TransferMemo: "Nội dung chuyển khoản";
    Copy: "Chép";
    Copied: "Đã chép";
    CopyManually:
        "Không chép tự động được. Nội dung đã được chọn sẵn: hãy chép thủ công.";
    SaveQr: "Lưu ảnh mã QR";
    SaveQrHint:
        "Trên điện thoại: lưu ảnh, rồi trong ứng dụng ngân hàng chọn quét mã QR từ ảnh trong thư viện.";
    OpenPayos: "Mở trang thanh toán payOS";
    NoQr:
        "Không hiển thị được mã QR trên trang này. Hãy mở trang thanh toán payOS để quét mã.";
    TransferWaiting:
        "Trang này tự cập nhật ngay khi nhà trường nhận được tiền. Không cần gửi ảnh chụp giao dịch.";
    QrExpiredTitle: "Mã QR đã hết hạn";
    QrExpiredBody:
        "Đừng chuyển khoản theo mã QR cũ. Các khoản thu vẫn chưa được nộp: hãy tạo mã QR mới để thanh toán.";
    NewQr: "Tạo mã QR mới";

    ResultTitle: "Kết quả thanh toán";
    ResultNoReference:
        "Đường dẫn này không có mã giao dịch. Nếu bạn vừa thanh toán, hãy mở lại đường dẫn trong thông báo của ngân hàng hoặc tra cứu lại học phí.";
    ResultChecking: "Đang kiểm tra kết quả thanh toán…";
    PendingTitle: "Đang chờ ngân hàng xác nhận";
    PendingBody:
        "Trang này tự cập nhật khi có kết quả. Vui lòng không thanh toán lại.";
    PendingSlowBody:
        "Ngân hàng chưa xác nhận giao dịch; đôi khi việc này mất vài phút. Đừng thanh toán lại: hãy bấm “Kiểm tra lại” sau ít phút, hoặc mở lại đường dẫn này sau. Giữ mã giao dịch bên dưới để đối chiếu.";
    CheckAgain: "Kiểm tra lại";
    ConnectionTrouble:
        "Mất kết nối với máy chủ, đang thử lại…";
    SucceededTitle: "Thanh toán thành công";
    SucceededBody:
        "Nhà trường đã nhận được tiền. Biên lai thu tiền của nhà trường đã sẵn sàng để xem và in.";
    SucceededNoReceipt:
        "Biên lai đang được lập. Hãy mở lại trang này sau ít phút để xem biên lai.";
    OpenReceipt: "Xem và in biên lai";
    FailedTitle: "Thanh toán không thành công";
    FailedBody:
        "Các khoản thu vẫn chưa được nộp, bạn có thể thanh toán lại. Nếu tài khoản đã bị trừ tiền, đừng thanh toán lại: hãy mở lại trang này sau ít phút, kết quả sẽ được cập nhật.";
    ExpiredTitle: "Giao dịch đã hết hạn";
    ExpiredBody:
        "Giao dịch không được hoàn tất trong thời gian cho phép. Các khoản thu vẫn chưa được nộp, bạn có thể thanh toán lại.";
    RefundTitle: "Nhà trường sẽ hoàn lại tiền";
    RefundBody:
        "Ngân hàng đã chuyển tiền, nhưng khoản thu đã được thanh toán hoặc đã thay đổi trước đó. Nhà trường sẽ hoàn lại số tiền này cho bạn. Hãy giữ mã giao dịch bên dưới để đối chiếu khi liên hệ nhà trường.";
    MismatchedTitle: "Số tiền chuyển khoản không khớp";
    MismatchedBody:
        "Số tiền nhận được khác số tiền cần nộp nên không được ghi nhận: các khoản vẫn chưa được nộp và không có biên lai. Nhà trường sẽ hoàn lại số tiền này cho bạn. Hãy giữ mã giao dịch bên dưới và liên hệ nhà trường.";
    AmountReceived: "Số tiền đã nhận";
    PayAgain: "Thanh toán lại";
    ReasonCancelled: "Bạn đã huỷ giao dịch.";
    ReasonTimedOut: "Đã hết thời gian chờ thanh toán.";
    ReasonInsufficientFunds: "Tài khoản không đủ số dư.";
    ReasonLimit:
        "Giao dịch vượt hạn mức của tài khoản.";
    ReasonBankMaintenance:
        "Ngân hàng đang bảo trì. Hãy thử lại sau, hoặc dùng ứng dụng của ngân hàng khác.";
    ReasonBankRefused:
        "Ngân hàng không xác thực được giao dịch (thẻ, tài khoản, mã OTP hoặc mật khẩu). Hãy kiểm tra với ngân hàng của bạn.";
    ReasonGatewayUnreachable:
        "Không kết nối được cổng thanh toán.";
    PaymentReference: "Mã giao dịch";
    Amount: "Số tiền";
    Gateway: "Cổng thanh toán";

    ReceiptTitle: "Biên lai thu tiền";
    ReceiptLoading: "Đang tải biên lai…";
    ReceiptBadLink:
        "Đường dẫn biên lai không đầy đủ. Hãy mở lại từ trang kết quả thanh toán, hoặc quét mã QR in trên biên lai.";
    Print: "In biên lai";
    PrintHint:
        "Biên lai được dàn trang vừa khổ A5. Có thể chọn “Lưu dưới dạng PDF” để lưu lại biên lai.";

    DueTuition: "Học phí cần nộp";
    DueFees: "Các khoản thu cần nộp";
    DueBoth: "Học phí và các khoản thu cần nộp";
    VoluntaryHeading: "Khoản tự nguyện (không bắt buộc)";
    VoluntaryHint: "Chỉ đánh dấu nếu quý phụ huynh muốn đóng góp. Không chọn vẫn nộp được các khoản còn lại.";
    VoluntaryChosen: "Trong đó, khoản tự nguyện";
    UnitMonth: "tháng";
    UnitDay: "ngày";
    UnitTerm: "học kỳ";
    UnitYear: "năm";
    UnitItem: "cái";

    PayAmount: "Thanh toán {amount}";
    OutsideLimits:
        "{method} chỉ nhận mỗi lần từ {min} đến {max}. Vui lòng bỏ bớt khoản thu hoặc chọn phương thức khác.";
    SelectedCount: "Đã chọn {chosen}/{listed} khoản";
    FoundNone: "Không còn khoản nào cần nộp.";
    FoundOne: "Tìm thấy 1 khoản cần nộp.";
    FoundMany: "Tìm thấy {count} khoản cần nộp.";
    TermOfYear: "{term}, năm học {year}";
    DueOn: "Hạn nộp: {date}";
    Priced: "{quantity} {unit} × {price}";
    OnBehalfOf: "Thu hộ {beneficiary}";
    EnglishUnavailable:
        "Không tải được bản tiếng Anh. Hãy kiểm tra kết nối mạng rồi bấm “English” lần nữa.";
    PrivacyLink: "Quyền riêng tư";
    PrivacyHref: "/quyen-rieng-tu.html";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_written_in_both_languages() {
        for text in Text::ALL {
            for lang in [Lang::Vi, Lang::En] {
                let shown = lang.text(*text);
                assert!(!shown.trim().is_empty(), "{text:?} is empty in {lang:?}");
                assert_eq!(shown, shown.trim(), "{text:?} has stray spaces in {lang:?}");
            }
        }
    }

    #[test]
    fn en_json_has_one_english_text_per_text_in_the_tables_order() {
        let english = english_from_source(ENGLISH_SOURCE).expect("en.json: ids in Text's order");
        assert_eq!(english.len(), Text::ALL.len());
        let shuffled = ENGLISH_SOURCE.replacen("[\"SiteName\"", "[\"Sitename\"", 1);
        assert_eq!(english_from_source(&shuffled), None);
    }

    #[test]
    fn english_installs_only_with_every_text() {
        assert!(!install_english(vec!["Online school fees".to_owned()]));
        assert!(!install_english(Vec::new()));
        assert!(install_english(
            english_from_source(ENGLISH_SOURCE).unwrap()
        ));
        assert_eq!(Lang::En.text(Text::SiteName), "Online school fees");
    }

    #[test]
    fn texts_with_values_have_the_same_slots_in_both_languages() {
        for (text, slots) in [
            (Text::PayAmount, &["amount"][..]),
            (Text::OutsideLimits, &["method", "min", "max"]),
            (Text::SelectedCount, &["chosen", "listed"]),
            (Text::FoundMany, &["count"]),
            (Text::TermOfYear, &["term", "year"]),
            (Text::DueOn, &["date"]),
            (Text::Priced, &["quantity", "unit", "price"]),
            (Text::OnBehalfOf, &["beneficiary"]),
        ] {
            for lang in [Lang::Vi, Lang::En] {
                let shown = lang.text(text);
                for slot in slots {
                    let slot = format!("{{{slot}}}");
                    assert_eq!(
                        shown.matches(&slot).count(),
                        1,
                        "{text:?} in {lang:?}: {slot}"
                    );
                }
                assert_eq!(
                    shown.matches('{').count(),
                    slots.len(),
                    "{text:?} in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn headings_say_tuition_only_where_every_charge_is_tuition() {
        use hocphi_domain::LineKind::*;
        let cases = [
            (
                &[Tuition, Subsidy, Reduction][..],
                Collected::Tuition,
                "Học phí cần nộp",
            ),
            (
                &[Service, OnBehalf, Voluntary],
                Collected::Fees,
                "Các khoản thu cần nộp",
            ),
            (
                &[Tuition, Service],
                Collected::Both,
                "Học phí và các khoản thu cần nộp",
            ),
            (&[], Collected::Fees, "Các khoản thu cần nộp"),
        ];
        for (kinds, collected, heading) in cases {
            assert_eq!(Collected::of(kinds.iter().copied()), collected, "{kinds:?}");
            assert_eq!(Lang::Vi.text(due(collected)), heading);
        }
    }

    #[test]
    fn a_line_shows_its_quantity_and_unit_price_and_who_it_is_for() {
        let pricing = Pricing {
            quantity: 21,
            unit: Unit::Day,
            unit_price: Money::from_vnd(25_000).unwrap(),
        };
        assert_eq!(Lang::Vi.priced(pricing), "21 ngày × 25.000\u{a0}₫");
        assert_eq!(Lang::En.priced(pricing), "21 × 25.000\u{a0}₫ per day");
        assert_eq!(
            Lang::Vi.on_behalf("Bảo hiểm xã hội tỉnh Gia Lai"),
            "Thu hộ Bảo hiểm xã hội tỉnh Gia Lai"
        );
    }

    #[test]
    fn no_text_calls_the_receipt_an_electronic_receipt() {
        for text in Text::ALL {
            for lang in [Lang::Vi, Lang::En] {
                let shown = lang.text(*text).to_lowercase();
                assert!(
                    !shown.contains("biên lai điện tử") && !shown.contains("e-receipt"),
                    "{text:?} in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn english_texts_are_translations_not_copies() {
        let same: Vec<_> = Text::ALL
            .iter()
            .filter(|t| Lang::Vi.text(**t) == Lang::En.text(**t))
            .collect();
        assert!(same.is_empty(), "left untranslated: {same:?}");
    }

    #[test]
    fn vietnamese_is_the_default_and_a_stored_choice_is_read_back() {
        assert_eq!(Lang::default(), Lang::Vi);
        for lang in [Lang::Vi, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn the_language_switch_names_the_other_language_in_that_language() {
        assert_eq!(Lang::Vi.other().native_name(), "English");
        assert_eq!(Lang::En.other().native_name(), "Tiếng Việt");
    }

    #[test]
    fn sentences_with_values_are_formatted_per_language() {
        let amount = Money::from_vnd(1_500_000).unwrap();
        assert_eq!(Lang::Vi.pay_amount(amount), "Thanh toán 1.500.000\u{a0}₫");
        assert_eq!(Lang::En.pay_amount(amount), "Pay 1.500.000\u{a0}₫");
        let due = NaiveDate::from_ymd_opt(2025, 10, 5).unwrap();
        assert_eq!(Lang::Vi.due_on(due), "Hạn nộp: 05/10/2025");
        assert_eq!(Lang::En.due_on(due), "Due: 05/10/2025");
        assert_eq!(Lang::Vi.selected_count(2, 3), "Đã chọn 2/3 khoản");
        assert_eq!(Lang::En.found_invoices(1), "Found 1 invoice to pay.");
        assert_eq!(Lang::En.found_invoices(2), "Found 2 invoices to pay.");
        assert_eq!(Lang::Vi.found_invoices(0), "Không còn khoản nào cần nộp.");
        assert_eq!(Lang::Vi.found_invoices(5), "Tìm thấy 5 khoản cần nộp.");
        assert_eq!(
            Lang::En.outside_limits("MoMo", amount, amount),
            "MoMo takes 1.500.000\u{a0}₫ to 1.500.000\u{a0}₫ in one payment. Please untick some fees or choose another method."
        );
        assert_eq!(
            Lang::Vi.term_of_year("Học kỳ I", "2025-2026"),
            "Học kỳ I, năm học 2025-2026"
        );
    }
}
