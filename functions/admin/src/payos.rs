//! `payos confirm-webhook`: registers a payee's webhook URL with payOS, with that channel's own
//! keys, and says in Vietnamese what payOS answered.
//!
//! The channels come from the runtime's one reading of `HOCPHI_PAYOS_CHANNELS` (the caller has
//! put the secret `HOCPHI_PAYOS_CHANNELS_ARN` names in its place) at `HOCPHI_PAYOS_ENDPOINT`; the
//! URL defaults to `{HOCPHI_SITE_URL}/api/callbacks/payos/{PAYEE}`, the route that verifies that
//! payee's webhooks. Invariants: nothing of a channel's keys is ever printed (the map's problems
//! name payees and fields only); payOS's own texts are printed as received, cut and without
//! control characters; a refusal is a failure (exit 1) with what to do.

use std::fmt;

use hocphi_app::Transport;
use hocphi_domain::PayeeId;
use hocphi_gateways::Gateway;
use hocphi_gateways::payos::{Payos, WebhookConfirmation};
use hocphi_runtime::config::{PAYOS_CHANNELS, PAYOS_CHANNELS_ARN, SITE_URL, read_payos};
use hocphi_runtime::{ConfigError, Env};

/// Where a payee's webhooks are sent, under the site's origin.
pub const CALLBACK_PATH: &str = "/api/callbacks/payos";

/// Why the webhook URL could not be put to payOS.
#[derive(Debug, thiserror::Error)]
pub enum PayosError {
    #[error("\"{0}\" không phải mã tài khoản nhận tiền (2–32 chữ cái, chữ số, '-' hoặc '_')")]
    Payee(String),
    #[error(
        "chưa có kênh payOS nào: đặt {PAYOS_CHANNELS_ARN} là tên hoặc ARN của secret \
         hocphi/<tỉnh>/payos-channels (xem infra/README.md)"
    )]
    NoChannels,
    #[error("không đọc được secret {PAYOS_CHANNELS_ARN}: {0}")]
    Secret(String),
    #[error("cấu hình kênh payOS không hợp lệ: {0}")]
    Config(#[source] ConfigError),
    #[error(
        "tài khoản {payee} không có trong secret các kênh payOS (có: {known}); thêm kênh của nó \
         vào secret trước (xem infra/README.md)"
    )]
    UnknownPayee { payee: PayeeId, known: String },
    #[error(
        "chưa biết địa chỉ trang: đặt {SITE_URL} (ví dụ https://hocphi.binhdinh.edu.vn) hoặc dùng --url"
    )]
    NoSiteUrl,
    #[error(
        "địa chỉ webhook \"{0}\" không dùng được: cần https:// (http:// chỉ cho máy này), không có ?"
    )]
    Url(String),
    #[error("không gọi được payOS: {0}")]
    Transport(String),
}

/// What to register.
#[derive(Clone, Debug)]
pub struct ConfirmOptions {
    pub payee: String,
    /// The URL; by default the payee's callback under `HOCPHI_SITE_URL`.
    pub url: Option<String>,
}

/// payOS's answer, for one payee and URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmReport {
    pub payee: PayeeId,
    pub url: String,
    pub answer: WebhookConfirmation,
}

impl ConfirmReport {
    /// Whether payOS keeps the URL.
    pub fn confirmed(&self) -> bool {
        matches!(self.answer, WebhookConfirmation::Confirmed { .. })
    }
}

/// The payee's webhook URL under a site's origin.
pub fn webhook_url(site_url: &str, payee: &PayeeId) -> String {
    format!(
        "{}{CALLBACK_PATH}/{}",
        site_url.trim_end_matches('/'),
        payee.as_str()
    )
}

/// Asks payOS, through `transport`, to confirm the webhook URL of `options.payee`, with the
/// channels and site `env` holds.
pub async fn confirm_webhook<T: Transport>(
    mut env: Env,
    options: &ConfirmOptions,
    transport: &T,
) -> Result<ConfirmReport, PayosError> {
    let payee = PayeeId::parse(options.payee.trim())
        .map_err(|_| PayosError::Payee(options.payee.chars().take(40).collect()))?;
    if env.get(PAYOS_CHANNELS).is_none() {
        return Err(PayosError::NoChannels);
    }
    let gateway = read_payos(&mut env);
    let site = env.optional(SITE_URL);
    env.finish().map_err(PayosError::Config)?;
    let Some(Gateway::Payos(channels)) = gateway else {
        return Err(PayosError::NoChannels);
    };
    let Some(channel) = channels.get(&payee) else {
        let known: Vec<&str> = channels.payees().map(PayeeId::as_str).collect();
        return Err(PayosError::UnknownPayee {
            payee,
            known: known.join(", "),
        });
    };
    let url = match (&options.url, site) {
        (Some(url), _) => url.trim().to_owned(),
        (None, Some(site)) => webhook_url(&site, &payee),
        (None, None) => return Err(PayosError::NoSiteUrl),
    };
    let request = channel
        .confirm_webhook_request(&url)
        .map_err(|_| PayosError::Url(url.chars().take(255).collect()))?;
    let (status, body) = transport
        .send(&request)
        .await
        .map_err(|e| PayosError::Transport(e.0))?;
    Ok(ConfirmReport {
        payee,
        url,
        answer: Payos::confirm_webhook_response(status, &body),
    })
}

impl fmt::Display for ConfirmReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.answer {
            WebhookConfirmation::Confirmed {
                webhook_url,
                account_name,
                account_number,
                bank,
            } => {
                writeln!(
                    f,
                    "payOS đã xác nhận địa chỉ webhook của tài khoản {}:",
                    self.payee
                )?;
                writeln!(f, "  {}", webhook_url.as_deref().unwrap_or(&self.url))?;
                let account: Vec<&str> = [account_number, account_name, bank]
                    .into_iter()
                    .filter_map(Option::as_deref)
                    .collect();
                if !account.is_empty() {
                    writeln!(f, "  Tài khoản nhận tiền: {}", account.join(" — "))?;
                }
                writeln!(
                    f,
                    "Từ nay payOS gửi thông báo chuyển khoản của kênh này tới địa chỉ trên. \
                     Hãy chuyển thử một khoản nhỏ để kiểm tra từ đầu đến cuối."
                )
            }
            WebhookConfirmation::Refused { status, code, desc } => {
                write!(
                    f,
                    "payOS KHÔNG xác nhận địa chỉ webhook {} của tài khoản {} (HTTP {status}",
                    self.url, self.payee
                )?;
                if let Some(code) = code {
                    write!(f, ", mã {code}")?;
                }
                if let Some(desc) = desc {
                    write!(f, ": {desc}")?;
                }
                writeln!(f, ").")?;
                if matches!(status, 401 | 403) {
                    writeln!(
                        f,
                        "Cần làm: Client ID hoặc API Key của kênh {} trong secret không đúng; \
                         lấy lại tại my.payos.vn (kênh thanh toán), cập nhật secret rồi chạy lại.",
                        self.payee
                    )
                } else {
                    writeln!(
                        f,
                        "Cần làm: payOS gọi thử địa chỉ này trước khi nhận nó, nên hệ thống phải \
                         được triển khai trước (cargo xtask deploy) và địa chỉ phải trả lời 2xx \
                         (kiểm tra tên miền {SITE_URL}, mã tài khoản và nhật ký callback-payos); \
                         rồi chạy lại lệnh."
                    )
                }
            }
        }
    }
}
