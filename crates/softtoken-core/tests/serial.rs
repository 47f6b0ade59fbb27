//! Serial numbers as people type them (ASCII, full-width, with Japanese IME dashes), the refusals, and properties
//! of the Damm check digit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use softtoken_core::serial::{damm_check_digit, display_serial, DEFAULT_PREFIX, MAX_NUMBER};
use softtoken_core::Serial;

/// SKTN 1234 5671: 1234567 with its Damm check digit 1.
fn sktn() -> Serial {
    Serial::new("SKTN", 1_234_567).unwrap()
}

/// The full-width (zenkaku) form of an ASCII string, as a Japanese IME types it.
fn zenkaku(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap(),
            _ => c,
        })
        .collect()
}

#[test]
fn accepted_forms() {
    let s = sktn();
    assert_eq!(s.as_str(), "SKTN12345671");
    for typed in [
        "SKTN12345671",
        "SKTN 1234 5671",
        "sktn 1234 5671",
        "Sktn12345671",
        "SKTN-1234-5671",
        "SKTN_1234_5671",
        "SKTN.1234.5671",
        "SKTN\t1234\t5671",
        "  SKTN 1234 5671  ",
        "S K T N 1 2 3 4 5 6 7 1",
        "SKTN--1234--5671",
        // Full-width letters, digits, space and hyphen-minus.
        "ＳＫＴＮ１２３４５６７１",
        "ＳＫＴＮ　１２３４　５６７１",
        "ｓｋｔｎ－１２３４－５６７１",
        "ＳＫＴＮ＿１２３４．５６７１",
        // Half-width and full-width mixed in one string.
        "ＳＫtn 1234 ５６７１",
        // The katakana long mark (ー) and its half-width form (ｰ), which IMEs produce for '-'.
        "SKTNー1234ー5671",
        "ＳＫＴＮー１２３４ー５６７１",
        "SKTNｰ1234ｰ5671",
        // Unicode hyphens and dashes: hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal
        // bar, minus sign, small hyphen-minus.
        "SKTN\u{2010}1234\u{2010}5671",
        "SKTN\u{2011}1234\u{2011}5671",
        "SKTN\u{2012}1234\u{2012}5671",
        "SKTN\u{2013}1234\u{2013}5671",
        "SKTN\u{2014}1234\u{2014}5671",
        "SKTN\u{2015}1234\u{2015}5671",
        "SKTN\u{2212}1234\u{2212}5671",
        "SKTN\u{FE63}1234\u{FE63}5671",
    ] {
        let parsed = Serial::parse(typed).unwrap_or_else(|e| panic!("{typed:?} refused: {e}"));
        assert_eq!(parsed, s, "{typed:?}");
        assert_eq!(typed.parse::<Serial>().unwrap(), s, "FromStr {typed:?}");
    }
    assert_eq!(Serial::parse(&zenkaku("sktn 1234-5671")).unwrap(), s);
}

#[test]
fn shapes() {
    let s = sktn();
    assert_eq!(s.prefix(), "SKTN");
    assert_eq!(s.grouped(), "SKTN 1234 5671");
    assert_eq!(s.to_string(), "SKTN 1234 5671");
    assert_eq!(format!("{s:?}"), "Serial(SKTN12345671)");
    assert_eq!(String::from(s.clone()), "SKTN12345671");
    assert_eq!(
        Serial::try_from("ＳＫＴＮ　１２３４　５６７１".to_string()).unwrap(),
        s
    );

    // Edges of the number range and prefix case.
    assert_eq!(Serial::new("abcd", 0).unwrap().as_str(), "ABCD00000000");
    let max = Serial::new("ZzZz", MAX_NUMBER).unwrap();
    assert_eq!(&max.as_str()[..11], "ZZZZ9999999");
    assert_eq!(Serial::parse(max.as_str()).unwrap(), max);
    assert_eq!(Serial::new(DEFAULT_PREFIX, 42).unwrap().prefix(), DEFAULT_PREFIX);

    let r = Serial::random(DEFAULT_PREFIX).unwrap();
    assert_eq!(r.prefix(), DEFAULT_PREFIX);
    assert_eq!(Serial::parse(&r.grouped()).unwrap(), r);
}

