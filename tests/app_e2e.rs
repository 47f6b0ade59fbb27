//! End-to-end tests of the real app binary: tauri-driver + WebKitWebDriver under Xvfb, inside a D-Bus session
//! with an unlocked gnome-keyring (see tests/app/mod.rs and `./x test`). Each test has its own app folder; they run
//! one at a time.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod app;

use std::path::Path;
use std::time::Duration;

use app::{Server, Session, Start};
use serde_json::{json, Value};
use softtoken_core::store::keychain::{OsKeychain, SecretBackend};
use softtoken_core::{OtpAuthUri, Totp};

const SEED_A: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SEED_B: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SERIAL_A: &str = "SKTN12345671";
const SERIAL_B: &str = "SKTN00000000";

fn uri_a() -> String {
    format!("otpauth://totp/%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C:taro?secret={SEED_A}&issuer=%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C&serial={SERIAL_A}")
}
fn uri_b() -> String {
    format!("otpauth://totp/Example%20Bank:hanako?secret={SEED_B}&issuer=Example%20Bank&serial={SERIAL_B}")
}

fn now() -> u64 {
    softtoken_core::now()
}

/// Asserts that the token `id` shows the code the core computes for the same second, retrying across a step
/// boundary (when the step changes between the two clock readings, the reading is ambiguous).
async fn assert_code_matches_core(s: &Session, id: &str, uri: &str) {
    let u = OtpAuthUri::parse(uri).unwrap();
    let totp = Totp::new(&u.seed, u.params, softtoken_core::Period::THIRTY);
    for _ in 0..5 {
        let before = now();
        let shown = s
            .c
            .execute(
                "const t = document.querySelector(`[data-testid=\"token\"][data-id=\"${arguments[0]}\"] [data-testid=\"code\"]`); \
                 return t ? [t.dataset.code, t.textContent] : null",
                vec![json!(id)],
            )
            .await
            .unwrap();
        let after = now();
        if totp.step_at(before) != totp.step_at(after) {
            continue;
        }
        let expected = totp.code_at(before);
        assert_eq!(
            shown[0].as_str(),
            Some(expected.as_str()),
            "{}: token {id}",
            s.name
        );
        assert_eq!(
            shown[1].as_str().map(str::trim),
            Some(expected.grouped().as_str())
        );
        return;
    }
    panic!("{}: no stable reading of the code", s.name);
}

/// Adds a token from an otpauth URI through the Add screen; returns (id, serial shown).
async fn add_uri(s: &Session, uri: &str) -> (String, String) {
    s.click("nav-add").await;
    s.wait_screen("add").await;
    s.set_value("add-uri-input", uri).await;
    s.click("add-uri-submit").await;
    s.wait_screen("serial").await;
    finish_serial(s).await
}

/// On the serial screen: returns (token id, serial) after checking what it shows, then goes back to the codes.
async fn finish_serial(s: &Session) -> (String, String) {
    let serial = s.find("serial").await;
    let canonical = serial.attr("data-serial").await.unwrap().unwrap_or_default();
    let shown = serial.text().await.unwrap();
    assert_eq!(
        shown.replace(' ', ""),
        canonical,
        "the serial screen shows the serial"
    );
    // The new token's id: the answer of the last successful add, as the webview received it.
    let id =
        s.c.execute(
            "const adds = (window.__softtokenIpcLog || []).filter(e => e.ok && \
             (e.cmd.startsWith('add_') || ['provision_online', 'accept_link', 'scan_qr'].includes(e.cmd))); \
             return adds.length ? adds[adds.length - 1].answer.id : null",
            vec![],
        )
        .await
        .unwrap();
    let id = id.as_str().expect("an add succeeded").to_string();
    let qr = s.find("serial-qr").await;
    assert!(qr
        .attr("src")
        .await
        .unwrap()
        .unwrap_or_default()
        .starts_with("data:image/svg+xml"));
    s.click("serial-done").await;
    s.wait_screen("codes").await;
    assert!(s.token_ids().await.contains(&id), "the new token is listed");
    (id, canonical)
}

