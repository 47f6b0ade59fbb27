//! The end-to-end harness: the real app binary, started by tauri-driver (WebKitWebDriver) on the X display of
//! the test run, in the D-Bus session with its unlocked gnome-keyring; each session with its own app folder
//! (`SOFTTOKEN_APP_DIR`). `./x test` provides Xvfb, D-Bus and the keyring and sets `SOFTTOKEN_REQUIRE_E2E=1`, so
//! that a missing piece fails the run instead of skipping.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// One app at a time: WebKit is heavy and the machine has two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs one end-to-end test: skips (or, under `SOFTTOKEN_REQUIRE_E2E=1`, fails) without the tools, waits for
/// its turn, and gives `steps` five minutes, so that a WebDriver command that never answers fails the test (and
/// stops its app) instead of stalling the whole suite.
pub async fn run<F, Fut>(steps: F)
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(driver) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    tokio::time::timeout(Duration::from_secs(300), steps(driver))
        .await
        .unwrap_or_else(|_| panic!("the test took more than 5 minutes: a WebDriver command hung"));
}

pub fn app_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_softtoken-app"))
}

fn target_dir() -> PathBuf {
    // target/debug/softtoken-app → target/debug
    app_bin().parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Where tests leave their screenshots (under target/, so a test run leaves the tree clean).
pub fn shot_dir() -> PathBuf {
    let d = std::env::var_os("SOFTTOKEN_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("..").join("app-screenshots"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The tools, or `None` (with the reason printed) when this machine cannot run the end-to-end tests and the run
/// does not require them.
fn tools() -> Option<PathBuf> {
    let mut missing = Vec::new();
    let driver = which("tauri-driver");
    if driver.is_none() {
        missing.push("tauri-driver (cargo install tauri-driver --locked)");
    }
    if which("WebKitWebDriver").is_none() {
        missing.push("WebKitWebDriver (apt-get install webkit2gtk-driver)");
    }
    if std::env::var_os("DISPLAY").is_none() {
        missing.push("an X display (run under xvfb-run)");
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        missing.push("a D-Bus session with a Secret Service (./x keyring ...)");
    }
    if missing.is_empty() {
        return driver;
    }
    let why = format!("app end-to-end tests need: {}", missing.join(", "));
    assert!(
        std::env::var("SOFTTOKEN_REQUIRE_E2E").as_deref() != Ok("1"),
        "{why}"
    );
    eprintln!("SKIPPED: {why}");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running app, driven through WebDriver.
pub struct Session {
    pub c: Client,
    driver: Child,
    pub name: String,
}

impl Drop for Session {
    /// A failed test still stops its tauri-driver (and so WebKitWebDriver and the app).
    fn drop(&mut self) {
        stop_group(&mut self.driver);
    }
}

/// Stops tauri-driver with everything it started (WebKitWebDriver, the app): they share its process group.
fn stop_group(driver: &mut Child) {
    let group = format!("-{}", driver.id());
    for (signal, pause) in [("TERM", 300), ("KILL", 0)] {
        let _ = Command::new("kill")
            .args(["-s", signal, "--", &group])
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(pause));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// How to start the app.
pub struct Start<'a> {
    pub app_dir: &'a Path,
    pub lang: &'a str,
    /// Extra environment for the app (through tauri-driver and WebKitWebDriver, which pass theirs on).
    pub env: Vec<(&'a str, String)>,
    /// The app's command-line arguments (a deep link, as the OS would start it with).
    pub args: Vec<String>,
    pub name: &'a str,
}

impl<'a> Start<'a> {
    /// The app with its files in `app_dir`, the OS locale `lang`, and the test session's keychain; `name` labels
    /// the run in the test's log.
    pub fn new(app_dir: &'a Path, lang: &'a str, name: &'a str) -> Start<'a> {
        Start {
            app_dir,
            lang,
            env: vec![],
            args: vec![],
            name,
        }
    }

    /// The same with command-line arguments.
    pub fn with_args(mut self, args: Vec<String>) -> Start<'a> {
        self.args = args;
        self
    }

    /// The same with no Secret Service reachable: the app's D-Bus address points nowhere.
    pub fn without_keychain(mut self) -> Start<'a> {
        self.env.push((
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bus".to_string(),
        ));
        self
    }
}

impl Session {
    pub async fn start(driver_bin: &Path, s: Start<'_>) -> Session {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new(driver_bin);
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("SOFTTOKEN_APP_DIR", s.app_dir)
            .env("LANG", s.lang)
            .env("LANGUAGE", s.lang.split('.').next().unwrap_or("C"))
            .env("LC_ALL", s.lang)
            // Software rendering: Xvfb has no GPU, and WebKit's DMA-BUF renderer would print errors.
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("SOFTTOKEN_LOG", "warn,softtoken_app=info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0);
        for (k, v) in &s.env {
            cmd.env(k, v);
        }
        let mut driver = cmd.spawn().unwrap();
        let caps: serde_json::Map<String, Value> = json!({
            "browserName": "wry",
            "tauri:options": { "application": app_bin(), "args": s.args }
        })
        .as_object()
        .unwrap()
        .clone();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let c = loop {
            let attempt = tokio::time::timeout(
                Duration::from_secs(45),
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url),
            )
            .await;
            match attempt {
                Ok(Ok(c)) => break c,
                Ok(Err(_)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => {
                    stop_group(&mut driver);
                    let why = match other {
                        Ok(Err(e)) => e.to_string(),
                        _ => "no answer within 45 s".to_string(),
                    };
                    panic!("{}: cannot start the app through tauri-driver: {why}", s.name);
                }
            }
        };
        let session = Session {
            c,
            driver,
            name: s.name.to_string(),
        };
        session
            .wait_js("return !!document.body && !!document.body.dataset.screen")
            .await;
        session
    }

    /// Stops the app: its process group (tauri-driver, WebKitWebDriver, the app) is ended. (Deleting the
    /// WebDriver session instead can hang in WebKitWebDriver once the app is gone.) Every store write is atomic,
    /// so an app stopped this way loses nothing, which is what the restart tests rely on.
    pub fn stop(self) {
        drop(self);
    }

    /// Logs a step of the test (shown with --nocapture, and in the output of a failed test).
    pub fn step(&self, what: &str) {
        eprintln!("[{}] {what}", self.name);
    }

    /// Waits (up to 20 s) until `script` returns true.
    pub async fn wait_js(&self, script: &str) {
        self.wait_js_for(script, Duration::from_secs(20)).await;
    }

    /// Waits (up to `limit`) until `script` returns true.
    pub async fn wait_js_for(&self, script: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let v = self.c.execute(script, vec![]).await.unwrap_or(Value::Null);
            if v == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: timed out waiting for: {script}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn screen(&self) -> String {
        self.c
            .execute("return document.body.dataset.screen || ''", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn wait_screen(&self, screen: &str) {
        self.wait_js(&format!("return document.body.dataset.screen === '{screen}'"))
            .await;
    }

    fn sel(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    pub async fn find(&self, testid: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(&Self::sel(testid)))
            .await
            .unwrap_or_else(|e| panic!("{}: no element {testid}: {e}", self.name))
    }

    /// The element's text as the DOM has it (`textContent`).
    pub async fn text(&self, testid: &str) -> String {
        self.find(testid).await;
        let v = self
            .c
            .execute(
                &format!(
                    "return document.querySelector('{}').textContent",
                    Self::sel(testid)
                ),
                vec![],
            )
            .await
            .unwrap();
        v.as_str().unwrap_or_default().to_string()
    }

    pub async fn count(&self, testid: &str) -> usize {
        self.c
            .find_all(Locator::Css(&Self::sel(testid)))
            .await
            .unwrap()
            .len()
    }

    pub async fn click(&self, testid: &str) {
        self.find(testid).await.click().await.unwrap();
    }

    /// Replaces an input's text.
    pub async fn fill(&self, testid: &str, text: &str) {
        let e = self.find(testid).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Sets a form field's value through the DOM (for <select> and long texts) and fires input + change.
    pub async fn set_value(&self, testid: &str, value: &str) {
        let script = format!(
            "const e = document.querySelector('{}'); e.value = arguments[0]; \
             e.dispatchEvent(new Event('input', {{bubbles: true}})); \
             e.dispatchEvent(new Event('change', {{bubbles: true}})); return true",
            Self::sel(testid).replace('\'', "\\'")
        );
        self.c.execute(&script, vec![json!(value)]).await.unwrap();
    }

    /// Scrolls the element into the middle of the window (for a screenshot of it).
    pub async fn scroll_to(&self, testid: &str) {
        self.find(testid).await;
        let script = format!(
            "document.querySelector('{}').scrollIntoView({{block: 'center'}}); return true",
            Self::sel(testid)
        );
        self.c.execute(&script, vec![]).await.unwrap();
    }

    /// The code of the shown error (`data-code` of `[data-testid=error]`), waiting for one to appear.
    pub async fn error_code(&self) -> String {
        self.find("error")
            .await
            .attr("data-code")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The ids of the tokens on the code screen.
    pub async fn token_ids(&self) -> Vec<String> {
        let v = self
            .c
            .execute(
                "return Array.from(document.querySelectorAll('[data-testid=\"token\"]')).map(e => e.dataset.id)",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(v).unwrap()
    }

    /// A screenshot into the shot folder, after two animation frames (WebDriver screenshots can be stale).
    ///
    /// WebKitGTK makes a WebDriver screenshot from the next rendering update, and a page where nothing changes
    /// (the empty code list, the settings) never gets one: the screenshot would wait forever. So while it is
    /// taken, a 1×1 pixel in the corner changes between transparent and 1/255 black every 50 ms (not visible
    /// in the picture), and the ticker is removed afterwards.
    pub async fn shot(&self, name: &str) -> PathBuf {
        self.step(&format!("screenshot {name}"));
        self.c
            .execute(
                "const p = document.createElement('div'); p.id = '__shot_tick'; \
                 Object.assign(p.style, {position: 'fixed', left: '0', bottom: '0', width: '1px', \
                   height: '1px', pointerEvents: 'none', zIndex: '2147483647'}); \
                 document.body.append(p); let on = false; \
                 window.__shotTick = setInterval(() => { on = !on; \
                   p.style.background = on ? 'rgba(0,0,0,0.004)' : 'transparent'; }, 50); return true",
                vec![],
            )
            .await
            .unwrap();
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.c.execute_async(
                "const done = arguments[arguments.length - 1]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            ),
        )
        .await;
        let png = tokio::time::timeout(Duration::from_secs(30), self.c.screenshot())
            .await
            .unwrap_or_else(|_| panic!("{}: the screenshot {name} took over 30 s", self.name))
            .unwrap();
        self.c
            .execute(
                "clearInterval(window.__shotTick); document.getElementById('__shot_tick')?.remove(); return true",
                vec![],
            )
            .await
            .unwrap();
        let p = shot_dir().join(format!("{name}.png"));
        std::fs::write(&p, png).unwrap();
        p
    }

    /// Every IPC call of this session and its answer, as the webview saw them.
    pub async fn ipc_log(&self) -> Vec<Value> {
        let v = self
            .c
            .execute("return JSON.stringify(window.__softtokenIpcLog || [])", vec![])
            .await
            .unwrap();
        serde_json::from_str(v.as_str().unwrap()).unwrap()
    }
}

/// A softtoken-server on a free loopback port (SQLite in a temporary folder), for online provisioning.
pub struct Server {
    child: Child,
    pub base: String,
    /// DATA/api-token: /v1/validate and /v1/resync.
    pub api_token: String,
    /// DATA/admin-token: /v1/admin.
    pub admin_token: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The reference server's binary, which `cargo test --workspace` builds beside the app's. (Building it from here
/// would wait forever on the build-directory lock that the running `cargo test` holds.)
fn server_bin() -> PathBuf {
    let p = target_dir().join(format!("softtoken-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p softtoken-server` first (./x test and ./x screenshots do)",
        p.display()
    );
    p
}

impl Server {
    pub fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let demo = Command::new(server_bin())
            .arg("--data")
            .arg(data.path())
            .arg("demo-data")
            .env("SOFTTOKEN_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            demo.status.success(),
            "demo-data: {}",
            String::from_utf8_lossy(&demo.stderr)
        );
        let mut child = Command::new(server_bin())
            .arg("--data")
            .arg(data.path())
            .args(["--listen", "127.0.0.1:0"])
            .env("SOFTTOKEN_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in: {line}"))
            .to_string();
        let read = |name: &str| {
            std::fs::read_to_string(data.path().join(name))
                .unwrap()
                .trim()
                .to_string()
        };
        Server {
            child,
            base,
            api_token: read("api-token"),
            admin_token: read("admin-token"),
            _data: data,
        }
    }

    /// The bank's bearer token for `path`: the admin token under /v1/admin, the API token elsewhere.
    pub fn token_for(&self, path: &str) -> &str {
        if path.starts_with("/v1/admin") {
            &self.admin_token
        } else {
            &self.api_token
        }
    }

    /// POST with the bank's bearer token.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token_for(path))
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token_for(path))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}
