//! `Debug` output of everything that holds a seed never shows the seed: not as base32, not as bytes, not as text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use softtoken_core::{
    Algorithm, Digits, Hotp, NewToken, OtpAuthUri, OtpKind, Params, Period, Seed, Token, Totp,
};

/// A recognisable 20-byte secret: its ASCII, its base32 and its bytes are all easy to spot in output.
const RAW: &[u8; 20] = b"SUPERSECRETSEED!1234";
/// `RAW` in base32.
const B32: &str = "KNKVARKSKNCUGUSFKRJUKRKEEEYTEMZU";

/// Every way the seed could leak into formatted output.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = text.to_lowercase();
    let compact: String = lower.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let needles = [
        ("base32", B32.to_lowercase()),
        ("base32 prefix", B32[..12].to_lowercase()),
        ("ascii", "supersecret".to_string()),
        ("hex", RAW.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        (
            "hex prefix",
            RAW[..6].iter().map(|b| format!("{b:02x}")).collect::<String>(),
        ),
    ];
    for (what, needle) in &needles {
        if lower.contains(needle.as_str()) || compact.contains(needle.as_str()) {
            found.push(format!("{what} ({needle})"));
        }
    }
    // `[u8]`'s own Debug: "[83, 85, 80, 69, ...]", with or without pretty-printing.
    let numbers: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let bytes: Vec<String> = RAW.iter().map(u8::to_string).collect();
    if numbers
        .windows(4)
        .any(|w| w.iter().zip(&bytes[..4]).all(|(a, b)| a == b))
    {
        found.push("decimal bytes".into());
    }
    found
}

fn assert_no_leak(what: &str, value: &impl std::fmt::Debug) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        let found = leaks(&text);
        assert!(
            found.is_empty(),
            "Debug of {what} shows the seed as {found:?}:\n{text}"
        );
    }
}

fn seed() -> Seed {
    Seed::from_bytes(RAW).unwrap()
}

#[test]
fn the_detector_finds_the_secret() {
    // The checks below are only worth something if `leaks` would catch a real leak.
    assert!(!leaks(B32).is_empty());
    assert!(!leaks(&B32.to_lowercase()).is_empty());
    assert!(!leaks(&format!("{RAW:?}")).is_empty());
    assert!(!leaks(&format!("{:#?}", RAW.to_vec())).is_empty());
    assert!(!leaks(&String::from_utf8_lossy(RAW)).is_empty());
    assert!(!leaks("5355504552534543524554").is_empty());
    assert!(leaks("Seed([redacted; 20 bytes])").is_empty());
    assert_eq!(seed().to_base32().as_str(), B32);
}

#[test]
fn seed_debug_is_redacted() {
    let s = seed();
    assert_eq!(format!("{s:?}"), "Seed([redacted; 20 bytes])");
    assert_no_leak("Seed", &s);
    assert_no_leak(
        "Seed from base32",
        &Seed::from_base32(&B32.to_lowercase()).unwrap(),
    );
    assert_no_leak("duplicated Seed", &s.duplicate());
}

fn parsed_uri() -> OtpAuthUri {
    OtpAuthUri::parse(&format!(
        "otpauth://totp/Shinkin:taro?secret={B32}&issuer=Shinkin&algorithm=SHA256&digits=8&period=60&serial=SKTN12345671"
    ))
    .unwrap()
}

#[test]
fn otpauth_uri_debug_is_redacted() {
    let u = parsed_uri();
    assert_no_leak("OtpAuthUri", &u);
    // ... while the URI text itself of course carries the secret (a positive control for the detector).
    assert!(!leaks(&u.to_uri()).is_empty());

    let hotp = OtpAuthUri::parse(&format!(
        "otpauth://hotp/taro?secret={}&counter=3",
        B32.to_lowercase()
    ))
    .unwrap();
    assert_no_leak("HOTP OtpAuthUri", &hotp);
}

#[test]
fn new_token_and_token_debug_are_redacted() {
    let new = NewToken::from(parsed_uri());
    assert_no_leak("NewToken", &new);
    let info = new.info(1_700_000_000);
    assert_no_leak("TokenInfo", &info);

    let token = Token::new(info, seed());
    assert_no_leak("Token", &token);
    assert!(
        !leaks(&token.to_uri().unwrap()).is_empty(),
        "Token::to_uri should carry the secret"
    );

    let built = NewToken {
        issuer: Some("しんきん銀行".into()),
        account: "0123456789".into(),
        serial: None,
        kind: OtpKind::Hotp { counter: 0 },
        params: Params::default(),
        seed: seed(),
    };
    assert_no_leak("hand-built NewToken", &built);
}

#[test]
fn generators_debug_are_redacted() {
    let params = Params {
        algorithm: Algorithm::Sha512,
        digits: Digits::new(8).unwrap(),
    };
    let totp = Totp::new(&seed(), params, Period::THIRTY);
    assert_no_leak("Totp", &totp);
    assert_no_leak("Generator", totp.generator());
    assert_no_leak("Hotp", &Hotp::new(&seed(), params));
    assert_no_leak("Code", &totp.code_at(59));
}

#[test]
fn errors_do_not_carry_the_secret() {
    // A seed with one character too many, one with a digit base32 does not use, and URIs with a valid seed and a
    // bad parameter.
    for err in [
        Seed::from_base32(&format!("{B32}A")).unwrap_err(),
        Seed::from_base32(&format!("{}1", &B32[..B32.len() - 1])).unwrap_err(),
        OtpAuthUri::parse(&format!("otpauth://totp/x?secret={B32}&digits=9")).unwrap_err(),
        OtpAuthUri::parse(&format!("otpauth://totp/x?secret={B32}&secret={B32}")).unwrap_err(),
    ] {
        assert_no_leak(err.code(), &err);
        let found = leaks(&err.to_string());
        assert!(
            found.is_empty(),
            "{} message shows the seed as {found:?}: {err}",
            err.code()
        );
    }
}
