//! softtoken-core: the token model, one-time codes, serial numbers, otpauth URIs, QR codes and token storage that
//! the softtoken app, CLI and server share.
//!
//! Everything here is a function of its inputs: time is always a parameter (`code_at(t)`). The one clock reading,
//! [`now()`], is for the shells to pass in; no other function of the core reads the clock. Seeds live in [`Seed`] (a zeroizing `SecretBox` whose `Debug` prints only its length) and never appear in
//! an error message.
//!
//! ```
//! use softtoken_core::{OtpAuthUri, Totp};
//! let uri = OtpAuthUri::parse("otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
//! let totp = Totp::new(&uri.seed, uri.params, softtoken_core::Period::THIRTY);
//! assert_eq!(totp.code_at(59).as_str(), "287082");
//! assert_eq!(totp.seconds_left(59), 1);
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod otp;
pub mod provisioning;
pub mod pskc;
pub mod qr;
pub mod sealed;
pub mod seed;
pub mod serial;
pub mod store;
pub mod token;
pub mod uri;
pub mod validation;
pub mod vault;

pub use error::{Error, Result};
pub use otp::{Algorithm, Code, Digits, Hotp, Params, Period, Totp};
pub use seed::Seed;
pub use serial::Serial;
pub use store::TokenStore;
pub use token::{NewToken, Token, TokenInfo};
pub use uri::{OtpAuthUri, OtpKind};

/// The current Unix time in seconds, for the shells (app, CLI, server) to pass into the pure functions.
/// Returns 0 if the clock is before 1970.
#[must_use]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
