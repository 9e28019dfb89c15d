//! MoMo AIO v2: the create-payment request and its signature, verification of the IPN and of the
//! redirect, the HTTP 204 reply, and the status query.
//!
//! Invariants:
//! - every signature is HMAC-SHA256 (the secret key) over `key=value` pairs in MoMo's fixed a–z
//!   order, with raw (unencoded) values; numbers are signed as their decimal text;
//! - `accessKey` in a signed string always comes from configuration, never from a body;
//! - a notification is read from the exact bytes received, and a duplicated field rejects it;
//! - only `resultCode` 0 is paid; a non-final code yields [`Outcome::NotFinal`] and changes nothing;
//! - the pay link a create request asks for expires no later than the payment (`orderExpireTime`,
//!   whole minutes counted from when MoMo may receive the request at the latest).

#[cfg(any(test, feature = "simulators"))]
pub mod simulator;
pub mod wire;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chrono::DateTime;
use hocphi_domain::{
    GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money, Payment, PaymentRef,
};

use hmac::Mac;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::signing::{DigestError, Sha256Key, verify_mac};
use crate::text::plain_text;
use crate::{
    ApiRequest, CallbackOutcome, CheckoutContext, CheckoutError, ConfigError, Locale, Notification,
    Outcome, QueryAnswer, QueryContext, QueryError, QueryStatus, Reply, ReturnNotice, Secret,
    Verified, VerifyError,
};
use wire::{
    CreateRequest, CreateResponse, Ipn, Number, QueryRequest, QueryResponse, ResultClass,
    ResultCode,
};

/// How the parent pays at MoMo; each method has its own amount limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// The MoMo wallet (QR or app).
    CaptureWallet,
    /// The parent picks a method on MoMo's page.
    PayWithMethod,
    /// A domestic ATM card.
    PayWithAtm,
    /// An international credit card.
    PayWithCc,
}

impl RequestType {
    /// The `requestType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaptureWallet => "captureWallet",
            Self::PayWithMethod => "payWithMethod",
            Self::PayWithAtm => "payWithATM",
            Self::PayWithCc => "payWithCC",
        }
    }

    /// The smallest and largest amounts MoMo takes for the method, in VND, as each method's
    /// create request documents them (developers.momo.vn, one-time payments: the wallet and
    /// `payWithMethod` 1.000–50.000.000 ₫, domestic ATM cards 10.000–50.000.000 ₫, credit cards
    /// 1.000–10.000.000 ₫).
    pub fn limits(self) -> (u64, u64) {
        match self {
            Self::CaptureWallet | Self::PayWithMethod => (1_000, 50_000_000),
            Self::PayWithAtm => (10_000, 50_000_000),
            Self::PayWithCc => (1_000, 10_000_000),
        }
    }
}

/// What it takes to talk to MoMo as one partner.
#[derive(Debug)]
pub struct MomoConfig {
    /// `partnerCode`, issued by MoMo.
    pub partner_code: String,
    /// `accessKey`, issued by MoMo; it enters signatures but is never sent.
    pub access_key: String,
    /// `secretKey`, issued by MoMo.
    pub secret_key: Secret,
    /// MoMo's host, e.g. [`Momo::SANDBOX_ENDPOINT`].
    pub endpoint: String,
    /// Where MoMo sends the IPN (it travels in each create request).
    pub ipn_url: String,
    pub request_type: RequestType,
}

/// MoMo's access key: part of every signed string, never printed.
struct AccessKey(Box<str>);

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A configured MoMo partner.
#[derive(Debug)]
pub struct Momo {
    partner_code: String,
    access_key: AccessKey,
    key: Sha256Key,
    create_url: String,
    query_url: String,
    ipn_url: String,
    request_type: RequestType,
}

