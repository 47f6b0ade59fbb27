//! `otpauth://` URIs (the Google Authenticator "Key URI format"), read leniently and written canonically.
//!
//! Rules (tested in `tests/uri.rs`):
//! - Scheme and type are case-insensitive: `otpauth://totp/…`, `OTPAUTH://HOTP/…`.
//! - The label is `issuer:account` or `account`; the colon may be written `%3A`, and spaces after it are dropped.
//!   A literal `:` is the separator if there is one, so that an issuer containing a colon can be written as
//!   `A%3AB:account`; only a label without a literal `:` is split at its first `%3A`. (`to_uri` always writes a
//!   literal separator, and writes `:account` when there is no issuer but the account contains a colon.)
//!   In the label, `%20` is a space and `+` is a literal plus (RFC 3986 paths: `alice+bank@example.jp` keeps its
//!   plus). In the query, both `%20` and `+` are spaces (HTML form encoding, which most generators use).
//! - **Issuer rule**: the `issuer` parameter wins. If the label also has a prefix and it differs, the parameter is
//!   kept as the issuer and the label's prefix is dropped (Google's spec calls the parameter the authoritative one,
//!   and Aegis and privacyIDEA agree). With no parameter, the label prefix is the issuer.
//! - `secret` is required: base32, any case, with or without padding, spaces allowed; at least 80 bits.
//! - `algorithm` (SHA1, SHA256, SHA512; default SHA1), `digits` (6-8; default 6), `period` (TOTP, default 30),
//!   `counter` (required for HOTP), `serial` (optional, as privacyIDEA writes it). Unknown parameters (`image`,
//!   `lock`, …) are ignored. A parameter we understand may appear only once.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::otp::{Algorithm, Digits, Params, Period};
use crate::seed::Seed;

/// Longest URI we read; real ones are under 300 characters.
pub const MAX_URI_LEN: usize = 4096;

/// Longest issuer we read, in UTF-8 bytes (a bank's name: `しんきん銀行` is 18).
pub const MAX_ISSUER_BYTES: usize = 128;
/// Longest account we read, in UTF-8 bytes (a contract ID, or an e-mail address).
pub const MAX_ACCOUNT_BYTES: usize = 256;
/// Longest serial we read, in UTF-8 bytes.
pub const MAX_SERIAL_BYTES: usize = 64;

// With these limits every URI that parses is written by `to_uri` in at most 3 × (2 × 128 + 256 + 64) bytes of
// percent-encoded names, a 1,024-byte secret's 1,640 base32 characters and about 120 bytes more: under
// `MAX_URI_LEN`, so that what softtoken writes it reads again (found by fuzzing: a 1,200-byte URI with a long
// non-ASCII issuer was written out longer than 4,096).
const _: () =
    assert!(3 * (2 * MAX_ISSUER_BYTES + MAX_ACCOUNT_BYTES + MAX_SERIAL_BYTES) + 1640 + 200 < MAX_URI_LEN);

/// Characters left as they are in labels and parameter values; everything else is percent-encoded (spaces as %20).
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// TOTP or HOTP, with the moving factor's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OtpKind {
    /// Time-based.
    Totp {
        /// Step length.
        period: Period,
    },
    /// Counter-based.
    Hotp {
        /// The next counter value to use.
        counter: u64,
    },
}

impl Default for OtpKind {
    fn default() -> Self {
        OtpKind::Totp {
            period: Period::THIRTY,
        }
    }
}

/// Everything an `otpauth://` URI says about a token.
#[derive(Debug)]
pub struct OtpAuthUri {
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// The bank or service, e.g. `しんきん銀行`.
    pub issuer: Option<String>,
    /// The account, e.g. the contract ID or an e-mail address. May be empty.
    pub account: String,
    /// The shared secret.
    pub seed: Seed,
    /// Algorithm and digits.
    pub params: Params,
    /// The issuer's serial number for the token, if it gave one.
    pub serial: Option<String>,
}

