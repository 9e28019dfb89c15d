//! One deployment's configuration: where state lives, the site, the limits and every channel's
//! settings, read from one table of variables ([`VARIABLES`]) by one reader ([`Config::read`]).
//!
//! The Lambda functions read the process environment (secrets fetched from Secrets Manager by
//! the ARN variables stand in for their value variables); the local stack reads the same names
//! over [`local_defaults`]; tests start from [`Config::local`] and change fields.
//!
//! Invariants: a process either starts with every setting valid or stops at once with one
//! message listing every missing and invalid variable; there is no fail-open default for a
//! secret, and a secret's value is never printed. A function behind the site's CDN cannot start
//! without the origin secret, so it never serves a caller who skipped the CDN.
//!
//! The lookup key (`HOCPHI_LOOKUP_KEY`, deployed as the ARN of a secret the template generates)
//! is read by the functions that check lookup codes and by `hocphi-admin`, which writes digests;
//! the local stack generates its own into `.hocphi/lookup-key` ([`local_lookup_key`]).

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use hocphi_app::{Gateways, Settings};
use hocphi_domain::{GatewayKind, LookupKey};
use hocphi_gateways::momo::RequestType;
use hocphi_gateways::partner::Partners;
use hocphi_gateways::{
    Dvcqg, DvcqgConfig, Gateway, Momo, MomoConfig, PayosChannels, Secret, Vnpay, VnpayConfig,
};
use subtle::ConstantTimeEq;

use crate::Function;

/// Which functions read a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBy {
    /// Every function.
    Every,
    /// Only the functions that talk to this payment channel ([`Function::channels`]).
    Channel(GatewayKind),
    /// Only the functions behind the site's CDN ([`Function::behind_cdn`]).
    BehindCdn,
    /// Only the callback functions ([`Function::Callback`]).
    Callback,
    /// Only the processes that check or write lookup codes ([`Function::checks_lookup_codes`]).
    LookupCodes,
    /// Only the functions that tell a parent which channels the province offers without talking
    /// to any ([`Function::lists_channels`]: the look-up).
    ListsChannels,
}

/// Where a variable's value comes from in a deployed stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployed {
    /// The template always sets it.
    Always,
    /// The template sets it only when the province turns the channel on.
    WithChannel(GatewayKind),
    /// Never in a deployed stack: a secret's value (deployed stacks name its ARN) or a setting of
    /// local runs.
    LocalOnly,
}

/// One configuration variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    pub read_by: ReadBy,
    pub deployed: Deployed,
    /// A secret's value, or the ARN of the Secrets Manager secret holding it.
    pub secret: bool,
    /// For an ARN variable: the variable whose value the fetched secret stands in for.
    pub secret_of: Option<&'static str>,
}

const fn var(name: &'static str, read_by: ReadBy, deployed: Deployed) -> Variable {
    Variable {
        name,
        read_by,
        deployed,
        secret: false,
        secret_of: None,
    }
}

const fn secret_value(name: &'static str, read_by: ReadBy) -> Variable {
    Variable {
        name,
        read_by,
        deployed: Deployed::LocalOnly,
        secret: true,
        secret_of: None,
    }
}

const fn secret_arn(
    name: &'static str,
    read_by: ReadBy,
    deployed: Deployed,
    value: &'static str,
) -> Variable {
    Variable {
        name,
        read_by,
        deployed,
        secret: true,
        secret_of: Some(value),
    }
}

pub const TABLE: &str = "HOCPHI_TABLE";
pub const DYNAMODB_ENDPOINT: &str = "HOCPHI_DYNAMODB_ENDPOINT";
pub const DATA: &str = "HOCPHI_DATA";
pub const SITE_URL: &str = "HOCPHI_SITE_URL";
pub const VNPAY_TMN_CODE: &str = "HOCPHI_VNPAY_TMN_CODE";
pub const VNPAY_HASH_SECRET: &str = "HOCPHI_VNPAY_HASH_SECRET";
pub const VNPAY_SECRET_ARN: &str = "HOCPHI_VNPAY_SECRET_ARN";
pub const VNPAY_PAY_URL: &str = "HOCPHI_VNPAY_PAY_URL";
pub const VNPAY_API_URL: &str = "HOCPHI_VNPAY_API_URL";
pub const MOMO_PARTNER_CODE: &str = "HOCPHI_MOMO_PARTNER_CODE";
pub const MOMO_ACCESS_KEY: &str = "HOCPHI_MOMO_ACCESS_KEY";
pub const MOMO_SECRET_KEY: &str = "HOCPHI_MOMO_SECRET_KEY";
pub const MOMO_SECRET_ARN: &str = "HOCPHI_MOMO_SECRET_ARN";
pub const MOMO_ENDPOINT: &str = "HOCPHI_MOMO_ENDPOINT";
pub const PAYOS_CHANNELS: &str = "HOCPHI_PAYOS_CHANNELS";
pub const PAYOS_CHANNELS_ARN: &str = "HOCPHI_PAYOS_CHANNELS_ARN";
pub const PAYOS_ENDPOINT: &str = "HOCPHI_PAYOS_ENDPOINT";
pub const DVCQG_PARTNER_CODE: &str = "HOCPHI_DVCQG_PARTNER_CODE";
pub const DVCQG_HASH_KEY: &str = "HOCPHI_DVCQG_HASH_KEY";
pub const DVCQG_SECRET_ARN: &str = "HOCPHI_DVCQG_SECRET_ARN";
pub const DVCQG_ENDPOINT: &str = "HOCPHI_DVCQG_ENDPOINT";
pub const PARTNERS: &str = "HOCPHI_PARTNERS";
pub const PARTNERS_ARN: &str = "HOCPHI_PARTNERS_ARN";
pub const CHANNELS: &str = "HOCPHI_CHANNELS";
pub const LOOKUP_KEY: &str = "HOCPHI_LOOKUP_KEY";
pub const LOOKUP_KEY_ARN: &str = "HOCPHI_LOOKUP_KEY_ARN";
pub const ORIGIN_SECRET: &str = "HOCPHI_ORIGIN_SECRET";
pub const ORIGIN_SECRET_ARN: &str = "HOCPHI_ORIGIN_SECRET_ARN";
pub const CALLBACK_CHANNEL: &str = "HOCPHI_CALLBACK_CHANNEL";

/// The header CloudFront adds to every request it sends the API, carrying the origin secret
/// (the template's `OriginCustomHeaders`).
pub const ORIGIN_HEADER: &str = "x-hocphi-origin";

const VNPAY: ReadBy = ReadBy::Channel(GatewayKind::Vnpay);
const MOMO: ReadBy = ReadBy::Channel(GatewayKind::Momo);
const PAYOS: ReadBy = ReadBy::Channel(GatewayKind::Payos);
const DVCQG: ReadBy = ReadBy::Channel(GatewayKind::Dvcqg);
const PARTNER: ReadBy = ReadBy::Channel(GatewayKind::Partner);

