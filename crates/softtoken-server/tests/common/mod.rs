//! Test harness: the real `softtoken-server` binary on a loopback port, over SQLite or PostgreSQL, the real
//! `softtoken` CLI, and an internet-banking client with a cookie jar.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use softtoken_core::{qr, OtpAuthUri, OtpKind, Totp};

/// Seconds per code of the test servers' tokens: short, so a test never waits long for a fresh code.
pub const PERIOD: u64 = 2;

/// Which database a test server uses.
#[derive(Debug, Clone)]
pub enum TestDb {
    Sqlite,
    Postgres(String),
}

impl TestDb {
    pub fn name(&self) -> &'static str {
        match self {
            TestDb::Sqlite => "sqlite",
            TestDb::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL when SOFTTOKEN_TEST_POSTGRES_URL names a server (./x test starts one). With
/// SOFTTOKEN_REQUIRE_POSTGRES=1 a missing PostgreSQL is a failure, not a skip.
pub fn databases() -> Vec<TestDb> {
    let mut v = vec![TestDb::Sqlite];
    match std::env::var("SOFTTOKEN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => v.push(TestDb::Postgres(url)),
        _ => {
            if std::env::var("SOFTTOKEN_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("SOFTTOKEN_REQUIRE_POSTGRES=1 but SOFTTOKEN_TEST_POSTGRES_URL is not set");
            }
            eprintln!("note: PostgreSQL tests skipped (set SOFTTOKEN_TEST_POSTGRES_URL, as ./x test does)");
        }
    }
    v
}

/// A fresh, empty PostgreSQL database on the server at `base_url`; returns its URL.
pub fn fresh_pg_database(base_url: &str) -> String {
    use sqlx::Connection;
    use sqlx::Executor;
    let name = format!("softtoken_test_{:016x}", rand::random::<u64>());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(base_url)
            .await
            .expect("connect to the test PostgreSQL");
        c.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
    });
    let mut url = url::Url::parse(base_url).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_softtoken-server"))
}

