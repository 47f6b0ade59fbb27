//! The whole life of a token over real HTTP, on SQLite and on PostgreSQL, as the guides describe it:
//! provision via the CLI → 利用登録 register at the IB with serial + code → login with OTP → 振込 transfer with
//! OTP → 交換 exchange to a second token → 利用停止 stop; each step's database state checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use common::{assert_page, databases, Ib, Phone, Server};

const CONTRACT: &str = "1000000001";
const PASSWORD: &str = "demo-pass-1";
const TRANSFER_PASSWORD: &str = "1111";

fn life(db: &common::TestDb) {
    let server = Server::start(db);
    let phone = Phone::new();

    // The app obtains its own token: state "issued", bound to nobody.
    let a = phone.provision(&server);
    let t = server.token(&a);
    assert_eq!(
        (t["state"].as_str(), t["contract_id"].as_str()),
        (Some("issued"), None),
        "{t}"
    );
    // An issued token is not yet good for the bank's systems.
    assert_eq!(server.validate(&a, &phone.fresh_code(&a))["reason"], "not_active");

    // 利用登録: contract ID + login password, then serial (typed loosely) + current code.
    let mut ib = Ib::new(&server);
    let (status, html) = ib.get("/ib/register");
    assert_eq!(status, 200);
    assert_page(&html, "ワンタイムパスワード利用登録");
    let (_, html) = ib.post(
        "/ib/register",
        &[("contract_id", CONTRACT), ("password", PASSWORD)],
    );
    assert_page(&html, "シリアル番号");
    let typed = format!("{}-{}-{}", &a[..4].to_lowercase(), &a[4..8], &a[8..]);
    let (status, html) = ib.post(
        "/ib/register",
        &[
            ("serial", &typed),
            ("otp", &phone.fresh_code(&a)),
            ("transfer_password", TRANSFER_PASSWORD),
        ],
    );
    assert_eq!(status, 200, "{html}");
    assert_page(&html, "ワンタイムパスワードの利用登録が完了しました。");
    let t = server.token(&a);
    assert_eq!(
        (t["state"].as_str(), t["contract_id"].as_str()),
        (Some("active"), Some(CONTRACT)),
        "{t}"
    );

    // Login with the login-OTP setting on: password, then a code.
    let mut ib = Ib::new(&server);
    ib.get("/ib/login");
    let (_, html) = ib.post("/ib/login", &[("contract_id", CONTRACT), ("password", PASSWORD)]);
    assert_page(&html, "ワンタイムパスワードを入力してください。");
    let (status, html) = ib.post("/ib/login", &[("otp", &phone.fresh_code(&a))]);
    assert_eq!(status, 200);
    assert_page(&html, "信金 太郎");
    assert_page(&html, &format!("{} {} {}", &a[..4], &a[4..8], &a[8..]));

    // 振込: always a code, plus the transfer password.
    ib.get("/ib/transfer");
    let (_, html) = ib.post(
        "/ib/transfer",
        &[
            ("payee", "しんきん 0123456"),
            ("amount", "12000"),
            ("transfer_password", TRANSFER_PASSWORD),
            ("otp", &phone.fresh_code(&a)),
        ],
    );
    assert_page(&html, "振込を受け付けました。");
    let (_, audit) = server.get(&format!("/v1/admin/audit?contract_id={CONTRACT}&action=transfer"));
    assert_eq!(audit["entries"][0]["result"], "ok", "{audit}");

    // 交換 to a new phone: the old token's code, then the new token's serial + code.
    let new_phone = Phone::new();
    let b = new_phone.provision(&server);
    let mut ib = Ib::new(&server);
    ib.get("/ib/exchange");
    let (_, html) = ib.post(
        "/ib/exchange",
        &[("contract_id", CONTRACT), ("password", PASSWORD)],
    );
    assert_page(&html, "古いトークンは削除しないでください");
    let (_, html) = ib.post("/ib/exchange", &[("otp", &phone.fresh_code(&a))]);
    assert_page(&html, "新しいトークンのシリアル番号");
    let (_, html) = ib.post(
        "/ib/exchange",
        &[("serial", &b), ("otp", &new_phone.fresh_code(&b))],
    );
    assert_page(&html, "トークンの交換が完了しました。");
    assert_eq!(server.token(&a)["state"], "replaced");
    let tb = server.token(&b);
    assert_eq!(
        (tb["state"].as_str(), tb["contract_id"].as_str()),
        (Some("active"), Some(CONTRACT)),
        "{tb}"
    );
    // The old phone's codes no longer work; the new phone's do.
    assert_eq!(server.validate(&a, &phone.fresh_code(&a))["reason"], "not_active");
    assert_eq!(server.validate(&b, &new_phone.fresh_code(&b))["valid"], true);

    // 利用停止: password, then a code and the transfer password; the guide's exact completion message.
    let mut ib = Ib::new(&server);
    ib.get("/ib/stop");
    ib.post("/ib/stop", &[("contract_id", CONTRACT), ("password", PASSWORD)]);
    let (_, html) = ib.post(
        "/ib/stop",
        &[
            ("otp", &new_phone.fresh_code(&b)),
            ("transfer_password", TRANSFER_PASSWORD),
        ],
    );
    assert_page(&html, "ワンタイムパスワードの利用停止が完了しました。(00001)");
    assert_eq!(server.token(&b)["state"], "stopped");
    assert_eq!(
        server.validate(&b, &new_phone.fresh_code(&b))["reason"],
        "not_active"
    );

    // Every step is in the audit trail, none of it holds a code.
    let (_, audit) = server.get(&format!("/v1/admin/audit?contract_id={CONTRACT}&limit=1000"));
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for needed in ["register", "ib_login", "transfer", "exchange", "stop"] {
        assert!(actions.contains(&needed), "audit lacks {needed}: {actions:?}");
    }
}

#[test]
fn token_life_on_every_database() {
    for db in databases() {
        eprintln!("life cycle on {}", db.name());
        life(&db);
    }
}

#[test]
fn login_without_otp_when_the_customer_turned_it_off() {
    let server = Server::start(&common::TestDb::Sqlite);
    let mut ib = Ib::new(&server);
    ib.get("/ib/login");
    let (_, html) = ib.post(
        "/ib/login",
        &[("contract_id", "1000000002"), ("password", "demo-pass-2")],
    );
    assert_page(&html, "信金 花子");
    // A transfer still needs a token.
    ib.get("/ib/transfer");
    let (_, html) = ib.post(
        "/ib/transfer",
        &[
            ("payee", "x"),
            ("amount", "1"),
            ("transfer_password", "2222"),
            ("otp", "123456"),
        ],
    );
    assert_page(&html, "ワンタイムパスワードのトークンが登録されていません。");
}

#[test]
fn english_pages_and_wrong_password() {
    let server = Server::start(&common::TestDb::Sqlite);
    let mut ib = Ib::new(&server);
    ib.get("/ib/stop");
    let (_, html) = ib.get("/ib/lang?to=en&back=/ib/stop");
    assert_page(&html, "Stop using one-time passwords");
    assert_page(&html, "lang=\"en\"");
    let (status, html) = ib.post("/ib/stop", &[("contract_id", CONTRACT), ("password", "wrong")]);
    assert_eq!(status, 422);
    assert_page(&html, "The contract ID or login password is wrong.");
}