/// Every variable hocphi's functions read; [`Config::read`] reads nothing else, and the
/// template checks hold each function's environment to this table.
pub const VARIABLES: &[Variable] = &[
    var(TABLE, ReadBy::Every, Deployed::Always),
    var(SITE_URL, ReadBy::Every, Deployed::Always),
    var(DYNAMODB_ENDPOINT, ReadBy::Every, Deployed::LocalOnly),
    var(DATA, ReadBy::Every, Deployed::LocalOnly),
    secret_arn(
        ORIGIN_SECRET_ARN,
        ReadBy::BehindCdn,
        Deployed::Always,
        ORIGIN_SECRET,
    ),
    secret_value(ORIGIN_SECRET, ReadBy::BehindCdn),
    var(CALLBACK_CHANNEL, ReadBy::Callback, Deployed::Always),
    var(VNPAY_TMN_CODE, VNPAY, Deployed::Always),
    secret_arn(VNPAY_SECRET_ARN, VNPAY, Deployed::Always, VNPAY_HASH_SECRET),
    secret_value(VNPAY_HASH_SECRET, VNPAY),
    var(VNPAY_PAY_URL, VNPAY, Deployed::Always),
    var(VNPAY_API_URL, VNPAY, Deployed::Always),
    var(
        MOMO_PARTNER_CODE,
        MOMO,
        Deployed::WithChannel(GatewayKind::Momo),
    ),
    var(
        MOMO_ACCESS_KEY,
        MOMO,
        Deployed::WithChannel(GatewayKind::Momo),
    ),
    secret_arn(
        MOMO_SECRET_ARN,
        MOMO,
        Deployed::WithChannel(GatewayKind::Momo),
        MOMO_SECRET_KEY,
    ),
    secret_value(MOMO_SECRET_KEY, MOMO),
    var(
        MOMO_ENDPOINT,
        MOMO,
        Deployed::WithChannel(GatewayKind::Momo),
    ),
    secret_arn(
        PAYOS_CHANNELS_ARN,
        PAYOS,
        Deployed::WithChannel(GatewayKind::Payos),
        PAYOS_CHANNELS,
    ),
    secret_value(PAYOS_CHANNELS, PAYOS),
    var(
        PAYOS_ENDPOINT,
        PAYOS,
        Deployed::WithChannel(GatewayKind::Payos),
    ),
    var(
        DVCQG_PARTNER_CODE,
        DVCQG,
        Deployed::WithChannel(GatewayKind::Dvcqg),
    ),
    secret_arn(
        DVCQG_SECRET_ARN,
        DVCQG,
        Deployed::WithChannel(GatewayKind::Dvcqg),
        DVCQG_HASH_KEY,
    ),
    secret_value(DVCQG_HASH_KEY, DVCQG),
    var(
        DVCQG_ENDPOINT,
        DVCQG,
        Deployed::WithChannel(GatewayKind::Dvcqg),
    ),
    secret_arn(
        PARTNERS_ARN,
        PARTNER,
        Deployed::WithChannel(GatewayKind::Partner),
        PARTNERS,
    ),
    secret_value(PARTNERS, PARTNER),
    var(CHANNELS, ReadBy::ListsChannels, Deployed::Always),
    secret_arn(
        LOOKUP_KEY_ARN,
        ReadBy::LookupCodes,
        Deployed::Always,
        LOOKUP_KEY,
    ),
    secret_value(LOOKUP_KEY, ReadBy::LookupCodes),
];

impl Variable {
    /// The table's entry for `name`.
    pub fn named(name: &str) -> Option<&'static Variable> {
        VARIABLES.iter().find(|v| v.name == name)
    }

    /// Whether `function` reads this variable.
    pub fn read_by(&self, function: Function) -> bool {
        match self.read_by {
            ReadBy::Every => true,
            ReadBy::Channel(kind) => function.channels().contains(&kind),
            ReadBy::BehindCdn => function.behind_cdn(),
            ReadBy::Callback => matches!(function, Function::Callback(_)),
            ReadBy::LookupCodes => function.checks_lookup_codes(),
            ReadBy::ListsChannels => function.lists_channels(),
        }
    }
}

/// Every problem found in the configuration.
#[derive(Debug, Default, thiserror::Error)]
pub struct ConfigError {
    pub missing: Vec<&'static str>,
    pub invalid: Vec<(&'static str, String)>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the configuration is incomplete")?;
        if !self.missing.is_empty() {
            write!(f, "; missing: {}", self.missing.join(", "))?;
        }
        for (name, reason) in &self.invalid {
            write!(f, "; {name}: {reason}")?;
        }
        Ok(())
    }
}

/// Reads variables from layers (values set on purpose, the process environment, defaults) and
/// remembers what was wrong, to report it all in [`Env::finish`].
#[derive(Debug, Default)]
pub struct Env {
    errors: ConfigError,
    overrides: HashMap<String, String>,
    process: bool,
    defaults: HashMap<String, String>,
}

impl Env {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self {
            process: true,
            ..Self::default()
        }
    }

    /// Reads only `pairs` (tests, and [`Config::local`]).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            overrides: collect(pairs),
            ..Self::default()
        }
    }

    /// `pairs` win over everything else read (flags, secrets fetched for their ARN variables).
    #[must_use]
    pub fn overriding<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.overrides.extend(collect(pairs));
        self
    }

    /// `pairs` stand in for variables that nothing else sets.
    #[must_use]
    pub fn with_defaults<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.defaults.extend(collect(pairs));
        self
    }

    /// A variable's value, empty counting as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        let set = |value: Option<&String>| value.filter(|v| !v.trim().is_empty()).cloned();
        set(self.overrides.get(name))
            .or_else(|| {
                self.process
                    .then(|| std::env::var(name).ok())
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
            })
            .or_else(|| set(self.defaults.get(name)))
    }

    /// A required variable; an empty value counts as missing.
    pub fn required(&mut self, name: &'static str) -> String {
        self.get(name).unwrap_or_else(|| {
            self.errors.missing.push(name);
            String::new()
        })
    }

    /// An optional variable with a default.
    pub fn or(&mut self, name: &'static str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// An optional variable.
    pub fn optional(&mut self, name: &'static str) -> Option<String> {
        self.get(name)
    }

    /// Records that a variable's value is not acceptable.
    pub fn invalid(&mut self, name: &'static str, reason: impl Into<String>) {
        self.errors.invalid.push((name, reason.into()));
    }

    /// Everything read, or every problem at once.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.errors.missing.is_empty() && self.errors.invalid.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

fn collect<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// Where state lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded store: `hocphi.db` in this directory (`HOCPHI_DATA`).
    Sqlite { dir: PathBuf },
    /// A DynamoDB table (`HOCPHI_TABLE`), at `HOCPHI_DYNAMODB_ENDPOINT` when given (tests).
    Dynamodb {
        table: String,
        endpoint: Option<String>,
    },
}