impl OtpAuthUri {
    /// Reads an `otpauth://` URI.
    ///
    /// # Errors
    /// [`Error::BadUri`] for anything structural, [`Error::BadBase32`] / [`Error::SecretTooShort`] for the secret,
    /// [`Error::BadAlgorithm`], [`Error::BadDigits`], [`Error::BadPeriod`] for the parameters.
    pub fn parse(input: &str) -> Result<OtpAuthUri> {
        let input = input.trim();
        if input.len() > MAX_URI_LEN {
            return Err(Error::bad_uri(format!(
                "it is longer than {MAX_URI_LEN} characters"
            )));
        }
        let rest = strip_prefix_ci(input, "otpauth://")
            .ok_or_else(|| Error::bad_uri("it must start with otpauth://"))?;
        // The type ends at the first '/' (a label follows) or '?' (`otpauth://totp?secret=…`: no label at all); a
        // '/' later in the query, e.g. in an `image` URL, is not a label separator.
        let (kind_str, rest) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let is_totp = match kind_str.to_ascii_lowercase().as_str() {
            "totp" => true,
            "hotp" => false,
            "" => {
                return Err(Error::bad_uri(
                    "the type is missing: use otpauth://totp/… or otpauth://hotp/…",
                ))
            }
            _ => return Err(Error::bad_uri("the type must be totp or hotp")),
        };
        let (label_raw, query) = rest.split_once('?').unwrap_or((rest, ""));
        let label_raw = label_raw.split('#').next().unwrap_or_default();
        let query = query.split('#').next().unwrap_or_default();

        let decode = |part: &str| {
            percent_decode_str(part)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(|_| Error::bad_uri("the label is not valid UTF-8 after percent-decoding"))
        };
        // Split at a literal ':' before decoding, so that a '%3A' inside the issuer stays in the issuer; without
        // one, at the first '%3A'.
        let (label_issuer, account) = match label_raw.split_once(':') {
            Some((i, a)) => (Some(decode(i)?), decode(a)?),
            None => {
                let label = decode(label_raw)?;
                match label.split_once(':') {
                    Some((i, a)) => (Some(i.to_string()), a.to_string()),
                    None => (None, label),
                }
            }
        };
        let label_issuer = label_issuer
            .map(|i| i.trim().to_string())
            .filter(|s| !s.is_empty());
        let account = account.trim().to_string();

        let mut secret = None;
        let mut issuer_param = None;
        let mut algorithm = None;
        let mut digits = None;
        let mut period = None;
        let mut counter = None;
        let mut serial = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.to_ascii_lowercase().as_str() {
                "secret" => &mut secret,
                "issuer" => &mut issuer_param,
                "algorithm" => &mut algorithm,
                "digits" => &mut digits,
                "period" => &mut period,
                "counter" => &mut counter,
                "serial" => &mut serial,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Error::bad_uri(format!(
                    "the parameter '{key}' appears more than once"
                )));
            }
            *slot = Some(Zeroizing::new(value.into_owned()));
        }

        let secret = secret.ok_or_else(|| Error::bad_uri("the secret parameter is missing"))?;
        let seed = Seed::from_base32(&secret)?;
        let algorithm = match algorithm {
            Some(a) => a.parse::<Algorithm>()?,
            None => Algorithm::Sha1,
        };
        let digits = match digits {
            Some(d) => Digits::new(parse_number(&d, "digits")?.try_into().unwrap_or(u32::MAX))?,
            None => Digits::SIX,
        };
        let kind = if is_totp {
            OtpKind::Totp {
                period: match period {
                    Some(p) => Period::new(parse_number(&p, "period")?)?,
                    None => Period::THIRTY,
                },
            }
        } else {
            let c = counter.ok_or_else(|| Error::bad_uri("an hotp URI needs a counter parameter"))?;
            OtpKind::Hotp {
                counter: parse_number(&c, "counter")?,
            }
        };
        let issuer_param = issuer_param
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let issuer = issuer_param.or(label_issuer);
        let serial = serial.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        for (what, value, max) in [
            ("issuer", issuer.as_deref().unwrap_or(""), MAX_ISSUER_BYTES),
            ("account", account.as_str(), MAX_ACCOUNT_BYTES),
            ("serial", serial.as_deref().unwrap_or(""), MAX_SERIAL_BYTES),
        ] {
            if value.len() > max {
                return Err(Error::bad_uri(format!(
                    "the {what} is {} bytes long, more than {max}",
                    value.len()
                )));
            }
        }
        Ok(OtpAuthUri {
            kind,
            issuer,
            account,
            seed,
            params: Params { algorithm, digits },
            serial,
        })
    }

    /// Writes the canonical URI: label `issuer:account` (each percent-encoded, spaces as `%20`), then `secret`,
    /// `issuer`, `algorithm`, `digits`, `period` or `counter`, and `serial`. It contains the secret, so it is
    /// returned in a buffer that is zeroized on drop.
    #[must_use]
    pub fn to_uri(&self) -> Zeroizing<String> {
        let enc = |s: &str| utf8_percent_encode(s, KEEP).to_string();
        let (kind, moving) = match self.kind {
            OtpKind::Totp { period } => ("totp", format!("period={}", period.seconds())),
            OtpKind::Hotp { counter } => ("hotp", format!("counter={counter}")),
        };
        let mut out = Zeroizing::new(String::with_capacity(160));
        out.push_str("otpauth://");
        out.push_str(kind);
        out.push('/');
        if let Some(issuer) = &self.issuer {
            out.push_str(&enc(issuer));
            out.push(':');
        } else if self.account.contains(':') {
            // An empty issuer prefix, so that the account's own (encoded) colon is not read as the separator.
            out.push(':');
        }
        out.push_str(&enc(&self.account));
        out.push_str("?secret=");
        out.push_str(&self.seed.to_base32());
        if let Some(issuer) = &self.issuer {
            out.push_str("&issuer=");
            out.push_str(&enc(issuer));
        }
        out.push_str("&algorithm=");
        out.push_str(self.params.algorithm.as_str());
        out.push_str(&format!("&digits={}&{moving}", self.params.digits.get()));
        if let Some(serial) = &self.serial {
            out.push_str("&serial=");
            out.push_str(&enc(serial));
        }
        out
    }
}

impl fmt::Display for OtpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtpKind::Totp { .. } => f.write_str("totp"),
            OtpKind::Hotp { .. } => f.write_str("hotp"),
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn parse_number(value: &str, name: &str) -> Result<u64> {
    value.trim().parse::<u64>().map_err(|_| {
        Error::bad_uri(format!(
            "the {name} parameter must be a whole number, not '{}'",
            value.chars().take(20).collect::<String>()
        ))
    })
}
