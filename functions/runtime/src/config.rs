//! Configuration from the environment.
//!
//! Invariant: a process either starts with every setting valid or stops at once with one
//! message listing every missing and invalid variable; there is no fail-open default for a
//! secret.

use std::fmt;

use hocphi_gateways::momo::RequestType;
use hocphi_gateways::{Gateway, Momo, MomoConfig, Secret, Vnpay, VnpayConfig};

/// Every problem found in the environment.
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

/// Reads variables and remembers what was wrong, to report it all in [`Env::finish`].
#[derive(Debug, Default)]
pub struct Env {
    errors: ConfigError,
    lookup: Option<fn(&str) -> Option<String>>,
}

impl Env {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads from a function instead of the process environment (tests).
    pub fn from_fn(lookup: fn(&str) -> Option<String>) -> Self {
        Self {
            errors: ConfigError::default(),
            lookup: Some(lookup),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        match self.lookup {
            Some(lookup) => lookup(name),
            None => std::env::var(name).ok(),
        }
        .filter(|v| !v.trim().is_empty())
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

/// VNPay from `HOCPHI_VNPAY_TMN_CODE`, `HOCPHI_VNPAY_PAY_URL`, `HOCPHI_VNPAY_API_URL` (both
/// defaulting to VNPay's sandbox) and the hash secret the caller obtained (environment locally,
/// Secrets Manager on AWS).
pub fn vnpay_from_env(env: &mut Env, hash_secret: Option<String>) -> Option<Gateway> {
    let tmn_code = env.required("HOCPHI_VNPAY_TMN_CODE");
    let pay_url = env.or("HOCPHI_VNPAY_PAY_URL", Vnpay::SANDBOX_PAY_URL);
    let api_url = env.or("HOCPHI_VNPAY_API_URL", Vnpay::SANDBOX_API_URL);
    let secret = match hash_secret.map(Secret::new) {
        Some(Ok(secret)) => secret,
        Some(Err(err)) => {
            env.invalid("VNPay hash secret", err.to_string());
            return None;
        }
        None => return None,
    };
    match Vnpay::new(VnpayConfig {
        tmn_code,
        hash_secret: secret,
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
/// the caller obtained are required, `HOCPHI_MOMO_ENDPOINT` defaults to MoMo's test host, and the
/// IPN URL is the site's `/api/callbacks/momo`.
pub fn momo_from_env(env: &mut Env, site_url: &str, secret_key: Option<String>) -> Option<Gateway> {
    let partner_code = env.optional("HOCPHI_MOMO_PARTNER_CODE")?;
    let access_key = env.required("HOCPHI_MOMO_ACCESS_KEY");
    let endpoint = env.or("HOCPHI_MOMO_ENDPOINT", Momo::SANDBOX_ENDPOINT);
    let secret = match secret_key.map(Secret::new) {
        Some(Ok(secret)) => secret,
        Some(Err(err)) => {
            env.invalid("MoMo secret key", err.to_string());
            return None;
        }
        None => {
            env.invalid("MoMo secret key", "missing");
            return None;
        }
    };
    match Momo::new(MomoConfig {
        partner_code,
        access_key,
        secret_key: secret,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_and_invalid_variable_is_reported_at_once() {
        let mut env = Env::from_fn(|name| match name {
            "HOCPHI_VNPAY_TMN_CODE" => Some("bad code!".into()),
            _ => None,
        });
        let table = env.required("HOCPHI_TABLE");
        let site = env.required("HOCPHI_SITE_URL");
        let vnpay = vnpay_from_env(&mut env, Some("short".into()));

        let err = env.finish().unwrap_err();

        assert_eq!((table.as_str(), site.as_str()), ("", ""));
        assert!(vnpay.is_none());
        let text = err.to_string();
        assert!(text.contains("HOCPHI_TABLE, HOCPHI_SITE_URL"), "{text}");
        assert!(text.contains("VNPay hash secret"), "{text}");
        assert!(
            !text.contains("short"),
            "the secret itself is never printed: {text}"
        );
    }
}
