//! Command line, key files and start-up.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use softtoken_core::sealed::MasterKey;
use softtoken_core::store::atomic::{ensure_parent, write_atomic};
use softtoken_core::validation::Policy;
use zeroize::Zeroizing;

use crate::db::Db;
use crate::error::ApiError;
use crate::model::CustomerRow;
use crate::service::{Service, Settings};
use crate::AppState;

/// softtoken-server: the reference bank side (token service, validation, internet-banking pages).
/// (`Debug` hides the database URL, which may hold a password.)
#[derive(Parser)]
#[command(name = "softtoken-server", version, about, max_term_width = 110)]
pub struct Args {
    /// Address to listen on. Loopback by default; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:8787", global = true)]
    pub listen: SocketAddr,
    /// Data folder: the SQLite database, the master key and the API and admin tokens live here.
    #[arg(long, env = "SOFTTOKEN_SERVER_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// Database URL: `sqlite:PATH` (default: DATA/softtoken.db) or `postgres://user:pass@host/db`.
    #[arg(long, env = "SOFTTOKEN_DATABASE_URL", global = true, hide_env_values = true)]
    pub database: Option<String>,
    /// File holding the bearer token for /v1/validate and /v1/resync, and nothing else (default: DATA/api-token,
    /// created on first start).
    #[arg(long, global = true)]
    pub api_token_file: Option<PathBuf>,
    /// File holding the bearer token for /v1/admin, and nothing else (default: DATA/admin-token, created on first
    /// start with mode 0600). Give it only to the bank's operators' tools.
    #[arg(long, global = true)]
    pub admin_token_file: Option<PathBuf>,
    /// File holding the master key that seals seeds at rest (default: DATA/master.key, created on first start).
    /// SOFTTOKEN_MASTER_KEY (base64url) overrides it.
    #[arg(long, global = true)]
    pub master_key_file: Option<PathBuf>,
    /// The bank's name, shown in the app.
    #[arg(long, global = true)]
    pub issuer: Option<String>,
    /// Prefix of new serial numbers (4 letters).
    #[arg(long, default_value = "SKTN", global = true)]
    pub serial_prefix: String,
    /// Seconds per code of new tokens (30 for the banks' tokens; shorter for quick tests).
    #[arg(long, default_value_t = 30, global = true)]
    pub period: u64,
    /// Digits per code of new tokens.
    #[arg(long, default_value_t = 6, global = true)]
    pub digits: u32,
    /// Steps accepted either side of the current one.
    #[arg(long, default_value_t = 1, global = true)]
    pub window: u64,
    /// Consecutive wrong codes that lock a token.
    #[arg(long, default_value_t = 5, global = true)]
    pub max_failures: u32,
    /// Consecutive wrong transfer passwords (振込用パスワード) that lock a contract's transfer password, until the
    /// bank unlocks it (POST /v1/admin/contracts/{contract}/unlock-transfer). Counted in the database.
    #[arg(long, default_value_t = 5, global = true, value_name = "N")]
    pub max_transfer_failures: u32,
    /// A reverse proxy (network or address) whose X-Forwarded-For names the client; repeat for several. Without
    /// it the client is the TCP peer. Give exactly the proxies in front of this server: a client that could reach
    /// the server directly from a trusted network could name any address.
    #[arg(long = "trusted-proxy", value_name = "CIDR", global = true, value_parser = crate::proxy::parse_trusted)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The URL the app reaches this server at (for activation QR codes). Default: http://LISTEN.
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// Days after which a token provisioned online but never registered at the bank is deleted (0: never).
    #[arg(long, default_value_t = 7, global = true, value_name = "DAYS")]
    pub unregistered_days: u32,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Args")
            .field("listen", &self.listen)
            .field("data", &self.data)
            .field("database", &self.database.as_ref().map(|_| ".."))
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Create demo customers for testers and print their contract IDs and passwords.
    DemoData {
        /// Also create N load-test customers, contract IDs 2000000000 to 2000000000+N-1 (login password
        /// `load-pass`, transfer password 0000, login OTP off): a contract has one token in use, so a benchmark
        /// with N tokens needs N contracts.
        #[arg(long, default_value_t = 0, value_name = "N")]
        load_customers: u32,
    },
}

/// The demo customers `demo-data` creates: (contract ID, name, login password, transfer password, login OTP).
pub const DEMO_CUSTOMERS: &[(&str, &str, &str, &str, bool)] = &[
    ("1000000001", "信金 太郎", "demo-pass-1", "1111", true),
    ("1000000002", "信金 花子", "demo-pass-2", "2222", false),
    ("1000000003", "Shinkin Test", "demo-pass-3", "3333", true),
];

