//! The token model: what a stored token is, apart from where it is stored.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::otp::{Algorithm, Code, Digits, Hotp, Params, Totp};
use crate::seed::Seed;
use crate::serial::{display_serial, Serial};
use crate::uri::{OtpAuthUri, OtpKind};

/// Everything about a token except its seed. Safe to show, log, serialise and send to the webview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Internal id (16 hex digits), stable for the token's life; the keychain entry's name.
    pub id: String,
    /// The bank or service.
    pub issuer: Option<String>,
    /// The account (may be empty).
    pub account: String,
    /// The serial number, canonical if it is one of ours, as given otherwise.
    pub serial: Option<String>,
    /// TOTP with its period, or HOTP with its next counter.
    pub kind: OtpKind,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: Digits,
    /// When it was added, Unix seconds.
    pub created: u64,
}

impl TokenInfo {
    /// `issuer:account`, `issuer`, or `account`: how lists name the token.
    #[must_use]
    pub fn name(&self) -> String {
        match (&self.issuer, self.account.is_empty()) {
            (Some(i), false) => format!("{i}:{}", self.account),
            (Some(i), true) => i.clone(),
            (None, _) => self.account.clone(),
        }
    }

    /// The serial as screens show it (`SKTN 1234 5670`), if there is one.
    #[must_use]
    pub fn serial_display(&self) -> Option<String> {
        self.serial.as_deref().map(display_serial)
    }

    /// The code parameters.
    #[must_use]
    pub fn params(&self) -> Params {
        Params {
            algorithm: self.algorithm,
            digits: self.digits,
        }
    }

    /// Whether `query` names this token: its id, its serial (in any typed form), `issuer:account`, the issuer
    /// alone or the account alone, case-insensitively.
    #[must_use]
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim();
        if q.is_empty() {
            return false;
        }
        if self.id == q {
            return true;
        }
        if let Some(serial) = &self.serial {
            let canonical_q = Serial::parse(q)
                .map(String::from)
                .unwrap_or_else(|_| q.to_string());
            if serial.eq_ignore_ascii_case(&canonical_q) {
                return true;
            }
        }
        let eq = |a: &str| a.to_lowercase() == q.to_lowercase();
        eq(&self.name())
            || self.issuer.as_deref().is_some_and(eq)
            || (!self.account.is_empty() && eq(&self.account))
    }
}

/// A token about to be stored.
#[derive(Debug)]
pub struct NewToken {
    /// The bank or service.
    pub issuer: Option<String>,
    /// The account (may be empty).
    pub account: String,
    /// The serial number, if known.
    pub serial: Option<String>,
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// Algorithm and digits.
    pub params: Params,
    /// The shared secret.
    pub seed: Seed,
}

impl From<OtpAuthUri> for NewToken {
    fn from(u: OtpAuthUri) -> NewToken {
        let serial = u.serial.map(|s| Serial::parse(&s).map(String::from).unwrap_or(s));
        NewToken {
            issuer: u.issuer,
            account: u.account,
            serial,
            kind: u.kind,
            params: u.params,
            seed: u.seed,
        }
    }
}

impl NewToken {
    /// The stored metadata for this token, with a fresh id.
    #[must_use]
    pub fn info(&self, created: u64) -> TokenInfo {
        TokenInfo {
            id: new_id(),
            issuer: self.issuer.clone(),
            account: self.account.clone(),
            // Our serials are stored canonical (however they were typed) so that every lookup form finds them.
            serial: self.serial.as_deref().map(|s| {
                Serial::parse(s)
                    .map(String::from)
                    .unwrap_or_else(|_| s.to_string())
            }),
            kind: self.kind,
            algorithm: self.params.algorithm,
            digits: self.params.digits,
            created,
        }
    }
}

/// A token with its seed, loaded from a store to compute codes.
#[derive(Debug)]
pub struct Token {
    /// Metadata.
    pub info: TokenInfo,
    seed: Seed,
}

impl Token {
    /// Joins metadata and seed.
    #[must_use]
    pub fn new(info: TokenInfo, seed: Seed) -> Token {
        Token { info, seed }
    }

    /// The seed, for stores and the export paths that need it.
    #[must_use]
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// For a TOTP token, its generator; `None` for HOTP.
    #[must_use]
    pub fn totp(&self) -> Option<Totp> {
        match self.info.kind {
            OtpKind::Totp { period } => Some(Totp::new(&self.seed, self.info.params(), period)),
            OtpKind::Hotp { .. } => None,
        }
    }

    /// The code at Unix time `t` (TOTP) or at the stored counter (HOTP; the caller advances the counter).
    #[must_use]
    pub fn code_at(&self, unix_seconds: u64) -> Code {
        match self.info.kind {
            OtpKind::Totp { period } => {
                Totp::new(&self.seed, self.info.params(), period).code_at(unix_seconds)
            }
            OtpKind::Hotp { counter } => Hotp::new(&self.seed, self.info.params()).code(counter),
        }
    }

    /// An `otpauth://` URI that recreates this token (for a provisioning QR). Contains the secret.
    ///
    /// # Errors
    /// Never at present; kept fallible for future token kinds.
    pub fn to_uri(&self) -> Result<zeroize::Zeroizing<String>> {
        let uri = OtpAuthUri {
            kind: self.info.kind,
            issuer: self.info.issuer.clone(),
            account: self.info.account.clone(),
            seed: self.seed.duplicate(),
            params: self.info.params(),
            serial: self.info.serial.clone(),
        };
        Ok(uri.to_uri())
    }
}

/// A fresh random token id: 16 lowercase hex digits.
#[must_use]
pub fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}