/// The `softtoken` CLI binary, which `cargo test --workspace` builds beside the server's. (Building it from here
/// would wait forever on the build-directory lock that the running `cargo test` holds.)
pub fn cli_bin() -> PathBuf {
    let p = server_bin().with_file_name(format!("softtoken{}", std::env::consts::EXE_SUFFIX));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p softtoken-cli` first (./x test does)",
        p.display()
    );
    p
}

/// A running server.
pub struct Server {
    child: Child,
    pub base: String,
    /// The API token (DATA/api-token): /v1/validate and /v1/resync.
    pub api_token: String,
    /// The admin token (DATA/admin-token): /v1/admin.
    pub admin_token: String,
    pub data: tempfile::TempDir,
    pub db_url: String,
    pub db: TestDb,
    extra: Vec<String>,
}

/// Another server process beside a `Server` (its base URL; it stops when dropped).
pub struct Instance {
    child: Child,
    pub base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `softtoken-server` with the test servers' common flags.
fn server_command(data: &Path, db_url: &str, extra: &[String]) -> Command {
    let mut cmd = Command::new(server_bin());
    cmd.arg("--data")
        .arg(data)
        .arg("--database")
        .arg(db_url)
        .arg("--period")
        .arg(PERIOD.to_string())
        .args(extra)
        .env("SOFTTOKEN_LOG", "warn")
        .env_remove("SOFTTOKEN_MASTER_KEY");
    cmd
}

/// `softtoken-server … demo-data ARGS`, which must succeed.
fn demo_data(data: &Path, db_url: &str, extra: &[String], args: &[&str]) {
    let out = server_command(data, db_url, extra)
        .arg("demo-data")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo-data {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a server on a free loopback port; returns it and its base URL (from the line it prints first).
fn spawn_server(data: &Path, db_url: &str, extra: &[String]) -> (Child, String) {
    let mut child = server_command(data, db_url, extra)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in: {line}"))
        .to_string();
    (child, base)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server on a free loopback port with the demo customers.
    pub fn start(db: &TestDb) -> Server {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &TestDb, extra: &[&str]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let db_url = match db {
            TestDb::Sqlite => format!("sqlite:{}", data.path().join("softtoken.db").display()),
            TestDb::Postgres(base) => fresh_pg_database(base),
        };
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        demo_data(data.path(), &db_url, &extra, &[]);
        let (child, base) = spawn_server(data.path(), &db_url, &extra);
        let read = |name: &str| {
            std::fs::read_to_string(data.path().join(name))
                .unwrap()
                .trim()
                .to_string()
        };
        let (api_token, admin_token) = (read("api-token"), read("admin-token"));
        Server {
            child,
            base,
            api_token,
            admin_token,
            data,
            db_url,
            db: db.clone(),
            extra,
        }
    }

    /// A second server process on the same database, master key and API token (only PostgreSQL is meant to be
    /// shared by several instances): what a bank runs behind a load balancer.
    pub fn another_instance(&self) -> Instance {
        let (child, base) = spawn_server(self.data.path(), &self.db_url, &self.extra);
        Instance { child, base }
    }

    /// Stops the server process and starts it again on the same data and database: whatever it kept in memory
    /// is gone. Its address changes.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = spawn_server(self.data.path(), &self.db_url, &self.extra);
        self.child = child;
        self.base = base;
    }

    /// `demo-data --load-customers n`: contracts 2000000000 … 2000000000+n-1.
    pub fn load_customers(&self, n: u32) {
        demo_data(
            self.data.path(),
            &self.db_url,
            &self.extra,
            &["--load-customers", &n.to_string()],
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// The bearer token for `path`: the admin token under /v1/admin, the API token elsewhere.
    pub fn token_for(&self, path: &str) -> &str {
        if path.starts_with("/v1/admin") {
            &self.admin_token
        } else {
            &self.api_token
        }
    }

    /// POST JSON with the bearer token for `path`; returns (status, body).
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = Self::client()
            .post(self.url(path))
            .bearer_auth(self.token_for(path))
            .json(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = Self::client()
            .get(self.url(path))
            .bearer_auth(self.token_for(path))
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn validate(&self, serial: &str, otp: &str) -> Value {
        let (status, body) = self.post("/v1/validate", &json!({ "serial": serial, "otp": otp }));
        assert!(
            status == 200 || status == 404 || status == 400,
            "validate: {status} {body}"
        );
        body
    }

    pub fn token(&self, serial: &str) -> Value {
        let (status, body) = self.get(&format!("/v1/admin/tokens/{serial}"));
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Everything observable of the database: row counts and every token of the demo contracts.
    pub fn snapshot(&self) -> Value {
        let (_, status) = self.get("/v1/admin/status");
        let mut tokens = Vec::new();
        for c in ["1000000001", "1000000002", "1000000003"] {
            tokens.push(self.get(&format!("/v1/admin/contracts/{c}/tokens")).1);
        }
        json!({ "status": status, "tokens": tokens })
    }
}

/// A token on the tester's side: a vault file that the CLI provisions into and shows codes from.
pub struct Phone {
    pub vault: PathBuf,
    _dir: tempfile::TempDir,
    last_step: std::cell::Cell<u64>,
}

impl Phone {
    pub fn new() -> Phone {
        let dir = tempfile::tempdir().unwrap();
        Phone {
            vault: dir.path().join("phone.vault"),
            _dir: dir,
            last_step: std::cell::Cell::new(0),
        }
    }

    /// Runs the CLI on this phone's vault, whatever its outcome.
    pub fn try_cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(cli_bin())
            .arg("--store")
            .arg(format!("file:{}", self.vault.display()))
            .args(args)
            .env("SOFTTOKEN_PASSPHRASE", "phone passphrase")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.try_cli(args);
        assert!(
            out.status.success(),
            "softtoken {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `softtoken provision --server …`: returns the serial (the last line of stdout).
    pub fn provision(&self, server: &Server) -> String {
        let out = self.cli(&["provision", "--server", &server.base]);
        out.lines().last().unwrap().trim().to_string()
    }

    /// The current code of `serial`, waiting for a step later than any this phone has handed out, so every
    /// code a test uses is fresh (the server accepts each step once).
    pub fn fresh_code(&self, serial: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10 * PERIOD);
        loop {
            let j: Value = serde_json::from_str(&self.cli(&["code", serial, "--json"])).unwrap();
            let step = j["codes"][0]["step"].as_u64().unwrap();
            let left = j["codes"][0]["seconds_left"].as_u64().unwrap();
            // Avoid the last half second of a step: the server might already be in the next one (still within
            // its ±1 window, but keep tests deterministic).
            if step > self.last_step.get() && left >= 1 {
                self.last_step.set(step);
                return j["codes"][0]["code"].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "no fresh step");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Default for Phone {
    fn default() -> Self {
        Phone::new()
    }
}

/// A browser-like internet-banking client: cookie jar, follows redirects, reads CSRF tokens from forms.
pub struct Ib<'a> {
    pub server: &'a Server,
    /// The browser's cookies.
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    /// Where the pages are asked for: the server's address, or another instance's.
    base: String,
    client: reqwest::blocking::Client,
    csrf: String,
}

impl<'a> Ib<'a> {
    pub fn new(server: &'a Server) -> Ib<'a> {
        Self::at(server, &server.base)
    }

    /// A client of the instance at `base` (beside `server`, on its database).
    pub fn at(server: &'a Server, base: &str) -> Ib<'a> {
        Self::build(server, base, None, None)
    }

    /// A client that connects from `address` (another loopback address, 127.0.0.2 and up: another customer's
    /// device, as the server sees it).
    pub fn from_address(server: &'a Server, address: &str) -> Ib<'a> {
        Self::build(server, &server.base, Some(address.parse().unwrap()), None)
    }

    /// A client whose every request says `X-Forwarded-For: address`, as a reverse proxy in front would.
    pub fn forwarded_for(server: &'a Server, address: &str) -> Ib<'a> {
        Self::build(server, &server.base, None, Some(address))
    }

    fn build(
        server: &'a Server,
        base: &str,
        address: Option<std::net::IpAddr>,
        forwarded_for: Option<&str>,
    ) -> Ib<'a> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(f) = forwarded_for {
            headers.insert("x-forwarded-for", f.parse().unwrap());
        }
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::blocking::Client::builder()
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(30))
            .local_address(address)
            .default_headers(headers)
            .build()
            .unwrap();
        Ib {
            server,
            jar,
            base: base.to_string(),
            client,
            csrf: String::new(),
        }
    }

    /// The same browser (its cookies and the last form it saw) now asks `base`: another instance of the bank.
    pub fn rebase(&mut self, base: &str) {
        self.base = base.to_string();
    }

    fn remember_csrf(&mut self, html: &str) {
        if let Some(i) = html.find("name=\"csrf\" value=\"") {
            let rest = &html[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
    }

    /// The CSRF token of the last form seen.
    pub fn csrf(&self) -> String {
        self.csrf.clone()
    }

    /// Sends the next forms with `csrf` (an old token, for a test that it is refused).
    pub fn set_csrf(&mut self, csrf: &str) {
        self.csrf = csrf.to_string();
    }

    /// The session cookie's value, if the browser holds one.
    pub fn session_id(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let cookies = self.jar.cookies(&url)?;
        cookies
            .to_str()
            .ok()?
            .split(';')
            .find_map(|kv| kv.trim().strip_prefix("st_sid=").map(str::to_string))
    }

    /// GET a page; returns (status, html).
    pub fn get(&mut self, path: &str) -> (u16, String) {
        let r = self.client.get(format!("{}{path}", self.base)).send().unwrap();
        let status = r.status().as_u16();
        let html = r.text().unwrap();
        self.remember_csrf(&html);
        (status, html)
    }

    /// POST a form with the current CSRF token; returns (status, html) after redirects.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let form: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let html = r.text().unwrap();
        self.remember_csrf(&html);
        (status, html)
    }
}

/// Asserts `html` contains `needle`, showing the page's alert or heading if not.
pub fn assert_page(html: &str, needle: &str) {
    if !html.contains(needle) {
        let alert = html
            .find("role=\"alert\"")
            .map(|i| &html[i..(i + 300).min(html.len())])
            .unwrap_or("");
        panic!(
            "page lacks {needle:?}; alert: {alert}\n---\n{}",
            &html[..html.len().min(3000)]
        );
    }
}

pub fn data_path(s: &Server) -> &Path {
    s.data.path()
}

/// An active token for `contract`, made by the admin QR endpoint and read back from the QR image like a
/// third-party authenticator would: returns (serial, generator).
pub fn qr_token(server: &Server, contract: &str) -> (String, Totp) {
    let r = reqwest::blocking::Client::new()
        .post(server.url("/v1/admin/qr"))
        .bearer_auth(&server.admin_token)
        .json(&json!({ "kind": "otpauth", "contract_id": contract }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().unwrap();
    let texts = qr::decode(&png).unwrap();
    let uri = OtpAuthUri::parse(&texts[0]).unwrap();
    let OtpKind::Totp { period } = uri.kind else {
        panic!("totp expected")
    };
    assert_eq!(period.seconds(), PERIOD);
    (
        uri.serial.clone().unwrap(),
        Totp::new(&uri.seed, uri.params, period),
    )
}

/// Waits until at least half a step remains, and returns the current code and step.
pub fn current(totp: &Totp) -> (String, u64) {
    loop {
        let now = softtoken_core::now();
        if totp.seconds_left(now) >= 1 {
            return (totp.code_at(now).to_string(), totp.step_at(now));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
