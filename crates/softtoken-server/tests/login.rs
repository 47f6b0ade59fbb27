//! Login passwords (issue 16, attacks 3 and 11), over real HTTP against the server binary, on SQLite and
//! PostgreSQL: wrong ones make the client's address wait, longer after each (counted in the database, so across a
//! restart), and during the wait not even the right password is looked at; the wait is per contract and address,
//! so a third party's guesses cannot keep the customer out; failed logins are audited with the contract ID and the
//! address. Before, the login password never locked, the only limit was in memory, and it counted per contract
//! ID, so that anyone could keep a known contract out of internet banking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use common::{assert_page, databases, Ib, Server, TestDb};

/// Login OTP is off for this contract: the right password leads straight to the home page.
const CONTRACT: &str = "1000000002";
const PASSWORD: &str = "demo-pass-2";
const WRONG: &str = "契約者IDまたはログインパスワードが正しくありません。";
const WAIT: &str = "この端末からのログインを一時的に停止しています。";
const WELCOME: &str = "信金 花子さん、ようこそ";

fn login(ib: &mut Ib<'_>, password: &str) -> (u16, String) {
    ib.get("/ib/login");
    ib.post("/ib/login", &[("contract_id", CONTRACT), ("password", password)])
}

fn guesses_wait_per_contract_and_address(db: &TestDb) {
    let mut server = Server::start(db);
    {
        let mut attacker = Ib::from_address(&server, "127.0.0.2");
        for _ in 0..4 {
            let (status, html) = login(&mut attacker, "guess");
            assert_eq!(status, 422);
            assert_page(&html, WRONG);
            assert!(!html.contains(WAIT), "the first four cost nothing");
        }
        let (_, html) = login(&mut attacker, "guess");
        assert_page(&html, WRONG);
        assert_page(&html, "30秒ほど待って");
    }
    server.restart();
    // After a restart the address still waits: even the right password is refused unchecked, and nothing says
    // whether it was right.
    let mut attacker = Ib::from_address(&server, "127.0.0.2");
    let (status, html) = login(&mut attacker, PASSWORD);
    assert_eq!(status, 422, "{}", db.name());
    assert_page(&html, WAIT);
    assert!(!html.contains(WRONG) && !html.contains(WELCOME));

    // The customer, on their own device, logs in at once: the attacker's guesses did not lock them out.
    let mut customer = Ib::from_address(&server, "127.0.0.3");
    let (status, html) = login(&mut customer, PASSWORD);
    assert_eq!(status, 200, "{}", db.name());
    assert_page(&html, WELCOME);

    // The audit names the contract and the address of each failure and of the refusal during the wait; a junk
    // or unknown contract ID is not recorded as one.
    let mut other = Ib::from_address(&server, "127.0.0.4");
    other.get("/ib/login");
    other.post("/ib/login", &[("contract_id", "9999999999"), ("password", "x")]);
    let (_, audit) = server.get(&format!("/v1/admin/audit?contract_id={CONTRACT}&action=ib_auth"));
    let entries: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["result"].as_str().unwrap().to_string(),
                e["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let count =
        |result: &str, detail: &str| entries.iter().filter(|(r, d)| r == result && d == detail).count();
    assert_eq!(count("bad_credentials", "login from 127.0.0.2"), 5, "{entries:?}");
    assert_eq!(count("login_waiting", "login from 127.0.0.2"), 1, "{entries:?}");
    assert_eq!(count("ok", "login"), 1, "{entries:?}");
    let (_, audit) = server.get("/v1/admin/audit?contract_id=9999999999");
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(0), "{audit}");
}

#[test]
fn wrong_login_passwords_make_that_address_wait_across_a_restart() {
    for db in databases() {
        guesses_wait_per_contract_and_address(&db);
    }
}

/// Five wrong passwords from `ib`: the last one starts the wait.
fn five_wrong(ib: &mut Ib<'_>) {
    for _ in 0..5 {
        login(ib, "guess");
    }
}

/// Behind a reverse proxy (attack 5): with `--trusted-proxy`, the waits are per client as the proxy names it;
/// without it, the header is not believed, so a client cannot escape its wait by naming another address.
#[test]
fn behind_a_trusted_proxy_the_waits_are_per_client() {
    let proxied = Server::start_with(&TestDb::Sqlite, &["--trusted-proxy", "127.0.0.1/32"]);
    five_wrong(&mut Ib::forwarded_for(&proxied, "203.0.113.7"));
    let (_, html) = login(&mut Ib::forwarded_for(&proxied, "203.0.113.7"), PASSWORD);
    assert_page(&html, WAIT);
    let (status, html) = login(&mut Ib::forwarded_for(&proxied, "198.51.100.9"), PASSWORD);
    assert_eq!(status, 200);
    assert_page(&html, WELCOME);
    let (_, audit) = proxied.get(&format!("/v1/admin/audit?contract_id={CONTRACT}&action=ib_auth"));
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"] == "login from 203.0.113.7"),
        "{audit}"
    );

    let direct = Server::start(&TestDb::Sqlite);
    five_wrong(&mut Ib::forwarded_for(&direct, "203.0.113.7"));
    let (status, html) = login(&mut Ib::forwarded_for(&direct, "198.51.100.9"), PASSWORD);
    assert_eq!(status, 422, "an untrusted peer's X-Forwarded-For was believed");
    assert_page(&html, WAIT);
}