/// The value CloudFront adds to every request it sends the API ([`ORIGIN_HEADER`]): at least
/// [`OriginSecret::MIN_LEN`] characters, compared in constant time, never printed.
pub struct OriginSecret(Box<str>);

impl OriginSecret {
    /// The shortest accepted (the template generates 48 letters and digits).
    pub const MIN_LEN: usize = 32;

    /// Accepts the secret from configuration.
    pub fn new(raw: impl Into<String>) -> Result<Self, String> {
        let raw = raw.into();
        if raw.chars().count() < Self::MIN_LEN || raw.trim() != raw {
            return Err(format!(
                "at least {} characters, without surrounding white space",
                Self::MIN_LEN
            ));
        }
        Ok(Self(raw.into_boxed_str()))
    }

    /// Whether `candidate` is this secret, compared in constant time.
    pub fn admits(&self, candidate: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(candidate).into()
    }
}

impl fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One deployment's configuration: the store, the site and its limits, the channels offered,
/// and for a function behind the CDN the origin secret its callers must carry.
#[derive(Debug)]
pub struct Config {
    pub store: StoreConfig,
    pub settings: Settings,
    pub gateways: Gateways,
    pub origin_secret: Option<OriginSecret>,
}

impl Config {
    /// Reads every setting `function` needs from `env`; `None` when anything is missing or
    /// invalid (then [`Env::finish`] names it all).
    pub fn read(env: &mut Env, function: Function) -> Option<Config> {
        let store = read_store(env);
        let site_url = env.required(SITE_URL);
        let origin_secret = if function.behind_cdn() {
            read_origin_secret(env)
        } else {
            None
        };
        let channels = function.channels();
        let gateways = Gateways {
            vnpay: if channels.contains(&GatewayKind::Vnpay) {
                read_vnpay(env)
            } else {
                None
            },
            momo: if channels.contains(&GatewayKind::Momo) {
                read_momo(env, &site_url)
            } else {
                None
            },
            payos: if channels.contains(&GatewayKind::Payos) {
                read_payos(env)
            } else {
                None
            },
            dvcqg: if channels.contains(&GatewayKind::Dvcqg) {
                read_dvcqg(env)
            } else {
                None
            },
            partners: if channels.contains(&GatewayKind::Partner) {
                read_partners(env)
            } else {
                None
            },
            listed: if function.lists_channels() {
                read_channels(env)
            } else {
                Vec::new()
            },
        };
        let lookup_key = if function.checks_lookup_codes() {
            Some(read_lookup_key(env)?)
        } else {
            None
        };
        Some(Config {
            store: store?,
            settings: Settings {
                lookup_key,
                ..Settings::new(site_url)
            },
            gateways,
            origin_secret,
        })
    }

    /// Reads `env` for `function`, or every problem at once.
    pub fn from_env(mut env: Env, function: Function) -> Result<Config, ConfigError> {
        let config = Self::read(&mut env, function);
        env.finish()?;
        config.ok_or_else(ConfigError::default)
    }

    /// The local stack's configuration for a site served at `origin`: the embedded store in
    /// `.hocphi`, every channel pointed at their simulators on the same origin with the
    /// documented local keys, and [`TEST_LOOKUP_KEY`] (the local stack itself uses the key it
    /// generated, [`local_lookup_key`]).
    pub fn local(origin: &str) -> Config {
        let env =
            Env::from_pairs(local_defaults(origin)).overriding([(LOOKUP_KEY, TEST_LOOKUP_KEY)]);
        match Self::from_env(env, Function::Local) {
            Ok(config) => config,
            Err(err) => unreachable!("the local defaults are complete and valid: {err}"),
        }
    }
}

fn read_store(env: &mut Env) -> Option<StoreConfig> {
    match (env.optional(TABLE), env.optional(DATA)) {
        (Some(table), _) => Some(StoreConfig::Dynamodb {
            table,
            endpoint: env.optional(DYNAMODB_ENDPOINT),
        }),
        (None, Some(dir)) => Some(StoreConfig::Sqlite { dir: dir.into() }),
        (None, None) => {
            env.required(TABLE);
            None
        }
    }
}

/// The channel a deployed callback function serves (`HOCPHI_CALLBACK_CHANNEL`: one binary is
/// deployed once per channel), or `None` when the variable names none.
pub fn callback_function(env: &Env) -> Option<Function> {
    env.get(CALLBACK_CHANNEL)
        .and_then(|name| GatewayKind::parse(name.trim()))
        .map(Function::Callback)
}

/// The origin secret (`HOCPHI_ORIGIN_SECRET`, fetched by its ARN in a deployed stack).
fn read_origin_secret(env: &mut Env) -> Option<OriginSecret> {
    let raw = env.required(ORIGIN_SECRET);
    if raw.is_empty() {
        return None;
    }
    match OriginSecret::new(raw) {
        Ok(secret) => Some(secret),
        Err(reason) => {
            env.invalid("origin secret", reason);
            None
        }
    }
}

fn read_secret(env: &mut Env, name: &'static str, what: &'static str) -> Option<Secret> {
    match Secret::new(env.required(name)) {
        Ok(secret) => Some(secret),
        Err(_) if env.get(name).is_none() => None,
        Err(err) => {
            env.invalid(what, err.to_string());
            None
        }
    }
}

/// The lookup key (`HOCPHI_LOOKUP_KEY`, or the secret its ARN variable names): required, at
/// least [`LookupKey::MIN_LEN`] visible characters.
pub fn read_lookup_key(env: &mut Env) -> Option<LookupKey> {
    let text = env.required(LOOKUP_KEY);
    if text.is_empty() {
        return None;
    }
    match LookupKey::new(&text) {
        Ok(key) => Some(key),
        Err(err) => {
            env.invalid(
                LOOKUP_KEY,
                format!("the lookup key is not valid ({})", err.reason),
            );
            None
        }
    }
}

/// VNPay: `HOCPHI_VNPAY_TMN_CODE`, the hash secret, and `HOCPHI_VNPAY_PAY_URL` /
/// `HOCPHI_VNPAY_API_URL` (VNPay's sandbox unless given).
fn read_vnpay(env: &mut Env) -> Option<Gateway> {
    let tmn_code = env.required(VNPAY_TMN_CODE);
    let pay_url = env.or(VNPAY_PAY_URL, Vnpay::SANDBOX_PAY_URL);
    let api_url = env.or(VNPAY_API_URL, Vnpay::SANDBOX_API_URL);
    let hash_secret = read_secret(env, VNPAY_HASH_SECRET, "VNPay hash secret")?;
    match Vnpay::new(VnpayConfig {
        tmn_code,
        hash_secret,
        pay_url,
        api_url,
    }) {
        Ok(vnpay) => Some(Gateway::Vnpay(vnpay)),
        Err(err) => {
            env.invalid("HOCPHI_VNPAY_*", err.to_string());
            None
        }
    }
}

