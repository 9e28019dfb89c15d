//! Every word the page shows, in Vietnamese (the default) and English.
//!
//! Invariant: a [`Text`] exists only with both translations (the `texts!` table has no other
//! way to declare one), and sentences that carry values are methods on [`Lang`] with an
//! exhaustive match, so no screen can fall back to a missing string.

use chrono::NaiveDate;
use hocphi_domain::Money;

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

    /// One fixed text in this language.
    pub fn text(self, text: Text) -> &'static str {
        let [vi, en] = text.pair();
        match self {
            Self::Vi => vi,
            Self::En => en,
        }
    }

    /// "Thanh toán 1.500.000 ₫".
    pub fn pay_amount(self, amount: Money) -> String {
        match self {
            Self::Vi => format!("Thanh toán {amount}"),
            Self::En => format!("Pay {amount}"),
        }
    }

    /// Why a method cannot take the ticked total: its limits, and what to do.
    pub fn outside_limits(self, method: &str, min: Money, max: Money) -> String {
        match self {
            Self::Vi => format!(
                "{method} chỉ nhận mỗi lần từ {min} đến {max}. Vui lòng bỏ bớt khoản thu hoặc chọn phương thức khác."
            ),
            Self::En => format!(
                "{method} takes {min} to {max} in one payment. Please untick some fees or choose another method."
            ),
        }
    }

    /// How many of the listed invoices are ticked.
    pub fn selected_count(self, chosen: usize, listed: usize) -> String {
        match self {
            Self::Vi => format!("Đã chọn {chosen}/{listed} khoản"),
            Self::En => format!("{chosen} of {listed} selected"),
        }
    }

    /// What a screen reader hears once the invoices arrive.
    pub fn found_invoices(self, count: usize) -> String {
        match (self, count) {
            (Self::Vi, 0) => "Không còn khoản nào cần nộp.".to_owned(),
            (Self::Vi, n) => format!("Tìm thấy {n} khoản cần nộp."),
            (Self::En, 0) => "Nothing is due.".to_owned(),
            (Self::En, 1) => "Found 1 invoice to pay.".to_owned(),
            (Self::En, n) => format!("Found {n} invoices to pay."),
        }
    }

    /// An invoice's heading: its term and school year.
    pub fn term_of_year(self, term: &str, school_year: &str) -> String {
        match self {
            Self::Vi => format!("{term}, năm học {school_year}"),
            Self::En => format!("{term}, school year {school_year}"),
        }
    }

    /// "Hạn nộp: 15/10/2025".
    pub fn due_on(self, date: NaiveDate) -> String {
        let shown = format::date(date);
        match self {
            Self::Vi => format!("Hạn nộp: {shown}"),
            Self::En => format!("Due: {shown}"),
        }
    }
}

macro_rules! texts {
    ($($key:ident: $vi:literal, $en:literal;)*) => {
        /// A fixed text of the page; [`Lang::text`] gives it in a language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Text { $($key,)* }

        impl Text {
            /// Every text, for checks over the whole table.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];

            const fn pair(self) -> [&'static str; 2] {
                match self { $(Text::$key => [$vi, $en],)* }
            }
        }
    };
}

