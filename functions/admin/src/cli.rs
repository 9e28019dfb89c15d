//! The command line: arguments (in Vietnamese, for operators), the choice of store, and the
//! mapping of every command's outcome to what is printed and to the exit code.
//!
//! Invariants: each command is generic over [`Store`] and dispatched by enum over the two
//! adapters; exit codes are those of the crate docs (0 done, 1 failed, 2 usage, 3 attention);
//! a missing SQLite file is created only by `school add`, so a typo in `--store` never silently
//! yields an empty database. The lookup key is read only by the commands that write lookup
//! digests (an import that is not a dry run, `rekey-lookups`) or issue payment codes
//! (`payment-code`), from the runtime's table of
//! variables: `HOCPHI_LOOKUP_KEY`, else the Secrets Manager secret `HOCPHI_LOOKUP_KEY_ARN` names,
//! else, for a SQLite store, the local stack's `lookup-key` beside the database. `payos
//! confirm-webhook` opens no store: it reads the payOS channels the same way, from
//! `HOCPHI_PAYOS_CHANNELS`, else the secret `HOCPHI_PAYOS_CHANNELS_ARN` names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use hocphi_domain::{Actor, GatewayKind, Label, LookupKey, Store, StoreError, VoidOutcome};
use hocphi_runtime::config::{
    LOOKUP_KEY, LOOKUP_KEY_ARN, PARTNERS, PARTNERS_ARN, PAYOS_CHANNELS, PAYOS_CHANNELS_ARN,
    local_lookup_key, read_lookup_key,
};
use hocphi_runtime::{ConfigError, Env, HttpTransport};
use hocphi_store::SqliteStore;
use hocphi_store::dynamodb::{DynamoStore, client, sdk_config};

use crate::export::{ExportError, ExportOptions};
use crate::import::catalogue::{self, CatalogueOptions};
use crate::import::{ImportError, ImportOptions};
use crate::notices::{Layout, NoticeError, NoticeOptions};
use crate::payment_code::PaymentCodeError;
use crate::payos::{ConfirmOptions, PayosError};
use crate::privacy::{ExportSummary, PrivacyError, RetentionSummary};
use crate::reconcile::{ReconcileError, ReconcileOptions};
use crate::reindex::Reindex;
use crate::report::{ReportError, ReportOptions};
use crate::school::{NewSchool, SchoolError};
use crate::sheet::SheetError;
use crate::show::ShowError;
use crate::void::VoidError;
use crate::{
    export, import, notices, payment_code, payos, privacy, reconcile, rekey, report, school, show,
    void,
};

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSpec {
    /// The embedded store's file.
    Sqlite(PathBuf),
    /// A DynamoDB table.
    Dynamodb(String),
}

impl StoreSpec {
    /// Parses `sqlite:<path>` or `dynamodb:<table>`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.split_once(':') {
            Some(("sqlite", path)) if !path.is_empty() => Ok(Self::Sqlite(PathBuf::from(path))),
            Some(("dynamodb", table)) if !table.is_empty() => Ok(Self::Dynamodb(table.to_owned())),
            Some(_) | None => Err(format!(
                "\"{raw}\": viết sqlite:<đường dẫn tệp> hoặc dynamodb:<tên bảng>"
            )),
        }
    }
}

fn day(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| format!("\"{raw}\": ngày viết theo dạng yyyy-mm-dd, ví dụ 2025-09-30"))
}

