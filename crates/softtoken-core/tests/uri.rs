//! `otpauth://` URI parsing and writing: the rules in the module doc of `src/uri.rs`, as tables of accepted and
//! refused URIs, and round trips (`parse(to_uri(x)) == x`), including a property test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use softtoken_core::uri::MAX_URI_LEN;
use softtoken_core::{Algorithm, Digits, OtpAuthUri, OtpKind, Params, Period, Seed};

/// TOTP with its period or HOTP with its counter, as plain numbers so the tables can be constants.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Totp(u64),
    Hotp(u64),
}

impl Kind {
    fn get(self) -> OtpKind {
        match self {
            Kind::Totp(p) => OtpKind::Totp {
                period: Period::new(p).unwrap(),
            },
            Kind::Hotp(c) => OtpKind::Hotp { counter: c },
        }
    }
}

/// An accepted URI and what it must parse to.
#[derive(Debug, Clone, Copy)]
struct Good {
    uri: &'static str,
    kind: Kind,
    issuer: Option<&'static str>,
    account: &'static str,
    /// The secret in canonical base32 (upper case, no padding).
    secret: &'static str,
    algorithm: Algorithm,
    digits: u32,
    serial: Option<&'static str>,
}

/// The defaults that most rows share: Google's example token.
const G: Good = Good {
    uri: "",
    kind: Kind::Totp(30),
    issuer: Some("Example"),
    account: "alice@google.com",
    secret: "JBSWY3DPEHPK3PXP",
    algorithm: Algorithm::Sha1,
    digits: 6,
    serial: None,
};

/// "12345678901234567890", the RFC 4226 seed.
const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

