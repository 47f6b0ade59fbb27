//! One-time codes: TOTP (RFC 6238) and HOTP (RFC 4226), with time and counter always passed in.
//!
//! The HMAC and dynamic truncation are done by totp-rs; these types own the parameters, their validation and the
//! verification window. HOTP is computed by totp-rs with a 1-second step, where "time" is the counter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::seed::Seed;

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA1, what every bank token uses.
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// The name used in otpauth URIs and PSKC: `SHA1`, `SHA256`, `SHA512`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Accepts `SHA1`, `sha-256`, `HmacSHA512` and similar spellings.
    fn from_str(s: &str) -> Result<Self> {
        let norm: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase();
        match norm.strip_prefix("HMAC").unwrap_or(&norm) {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(Error::BadAlgorithm {
                name: s.chars().take(32).collect(),
            }),
        }
    }
}

/// Number of digits of a code: 6, 7 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Digits(u8);

impl Digits {
    /// Six digits, what the shinkin banks' tokens show.
    pub const SIX: Digits = Digits(6);

    /// # Errors
    /// [`Error::BadDigits`] outside 6..=8.
    pub fn new(n: u32) -> Result<Self> {
        match n {
            6..=8 => Ok(Digits(n as u8)),
            _ => Err(Error::BadDigits { digits: n }),
        }
    }

    /// The number of digits.
    #[must_use]
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

impl TryFrom<u32> for Digits {
    type Error = Error;
    fn try_from(n: u32) -> Result<Self> {
        Digits::new(n)
    }
}

impl From<Digits> for u32 {
    fn from(d: Digits) -> u32 {
        d.get()
    }
}

/// Length of a TOTP time step in seconds: 1 to 86 400 (30 is the RFC 6238 default and the banks' value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Period(u32);

impl Period {
    /// Thirty seconds.
    pub const THIRTY: Period = Period(30);

    /// # Errors
    /// [`Error::BadPeriod`] outside 1..=86400.
    pub fn new(seconds: u64) -> Result<Self> {
        match seconds {
            1..=86_400 => Ok(Period(seconds as u32)),
            _ => Err(Error::BadPeriod { period: seconds }),
        }
    }

    /// Seconds per step.
    #[must_use]
    pub fn seconds(self) -> u64 {
        u64::from(self.0)
    }
}

impl Default for Period {
    fn default() -> Self {
        Period::THIRTY
    }
}

impl TryFrom<u64> for Period {
    type Error = Error;
    fn try_from(n: u64) -> Result<Self> {
        Period::new(n)
    }
}

impl From<Period> for u64 {
    fn from(p: Period) -> u64 {
        p.seconds()
    }
}

/// A one-time code, as digits. Codes are shown to the customer, so they are not treated as secrets, but they are
/// never logged either.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// The digits, e.g. `"012345"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits grouped for reading aloud or copying by eye: `123 456`, `1234 5678`, `123 4567`.
    #[must_use]
    pub fn grouped(&self) -> String {
        let split = self.0.len() / 2;
        format!("{} {}", &self.0[..split], &self.0[split..])
    }

    /// Normalises a typed code: ASCII and full-width digits, spaces and hyphens allowed.
    ///
    /// # Errors
    /// [`Error::BadCodeFormat`] if, after removing separators, it is not exactly `digits` digits.
    pub fn parse(input: &str, digits: Digits) -> Result<Code> {
        let mut out = String::with_capacity(8);
        for ch in input.chars() {
            match ch {
                '0'..='9' => out.push(ch),
                '０'..='９' => out.push(char::from(b'0' + (u32::from(ch) - u32::from('０')) as u8)),
                ' ' | '\u{3000}' | '-' | '\u{2010}' | '\u{2212}' | '\u{FF0D}' => {}
                _ => return Err(Error::BadCodeFormat { digits: digits.get() }),
            }
        }
        if out.len() != digits.get() as usize {
            return Err(Error::BadCodeFormat { digits: digits.get() });
        }
        Ok(Code(out))
    }

    /// Constant-time comparison.
    #[must_use]
    pub fn ct_eq(&self, other: &Code) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(..)")
    }
}

/// The parameters shared by TOTP and HOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Params {
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: Digits,
}

/// A code generator bound to one seed and one set of parameters. Building it once and calling it many times is
/// the fast path (the CLI's `--count` and the server's validator do that).
pub struct Generator {
    inner: totp_rs::Totp,
    digits: Digits,
}

