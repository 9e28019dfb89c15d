//! `hocphi-admin`: the command line of school accountants and province operators.
//!
//! It works on the local SQLite file (`--store sqlite:<path>`, default `sqlite:.hocphi/hocphi.db`)
//! or on a province's DynamoDB table (`--store dynamodb:<table>`; region and credentials from the
//! environment, `HOCPHI_DYNAMODB_ENDPOINT` overrides the endpoint). Every change goes through the
//! domain's [`Store`](hocphi_domain::Store) port, so the store's rules hold here too: a Paid
//! invoice is never altered, an invoice a live payment holds is neither changed nor voided.
//!
//! # Commands
//!
//! | command | what it does |
//! |---|---|
//! | `school add --id <ID> --name <TÊN> --template <KÝ HIỆU MẪU> --series <KÝ HIỆU> [--payee <TÀI KHOẢN>] [--commune <XÃ/PHƯỜNG>]` | adds or updates a school (schools exist before their invoices are imported); `--payee` names the payOS channel its VietQR transfers are paid into (several schools may share one); `--commune` the commune or ward it is in (the Department's report groups by it); without them an existing school keeps its own |
//! | `school set-payee --id <ID> (--payee <TÀI KHOẢN> \| --none)` | sets or removes a school's payee (without one, its students are not offered a bank transfer); payments already opened keep theirs |
//! | `import <tệp.csv\|tệp.xlsx> [--dry-run] [--skip-invalid] [--codes-out <tệp.csv>]` | imports invoices, creates students, hands out lookup codes |
//! | `catalogue import <tệp.csv\|tệp.xlsx> [--dry-run]` / `catalogue list` | imports or prints the catalogue of collection items (below) |
//! | `export receipts [--school <ID>] --from <yyyy-mm-dd> --to <yyyy-mm-dd> [--out <tệp.csv\|tệp.xlsx>]` | the receipts issued on those days (Vietnam time, both days included) |
//! | `reconcile --gateway (vnpay\|payos) <đối-soát.csv\|.xlsx> [--out <báo-cáo.csv\|.xlsx>] [--school <ID>] [--from …] [--to …]` | compares the channel's transaction list with hocphi's payments and receipts |
//! | `reconcile --partner <ID> <tệp.csv\|.xlsx> [--out …] [--school <ID>] [--from …] [--to …]` | compares a bill-payment partner's daily file with its confirmations hocphi recorded |
//! | `payment-code --student <MÃ> [--year 2026-2027]` | prints a student's payment code (printed on fee notices; the portal and banks look the bill up by it), issued under the lookup key |
//! | `payos confirm-webhook --payee <TÀI KHOẢN> [--url <URL>]` | registers the payee's webhook URL (default `{HOCPHI_SITE_URL}/api/callbacks/payos/<TÀI KHOẢN>`) with payOS, with that channel's keys from `HOCPHI_PAYOS_CHANNELS` or the secret `HOCPHI_PAYOS_CHANNELS_ARN` names; prints payOS's answer (exit 1 when refused, with what to do) |
//! | `notices --school <ID> [--class <LỚP>] --out <tệp.html> [--layout a5\|a4-2up] [--codes <ma-tra-cuu.csv>] [--site <URL>] [--payment-codes]` | the fee notices of the school's open invoices, one per student, as print-ready HTML (see [`notices`]) |
//! | `report --from <yyyy-mm-dd> --to <yyyy-mm-dd> [--school <ID>] --out <báo-cáo.xlsx>` | the Department's collection report by commune/ward, school, kind and item, with the channels parents paid through and the refunds due (see [`report`]) |
//! | `void <mã khoản thu> --reason "<lý do>"` | voids an open invoice |
//! | `store reindex [--dry-run]` | DynamoDB: writes the index attributes that items written by an earlier version lack (the report's and a privacy export's queries miss them otherwise), each update conditioned on the item being unchanged since read; a second run updates nothing; exit 3 when items changed meanwhile (run it again). SQLite: nothing to do (its migrations did it) |
//! | `rekey-lookups [--dry-run]` | makes every lookup digest stored before digests were keyed a keyed one (no parent gets a new code) |
//! | `privacy export --student <MÃ> [--out <tệp.json>]` | everything hocphi holds about a student, as JSON (a data subject's access, Law 91/2025/QH15); the file is new and readable by its owner only |
//! | `privacy erase --student <MÃ>` | deletes the student record (lookup digest included), open and voided invoices, unpaid payments and look-up counters; pseudonymises paid invoices, payments that moved money and receipts (kept under the Law on Accounting 88/2015/QH13): a random `ANDANH…` code, name and class removed; refused (exit 3) while a payment is pending; a second run finds nothing |
//! | `privacy retention [--days N]` | runs the retention job now (the sweeper runs it every 5 minutes), looking back N days (default 3) |
//! | `show student <mã>` / `show invoice <mã>` / `show payment <mã>` | human-readable state; a payment shows its payee and every transfer of another amount it received (to be returned) |
//!
//! Exit codes: `0` done; `1` failed, or refused to write anything (the reason is printed); `2` the
//! command line is wrong; `3` done, but something needs an operator's attention (rows skipped,
//! invoices refused, a void refused, discrepancies found by `reconcile`).
//!
//! # The import file
//!
//! A CSV file (UTF-8 with or without BOM, `,` or `;` between cells, or the first line `sep=;`) or
//! an XLSX workbook (its first sheet). The first non-empty row holds the headers; their order is
//! free, other columns are ignored, and headers match regardless of case, extra spaces, accents
//! and a note in brackets (`so tien (VND)` is `Số tiền`). One row per line item; the rows sharing
//! a `Mã khoản thu` form one invoice, wherever they are in the file.
//!
//! | header | required | content |
//! |---|---|---|
//! | `Mã trường` | yes | a school already added with `school add` |
//! | `Mã học sinh` | yes | 4–20 letters and digits |
//! | `Họ và tên` | yes | the student's full name: only its masked form (`Nguyễn V. A.`) is stored |
//! | `Lớp` | yes | `6A1` |
//! | `Năm học` | yes | `2025-2026` |
//! | `Học kỳ` | yes | the term as printed on the notice: `Học kỳ 1` |
//! | `Mã khoản thu` | yes | the invoice id: letters, digits, `-`, `_`, `.`, at most 64 |
//! | `Nội dung` | yes | the line item: `Học phí học kỳ 1` (unique within an invoice) |
//! | `Số tiền` | yes | a positive whole number of đồng: `1500000`, `1.500.000`, `1 500 000`, `1.500.000 ₫`, `1500000đ`; never `1,5` or `1.500.000,50` |
//! | `Hạn nộp` | yes | `dd/mm/yyyy` (also `yyyy-mm-dd`), or an Excel date (a date cell or its serial number) |
//! | `Tổng tiền` | no | when filled in, the invoice's total: what it requires, its charges less its adjustments (voluntary lines not counted) |
//! | `Loại khoản` | no | `học phí` (blank), `dịch vụ`, `thu hộ`, `tự nguyện`, or an adjustment: `hỗ trợ học phí`, `miễn giảm` (its amount is deducted) |
//! | `Mã khoản` | no | an item of the catalogue: the line takes its kind, unit and beneficiary (a file that says otherwise is refused), and its cap |
//! | `Số lượng`, `Đơn vị`, `Đơn giá` | no | a line priced per unit: `21`, `ngày`, `25.000`; `Số tiền` may then be blank (it is computed) or must equal quantity × unit price |
//! | `Đơn vị thu hộ` | no | who a `thu hộ` line is collected for (`Bảo hiểm xã hội tỉnh Gia Lai`), unless its item names it |
//!
//! The rows of one invoice agree on school, student, school year, term, due date and total; a
//! student has one school, name and class throughout the file. Every row is checked and every
//! problem reported as `Dòng <n>, cột "<cột>": <lý do>` (`n` is the row number a spreadsheet shows,
//! the header being row 1). If any row is bad nothing is written, unless `--skip-invalid`, which
//! skips each invoice that has a bad row, whole. `--dry-run` checks and compares with the store
//! but writes nothing. Importing the same file again changes nothing.
//!
//! Students met for the first time get a lookup code (the second factor a parent types); the store
//! keeps only its digest, keyed with the province's lookup key (HMAC-SHA256), and the codes are
//! written once, before anything is stored, to a new CSV file (`--codes-out`, default
//! `ma-tra-cuu-<yyyy-mm-dd>.csv`, never overwritten, readable by its owner only) with the headers
//! `Mã trường, Mã học sinh, Họ và tên, Lớp, Mã tra cứu`, to be printed on the fee notices. It is
//! the only place the full name and the code ever appear. Students already known keep their code
//! (their class and masked name are updated); a student the store knows at another school is
//! refused (`Dòng <n>, cột "Mã trường"`), as a bad row is, since a student code names one student
//! of the province.
//!
//! The lookup key comes from `HOCPHI_LOOKUP_KEY`, or from the Secrets Manager secret that
//! `HOCPHI_LOOKUP_KEY_ARN` names (its name `hocphi/<tỉnh>/lookup-key` or its ARN, region and
//! credentials from the environment); on a SQLite store without either, from the local stack's
//! `lookup-key` file beside the database (created if missing).
//!
//! A unit price (or, without quantity, an amount) over the item's cap is refused:
//! `Dòng 14, cột "Đơn giá": 30.000 ₫ vượt mức trần 25.000 ₫/ngày của khoản BANTRU`. An adjustment
//! line stores its amount under a neutral label (`Miễn, giảm theo quy định` always for a
//! reduction, whose reason is sensitive personal data; `Hỗ trợ học phí theo quy định` for a
//! subsidy without text), never the reason. An invoice needs a charge to pay (voluntary lines are
//! offered beside one), and its adjustments must leave something due.
//!
//! Samples are shipped in `samples/hoc-phi-mau.csv` (and `samples/hoc-phi-mau.xlsx`), and, with
//! the new columns, `samples/hoc-phi-2026-mau.csv` (after `samples/danh-muc-mau.csv`).
//!
//! # The catalogue file
//!
//! The province's catalogue of collection items, read like the import file, one row per item:
//!
//! | header | required | content |
//! |---|---|---|
//! | `Mã khoản` (`ma_khoan`) | yes | `BANTRU`: letters without accents, digits, `-`, `_`, at most 24 |
//! | `Tên khoản` (`ten_khoan`) | yes | `Tiền ăn bán trú` |
//! | `Loại` (`loai`) | yes | `học phí`, `dịch vụ`, `thu hộ` or `tự nguyện` (adjustments are lines of invoices, not items) |
//! | `Đơn vị` (`don_vi`) | yes | `tháng`, `ngày`, `học kỳ`, `năm`, `cái` (`bộ`, `lần`) |
//! | `Mức trần` (`muc_tran`) | no | the most a unit may cost, as the province's resolution sets it |
//! | `Đơn vị thu hộ` (`don_vi_thu_ho`) | for `thu hộ` only | who the money is collected for |
//! | `Mã trường` (`truong`) | no | a school's own entry (where the province allows it), found before the province's |
//!
//! Any problem refuses the whole file; importing it again changes nothing.
//!
//! # The receipts export
//!
//! CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) or XLSX, one row per receipt line,
//! headers `Ngày thu, Số biên lai, Ký hiệu mẫu, Ký hiệu, Mã học sinh, Họ tên, Lớp, Mã khoản thu,
//! Nội dung, Số tiền, Cổng thanh toán, Mã giao dịch cổng, Mã thanh toán`, then a totals row
//! (`Tổng cộng`, the number of receipts, the sum). Amounts are plain whole numbers of đồng. In
//! every CSV this tool writes, a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, so a spreadsheet shows it instead of running it.
//!
//! # The VNPay settlement file
//!
//! The transaction list exported from VNPay's merchant portal, CSV or XLSX, read like the import
//! file (any header order, tolerant matching, other columns ignored):
//!
//! | meaning | accepted headers |
//! |---|---|
//! | the merchant reference (hocphi's payment reference) | `vnp_TxnRef`, `Mã giao dịch merchant`, `Mã GD merchant`, `Mã đơn hàng`, `Mã thanh toán` |
//! | VNPay's transaction number | `vnp_TransactionNo`, `Mã GD VNPAY`, `Mã giao dịch VNPAY` |
//! | the amount | `Số tiền`, `Số tiền giao dịch` (đồng), or `vnp_Amount` (VNPay's unit, đồng × 100) |
//! | the outcome (at least one) | `vnp_ResponseCode`, `Mã phản hồi`, `Mã lỗi`; `vnp_TransactionStatus`, `Trạng thái`, `Trạng thái giao dịch`, `Tình trạng` |
//! | when it was paid (optional) | `vnp_PayDate` (`yyyyMMddHHmmss`), `Ngày thanh toán`, `Thời gian thanh toán`, `Ngày giao dịch`, `Thời gian giao dịch` (`dd/mm/yyyy HH:MM[:SS]`, Vietnam time) |
//!
//! The headers, `vnp_Amount`'s unit and what counts as a capture are VNPay's rules, kept in
//! `hocphi_gateways::vnpay::settlement` (its `Column` lists every accepted header).
//! A row is a capture when its codes are `00` (both, if both columns are present) or its status
//! reads `Thành công` / `Giao dịch thành công`. The days the file covers are those of its pay
//! dates unless `--from`/`--to` say otherwise; receipts issued on those days are expected in the
//! file. The report's categories are listed in [`reconcile::Category`].
//!
//! # The payOS transaction export
//!
//! The transaction list exported from my.payos.vn, CSV or XLSX, read the same way. payOS does
//! not publish its layout and it was not checked against a real export (no payOS account): the
//! accepted headers, in `hocphi_gateways::payos::settlement`, are the plausible Vietnamese and
//! English wordings of payOS's own fields:
//!
//! | meaning | accepted headers |
//! |---|---|
//! | the order (hocphi's payment, by its number) | `Mã đơn hàng`, `orderCode`, `Order code`, `Mã đơn`, `Mã ĐH`, `Đơn hàng` |
//! | the amount (đồng, required) | `Số tiền`, `amount`, `Số tiền giao dịch`, `Số tiền thanh toán`, `Số tiền nhận`, `Giá trị` |
//! | the bank's reference of the transfer | `Mã tham chiếu`, `reference`, `Mã giao dịch`, `Mã GD`, `Mã giao dịch ngân hàng`, `Số tham chiếu`, … |
//! | when the money arrived (optional) | `Thời gian`, `transactionDateTime`, `Thời gian giao dịch`, `Ngày giao dịch`, … (`yyyy-mm-dd HH:MM:SS` or `dd/mm/yyyy HH:MM[:SS]`, Vietnam time) |
//! | the transfer's memo | `Nội dung`, `description`, `Nội dung chuyển khoản`, `Mô tả`, `Diễn giải`, `Memo`, … |
//! | the status (optional) | `Trạng thái`, `status`, `Tình trạng`, …: `PAID`, `UNDERPAID`, `Thành công`, `Đã thanh toán`… are money received; without the column every row is |
//!
//! The file needs an order or a memo column. A row names its payment by the order code
//! (hocphi's payOS references map to it exactly), or failing that by a payment reference
//! written anywhere in the memo. Each row is one transfer: another amount than the payment's is
//! a mismatch (said to be recorded and due back when `show payment` lists it), a second transfer
//! of the full amount is a refund due, a Mismatched payment is a refund due, a repeated bank
//! reference is a duplicate. A sample: `samples/giao-dich-payos-mau.csv`.
//!
//! # A partner's daily file
//!
//! The list of payments a bill-payment partner (a bank, the portal's platform) confirmed to
//! hocphi, CSV or XLSX, read the same way; every row is money the partner took:
//!
//! | meaning | accepted headers |
//! |---|---|
//! | the partner's transaction id, as its confirmation sent it (required) | `Mã giao dịch`, `transaction_id`, `Mã GD`, `Mã giao dịch đối tác`, `Số tham chiếu`, `MaGiaoDich` |
//! | the amount (đồng, required) | `Số tiền`, `amount`, `Số tiền giao dịch`, `Số tiền thanh toán`, `SoTien` |
//! | when it was taken (optional) | `Thời gian`, `paid_at`, `Thời gian giao dịch`, `Ngày giao dịch`, `ThoiGianGD`, … (the formats above, `yyyyMMddHHmmss`, or RFC 3339) |
//! | the bill (optional) | `Mã thanh toán` (`payment_code`, `MaThamChieu`), or `Mã hóa đơn` (`invoice_ids`, `Mã khoản thu`; several separated by `,`, `;` or spaces) |
//!
//! A row finds hocphi's payment by the partner's id and its transaction id (confirmations are
//! idempotent by them), so another partner's payments are never matched, nor listed as missing
//! from the file. Another amount, or another bill than the payment paid, is a mismatch; a
//! confirmation that found its invoices already paid is a refund due; a repeated transaction id
//! is a duplicate; a receipt hocphi issued on the file's days for this partner's confirmation
//! that the file lacks is missing from the partner's file.

#[cfg(feature = "aws")]
pub mod cli;
pub mod export;
mod header;
pub mod import;
pub mod notices;
pub mod payment_code;
pub mod payos;
pub mod privacy;
mod progress;
pub mod reconcile;
#[cfg(feature = "aws")]
pub mod reindex;
pub mod rekey;
pub mod report;
pub mod school;
pub mod sheet;
pub mod show;
mod table;
mod text;
mod time;
mod values;
pub mod void;

#[cfg(feature = "aws")]
pub use cli::{AdminError, Cli, Exit, StoreSpec};
