//! Unregistered tokens against a probing customer (issue 16, point 10), over real HTTP against the server binary,
//! on SQLite and PostgreSQL. Before: the register step told an unknown serial from a taken one, and five wrong
//! codes locked any unregistered token, e.g. a hardware token imported by PSKC and waiting for its customer. Now
//! every refused proof of a new token gets the same words, no such token locks, and the contract that keeps
//! failing waits for the bank instead, which bounds guessing another token's code; and one session ends its
//! procedure after three refused proofs, so each further guess costs a login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use common::{assert_page, databases, qr_token, Ib, Phone, Server, TestDb};
use serde_json::json;

/// The prober: a customer with no token, logged in at 利用登録 with the transfer password at hand.
const PROBER: &str = "1000000002";
const PASSWORD: &str = "demo-pass-2";
const TRANSFER: &str = "2222";
const REFUSED: &str = "シリアル番号またはワンタイムパスワードが正しくないか、このトークンは登録できません。";
const LOCKED: &str = "トークンの登録と交換を停止しています";
/// The end of the procedure after three refused proofs in one session.
const TRIES_OVER: &str = "入力誤りが続いたため、この手続きを終了しました。";

fn at_register_step<'a>(server: &'a Server) -> Ib<'a> {
    let mut ib = Ib::new(server);
    ib.get("/ib/register");
    let (_, html) = ib.post("/ib/register", &[("contract_id", PROBER), ("password", PASSWORD)]);
    assert_page(&html, "振込用パスワード");
    ib
}

fn try_serial(ib: &mut Ib<'_>, serial: &str, otp: &str) -> (u16, String) {
    ib.post(
        "/ib/register",
        &[("serial", serial), ("otp", otp), ("transfer_password", TRANSFER)],
    )
}

fn probing_locks_the_prober_not_the_tokens(db: &TestDb) {
    let server = Server::start(db);
    // Someone else's unregistered token (as the app provisions it), and someone else's active token.
    let victim_phone = Phone::new();
    let unregistered = victim_phone.provision(&server);
    let (taken, _) = qr_token(&server, "1000000001");
    // An unknown serial, a taken one and a wrong code for an unregistered one: the same words.
    let unknown = "SKTN00000000";
    let mut pages = Vec::new();
    for serial in [unknown, taken.as_str(), unregistered.as_str()] {
        let mut ib = at_register_step(&server);
        let (status, html) = try_serial(&mut ib, serial, "000000");
        assert_eq!(status, 422, "{}: {serial}", db.name());
        assert_page(&html, REFUSED);
        let alert = &html[html.find("role=\"alert\"").unwrap()..];
        pages.push(alert[..alert.find("</").unwrap()].to_string());
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "{pages:?}");

    // Six more wrong codes for the unregistered token, three per login: the third in a session ends the
    // procedure (the prober must log in again), and the token does not lock (it counts nothing) …
    for _ in 0..2 {
        let mut ib = at_register_step(&server);
        for _ in 0..2 {
            assert_page(&try_serial(&mut ib, &unregistered, "000000").1, REFUSED);
        }
        let (status, html) = try_serial(&mut ib, &unregistered, "000000");
        assert_eq!(status, 422);
        assert_page(&html, TRIES_OVER);
        assert_page(&html, "ログインパスワード");
    }
    let t = server.token(&unregistered);
    assert_eq!(
        (t["locked"].as_bool(), t["fail_count"].as_i64()),
        (Some(false), Some(0)),
        "{t}"
    );
    // … but the 10th refused proof in a row stops the prober's own registrations, even with a right code.
    let mut ib = at_register_step(&server);
    assert_page(&try_serial(&mut ib, &unregistered, "000000").1, LOCKED);
    let mut ib = at_register_step(&server);
    let right = victim_phone.fresh_code(&unregistered);
    assert_page(&try_serial(&mut ib, &unregistered, &right).1, LOCKED);
    assert_eq!(
        server.token(&unregistered)["state"],
        "issued",
        "nothing was bound"
    );

    // Its owner registers it as usual.
    let mut owner = Ib::new(&server);
    owner.get("/ib/register");
    owner.post(
        "/ib/register",
        &[("contract_id", "1000000003"), ("password", "demo-pass-3")],
    );
    let (status, html) = owner.post(
        "/ib/register",
        &[
            ("serial", &unregistered),
            ("otp", &victim_phone.fresh_code(&unregistered)),
            ("transfer_password", "3333"),
        ],
    );
    assert_eq!(status, 200, "{html}");
    assert_page(&html, "ワンタイムパスワードの利用登録が完了しました。");

    // The bank lets the prober register again.
    let (status, _) = server.post(
        &format!("/v1/admin/contracts/{PROBER}/unlock-registration"),
        &json!({}),
    );
    assert_eq!(status, 200);
    let mut ib = at_register_step(&server);
    assert_page(&try_serial(&mut ib, unknown, "000000").1, REFUSED);
    let (_, audit) = server.get(&format!(
        "/v1/admin/audit?contract_id={PROBER}&action=ib_register"
    ));
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["result"] == "registration_locked"),
        "{audit}"
    );
}

#[test]
fn probing_unregistered_tokens_locks_the_prober_not_the_tokens() {
    for db in databases() {
        probing_locks_the_prober_not_the_tokens(&db);
    }
}