/// hocphi-admin: công cụ dòng lệnh của kế toán trường và cán bộ quản trị hocphi.
#[derive(Debug, Parser)]
#[command(name = "hocphi-admin", version)]
pub struct Cli {
    /// Kho dữ liệu: sqlite:<tệp> hoặc dynamodb:<bảng>
    #[arg(
        long,
        global = true,
        default_value = "sqlite:.hocphi/hocphi.db",
        value_parser = StoreSpec::parse
    )]
    pub store: StoreSpec,
    /// Địa chỉ DynamoDB thay cho địa chỉ mặc định của AWS (để kiểm thử)
    #[arg(long, global = true, env = "HOCPHI_DYNAMODB_ENDPOINT", hide = true)]
    pub dynamodb_endpoint: Option<String>,
    /// Tên người thực hiện, ghi vào lịch sử thay đổi (mặc định: tên đăng nhập $USER)
    #[arg(long, global = true)]
    pub by: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Quản lý danh sách trường
    #[command(subcommand)]
    School(SchoolCommand),
    /// Nhập khoản thu từ tệp CSV hoặc XLSX
    Import {
        /// Tệp .csv hoặc .xlsx, mỗi dòng một khoản
        file: PathBuf,
        /// Chỉ kiểm tra và cho biết sẽ thay đổi gì, không ghi gì
        #[arg(long)]
        dry_run: bool,
        /// Vẫn nhập các khoản thu hợp lệ, bỏ qua nguyên khoản thu có dòng lỗi
        #[arg(long)]
        skip_invalid: bool,
        /// Tệp ghi mã tra cứu của học sinh mới (mặc định ma-tra-cuu-<ngày>.csv)
        #[arg(long)]
        codes_out: Option<PathBuf>,
    },
    /// Danh mục các khoản thu của tỉnh (và của từng trường nếu tỉnh cho phép)
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Xuất dữ liệu
    #[command(subcommand)]
    Export(ExportCommand),
    /// Đối soát danh sách giao dịch của cổng thanh toán (hoặc tệp hằng ngày của đối tác thu hộ) với hocphi
    Reconcile {
        /// Cổng thanh toán
        #[arg(
            long,
            value_enum,
            required_unless_present = "partner",
            conflicts_with = "partner"
        )]
        gateway: Option<Gateway>,
        /// Đối tác thu hộ (ngân hàng, Cổng Dịch vụ công), ví dụ BANKDEMO: đối soát tệp hằng ngày của đối tác
        #[arg(long)]
        partner: Option<String>,
        /// Tệp giao dịch xuất từ cổng hoặc của đối tác (.csv hoặc .xlsx)
        file: PathBuf,
        /// Ghi toàn bộ kết quả ra tệp .csv hoặc .xlsx
        #[arg(long)]
        out: Option<PathBuf>,
        /// Chỉ đối soát các giao dịch của một trường
        #[arg(long)]
        school: Option<String>,
        /// Ngày đầu của kỳ đối soát (mặc định: theo ngày trong tệp)
        #[arg(long, value_parser = day)]
        from: Option<NaiveDate>,
        /// Ngày cuối của kỳ đối soát (mặc định: theo ngày trong tệp)
        #[arg(long, value_parser = day)]
        to: Option<NaiveDate>,
    },
    /// Kênh chuyển khoản VietQR (payOS)
    #[command(subcommand)]
    Payos(PayosCommand),
    /// Huỷ một khoản thu chưa nộp
    Void {
        /// Mã khoản thu
        invoice: String,
        /// Lý do huỷ (được lưu lại)
        #[arg(long)]
        reason: String,
    },
    /// Xem học sinh, khoản thu hoặc giao dịch
    #[command(subcommand)]
    Show(ShowCommand),
    /// In mã thanh toán của học sinh (in trên giấy báo thu để nộp qua Cổng Dịch vụ công, ngân hàng)
    PaymentCode {
        /// Mã học sinh
        #[arg(long)]
        student: String,
        /// Năm học, ví dụ 2026-2027 (mặc định: các năm học còn khoản thu chưa nộp)
        #[arg(long)]
        year: Option<String>,
    },
    /// In giấy báo thu gửi phụ huynh: một tệp HTML, mở bằng trình duyệt rồi in
    Notices {
        /// Mã trường
        #[arg(long)]
        school: String,
        /// Chỉ in cho một lớp, ví dụ 6A1
        #[arg(long)]
        class: Option<String>,
        /// Tệp kết quả .html
        #[arg(long)]
        out: PathBuf,
        /// Khổ giấy: a5 (mỗi trang một giấy báo) hoặc a4-2up (hai giấy báo trên một trang A4 ngang)
        #[arg(long, value_enum, default_value = "a5")]
        layout: NoticeLayout,
        /// Tệp mã tra cứu do lệnh import vừa ghi (--codes-out), để in mã tra cứu của học sinh mới
        #[arg(long)]
        codes: Option<PathBuf>,
        /// Địa chỉ trang phụ huynh, ví dụ https://hocphi.gialai.edu.vn
        #[arg(long, env = "HOCPHI_SITE_URL")]
        site: String,
        /// In mã thanh toán (nộp qua Cổng Dịch vụ công, ngân hàng); bật sẵn khi có
        /// HOCPHI_PARTNERS hoặc HOCPHI_PARTNERS_ARN
        #[arg(long)]
        payment_codes: bool,
    },
    /// Báo cáo thu cho Sở: theo xã/phường, trường, loại khoản và khoản thu (tệp .xlsx)
    Report {
        /// Từ ngày (hạn nộp), yyyy-mm-dd
        #[arg(long, value_parser = day)]
        from: NaiveDate,
        /// Đến ngày (hạn nộp), yyyy-mm-dd, tính cả ngày này
        #[arg(long, value_parser = day)]
        to: NaiveDate,
        /// Chỉ một trường
        #[arg(long)]
        school: Option<String>,
        /// Tệp kết quả .xlsx
        #[arg(long)]
        out: PathBuf,
    },
    /// Dữ liệu cá nhân (Luật 91/2025/QH15): xuất, xóa theo yêu cầu, chạy việc xóa theo thời hạn lưu
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// Bảo trì kho dữ liệu
    #[command(subcommand)]
    Store(StoreCommand),
    /// Chuyển mã tra cứu lưu từ trước khi có khoá sang dạng có khoá (không cấp mã mới)
    RekeyLookups {
        /// Chỉ đếm, không ghi gì
        #[arg(long)]
        dry_run: bool,
    },
}