impl Momo {
    /// MoMo's test host.
    pub const SANDBOX_ENDPOINT: &str = "https://test-payment.momo.vn";
    /// The longest `orderInfo` hocphi sends.
    pub const ORDER_INFO_MAX: usize = 255;
    /// How long hocphi waits for MoMo's answer to a create request. MoMo asks its partners to
    /// wait at least 30 seconds (developers.momo.vn, one-time payments), but API Gateway ends an
    /// HTTP API's integration at 30 seconds at most (AWS CloudFormation,
    /// `AWS::ApiGatewayV2::Integration`, `TimeoutInMillis`: 50 to 30,000 for HTTP APIs), and the
    /// checkout function and its writes must end before that: 25 seconds is the most that fits.
    pub const CREATE_TIMEOUT: Duration = Duration::from_secs(25);

    /// The smallest and largest amounts the configured method takes, in VND.
    pub fn amount_limits(&self) -> (u64, u64) {
        self.request_type.limits()
    }

    /// Checks the configuration and keys the HMAC once.
    pub fn new(config: MomoConfig) -> Result<Self, ConfigError> {
        if config.partner_code.is_empty()
            || config.partner_code.len() > 50
            || !config
                .partner_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::Invalid {
                field: "partnerCode",
                reason: "must be 1 to 50 ASCII letters or digits",
            });
        }
        if config.access_key.len() < 8
            || !config.access_key.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::Invalid {
                field: "accessKey",
                reason: "must be at least 8 ASCII letters or digits",
            });
        }
        let endpoint = config.endpoint.trim_end_matches('/');
        if !crate::acceptable_url(endpoint) || endpoint.contains('?') {
            return Err(ConfigError::Invalid {
                field: "endpoint",
                reason: "must be an https URL (http only for loopback) without a query",
            });
        }
        if !crate::acceptable_url(&config.ipn_url) {
            return Err(ConfigError::Invalid {
                field: "ipnUrl",
                reason: "must be an https URL (http only for loopback)",
            });
        }
        Ok(Self {
            key: Sha256Key::new(&config.secret_key)?,
            create_url: format!("{endpoint}{}", wire::CREATE_PATH),
            query_url: format!("{endpoint}{}", wire::QUERY_PATH),
            partner_code: config.partner_code,
            access_key: AccessKey(config.access_key.into_boxed_str()),
            ipn_url: config.ipn_url,
            request_type: config.request_type,
        })
    }

    /// The create-payment request. `requestId` and `orderId` are both the payment's reference:
    /// one payment is created once, and a resend of the same request is recognised by MoMo.
    pub fn create_request(
        &self,
        payment: &Payment,
        ctx: &CheckoutContext,
    ) -> Result<ApiRequest, CheckoutError> {
        CheckoutError::unless_for(payment, GatewayKind::Momo)?;
        if ctx.now >= payment.expires_at {
            return Err(CheckoutError::Expired);
        }
        if ctx.return_url.len() < 10 || !crate::acceptable_url(&ctx.return_url) {
            return Err(CheckoutError::InvalidReturnUrl);
        }
        let (min, max) = self.request_type.limits();
        let vnd = payment.amount.vnd();
        if !(min..=max).contains(&vnd) {
            return Err(CheckoutError::AmountOutOfRange {
                gateway: GatewayKind::Momo,
                min,
                max,
            });
        }
        let reachable_by =
            chrono::Duration::from_std(Self::CREATE_TIMEOUT).map_err(|_| CheckoutError::Expired)?;
        let order_expire_time =
            u64::try_from((payment.expires_at - ctx.now - reachable_by).num_minutes())
                .ok()
                .filter(|minutes| *minutes >= 1)
                .ok_or(CheckoutError::Expired)?;
        let order_info = match plain_text(&ctx.order_info, Self::ORDER_INFO_MAX) {
            plain if plain.is_empty() => format!("Thanh toan hoc phi {}", payment.reference),
            plain => plain,
        };
        let mut request = CreateRequest {
            partner_code: self.partner_code.clone(),
            request_id: payment.reference.as_str().to_owned(),
            amount: vnd,
            order_id: payment.reference.as_str().to_owned(),
            order_info,
            redirect_url: ctx.return_url.clone(),
            ipn_url: self.ipn_url.clone(),
            request_type: self.request_type.as_str().to_owned(),
            extra_data: String::new(),
            order_expire_time: Some(order_expire_time),
            lang: lang(ctx.locale).to_owned(),
            signature: String::new(),
        };
        request.signature = self.key.sign_hex(self.create_message(&request).as_bytes());
        let body = serde_json::to_string(&request).map_err(CheckoutError::Encode)?;
        Ok(ApiRequest::post_json(
            &self.create_url,
            body,
            Self::CREATE_TIMEOUT,
        ))
    }

    /// The signed string of a create request, in MoMo's order.
    fn create_message(&self, r: &CreateRequest) -> String {
        format!(
            "accessKey={}&amount={}&extraData={}&ipnUrl={}&orderId={}&orderInfo={}&partnerCode={}&redirectUrl={}&requestId={}&requestType={}",
            self.access_key.0,
            r.amount,
            r.extra_data,
            r.ipn_url,
            r.order_id,
            r.order_info,
            r.partner_code,
            r.redirect_url,
            r.request_id,
            r.request_type,
        )
    }

    /// The `payUrl` from MoMo's answer to [`Momo::create_request`], once the answer is a success
    /// about this very order and amount.
    pub fn create_response(&self, payment: &Payment, body: &[u8]) -> Result<String, CheckoutError> {
        let response: CreateResponse =
            serde_json::from_slice(body).map_err(CheckoutError::Malformed)?;
        let code = ResultCode::parse(&response.result_code.to_text());
        if code != ResultCode::Successful {
            return Err(CheckoutError::Refused {
                code: code.as_str().chars().take(16).collect(),
            });
        }
        let same_partner = response
            .partner_code
            .as_deref()
            .is_none_or(|p| p == self.partner_code);
        let same_order = response.order_id.as_deref() == Some(payment.reference.as_str());
        let same_amount = response
            .amount
            .as_ref()
            .is_none_or(|a| Money::parse(&a.to_text()).ok() == Some(payment.amount));
        if !(same_partner && same_order && same_amount) {
            return Err(CheckoutError::Mismatch);
        }
        response
            .pay_url
            .filter(|url| crate::acceptable_url(url) || url.starts_with("https://"))
            .ok_or(CheckoutError::Mismatch)
    }

    /// Verifies an IPN over the exact body bytes MoMo POSTed.
    pub fn verify_ipn(&self, body: &[u8]) -> Result<Verified<Notification>, VerifyError> {
        let ipn: IpnBody<'_> = serde_json::from_slice(body).map_err(VerifyError::NotJson)?;
        self.verified(ipn.signature.as_deref(), &IpnFields::of_body(&ipn))
            .map(Verified::new)
    }

    /// Verifies the parameters MoMo appends to the redirect URL (the IPN's fields, same
    /// signature). For display only.
    pub fn verify_return(&self, query: &str) -> Result<Verified<ReturnNotice>, VerifyError> {
        let ipn = ipn_from_query(query)?;
        self.notification(&ipn)
            .map(|notification| Verified::new(ReturnNotice { notification }))
    }

    fn notification(&self, ipn: &Ipn) -> Result<Notification, VerifyError> {
        self.verified(ipn.signature.as_deref(), &IpnFields::of(ipn))
    }

    fn verified(
        &self,
        signature: Option<&str>,
        fields: &IpnFields<'_>,
    ) -> Result<Notification, VerifyError> {
        let signature = signature
            .filter(|s| !s.is_empty())
            .ok_or(VerifyError::MissingSignature)?;
        let mut mac = self.key.start();
        for (label, value) in self.ipn_pieces(fields) {
            mac.update(label.as_bytes());
            mac.update(value.as_bytes());
        }
        verify_mac(mac, signature).map_err(|e| match e {
            DigestError::Malformed => VerifyError::MalformedSignature,
            DigestError::Mismatch => VerifyError::BadSignature,
        })?;
        if fields.partner_code != self.partner_code {
            return Err(VerifyError::WrongMerchant);
        }
        let reference = PaymentRef::parse(required(fields.order_id, "orderId")?)
            .map_err(|_| VerifyError::UnknownReference)?;
        let amount = Money::parse(required(&fields.amount, "amount")?)
            .map_err(|_| VerifyError::InvalidAmount)?;
        let code = ResultCode::parse(required(&fields.result_code, "resultCode")?);
        let gateway_code = || {
            GatewayCode::parse(code.as_str()).map_err(|_| VerifyError::InvalidField("resultCode"))
        };
        let txn = trans_id(&fields.trans_id).map_err(|()| VerifyError::InvalidField("transId"))?;
        let (outcome, paid_at) = match code.class() {
            ResultClass::Paid => (
                Outcome::Final(GatewayEvent::Paid {
                    txn: txn.ok_or(VerifyError::MissingField("transId"))?,
                    amount,
                }),
                millis(&fields.response_time),
            ),
            ResultClass::Failed => (
                Outcome::Final(GatewayEvent::Declined {
                    txn,
                    code: gateway_code()?,
                }),
                None,
            ),
            ResultClass::Pending | ResultClass::InProgress | ResultClass::RequestRefused => (
                Outcome::NotFinal {
                    code: gateway_code()?,
                },
                None,
            ),
        };
        Ok(Notification {
            gateway: GatewayKind::Momo,
            reference,
            amount,
            outcome,
            paid_at,
        })
    }

    /// The signed string of an IPN, in MoMo's order, with the configured access key (for the
    /// simulator and the tests).
    #[cfg(any(test, feature = "simulators"))]
    fn ipn_message(&self, f: &IpnFields<'_>) -> String {
        self.ipn_pieces(f)
            .iter()
            .fold(String::with_capacity(512), |mut out, (label, value)| {
                out.push_str(label);
                out.push_str(value);
                out
            })
    }

    /// The signed string of an IPN as `label` and value pieces, in MoMo's order.
    fn ipn_pieces<'f>(&'f self, f: &'f IpnFields<'_>) -> [(&'static str, &'f str); 13] {
        [
            ("accessKey=", &self.access_key.0),
            ("&amount=", &f.amount),
            ("&extraData=", f.extra_data),
            ("&message=", f.message),
            ("&orderId=", f.order_id),
            ("&orderInfo=", f.order_info),
            ("&orderType=", f.order_type),
            ("&partnerCode=", f.partner_code),
            ("&payType=", f.pay_type),
            ("&requestId=", f.request_id),
            ("&responseTime=", &f.response_time),
            ("&resultCode=", &f.result_code),
            ("&transId=", &f.trans_id),
        ]
    }

    /// MoMo wants HTTP 204 with no body once the IPN is handled, whatever its result. A rejected
    /// notification gets 400 and a failure of hocphi 500, so MoMo's side sees that it was not
    /// taken.
    pub fn reply(outcome: CallbackOutcome) -> Reply {
        let status = match outcome {
            CallbackOutcome::Recorded
            | CallbackOutcome::AlreadyFinal
            | CallbackOutcome::UnknownPayment
            | CallbackOutcome::AmountMismatch
            | CallbackOutcome::NotFinal => 204,
            CallbackOutcome::Rejected => 400,
            CallbackOutcome::Unavailable => 500,
        };
        Reply {
            status,
            content_type: None,
            body: String::new(),
        }
    }

    /// The status query for a payment.
    pub fn query_request(
        &self,
        payment: &Payment,
        ctx: &QueryContext,
    ) -> Result<ApiRequest, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Momo)?;
        let request_id = crate::hex_lower(&ctx.request_entropy);
        let message = self.query_message(payment.reference.as_str(), &request_id);
        let request = QueryRequest {
            partner_code: self.partner_code.clone(),
            request_id,
            order_id: payment.reference.as_str().to_owned(),
            lang: lang(Locale::Vietnamese).to_owned(),
            signature: self.key.sign_hex(message.as_bytes()),
        };
        let body = serde_json::to_string(&request).map_err(QueryError::Encode)?;
        Ok(ApiRequest::post_json(
            &self.query_url,
            body,
            crate::QUERY_TIMEOUT,
        ))
    }

    /// The signed string of a status query, in MoMo's order.
    fn query_message(&self, order_id: &str, request_id: &str) -> String {
        format!(
            "accessKey={}&orderId={}&partnerCode={}&requestId={}",
            self.access_key.0, order_id, self.partner_code, request_id
        )
    }

    /// Reads MoMo's answer to [`Momo::query_request`].
    ///
    /// MoMo documents no signature over this answer in the sources hocphi follows; its
    /// authenticity rests on the HTTPS exchange hocphi itself opened with MoMo, and the answer
    /// must name this partner and this order.
    pub fn query_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<QueryAnswer>, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Momo)?;
        let response: QueryResponse =
            serde_json::from_slice(body).map_err(QueryError::Malformed)?;
        if response.partner_code.as_deref() != Some(self.partner_code.as_str()) {
            return Err(QueryError::WrongMerchant);
        }
        if response.order_id.as_deref() != Some(payment.reference.as_str()) {
            return Err(QueryError::WrongPayment);
        }
        let code = ResultCode::parse(&response.result_code.to_text());
        let txn = trans_id(
            &response
                .trans_id
                .as_ref()
                .map_or(Cow::Borrowed(""), Number::to_text),
        )
        .map_err(|()| QueryError::InvalidField("transId"))?;
        let gateway_code = || {
            GatewayCode::parse(code.as_str()).map_err(|_| QueryError::InvalidField("resultCode"))
        };
        let status = match code.class() {
            ResultClass::Paid => QueryStatus::Paid {
                txn: txn.ok_or(QueryError::InvalidField("transId"))?,
                amount: response
                    .amount
                    .as_ref()
                    .and_then(|a| Money::parse(&a.to_text()).ok())
                    .ok_or(QueryError::InvalidField("amount"))?,
                paid_at: None,
            },
            ResultClass::Failed => QueryStatus::Failed {
                txn,
                code: gateway_code()?,
            },
            ResultClass::Pending => QueryStatus::Pending,
            ResultClass::InProgress => QueryStatus::InProgress {
                code: gateway_code()?,
            },
            ResultClass::RequestRefused if code == ResultCode::OrderNotFound => {
                QueryStatus::NotFound
            }
            ResultClass::RequestRefused => {
                return Err(QueryError::Refused {
                    code: code.as_str().to_owned(),
                });
            }
        };
        Ok(Verified::new(QueryAnswer {
            gateway: GatewayKind::Momo,
            reference: payment.reference.clone(),
            status,
        }))
    }
}