/// MoMo when `HOCPHI_MOMO_PARTNER_CODE` is set: then `HOCPHI_MOMO_ACCESS_KEY` and the secret key
/// are required, `HOCPHI_MOMO_ENDPOINT` defaults to MoMo's test host, and the IPN URL is the
/// site's `/api/callbacks/momo`.
fn read_momo(env: &mut Env, site_url: &str) -> Option<Gateway> {
    let partner_code = env.optional(MOMO_PARTNER_CODE)?;
    let access_key = env.required(MOMO_ACCESS_KEY);
    let endpoint = env.or(MOMO_ENDPOINT, Momo::SANDBOX_ENDPOINT);
    let secret_key = read_secret(env, MOMO_SECRET_KEY, "MoMo secret key")?;
    match Momo::new(MomoConfig {
        partner_code,
        access_key,
        secret_key,
        endpoint,
        ipn_url: format!("{}/api/callbacks/momo", site_url.trim_end_matches('/')),
        request_type: RequestType::CaptureWallet,
    }) {
        Ok(momo) => Some(Gateway::Momo(momo)),
        Err(err) => {
            env.invalid("HOCPHI_MOMO_*", err.to_string());
            None
        }
    }
}

/// payOS when `HOCPHI_PAYOS_CHANNELS` (in a deployed stack the secret its ARN variable names)
/// is set: the JSON map of payees to channels, each at `HOCPHI_PAYOS_ENDPOINT` (payOS's host
/// unless given). A bad map stops the function with every problem named, never a value of it.
pub fn read_payos(env: &mut Env) -> Option<Gateway> {
    let map = env.optional(PAYOS_CHANNELS)?;
    let endpoint = env.or(PAYOS_ENDPOINT, hocphi_gateways::payos::wire::API_BASE);
    match PayosChannels::from_json(&map, &endpoint) {
        Ok(channels) => Some(Gateway::Payos(channels)),
        Err(err) => {
            env.invalid(PAYOS_CHANNELS, err.to_string());
            None
        }
    }
}

/// The bill-payment partners when `HOCPHI_PARTNERS` (in a deployed stack the secret its ARN
/// variable names) is set: the JSON map of partners. A bad map stops the function with every
/// problem named, never a key.
pub fn read_partners(env: &mut Env) -> Option<Partners> {
    let map = env.optional(PARTNERS)?;
    match Partners::parse(&map) {
        Ok(partners) => Some(partners),
        Err(err) => {
            env.invalid(PARTNERS, err.to_string());
            None
        }
    }
}

/// The portal's payment platform when `HOCPHI_DVCQG_PARTNER_CODE` is set: then the hash key and
/// `HOCPHI_DVCQG_ENDPOINT` are required (the platform publishes no sandbox: its operator gives
/// each province its address).
fn read_dvcqg(env: &mut Env) -> Option<Gateway> {
    let partner_code = env.optional(DVCQG_PARTNER_CODE)?;
    let endpoint = env.required(DVCQG_ENDPOINT);
    let hash_key = read_secret(env, DVCQG_HASH_KEY, "portal platform hash key")?;
    if endpoint.is_empty() {
        return None;
    }
    match Dvcqg::new(DvcqgConfig {
        partner_code,
        hash_key,
        endpoint,
    }) {
        Ok(dvcqg) => Some(Gateway::Dvcqg(dvcqg)),
        Err(err) => {
            env.invalid("HOCPHI_DVCQG_*", err.to_string());
            None
        }
    }
}

/// The channels the province offers (`HOCPHI_CHANNELS`, e.g. `payos,vnpay,momo`), for the
/// look-up, which holds none of them; none when unset.
fn read_channels(env: &mut Env) -> Vec<GatewayKind> {
    let Some(list) = env.optional(CHANNELS) else {
        return Vec::new();
    };
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match GatewayKind::parse(name).filter(|kind| kind.is_checkout()) {
            Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
            Some(_) => {}
            None => env.invalid(
                CHANNELS,
                format!(
                    "unknown channel {:?} (known: payos, vnpay, momo, dvcqg)",
                    name.chars().take(16).collect::<String>()
                ),
            ),
        }
    }
    kinds
}

/// The local VNPay terminal (public: it protects nothing but the local simulator).
pub const LOCAL_TMN_CODE: &str = "HOCPHI01";
/// The local terminal's hash secret (public: it protects nothing but the local simulator).
pub const LOCAL_HASH_SECRET: &str = "LOCALSECRETLOCALSECRETLOCAL12345";
/// The local MoMo partner (public: its keys protect nothing but the local simulator).
pub const LOCAL_MOMO_PARTNER: &str = "MOMOHOCPHI01";
pub const LOCAL_MOMO_ACCESS_KEY: &str = "LOCALACCESSKEY01";
pub const LOCAL_MOMO_SECRET_KEY: &str = "LOCALMOMOSECRETLOCALMOMOSECRET01";

/// Where the payOS simulator answers on the local origin
/// (`hocphi_gateways::payos::simulator::BASE_PATH`).
pub const LOCAL_PAYOS_PATH: &str = "/sim/payos";
/// The local payOS payees (the demo schools') and their channels' credentials (public: they
/// protect nothing but the local simulator).
pub const LOCAL_PAYOS_PAYEE_NQ: &str = "BD-THCS-NGOQUYEN";
pub const LOCAL_PAYOS_PAYEE_LL: &str = "BD-TH-LELOI";
pub const LOCAL_PAYOS_CLIENT_ID_NQ: &str = "LOCALPAYOS-NQ";
pub const LOCAL_PAYOS_CLIENT_ID_LL: &str = "LOCALPAYOS-LL";
pub const LOCAL_PAYOS_API_KEY_NQ: &str = "LOCALPAYOSAPIKEY-NQ";
pub const LOCAL_PAYOS_API_KEY_LL: &str = "LOCALPAYOSAPIKEY-LL";
pub const LOCAL_PAYOS_CHECKSUM_KEY_NQ: &str = "LOCALPAYOSCHECKSUMKEYNGOQUYEN0001";
pub const LOCAL_PAYOS_CHECKSUM_KEY_LL: &str = "LOCALPAYOSCHECKSUMKEYLELOI000000001";