/// `store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Lập chỉ mục cho dữ liệu do phiên bản trước ghi (DynamoDB; chạy một lần sau khi nâng cấp)
    Reindex {
        /// Chỉ đếm, không ghi gì
        #[arg(long)]
        dry_run: bool,
    },
}

/// `privacy …`
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Xuất mọi dữ liệu hocphi lưu về một học sinh (JSON)
    Export {
        /// Mã học sinh
        #[arg(long)]
        student: String,
        /// Ghi ra tệp mới (mặc định: in ra màn hình)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Xóa dữ liệu của một học sinh; chứng từ kế toán (biên lai, giao dịch đã thu tiền) được ẩn danh
    Erase {
        /// Mã học sinh
        #[arg(long)]
        student: String,
    },
    /// Chạy ngay việc xóa dữ liệu đã quá thời hạn lưu (bộ lập lịch vẫn chạy mỗi 5 phút)
    Retention {
        /// Xét lại các giao dịch hết thời hạn lưu trong bấy nhiêu ngày gần nhất
        #[arg(long, default_value_t = 3)]
        days: u32,
    },
}

/// `school …`
#[derive(Debug, Subcommand)]
pub enum SchoolCommand {
    /// Thêm (hoặc cập nhật) một trường
    Add {
        /// Mã trường, ví dụ BD-THCS-NGOQUYEN
        #[arg(long)]
        id: String,
        /// Tên trường
        #[arg(long)]
        name: String,
        /// Ký hiệu mẫu biên lai, ví dụ 01BLP0-001
        #[arg(long)]
        template: String,
        /// Ký hiệu biên lai, ví dụ NQ-25E
        #[arg(long)]
        series: String,
        /// Tài khoản nhận tiền chuyển khoản VietQR (kênh payOS), ví dụ BD-THCS-NGOQUYEN;
        /// bỏ trống: giữ tài khoản trường đang có
        #[arg(long)]
        payee: Option<String>,
        /// Xã/phường của trường, ví dụ "Phường Quy Nhơn"; bỏ trống: giữ xã/phường đang có
        #[arg(long)]
        commune: Option<String>,
    },
    /// Đặt (hoặc bỏ) tài khoản nhận tiền chuyển khoản VietQR của một trường
    SetPayee {
        /// Mã trường
        #[arg(long)]
        id: String,
        /// Tài khoản nhận tiền (kênh payOS), ví dụ BD-THCS-NGOQUYEN
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        payee: Option<String>,
        /// Bỏ tài khoản nhận tiền: học sinh của trường không được mời chuyển khoản VietQR
        #[arg(long)]
        none: bool,
    },
}

