//! Only the activation code the bank handed out last provisions (issue 16, point 9): a reissue, or an activation
//! QR, revokes the contract's earlier unused codes, so that a letter or QR that went astray is worth nothing once
//! the customer has asked for a new one. Over real HTTP, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use common::{databases, Phone, Server, TestDb};
use serde_json::json;

const CONTRACT: &str = "1000000003";

fn provision_with(server: &Server, code: &str) -> std::process::Output {
    Phone::new().try_cli(&["provision", "--server", &server.base, "--activation-code", code])
}

fn only_the_last_code_provisions(db: &TestDb) {
    let server = Server::start(db);
    let reissue = || {
        let (status, body) = server.post(&format!("/v1/admin/contracts/{CONTRACT}/reissue"), &json!({}));
        assert_eq!(status, 200, "{body}");
        body["activation_code"].as_str().unwrap().to_string()
    };
    let first = reissue();
    let second = reissue();
    // An activation QR is a new code too.
    let (status, _) = server.post(
        "/v1/admin/qr",
        &json!({"kind": "activation", "contract_id": CONTRACT}),
    );
    assert_eq!(status, 200);
    for old in [&first, &second] {
        let out = provision_with(&server, old);
        assert!(
            !out.status.success(),
            "{}: an earlier code still provisions",
            db.name()
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("activation_code_invalid"), "{err}");
    }
    let (_, audit) = server.get(&format!("/v1/admin/audit?contract_id={CONTRACT}&action=reissue"));
    assert_eq!(
        audit["entries"][0]["detail"], "revoked 0 tokens, 1 unused activation codes",
        "{audit}"
    );
    let (_, audit) = server.get(&format!(
        "/v1/admin/audit?contract_id={CONTRACT}&action=qr_activation"
    ));
    assert_eq!(
        audit["entries"][0]["detail"], "revoked 1 unused activation codes",
        "{audit}"
    );

    // The last one still works, once.
    let third = reissue();
    let out = provision_with(&server, &third);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, tokens) = server.get(&format!("/v1/admin/contracts/{CONTRACT}/tokens"));
    assert_eq!(tokens["tokens"][0]["state"], "active", "{tokens}");
    assert!(
        !provision_with(&server, &third).status.success(),
        "a code provisions once"
    );
}

#[test]
fn a_new_activation_code_revokes_the_earlier_unused_ones() {
    for db in databases() {
        only_the_last_code_provisions(&db);
    }
}