fn default_data() -> PathBuf {
    directories::ProjectDirs::from("jp", "softtoken", "softtoken-server")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("softtoken-data"))
}

/// Reads a secret file, or creates it with `make()` (mode 0600) if it does not exist.
fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Zeroizing<String>,
) -> Result<Zeroizing<String>, ApiError> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            crate::files::check_private(path, "secret")?;
            Ok(Zeroizing::new(s.trim().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let v = make();
            ensure_parent(path)?;
            write_atomic(path, format!("{}\n", v.as_str()).as_bytes())?;
            tracing::info!(path = %path.display(), "created");
            Ok(v)
        }
        Err(e) => Err(ApiError::Internal(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Connects, loads or creates the keys, and builds the application state.
pub async fn build_state(args: &Args) -> Result<AppState, ApiError> {
    build_state_at(args, args.listen).await
}

/// As [`build_state`] for a server listening at `listen` (the address actually bound: with port 0 the system
/// picks one), which is the default public URL of activation links.
pub async fn build_state_at(args: &Args, listen: SocketAddr) -> Result<AppState, ApiError> {
    let data = args.data.clone().unwrap_or_else(default_data);
    let url = match &args.database {
        Some(u) => u.clone(),
        None => {
            ensure_parent(&data.join("x"))?;
            format!("sqlite:{}", data.join("softtoken.db").display())
        }
    };
    let db = Db::connect(&url).await?;
    let master = Arc::new(match std::env::var("SOFTTOKEN_MASTER_KEY") {
        Ok(text) => MasterKey::from_text(&text)?,
        Err(_) => {
            let path = args
                .master_key_file
                .clone()
                .unwrap_or_else(|| data.join("master.key"));
            MasterKey::from_text(&read_or_create(&path, || MasterKey::generate().to_text())?)?
        }
    });
    let api_token = bearer_token(
        &args
            .api_token_file
            .clone()
            .unwrap_or_else(|| data.join("api-token")),
        "API",
    )?;
    let admin_token = bearer_token(
        &args
            .admin_token_file
            .clone()
            .unwrap_or_else(|| data.join("admin-token")),
        "admin",
    )?;
    if bool::from(subtle::ConstantTimeEq::ct_eq(
        api_token.as_bytes(),
        admin_token.as_bytes(),
    )) {
        return Err(ApiError::Internal(
            "the API token and the admin token are the same: each must be its own (delete one file to make it anew)"
                .into(),
        ));
    }
    let mut settings = Settings::default();
    if let Some(i) = &args.issuer {
        // The app and otpauth readers refuse a longer bank name: the server would issue tokens nobody can add.
        if i.trim().is_empty() || i.len() > softtoken_core::uri::MAX_ISSUER_BYTES {
            return Err(ApiError::Internal(format!(
                "--issuer must be a name of 1 to {} bytes (UTF-8); this one is {} bytes",
                softtoken_core::uri::MAX_ISSUER_BYTES,
                i.len()
            )));
        }
        settings.issuer = i.clone();
    }
    settings.period = softtoken_core::Period::new(args.period)?;
    settings.params.digits = softtoken_core::Digits::new(args.digits)?;
    settings.serial_prefix = softtoken_core::Serial::new(&args.serial_prefix, 0)?
        .prefix()
        .to_string();
    settings.policy = Policy {
        window: args.window.min(10),
        max_failures: args.max_failures.max(1),
        ..Policy::default()
    };
    settings.max_transfer_failures = args.max_transfer_failures.max(1);
    settings.unregistered_ttl =
        (args.unregistered_days > 0).then(|| i64::from(args.unregistered_days) * 24 * 60 * 60);
    settings.public_url = match &args.public_url {
        Some(u) => u.clone(),
        None => {
            if listen.ip().is_unspecified() {
                tracing::warn!(
                    "listening on {listen}: activation QR codes point at http://{listen}, which no phone can \
                     reach; give --public-url"
                );
            }
            format!("http://{listen}")
        }
    };
    let csrf_key = Arc::new(crate::ib::session::csrf_key(&master));
    Ok(AppState {
        csrf_key,
        svc: Arc::new(Service {
            writer: crate::writer::Writer::start(
                crate::writer::Target::of(&db),
                master.clone(),
                settings.policy,
            )?,
            db,
            master,
            settings,
        }),
        api_token: Arc::new(api_token),
        admin_token: Arc::new(admin_token),
        trusted_proxies: Arc::new(args.trusted_proxies.clone()),
        limiter: Arc::new(crate::limiter::Limiter::default()),
    })
}

/// The first contract ID of `demo-data --load-customers`.
pub const LOAD_CUSTOMER_BASE: u64 = 2_000_000_000;

/// Reads a bearer token from `path`, or makes a new random one there (mode 0600).
fn bearer_token(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, ApiError> {
    let token = read_or_create(path, || {
        let mut b = [0u8; 32];
        rand::fill(&mut b);
        Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&b))
    })?;
    if token.len() < 16 {
        return Err(ApiError::Internal(format!(
            "the {what} token in {} is shorter than 16 characters",
            path.display()
        )));
    }
    Ok(token)
}

/// Creates the demo customers and `load_customers` load-test customers (idempotent).
pub async fn demo_data(state: &AppState, load_customers: u32) -> Result<Vec<String>, ApiError> {
    let mut lines = Vec::new();
    for (id, name, pw, transfer, login_otp) in DEMO_CUSTOMERS {
        let c = CustomerRow {
            contract_id: (*id).to_string(),
            name: (*name).to_string(),
            password_hash: crate::ib::hash_password(pw)?,
            transfer_password_hash: crate::ib::hash_password(transfer)?,
            login_otp: *login_otp,
            transfer_locked: false,
            register_failures: 0,
        };
        let created = state.svc.db.insert_customer(&c, crate::model::now()).await?;
        if created {
            state
                .svc
                .audit("admin", "customer_create", None, Some(id), "ok", "demo-data")
                .await?;
        }
        lines.push(format!(
            "{id}\t{name}\tlogin password: {pw}\ttransfer password: {transfer}\tlogin OTP: {}{}",
            if *login_otp { "on" } else { "off" },
            if created { "" } else { "\t(already there)" }
        ));
    }
    if load_customers > 0 {
        // One Argon2 hash for all of them: thousands of hashes would take minutes.
        let password_hash = crate::ib::hash_password("load-pass")?;
        let transfer_password_hash = crate::ib::hash_password("0000")?;
        let rows: Vec<CustomerRow> = (0..u64::from(load_customers))
            .map(|i| CustomerRow {
                contract_id: (LOAD_CUSTOMER_BASE + i).to_string(),
                name: format!("Load {i}"),
                password_hash: password_hash.clone(),
                transfer_password_hash: transfer_password_hash.clone(),
                login_otp: false,
                transfer_locked: false,
                register_failures: 0,
            })
            .collect();
        let created = state.svc.db.insert_customers(&rows, crate::model::now()).await?;
        lines.push(format!(
            "{LOAD_CUSTOMER_BASE}..{}\t{load_customers} load-test customers ({created} new)\tlogin password: load-pass\ttransfer password: 0000\tlogin OTP: off",
            LOAD_CUSTOMER_BASE + u64::from(load_customers) - 1
        ));
    }
    Ok(lines)
}

/// `softtoken-server …`
pub fn main_with_args(args: Args) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SOFTTOKEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    rt.block_on(async move {
        // The server binds first, so that the state knows the address it serves at (port 0 picks one).
        let serving = matches!(args.command, None | Some(Command::Serve));
        let listener = if serving {
            match tokio::net::TcpListener::bind(args.listen).await {
                Ok(l) => Some(l),
                Err(e) => return fail(&format!("cannot listen on {}: {e}", args.listen)),
            }
        } else {
            None
        };
        let at = listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .unwrap_or(args.listen);
        let state = match build_state_at(&args, at).await {
            Ok(s) => s,
            Err(e) => return fail(&e.to_string()),
        };
        match args.command.unwrap_or(Command::Serve) {
            Command::DemoData { load_customers } => match demo_data(&state, load_customers).await {
                Ok(lines) => {
                    let mut out = std::io::stdout().lock();
                    for l in lines {
                        let _ = writeln!(out, "{l}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            },
            Command::Serve => {
                let Some(listener) = listener else {
                    return fail("internal: no listener");
                };
                let addr = at.to_string();
                // The one line scripts wait for.
                {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(
                        out,
                        "softtoken-server listening on http://{addr} ({:?})",
                        state.svc.db.kind
                    );
                    let _ = out.flush();
                }
                crate::housekeeping::spawn(state.svc.clone());
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                crate::serve::run(listener, crate::app(state), shutdown).await;
                ExitCode::SUCCESS
            }
        }
    })
}

fn fail(msg: &str) -> ExitCode {
    tracing::error!("{msg}");
    #[allow(clippy::print_stderr)]
    {
        eprintln!("softtoken-server: error: {msg}");
    }
    ExitCode::FAILURE
}