/// The signed fields of an IPN as text; a missing field is empty, as in MoMo's samples.
struct IpnFields<'a> {
    amount: Cow<'a, str>,
    extra_data: &'a str,
    message: &'a str,
    order_id: &'a str,
    order_info: &'a str,
    order_type: &'a str,
    partner_code: &'a str,
    pay_type: &'a str,
    request_id: &'a str,
    response_time: Cow<'a, str>,
    result_code: Cow<'a, str>,
    trans_id: Cow<'a, str>,
}

/// The IPN's body as received, its strings borrowed from it where they hold no escape; read as
/// [`Ipn`] reads it (missing fields empty, unknown fields skipped, a duplicated field refused).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IpnBody<'a> {
    #[serde(borrow)]
    partner_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    order_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amount: Option<NumberText<'a>>,
    #[serde(borrow)]
    order_info: Option<Cow<'a, str>>,
    #[serde(borrow)]
    order_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    trans_id: Option<NumberText<'a>>,
    #[serde(borrow)]
    result_code: Option<NumberText<'a>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pay_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    response_time: Option<NumberText<'a>>,
    #[serde(borrow)]
    extra_data: Option<Cow<'a, str>>,
    #[serde(borrow)]
    signature: Option<Cow<'a, str>>,
}

/// [`Number`]'s text: an unsigned integer as its decimal digits, or a string as it is.
struct NumberText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for NumberText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = NumberText<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer or a string")
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(NumberText(Cow::Owned(n.to_string())))
            }

            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(NumberText(Cow::Borrowed(s)))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(NumberText(Cow::Owned(s.to_owned())))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