/// Settings: points the app at the token service `base`, saves, and checks the clock against it.
async fn use_server(s: &Session, base: &str) {
    s.click("nav-settings").await;
    s.wait_screen("settings").await;
    s.fill("settings-service-url", base).await;
    s.click("settings-save").await;
    s.click("clock-check").await;
    s.wait_js(
        "return /\\d/.test(document.querySelector('[data-testid=\"clock-result\"]')?.textContent || '')",
    )
    .await;
}

fn seed_forms(b32: &str) -> Vec<String> {
    let seed = softtoken_core::Seed::from_base32(b32).unwrap();
    let bytes = seed.expose();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let arr = serde_json::to_string(&bytes.to_vec()).unwrap();
    vec![
        b32.to_string(),
        b32.to_lowercase(),
        hex.clone(),
        hex.to_uppercase(),
        arr.trim_matches(|c| c == '[' || c == ']').to_string(),
    ]
}

/// The fields a command answer may carry. Anything else reaching the webview fails the test.
const ALLOWED_KEYS: &[&str] = &[
    // TokenView
    "id",
    "issuer",
    "account",
    "serial",
    "serialDisplay",
    "kind",
    "period",
    "digits",
    "algorithm",
    "created",
    // Codes / CodeView
    "nowMs",
    "codes",
    "code",
    "codeGrouped",
    "nextCode",
    "nextCodeGrouped",
    "prevCode",
    "validUntilMs",
    // AppState, Settings, errors, clock, copy
    "storage",
    "keychainError",
    "vaultExists",
    "settings",
    "osLocale",
    "version",
    "testerAvailable",
    "defaultServiceUrl",
    "startupBench",
    "language",
    "clipboardClearSeconds",
    "serviceUrl",
    "testerMode",
    "clockShiftSeconds",
    "message",
    "serverTimeMs",
    "skewSeconds",
    "ok",
    "clearAfterSeconds",
    // The app lock (AppState.appLock, Settings.appLock, unlock_app), the camera scan, a waiting link (LinkView:
    // no activation code)
    "appLock",
    "available",
    "enabled",
    "locked",
    "lockTurnedOff",
    "scanAvailable",
    "host",
    "server",
    "known",
    "expectedHost",
];

fn check_keys(v: &Value, path: &str) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                assert!(
                    ALLOWED_KEYS.contains(&k.as_str()),
                    "unexpected field {path}.{k} crossed IPC"
                );
                check_keys(v, &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|v| check_keys(v, path)),
        _ => {}
    }
}

/// Every answer the webview received: no seed in any form, only known fields. Requests that carry what the
/// customer hands over (a pasted URI, a typed secret, a QR image, the passphrase) are logged without their values,
/// so no seed may appear in any logged request either.
fn assert_no_seed_crossed(log: &[Value], seeds: &[&str]) {
    assert!(
        !log.is_empty(),
        "the IPC log is empty: is the recorder in ui/src/ipc.ts still installed?"
    );
    let forms: Vec<String> = seeds.iter().flat_map(|s| seed_forms(s)).collect();
    for entry in log {
        let cmd = entry["cmd"].as_str().unwrap_or_default();
        let answer = entry["answer"].to_string();
        for f in &forms {
            assert!(
                !answer.contains(f.as_str()),
                "a seed crossed IPC in the answer to {cmd}"
            );
        }
        check_keys(&entry["answer"], cmd);
        let args = entry["args"].to_string();
        for f in &forms {
            assert!(
                !args.contains(f.as_str()),
                "the IPC log kept a seed sent with {cmd}"
            );
        }
    }
}