/// `catalogue …`
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Nhập danh mục từ tệp CSV hoặc XLSX (mỗi dòng một khoản)
    Import {
        /// Tệp .csv hoặc .xlsx
        file: PathBuf,
        /// Chỉ kiểm tra và cho biết sẽ thay đổi gì, không ghi gì
        #[arg(long)]
        dry_run: bool,
    },
    /// In danh mục
    List,
}

/// `payos …`
#[derive(Debug, Subcommand)]
pub enum PayosCommand {
    /// Đăng ký địa chỉ webhook của một tài khoản nhận tiền với payOS (sau khi triển khai)
    ConfirmWebhook {
        /// Tài khoản nhận tiền (kênh payOS), ví dụ BD-THCS-NGOQUYEN
        #[arg(long)]
        payee: String,
        /// Địa chỉ webhook (mặc định {HOCPHI_SITE_URL}/api/callbacks/payos/<tài khoản>)
        #[arg(long)]
        url: Option<String>,
    },
}

/// `export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Biên lai đã lập trong các ngày đã chọn (giờ Việt Nam)
    Receipts {
        /// Mã trường (bỏ trống: mọi trường)
        #[arg(long)]
        school: Option<String>,
        /// Từ ngày (yyyy-mm-dd)
        #[arg(long, value_parser = day)]
        from: NaiveDate,
        /// Đến ngày (yyyy-mm-dd), tính cả ngày này
        #[arg(long, value_parser = day)]
        to: NaiveDate,
        /// Tệp kết quả .csv hoặc .xlsx
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `show …`
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// Học sinh và các khoản thu chưa nộp
    Student { code: String },
    /// Một khoản thu
    Invoice { id: String },
    /// Một giao dịch thanh toán và biên lai
    Payment { reference: String },
}

/// How `notices` lays notices out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NoticeLayout {
    A5,
    #[value(name = "a4-2up")]
    A4TwoUp,
}

/// The gateways `reconcile` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Gateway {
    Vnpay,
    Payos,
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done; nothing to look at.
    Done,
    /// Done, but an operator must look at something (exit code 3).
    Attention,
    /// Refused to write anything (exit code 1).
    Refused,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Refused => 1,
            Exit::Attention => 3,
        }
    }
}

