//! What nobody without a login can make grow for good, on SQLite and PostgreSQL:
//! - a housekeeping pass deletes expired internet-banking sessions and tokens provisioned online but never
//!   registered once they are older than the limit (each with an audit row), and nothing else (not the bank's
//!   PSKC imports, not a registered token);
//! - provisioning is limited per client address: a script gets 429s, and a refused request stores nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clap::Parser;
use common::{assert_page, databases, qr_token, Ib, Phone, Server, TestDb};
use serde_json::Value;
use softtoken_core::provisioning::ClientHandshake;
use softtoken_server::housekeeping::{pass, Purged};

const DAY: i64 = 24 * 60 * 60;

fn count(server: &Server, table: &str) -> i64 {
    let (_, status) = server.get("/v1/admin/status");
    status["counts"][table]
        .as_i64()
        .unwrap_or_else(|| panic!("no count of {table}: {status}"))
}

/// The server's state, opened a second time in this process (as a second instance would), to run passes at a
/// chosen time.
async fn state_beside(server: &Server) -> softtoken_server::AppState {
    let args = softtoken_server::Args::parse_from([
        "softtoken-server",
        "--data",
        server.data.path().to_str().unwrap(),
        "--database",
        &server.db_url,
    ]);
    softtoken_server::config::build_state(&args).await.unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// The audit actions recorded for `serial`, sorted.
fn audit_actions(server: &Server, serial: &str) -> Vec<String> {
    let (_, body) = server.get(&format!("/v1/admin/audit?serial={serial}"));
    let mut v: Vec<String> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn unregistered_tokens_and_expired_sessions_are_purged_and_nothing_else() {
    for db in databases() {
        let server = Server::start(&db);
        let phone = Phone::new();
        let unregistered = phone.provision(&server);
        let (registered, _) = qr_token(&server, "1000000002");
        // Tokens the bank imported wait for their customers however long it takes.
        let pskc = std::fs::read(format!(
            "{}/../softtoken-core/tests/fixtures/pskc/encrypted-3keys.pskcxml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let r = reqwest::blocking::Client::new()
            .post(server.url("/v1/admin/pskc"))
            .bearer_auth(&server.admin_token)
            .header("x-pskc-key", "2b7e151628aed2a6abf7158809cf4f3c")
            .body(pskc)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", db.name());
        let imported: Value = r.json().unwrap();
        let imported: Vec<String> = imported["serials"]
            .as_array()
            .unwrap_or_else(|| panic!("{imported}"))
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        assert_eq!(imported.len(), 3, "{}", db.name());
        let mut ib = Ib::new(&server);
        let (status, _) = ib.get("/ib/login");
        assert_eq!(status, 200);
        assert_eq!(
            count(&server, "sessions"),
            0,
            "{}: a page view stores no session",
            db.name()
        );
        let (status, _) = ib.post(
            "/ib/login",
            &[("contract_id", "1000000002"), ("password", "demo-pass-2")],
        );
        assert_eq!(status, 200);
        let sessions = count(&server, "sessions");
        assert_eq!(sessions, 1, "{}: a login stores its session", db.name());

        let rt = rt();
        let state = rt.block_on(state_beside(&server));
        let now = softtoken_core::now() as i64;
        // Today nothing is old enough: the pass changes nothing.
        let before = server.snapshot();
        let p = rt.block_on(pass(&state.svc, now)).unwrap();
        assert_eq!(p, Purged::default(), "{}", db.name());
        assert_eq!(server.snapshot(), before, "{}", db.name());

        // Eight days on: the unregistered token and the (15-minute) sessions go; the registered token stays.
        let p = rt.block_on(pass(&state.svc, now + 8 * DAY)).unwrap();
        assert_eq!(
            p,
            Purged {
                sessions: sessions as u64,
                tokens: 1
            },
            "{}",
            db.name()
        );
        assert_eq!(count(&server, "sessions"), 0, "{}", db.name());
        let (status, body) = server.get(&format!("/v1/admin/tokens/{unregistered}"));
        assert_eq!(status, 404, "{}: {body}", db.name());
        assert_eq!(server.token(&registered)["state"], "active", "{}", db.name());
        for serial in &imported {
            assert_eq!(server.token(serial)["state"], "issued", "{}: {serial}", db.name());
        }
        assert_eq!(
            audit_actions(&server, &unregistered),
            ["provision", "token_expire"],
            "{}: the bank can still tell what became of the serial",
            db.name()
        );

        // A second pass finds nothing more.
        let p = rt.block_on(pass(&state.svc, now + 8 * DAY)).unwrap();
        assert_eq!(p, Purged::default(), "{}", db.name());

        // The customer who comes to register the expired serial is told what happened and what to do.
        let mut ib = Ib::new(&server);
        ib.get("/ib/register");
        ib.post(
            "/ib/register",
            &[("contract_id", "1000000001"), ("password", "demo-pass-1")],
        );
        let (status, html) = ib.post(
            "/ib/register",
            &[
                ("serial", &unregistered),
                ("otp", "123456"),
                ("transfer_password", "1111"),
            ],
        );
        assert_eq!(status, 422, "{}", db.name());
        assert_page(&html, "もう一度取得してください");
        drop(rt);
    }
}

#[test]
fn provisioning_is_limited_per_client_and_a_refusal_stores_nothing() {
    for db in databases() {
        let server = Server::start(&db);
        let client = reqwest::blocking::Client::new();
        let tokens_before = count(&server, "tokens");
        let mut ok = 0;
        let mut refused: Option<Value> = None;
        // 20 a minute from one address: within 41 requests one is refused, even if a minute boundary falls in
        // between.
        for _ in 0..41 {
            let (_, req) = ClientHandshake::start(None).unwrap();
            let r = client
                .post(server.url("/v1/provision"))
                .json(&req)
                .send()
                .unwrap();
            match r.status().as_u16() {
                200 => ok += 1,
                429 => {
                    refused = Some(r.json().unwrap());
                    break;
                }
                s => panic!("{}: unexpected {s}: {}", db.name(), r.text().unwrap()),
            }
        }
        let body = refused.unwrap_or_else(|| panic!("{}: 41 provisionings, none refused", db.name()));
        assert!(ok >= 20, "{}: only {ok} allowed before the 429", db.name());
        assert_eq!(body["error"]["code"], "rate_limited", "{}: {body}", db.name());
        assert_eq!(
            count(&server, "tokens"),
            tokens_before + ok,
            "{}: a refused provisioning stores no token",
            db.name()
        );
    }
}

/// A flood of anonymous provisionings (from many addresses, here named by a trusted proxy) uses up the anonymous
/// budget only: a customer with the bank's activation code still gets their token (issue 16, point 7).
#[test]
fn anonymous_provisioning_cannot_use_up_the_activation_budget() {
    let server = Server::start_with(&TestDb::Sqlite, &["--trusted-proxy", "127.0.0.1/32"]);
    let client = reqwest::blocking::Client::new();
    let provision = |from: &str, code: Option<&str>| {
        let (_, req) = ClientHandshake::start(code).unwrap();
        client
            .post(server.url("/v1/provision"))
            .header("x-forwarded-for", from)
            .json(&req)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let mut refused_at = None;
    for i in 0..(softtoken_server::api::PROVISIONS_PER_MINUTE + 20) {
        // 20 a minute per address: a new address every 10 requests.
        let from = format!("198.51.{}.{}", i / 2500, (i / 10) % 250);
        if provision(&from, None) == 429 {
            refused_at = Some(i);
            break;
        }
    }
    assert!(refused_at.is_some(), "the anonymous budget was never used up");
    assert_eq!(
        provision("203.0.113.50", None),
        429,
        "a new address: the global anonymous budget is spent"
    );
    let (status, body) = server.post("/v1/admin/contracts/1000000003/reissue", &serde_json::json!({}));
    assert_eq!(status, 200, "{body}");
    let code = body["activation_code"].as_str().unwrap();
    assert_eq!(
        provision("203.0.113.51", Some(code)),
        200,
        "the customer with a code got their token"
    );
}
