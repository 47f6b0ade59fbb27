//! Two credentials with one job each (issue 16, attack 4): before, one bearer token opened both /v1/validate and
//! /v1/admin, so a system that only checks codes could reissue (getting an activation code for any contract) or
//! fetch an otpauth QR with a seed. Over real HTTP against the server binary, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{data_path, databases, Server, TestDb};
use serde_json::{json, Value};

fn call(server: &Server, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let c = reqwest::blocking::Client::new();
    let req = match method {
        "GET" => c.get(server.url(path)),
        _ => c.post(server.url(path)).json(&body),
    };
    let r = req.bearer_auth(token).send().unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

fn each_token_opens_its_own_api_only(db: &TestDb) {
    let server = Server::start(db);
    let (api, admin) = (server.api_token.clone(), server.admin_token.clone());
    assert_ne!(api, admin);
    for name in ["api-token", "admin-token"] {
        let mode = std::fs::metadata(data_path(&server).join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} is readable by others: {mode:o}");
    }

    // The validating system's token, at every one of the bank's operations: refused, and nothing happens. The
    // credential is checked before the path's token or contract is looked up, so an unknown one (the last
    // column) is refused alike and its existence is not told.
    let admin_calls: [(&str, &str, Value); 12] = [
        ("POST", "/v1/admin/contracts/1000000001/reissue", json!({})),
        ("POST", "/v1/admin/contracts/9999999999/reissue", json!({})),
        (
            "POST",
            "/v1/admin/qr",
            json!({"kind": "otpauth", "contract_id": "1000000001"}),
        ),
        ("GET", "/v1/admin/audit", json!(null)),
        ("GET", "/v1/admin/status", json!(null)),
        (
            "POST",
            "/v1/admin/contracts/1000000001/unlock-transfer",
            json!({}),
        ),
        (
            "POST",
            "/v1/admin/contracts/9999999999/unlock-registration",
            json!({}),
        ),
        ("GET", "/v1/admin/contracts/9999999999/tokens", json!(null)),
        ("GET", "/v1/admin/tokens/SKTN00000000", json!(null)),
        ("POST", "/v1/admin/tokens/SKTN00000000/revoke", json!({})),
        ("POST", "/v1/admin/tokens/SKTN00000000/unlock", json!({})),
        (
            "POST",
            "/v1/admin/tokens/SKTN00000000/assign",
            json!({"contract_id": "1000000001"}),
        ),
    ];
    for (method, path, body) in &admin_calls {
        let (status, b) = call(&server, method, path, &api, body.clone());
        assert_eq!(
            (status, b["error"]["code"].as_str()),
            (403, Some("wrong_credential")),
            "{path}: {b}"
        );
        let (status, b) = call(&server, method, path, "not-a-token-at-all", body.clone());
        assert_eq!(status, 401, "{path}: {b}");
    }
    let (_, audit) = server.get("/v1/admin/audit?action=reissue");
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(0),
        "no reissue happened: {audit}"
    );

    // The operators' token at validation: refused too.
    for (path, body) in [
        ("/v1/validate", json!({"serial": "SKTN12345671", "otp": "123456"})),
        (
            "/v1/resync",
            json!({"serial": "SKTN12345671", "otp1": "123456", "otp2": "654321"}),
        ),
    ] {
        let (status, b) = call(&server, "POST", path, &admin, body);
        assert_eq!(
            (status, b["error"]["code"].as_str()),
            (403, Some("wrong_credential")),
            "{path}: {b}"
        );
    }

    // Each at its own API.
    let (status, b) = call(
        &server,
        "POST",
        "/v1/validate",
        &api,
        json!({"serial": "SKTN12345671", "otp": "123456"}),
    );
    assert!(![401, 403].contains(&status), "{status} {b}");
    let (status, b) = call(&server, "GET", "/v1/admin/audit", &admin, json!(null));
    assert_eq!(status, 200, "{b}");
    // An unknown token is a 401, as before.
    let (status, _) = call(
        &server,
        "GET",
        "/v1/admin/audit",
        "not-a-token-at-all",
        json!(null),
    );
    assert_eq!(status, 401);
}

#[test]
fn each_token_opens_its_own_api_only_on_every_database() {
    for db in databases() {
        each_token_opens_its_own_api_only(&db);
    }
}

/// Before: the PSKC import read its body (up to 10 MiB) before it looked at the credential, so anyone could make
/// the server buffer 10 MiB per request. Now a request without the admin token is refused as soon as its head has
/// arrived: here one that announces 10 MB and sends none of it gets its 401 at once, not after the body timeout.
#[test]
fn the_pskc_import_refuses_a_stranger_before_reading_the_body() {
    use std::io::{Read, Write};
    let server = Server::start(&TestDb::Sqlite);
    let addr = server.base.trim_start_matches("http://").to_string();
    for auth in ["", "Authorization: Bearer not-the-admin-token\r\n"] {
        let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            tcp,
            "POST /v1/admin/pskc HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/pskc+xml\r\n\
             Content-Length: 10000000\r\n\r\n"
        )
        .unwrap();
        let mut head = [0u8; 12];
        tcp.read_exact(&mut head).expect("an answer before the body");
        assert_eq!(&head, b"HTTP/1.1 401", "{auth:?}");
    }
    // The bank's own import of a file over the limit is refused by its announced length, before any of it is
    // sent. (Over raw TCP: an HTTP client still writing the body may meet the closed connection first.)
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        tcp,
        "POST /v1/admin/pskc HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/pskc+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.admin_token,
        softtoken_core::pskc::MAX_PSKC_BYTES + 1
    )
    .unwrap();
    let (mut answer, mut buf) = (Vec::new(), [0u8; 4096]);
    while !String::from_utf8_lossy(&answer).contains("body_too_large") {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"body_too_large\""), "{answer}");
}