const GOOD: &[Good] = &[
    // Google's "Key Uri Format" example.
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", ..G },
    // The label's colon written %3A, with and without a space after it (spaces after the colon are dropped).
    Good { uri: "otpauth://totp/Example%3Aalice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", ..G },
    Good { uri: "otpauth://totp/Example%3A%20alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", ..G },
    Good { uri: "otpauth://totp/Example:%20%20alice@google.com?secret=JBSWY3DPEHPK3PXP", ..G },
    // The label prefix alone gives the issuer.
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP", ..G },
    // Only the issuer parameter, account-only label.
    Good { uri: "otpauth://totp/alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", ..G },
    // No issuer anywhere.
    Good { uri: "otpauth://totp/alice@google.com?secret=JBSWY3DPEHPK3PXP", issuer: None, ..G },
    // Spaces in the issuer parameter: %20 and + (form encoding) are both spaces there.
    Good {
        uri: "otpauth://totp/ACME%20Co:john@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co",
        issuer: Some("ACME Co"),
        account: "john@example.com",
        ..G
    },
    Good {
        uri: "otpauth://totp/ACME%20Co:john@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME+Co",
        issuer: Some("ACME Co"),
        account: "john@example.com",
        ..G
    },
    // `+` in the label is a literal plus (RFC 3986 path), `%2B` too.
    Good {
        uri: "otpauth://totp/Bank:alice+bank@example.jp?secret=JBSWY3DPEHPK3PXP&issuer=Bank",
        issuer: Some("Bank"),
        account: "alice+bank@example.jp",
        ..G
    },
    Good {
        uri: "otpauth://totp/alice%2Bbank@example.jp?secret=JBSWY3DPEHPK3PXP",
        issuer: None,
        account: "alice+bank@example.jp",
        ..G
    },
    // ...but `+` in the issuer parameter is a space, and %2B is the plus.
    Good {
        uri: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=A%2BB+C",
        issuer: Some("A+B C"),
        account: "x",
        ..G
    },
    // A Japanese issuer, percent-encoded UTF-8, in the label and the parameter.
    Good {
        uri: "otpauth://totp/%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C:0123456789?secret=JBSWY3DPEHPK3PXP&issuer=%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C",
        issuer: Some("しんきん銀行"),
        account: "0123456789",
        ..G
    },
    // The same, typed raw (some generators do not encode).
    Good {
        uri: "otpauth://totp/しんきん銀行:山田 太郎?secret=JBSWY3DPEHPK3PXP&issuer=しんきん銀行",
        issuer: Some("しんきん銀行"),
        account: "山田 太郎",
        ..G
    },
    // Only the parameter is Japanese.
    Good {
        uri: "otpauth://totp/taro?secret=JBSWY3DPEHPK3PXP&issuer=%E6%9D%B1%E4%BA%AC%E3%81%97%E3%82%93%E3%81%8D%E3%82%93",
        issuer: Some("東京しんきん"),
        account: "taro",
        ..G
    },
    // Lowercase, padded (=, %3D), spaced (%20, +) secrets.
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=jbswy3dpehpk3pxp", ..G },
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=JbSwY3dPeHpK3pXp", ..G },
    Good {
        uri: "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY======",
        issuer: None,
        account: "x",
        secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY",
        ..G
    },
    Good {
        uri: "otpauth://totp/x?secret=gezdgnbvgy3tqojqgezdgnbvgy%3D%3D%3D%3D%3D%3D",
        issuer: None,
        account: "x",
        secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY",
        ..G
    },
    Good {
        uri: "otpauth://totp/x?secret=GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV%20GY3T%20QOJQ",
        issuer: None,
        account: "x",
        secret: RFC_B32,
        ..G
    },
    Good {
        uri: "otpauth://totp/x?secret=gezd+gnbv+gy3t+qojq+gezd+gnbv+gy3t+qojq",
        issuer: None,
        account: "x",
        secret: RFC_B32,
        ..G
    },
    // Algorithm, digits and period, in any order and case.
    Good {
        uri: "otpauth://totp/ACME:bob?period=60&digits=8&algorithm=SHA256&secret=JBSWY3DPEHPK3PXP&issuer=ACME",
        kind: Kind::Totp(60),
        issuer: Some("ACME"),
        account: "bob",
        algorithm: Algorithm::Sha256,
        digits: 8,
        ..G
    },
    Good {
        uri: "otpauth://totp/ACME:bob?secret=JBSWY3DPEHPK3PXP&algorithm=sha512&digits=7&period=15",
        kind: Kind::Totp(15),
        issuer: Some("ACME"),
        account: "bob",
        algorithm: Algorithm::Sha512,
        digits: 7,
        ..G
    },
    Good {
        uri: "otpauth://totp/ACME:bob?Secret=JBSWY3DPEHPK3PXP&ALGORITHM=SHA1&Digits=6&PERIOD=30",
        issuer: Some("ACME"),
        account: "bob",
        ..G
    },
    // HOTP with its counter (0, and a large one).
    Good {
        uri: "otpauth://hotp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Shinkin&counter=0",
        kind: Kind::Hotp(0),
        issuer: Some("Shinkin"),
        account: "taro",
        secret: RFC_B32,
        ..G
    },
    Good {
        uri: "otpauth://hotp/taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=18446744073709551615&digits=8",
        kind: Kind::Hotp(u64::MAX),
        issuer: None,
        account: "taro",
        secret: RFC_B32,
        digits: 8,
        ..G
    },
    // A period on an HOTP URI is ignored.
    Good {
        uri: "otpauth://hotp/taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7&period=60",
        kind: Kind::Hotp(7),
        issuer: None,
        account: "taro",
        secret: RFC_B32,
        ..G
    },
    // Scheme and type are case-insensitive.
    Good { uri: "OTPAUTH://TOTP/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", ..G },
    Good { uri: "OtpAuth://Totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP", ..G },
    Good {
        uri: "OTPAUTH://HOTP/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&counter=5",
        kind: Kind::Hotp(5),
        ..G
    },
    // privacyIDEA's serial parameter.
    Good {
        uri: "otpauth://totp/TOTP0001A2B3?secret=JBSWY3DPEHPK3PXP&issuer=privacyIDEA&serial=TOTP0001A2B3",
        issuer: Some("privacyIDEA"),
        account: "TOTP0001A2B3",
        serial: Some("TOTP0001A2B3"),
        ..G
    },
    Good {
        uri: "otpauth://totp/Shinkin:taro?secret=JBSWY3DPEHPK3PXP&serial=SKTN%201234%205671",
        issuer: Some("Shinkin"),
        account: "taro",
        serial: Some("SKTN 1234 5671"),
        ..G
    },
    // Issuer rule: the parameter wins over a different label prefix, which is dropped.
    Good {
        uri: "otpauth://totp/OldName:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        ..G
    },
    Good {
        uri: "otpauth://totp/%E6%97%A7%E5%90%8D:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        ..G
    },
    // An empty issuer parameter does not hide the label prefix.
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=", ..G },
    // No label at all, or an empty one.
    Good {
        uri: "otpauth://totp?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        account: "",
        ..G
    },
    Good { uri: "otpauth://totp?secret=JBSWY3DPEHPK3PXP", issuer: None, account: "", ..G },
    Good { uri: "otpauth://totp/?secret=JBSWY3DPEHPK3PXP", issuer: None, account: "", ..G },
    // A label that is only a prefix.
    Good { uri: "otpauth://totp/Example:?secret=JBSWY3DPEHPK3PXP", account: "", ..G },
    // Unknown parameters are ignored, wherever they are and whatever they hold (FreeOTP's image URL included).
    Good {
        uri: "otpauth://totp/Example:alice@google.com?image=https%3A%2F%2Fexample.com%2Flogo.png&secret=JBSWY3DPEHPK3PXP&lock=true&color=ff0000&issuer=Example",
        ..G
    },
    Good {
        uri: "otpauth://totp/Example:alice@google.com?image=https://example.com/logo.png&secret=JBSWY3DPEHPK3PXP&issuer=Example",
        ..G
    },
    Good {
        uri: "otpauth://totp?image=https://example.com/a/logo.png&secret=JBSWY3DPEHPK3PXP&issuer=Example",
        account: "",
        ..G
    },
    // Unknown parameters may repeat; only the ones we understand must be unique.
    Good {
        uri: "otpauth://totp/Example:alice@google.com?x=1&x=2&secret=JBSWY3DPEHPK3PXP&foo&issuer=Example",
        ..G
    },
    // A fragment is ignored, and so is whitespace around the URI.
    Good { uri: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example#frag", ..G },
    Good { uri: "  otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example\n", ..G },
];

fn check_good(g: &Good) {
    let u = OtpAuthUri::parse(g.uri).unwrap_or_else(|e| panic!("{} refused: {} ({e})", g.uri, e.code()));
    assert_eq!(u.kind, g.kind.get(), "kind of {}", g.uri);
    assert_eq!(u.issuer.as_deref(), g.issuer, "issuer of {}", g.uri);
    assert_eq!(u.account, g.account, "account of {}", g.uri);
    assert_eq!(u.seed.to_base32().as_str(), g.secret, "secret of {}", g.uri);
    assert_eq!(u.params.algorithm, g.algorithm, "algorithm of {}", g.uri);
    assert_eq!(u.params.digits.get(), g.digits, "digits of {}", g.uri);
    assert_eq!(u.serial.as_deref(), g.serial, "serial of {}", g.uri);
    // Whatever was accepted survives a canonical round trip.
    assert_same(&u, &OtpAuthUri::parse(&u.to_uri()).unwrap(), g.uri);
}

#[test]
fn accepted_uris() {
    for g in GOOD {
        check_good(g);
    }
    println!("{} accepted URIs", GOOD.len());
}

#[test]
fn google_example_codes() {
    // A parsed URI drives the generator: the RFC seed in a URI gives the RFC 6238 code.
    let u = OtpAuthUri::parse("otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8")
        .unwrap();
    let OtpKind::Totp { period } = u.kind else {
        panic!("not totp")
    };
    let totp = softtoken_core::Totp::new(&u.seed, u.params, period);
    assert_eq!(totp.code_at(59).as_str(), "94287082");
}

/// A refused URI, the error code it must give, and the secret it holds (which the message must not repeat).
struct Bad {
    name: &'static str,
    uri: String,
    code: &'static str,
    secret: &'static str,
}

fn bad(name: &'static str, uri: impl Into<String>, code: &'static str) -> Bad {
    Bad {
        name,
        uri: uri.into(),
        code,
        secret: "JBSWY3DPEHPK3PXP",
    }
}

fn bad_secret(name: &'static str, secret: &'static str, code: &'static str) -> Bad {
    Bad {
        name,
        uri: format!("otpauth://totp/Bank:taro?secret={secret}&issuer=Bank"),
        code,
        secret,
    }
}

fn bad_cases() -> Vec<Bad> {
    const S: &str = "JBSWY3DPEHPK3PXP";
    vec![
        // Not an otpauth URI.
        bad("empty", "", "bad_uri"),
        bad(
            "https",
            format!("https://example.com/totp/x?secret={S}"),
            "bad_uri",
        ),
        bad("single slash", format!("otpauth:/totp/x?secret={S}"), "bad_uri"),
        bad("no scheme", format!("totp/x?secret={S}"), "bad_uri"),
        bad(
            "otpauth-migration",
            format!("otpauth-migration://offline?data={S}"),
            "bad_uri",
        ),
        // Wrong or missing type.
        bad("motp", format!("otpauth://motp/x?secret={S}"), "bad_uri"),
        bad("totpx", format!("otpauth://totpx/x?secret={S}"), "bad_uri"),
        bad("type missing", format!("otpauth:///x?secret={S}"), "bad_uri"),
        bad(
            "type missing, no label",
            format!("otpauth://?secret={S}"),
            "bad_uri",
        ),
        bad("nothing after scheme", "otpauth://", "bad_uri"),
        // The secret.
        bad(
            "missing secret",
            "otpauth://totp/Bank:taro?issuer=Bank&digits=6",
            "bad_uri",
        ),
        bad("no query", "otpauth://totp/Bank:taro", "bad_uri"),
        bad(
            "secret in the fragment",
            format!("otpauth://totp/Bank:taro#secret={S}"),
            "bad_uri",
        ),
        bad("empty secret", "otpauth://totp/Bank:taro?secret=", "bad_base32"),
        bad(
            "padding-only secret",
            "otpauth://totp/Bank:taro?secret=%3D%3D%3D%3D",
            "bad_base32",
        ),
        bad_secret("digit 1 in base32", "JBSWY3DPEHPK3PX1", "bad_base32"),
        bad_secret("digit 0 in base32", "0BSWY3DPEHPK3PXP", "bad_base32"),
        bad_secret("digit 8 in base32", "JBSWY3DPEHPK8PXP", "bad_base32"),
        bad_secret("punctuation in base32", "JBSWY3DPEHPK3PX%21", "bad_base32"),
        bad_secret("non-ASCII in base32", "JBSWY3DPEHPK3PX%C3%89", "bad_base32"),
        bad_secret("full-width base32", "%EF%BC%AABSWY3DPEHPK3PXP", "bad_base32"),
        bad_secret("base32 length 1 mod 8", "JBSWY3DPEHPK3PXPA", "bad_base32"),
        bad_secret("base32 length 3 mod 8", "JBSWY3DPEHPK3PXPABC", "bad_base32"),
        bad_secret("base32 length 6 mod 8", "JBSWY3DPEHPK3PXPABCDEF", "bad_base32"),
        bad_secret("base32 length 9", "JBSWY3DPE", "bad_base32"),
        bad_secret("72 bits", "JBSWY3DPEHPK3PX", "secret_too_short"),
        bad_secret("40 bits", "JBSWY3DP", "secret_too_short"),
        bad_secret(
            "one character short of 80 bits",
            "JBSWY3DPEHPK3PA",
            "secret_too_short",
        ),
        bad(
            "duplicate secret",
            format!("otpauth://totp/x?secret={S}&secret={S}"),
            "bad_uri",
        ),
        bad(
            "duplicate secret, other case",
            format!("otpauth://totp/x?secret={S}&SECRET=GEZDGNBVGY3TQOJQ"),
            "bad_uri",
        ),
        bad(
            "duplicate secret, one empty",
            format!("otpauth://totp/x?secret=&secret={S}"),
            "bad_uri",
        ),
        // Parameters.
        bad(
            "digits 5",
            format!("otpauth://totp/x?secret={S}&digits=5"),
            "bad_digits",
        ),
        bad(
            "digits 9",
            format!("otpauth://totp/x?secret={S}&digits=9"),
            "bad_digits",
        ),
        bad(
            "digits 0",
            format!("otpauth://totp/x?secret={S}&digits=0"),
            "bad_digits",
        ),
        bad(
            "digits beyond u32",
            format!("otpauth://totp/x?secret={S}&digits=4294967302"),
            "bad_digits",
        ),
        bad(
            "digits abc",
            format!("otpauth://totp/x?secret={S}&digits=abc"),
            "bad_uri",
        ),
        bad(
            "digits empty",
            format!("otpauth://totp/x?secret={S}&digits="),
            "bad_uri",
        ),
        bad(
            "digits negative",
            format!("otpauth://totp/x?secret={S}&digits=-6"),
            "bad_uri",
        ),
        bad(
            "duplicate digits",
            format!("otpauth://totp/x?secret={S}&digits=6&digits=8"),
            "bad_uri",
        ),
        bad(
            "period 0",
            format!("otpauth://totp/x?secret={S}&period=0"),
            "bad_period",
        ),
        bad(
            "period over a day",
            format!("otpauth://totp/x?secret={S}&period=86401"),
            "bad_period",
        ),
        bad(
            "period 30s",
            format!("otpauth://totp/x?secret={S}&period=30s"),
            "bad_uri",
        ),
        bad(
            "period negative",
            format!("otpauth://totp/x?secret={S}&period=-30"),
            "bad_uri",
        ),
        bad(
            "algorithm MD5",
            format!("otpauth://totp/x?secret={S}&algorithm=MD5"),
            "bad_algorithm",
        ),
        bad(
            "algorithm SHA3",
            format!("otpauth://totp/x?secret={S}&algorithm=SHA3-256"),
            "bad_algorithm",
        ),
        bad(
            "algorithm empty",
            format!("otpauth://totp/x?secret={S}&algorithm="),
            "bad_algorithm",
        ),
        bad(
            "duplicate issuer",
            format!("otpauth://totp/x?secret={S}&issuer=A&issuer=B"),
            "bad_uri",
        ),
        bad(
            "hotp without counter",
            format!("otpauth://hotp/x?secret={S}"),
            "bad_uri",
        ),
        bad(
            "hotp counter abc",
            format!("otpauth://hotp/x?secret={S}&counter=abc"),
            "bad_uri",
        ),
        bad(
            "hotp counter negative",
            format!("otpauth://hotp/x?secret={S}&counter=-1"),
            "bad_uri",
        ),
        bad(
            "hotp counter beyond u64",
            format!("otpauth://hotp/x?secret={S}&counter=18446744073709551616"),
            "bad_uri",
        ),
        // Label.
        bad(
            "label not UTF-8",
            format!("otpauth://totp/%FF%FE?secret={S}"),
            "bad_uri",
        ),
        // Length.
        bad(
            "over-long URI",
            format!("otpauth://totp/x?secret={S}&image={}", "a".repeat(MAX_URI_LEN)),
            "bad_uri",
        ),
        bad(
            "over-long secret",
            format!("otpauth://totp/x?secret={}", "JBSWY3DP".repeat(MAX_URI_LEN / 8)),
            "bad_uri",
        ),
        // Short enough for a URI, but 1500 bytes: more than a seed may be.
        bad(
            "1500-byte secret",
            format!("otpauth://totp/x?secret={}", "JBSWY3DP".repeat(300)),
            "secret_too_long",
        ),
    ]
}

#[test]
fn refused_uris_give_the_right_code_and_never_the_secret() {
    let cases = bad_cases();
    for b in &cases {
        let err = match OtpAuthUri::parse(&b.uri) {
            Ok(u) => panic!("{}: accepted {:?} as {u:?}", b.name, b.uri),
            Err(e) => e,
        };
        assert_eq!(err.code(), b.code, "{}: {:?} gave {err}", b.name, b.uri);
        let msg = err.to_string();
        let dbg = format!("{err:?}");
        assert!(!msg.is_empty(), "{}: empty message", b.name);
        for shown in [&msg, &dbg] {
            let upper = shown.to_uppercase();
            // Neither the secret as written nor its decodable core (all but the last character) may appear.
            let core = &b.secret[..b.secret.len().saturating_sub(1).max(8).min(b.secret.len())];
            assert!(
                !upper.contains(&b.secret.to_uppercase()),
                "{}: message shows the secret: {shown}",
                b.name
            );
            assert!(
                !upper.contains(&core.to_uppercase()),
                "{}: message shows most of the secret: {shown}",
                b.name
            );
            assert!(
                !shown.contains("Hello!"),
                "{}: message shows the decoded secret: {shown}",
                b.name
            );
        }
    }
    println!("{} refused URIs", cases.len());
}

#[test]
fn secret_never_in_an_error_even_when_other_parameters_are_bad() {
    // A long, recognisable secret next to every kind of bad parameter.
    let secret = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPI======";
    for extra in [
        "digits=5",
        "period=0",
        "algorithm=MD5",
        "digits=x",
        "secret=AAAA",
        "issuer=a&issuer=b",
    ] {
        let err = OtpAuthUri::parse(&format!("otpauth://totp/x?secret={secret}&{extra}")).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("MFRGGZDFMZTWQ2LK"), "{extra}: {shown}");
            assert!(!shown.contains("abcdefghij"), "{extra}: {shown}");
        }
    }
}