impl Generator {
    /// A generator for `seed`: TOTP time steps and HOTP counters are both its moving factor.
    #[must_use]
    pub fn new(seed: &Seed, params: Params) -> Generator {
        // Parameters were validated by our own types; totp-rs's RFC checks (128-bit minimum) are stricter than
        // the 80 bits real tokens use, so the non-checking constructor is the right one here. With a 1-second
        // step totp-rs's "time" is the moving factor itself, so TOTP steps and HOTP counters pass straight in.
        let inner = totp_rs::Builder::new()
            .with_algorithm(params.algorithm.to_totp_rs())
            .with_digits(params.digits.0)
            .with_step_duration(1)
            .with_secret(totp_rs::Secret::new(seed.expose().to_vec().into_boxed_slice()))
            .build_noncompliant();
        Generator {
            inner,
            digits: params.digits,
        }
    }

    /// The code for a counter value (HOTP) or a time-step number (TOTP).
    #[must_use]
    pub fn code_for_counter(&self, counter: u64) -> Code {
        Code(self.inner.generate(counter).to_string())
    }

    /// Writes the code for `counter` into `out` without allocating.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_code(&self, counter: u64, out: &mut impl std::io::Write) -> std::io::Result<()> {
        write!(out, "{}", self.inner.generate(counter))
    }

    /// Writes the codes of `count` successive counters from `first`, one per line, in order. Large ranges are
    /// split into chunks computed on up to `threads` threads and written in order, so the output is exactly
    /// what a simple loop would print. Used by `softtoken code --count`.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_range(
        &self,
        first: u64,
        count: u64,
        threads: usize,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        use std::io::Write as _;
        const CHUNK: u64 = 1 << 15;
        let line = u64::from(self.digits.get()) + 1;
        let fill = |from: u64, n: u64| -> Vec<u8> {
            let mut buf = Vec::with_capacity((n * line) as usize);
            for c in from..from.saturating_add(n) {
                // Writing into a Vec cannot fail.
                let _ = write!(buf, "{}", self.inner.generate(c));
                buf.push(b'\n');
            }
            buf
        };
        let threads = threads.clamp(1, 64) as u64;
        if threads == 1 || count <= CHUNK {
            return out.write_all(&fill(first, count));
        }
        let mut next = first;
        let end = first.saturating_add(count);
        while next < end {
            let round: Vec<(u64, u64)> = (0..threads)
                .map(|i| next.saturating_add(i * CHUNK))
                .filter(|&from| from < end)
                .map(|from| (from, CHUNK.min(end - from)))
                .collect();
            let bufs: Vec<Vec<u8>> = std::thread::scope(|s| {
                let handles: Vec<_> = round
                    .iter()
                    .map(|&(from, n)| s.spawn(move || fill(from, n)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .map_err(|_| std::io::Error::other("a code-generating thread failed"))
                    })
                    .collect::<std::io::Result<_>>()
            })?;
            for b in &bufs {
                out.write_all(b)?;
            }
            next = round.last().map_or(end, |&(from, n)| from + n);
        }
        Ok(())
    }
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

/// Time-based one-time password (RFC 6238) with T0 = 0.
#[derive(Debug)]
pub struct Totp {
    gen: Generator,
    period: Period,
    params: Params,
}

impl Totp {
    /// A TOTP generator for `seed`.
    #[must_use]
    pub fn new(seed: &Seed, params: Params, period: Period) -> Totp {
        Totp {
            gen: Generator::new(seed, params),
            period,
            params,
        }
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> Params {
        self.params
    }

    /// The step length.
    #[must_use]
    pub fn period(&self) -> Period {
        self.period
    }

    /// The time-step number `T = floor(t / period)` at Unix time `t`.
    #[must_use]
    pub fn step_at(&self, unix_seconds: u64) -> u64 {
        unix_seconds / self.period.seconds()
    }

    /// The code shown at Unix time `t`.
    #[must_use]
    pub fn code_at(&self, unix_seconds: u64) -> Code {
        self.gen.code_for_counter(self.step_at(unix_seconds))
    }

    /// The code of time step `step`.
    #[must_use]
    pub fn code_for_step(&self, step: u64) -> Code {
        self.gen.code_for_counter(step)
    }

    /// Seconds until the code shown at `t` changes (1..=period).
    #[must_use]
    pub fn seconds_left(&self, unix_seconds: u64) -> u64 {
        self.period.seconds() - unix_seconds % self.period.seconds()
    }

    /// The underlying generator, for tight loops over steps.
    #[must_use]
    pub fn generator(&self) -> &Generator {
        &self.gen
    }

    /// Checks `code` against the steps `step_at(t) - window ..= step_at(t) + window` and returns the step that
    /// matched, so that a verifier can refuse it a second time (RFC 6238 §5.2). All candidates are compared in
    /// constant time and the whole window is always computed.
    #[must_use]
    pub fn verify(&self, code: &Code, unix_seconds: u64, window: u64) -> Option<u64> {
        let now = self.step_at(unix_seconds);
        find_match(
            &self.gen,
            code,
            now.saturating_sub(window),
            now.saturating_add(window),
        )
    }
}

/// Counter-based one-time password (RFC 4226).
#[derive(Debug)]
pub struct Hotp {
    gen: Generator,
}

impl Hotp {
    /// An HOTP generator for `seed`.
    #[must_use]
    pub fn new(seed: &Seed, params: Params) -> Hotp {
        Hotp {
            gen: Generator::new(seed, params),
        }
    }

