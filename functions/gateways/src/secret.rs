//! Gateway secrets (VNPay's hash secret, MoMo's secret key).
//!
//! Invariant: a [`Secret`] is at least [`Secret::MIN_LEN`] characters with no surrounding white
//! space, so a missing or truncated configuration value fails at start-up instead of signing with
//! an empty key; it is never displayed, and its `Debug` prints `***`.

use std::fmt;

use crate::ConfigError;

/// A key that signs and verifies a gateway's messages.
pub struct Secret(Box<str>);

impl Secret {
    /// The shortest secret accepted. VNPay and MoMo issue 32-character secrets; anything much
    /// shorter is a truncated or placeholder value.
    pub const MIN_LEN: usize = 16;

    /// Accepts a secret from configuration.
    pub fn new(raw: impl Into<String>) -> Result<Self, ConfigError> {
        let raw = raw.into();
        if raw.is_empty() {
            return Err(ConfigError::SecretEmpty);
        }
        if raw.trim() != raw {
            return Err(ConfigError::SecretWhitespace);
        }
        if raw.chars().count() < Self::MIN_LEN {
            return Err(ConfigError::SecretTooShort { min: Self::MIN_LEN });
        }
        Ok(Self(raw.into_boxed_str()))
    }

    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_short_or_padded_secrets_are_configuration_errors() {
        let cases = [
            ("", ConfigError::SecretEmpty),
            ("short", ConfigError::SecretTooShort { min: 16 }),
            ("123456789012345", ConfigError::SecretTooShort { min: 16 }),
            (" SECRETSECRETSECRETSECRET", ConfigError::SecretWhitespace),
            ("SECRETSECRETSECRETSECRET\n", ConfigError::SecretWhitespace),
        ];
        for (raw, expected) in cases {
            assert_eq!(Secret::new(raw).unwrap_err(), expected, "{raw:?}");
        }
        assert!(Secret::new("1234567890123456").is_ok());
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = Secret::new("SECRETSECRETSECRETSECRETSECRET12").unwrap();
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
    }
}