#[test]
fn serde_uses_the_canonical_string() {
    let s = sktn();
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"SKTN12345671\"");
    assert_eq!(serde_json::from_str::<Serial>("\"sktn-1234-5671\"").unwrap(), s);
    assert!(serde_json::from_str::<Serial>("\"SKTN 1234 5672\"").is_err());
    assert!(serde_json::from_str::<Serial>("12345671").is_err());
}

#[test]
fn display_serial_groups_ours_and_keeps_others() {
    assert_eq!(display_serial("SKTN12345671"), "SKTN 1234 5671");
    assert_eq!(display_serial("sktn-1234-5671"), "SKTN 1234 5671");
    assert_eq!(display_serial("TOTP0001A2B3"), "TOTP0001A2B3");
    assert_eq!(display_serial("SKTN12345672"), "SKTN12345672");
    assert_eq!(display_serial(""), "");
}

#[test]
fn refusals() {
    let long = "SKTN 1234 5671 ".repeat(10);
    let cases: &[(&str, &str)] = &[
        ("", "bad_serial"),
        ("   ", "bad_serial"),
        ("SKTN", "bad_serial"),
        ("SKTN 1234 567", "bad_serial"),
        ("SKTN 1234 56710", "bad_serial"),
        ("SKT 1234 56710", "bad_serial"),
        ("SKTNA 1234 5671", "bad_serial"),
        ("1234 1234 5671", "bad_serial"),
        ("SK1N 1234 5671", "bad_serial"),
        ("SKTN 1234 567A", "bad_serial"),
        ("SKTN 12O4 5671", "bad_serial"),
        ("SKTN/1234/5671", "bad_serial"),
        ("SKTN:1234:5671", "bad_serial"),
        ("SKTN,1234,5671", "bad_serial"),
        ("SKTN〜1234〜5671", "bad_serial"),
        ("ÄKTN 1234 5671", "bad_serial"),
        ("シリアル 1234 5671", "bad_serial"),
        ("SKTN 一二三四 五六七一", "bad_serial"),
        ("SKTN\n1234\n5671", "bad_serial"),
        (&long, "bad_serial"),
        // The right shape, but the check digit does not match.
        ("SKTN 1234 5672", "serial_check_digit"),
        ("SKTN 1234 5670", "serial_check_digit"),
        ("SKTN 1243 5671", "serial_check_digit"), // adjacent swap
        ("SKTN 2134 5671", "serial_check_digit"), // adjacent swap at the start
        ("SKTN 1234 5617", "serial_check_digit"), // swap with the check digit
        ("SKTN 1234 5681", "serial_check_digit"), // single typo
        ("ＳＫＴＮ　１２３４　５６７２", "serial_check_digit"),
    ];
    for (typed, code) in cases {
        let err = Serial::parse(typed).map(|s| s.grouped()).unwrap_err();
        assert_eq!(err.code(), *code, "{typed:?}: {err}");
        let msg = err.to_string();
        // Serials are not secret: the message quotes what was typed (the first 40 characters), so the customer can
        // compare it with the screen.
        let shown: String = typed.chars().take(40).collect();
        assert!(
            msg.contains(&shown),
            "{typed:?}: message does not quote it: {msg}"
        );
    }
}

#[test]
fn new_refuses_bad_prefixes_and_numbers() {
    for prefix in ["", "SKT", "SKTNX", "SK1N", "SK N", "ＳＫＴＮ", "ÄKTN", "SK-N"] {
        let err = Serial::new(prefix, 1).unwrap_err();
        assert_eq!(err.code(), "bad_serial", "{prefix:?}");
    }
    assert_eq!(
        Serial::new("SKTN", MAX_NUMBER + 1).unwrap_err().code(),
        "bad_serial"
    );
    assert_eq!(Serial::new("SKTN", u32::MAX).unwrap_err().code(), "bad_serial");
}

