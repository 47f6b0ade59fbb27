//! Crash trial of the server (issue 17), on SQLite and PostgreSQL: validations of many tokens in flight when the
//! server is killed with SIGKILL; after a restart no code that was accepted is accepted again, every accepted
//! validation has its audit row, and a token has an accepted validation in its audit exactly when its last used
//! step was stored (the accept and its audit row are one transaction).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{databases, Server, TestDb};
use serde_json::{json, Value};
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial, Totp};

const TOKENS: u32 = 400;
const CLIENTS: usize = 8;

fn seed(i: u32) -> Vec<u8> {
    (0..20u32)
        .map(|b| (i.wrapping_mul(31) ^ b.wrapping_mul(7)) as u8)
        .collect()
}

fn serial(i: u32) -> String {
    Serial::new("CRSH", i).unwrap().as_str().to_string()
}

fn totp(i: u32) -> Totp {
    Totp::new(
        &Seed::from_bytes(&seed(i)).unwrap(),
        Params {
            algorithm: Algorithm::Sha1,
            digits: Digits::SIX,
        },
        Period::THIRTY,
    )
}

/// Imports the tokens by PSKC and assigns token i to contract 2000000000+i.
fn set_up(server: &Server) {
    server.load_customers(TOKENS);
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">"#,
    );
    for i in 0..TOKENS {
        xml.push_str(&format!(
            r#"<KeyPackage><DeviceInfo><SerialNo>{}</SerialNo></DeviceInfo><Key Id="k{i}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data><Secret><PlainValue>{}</PlainValue></Secret><TimeInterval><PlainValue>30</PlainValue></TimeInterval></Data></Key></KeyPackage>"#,
            serial(i),
            data_encoding::BASE64.encode(&seed(i))
        ));
    }
    xml.push_str("</KeyContainer>");
    let r = reqwest::blocking::Client::new()
        .post(server.url("/v1/admin/pskc"))
        .bearer_auth(&server.admin_token)
        .body(xml)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    for i in 0..TOKENS {
        let (status, body) = server.post(
            &format!("/v1/admin/tokens/{}/assign", serial(i)),
            &json!({ "contract_id": (2_000_000_000 + i).to_string() }),
        );
        assert_eq!(status, 200, "{body}");
    }
}

fn run(db: &TestDb) {
    let mut server = Server::start(db);
    set_up(&server);
    // Every token's current code, validated once by CLIENTS threads; the server is killed while they run.
    let codes: Vec<(String, String)> = (0..TOKENS)
        .map(|i| (serial(i), common::current(&totp(i)).0))
        .collect();
    let accepted = Arc::new(Mutex::new(BTreeMap::<String, String>::new()));
    let next = Arc::new(Mutex::new(0usize));
    let (url, token) = (server.url("/v1/validate"), server.api_token.clone());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (codes, accepted, next, url, token) = (
                codes.clone(),
                accepted.clone(),
                next.clone(),
                url.clone(),
                token.clone(),
            );
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some((serial, code)) = codes.get(i) else {
                        return;
                    };
                    let answer = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "serial": serial, "otp": code }))
                        .send()
                        .and_then(|r| r.json::<Value>());
                    // No answer (the server is gone): the validation may or may not have been committed.
                    if let Ok(v) = answer {
                        if v["valid"] == true {
                            accepted.lock().unwrap().insert(serial.clone(), code.clone());
                        }
                    }
                }
            })
        })
        .collect();
    while *next.lock().unwrap() < (TOKENS / 3) as usize {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.restart(); // SIGKILL, then the same data and database again
    for c in clients {
        c.join().unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        !accepted.is_empty(),
        "{}: nothing was accepted before the kill",
        db.name()
    );

    // No accepted code is accepted again.
    for (serial, code) in &accepted {
        let v = server.validate(serial, code);
        assert_eq!(
            v["valid"],
            false,
            "{}: {serial}'s code was accepted twice: {v}",
            db.name()
        );
    }
    // The audit's accepted validations are exactly the tokens whose step was stored.
    let (_, audit) = server.get("/v1/admin/audit?action=validate&limit=1000");
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries.len() < 1000,
        "{}: the audit page is full; read more pages",
        db.name()
    );
    let ok: Vec<String> = entries
        .iter()
        .filter(|e| e["result"] == "ok")
        .map(|e| e["serial"].as_str().unwrap().to_string())
        .collect();
    let ok_set: BTreeSet<String> = ok.iter().cloned().collect();
    assert_eq!(
        ok.len(),
        ok_set.len(),
        "{}: a token accepted twice in the audit",
        db.name()
    );
    let stepped: BTreeSet<String> = (0..TOKENS)
        .map(serial)
        .filter(|s| !server.token(s)["last_step"].is_null())
        .collect();
    assert_eq!(
        ok_set,
        stepped,
        "{}: audit rows and stored steps differ",
        db.name()
    );
    let seen: BTreeSet<String> = accepted.keys().cloned().collect();
    assert!(
        seen.is_subset(&stepped),
        "{}: an accepted validation left no trace",
        db.name()
    );
    println!(
        "{}: killed once {} of {TOKENS} validations had been sent; {} answered as accepted, {} committed",
        db.name(),
        TOKENS / 3,
        seen.len(),
        stepped.len()
    );
}

#[test]
fn a_killed_server_accepts_no_code_twice_and_its_audit_matches() {
    for db in databases() {
        run(&db);
    }
}
