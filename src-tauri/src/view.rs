//! What the webview is shown: token metadata and codes, made from core types by pure functions of their inputs
//! (time is a parameter). Nothing here can carry a seed: the types hold strings and numbers made from `TokenInfo`
//! and `Code` only.

use serde::Serialize;
use softtoken_core::{OtpKind, Token, TokenInfo};

/// A token as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// Internal id.
    pub id: String,
    /// The bank or service.
    pub issuer: Option<String>,
    /// The account (may be empty).
    pub account: String,
    /// Canonical serial.
    pub serial: Option<String>,
    /// Serial grouped for reading: `SKTN 1234 5678`.
    pub serial_display: Option<String>,
    /// `totp` or `hotp`.
    pub kind: &'static str,
    /// Seconds per code for TOTP.
    pub period: Option<u64>,
    /// Digits per code.
    pub digits: u32,
    /// HMAC hash name.
    pub algorithm: &'static str,
    /// When it was added, Unix seconds.
    pub created: u64,
}

impl From<&TokenInfo> for TokenView {
    fn from(i: &TokenInfo) -> TokenView {
        let (kind, period) = match i.kind {
            OtpKind::Totp { period } => ("totp", Some(period.seconds())),
            OtpKind::Hotp { .. } => ("hotp", None),
        };
        TokenView {
            id: i.id.clone(),
            issuer: i.issuer.clone(),
            account: i.account.clone(),
            serial: i.serial.clone(),
            serial_display: i.serial_display(),
            kind,
            period,
            digits: i.digits.get(),
            algorithm: i.algorithm.as_str(),
            created: i.created,
        }
    }
}

/// One token's codes at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeView {
    /// Internal id.
    pub id: String,
    /// The current code (TOTP); `None` for HOTP.
    pub code: Option<String>,
    /// The current code grouped: `123 456`.
    pub code_grouped: Option<String>,
    /// The next step's code.
    pub next_code: Option<String>,
    /// The next step's code grouped.
    pub next_code_grouped: Option<String>,
    /// The previous step's code, in tester mode only.
    pub prev_code: Option<String>,
    /// Seconds per step.
    pub period: Option<u64>,
    /// When the current step ends, Unix milliseconds on the app's clock.
    pub valid_until_ms: Option<u64>,
}

/// All codes at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Codes {
    /// The app's clock, Unix milliseconds (tester shift included).
    pub now_ms: u64,
    /// One entry per token, in list order.
    pub codes: Vec<CodeView>,
}

/// The codes of `token` at `now_ms` (Unix milliseconds on the app's clock); the previous code only if `tester`.
#[must_use]
pub fn code_view(token: &Token, now_ms: u64, tester: bool) -> CodeView {
    let id = token.info.id.clone();
    let Some(totp) = token.totp() else {
        return CodeView {
            id,
            code: None,
            code_grouped: None,
            next_code: None,
            next_code_grouped: None,
            prev_code: None,
            period: None,
            valid_until_ms: None,
        };
    };
    let period = totp.period().seconds();
    let step = totp.step_at(now_ms / 1000);
    let code = totp.code_for_step(step);
    let next = totp.code_for_step(step.saturating_add(1));
    let prev = (tester && step > 0).then(|| totp.code_for_step(step - 1).as_str().to_string());
    CodeView {
        id,
        code_grouped: Some(code.grouped()),
        code: Some(code.as_str().to_string()),
        next_code_grouped: Some(next.grouped()),
        next_code: Some(next.as_str().to_string()),
        prev_code: prev,
        period: Some(period),
        valid_until_ms: Some(step.saturating_add(1).saturating_mul(period).saturating_mul(1000)),
    }
}

/// Unix milliseconds now on the system clock moved by `shift_seconds` (tester mode), never below 0.
#[must_use]
pub fn shifted_now_ms(system_ms: u64, shift_seconds: i64) -> u64 {
    system_ms.saturating_add_signed(shift_seconds.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use softtoken_core::{NewToken, OtpAuthUri, Seed};

    use super::*;

    fn rfc_token() -> Token {
        // RFC 6238's SHA1 key, 8 digits: the Appendix B vectors.
        let uri = OtpAuthUri::parse(
            "otpauth://totp/Bank:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=Bank&serial=SKTN12345671",
        )
        .unwrap();
        let new = NewToken::from(uri);
        let info = new.info(0);
        Token::new(info, new.seed)
    }

    #[test]
    fn codes_follow_the_rfc_vectors_and_flip_at_the_boundary() {
        let t = rfc_token();
        // RFC 6238 Appendix B: T=59 → 94287082; T=1111111109 → 07081804, T=1111111111 → 14050471.
        let v = code_view(&t, 59_000, false);
        assert_eq!(v.code.as_deref(), Some("94287082"));
        assert_eq!(v.code_grouped.as_deref(), Some("9428 7082"));
        assert_eq!(v.valid_until_ms, Some(60_000));
        let before = code_view(&t, 1_111_111_109_999, false);
        assert_eq!(before.code.as_deref(), Some("07081804"));
        assert_eq!(before.valid_until_ms, Some(1_111_111_110_000));
        let after = code_view(&t, 1_111_111_110_000, true);
        assert_eq!(after.code.as_deref(), Some("14050471"));
        assert_eq!(before.next_code, after.code);
        assert_eq!(after.prev_code, before.code);
        assert_eq!(
            before.prev_code, None,
            "the previous code is for tester mode only"
        );
    }

    #[test]
    fn views_hold_no_seed() {
        let t = rfc_token();
        let json = serde_json::to_string(&(TokenView::from(&t.info), code_view(&t, 59_000, true))).unwrap();
        let seed = Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert!(!json.contains("GEZDGNBVGY3TQOJQ"));
        assert!(!json.contains("3132333435363738"));
        assert!(!json.contains(&String::from_utf8_lossy(seed.expose()).into_owned()));
        assert!(json.contains("\"serialDisplay\":\"SKTN 1234 5671\""));
    }

    #[test]
    fn shift_saturates() {
        assert_eq!(shifted_now_ms(10_000, -30), 0);
        assert_eq!(shifted_now_ms(10_000, 30), 40_000);
    }
}