impl<'a> IpnFields<'a> {
    fn of_body(ipn: &'a IpnBody<'_>) -> Self {
        let s = |v: &'a Option<Cow<'_, str>>| v.as_deref().unwrap_or("");
        let n = |v: &'a Option<NumberText<'_>>| Cow::Borrowed(v.as_ref().map_or("", |n| &*n.0));
        Self {
            amount: n(&ipn.amount),
            extra_data: s(&ipn.extra_data),
            message: s(&ipn.message),
            order_id: s(&ipn.order_id),
            order_info: s(&ipn.order_info),
            order_type: s(&ipn.order_type),
            partner_code: s(&ipn.partner_code),
            pay_type: s(&ipn.pay_type),
            request_id: s(&ipn.request_id),
            response_time: n(&ipn.response_time),
            result_code: n(&ipn.result_code),
            trans_id: n(&ipn.trans_id),
        }
    }

    fn of(ipn: &'a Ipn) -> Self {
        let s = |v: &'a Option<String>| v.as_deref().unwrap_or("");
        let n = |v: &'a Option<Number>| v.as_ref().map_or(Cow::Borrowed(""), Number::to_text);
        Self {
            amount: n(&ipn.amount),
            extra_data: s(&ipn.extra_data),
            message: s(&ipn.message),
            order_id: s(&ipn.order_id),
            order_info: s(&ipn.order_info),
            order_type: s(&ipn.order_type),
            partner_code: s(&ipn.partner_code),
            pay_type: s(&ipn.pay_type),
            request_id: s(&ipn.request_id),
            response_time: n(&ipn.response_time),
            result_code: n(&ipn.result_code),
            trans_id: n(&ipn.trans_id),
        }
    }
}