#[test]
fn damm_catches_every_single_typo_and_adjacent_swap_exhaustively_for_three_digits() {
    // The Damm table's guarantee, checked over every 3-digit payload + check digit (a stand-in for all lengths:
    // the property is local to the digits involved).
    for n in 0..1000u32 {
        let mut digits = format!("{n:03}").into_bytes();
        digits.push(b'0' + damm_check_digit(&digits));
        assert_eq!(damm_check_digit(&digits), 0);
        for i in 0..digits.len() {
            for d in b'0'..=b'9' {
                if d != digits[i] {
                    let mut t = digits.clone();
                    t[i] = d;
                    assert_ne!(damm_check_digit(&t), 0, "{n:03}: typo at {i}");
                }
            }
            if i + 1 < digits.len() && digits[i] != digits[i + 1] {
                let mut t = digits.clone();
                t.swap(i, i + 1);
                assert_ne!(damm_check_digit(&t), 0, "{n:03}: swap at {i}");
            }
        }
    }
}

/// How people might type a serial: each form must parse back to the same serial.
fn typed_forms(s: &Serial) -> Vec<String> {
    let g = s.grouped();
    let c = s.as_str();
    vec![
        c.to_string(),
        g.clone(),
        c.to_lowercase(),
        g.to_lowercase(),
        g.replace(' ', "-"),
        g.to_lowercase().replace(' ', "ー"),
        zenkaku(&g),
        zenkaku(&g.to_lowercase().replace(' ', "-")),
        format!("  {}  ", g.replace(' ', "\u{3000}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn new_round_trips_and_every_digit_change_is_caught(prefix in "[A-Za-z]{4}", n in 0..=MAX_NUMBER) {
        let s = Serial::new(&prefix, n).unwrap();
        let canonical = s.as_str();
        prop_assert_eq!(&canonical[..4], prefix.to_ascii_uppercase());
        prop_assert_eq!(&canonical[4..11], format!("{n:07}"));
        prop_assert_eq!(canonical.len(), 12);
        prop_assert_eq!(damm_check_digit(&canonical.as_bytes()[4..]), 0);

        for typed in typed_forms(&s) {
            let parsed = Serial::parse(&typed);
            prop_assert!(parsed.is_ok(), "{:?} refused: {:?}", typed, parsed.err());
            prop_assert_eq!(parsed.unwrap(), s.clone(), "{:?}", typed);
        }

        // Every single-digit change, in the payload or the check digit, is refused as a typo.
        let grouped = s.grouped();
        for (pos, ch) in grouped.char_indices() {
            if !ch.is_ascii_digit() {
                continue;
            }
            for d in '0'..='9' {
                if d == ch {
                    continue;
                }
                let mut typo = grouped.clone();
                typo.replace_range(pos..=pos, d.encode_utf8(&mut [0; 4]));
                let err = Serial::parse(&typo).map(|s| s.grouped());
                prop_assert!(err.is_err(), "{} accepted (from {})", typo, grouped);
                prop_assert_eq!(err.unwrap_err().code(), "serial_check_digit", "{}", typo);
            }
        }

        // Every swap of two different adjacent digits is refused too.
        let digits: Vec<u8> = canonical.as_bytes()[4..].to_vec();
        for i in 0..7 {
            if digits[i] != digits[i + 1] {
                let mut t = digits.clone();
                t.swap(i, i + 1);
                let swapped = format!("{}{}", s.prefix(), String::from_utf8(t).unwrap());
                let err = Serial::parse(&swapped).map(|s| s.grouped());
                prop_assert_eq!(err.map_err(|e| e.code()), Err("serial_check_digit"), "{}", swapped);
            }
        }
    }

    #[test]
    fn parse_never_panics(input in "\\PC{0,30}") {
        if let Ok(s) = Serial::parse(&input) {
            prop_assert_eq!(Serial::parse(s.as_str()).unwrap(), s.clone());
            prop_assert_eq!(Serial::parse(&s.grouped()).unwrap(), s);
        }
    }
}
