//! Internet-banking sessions (issue 16, point 8), over real HTTP against the server binary: HSTS when the public
//! URL is https; a new CSRF token with the new session id at login (a token from before the login is refused
//! after it); session ids stored hashed, so that a copy of the database opens no session; a visitor's page views
//! store nothing (point 7), and their forms still carry a CSRF token that every instance checks alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use common::{assert_page, data_path, databases, Ib, Server, TestDb};

const CONTRACT: &str = "1000000002";
const PASSWORD: &str = "demo-pass-2";

#[test]
fn hsts_only_behind_https() {
    let https = Server::start_with(&TestDb::Sqlite, &["--public-url", "https://bank.example"]);
    let plain = Server::start(&TestDb::Sqlite);
    for path in ["/ib/login", "/v1/time", "/ib/style.css"] {
        let r = reqwest::blocking::get(https.url(path)).unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
        let r = reqwest::blocking::get(plain.url(path)).unwrap();
        assert!(r.headers().get("strict-transport-security").is_none(), "{path}");
    }
}

#[test]
fn login_renews_the_csrf_token_and_ids_are_stored_hashed() {
    let server = Server::start(&TestDb::Sqlite);
    let mut ib = Ib::new(&server);
    ib.get("/ib/login");
    let before = ib.csrf();
    let id_before = ib.session_id();
    let (_, home) = ib.post("/ib/login", &[("contract_id", CONTRACT), ("password", PASSWORD)]);
    assert_page(&home, "ようこそ");
    let (_, form) = ib.get("/ib/transfer");
    assert_page(&form, "振込先口座");
    let after = ib.csrf();
    assert_ne!(before, after, "the CSRF token did not change at login");
    let id = ib.session_id().expect("a session cookie");
    assert_ne!(
        Some(id.clone()),
        id_before,
        "the session id did not change at login"
    );

    // A token from before the login is refused after it.
    ib.set_csrf(&before);
    let (status, _) = ib.post(
        "/ib/transfer",
        &[
            ("payee", "x"),
            ("amount", "1"),
            ("transfer_password", "2222"),
            ("otp", "123456"),
        ],
    );
    assert_eq!(status, 403);

    // The database holds the id's SHA-256, not the id.
    let db = rusqlite::Connection::open(data_path(&server).join("softtoken.db")).unwrap();
    let keys: Vec<String> = db
        .prepare("SELECT id FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!keys.is_empty());
    assert!(!keys.contains(&id), "the session id is stored in clear");
    let hashed = {
        use sha2::Digest;
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(id.as_bytes()))
    };
    assert!(keys.contains(&hashed), "{keys:?}");
}

fn sessions(server: &Server) -> i64 {
    let (_, status) = server.get("/v1/admin/status");
    status["counts"]["sessions"].as_i64().unwrap()
}

/// Before: every page view without a cookie wrote a session row, so a script fetching pages filled the table. Now a
/// visitor's pages store nothing: their CSRF token is a keyed hash of their cookie (the key derived from the
/// master key), which another instance of the bank checks alike and which no other cookie matches. The row comes
/// with the proved login password.
#[test]
fn visitors_store_nothing_and_any_instance_takes_their_forms() {
    for db in databases() {
        let server = Server::start(&db);
        let mut ib = Ib::new(&server);
        for path in [
            "/ib/",
            "/ib/register",
            "/ib/lang?to=en&back=/ib/login",
            "/ib/login",
        ] {
            assert_eq!(ib.get(path).0, 200, "{}: {path}", db.name());
        }
        assert_eq!(sessions(&server), 0, "{}: page views stored a session", db.name());

        // Another browser's token with this browser's cookie, and a made-up one: refused, nothing stored.
        let mut other = Ib::new(&server);
        other.get("/ib/login");
        let mine = ib.csrf();
        for forged in [other.csrf(), "A".repeat(mine.len())] {
            ib.set_csrf(&forged);
            let (status, _) = ib.post("/ib/login", &[("contract_id", CONTRACT), ("password", PASSWORD)]);
            assert_eq!(status, 403, "{}", db.name());
        }
        assert_eq!(sessions(&server), 0, "{}", db.name());

        // The form shown by this instance, sent to another: the login goes through, in English as chosen.
        ib.set_csrf(&mine);
        let second = server.another_instance();
        ib.rebase(&second.base);
        let (status, home) = ib.post("/ib/login", &[("contract_id", CONTRACT), ("password", PASSWORD)]);
        assert_eq!(status, 200, "{}: {home}", db.name());
        assert_page(&home, ", welcome");
        assert_eq!(sessions(&server), 1, "{}", db.name());
    }
}
