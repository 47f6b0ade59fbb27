//! PSKC (RFC 6030) import: the RFC's own figures, derived files (tests/fixtures/pskc/README.md), and every refusal.
//! Every refusal is the `pskc` error code, and its message never contains a seed in any encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use data_encoding::{BASE32_NOPAD, BASE64, HEXLOWER};
use softtoken_core::pskc::{self, Protection, PskcKey, MAX_PSKC_BYTES};
use softtoken_core::{Algorithm, Error, Hotp, OtpKind, Period, Totp};

/// RFC 6030 Figure 6's pre-shared key.
const RFC_PSK: [u8; 16] = [
    0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
];
/// The pre-shared key of the generated encrypted fixtures (generate.py `PSK`).
const FIXTURE_PSK: &str = "2b7e151628aed2a6abf7158809cf4f3c";
/// The seeds of the generated encrypted fixtures, in key order.
const FIXTURE_SEEDS: [&[u8]; 3] = [
    b"shinkin-seed-key-one",
    b"shinkin-seed-key-two",
    b"shinkin-seed-key-3rd",
];
/// RFC 4226 / RFC 6238 secret used by the RFC 6030 figures.
const RFC_SEED: &[u8] = b"12345678901234567890";
const WRONG_KEY: &str = "the pre-shared key is wrong or the file was altered";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pskc")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_psk() -> Vec<u8> {
    HEXLOWER.decode(FIXTURE_PSK.as_bytes()).unwrap()
}

/// Every seed any fixture holds (as far as they are distinctive), for the leak checks.
fn all_seeds() -> Vec<&'static [u8]> {
    let mut seeds: Vec<&[u8]> = FIXTURE_SEEDS.to_vec();
    seeds.extend([
        b"Q7zW4kP9x".as_slice(),
        b"good-key-before-ocra",
        b"ocra-key-secret-1234",
        b"time-zero-not-epoch!",
        b"hexadecimal-response",
        b"duplicate-serial-one",
        b"duplicate-serial-two",
        b"entity-attack-secret",
        b"12345678901234567890123456789012",
    ]);
    seeds
}

/// Panics if `message` shows `seed` as ASCII, hex, base32 or base64 (or a long prefix of those).
fn assert_no_seed(message: &str, seed: &[u8]) {
    let lower = message.to_lowercase();
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut needles = vec![
        HEXLOWER.encode(seed),
        HEXLOWER.encode(&seed[..seed.len().min(6)]),
        BASE32_NOPAD.encode(seed).to_lowercase(),
        BASE32_NOPAD.encode(&seed[..seed.len().min(10)]).to_lowercase(),
        BASE64.encode(seed).to_lowercase(),
        BASE64.encode(&seed[..seed.len().min(9)]).to_lowercase(),
    ];
    if let Ok(ascii) = std::str::from_utf8(seed) {
        let ascii: String = ascii
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        needles.push(ascii);
    }
    for needle in needles {
        let needle_compact: String = needle.chars().filter(char::is_ascii_alphanumeric).collect();
        assert!(
            !lower.contains(&needle) && !compact.contains(&needle_compact),
            "the message shows a seed ({needle}): {message}"
        );
    }
}

/// Parses, expects a refusal with code `pskc`, checks no known seed is in the message, returns the message.
fn refused(xml: &[u8], protection: Protection<'_>) -> String {
    let err = match pskc::parse(xml, protection) {
        Ok(keys) => panic!("accepted {} keys, expected a refusal", keys.len()),
        Err(e) => e,
    };
    assert_eq!(err.code(), "pskc", "{err}");
    assert!(matches!(err, Error::Pskc { .. }));
    let message = err.to_string();
    assert!(message.starts_with("PSKC file refused: "), "{message}");
    for seed in all_seeds() {
        assert_no_seed(&message, seed);
    }
    message
}

fn totp_period(key: &PskcKey) -> Period {
    match key.kind {
        OtpKind::Totp { period } => period,
        OtpKind::Hotp { .. } => panic!("{} is HOTP", key.serial),
    }
}

