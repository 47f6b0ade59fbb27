//! PSKC import through the admin API on every database: a good encrypted file imports all its tokens, which then
//! register like the app's; bad files are refused whole with a coded 4xx and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_page, current, databases, Ib, Server, TestDb, PERIOD};
use serde_json::{json, Value};
use softtoken_core::{OtpAuthUri, Period, Totp};

const PSK: &str = "2b7e151628aed2a6abf7158809cf4f3c";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../softtoken-core/tests/fixtures/pskc/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn import(server: &Server, body: Vec<u8>, key: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::blocking::Client::new()
        .post(server.url("/v1/admin/pskc"))
        .bearer_auth(&server.admin_token)
        .header("content-type", "application/pskc+xml")
        .body(body);
    if let Some(k) = key {
        req = req.header("x-pskc-key", k);
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn run(db: &TestDb) {
    let server = Server::start(db);
    let empty = server.snapshot();
    for (label, file, key, status, code) in [
        (
            "no key for an encrypted file",
            "encrypted-3keys.pskcxml",
            None,
            400,
            "pskc",
        ),
        (
            "wrong key",
            "encrypted-3keys.pskcxml",
            Some("000102030405060708090a0b0c0d0e0f"),
            400,
            "pskc",
        ),
        (
            "key not hex",
            "encrypted-3keys.pskcxml",
            Some("not-hex"),
            400,
            "pskc",
        ),
        (
            "one bad MAC",
            "encrypted-3keys-bad-mac.pskcxml",
            Some(PSK),
            400,
            "pskc",
        ),
        ("HOTP keys in the file", "uri-forms.pskcxml", None, 400, "pskc"),
        ("short secret", "short-secret.pskcxml", None, 400, "pskc"),
        (
            "unknown algorithm",
            "unknown-algorithm.pskcxml",
            None,
            400,
            "pskc",
        ),
        ("doctype", "doctype-xxe.pskcxml", None, 400, "pskc"),
        ("truncated", "truncated.pskcxml", None, 400, "pskc"),
        ("not xml", "not-xml.pskcxml", None, 400, "pskc"),
        (
            "duplicate serials",
            "duplicate-serials.pskcxml",
            None,
            400,
            "pskc",
        ),
    ] {
        let (s, b) = import(&server, fixture(file), key);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (status, Some(code)),
            "{label}: {b}"
        );
        assert!(
            !b.to_string().contains("shinkin-seed"),
            "{label}: secret in the message"
        );
    }
    assert_eq!(
        server.snapshot(),
        empty,
        "refused files changed the database on {}",
        db.name()
    );

    let (s, b) = import(&server, fixture("encrypted-3keys.pskcxml"), Some(PSK));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["imported"], 3);
    let t = server.token("SKTN00001029");
    assert_eq!(
        (t["state"].as_str(), t["period"].as_i64(), t["source"].as_str()),
        (Some("issued"), Some(60), Some("pskc"))
    );
    assert_eq!(server.token("SKTN00001032")["drift"], -1);
    // An imported token registers at the IB like the app's, with a code from its seed (key 1 of the file).
    let seed = softtoken_core::Seed::from_bytes(b"shinkin-seed-key-one").unwrap();
    let totp = softtoken_core::Totp::new(&seed, Default::default(), softtoken_core::Period::THIRTY);
    let mut ib = common::Ib::new(&server);
    ib.get("/ib/register");
    ib.post(
        "/ib/register",
        &[("contract_id", "1000000003"), ("password", "demo-pass-3")],
    );
    let code = totp.code_at(softtoken_core::now()).to_string();
    let (_, html) = ib.post(
        "/ib/register",
        &[
            ("serial", "SKTN 0000 1010"),
            ("otp", &code),
            ("transfer_password", "3333"),
        ],
    );
    common::assert_page(&html, "ワンタイムパスワードの利用登録が完了しました。");
    assert_eq!(server.token("SKTN00001010")["contract_id"], "1000000003");
    // The same file again: every serial exists, nothing is imported twice.
    let before = server.snapshot();
    let (s, b) = import(&server, fixture("encrypted-3keys.pskcxml"), Some(PSK));
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("duplicate_serial")),
        "{b}"
    );
    assert_eq!(server.snapshot(), before);
}

#[test]
fn pskc_import_all_or_nothing() {
    for db in databases() {
        run(&db);
    }
}

/// A token bought from another vendor keeps that vendor's serial (no check digit of ours): after a PSKC import the
/// customer registers it at the IB by that serial, and the bank's systems validate it by that serial. A serial of
/// our format that is mistyped is still caught by its check digit.
#[test]
fn another_vendors_serial_is_registered_and_validated_as_imported() {
    const FOREIGN: &str = "VX-00017342";
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Another Vendor</Manufacturer><SerialNo>{FOREIGN}</SerialNo></DeviceInfo>
    <Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <TimeInterval><PlainValue>{PERIOD}</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>"#
    );
    let uri = format!("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period={PERIOD}&digits=6");
    let parsed = OtpAuthUri::parse(&uri).unwrap();
    let totp = Totp::new(&parsed.seed, parsed.params, Period::new(PERIOD).unwrap());
    for db in databases() {
        let server = Server::start(&db);
        let (s, b) = import(&server, xml.clone().into_bytes(), None);
        assert_eq!(
            (s, &b["serials"][0]),
            (200, &json!(FOREIGN)),
            "{}: {b}",
            db.name()
        );

        // 利用登録 with the vendor's serial, typed with spaces around it.
        let mut ib = Ib::new(&server);
        ib.get("/ib/register");
        ib.post(
            "/ib/register",
            &[("contract_id", "1000000002"), ("password", "demo-pass-2")],
        );
        let (first, _) = current(&totp);
        let (status, html) = ib.post(
            "/ib/register",
            &[
                ("serial", &format!(" {FOREIGN} ")),
                ("otp", &first),
                ("transfer_password", "2222"),
            ],
        );
        assert_eq!(status, 200, "{}: {html}", db.name());
        assert_page(&html, "ワンタイムパスワードの利用登録が完了しました。");
        assert_eq!(server.token(FOREIGN)["state"], "active", "{}", db.name());

        // The bank's systems validate it by the same serial (a later step: each is accepted once).
        let code = loop {
            let (code, _) = current(&totp);
            if code != first {
                break code;
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        };
        assert_eq!(server.validate(FOREIGN, &code)["valid"], true, "{}", db.name());
        // A near miss of the vendor's serial is unknown; one of ours with a wrong check digit is a typo.
        let (s, b) = server.post("/v1/validate", &json!({"serial": "VX-00017343", "otp": "123456"}));
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("bad_serial")),
            "{}: {b}",
            db.name()
        );
        let (s, b) = server.post(
            "/v1/validate",
            &json!({"serial": "SKTN00001011", "otp": "123456"}),
        );
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("serial_check_digit")),
            "{}: {b}",
            db.name()
        );
    }
}