/// Field-by-field equality (an `OtpAuthUri` has no `PartialEq`: its seed only compares in constant time).
fn assert_same(a: &OtpAuthUri, b: &OtpAuthUri, what: &str) {
    assert_eq!(a.kind, b.kind, "kind: {what}");
    assert_eq!(a.issuer, b.issuer, "issuer: {what}");
    assert_eq!(a.account, b.account, "account: {what}");
    assert_eq!(a.params, b.params, "params: {what}");
    assert_eq!(a.serial, b.serial, "serial: {what}");
    assert!(a.seed.ct_eq(&b.seed), "seed: {what}");
}

fn uri(
    issuer: Option<&str>,
    account: &str,
    serial: Option<&str>,
    kind: OtpKind,
    params: Params,
    seed: &[u8],
) -> OtpAuthUri {
    OtpAuthUri {
        kind,
        issuer: issuer.map(str::to_string),
        account: account.to_string(),
        seed: Seed::from_bytes(seed).unwrap(),
        params,
        serial: serial.map(str::to_string),
    }
}

#[test]
fn canonical_form() {
    let u = OtpAuthUri::parse(
        "otpauth://totp/Example:alice@google.com?secret=jbsw+y3dp+ehpk+3pxp&issuer=Example",
    )
    .unwrap();
    assert_eq!(
        u.to_uri().as_str(),
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
    );
    let u = uri(
        Some("しんきん 銀行"),
        "alice+bank@example.jp",
        Some("SKTN12345671"),
        OtpKind::Hotp { counter: 9 },
        Params {
            algorithm: Algorithm::Sha256,
            digits: Digits::new(8).unwrap(),
        },
        b"12345678901234567890",
    );
    assert_eq!(
        u.to_uri().as_str(),
        "otpauth://hotp/%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%20%E9%8A%80%E8%A1%8C:alice%2Bbank@example.jp\
         ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%20%E9%8A%80%E8%A1%8C\
         &algorithm=SHA256&digits=8&counter=9&serial=SKTN12345671"
    );
}