/// The local `HOCPHI_PAYOS_CHANNELS`: both demo payees with their local credentials, the first
/// on an account linked through payOS, the second on one that is not.
pub fn local_payos_channels() -> String {
    serde_json::json!({
        LOCAL_PAYOS_PAYEE_NQ: {
            "client_id": LOCAL_PAYOS_CLIENT_ID_NQ,
            "api_key": LOCAL_PAYOS_API_KEY_NQ,
            "checksum_key": LOCAL_PAYOS_CHECKSUM_KEY_NQ,
            "linked_account": true,
        },
        LOCAL_PAYOS_PAYEE_LL: {
            "client_id": LOCAL_PAYOS_CLIENT_ID_LL,
            "api_key": LOCAL_PAYOS_API_KEY_LL,
            "checksum_key": LOCAL_PAYOS_CHECKSUM_KEY_LL,
        },
    })
    .to_string()
}

/// Where the portal platform's simulator answers on the local origin
/// (`hocphi_gateways::dvcqg::simulator::BASE_PATH`).
pub const LOCAL_DVCQG_PATH: &str = "/sim/dvcqg";
/// The local portal platform's partner code (`MaDoiTac`) and shared key (public: they protect
/// nothing but the local simulator).
pub const LOCAL_DVCQG_PARTNER_CODE: &str = "HOCPHIGL";
pub const LOCAL_DVCQG_HASH_KEY: &str = "LOCALDVCQGHASHKEYLOCALDVCQG00001";

/// The local bill-payment partners: a bank (generic profile) and the portal platform (its own
/// profile), both collecting for the demo schools (public keys: they protect nothing but the
/// local simulators at `/sim/bank` and `/sim/portal`).
pub const LOCAL_BANK_PARTNER: &str = "BANKDEMO";
pub const LOCAL_BANK_KEY: &str = "LOCALPARTNERKEYBANKDEMO000000001";
pub const LOCAL_PORTAL_PARTNER: &str = "DVCQG";
pub const LOCAL_PORTAL_KEY: &str = "LOCALPARTNERKEYDVCQG00000000001";
pub const LOCAL_BANK_PATH: &str = "/sim/bank";
pub const LOCAL_PORTAL_PATH: &str = "/sim/portal";

/// The local `HOCPHI_PARTNERS`: the demo bank and the portal platform.
pub fn local_partners() -> String {
    serde_json::json!({
        LOCAL_BANK_PARTNER: {
            "name": "Ngân hàng mô phỏng",
            "profile": "generic",
            "key": LOCAL_BANK_KEY,
            "payees": [LOCAL_PAYOS_PAYEE_NQ, LOCAL_PAYOS_PAYEE_LL],
        },
        LOCAL_PORTAL_PARTNER: {
            "name": "Cổng Dịch vụ công quốc gia (mô phỏng)",
            "profile": "dvcqg",
            "code": LOCAL_DVCQG_PARTNER_CODE,
            "key": LOCAL_PORTAL_KEY,
            "schools": [LOCAL_PAYOS_PAYEE_NQ, LOCAL_PAYOS_PAYEE_LL],
        },
    })
    .to_string()
}

/// The lookup key of [`Config::local`], for tests (public: it protects nothing).
pub const TEST_LOOKUP_KEY: &str = "hocphi-test-lookup-key-protects-nothing-00000000";

/// The local lookup key's file in a data directory.
pub const LOCAL_LOOKUP_KEY_FILE: &str = "lookup-key";

/// The local stack's lookup key: the text of `lookup-key` in the data directory `dir`, created
/// on first use (readable by its owner only) with a key of 32 random bytes. It stays beside the
/// local SQLite file; a deployed stack keeps its key in Secrets Manager instead.
pub fn local_lookup_key(dir: &Path) -> std::io::Result<String> {
    let path = dir.join(LOCAL_LOOKUP_KEY_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let mut entropy = [0u8; 32];
            getrandom::fill(&mut entropy).map_err(|e| std::io::Error::other(e.to_string()))?;
            let text = LookupKey::text_from_entropy(entropy);
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            Ok(text)
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut text = String::new();
            std::fs::File::open(&path)?.read_to_string(&mut text)?;
            Ok(text.trim().to_owned())
        }
        Err(err) => Err(err),
    }
}

/// Where the simulators answer on the local origin (the paths of
/// `hocphi_gateways::{vnpay,momo}::simulator`, which only the local stack and the suites build).
pub const LOCAL_VNPAY_PAY_PATH: &str = "/sim/vnpay/paymentv2/vpcpay.html";
pub const LOCAL_VNPAY_API_PATH: &str = "/sim/vnpay/merchant_webapi/api/transaction";
pub const LOCAL_MOMO_PATH: &str = "/sim/momo";