fn png_without_qr(path: &Path) {
    let img = image::RgbImage::from_fn(240, 160, |x, y| {
        let v = ((x * 7 + y * 13) % 255) as u8;
        image::Rgb([v, 255 - v, v / 2])
    });
    img.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_by_uri_and_qr_file_refuse_junk_and_survive_a_restart() {
    app::run(add_by_uri_and_qr_file_refuse_junk_and_survive_a_restart_steps).await;
}

async fn add_by_uri_and_qr_file_refuse_junk_and_survive_a_restart_steps(driver: std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let start = |name| Start::new(dir.path(), "ja_JP.UTF-8", name);
    let s = Session::start(&driver, start("first run")).await;
    assert_eq!(
        s.c.execute("return document.body.dataset.lang", vec![])
            .await
            .unwrap(),
        "ja"
    );

    s.step("add by otpauth URI");
    let (id_a, serial_a) = add_uri(&s, &uri_a()).await;
    assert_eq!(serial_a, SERIAL_A);
    assert_code_matches_core(&s, &id_a, &uri_a()).await;
    s.shot("e2e-code-one-token").await;

    s.step("add by QR image file");
    let qr_path = dir.path().join("provisioning-qr.png");
    std::fs::write(&qr_path, softtoken_core::qr::render_png(&uri_b()).unwrap()).unwrap();
    s.click("nav-add").await;
    s.wait_screen("add").await;
    s.find("add-image-input")
        .await
        .send_keys(qr_path.to_str().unwrap())
        .await
        .unwrap();
    s.wait_screen("serial").await;
    let (id_b, serial_b) = finish_serial(&s).await;
    assert_eq!(serial_b, SERIAL_B);
    assert_ne!(id_a, id_b);
    assert_eq!(s.token_ids().await.len(), 2);
    assert_code_matches_core(&s, &id_a, &uri_a()).await;
    assert_code_matches_core(&s, &id_b, &uri_b()).await;
    s.shot("e2e-code-two-tokens").await;

    s.step("junk: each a clear error, nothing added, the store's files untouched");
    let index = dir.path().join("tokens.json");
    let index_before = std::fs::read(&index).unwrap();
    s.click("nav-add").await;
    s.wait_screen("add").await;
    for (uri, code) in [
        ("otpauth://totp/Bank:x?issuer=Bank", "bad_uri"),
        (
            "otpauth://totp/Bank:x?secret=GEZDGNBVGY3TQOJQ&digits=12",
            "bad_digits",
        ),
        ("otpauth://totp/Bank:x?secret=NOT*BASE32", "bad_base32"),
        ("https://bank.example/not-a-token", "bad_uri"),
    ] {
        s.set_value("add-uri-input", uri).await;
        s.click("add-uri-submit").await;
        s.wait_js(&format!(
            "return document.querySelector('[data-testid=\"error\"]')?.dataset.code === '{code}'"
        ))
        .await;
        assert_eq!(s.screen().await, "add");
    }
    s.shot("e2e-error-bad-uri").await;
    let junk = dir.path().join("not-a-qr.png");
    png_without_qr(&junk);
    s.find("add-image-input")
        .await
        .send_keys(junk.to_str().unwrap())
        .await
        .unwrap();
    s.wait_js("return document.querySelector('[data-testid=\"error\"]')?.dataset.code === 'no_qr_code'")
        .await;
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    s.find("add-image-input")
        .await
        .send_keys(text.to_str().unwrap())
        .await
        .unwrap();
    s.wait_js("return document.querySelector('[data-testid=\"error\"]')?.dataset.code === 'bad_image'")
        .await;
    s.shot("e2e-error-not-a-qr").await;
    s.step("index unchanged");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        index_before,
        "a refused input changed the token index"
    );
    s.click("nav-codes").await;
    s.wait_screen("codes").await;
    assert_eq!(s.token_ids().await, vec![id_a.clone(), id_b.clone()]);
    s.step("IPC log");
    assert_no_seed_crossed(&s.ipc_log().await, &[SEED_A, SEED_B]);
    s.step("stop");
    s.stop();

    // A restart keeps both tokens, codes and order.
    eprintln!("restart");
    let s = Session::start(&driver, start("after restart")).await;
    s.wait_screen("codes").await;
    assert_eq!(s.token_ids().await, vec![id_a.clone(), id_b.clone()]);
    assert_code_matches_core(&s, &id_a, &uri_a()).await;
    assert_code_matches_core(&s, &id_b, &uri_b()).await;
    assert_no_seed_crossed(&s.ipc_log().await, &[SEED_A, SEED_B]);
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_provisioning_gives_a_token_the_bank_accepts() {
    app::run(online_provisioning_gives_a_token_the_bank_accepts_steps).await;
}

async fn online_provisioning_gives_a_token_the_bank_accepts_steps(driver: std::path::PathBuf) {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&driver, Start::new(dir.path(), "en_US.UTF-8", "online")).await;
    assert_eq!(
        s.c.execute("return document.body.dataset.lang", vec![])
            .await
            .unwrap(),
        "en"
    );
    s.step("point the app at the test server");
    use_server(&s, &server.base).await;

    s.click("nav-add").await;
    s.wait_screen("add").await;
    s.step("get a token online");
    s.click("add-online-submit").await;
    s.wait_screen("serial").await;
    s.shot("e2e-online-serial").await;
    let (id, serial) = finish_serial(&s).await;
    assert!(
        softtoken_core::Serial::parse(&serial).is_ok(),
        "{serial} is one of our serials"
    );
    let (status, token) = server.get(&format!("/v1/admin/tokens/{serial}")).await;
    assert_eq!(status, 200, "the bank knows the serial: {token}");

    s.step("the code the app shows is one the bank accepts, once");
    // What 利用登録 does at the bank: the token becomes the demo customer's.
    let (status, v) = server
        .post(
            &format!("/v1/admin/tokens/{serial}/assign"),
            &json!({"contract_id": "1000000002"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let code = s
        .c
        .execute(
            "return document.querySelector(`[data-testid=\"token\"][data-id=\"${arguments[0]}\"] [data-testid=\"code\"]`).dataset.code",
            vec![json!(id)],
        )
        .await
        .unwrap();
    let code = code.as_str().unwrap().to_string();
    let (status, v) = server
        .post("/v1/validate", &json!({"serial": serial, "otp": code}))
        .await;
    assert_eq!((status, v["valid"].clone()), (200, Value::Bool(true)), "{v}");
    let (_, v) = server
        .post("/v1/validate", &json!({"serial": serial, "otp": code}))
        .await;
    assert_eq!(v["valid"], false, "a code is accepted once: {v}");

    s.step("a service that is not there: a clear error, nothing added");
    s.click("nav-settings").await;
    s.wait_screen("settings").await;
    s.fill("settings-service-url", "http://127.0.0.1:9").await;
    s.click("settings-save").await;
    s.click("nav-add").await;
    s.wait_screen("add").await;
    s.click("add-online-submit").await;
    s.wait_js(
        "return document.querySelector('[data-testid=\"error\"]')?.dataset.code === 'service_unreachable'",
    )
    .await;
    s.click("nav-codes").await;
    s.wait_screen("codes").await;
    assert_eq!(s.token_ids().await, vec![id]);
    assert_no_seed_crossed(&s.ipc_log().await, &[]);
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_asks_first_and_then_erases_the_seed() {
    app::run(delete_asks_first_and_then_erases_the_seed_steps).await;
}

async fn delete_asks_first_and_then_erases_the_seed_steps(driver: std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&driver, Start::new(dir.path(), "ja_JP.UTF-8", "delete")).await;
    let (id, _) = add_uri(&s, &uri_a()).await;
    let keychain = OsKeychain::new(softtoken_core::store::keychain::KEYCHAIN_SERVICE).unwrap();
    assert!(
        keychain.get(&id).unwrap().is_some(),
        "the seed is in the keychain"
    );

    s.step("delete asks first");
    s.click("token-delete-btn").await;
    let dialog = s.find("delete-dialog").await;
    assert!(dialog.is_displayed().await.unwrap());
    // (Element Text on a modal <dialog> hangs in WebKitWebDriver; the DOM's text is what counts here.)
    let text = s.text("delete-dialog").await;
    assert!(
        text.contains("利用停止") && text.contains("交換"),
        "the warning names 利用停止 and 交換: {text}"
    );
    s.shot("e2e-delete-dialog").await;
    s.click("delete-cancel").await;
    s.wait_js("return !document.querySelector('[data-testid=\"delete-dialog\"]')")
        .await;
    assert_eq!(s.token_ids().await, vec![id.clone()], "cancel keeps the token");
    assert!(keychain.get(&id).unwrap().is_some());

    s.click("token-delete-btn").await;
    s.click("delete-confirm").await;
    s.wait_js("return document.querySelectorAll('[data-testid=\"token\"]').length === 0")
        .await;
    assert!(keychain.get(&id).unwrap().is_none(), "the seed left the keychain");
    let index = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    assert!(!index.contains(&id));
    assert_no_seed_crossed(&s.ipc_log().await, &[SEED_A]);
    s.stop();
}

/// What the X clipboard holds now (`xclip`), or None when it is empty or owned by nobody.
fn clipboard_text() -> Option<String> {
    let out = std::process::Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .expect("xclip is installed (./x test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The code the row of token `id` shows now (its data-code).
async fn shown_code(s: &Session, id: &str) -> String {
    s.c.execute(
        "return document.querySelector(`[data-testid=\"token\"][data-id=\"${arguments[0]}\"] [data-testid=\"code\"]`).dataset.code",
        vec![json!(id)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_qr_hotp_and_a_copied_code_that_is_cleared() {
    app::run(activation_qr_hotp_and_a_copied_code_that_is_cleared_steps).await;
}

async fn activation_qr_hotp_and_a_copied_code_that_is_cleared_steps(driver: std::path::PathBuf) {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&driver, Start::new(dir.path(), "ja_JP.UTF-8", "activation")).await;

    s.step("the bank's activation QR (reissue): the app provisions from the link's server, bound to the contract");
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/qr", server.base))
        .bearer_auth(&server.admin_token)
        .json(&json!({"kind": "activation", "contract_id": "1000000002"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let qr_path = dir.path().join("activation-qr.png");
    std::fs::write(&qr_path, r.bytes().await.unwrap()).unwrap();
    s.click("nav-add").await;
    s.wait_screen("add").await;
    s.find("add-image-input")
        .await
        .send_keys(qr_path.to_str().unwrap())
        .await
        .unwrap();
    s.wait_screen("serial").await;
    let (id, serial) = finish_serial(&s).await;
    let (status, token) = server.get(&format!("/v1/admin/tokens/{serial}")).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        (token["state"].as_str(), token["contract_id"].as_str()),
        (Some("active"), Some("1000000002")),
        "the activation code bound the token to its contract: no 利用登録 needed"
    );
    let code = shown_code(&s, &id).await;
    let (_, v) = server
        .post("/v1/validate", &json!({"serial": serial, "otp": code}))
        .await;
    assert_eq!(v["valid"], true, "the bank accepts the app's code: {v}");

    s.step("a copied code is on the clipboard, and gone after the configured delay");
    s.click("nav-settings").await;
    s.wait_screen("settings").await;
    s.fill("settings-clipboard", "3").await;
    s.click("settings-save").await;
    s.click("nav-codes").await;
    s.wait_screen("codes").await;
    let before = shown_code(&s, &id).await;
    s.c.execute(
        "document.querySelector(`[data-testid=\"token\"][data-id=\"${arguments[0]}\"] [data-testid=\"code\"]`).click()",
        vec![json!(id)],
    )
    .await
    .unwrap();
    let copied = {
        let mut got = None;
        for _ in 0..20 {
            got = clipboard_text();
            if got.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        got.expect("the code reached the clipboard")
    };
    let after = shown_code(&s, &id).await;
    assert!(
        copied == before || copied == after,
        "the clipboard holds the code shown, digits only: {copied:?}, shown {before:?} / {after:?}"
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(clipboard_text(), None, "the clipboard was cleared");

    s.step("HOTP: a code only on request, each press the next counter");
    let hotp_uri =
        format!("otpauth://hotp/Bank:counter?secret={SEED_B}&issuer=Bank&counter=5&serial=SKTN00000013");
    let (hotp_id, _) = add_uri(&s, &hotp_uri).await;
    let hotp = softtoken_core::Hotp::new(
        &softtoken_core::Seed::from_base32(SEED_B).unwrap(),
        softtoken_core::Params::default(),
    );
    let row = format!("[data-testid=\"token\"][data-id=\"{hotp_id}\"]");
    assert!(
        shown_code(&s, &hotp_id).await.is_empty(),
        "no HOTP code before it is asked for"
    );
    for counter in [5u64, 6] {
        s.c.execute(
            &format!("document.querySelector('{row} [data-testid=\"hotp-show\"]').click()"),
            vec![],
        )
        .await
        .unwrap();
        let want = hotp.code(counter).to_string();
        s.wait_js(&format!(
            "return document.querySelector('{row} [data-testid=\"code\"]').dataset.code === '{want}'"
        ))
        .await;
    }
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("tokens.json")).unwrap()).unwrap();
    let stored = index.to_string();
    assert!(
        stored.contains(&hotp_id) && stored.contains("\"counter\":7"),
        "the next counter is stored with the token: {stored}"
    );
    assert_no_seed_crossed(&s.ipc_log().await, &[SEED_B]);
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_the_encrypted_file_is_offered() {
    app::run(without_a_keychain_the_encrypted_file_is_offered_steps).await;
}

async fn without_a_keychain_the_encrypted_file_is_offered_steps(driver: std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let start = |name| Start::new(dir.path(), "ja_JP.UTF-8", name).without_keychain();
    let s = Session::start(&driver, start("no keychain")).await;
    s.wait_screen("vault").await;
    s.shot("e2e-vault-new").await;
    s.fill("vault-passphrase", "correct horse").await;
    s.fill("vault-passphrase2", "correct horsf").await;
    s.click("vault-submit").await;
    assert_eq!(s.error_code().await, "passphrase_mismatch");
    s.fill("vault-passphrase2", "correct horse").await;
    s.click("vault-submit").await;
    s.wait_js("return document.body.dataset.screen !== 'vault'").await;
    let (id, _) = add_uri(&s, &uri_a()).await;
    assert!(dir.path().join("tokens.vault").exists());
    let vault = std::fs::read(dir.path().join("tokens.vault")).unwrap();
    assert!(!String::from_utf8_lossy(&vault).contains(SEED_A));
    s.stop();

    let s = Session::start(&driver, start("no keychain, restart")).await;
    s.wait_screen("vault").await;
    assert_eq!(
        s.count("vault-passphrase2").await,
        0,
        "an existing vault asks once"
    );
    s.fill("vault-passphrase", "wrong passphrase").await;
    s.click("vault-submit").await;
    assert_eq!(s.error_code().await, "wrong_passphrase");
    s.fill("vault-passphrase", "correct horse").await;
    s.click("vault-submit").await;
    s.wait_screen("codes").await;
    assert_eq!(s.token_ids().await, vec![id.clone()]);
    assert_code_matches_core(&s, &id, &uri_a()).await;
    let log = s.ipc_log().await;
    assert_no_seed_crossed(&log, &[SEED_A]);
    assert!(
        !serde_json::to_string(&log).unwrap().contains("correct horse"),
        "the IPC log kept the passphrase"
    );
    s.stop();
}

/// Screenshots of every screen in Japanese and English, for docs/screenshots (`./x screenshots`). Ignored in the
/// test run; with `SOFTTOKEN_SCREENSHOT_DIR` unset they go to target/app-screenshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes the documentation's screenshots: ./x screenshots"]
async fn screenshots_of_every_screen() {
    app::run(screenshots_of_every_screen_steps).await;
}

/// Waits until no toast ("settings saved") covers the screen.
async fn quiet(s: &Session) {
    s.wait_js("return !!document.querySelector('[data-testid=\"toast\"]')?.hidden")
        .await;
}

async fn screenshots_of_every_screen_steps(driver: std::path::PathBuf) {
    eprintln!("[screenshots] starting the reference server");
    let server = Server::start();
    for (lang, locale) in [("ja", "ja_JP.UTF-8"), ("en", "en_US.UTF-8")] {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::start(&driver, Start::new(dir.path(), locale, "screenshots")).await;
        let shot = |n: &str| format!("{lang}-{n}");
        s.wait_js("return ['codes','add'].includes(document.body.dataset.screen)")
            .await;
        s.click("nav-codes").await;
        s.wait_screen("codes").await;
        s.shot(&shot("01-codes-empty")).await;

        use_server(&s, &server.base).await;
        quiet(&s).await;
        s.scroll_to("clock-result").await;
        s.shot(&shot("12-clock-check")).await;
        s.c.execute("window.scrollTo(0, 0); return true", vec![])
            .await
            .unwrap();
        s.shot(&shot("09-settings")).await;

        s.click("nav-add").await;
        s.wait_screen("add").await;
        s.shot(&shot("04-add")).await;
        s.click("add-online-submit").await;
        s.wait_screen("serial").await;
        s.shot(&shot("05-serial")).await;
        s.click("serial-done").await;
        s.wait_screen("codes").await;
        // Mid-step, so the picture shows the usual state (the next code appears only in the last 5 s).
        s.wait_js_for(
            "return Number(document.querySelector('[data-testid=\"seconds\"]')?.textContent) >= 8",
            Duration::from_secs(35),
        )
        .await;
        s.shot(&shot("02-code-one-token")).await;
        // The last seconds of a step: the ring changes colour and the next code shows.
        // (A step is 30 s, so this can take up to 26 s.)
        s.wait_js_for(
            "return Number(document.querySelector('[data-testid=\"seconds\"]')?.textContent) <= 4",
            Duration::from_secs(35),
        )
        .await;
        s.shot(&shot("03-code-last-seconds")).await;

        add_uri(&s, &uri_a()).await;
        s.shot(&shot("06-codes-list")).await;
        s.click("nav-add").await;
        s.wait_screen("add").await;
        let junk = dir.path().join("not-a-qr.png");
        png_without_qr(&junk);
        s.find("add-image-input")
            .await
            .send_keys(junk.to_str().unwrap())
            .await
            .unwrap();
        s.find("error").await;
        s.scroll_to("error").await;
        s.shot(&shot("07-add-error")).await;
        s.click("nav-codes").await;
        s.wait_screen("codes").await;
        s.click("token-delete-btn").await;
        s.find("delete-dialog").await;
        s.shot(&shot("08-delete")).await;
        s.click("delete-cancel").await;

        s.click("nav-settings").await;
        s.wait_screen("settings").await;
        s.find("settings-tester").await.click().await.unwrap();
        s.fill("settings-shift", "45").await;
        s.click("settings-save").await;
        s.click("nav-codes").await;
        s.wait_screen("codes").await;
        s.find("tester-banner").await;
        quiet(&s).await;
        s.shot(&shot("10-tester-mode")).await;
        s.stop();

        let nokeys = tempfile::tempdir().unwrap();
        let s = Session::start(
            &driver,
            Start::new(nokeys.path(), locale, "screenshots, no keychain").without_keychain(),
        )
        .await;
        s.wait_screen("vault").await;
        s.shot(&shot("11-no-keychain")).await;
        s.stop();
    }
}

/// The desktop deep-link path: the OS starts the app with the link as its only argument (Linux and Windows); the
/// single-instance plugin hands it to the running app of the same profile over D-Bus, and this start exits.
async fn hand_over(app_dir: &Path, link: &str) {
    let mut second = tokio::process::Command::new(app::app_bin())
        .arg(link)
        .env("SOFTTOKEN_APP_DIR", app_dir)
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), second.wait())
        .await
        .expect("the second start handed its link over and exited (it did not: it opened a second app?)")
        .unwrap();
    assert!(status.success(), "the second start: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clicked_activation_link_is_confirmed_before_anything_is_sent() {
    app::run(a_clicked_activation_link_is_confirmed_before_anything_is_sent_steps).await;
}

async fn a_clicked_activation_link_is_confirmed_before_anything_is_sent_steps(driver: std::path::PathBuf) {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&driver, Start::new(dir.path(), "ja_JP.UTF-8", "deep-link")).await;
    s.wait_screen("codes").await;
    use_server(&s, &server.base).await;

    s.step("a link to a look-alike host, as a phishing mail would send it: the host large, a warning, Cancel first");
    let phish =
        "softtoken://activate?server=https://token.example-shinkin.jp.evil.example&code=ABCD-EFGH-JKMN";
    hand_over(dir.path(), phish).await;
    s.wait_screen("link").await;
    assert_eq!(s.text("link-host").await, "token.example-shinkin.jp.evil.example");
    assert_eq!(s.count("link-warning").await, 1);
    let first =
        s.c.execute(
            "return document.querySelector('.link-card .actions .btn').dataset.testid",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(first, "link-cancel", "the safe choice comes first");
    s.shot("deep-link-warning").await;
    s.click("link-cancel").await;
    s.wait_screen("codes").await;
    assert!(s.token_ids().await.is_empty(), "nothing was provisioned");

    s.step("the bank's activation link (a reissue), handed over the same way: the configured host, then yes");
    let (status, r) = server
        .post("/v1/admin/contracts/1000000002/reissue", &json!({}))
        .await;
    assert_eq!(status, 200, "{r}");
    let link = r["activation_link"].as_str().unwrap().to_string();
    let code = r["activation_code"].as_str().unwrap().to_string();
    hand_over(dir.path(), &link).await;
    s.wait_screen("link").await;
    let base = url::Url::parse(&server.base).unwrap();
    let host = format!("{}:{}", base.host_str().unwrap(), base.port().unwrap());
    assert_eq!(s.text("link-host").await, host);
    assert_eq!(s.count("link-warning").await, 0);
    assert_eq!(s.count("link-known").await, 1);
    assert!(
        s.token_ids().await.is_empty(),
        "nothing provisioned before the customer's yes"
    );
    s.shot("deep-link-known").await;
    s.click("link-continue").await;
    s.wait_screen("serial").await;
    let (id, serial) = finish_serial(&s).await;
    let (status, token) = server.get(&format!("/v1/admin/tokens/{serial}")).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        (token["state"].as_str(), token["contract_id"].as_str()),
        (Some("active"), Some("1000000002")),
        "the link's activation code bound the token to its contract"
    );
    let shown = shown_code(&s, &id).await;
    let (_, v) = server
        .post("/v1/validate", &json!({"serial": serial, "otp": shown}))
        .await;
    assert_eq!(v["valid"], true, "the bank accepts the app's code: {v}");

    s.step("the activation code never reached the webview");
    let log = s.ipc_log().await;
    let plain = code.replace('-', "");
    for entry in &log {
        let text = entry.to_string();
        assert!(
            !text.contains(&code) && !text.contains(&plain),
            "the activation code crossed IPC: {}",
            entry["cmd"]
        );
        check_keys(&entry["answer"], entry["cmd"].as_str().unwrap_or_default());
    }
    s.step("a start with a link: the confirmation first, and a used code is refused by the bank");
    s.stop();
    let s = Session::start(
        &driver,
        Start::new(dir.path(), "en_US.UTF-8", "deep-link-start").with_args(vec![link]),
    )
    .await;
    s.wait_screen("link").await;
    assert_eq!(s.text("link-host").await, host);
    s.click("link-continue").await;
    s.wait_js("return document.querySelector('[data-testid=\"error\"]')?.dataset.code === 'service_refused'")
        .await;
    s.click("link-cancel").await;
    s.wait_screen("codes").await;
    assert_eq!(s.token_ids().await, vec![id]);
}