#[test]
fn awkward_labels_round_trip() {
    let p = Params::default();
    let totp = OtpKind::default();
    let seed = b"12345678901234567890";
    let cases = [
        (Some("Example"), "alice@google.com"),
        (None, "alice@google.com"),
        (None, ""),
        (Some("Bank"), ""),
        (Some("A:B"), "c"),
        (Some("A:B"), "c:d"),
        (Some("Bank"), "taro:jiro"),
        (None, "taro:jiro"),
        (None, ":"),
        (Some(":"), ":"),
        (Some("?&#%+= /"), "?&#%+= /"),
        (Some("A%3AB"), "%20"),
        (Some("しんきん銀行"), "山田 太郎"),
        (Some("alice+bank"), "alice+bank@example.jp"),
    ];
    for (issuer, account) in cases {
        for serial in [None, Some("TOTP0001A2B3"), Some("a&b=c d")] {
            let u = uri(issuer, account, serial, totp, p, seed);
            let text = u.to_uri();
            let back = OtpAuthUri::parse(&text)
                .unwrap_or_else(|e| panic!("{issuer:?} {account:?}: {} refused: {e}", text.as_str()));
            assert_same(
                &u,
                &back,
                &format!("{issuer:?} / {account:?} via {}", text.as_str()),
            );
        }
    }
}

