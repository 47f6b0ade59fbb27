//! A contract has one token in use (the guides' model: 交換 replaces it, 利用停止 stops it). The database enforces
//! it, and every way to a second one is refused with 409 `has_active_token` and changes nothing: the bank's
//! assign, its otpauth QR, and online provisioning with an activation code, whose code then stays usable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};

use common::{cli_bin, databases, Phone, Server, TestDb};
use serde_json::{json, Value};

const CONTRACT: &str = "1000000002";

/// What must not change when a request is refused: every token of the demo contracts and the row counts.
fn state(server: &Server) -> (Value, Value) {
    let s = server.snapshot();
    (s["tokens"].clone(), s["status"]["counts"].clone())
}

fn refused_409(label: &str, got: (u16, Value)) {
    assert_eq!(got.0, 409, "{label}: {}", got.1);
    assert_eq!(got.1["error"]["code"], "has_active_token", "{label}: {}", got.1);
    assert!(
        got.1["error"]["message"].as_str().unwrap().contains("exchange"),
        "{label}: the message says what to do: {}",
        got.1
    );
}

fn active_serials(server: &Server) -> Vec<String> {
    let (_, body) = server.get(&format!("/v1/admin/contracts/{CONTRACT}/tokens"));
    body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "active")
        .map(|t| t["serial"].as_str().unwrap().to_string())
        .collect()
}

fn run(db: &TestDb) {
    let server = Server::start(db);
    let qr = json!({"kind": "otpauth", "contract_id": CONTRACT});

    // The first token in use: the bank's otpauth QR.
    assert_eq!(server.post("/v1/admin/qr", &qr).0, 200);
    let first = active_serials(&server);
    assert_eq!(first.len(), 1);

    // A second QR token for the same contract.
    let before = state(&server);
    refused_409("second otpauth QR", server.post("/v1/admin/qr", &qr));
    assert_eq!(state(&server), before, "second otpauth QR changed the database");

    // Assigning a token the app provisioned.
    let phone = Phone::new();
    let b = phone.provision(&server);
    let before = state(&server);
    refused_409(
        "assign",
        server.post(
            &format!("/v1/admin/tokens/{b}/assign"),
            &json!({ "contract_id": CONTRACT }),
        ),
    );
    assert_eq!(state(&server), before, "refused assign changed the database");
    assert_eq!(server.token(&b)["state"], "issued");

    // Reissue (lost phone): the token in use is revoked and an activation code is given. Meanwhile the customer
    // registers another token (here by the bank's assign), so the code would make a second one: refused, and
    // the code is not used up.
    let (status, reissue) = server.post(&format!("/v1/admin/contracts/{CONTRACT}/reissue"), &json!({}));
    assert_eq!(status, 200, "{reissue}");
    assert_eq!(reissue["revoked"], json!(first));
    let code = reissue["activation_code"].as_str().unwrap().to_string();
    let (status, body) = server.post(
        &format!("/v1/admin/tokens/{b}/assign"),
        &json!({ "contract_id": CONTRACT }),
    );
    assert_eq!(status, 200, "{body}");
    let before = state(&server);
    let phone2 = Phone::new();
    let out = Command::new(cli_bin())
        .arg("--store")
        .arg(format!("file:{}", phone2.vault.display()))
        .args(["provision", "--server", &server.base, "--activation-code", &code])
        .env("SOFTTOKEN_PASSPHRASE", "phone passphrase")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a second token in use was provisioned");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has_active_token"), "{stderr}");
    assert_eq!(
        state(&server),
        before,
        "refused provisioning changed the database"
    );

    // Once that token is stopped (here revoked by the bank), the same code works: it was never used up.
    assert_eq!(
        server.post(&format!("/v1/admin/tokens/{b}/revoke"), &json!({})).0,
        200
    );
    let c = phone2.cli(&["provision", "--server", &server.base, "--activation-code", &code]);
    let c = c.lines().last().unwrap().trim().to_string();
    assert_eq!(active_serials(&server), vec![c.clone()]);
    let code_now = phone2.fresh_code(&c);
    assert_eq!(server.validate(&c, &code_now)["valid"], true);
}

#[test]
fn a_contract_has_one_token_in_use() {
    for db in databases() {
        run(&db);
    }
}