fn hotp_counter(key: &PskcKey) -> u64 {
    match key.kind {
        OtpKind::Hotp { counter } => counter,
        OtpKind::Totp { .. } => panic!("{} is TOTP", key.serial),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 6030 figures.

#[test]
fn figure6_decrypts_to_the_rfc4226_secret_and_its_codes() {
    let keys = pskc::parse(
        &fixture("rfc6030-figure6.pskcxml"),
        Protection::PreSharedKey(&RFC_PSK),
    )
    .unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key.serial, "987654321", "DeviceInfo/SerialNo wins over Key@Id");
    assert_eq!(key.issuer.as_deref(), Some("Issuer"));
    assert_eq!(hotp_counter(key), 0);
    assert_eq!(key.params.digits.get(), 8);
    assert_eq!(key.params.algorithm, Algorithm::Sha1);
    assert_eq!(key.time_offset_steps, 0);
    assert_eq!(key.seed.expose(), RFC_SEED);
    // RFC 4226 Appendix D: counter 0 truncates to 1284755224, i.e. 84755224 with 8 digits (755224 with 6).
    let hotp = Hotp::new(&key.seed, key.params);
    assert_eq!(hotp.code(0).as_str(), "84755224");
    assert_eq!(hotp.code(1).as_str(), "94287082");
}

#[test]
fn figure6_from_a_hex_typed_key() {
    let psk = pskc::pre_shared_key_from_hex("12345678901234567890123456789012").unwrap();
    let keys = pskc::parse(
        &fixture("rfc6030-figure6.pskcxml"),
        Protection::PreSharedKey(&psk),
    )
    .unwrap();
    assert_eq!(keys[0].seed.expose(), RFC_SEED);
}

#[test]
fn figure6_without_a_key_asks_for_one() {
    let message = refused(&fixture("rfc6030-figure6.pskcxml"), Protection::None);
    assert!(message.contains("pre-shared key is needed"), "{message}");
    assert!(message.contains("key 1 (Id '12345678')"), "{message}");
}

#[test]
fn figure6_with_a_wrong_key_is_refused() {
    let mut wrong = RFC_PSK;
    wrong[15] ^= 0x01;
    let message = refused(
        &fixture("rfc6030-figure6.pskcxml"),
        Protection::PreSharedKey(&wrong),
    );
    assert!(message.contains(WRONG_KEY), "{message}");
    assert_no_seed(&message, RFC_SEED);
    for wrong in [[0u8; 16], [0xffu8; 16], *b"0123456789abcdef"] {
        let message = refused(
            &fixture("rfc6030-figure6.pskcxml"),
            Protection::PreSharedKey(&wrong),
        );
        assert!(message.contains(WRONG_KEY), "{message}");
    }
}

#[test]
fn figure6_with_a_tampered_mac_is_refused() {
    // privacyIDEA's test_04_import_pskc_aes uses this altered ValueMAC.
    let xml = String::from_utf8(fixture("rfc6030-figure6.pskcxml"))
        .unwrap()
        .replace("Su+NvtQfmvfJzF6bmQiJqoLRExc=", "Su+NvtQfmvfJzF6XYZiJqoLRExc=");
    let message = refused(xml.as_bytes(), Protection::PreSharedKey(&RFC_PSK));
    assert!(message.contains(WRONG_KEY), "{message}");
    assert_no_seed(&message, RFC_SEED);
}

#[test]
fn figure6_with_a_tampered_ciphertext_is_refused_before_decryption() {
    // Flip one bit of the last ciphertext block: the MAC check catches it (a padding check alone might not).
    let xml = String::from_utf8(fixture("rfc6030-figure6.pskcxml"))
        .unwrap()
        .replace(
            "AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv",
            "AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGu",
        );
    let message = refused(xml.as_bytes(), Protection::PreSharedKey(&RFC_PSK));
    assert!(message.contains(WRONG_KEY), "{message}");
}

#[test]
fn figure3_plain_hotp_with_or_without_a_key() {
    for protection in [Protection::None, Protection::PreSharedKey(&RFC_PSK)] {
        let keys = pskc::parse(&fixture("rfc6030-figure3.pskcxml"), protection).unwrap();
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!(key.serial, "987654321");
        assert_eq!(key.issuer.as_deref(), Some("Issuer"));
        assert_eq!(key.params.digits.get(), 8);
        assert_eq!(hotp_counter(key), 0);
        assert_eq!(key.seed.expose(), RFC_SEED);
        assert_eq!(Hotp::new(&key.seed, key.params).code(0).as_str(), "84755224");
    }
}

#[test]
fn figure2_secret_of_four_bytes_is_too_short() {
    let message = refused(&fixture("rfc6030-figure2.pskcxml"), Protection::None);
    assert!(message.contains("key 1 (Id '12345678')"), "{message}");
    assert!(message.contains("too short: 32 bits"), "{message}");
    assert!(!message.contains("MTIzNA"), "{message}");
}

// ---------------------------------------------------------------------------------------------------------------
// Derived files.

#[test]
fn totp_and_hotp_in_both_uri_forms() {
    let keys = pskc::parse(&fixture("uri-forms.pskcxml"), Protection::None).unwrap();
    assert_eq!(keys.len(), 4);

    // urn:…:pskc:totp, SHA1, 8 digits: RFC 6238 Appendix B at T = 59 s.
    let k = &keys[0];
    assert_eq!(k.serial, "SKTN00000013");
    assert_eq!(k.issuer.as_deref(), Some("しんきん銀行"));
    assert_eq!(totp_period(k), Period::THIRTY);
    assert_eq!(k.params.algorithm, Algorithm::Sha1);
    assert_eq!(k.time_offset_steps, 0);
    let totp = Totp::new(&k.seed, k.params, totp_period(k));
    assert_eq!(totp.code_at(59).as_str(), "94287082");
    assert_eq!(totp.code_at(1_111_111_109).as_str(), "07081804");

    // urn:…:pskc#totp, Suite HMAC-SHA256, drift −2, and a serial typed with spaces (stored canonical).
    let k = &keys[1];
    assert_eq!(k.serial, "SKTN00000021");
    assert_eq!(k.issuer, None);
    assert_eq!(k.params.algorithm, Algorithm::Sha256);
    assert_eq!(k.time_offset_steps, -2);
    let totp = Totp::new(&k.seed, k.params, totp_period(k));
    assert_eq!(totp.code_at(59).as_str(), "46119246");

    // urn:…:pskc:hotp, no DeviceInfo: the serial is Key@Id; counter 5 gives RFC 4226's 254676.
    let k = &keys[2];
    assert_eq!(k.serial, "hotp-colon");
    assert_eq!(hotp_counter(k), 5);
    assert_eq!(k.params.digits.get(), 6);
    assert_eq!(
        Hotp::new(&k.seed, k.params).code(hotp_counter(k)).as_str(),
        "254676"
    );

    // urn:…:pskc#hotp, SHA512, counter absent = 0; HOTP(1) equals RFC 6238's SHA512 code at T = 59 s.
    let k = &keys[3];
    assert_eq!(k.serial, "HW-0004");
    assert_eq!(hotp_counter(k), 0);
    assert_eq!(k.params.algorithm, Algorithm::Sha512);
    assert_eq!(Hotp::new(&k.seed, k.params).code(1).as_str(), "90693936");
}

#[test]
fn three_encrypted_keys_with_a_prefixed_namespace() {
    let psk = fixture_psk();
    let keys = pskc::parse(
        &fixture("encrypted-3keys.pskcxml"),
        Protection::PreSharedKey(&psk),
    )
    .unwrap();
    let serials: Vec<&str> = keys.iter().map(|k| k.serial.as_str()).collect();
    assert_eq!(serials, ["SKTN00001010", "SKTN00001029", "SKTN00001032"]);
    for (key, seed) in keys.iter().zip(FIXTURE_SEEDS) {
        assert_eq!(key.seed.expose(), seed, "{}", key.serial);
        assert_eq!(key.issuer.as_deref(), Some("Shinkin"));
        assert_eq!(key.params.digits.get(), 6);
        assert_eq!(key.params.algorithm, Algorithm::Sha1);
    }
    // Plain 30; encrypted ASCII "60"; default 30 (with an encrypted big-endian T0 of 0 and a drift of −1).
    let periods: Vec<u64> = keys.iter().map(|k| totp_period(k).seconds()).collect();
    assert_eq!(periods, [30, 60, 30]);
    let drifts: Vec<i64> = keys.iter().map(|k| k.time_offset_steps).collect();
    assert_eq!(drifts, [0, 0, -1]);
}

#[test]
fn a_bad_mac_on_the_third_key_refuses_the_whole_file() {
    let psk = fixture_psk();
    let message = refused(
        &fixture("encrypted-3keys-bad-mac.pskcxml"),
        Protection::PreSharedKey(&psk),
    );
    assert!(message.contains("key 3 (Id 'k3')"), "{message}");
    assert!(message.contains(WRONG_KEY), "{message}");
}

#[test]
fn every_encrypted_value_is_mac_checked_even_an_unused_one() {
    let psk = fixture_psk();
    let xml = String::from_utf8(fixture("encrypted-3keys.pskcxml")).unwrap();
    // Key 2's encrypted TimeInterval with an altered ValueMAC.
    let bad = xml.replacen(
        "<pskc:ValueMAC>TytgDsMjLMABbX3MSh0FEp4WPoM=",
        "<pskc:ValueMAC>UytgDsMjLMABbX3MSh0FEp4WPoM=",
        1,
    );
    assert_ne!(bad, xml);
    let message = refused(bad.as_bytes(), Protection::PreSharedKey(&psk));
    assert!(
        message.contains("key 2 (Id 'k2'): the TimeInterval: the pre-shared key is wrong"),
        "{message}"
    );
    // The same value as a Counter, which a TOTP key does not use, is checked all the same.
    let unused = bad
        .replacen("<pskc:TimeInterval>\n", "<pskc:Counter>\n", 1)
        .replacen("        </pskc:TimeInterval>\n", "        </pskc:Counter>\n", 1);
    assert!(unused.contains("        </pskc:Counter>\n"));
    let message = refused(unused.as_bytes(), Protection::PreSharedKey(&psk));
    assert!(
        message.contains("key 2 (Id 'k2'): the Counter: the pre-shared key is wrong"),
        "{message}"
    );
}

#[test]
fn encrypted_files_need_the_key_and_the_right_key() {
    let message = refused(&fixture("encrypted-3keys.pskcxml"), Protection::None);
    assert!(message.contains("pre-shared key is needed"), "{message}");
    let message = refused(
        &fixture("encrypted-3keys.pskcxml"),
        Protection::PreSharedKey(&RFC_PSK),
    );
    assert!(message.contains(WRONG_KEY), "{message}");
}

#[test]
fn encrypted_values_without_a_mac_method_are_refused() {
    let psk = fixture_psk();
    let message = refused(
        &fixture("encrypted-no-mac-method.pskcxml"),
        Protection::PreSharedKey(&psk),
    );
    assert!(message.contains("no MACMethod"), "{message}");
}

#[test]
fn a_pre_shared_key_must_be_16_bytes() {
    let message = refused(
        &fixture("rfc6030-figure3.pskcxml"),
        Protection::PreSharedKey(&RFC_PSK[..8]),
    );
    assert!(message.contains("16 bytes"), "{message}");
    assert_eq!(pskc::pre_shared_key_from_hex("1234").unwrap_err().code(), "pskc");
}

#[test]
fn a_short_secret_is_refused() {
    let message = refused(&fixture("short-secret.pskcxml"), Protection::None);
    assert!(message.contains("key 1 (Id 'short')"), "{message}");
    assert!(message.contains("too short: 72 bits"), "{message}");
}

#[test]
fn an_unknown_algorithm_refuses_the_whole_file() {
    let message = refused(&fixture("unknown-algorithm.pskcxml"), Protection::None);
    assert!(message.contains("key 2 (Id 'ocra')"), "{message}");
    assert!(
        message.contains("'urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1' is not supported"),
        "{message}"
    );
}

#[test]
fn a_doctype_is_refused_and_no_entity_is_expanded() {
    let message = refused(&fixture("doctype-xxe.pskcxml"), Protection::None);
    assert!(message.contains("DOCTYPE"), "{message}");
    assert!(!message.contains("root:"), "{message}");
    // Even without a DOCTYPE an undeclared entity is refused, not left empty.
    let xml = String::from_utf8(fixture("rfc6030-figure3.pskcxml"))
        .unwrap()
        .replace("<Issuer>Issuer</Issuer>", "<Issuer>&xxe;</Issuer>");
    let message = refused(xml.as_bytes(), Protection::None);
    assert!(message.contains("entity"), "{message}");
    // The predefined entities and character references are fine.
    let xml = String::from_utf8(fixture("rfc6030-figure3.pskcxml"))
        .unwrap()
        .replace(
            "<Issuer>Issuer</Issuer>",
            "<Issuer>A&amp;B &#x4fe1;&#37329;</Issuer>",
        );
    let keys = pskc::parse(xml.as_bytes(), Protection::None).unwrap();
    assert_eq!(keys[0].issuer.as_deref(), Some("A&B 信金"));
}

#[test]
fn truncated_xml_is_refused() {
    let message = refused(&fixture("truncated.pskcxml"), Protection::None);
    assert!(message.contains("truncated"), "{message}");
    // Every proper prefix of Figure 6 (that is not just whitespace-trimmed) is refused, with or without a key.
    let full = fixture("rfc6030-figure6.pskcxml");
    let end = full.len() - 1 - full.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
    for cut in 0..=end {
        refused(&full[..cut], Protection::PreSharedKey(&RFC_PSK));
        refused(&full[..cut], Protection::None);
    }
}

#[test]
fn not_xml_is_refused() {
    let message = refused(&fixture("not-xml.pskcxml"), Protection::None);
    assert!(message.contains("not a PSKC file"), "{message}");
    for junk in [
        b"".as_slice(),
        b"   \n",
        b"{\"tokens\": []}",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"<html><body>hello</body></html>",
        b"<?xml version=\"1.0\"?><KeyContainer Version=\"1.0\"/>",
        b"<KeyContainer xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\" Version=\"1.0\"></KeyContainer>",
        b"<KeyContainer xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\" Version=\"2.0\"></KeyContainer>",
        b"<a><b></a></b>",
        b"<KeyContainer xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"/><KeyContainer/>",
    ] {
        refused(junk, Protection::None);
    }
    // UTF-16 (with BOM) is not read.
    let utf16: Vec<u8> = "\u{feff}<KeyContainer/>"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let message = refused(&utf16, Protection::None);
    assert!(message.contains("UTF-8"), "{message}");
}

#[test]
fn a_pre_rfc_draft_file_is_refused_by_name() {
    let xml = br#"<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc:1.0"><Device/></KeyContainer>"#;
    let message = refused(xml, Protection::None);
    assert!(message.contains("pre-RFC draft"), "{message}");
}

#[test]
fn a_time_origin_other_than_zero_is_refused() {
    let message = refused(&fixture("time-nonzero.pskcxml"), Protection::None);
    assert!(message.contains("Time (T0) is 1700000000"), "{message}");
}

#[test]
fn non_decimal_codes_are_refused() {
    let message = refused(&fixture("hex-encoding.pskcxml"), Protection::None);
    assert!(message.contains("'HEXADECIMAL'"), "{message}");
    assert!(message.contains("only DECIMAL"), "{message}");
}

#[test]
fn duplicate_serials_in_one_file_are_refused() {
    let message = refused(&fixture("duplicate-serials.pskcxml"), Protection::None);
    assert!(message.contains("key 2 (Id 'second')"), "{message}");
    assert!(
        message.contains("serial 'SKTN00002062' is also the serial of key 1"),
        "{message}"
    );
}

/// Small one-key files with one field changed.
fn figure3_with(from: &str, to: &str) -> Vec<u8> {
    let xml = String::from_utf8(fixture("rfc6030-figure3.pskcxml")).unwrap();
    assert!(xml.contains(from), "{from}");
    xml.replacen(from, to, 1).into_bytes()
}

#[test]
fn parameters_out_of_range_are_refused() {
    let cases = [
        (r#"Length="8""#, r#"Length="9""#, "Length '9'"),
        (r#"Length="8""#, r#"Length="4""#, "Length '4'"),
        (
            r#"Encoding="DECIMAL""#,
            r#"Encoding="DECIMAL" CheckDigits="true""#,
            "CheckDigits",
        ),
        (
            "<PlainValue>0</PlainValue>",
            "<PlainValue>-1</PlainValue>",
            "negative",
        ),
        (
            "<PlainValue>0</PlainValue>",
            "<PlainValue>zero</PlainValue>",
            "not a whole number",
        ),
        (
            "<ResponseFormat",
            "<Suite>MD5</Suite><ResponseFormat",
            "'MD5' in AlgorithmParameters/Suite",
        ),
        (
            "<Issuer>Issuer</Issuer>",
            "<Issuer>Issuer</Issuer><Issuer>Other</Issuer>",
            "more than one <Issuer>",
        ),
        (
            "Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:hotp\"",
            "Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:pin\"",
            "not supported",
        ),
        (
            "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=",
            "MTIzNDU2Nzg5MDEy!zQ1Njc4OTA=",
            "not valid base64",
        ),
    ];
    for (from, to, expected) in cases {
        let message = refused(&figure3_with(from, to), Protection::None);
        assert!(message.contains(expected), "{to}: {message}");
        assert_no_seed(&message, RFC_SEED);
    }
    // TOTP parameters.
    let totp = figure3_with(
        "urn:ietf:params:xml:ns:keyprov:pskc:hotp",
        "urn:ietf:params:xml:ns:keyprov:pskc:totp",
    );
    let totp = String::from_utf8(totp).unwrap();
    for (interval, expected) in [("0", "TimeInterval 0"), ("86401", "TimeInterval 86401")] {
        let xml = totp.replace(
            "</Data>",
            &format!("<TimeInterval><PlainValue>{interval}</PlainValue></TimeInterval></Data>"),
        );
        let message = refused(xml.as_bytes(), Protection::None);
        assert!(message.contains(expected), "{message}");
    }
    let keys = pskc::parse(totp.as_bytes(), Protection::None).unwrap();
    assert_eq!(totp_period(&keys[0]), Period::THIRTY, "default period");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let mut xml = fixture("rfc6030-figure3.pskcxml");
    xml.extend(std::iter::repeat_n(b' ', MAX_PSKC_BYTES));
    let message = refused(&xml, Protection::None);
    assert!(message.contains("10 MiB"), "{message}");
}

#[test]
fn deep_nesting_is_refused() {
    let mut xml = String::from(r#"<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">"#);
    xml.push_str(&"<x>".repeat(1000));
    xml.push_str(&"</x>".repeat(1000));
    xml.push_str("</KeyContainer>");
    let message = refused(xml.as_bytes(), Protection::None);
    assert!(message.contains("nested"), "{message}");
}

#[test]
fn debug_output_never_shows_the_seed() {
    let keys = pskc::parse(
        &fixture("rfc6030-figure6.pskcxml"),
        Protection::PreSharedKey(&RFC_PSK),
    )
    .unwrap();
    let dbg = format!("{keys:?} {:?}", Protection::PreSharedKey(&RFC_PSK));
    assert!(dbg.contains("redacted"), "{dbg}");
    assert_no_seed(&dbg, RFC_SEED);
    assert!(!dbg.contains("1234567890123456"), "{dbg}");
}

/// Hostile files are refused by their shape before the work grows with them (issue 17): too many attributes on
/// an element, too much text in one, an issuer longer than the app shows.
#[test]
fn attribute_text_and_issuer_bounds() {
    use softtoken_core::pskc::{self, Protection};
    let wrap = |key: &str| {
        format!(
            r#"<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><DeviceInfo><SerialNo>X1</SerialNo></DeviceInfo>{key}</KeyPackage></KeyContainer>"#
        )
    };
    let key = |issuer: &str, data: &str| {
        format!(
            r#"<Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Issuer>{issuer}</Issuer><Data><Secret><PlainValue>{data}</PlainValue></Secret></Data></Key>"#
        )
    };
    let seed = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=";
    assert!(pskc::parse(wrap(&key("Bank", seed)).as_bytes(), Protection::None).is_ok());
    let attrs: String = (0..40).map(|i| format!(r#" a{i}="x""#)).collect();
    let many = wrap(&key("Bank", seed)).replace("<Key ", &format!("<Key{attrs} "));
    let long_text = wrap(&key("Bank", &"A".repeat(70_000)));
    let long_issuer = wrap(&key(&"銀".repeat(50), seed));
    for (what, xml, words) in [
        ("attributes", many, "attributes"),
        ("text", long_text, "bytes of text"),
        ("issuer", long_issuer, "issuer"),
    ] {
        let e = pskc::parse(xml.as_bytes(), Protection::None).unwrap_err();
        assert_eq!(e.code(), "pskc", "{what}");
        assert!(e.to_string().contains(words), "{what}: {e}");
    }
}