/// Strings made mostly of the characters that are special somewhere in a URI, plus anything else.
fn awkward_string() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        ':', '&', '?', '#', '%', '+', ' ', '=', '/', '@', ';', ',', '\'', '"', '<', '>', '\\', '\u{3000}',
        'し', '銀', '行', '😀', 'é', '\u{0}', '\t',
    ]);
    prop::collection::vec(
        prop_oneof![3 => special, 2 => any::<char>(), 2 => prop::char::range('a', 'z')],
        0..24,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// What parsing makes of a label part or parameter value: surrounding whitespace is dropped and an empty issuer or
/// serial is no issuer or serial. The round trip is exact on such normalised values.
fn normalise(s: String) -> String {
    s.trim().to_string()
}

fn optional(s: Option<String>) -> Option<String> {
    s.map(normalise).filter(|s| !s.is_empty())
}

fn params_strategy() -> impl Strategy<Value = (OtpKind, Params)> {
    let kind = prop_oneof![
        (1u64..=86_400).prop_map(|p| OtpKind::Totp {
            period: Period::new(p).unwrap()
        }),
        prop::sample::select(vec![30u64, 60]).prop_map(|p| OtpKind::Totp {
            period: Period::new(p).unwrap()
        }),
        any::<u64>().prop_map(|c| OtpKind::Hotp { counter: c }),
    ];
    let algorithm = prop::sample::select(vec![Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]);
    let digits = (6u32..=8).prop_map(|d| Digits::new(d).unwrap());
    (kind, algorithm, digits).prop_map(|(k, algorithm, digits)| (k, Params { algorithm, digits }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_to_uri_is_identity(
        issuer in prop::option::of(awkward_string()),
        account in awkward_string(),
        serial in prop::option::of(awkward_string()),
        (kind, params) in params_strategy(),
        seed in prop::collection::vec(any::<u8>(), 10..=128),
    ) {
        let u = OtpAuthUri {
            kind,
            issuer: optional(issuer),
            account: normalise(account),
            seed: Seed::from_bytes(&seed).unwrap(),
            params,
            serial: optional(serial),
        };
        let text = u.to_uri();
        prop_assert!(text.len() <= MAX_URI_LEN);
        let back = OtpAuthUri::parse(&text);
        prop_assert!(back.is_ok(), "{} refused: {:?}", text.as_str(), back.err());
        let back = back.unwrap();
        prop_assert_eq!(&back.kind, &u.kind);
        prop_assert_eq!(&back.issuer, &u.issuer, "issuer via {}", text.as_str());
        prop_assert_eq!(&back.account, &u.account, "account via {}", text.as_str());
        prop_assert_eq!(&back.serial, &u.serial, "serial via {}", text.as_str());
        prop_assert_eq!(back.params, u.params);
        prop_assert!(back.seed.ct_eq(&u.seed));
        // And the canonical text is a fixed point.
        let again = back.to_uri();
        prop_assert_eq!(again.as_str(), text.as_str());
    }

    /// Whatever parse accepts, it accepts again in canonical form with the same meaning.
    #[test]
    fn parse_never_panics_and_accepted_uris_round_trip(
        label in awkward_string(),
        issuer in awkward_string(),
        tail in awkward_string(),
    ) {
        let text = format!("otpauth://totp/{label}?secret=JBSWY3DPEHPK3PXP&issuer={issuer}&{tail}");
        if let Ok(u) = OtpAuthUri::parse(&text) {
            let again = OtpAuthUri::parse(&u.to_uri());
            prop_assert!(again.is_ok(), "{text:?} parsed but its canonical form did not");
            let again = again.unwrap();
            assert_same(&u, &again, &text);
        }
    }
}

/// Every URI that parses is written out as one that parses again (found by fuzzing: a long non-ASCII issuer was
/// written out longer than `MAX_URI_LEN`). Names are bounded when read, and a URI at every bound at once, with the
/// longest secret and names that percent-encode to three characters a byte, still writes under the limit.
#[test]
fn names_are_bounded_so_that_what_is_written_reads_again() {
    use softtoken_core::uri::{MAX_ACCOUNT_BYTES, MAX_ISSUER_BYTES, MAX_SERIAL_BYTES};
    let widest = |bytes: usize| "銀".repeat(bytes / 3);
    let u = uri(
        Some(&widest(MAX_ISSUER_BYTES)),
        &widest(MAX_ACCOUNT_BYTES),
        Some(&"%".repeat(MAX_SERIAL_BYTES)),
        OtpKind::Hotp { counter: u64::MAX },
        Params {
            algorithm: Algorithm::Sha512,
            digits: Digits::new(8).unwrap(),
        },
        &[0xa5; 1024],
    );
    let written = u.to_uri();
    assert!(written.len() <= MAX_URI_LEN, "{} bytes", written.len());
    assert_same(&OtpAuthUri::parse(&written).unwrap(), &u, "every bound at once");

    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    for (what, uri) in [
        (
            "issuer",
            format!(
                "otpauth://totp/x?secret={secret}&issuer={}",
                "a".repeat(MAX_ISSUER_BYTES + 1)
            ),
        ),
        (
            "issuer",
            format!(
                "otpauth://totp/{}:x?secret={secret}",
                "a".repeat(MAX_ISSUER_BYTES + 1)
            ),
        ),
        (
            "account",
            format!(
                "otpauth://totp/{}?secret={secret}",
                "a".repeat(MAX_ACCOUNT_BYTES + 1)
            ),
        ),
        (
            "serial",
            format!(
                "otpauth://totp/x?secret={secret}&serial={}",
                "a".repeat(MAX_SERIAL_BYTES + 1)
            ),
        ),
    ] {
        let e = OtpAuthUri::parse(&uri).unwrap_err();
        assert_eq!(e.code(), "bad_uri", "{what}");
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
}
