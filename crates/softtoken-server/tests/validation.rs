//! Validation over real HTTP on every database: a code is accepted once even under 50 concurrent requests,
//! lockout after N wrong codes persists across sessions until the bank unlocks, resync with two codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};

use common::{assert_page, current, databases, qr_token, Ib, Server, TestDb, PERIOD};
use serde_json::{json, Value};
use softtoken_core::Totp;

fn wait_next_step(totp: &Totp, after: u64) {
    while totp.step_at(softtoken_core::now()) <= after {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn replay_once(db: &TestDb) {
    let server = Arc::new(Server::start(db));
    let (serial, totp) = qr_token(&server, "1000000003");
    let (code, _) = current(&totp);
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (server, serial, code, barrier) =
                (server.clone(), serial.clone(), code.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                server.validate(&serial, &code)
            })
        })
        .collect();
    let results: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r["valid"] == true).count();
    assert_eq!(
        ok,
        1,
        "exactly one of 50 concurrent submissions succeeds on {}: {results:?}",
        db.name()
    );
    assert!(
        results
            .iter()
            .filter(|r| r["valid"] == false)
            .all(|r| r["reason"] == "replayed"),
        "{results:?}"
    );
    // Replays are not guesses: they do not count towards the lockout.
    let t = server.token(&serial);
    assert_eq!(
        (t["fail_count"].as_i64(), t["locked"].as_bool()),
        (Some(0), Some(false)),
        "{t}"
    );
    let (_, audit) = server.get(&format!(
        "/v1/admin/audit?serial={serial}&action=validate&limit=100"
    ));
    let oks = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["result"] == "ok")
        .count();
    assert_eq!(oks, 1);
}

fn concurrent_failures(db: &TestDb) {
    let server = Arc::new(Server::start(db));
    let (serial, totp) = qr_token(&server, "1000000001");
    let (right, _) = current(&totp);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let barrier = Arc::new(Barrier::new(12));
    let handles: Vec<_> = (0..12)
        .map(|_| {
            let (server, serial, barrier) = (server.clone(), serial.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                server.validate(&serial, wrong)
            })
        })
        .collect();
    let results: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // Each wrong code read before the lock is counted exactly once (the counts seen are 1..=k, no gaps, no
    // repeats, k at least the limit of 5); those read after it are refused as `locked` and not counted.
    let mut counts: Vec<i64> = results.iter().filter_map(|r| r["fail_count"].as_i64()).collect();
    counts.sort_unstable();
    let k = counts.len() as i64;
    assert!(k >= 5, "{results:?}");
    assert_eq!(counts, (1..=k).collect::<Vec<_>>(), "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r["fail_count"].is_null())
            .all(|r| r["reason"] == "locked"),
        "{results:?}"
    );
    let t = server.token(&serial);
    assert_eq!(
        (t["fail_count"].as_i64(), t["locked"].as_bool()),
        (Some(k), Some(true))
    );
    let (_, audit) = server.get(&format!("/v1/admin/audit?serial={serial}&action=lock"));
    assert_eq!(
        audit["entries"].as_array().unwrap().len(),
        1,
        "exactly one lock record: {audit}"
    );
}

fn lockout(db: &TestDb) {
    let server = Server::start(db);
    let (serial, totp) = qr_token(&server, "1000000001");
    let (right, step) = current(&totp);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for i in 1..=5 {
        let r = server.validate(&serial, wrong);
        assert_eq!(r["reason"], "wrong_otp", "{r}");
        assert_eq!(r["fail_count"], i);
        assert_eq!(r["locked"], i == 5, "{r}");
    }
    // Locked: even the right code is refused, and a new internet-banking session sees the lock too.
    assert_eq!(server.validate(&serial, &right)["reason"], "locked");
    let mut ib = Ib::new(&server);
    ib.get("/ib/login");
    ib.post(
        "/ib/login",
        &[("contract_id", "1000000001"), ("password", "demo-pass-1")],
    );
    let (_, html) = ib.post("/ib/login", &[("otp", &right)]);
    assert_page(&html, "トークンはロックされています");
    assert_eq!(server.token(&serial)["locked"], true);
    // The bank unlocks; the next fresh code works.
    let (status, t) = server.post(&format!("/v1/admin/tokens/{serial}/unlock"), &json!({}));
    assert_eq!(
        (status, t["locked"].as_bool(), t["fail_count"].as_i64()),
        (200, Some(false), Some(0))
    );
    wait_next_step(&totp, step);
    let (code, _) = current(&totp);
    assert_eq!(server.validate(&serial, &code)["valid"], true);
    let (_, audit) = server.get(&format!("/v1/admin/audit?serial={serial}&limit=100"));
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"lock") && actions.contains(&"unlock"),
        "{actions:?}"
    );
}

fn resync(db: &TestDb) {
    let server = Server::start(db);
    let (serial, totp) = qr_token(&server, "1000000002");
    // The phone's clock runs 40 steps ahead: its codes are outside the ±1 window.
    let ahead = 40 * PERIOD;
    let now = softtoken_core::now();
    let drifted = totp.code_at(now + ahead).to_string();
    assert_eq!(server.validate(&serial, &drifted)["reason"], "wrong_otp");
    server.post(&format!("/v1/admin/tokens/{serial}/unlock"), &json!({}));
    // Two consecutive codes as the phone shows them.
    let s = totp.step_at(softtoken_core::now() + ahead);
    let (c1, c2) = (
        totp.code_for_step(s + 1).to_string(),
        totp.code_for_step(s + 2).to_string(),
    );
    let (status, r) = server.post("/v1/resync", &json!({ "serial": serial, "otp1": c1, "otp2": c2 }));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["valid"], true, "{r}");
    let drift = r["drift"].as_i64().unwrap();
    assert!((40..=43).contains(&drift), "drift {drift}");
    // From now on the drifted phone's codes are accepted.
    let next = totp.code_for_step(s + 3).to_string();
    assert_eq!(server.validate(&serial, &next)["valid"], true);
    assert_eq!(
        server.token(&serial)["drift"]
            .as_i64()
            .map(|d| (40..=44).contains(&d)),
        Some(true)
    );
}

#[test]
fn replay_fifty_concurrent_exactly_one_success() {
    for db in databases() {
        replay_once(&db);
    }
}

#[test]
fn concurrent_wrong_codes_are_each_counted_and_lock_once() {
    for db in databases() {
        concurrent_failures(&db);
    }
}

#[test]
fn lockout_persists_until_the_bank_unlocks() {
    for db in databases() {
        lockout(&db);
    }
}

#[test]
fn resync_with_two_consecutive_codes() {
    for db in databases() {
        resync(&db);
    }
}

#[test]
fn time_endpoint_and_date_header() {
    let server = Server::start(&TestDb::Sqlite);
    let r = reqwest::blocking::get(server.url("/v1/time")).unwrap();
    assert!(r.headers().contains_key("date"));
    let j: Value = r.json().unwrap();
    let t = j["time"].as_i64().unwrap();
    assert!((t - softtoken_core::now() as i64).abs() <= 2);
}