/// The values the local stack uses for variables nothing sets: the embedded store in
/// `.hocphi`, the site at `origin`, every channel at its simulator with the local keys.
pub fn local_defaults(origin: &str) -> Vec<(&'static str, String)> {
    let origin = origin.trim_end_matches('/');
    vec![
        (DATA, ".hocphi".to_owned()),
        (SITE_URL, origin.to_owned()),
        (VNPAY_TMN_CODE, LOCAL_TMN_CODE.to_owned()),
        (VNPAY_HASH_SECRET, LOCAL_HASH_SECRET.to_owned()),
        (VNPAY_PAY_URL, format!("{origin}{LOCAL_VNPAY_PAY_PATH}")),
        (VNPAY_API_URL, format!("{origin}{LOCAL_VNPAY_API_PATH}")),
        (MOMO_PARTNER_CODE, LOCAL_MOMO_PARTNER.to_owned()),
        (MOMO_ACCESS_KEY, LOCAL_MOMO_ACCESS_KEY.to_owned()),
        (MOMO_SECRET_KEY, LOCAL_MOMO_SECRET_KEY.to_owned()),
        (MOMO_ENDPOINT, format!("{origin}{LOCAL_MOMO_PATH}")),
        (PAYOS_CHANNELS, local_payos_channels()),
        (PAYOS_ENDPOINT, format!("{origin}{LOCAL_PAYOS_PATH}")),
        (DVCQG_PARTNER_CODE, LOCAL_DVCQG_PARTNER_CODE.to_owned()),
        (DVCQG_HASH_KEY, LOCAL_DVCQG_HASH_KEY.to_owned()),
        (DVCQG_ENDPOINT, format!("{origin}{LOCAL_DVCQG_PATH}")),
        (PARTNERS, local_partners()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_and_invalid_variable_is_reported_at_once() {
        let env = Env::from_pairs([(VNPAY_TMN_CODE, "bad code!"), (VNPAY_HASH_SECRET, "short")]);

        let err = Config::from_env(env, Function::Checkout).unwrap_err();

        let text = err.to_string();
        assert!(
            text.contains("HOCPHI_TABLE, HOCPHI_SITE_URL, HOCPHI_ORIGIN_SECRET"),
            "{text}"
        );
        assert!(text.contains("VNPay hash secret"), "{text}");
        assert!(
            !text.contains("short"),
            "the secret itself is never printed: {text}"
        );
    }

    #[test]
    fn a_function_that_never_talks_to_a_channel_never_reads_its_settings() {
        let env = Env::from_pairs([
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (ORIGIN_SECRET, ORIGIN),
        ]);

        let config = Config::from_env(env, Function::Status).unwrap();

        assert!(config.gateways.offered().is_empty());
        assert!(config.settings.lookup_key.is_none());
        assert_eq!(
            config.store,
            StoreConfig::Dynamodb {
                table: "hocphi".into(),
                endpoint: None
            }
        );
    }

    #[test]
    fn momo_is_on_only_with_a_partner_code_and_then_needs_its_keys() {
        let base = [
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (VNPAY_TMN_CODE, "HOCPHI01"),
            (VNPAY_HASH_SECRET, LOCAL_HASH_SECRET),
        ];
        let without = Config::from_env(Env::from_pairs(base), Function::Sweeper).unwrap();
        let half = Config::from_env(
            Env::from_pairs(base).overriding([(MOMO_PARTNER_CODE, "MOMO01")]),
            Function::Sweeper,
        )
        .unwrap_err();

        assert_eq!(without.gateways.offered(), vec![GatewayKind::Vnpay]);
        assert_eq!(half.missing, vec![MOMO_ACCESS_KEY, MOMO_SECRET_KEY]);
    }

    const ORIGIN: &str = "ORIGINSECRETORIGINSECRETORIGINSECRET0123456789AB";

    #[test]
    fn the_portal_platform_is_on_only_with_a_partner_code_and_then_needs_its_key_and_endpoint() {
        let base = [
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (ORIGIN_SECRET, ORIGIN),
        ];
        let callback = Function::Callback(GatewayKind::Dvcqg);
        let without = Config::from_env(Env::from_pairs(base), callback).unwrap();
        let half = Config::from_env(
            Env::from_pairs(base).overriding([(DVCQG_PARTNER_CODE, "HOCPHIGL")]),
            callback,
        )
        .unwrap_err();
        let bad = Config::from_env(
            Env::from_pairs(base).overriding([
                (DVCQG_PARTNER_CODE, "HOCPHIGL"),
                (DVCQG_HASH_KEY, LOCAL_DVCQG_HASH_KEY),
                (DVCQG_ENDPOINT, "http://thanhtoan.example.vn"),
            ]),
            callback,
        )
        .unwrap_err();
        let whole = Config::from_env(
            Env::from_pairs(base).overriding([
                (DVCQG_PARTNER_CODE, "HOCPHIGL"),
                (DVCQG_HASH_KEY, LOCAL_DVCQG_HASH_KEY),
                (DVCQG_ENDPOINT, "https://thanhtoan.example.vn/api"),
            ]),
            callback,
        )
        .unwrap();

        assert!(without.gateways.offered().is_empty());
        assert_eq!(half.missing, vec![DVCQG_ENDPOINT, DVCQG_HASH_KEY]);
        assert_eq!(bad.invalid.len(), 1, "{bad}");
        assert!(!bad.to_string().contains(LOCAL_DVCQG_HASH_KEY), "{bad}");
        assert_eq!(whole.gateways.offered(), vec![GatewayKind::Dvcqg]);
        assert!(matches!(whole.gateways.dvcqg, Some(Gateway::Dvcqg(_))));
        assert!(!format!("{whole:?}").contains(LOCAL_DVCQG_HASH_KEY));
    }

    #[test]
    fn only_the_channels_a_parent_can_choose_may_be_listed() {
        let env = Env::from_pairs([
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (ORIGIN_SECRET, ORIGIN),
            (LOOKUP_KEY, TEST_LOOKUP_KEY),
            (CHANNELS, "vnpay, dvcqg, vnpay"),
        ]);
        let partner = Env::from_pairs([
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (ORIGIN_SECRET, ORIGIN),
            (LOOKUP_KEY, TEST_LOOKUP_KEY),
            (CHANNELS, "vnpay,partner"),
        ]);

        let listed = Config::from_env(env, Function::Lookup).unwrap();
        let refused = Config::from_env(partner, Function::Lookup).unwrap_err();

        assert_eq!(
            listed.gateways.offered(),
            vec![GatewayKind::Vnpay, GatewayKind::Dvcqg]
        );
        assert_eq!(refused.invalid[0].0, CHANNELS, "{refused}");
    }

    #[test]
    fn a_callback_function_reads_its_own_channel_alone() {
        let env = || {
            Env::from_pairs([
                (TABLE, "hocphi"),
                (SITE_URL, "https://hocphi.example"),
                (ORIGIN_SECRET, ORIGIN),
                (MOMO_PARTNER_CODE, LOCAL_MOMO_PARTNER),
                (MOMO_ACCESS_KEY, LOCAL_MOMO_ACCESS_KEY),
                (MOMO_SECRET_KEY, LOCAL_MOMO_SECRET_KEY),
            ])
        };

        let momo = Config::from_env(env(), Function::Callback(GatewayKind::Momo)).unwrap();
        let vnpay = Config::from_env(env(), Function::Callback(GatewayKind::Vnpay)).unwrap_err();

        assert_eq!(momo.gateways.offered(), vec![GatewayKind::Momo]);
        assert_eq!(vnpay.missing, vec![VNPAY_TMN_CODE, VNPAY_HASH_SECRET]);
    }

    #[test]
    fn a_deployed_callback_function_takes_its_channel_from_the_environment() {
        let cases = [
            ("vnpay", Some(Function::Callback(GatewayKind::Vnpay))),
            ("momo", Some(Function::Callback(GatewayKind::Momo))),
            ("payos", Some(Function::Callback(GatewayKind::Payos))),
            ("dvcqg", Some(Function::Callback(GatewayKind::Dvcqg))),
            ("partner", Some(Function::Callback(GatewayKind::Partner))),
            ("paypal", None),
            ("", None),
        ];
        for (channel, expected) in cases {
            let env = Env::from_pairs([(CALLBACK_CHANNEL, channel)]);

            assert_eq!(callback_function(&env), expected, "{channel:?}");
        }
    }

    #[test]
    fn a_function_behind_the_cdn_does_not_start_without_a_whole_origin_secret() {
        let base = [(TABLE, "hocphi"), (SITE_URL, "https://hocphi.example")];

        let missing = Config::from_env(Env::from_pairs(base), Function::Status).unwrap_err();
        let short = Config::from_env(
            Env::from_pairs(base).overriding([(ORIGIN_SECRET, "short")]),
            Function::Status,
        )
        .unwrap_err();
        let whole = Config::from_env(
            Env::from_pairs(base).overriding([(ORIGIN_SECRET, ORIGIN)]),
            Function::Status,
        )
        .unwrap();

        assert_eq!(missing.missing, vec![ORIGIN_SECRET]);
        assert!(!short.to_string().contains("short"), "{short}");
        assert_eq!(short.invalid.len(), 1);
        assert!(whole.origin_secret.unwrap().admits(ORIGIN.as_bytes()));
        assert!(
            Config::local("http://127.0.0.1:8080")
                .origin_secret
                .is_none(),
            "the local stack is not behind a CDN"
        );
    }

    #[test]
    fn the_local_configuration_offers_every_channel_at_its_simulator() {
        let config = Config::local("http://127.0.0.1:8080");

        assert_eq!(
            config.gateways.offered(),
            vec![
                GatewayKind::Payos,
                GatewayKind::Vnpay,
                GatewayKind::Momo,
                GatewayKind::Dvcqg
            ]
        );
        let Some(Gateway::Payos(channels)) = &config.gateways.payos else {
            panic!("payOS is configured locally");
        };
        let payees: Vec<&str> = channels.payees().map(|p| p.as_str()).collect();
        assert_eq!(payees, [LOCAL_PAYOS_PAYEE_LL, LOCAL_PAYOS_PAYEE_NQ]);
        assert_eq!(config.settings.site_url, "http://127.0.0.1:8080");
        assert_eq!(
            config.store,
            StoreConfig::Sqlite {
                dir: ".hocphi".into()
            }
        );
    }

    #[test]
    fn values_set_on_purpose_win_over_the_environment_and_the_defaults() {
        let env = Env::from_pairs([(DATA, "set")])
            .with_defaults([(DATA, "default"), (SITE_URL, "http://default")])
            .overriding([(SITE_URL, "http://flag")]);

        assert_eq!(env.get(DATA).as_deref(), Some("set"));
        assert_eq!(env.get(SITE_URL).as_deref(), Some("http://flag"));
    }

    #[test]
    fn the_functions_that_check_lookup_codes_need_the_lookup_key_and_never_print_it() {
        let base = [
            (TABLE, "hocphi"),
            (SITE_URL, "https://hocphi.example"),
            (VNPAY_TMN_CODE, "HOCPHI01"),
            (VNPAY_HASH_SECRET, LOCAL_HASH_SECRET),
            (ORIGIN_SECRET, ORIGIN),
        ];
        let short = "tooshort-secret-value";

        let without = Config::from_env(Env::from_pairs(base), Function::Lookup).unwrap_err();
        let invalid = Config::from_env(
            Env::from_pairs(base).overriding([(LOOKUP_KEY, short)]),
            Function::Checkout,
        )
        .unwrap_err();
        let with = Config::from_env(
            Env::from_pairs(base).overriding([(LOOKUP_KEY, TEST_LOOKUP_KEY)]),
            Function::Checkout,
        )
        .unwrap();

        assert_eq!(without.missing, vec![LOOKUP_KEY]);
        assert!(!invalid.to_string().contains(short), "{invalid}");
        assert!(invalid.to_string().contains(LOOKUP_KEY), "{invalid}");
        assert!(with.settings.lookup_key.is_some());
        assert!(!format!("{with:?}").contains(TEST_LOOKUP_KEY));
        for function in Function::DEPLOYED {
            let reads = Variable::named(LOOKUP_KEY_ARN).unwrap().read_by(function);
            assert_eq!(
                reads,
                matches!(
                    function,
                    Function::Lookup
                        | Function::Checkout
                        | Function::Callback(GatewayKind::Partner)
                ),
                "{function:?}"
            );
        }
    }

    #[test]
    fn the_local_lookup_key_is_generated_once_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();

        let first = local_lookup_key(dir.path()).unwrap();
        let again = local_lookup_key(dir.path()).unwrap();

        assert_eq!(first, again);
        assert!(LookupKey::new(&first).is_ok());
        assert_ne!(
            first,
            local_lookup_key(tempfile::tempdir().unwrap().path()).unwrap()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(LOCAL_LOOKUP_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }

    const DEPLOYED_BASE: [(&str, &str); 5] = [
        (TABLE, "hocphi"),
        (SITE_URL, "https://hocphi.example"),
        (ORIGIN_SECRET, ORIGIN),
        (VNPAY_TMN_CODE, "HOCPHI01"),
        (VNPAY_HASH_SECRET, LOCAL_HASH_SECRET),
    ];

    #[test]
    fn payos_is_on_only_with_its_channels_and_its_callback_reads_it_alone() {
        let map = local_payos_channels();

        let without = Config::from_env(Env::from_pairs(DEPLOYED_BASE), Function::Sweeper).unwrap();
        let with = Config::from_env(
            Env::from_pairs(DEPLOYED_BASE).overriding([(PAYOS_CHANNELS, map.as_str())]),
            Function::Sweeper,
        )
        .unwrap();
        let callback = Config::from_env(
            Env::from_pairs([
                (TABLE, "hocphi"),
                (SITE_URL, "https://hocphi.example"),
                (ORIGIN_SECRET, ORIGIN),
                (PAYOS_CHANNELS, map.as_str()),
            ]),
            Function::Callback(GatewayKind::Payos),
        )
        .unwrap();
        let status = Config::from_env(
            Env::from_pairs(DEPLOYED_BASE).overriding([(PAYOS_CHANNELS, "not json")]),
            Function::Status,
        )
        .unwrap();

        assert_eq!(without.gateways.offered(), vec![GatewayKind::Vnpay]);
        assert_eq!(
            with.gateways.offered(),
            vec![GatewayKind::Payos, GatewayKind::Vnpay]
        );
        assert_eq!(callback.gateways.offered(), vec![GatewayKind::Payos]);
        assert!(
            status.gateways.offered().is_empty(),
            "status reads no channel"
        );
        for secret in [LOCAL_PAYOS_API_KEY_NQ, LOCAL_PAYOS_CHECKSUM_KEY_LL] {
            assert!(!format!("{with:?}").contains(secret));
        }
        for function in Function::DEPLOYED {
            let reads = Variable::named(PAYOS_CHANNELS_ARN)
                .unwrap()
                .read_by(function);
            assert_eq!(
                reads,
                matches!(
                    function,
                    Function::Checkout | Function::Sweeper | Function::Callback(GatewayKind::Payos)
                ),
                "{function:?}"
            );
        }
    }

    #[test]
    fn a_malformed_channels_map_stops_the_function_naming_the_payee_never_a_secret() {
        let secret = "CHECKSUMKEYTHATMUSTNOTBEPRINTED01";
        let cases = [
            format!("{{\"BD-A\": {{\"client_id\": \"C1\", \"api_key\": \"{secret}\"}}}}"),
            format!("{{\"BD-A\": \"{secret}\"}}"),
            format!(
                "{{\"BD-A\": {{\"client_id\": \"C1\", \"api_key\": \"{secret}\", \"checksum_key\": \"short\"}}}}"
            ),
            format!("[\"{secret}\"]"),
            format!(
                "{{\"BD-A\": {{\"client_id\": \"C1\", \"api_key\": \"{secret}\", \"checksum_key\": \"{secret}\"}}"
            ),
        ];
        for map in cases {
            let err = Config::from_env(
                Env::from_pairs(DEPLOYED_BASE).overriding([(PAYOS_CHANNELS, map.as_str())]),
                Function::Checkout,
            )
            .unwrap_err();

            let text = err.to_string();
            assert!(text.contains(PAYOS_CHANNELS), "{text}");
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains("short\""), "{text}");
        }
    }

    #[test]
    fn the_deployed_lookup_offers_the_channels_the_province_lists() {
        let lookup = |channels: Option<&str>| {
            let mut env =
                Env::from_pairs(DEPLOYED_BASE).overriding([(LOOKUP_KEY, TEST_LOOKUP_KEY)]);
            if let Some(channels) = channels {
                env = env.overriding([(CHANNELS, channels)]);
            }
            Config::from_env(env, Function::Lookup)
        };

        let listed = lookup(Some("payos, vnpay,momo")).unwrap();
        let vnpay_momo = lookup(Some("momo,vnpay")).unwrap();
        let with_partner = lookup(Some("vnpay,partner")).unwrap_err();
        let unknown = lookup(Some("vnpay,paypal")).unwrap_err();

        assert_eq!(
            listed.gateways.offered(),
            vec![GatewayKind::Payos, GatewayKind::Vnpay, GatewayKind::Momo]
        );
        assert!(
            listed.gateways.get(GatewayKind::Vnpay).is_none(),
            "no secret read"
        );
        assert_eq!(
            vnpay_momo.gateways.offered(),
            vec![GatewayKind::Vnpay, GatewayKind::Momo]
        );
        assert!(
            with_partner.to_string().contains(CHANNELS),
            "a partner is never listed for parents: {with_partner}"
        );
        assert!(unknown.to_string().contains(CHANNELS), "{unknown}");
        for function in Function::DEPLOYED {
            assert_eq!(
                Variable::named(CHANNELS).unwrap().read_by(function),
                function == Function::Lookup,
                "{function:?}"
            );
        }
    }

    #[test]
    fn the_partners_function_and_the_local_stack_read_the_partners_and_no_other_function_does() {
        let partners_env = || {
            Env::from_pairs([
                (TABLE, "hocphi"),
                (SITE_URL, "https://hocphi.example"),
                (ORIGIN_SECRET, ORIGIN),
                (LOOKUP_KEY, TEST_LOOKUP_KEY),
            ])
            .overriding([(PARTNERS, local_partners())])
        };
        let function = Function::Callback(GatewayKind::Partner);

        let partners = Config::from_env(partners_env(), function).unwrap();
        let none = Config::from_env(
            Env::from_pairs([
                (TABLE, "hocphi"),
                (SITE_URL, "https://hocphi.example"),
                (ORIGIN_SECRET, ORIGIN),
                (LOOKUP_KEY, TEST_LOOKUP_KEY),
            ]),
            function,
        )
        .unwrap();
        let local = Config::local("http://127.0.0.1:8080");
        let checkout = Config::from_env(
            Env::from_pairs(DEPLOYED_BASE)
                .overriding([(LOOKUP_KEY, TEST_LOOKUP_KEY), (PARTNERS, "not json")]),
            Function::Checkout,
        )
        .unwrap();

        let ids = |config: &Config| -> Vec<String> {
            config
                .gateways
                .partners
                .iter()
                .flat_map(|p| p.iter().map(|p| p.id.to_string()))
                .collect()
        };
        assert_eq!(ids(&partners), [LOCAL_BANK_PARTNER, LOCAL_PORTAL_PARTNER]);
        assert_eq!(ids(&local), [LOCAL_BANK_PARTNER, LOCAL_PORTAL_PARTNER]);
        assert!(none.gateways.partners.is_none(), "no partners configured");
        assert!(checkout.gateways.partners.is_none(), "checkout reads none");
        assert!(
            partners.gateways.offered().is_empty(),
            "a partner is never offered to a parent"
        );
        assert!(partners.settings.lookup_key.is_some(), "payment codes");
        for key in [LOCAL_BANK_KEY, LOCAL_PORTAL_KEY] {
            assert!(!format!("{partners:?}").contains(key));
        }
        for function in Function::DEPLOYED {
            assert_eq!(
                Variable::named(PARTNERS_ARN).unwrap().read_by(function),
                function == Function::Callback(GatewayKind::Partner),
                "{function:?}"
            );
        }
    }

    #[test]
    fn a_malformed_partners_map_stops_the_function_naming_the_variable_never_a_key() {
        let key = "PARTNERKEYTHATMUSTNOTBEPRINTED0001";
        let cases = [
            "not json".to_owned(),
            format!("[\"{key}\"]"),
            format!("{{\"BANK\": \"{key}\"}}"),
            format!(
                "{{\"BANK\": {{\"name\": \"Ngân hàng\", \"profile\": \"generic\", \"key\": \"{key}\", \"schools\": []}}}}"
            ),
            format!(
                "{{\"BANK\": {{\"name\": \"Ngân hàng\", \"profile\": \"swift\", \"key\": \"{key}\", \"schools\": [\"BD-A\"]}}}}"
            ),
            "{\"BANK\": {\"name\": \"Ngân hàng\", \"profile\": \"generic\", \"key\": \"short\", \"schools\": [\"BD-A\"]}}".to_owned(),
        ];
        for map in cases {
            let err = Config::from_env(
                Env::from_pairs([
                    (TABLE, "hocphi"),
                    (SITE_URL, "https://hocphi.example"),
                    (ORIGIN_SECRET, ORIGIN),
                    (LOOKUP_KEY, TEST_LOOKUP_KEY),
                ])
                .overriding([(PARTNERS, map.as_str())]),
                Function::Callback(GatewayKind::Partner),
            )
            .unwrap_err();

            let text = err.to_string();
            assert!(text.contains(PARTNERS), "{map}: {text}");
            assert!(!text.contains(key), "{text}");
            assert!(!text.contains("short\""), "{text}");
        }
    }

    #[test]
    fn every_variable_is_named_once_and_every_arn_stands_for_a_secret_value_of_the_table() {
        for (i, variable) in VARIABLES.iter().enumerate() {
            assert!(
                VARIABLES[i + 1..].iter().all(|v| v.name != variable.name),
                "{} is listed twice",
                variable.name
            );
            if let Some(value) = variable.secret_of {
                let value = Variable::named(value).unwrap();
                assert!(value.secret && value.deployed == Deployed::LocalOnly);
            }
        }
    }
}
