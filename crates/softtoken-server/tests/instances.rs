//! Two server instances on one PostgreSQL database, as a bank runs them behind a load balancer: a code is still
//! accepted once when its 50 submissions are split between the instances, and wrong codes sent to both, for
//! many tokens at once in crossing orders, are each counted once, with no request failing. (SQLite is one
//! server process per file; PostgreSQL runs only where SOFTTOKEN_TEST_POSTGRES_URL names a server.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{current, databases, qr_token, Server, TestDb};
use serde_json::{json, Value};

/// `POST /v1/validate` at `base`: (status, body).
fn validate_at(base: &str, api_token: &str, serial: &str, otp: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}/v1/validate"))
        .bearer_auth(api_token)
        .json(&json!({ "serial": serial, "otp": otp }))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

/// Sends all `(base, serial, otp)` at once, one thread each; returns the answers in order.
fn all_at_once(api_token: &str, reqs: Vec<(String, String, String)>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(Barrier::new(reqs.len()));
    let handles: Vec<_> = reqs
        .into_iter()
        .map(|(base, serial, otp)| {
            let (barrier, token) = (barrier.clone(), api_token.to_string());
            std::thread::spawn(move || {
                barrier.wait();
                validate_at(&base, &token, &serial, &otp)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn two_instances(db: &TestDb) {
    let a = Server::start(db);
    let b = a.another_instance();
    let bases = [a.base.clone(), b.base.clone()];
    const TOKENS: u32 = 9;
    a.load_customers(TOKENS);
    let tokens: Vec<_> = (0..TOKENS)
        .map(|i| qr_token(&a, &(2_000_000_000 + i).to_string()))
        .collect();

    // One code, 50 submissions, every other one to the second instance: exactly one success.
    let (serial, totp) = &tokens[0];
    let (code, _) = current(totp);
    let reqs = (0..50)
        .map(|i| (bases[i % 2].clone(), serial.clone(), code.clone()))
        .collect();
    let results = all_at_once(&a.api_token, reqs);
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    let ok = results.iter().filter(|(_, r)| r["valid"] == true).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|(_, r)| r["valid"] == false)
            .all(|(_, r)| r["reason"] == "replayed"),
        "{results:?}"
    );

    // Four wrong codes for each of the other tokens, all at once, spread over both instances so that each
    // instance's batches hold many tokens, in orders that cross the other instance's.
    let mut reqs = Vec::new();
    for round in 0..4 {
        for (k, (serial, totp)) in tokens.iter().enumerate().skip(1) {
            let (right, _) = current(totp);
            let wrong = if right == "000000" { "111111" } else { "000000" };
            let at = &bases[(k + round) % 2];
            reqs.push((at.clone(), serial.clone(), wrong.to_string()));
        }
    }
    // Reverse every other round, so the instances see the tokens in opposite orders.
    let mut crossing = Vec::new();
    for (round, chunk) in reqs.chunks(tokens.len() - 1).enumerate() {
        let mut c = chunk.to_vec();
        if round % 2 == 1 {
            c.reverse();
        }
        crossing.extend(c);
    }
    let results = all_at_once(&a.api_token, crossing);
    assert!(
        results
            .iter()
            .all(|(s, r)| *s == 200 && r["reason"] == "wrong_otp"),
        "every wrong code is answered as one, none fails: {results:?}"
    );
    for (serial, _) in tokens.iter().skip(1) {
        let t = a.token(serial);
        assert_eq!(
            (t["fail_count"].as_i64(), t["locked"].as_bool()),
            (Some(4), Some(false)),
            "{serial}: {t}"
        );
        let (_, audit) = a.get(&format!(
            "/v1/admin/audit?serial={serial}&action=validate&limit=100"
        ));
        let wrong = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["result"] == "wrong_otp")
            .count();
        assert_eq!(wrong, 4, "{serial}: {audit}");
    }
}

#[test]
fn two_instances_on_one_postgresql() {
    let pg: Vec<TestDb> = databases()
        .into_iter()
        .filter(|d| matches!(d, TestDb::Postgres(_)))
        .collect();
    if pg.is_empty() {
        eprintln!("note: no PostgreSQL: the two-instance test did not run");
    }
    for db in pg {
        two_instances(&db);
    }
}