/// Why a command failed (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "không có cơ sở dữ liệu {0}; chọn đúng --store, hoặc thêm trường đầu tiên bằng \"hocphi-admin school add\""
    )]
    NoDatabase(PathBuf),
    #[error("không mở được cơ sở dữ liệu {0}")]
    OpenStore(PathBuf, #[source] StoreError),
    #[error("không tạo được thư mục {0}")]
    CreateDir(PathBuf, #[source] std::io::Error),
    #[error(transparent)]
    School(#[from] SchoolError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    #[error(transparent)]
    Payos(#[from] PayosError),
    #[error(transparent)]
    Report(#[from] SheetError),
    #[error(transparent)]
    Show(#[from] ShowError),
    #[error(transparent)]
    Void(#[from] VoidError),
    #[error(transparent)]
    PaymentCode(#[from] PaymentCodeError),
    #[error(transparent)]
    Notices(#[from] NoticeError),
    #[error(transparent)]
    DepartmentReport(#[from] ReportError),
    #[error(transparent)]
    Privacy(#[from] PrivacyError),
    #[error("không ghi được ra màn hình")]
    Output(#[from] std::io::Error),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
    #[error("không đọc được khoá mã tra cứu: {0}")]
    LookupKey(String),
    #[error(
        "chưa có khoá mã tra cứu: đặt HOCPHI_LOOKUP_KEY_ARN là tên hoặc ARN của secret \
         hocphi/<tỉnh>/lookup-key (xem infra/README.md)"
    )]
    NoLookupKey,
    #[error("tên người thực hiện không hợp lệ hoặc chưa có: ghi --by <tên đăng nhập>")]
    NoOperator,
}

enum AnyStore {
    Sqlite(SqliteStore),
    Dynamo(DynamoStore),
}

fn open_sqlite(path: &Path, create: bool) -> Result<SqliteStore, AdminError> {
    if !path.exists() {
        if !create {
            return Err(AdminError::NoDatabase(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AdminError::CreateDir(dir.to_owned(), e))?;
        }
    }
    SqliteStore::open(path).map_err(|e| AdminError::OpenStore(path.to_owned(), e))
}

async fn open(cli: &Cli) -> Result<AnyStore, AdminError> {
    match &cli.store {
        StoreSpec::Sqlite(path) => {
            let create = matches!(cli.command, Command::School(SchoolCommand::Add { .. }));
            open_sqlite(path, create).map(AnyStore::Sqlite)
        }
        StoreSpec::Dynamodb(table) => {
            let client = client(cli.dynamodb_endpoint.as_deref()).await;
            Ok(AnyStore::Dynamo(DynamoStore::new(client, table.clone())))
        }
    }
}

/// Whether a command writes lookup digests or issues payment codes, and so needs the lookup key.
fn reads_lookup_key(command: &Command) -> bool {
    match command {
        Command::Import { dry_run, .. } => !dry_run,
        Command::RekeyLookups { .. } | Command::PaymentCode { .. } => true,
        Command::Notices { payment_codes, .. } => *payment_codes,
        Command::School(_)
        | Command::Catalogue(_)
        | Command::Report { .. }
        | Command::Export(_)
        | Command::Reconcile { .. }
        | Command::Payos(_)
        | Command::Void { .. }
        | Command::Privacy(_)
        | Command::Store(_)
        | Command::Show(_) => false,
    }
}

/// The lookup key (see the module docs); `None` when nothing names one.
async fn lookup_key(cli: &Cli) -> Result<Option<LookupKey>, AdminError> {
    let mut env = Env::new();
    if env.get(LOOKUP_KEY).is_none() {
        if let Some(arn) = env.get(LOOKUP_KEY_ARN) {
            let sdk = sdk_config(cli.dynamodb_endpoint.as_deref()).await;
            let secret = aws_sdk_secretsmanager::Client::new(&sdk)
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await
                .map_err(|e| AdminError::LookupKey(e.into_service_error().to_string()))?;
            env = env.overriding([(LOOKUP_KEY, secret.secret_string().unwrap_or_default())]);
        } else if let StoreSpec::Sqlite(path) = &cli.store {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            let key = local_lookup_key(dir.unwrap_or(Path::new(".")))
                .map_err(|e| AdminError::LookupKey(e.to_string()))?;
            env = env.overriding([(LOOKUP_KEY, key)]);
        } else {
            return Ok(None);
        }
    }
    let key = read_lookup_key(&mut env);
    env.finish()
        .map_err(|e: ConfigError| AdminError::LookupKey(e.to_string()))?;
    Ok(key)
}

/// The environment with the payOS channels in `HOCPHI_PAYOS_CHANNELS`: as set, or fetched from
/// the secret `HOCPHI_PAYOS_CHANNELS_ARN` names (its value is never printed).
async fn payos_env(endpoint: Option<&str>) -> Result<Env, AdminError> {
    let env = Env::new();
    if env.get(PAYOS_CHANNELS).is_some() {
        return Ok(env);
    }
    let Some(arn) = env.get(PAYOS_CHANNELS_ARN) else {
        return Ok(env);
    };
    let sdk = sdk_config(endpoint).await;
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| PayosError::Secret(e.into_service_error().to_string()))?;
    Ok(env.overriding([(PAYOS_CHANNELS, secret.secret_string().unwrap_or_default())]))
}

/// Runs `payos …`, which needs no store, printing payOS's answer to `out`; `endpoint` stands
/// in for AWS's (tests).
async fn run_payos(
    endpoint: Option<&str>,
    command: &PayosCommand,
    out: &mut impl Write,
) -> Result<Exit, AdminError> {
    let PayosCommand::ConfirmWebhook { payee, url } = command;
    let env = payos_env(endpoint).await?;
    let options = ConfirmOptions {
        payee: payee.clone(),
        url: url.clone(),
    };
    let report = payos::confirm_webhook(env, &options, &HttpTransport::new()).await?;
    write!(out, "{report}")?;
    Ok(if report.confirmed() {
        Exit::Done
    } else {
        Exit::Refused
    })
}

/// Runs one command against the store the command line names, printing to `out`.
pub async fn run(
    mut cli: Cli,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> Result<Exit, AdminError> {
    if let Command::Notices { payment_codes, .. } = &mut cli.command {
        let env = Env::new();
        *payment_codes |= env.get(PARTNERS).is_some() || env.get(PARTNERS_ARN).is_some();
    }
    if let Command::Payos(command) = &cli.command {
        return run_payos(cli.dynamodb_endpoint.as_deref(), command, out).await;
    }
    let store = open(&cli).await?;
    let key = if reads_lookup_key(&cli.command) {
        lookup_key(&cli).await?
    } else {
        None
    };
    let key = key.as_ref();
    let by = Actor::operator(operator(cli.by.as_deref(), changes_state(&cli.command))?);
    match store {
        AnyStore::Sqlite(store) => execute(&store, cli.command, now, &by, key, out).await,
        AnyStore::Dynamo(store) => execute(&store, cli.command, now, &by, key, out).await,
    }
}

/// Whether a command changes what the store holds, and so records who ran it.
fn changes_state(command: &Command) -> bool {
    match command {
        Command::Import { dry_run, .. } | Command::RekeyLookups { dry_run } => !dry_run,
        Command::School(_) | Command::Void { .. } => true,
        Command::Catalogue(CatalogueCommand::Import { dry_run, .. }) => !dry_run,
        Command::Privacy(PrivacyCommand::Erase { .. } | PrivacyCommand::Retention { .. }) => true,
        Command::Catalogue(CatalogueCommand::List)
        | Command::Privacy(PrivacyCommand::Export { .. })
        | Command::Notices { .. }
        | Command::Report { .. }
        | Command::Export(_)
        | Command::Reconcile { .. }
        | Command::Payos(_)
        | Command::PaymentCode { .. }
        | Command::Store(_)
        | Command::Show(_) => false,
    }
}

/// The name the operator acts under: `--by`, else the login name (`USER`, `USERNAME`); needed
/// only by a command that changes state (another is never recorded).
fn operator(by: Option<&str>, needed: bool) -> Result<Label, AdminError> {
    let name = by
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok());
    match name.as_deref().map(Label::parse) {
        Some(Ok(name)) => Ok(name),
        Some(Err(_)) | None if needed => Err(AdminError::NoOperator),
        Some(Err(_)) | None => Label::parse("không rõ").map_err(|_| AdminError::NoOperator),
    }
}

/// Runs one command against `store` as `by`, printing to `out`; `lookup_key` keys the digests
/// the command writes and the payment codes it issues.
pub async fn execute<S: Store + Reindex>(
    store: &S,
    command: Command,
    now: DateTime<Utc>,
    by: &Actor,
    lookup_key: Option<&LookupKey>,
    out: &mut impl Write,
) -> Result<Exit, AdminError> {
    match command {
        Command::School(SchoolCommand::Add {
            id,
            name,
            template,
            series,
            payee,
            commune,
        }) => {
            let added = school::add(
                store,
                &NewSchool {
                    id,
                    name,
                    template,
                    series,
                    payee,
                    commune,
                },
                now,
                by,
            )
            .await?;
            write!(out, "{added}")?;
            Ok(Exit::Done)
        }
        Command::School(SchoolCommand::SetPayee { id, payee, none: _ }) => {
            let set = school::set_payee(store, &id, payee.as_deref(), now, by).await?;
            write!(out, "{set}")?;
            Ok(Exit::Done)
        }
        Command::Import {
            file,
            dry_run,
            skip_invalid,
            codes_out,
        } => {
            let options = ImportOptions {
                file,
                dry_run,
                skip_invalid,
                codes_out,
                codes_dir: PathBuf::from("."),
                progress: true,
                now,
                lookup_key: lookup_key.cloned(),
                by: by.clone(),
            };
            let report = import::import(store, &options).await?;
            write!(out, "{report}")?;
            Ok(if report.refused {
                Exit::Refused
            } else if report.needs_attention() {
                Exit::Attention
            } else {
                Exit::Done
            })
        }
        Command::Catalogue(CatalogueCommand::Import { file, dry_run }) => {
            let options = CatalogueOptions {
                file,
                dry_run,
                progress: true,
                now,
                by: by.clone(),
            };
            let report = catalogue::import(store, &options).await?;
            write!(out, "{report}")?;
            Ok(if report.refused {
                Exit::Refused
            } else {
                Exit::Done
            })
        }
        Command::Catalogue(CatalogueCommand::List) => {
            write!(out, "{}", catalogue::list(store).await?)?;
            Ok(Exit::Done)
        }
        Command::Export(ExportCommand::Receipts {
            school,
            from,
            to,
            out: path,
        }) => {
            let options = ExportOptions {
                school,
                from,
                to,
                out: path,
            };
            let summary = export::receipts(store, &options).await?;
            write!(out, "{summary}")?;
            Ok(Exit::Done)
        }
        Command::Reconcile {
            gateway,
            partner,
            file,
            out: path,
            school,
            from,
            to,
        } => {
            let options = ReconcileOptions {
                gateway: match (gateway, &partner) {
                    (Some(Gateway::Vnpay), _) => GatewayKind::Vnpay,
                    (Some(Gateway::Payos), _) => GatewayKind::Payos,
                    (None, _) => GatewayKind::Partner,
                },
                partner,
                file,
                school,
                from,
                to,
            };
            let report = reconcile::reconcile(store, &options).await?;
            write!(out, "{report}")?;
            if let Some(path) = path {
                let written = reconcile::write_report(&report, &path)?;
                writeln!(out, "Đã ghi kết quả đối soát vào {}.", written.display())?;
            }
            Ok(if report.needs_attention() {
                Exit::Attention
            } else {
                Exit::Done
            })
        }
        Command::Payos(command) => run_payos(None, &command, out).await,
        Command::Void { invoice, reason } => {
            let report = void::void(store, &invoice, &reason, now, by).await?;
            write!(out, "{report}")?;
            Ok(match report.outcome {
                VoidOutcome::Voided | VoidOutcome::AlreadyVoided => Exit::Done,
                VoidOutcome::RefusedPaid | VoidOutcome::RefusedHeld => Exit::Attention,
                VoidOutcome::NotFound => Exit::Refused,
            })
        }
        Command::PaymentCode { student, year } => {
            let key = lookup_key.ok_or(AdminError::NoLookupKey)?;
            let codes =
                payment_code::payment_codes(store, key, &student, year.as_deref(), now).await?;
            write!(out, "{codes}")?;
            Ok(Exit::Done)
        }
        Command::Notices {
            school,
            class,
            out: path,
            layout,
            codes,
            site,
            payment_codes,
        } => {
            let key = if payment_codes {
                Some(lookup_key.cloned().ok_or(AdminError::NoLookupKey)?)
            } else {
                None
            };
            let options = NoticeOptions {
                school,
                class,
                out: path,
                layout: match layout {
                    NoticeLayout::A5 => Layout::A5,
                    NoticeLayout::A4TwoUp => Layout::A4TwoUp,
                },
                codes,
                site,
                payment_codes: key,
                printed: crate::time::today(now),
            };
            let written = notices::notices(store, &options).await?;
            write!(out, "{written}")?;
            Ok(Exit::Done)
        }
        Command::Report {
            from,
            to,
            school,
            out: path,
        } => {
            let options = ReportOptions {
                from,
                to,
                school,
                out: path,
                now,
            };
            let written = report::report(store, &options).await?;
            write!(out, "{written}")?;
            Ok(Exit::Done)
        }
        Command::Store(StoreCommand::Reindex { dry_run }) => {
            let reindexed = store.reindex(dry_run, true).await?;
            write!(out, "{reindexed}")?;
            Ok(if reindexed.skipped() > 0 {
                Exit::Attention
            } else {
                Exit::Done
            })
        }
        Command::RekeyLookups { dry_run } => {
            let key = lookup_key.ok_or(AdminError::NoLookupKey)?;
            let report = rekey::rekey(store, key, dry_run, now, by).await?;
            write!(out, "{report}")?;
            Ok(if report.changed_meanwhile > 0 {
                Exit::Attention
            } else {
                Exit::Done
            })
        }
        Command::Privacy(PrivacyCommand::Export { student, out: file }) => {
            let (code, records, json) = privacy::export(store, &student, now).await?;
            match file {
                Some(path) => {
                    privacy::write_new(&path, &json)?;
                    write!(out, "{}", ExportSummary(&code, &records))?;
                    writeln!(
                        out,
                        "Đã ghi vào {} (chỉ người tạo đọc được).",
                        path.display()
                    )?;
                }
                None => writeln!(out, "{json}")?,
            }
            Ok(Exit::Done)
        }
        Command::Privacy(PrivacyCommand::Erase { student }) => {
            let report = privacy::erase(store, &student, now, by).await?;
            write!(out, "{report}")?;
            Ok(match report.outcome {
                hocphi_domain::Erasure::Erased(_) => Exit::Done,
                hocphi_domain::Erasure::PaymentPending(_) => Exit::Attention,
            })
        }
        Command::Privacy(PrivacyCommand::Retention { days }) => {
            let report = privacy::retention(store, days, now).await?;
            write!(out, "{}", RetentionSummary(report))?;
            Ok(Exit::Done)
        }
        Command::Show(what) => {
            match what {
                ShowCommand::Student { code } => {
                    write!(out, "{}", show::student(store, &code).await?)?
                }
                ShowCommand::Invoice { id } => write!(out, "{}", show::invoice(store, &id).await?)?,
                ShowCommand::Payment { reference } => {
                    write!(out, "{}", show::payment(store, &reference).await?)?;
                }
            }
            Ok(Exit::Done)
        }
    }
}

/// The whole program: runs the command on a fresh runtime, prints a failure and its causes to
/// stderr, and turns the outcome into the exit code.
pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Lỗi: không khởi động được: {err}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    match runtime.block_on(run(cli, Utc::now(), &mut stdout)) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            let _ = stdout.flush();
            eprintln!("Lỗi: {err}");
            let mut cause = std::error::Error::source(&err);
            while let Some(inner) = cause {
                eprintln!("  do: {inner}");
                cause = inner.source();
            }
            ExitCode::from(1)
        }
    }
}