fn required<'v>(value: &'v str, name: &'static str) -> Result<&'v str, VerifyError> {
    if value.is_empty() {
        Err(VerifyError::MissingField(name))
    } else {
        Ok(value)
    }
}

/// `transId`, where an empty value or `0` (no transaction) means none.
fn trans_id(raw: &str) -> Result<Option<GatewayTxnNo>, ()> {
    if raw.is_empty() || raw.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    GatewayTxnNo::parse(raw).map(Some).map_err(|_| ())
}

/// `responseTime`: milliseconds since the Unix epoch.
fn millis(raw: &str) -> Option<DateTime<chrono::Utc>> {
    let ms: i64 = raw.parse().ok()?;
    DateTime::from_timestamp_millis(ms)
}

fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::Vietnamese => "vi",
        Locale::English => "en",
    }
}

/// The redirect's query, read into the IPN's fields; a duplicated field rejects it.
fn ipn_from_query(query: &str) -> Result<Ipn, VerifyError> {
    fn put<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), VerifyError> {
        match slot.replace(value) {
            Some(_) => Err(VerifyError::duplicate(name)),
            None => Ok(()),
        }
    }
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut ipn = Ipn::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let text = value.into_owned();
        match key.as_ref() {
            "partnerCode" => put(&mut ipn.partner_code, text, &key)?,
            "orderId" => put(&mut ipn.order_id, text, &key)?,
            "requestId" => put(&mut ipn.request_id, text, &key)?,
            "amount" => put(&mut ipn.amount, Number::Str(text), &key)?,
            "orderInfo" => put(&mut ipn.order_info, text, &key)?,
            "orderType" => put(&mut ipn.order_type, text, &key)?,
            "transId" => put(&mut ipn.trans_id, Number::Str(text), &key)?,
            "resultCode" => put(&mut ipn.result_code, Number::Str(text), &key)?,
            "message" => put(&mut ipn.message, text, &key)?,
            "payType" => put(&mut ipn.pay_type, text, &key)?,
            "responseTime" => put(&mut ipn.response_time, Number::Str(text), &key)?,
            "extraData" => put(&mut ipn.extra_data, text, &key)?,
            "signature" => put(&mut ipn.signature, text, &key)?,
            _ => {}
        }
    }
    Ok(ipn)
}

#[cfg(test)]
mod tests;