texts! {
    SiteName: "Học phí trực tuyến", "Online school fees";
    SkipToContent: "Bỏ qua, đến nội dung chính", "Skip to main content";
    FooterPrivacy:
        "Mã tra cứu chỉ dùng để xem các khoản thu. Trang này không lưu mã tra cứu.",
        "The lookup code is only used to show the fees due. This page does not keep it.";
    PageNotFound: "Không tìm thấy trang này.", "This page does not exist.";
    BackToLookup: "Về trang tra cứu học phí", "Back to the fee look-up";
    TryAgain: "Thử lại", "Try again";

    LookupTitle: "Tra cứu và nộp học phí", "Look up and pay school fees";
    LookupIntro:
        "Nhập mã học sinh và mã tra cứu để xem các khoản cần nộp.",
        "Enter the student code and the lookup code to see the fees due.";
    StudentCodeLabel: "Mã học sinh", "Student code";
    LookupCodeLabel: "Mã tra cứu", "Lookup code";
    StudentCodeHelp:
        "In trên Giấy báo học phí nhà trường gửi về.",
        "Printed on the fee notice from the school (“Giấy báo học phí”).";
    LookupCodeHelp:
        "Cũng in trên Giấy báo học phí, có dạng ABCD-2345. Mã này bảo vệ thông tin của con bạn: đừng chia sẻ cho người khác.",
        "Also printed on the fee notice, in the form ABCD-2345. It protects your child's details: do not share it.";
    LookupSubmit: "Tra cứu", "Look up";
    LookupBusy: "Đang tra cứu…", "Looking up…";
    StudentMissing: "Vui lòng nhập mã học sinh.", "Please enter the student code.";
    StudentLength: "Mã học sinh có từ 4 đến 20 ký tự.", "A student code has 4 to 20 characters.";
    CodeMissing: "Vui lòng nhập mã tra cứu.", "Please enter the lookup code.";
    CodeLength: "Mã tra cứu có từ 6 đến 12 ký tự.", "A lookup code has 6 to 12 characters.";
    CodeDiacritics:
        "Mã chỉ gồm chữ không dấu và chữ số. Nếu bàn phím đang gõ tiếng Việt (Telex, VNI), hãy tắt bộ gõ rồi nhập lại.",
        "Codes use only unaccented letters and digits. If your keyboard is typing Vietnamese (Telex, VNI), turn that off and type the code again.";
    CodeSymbols:
        "Mã chỉ gồm chữ cái và chữ số, không có ký hiệu.",
        "Codes contain only letters and digits, no symbols.";

    ErrorOffline:
        "Thiết bị đang không có kết nối mạng. Hãy kiểm tra Wi-Fi hoặc dữ liệu di động rồi thử lại.",
        "Your device is offline. Check Wi-Fi or mobile data, then try again.";
    ErrorTimeout:
        "Máy chủ phản hồi quá lâu, có thể do mạng chậm. Vui lòng thử lại.",
        "The server took too long to answer, perhaps because the connection is slow. Please try again.";
    ErrorNetwork:
        "Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.",
        "Could not reach the server. Please check your connection and try again.";
    ErrorUnexpected:
        "Hệ thống gặp lỗi không mong muốn. Vui lòng thử lại sau ít phút.",
        "Something went wrong on our side. Please try again in a few minutes.";
    ErrorNotFound:
        "Không tìm thấy khoản thu nào. Vui lòng kiểm tra lại mã học sinh và mã tra cứu in trên Giấy báo học phí.",
        "No fees were found. Please check the student code and the lookup code printed on the fee notice.";
    ErrorTooManyAttempts:
        "Bạn đã nhập sai mã tra cứu quá nhiều lần. Vui lòng thử lại sau 15 phút.",
        "The lookup code was wrong too many times. Please try again in 15 minutes.";
    ErrorInvoiceHeld:
        "Khoản thu này đang được thanh toán trong một giao dịch khác. Vui lòng đợi vài phút rồi thử lại.",
        "This fee is being paid in another transaction. Please wait a few minutes and try again.";
    ErrorInvoiceUnavailable:
        "Khoản thu đã được thanh toán hoặc đã thay đổi. Vui lòng tải lại danh sách.",
        "A fee has already been paid or has changed. Please reload the list.";
    ErrorInProgress:
        "Yêu cầu thanh toán đang được xử lý. Vui lòng đợi trong giây lát rồi thử lại.",
        "Your payment request is still being processed. Please wait a moment and try again.";
    ErrorGatewayUnavailable:
        "Không kết nối được cổng thanh toán. Vui lòng thử lại sau ít phút.",
        "The payment gateway could not be reached. Please try again in a few minutes.";
    ErrorAmountOutOfRange:
        "Tổng số tiền nằm ngoài hạn mức một lần thanh toán của phương thức này. Vui lòng chọn ít khoản thu hơn hoặc chọn phương thức thanh toán khác.",
        "The total is outside what this payment method takes in one payment. Please choose fewer fees or another payment method.";
    ErrorUnknownPayment: "Không tìm thấy giao dịch này.", "This payment could not be found.";
    ErrorUnknownReceipt:
        "Không tìm thấy biên lai, hoặc đường dẫn không đúng.",
        "The receipt was not found, or the link is not right.";

    StudentHeading: "Thông tin học sinh", "Student";
    StudentName: "Họ tên", "Name";
    School: "Trường", "School";
    Class: "Lớp", "Class";
    ChangeStudent: "Tra cứu học sinh khác", "Look up another student";
    InvoicesHeading: "Các khoản cần nộp", "Fees due";
    ChooseInvoices: "Chọn các khoản muốn thanh toán", "Choose the fees to pay";
    NoInvoices:
        "Học sinh không còn khoản nào cần nộp. Cảm ơn quý phụ huynh!",
        "Nothing is due for this student. Thank you!";
    Overdue: "Quá hạn", "Overdue";
    InvoiceTotal: "Cộng", "Subtotal";
    SummaryHeading: "Thanh toán", "Payment";
    Fees: "Tiền các khoản đã chọn", "Selected fees";
    TransactionFee: "Phí giao dịch", "Transaction fee";
    NoFee: "Miễn phí giao dịch", "No fee";
    TotalToPay: "Tổng thanh toán", "Total to pay";
    PaymentMethod: "Hình thức thanh toán", "Payment method";
    VnpayMethod:
        "VNPay (quét mã QR bằng ứng dụng ngân hàng)",
        "VNPay (scan the QR code with your banking app)";
    MomoMethod: "Ví MoMo (ứng dụng MoMo)", "MoMo wallet (the MoMo app)";
    BankTransferMethod:
        "Chuyển khoản ngân hàng (VietQR) — miễn phí",
        "Bank transfer (VietQR), free of charge";
    NothingSelected: "Hãy chọn ít nhất một khoản để thanh toán.", "Choose at least one fee to pay.";
    PayNote:
        "Bạn sẽ được chuyển sang trang của VNPay để thanh toán, rồi quay lại đây để xem kết quả.",
        "You will go to VNPay's page to pay, then come back here to see the result.";
    PayNoteMomo:
        "Bạn sẽ được chuyển sang trang của MoMo để thanh toán, rồi quay lại đây để xem kết quả.",
        "You will go to MoMo's page to pay, then come back here to see the result.";
    PayNotePayos:
        "Mã VietQR hiện ngay trên trang này: quét bằng ứng dụng của bất kỳ ngân hàng nào, không mất phí.",
        "The VietQR code appears right on this page: scan it with any bank's app, free of charge.";
    PayBusy: "Đang tạo giao dịch…", "Creating the payment…";
    Redirecting: "Đang chuyển sang trang thanh toán VNPay…", "Taking you to VNPay's payment page…";
    RedirectingMomo: "Đang chuyển sang trang thanh toán MoMo…", "Taking you to MoMo's payment page…";
    RedirectingPayos: "Đang chuyển sang trang thanh toán payOS…", "Taking you to payOS's payment page…";
    ReloadInvoices: "Tải lại danh sách", "Reload the list";

    TransferTitle: "Chuyển khoản để nộp học phí", "Pay by bank transfer";
    TransferIntro:
        "Mở ứng dụng ngân hàng, chọn quét mã QR và quét mã dưới đây; hoặc chuyển khoản theo đúng thông tin bên dưới.",
        "Open your banking app, choose to scan a QR code and scan the one below; or make the transfer with exactly the details below.";
    TransferQrLabel: "Mã VietQR để chuyển khoản", "VietQR code for the transfer";
    TimeLeft: "Mã QR còn hiệu lực", "QR code valid for";
    TransferKeepExact:
        "Không sửa số tiền và nội dung chuyển khoản: hệ thống dựa vào đó để ghi nhận học phí. Chuyển khác số tiền sẽ không được tính là đã nộp.",
        "Do not change the amount or the transfer message: the system relies on them to record the payment. A different amount does not count as paid.";
    TransferBank: "Ngân hàng", "Bank";
    TransferAccountName: "Chủ tài khoản", "Account name";
    TransferAccountNumber: "Số tài khoản", "Account number";
    TransferMemo: "Nội dung chuyển khoản", "Transfer message";
    Copy: "Chép", "Copy";
    Copied: "Đã chép", "Copied";
    CopyManually:
        "Không chép tự động được. Nội dung đã được chọn sẵn: hãy chép thủ công.",
        "Could not copy automatically. The text is selected: please copy it by hand.";
    SaveQr: "Lưu ảnh mã QR", "Save the QR image";
    SaveQrHint:
        "Trên điện thoại: lưu ảnh, rồi trong ứng dụng ngân hàng chọn quét mã QR từ ảnh trong thư viện.",
        "On a phone: save the image, then in your banking app choose to scan a QR code from a picture in your gallery.";
    OpenPayos: "Mở trang thanh toán payOS", "Open payOS's payment page";
    NoQr:
        "Không hiển thị được mã QR trên trang này. Hãy mở trang thanh toán payOS để quét mã.",
        "The QR code cannot be shown on this page. Open payOS's payment page to scan it.";
    TransferWaiting:
        "Trang này tự cập nhật ngay khi nhà trường nhận được tiền. Không cần gửi ảnh chụp giao dịch.",
        "This page updates by itself as soon as the school receives the money. No need to send a screenshot.";
    QrExpiredTitle: "Mã QR đã hết hạn", "The QR code has expired";
    QrExpiredBody:
        "Đừng chuyển khoản theo mã QR cũ. Các khoản thu vẫn chưa được nộp: hãy tạo mã QR mới để thanh toán.",
        "Do not transfer with the old QR code. The fees are still unpaid: make a new QR code to pay.";
    NewQr: "Tạo mã QR mới", "Make a new QR code";

    ResultTitle: "Kết quả thanh toán", "Payment result";
    ResultNoReference:
        "Đường dẫn này không có mã giao dịch. Nếu bạn vừa thanh toán, hãy mở lại đường dẫn trong thông báo của ngân hàng hoặc tra cứu lại học phí.",
        "This link has no payment reference. If you have just paid, open the link from your bank's notice again, or look up the fees again.";
    ResultChecking: "Đang kiểm tra kết quả thanh toán…", "Checking the payment result…";
    PendingTitle: "Đang chờ ngân hàng xác nhận", "Waiting for the bank to confirm";
    PendingBody:
        "Trang này tự cập nhật khi có kết quả. Vui lòng không thanh toán lại.",
        "This page updates by itself when the result arrives. Please do not pay again.";
    PendingSlowBody:
        "Ngân hàng chưa xác nhận giao dịch; đôi khi việc này mất vài phút. Đừng thanh toán lại: hãy bấm “Kiểm tra lại” sau ít phút, hoặc mở lại đường dẫn này sau. Giữ mã giao dịch bên dưới để đối chiếu.",
        "The bank has not confirmed the payment yet; this sometimes takes a few minutes. Do not pay again: press “Check again” in a few minutes, or open this link later. Keep the payment reference below.";
    CheckAgain: "Kiểm tra lại", "Check again";
    ConnectionTrouble:
        "Mất kết nối với máy chủ, đang thử lại…",
        "Lost the connection to the server, retrying…";
    SucceededTitle: "Thanh toán thành công", "Payment received";
    SucceededBody:
        "Nhà trường đã nhận được học phí. Biên lai điện tử đã được lập.",
        "The school has received the payment. Your e-receipt is ready.";
    SucceededNoReceipt:
        "Biên lai đang được lập. Hãy mở lại trang này sau ít phút để xem biên lai.",
        "The receipt is being prepared. Open this page again in a few minutes to see it.";
    OpenReceipt: "Xem và in biên lai", "View and print the receipt";
    FailedTitle: "Thanh toán không thành công", "The payment did not go through";
    FailedBody:
        "Các khoản thu vẫn chưa được nộp, bạn có thể thanh toán lại. Nếu tài khoản đã bị trừ tiền, đừng thanh toán lại: hãy mở lại trang này sau ít phút, kết quả sẽ được cập nhật.",
        "The fees are still unpaid and you can pay again. If your account was debited, do not pay again: open this page again in a few minutes and the result will be updated.";
    ExpiredTitle: "Giao dịch đã hết hạn", "The payment expired";
    ExpiredBody:
        "Giao dịch không được hoàn tất trong thời gian cho phép. Các khoản thu vẫn chưa được nộp, bạn có thể thanh toán lại.",
        "The payment was not completed in time. The fees are still unpaid and you can pay again.";
    RefundTitle: "Nhà trường sẽ hoàn lại tiền", "The school will refund you";
    RefundBody:
        "Ngân hàng đã chuyển tiền, nhưng khoản thu đã được thanh toán hoặc đã thay đổi trước đó. Nhà trường sẽ hoàn lại số tiền này cho bạn. Hãy giữ mã giao dịch bên dưới để đối chiếu khi liên hệ nhà trường.",
        "The bank sent the money, but the fee had already been paid or had changed. The school will refund this amount to you. Keep the payment reference below for when you contact the school.";
    MismatchedTitle: "Số tiền chuyển khoản không khớp", "The amount transferred does not match";
    MismatchedBody:
        "Số tiền nhận được khác số tiền cần nộp nên không được dùng để nộp học phí: các khoản thu vẫn chưa được nộp và không có biên lai. Nhà trường sẽ hoàn lại số tiền này cho bạn. Hãy giữ mã giao dịch bên dưới và liên hệ nhà trường.",
        "The amount received is not the amount due, so it was not used to pay the fees: they are still unpaid and there is no receipt. The school will return this money to you. Keep the payment reference below and contact the school.";
    AmountReceived: "Số tiền đã nhận", "Amount received";
    PayAgain: "Thanh toán lại", "Pay again";
    ReasonCancelled: "Bạn đã huỷ giao dịch.", "You cancelled the payment.";
    ReasonTimedOut: "Đã hết thời gian chờ thanh toán.", "The time to pay ran out.";
    ReasonInsufficientFunds: "Tài khoản không đủ số dư.", "The account did not have enough money.";
    ReasonLimit:
        "Giao dịch vượt hạn mức của tài khoản.",
        "The payment was over the account's limit.";
    ReasonBankMaintenance:
        "Ngân hàng đang bảo trì. Hãy thử lại sau, hoặc dùng ứng dụng của ngân hàng khác.",
        "The bank is under maintenance. Try again later, or use another bank's app.";
    ReasonBankRefused:
        "Ngân hàng không xác thực được giao dịch (thẻ, tài khoản, mã OTP hoặc mật khẩu). Hãy kiểm tra với ngân hàng của bạn.",
        "The bank could not authenticate the payment (card, account, OTP or password). Please check with your bank.";
    ReasonGatewayUnreachable:
        "Không kết nối được cổng thanh toán.",
        "The payment gateway could not be reached.";
    PaymentReference: "Mã giao dịch", "Payment reference";
    Amount: "Số tiền", "Amount";
    Gateway: "Cổng thanh toán", "Payment gateway";

    ReceiptTitle: "Biên lai thu tiền", "Receipt";
    ReceiptLoading: "Đang tải biên lai…", "Loading the receipt…";
    ReceiptBadLink:
        "Đường dẫn biên lai không đầy đủ. Hãy mở lại từ trang kết quả thanh toán, hoặc quét mã QR in trên biên lai.",
        "This receipt link is incomplete. Open it again from the payment result page, or scan the QR code printed on the receipt.";
    ReceiptTemplate: "Mẫu số", "Form";
    ReceiptSeries: "Ký hiệu", "Series";
    ReceiptNumber: "Số", "No.";
    ReceiptIssuedAt: "Thời gian thu", "Paid at";
    ReceiptCollector: "Đơn vị thu", "Collected by";
    ReceiptItems: "Các khoản đã nộp", "Fees paid";
    ReceiptTerm: "Kỳ thu", "Term";
    ReceiptDescription: "Nội dung", "Description";
    ReceiptTotal: "Tổng cộng", "Total";
    ReceiptInWords: "Số tiền bằng chữ", "Amount in words";
    ReceiptPaidThrough: "Hình thức thanh toán", "Paid through";
    ReceiptGatewayTxn: "Mã giao dịch của cổng thanh toán", "Gateway transaction number";
    ReceiptQrLabel: "Mã QR mở biên lai này", "QR code that opens this receipt";
    ReceiptVerify:
        "Quét mã QR để mở và đối chiếu biên lai này trên hệ thống thu học phí.",
        "Scan the QR code to open this receipt on the fee system and check it.";
    ReceiptOnline:
        "Nội dung biên lai được lấy trực tiếp từ hệ thống thu học phí khi mở trang.",
        "This receipt is read directly from the fee system when the page opens.";
    Print: "In biên lai", "Print the receipt";
    PrintHint:
        "Biên lai được dàn trang vừa khổ A5. Có thể chọn “Lưu dưới dạng PDF” để lưu lại biên lai.",
        "The receipt is laid out for A5 paper. Choose “Save as PDF” to keep a copy.";
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
        assert_eq!(
            Lang::Vi.term_of_year("Học kỳ I", "2025-2026"),
            "Học kỳ I, năm học 2025-2026"
        );
    }
}