    /// The code for `counter`.
    #[must_use]
    pub fn code(&self, counter: u64) -> Code {
        self.gen.code_for_counter(counter)
    }

    /// Checks `code` against counters `counter ..= counter + look_ahead`; returns the matching counter (the
    /// verifier's next expected counter is that plus one).
    #[must_use]
    pub fn verify(&self, code: &Code, counter: u64, look_ahead: u64) -> Option<u64> {
        find_match(&self.gen, code, counter, counter.saturating_add(look_ahead))
    }
}

fn find_match(gen: &Generator, code: &Code, from: u64, to: u64) -> Option<u64> {
    let mut found = None;
    for c in from..=to {
        if gen.code_for_counter(c).ct_eq(code) && found.is_none() {
            found = Some(c);
        }
    }
    found
}

/// Converts a signed Unix time (as typed on a command line) to the unsigned seconds codes are computed from.
///
/// # Errors
/// [`Error::BadTime`] for times before 1970.
pub fn unix_seconds(t: i64) -> Result<u64> {
    u64::try_from(t).map_err(|_| Error::BadTime {
        seconds: i128::from(t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_seed() -> Seed {
        Seed::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn algorithm_spellings() {
        for (s, a) in [
            ("sha1", Algorithm::Sha1),
            ("SHA-256", Algorithm::Sha256),
            ("HmacSHA512", Algorithm::Sha512),
        ] {
            assert_eq!(s.parse::<Algorithm>().unwrap(), a);
        }
        assert_eq!("MD5".parse::<Algorithm>().unwrap_err().code(), "bad_algorithm");
    }

    #[test]
    fn grouping() {
        let totp = Totp::new(&rfc_seed(), Params::default(), Period::THIRTY);
        let c = totp.code_at(59);
        assert_eq!(c.as_str(), "287082");
        assert_eq!(c.grouped(), "287 082");
        assert_eq!(format!("{c:?}"), "Code(..)");
    }

    #[test]
    fn seconds_left_counts_down_to_the_boundary() {
        let totp = Totp::new(&rfc_seed(), Params::default(), Period::THIRTY);
        assert_eq!(totp.seconds_left(0), 30);
        assert_eq!(totp.seconds_left(29), 1);
        assert_eq!(totp.seconds_left(30), 30);
        assert_ne!(totp.code_at(29), totp.code_at(30));
        assert_eq!(totp.code_at(30), totp.code_at(59));
    }

    #[test]
    fn verify_returns_the_matching_step() {
        let totp = Totp::new(&rfc_seed(), Params::default(), Period::THIRTY);
        let t = 1_111_111_111;
        let prev = totp.code_for_step(totp.step_at(t) - 1);
        assert_eq!(totp.verify(&prev, t, 1), Some(totp.step_at(t) - 1));
        assert_eq!(totp.verify(&prev, t, 0), None);
        let far = totp.code_for_step(totp.step_at(t) + 3);
        assert_eq!(totp.verify(&far, t, 1), None);
    }

    #[test]
    fn typed_codes_are_normalised() {
        let d = Digits::SIX;
        assert_eq!(Code::parse("１２３ ４５６", d).unwrap().as_str(), "123456");
        assert_eq!(Code::parse("123-456", d).unwrap().as_str(), "123456");
        assert!(Code::parse("12345", d).is_err());
        assert!(Code::parse("12345a", d).is_err());
    }

    #[test]
    fn parameter_bounds() {
        assert!(Digits::new(5).is_err() && Digits::new(9).is_err() && Digits::new(8).is_ok());
        assert!(Period::new(0).is_err() && Period::new(1).is_ok() && Period::new(86_401).is_err());
    }
}
