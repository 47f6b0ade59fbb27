//! The command line, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::secret::SecretArg;

/// softtoken: one-time passwords (TOTP/HOTP), serial numbers, QR codes and token stores for testers and scripts.
#[derive(Debug, Parser)]
#[command(
    name = "softtoken",
    version,
    about,
    propagate_version = true,
    max_term_width = 110
)]
pub struct Cli {
    /// Where tokens are kept: `keychain` (the OS keychain, default), `file:PATH` (an encrypted vault file; the
    /// passphrase comes from SOFTTOKEN_PASSPHRASE or a prompt) or `memory` (this process only).
    #[arg(
        long,
        global = true,
        env = "SOFTTOKEN_STORE",
        default_value = "keychain",
        value_name = "STORE"
    )]
    pub store: String,

    /// Folder for the keychain store's token index (default: the platform's data folder).
    #[arg(
        long,
        global = true,
        env = "SOFTTOKEN_HOME",
        value_name = "DIR",
        hide_env_values = true
    )]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one-time codes: of a stored token (NAME_OR_SERIAL), or of a secret or URI given here.
    Code(CodeArgs),
    /// Render or read QR codes.
    #[command(subcommand)]
    Qr(QrCommand),
    /// Add a token from an otpauth URI, a QR image, or a base32 secret.
    Add(AddArgs),
    /// List stored tokens.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a stored token's serial number, or check a typed one (`serial check SERIAL`).
    #[command(args_conflicts_with_subcommands = true)]
    Serial {
        #[command(subcommand)]
        check: Option<SerialCommand>,
        /// The token, by name or serial.
        #[arg(value_name = "NAME_OR_SERIAL")]
        token: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a live code and countdown in the terminal (Ctrl+C to stop).
    Watch(WatchArgs),
    /// Obtain a new token online from a softtoken token service into the store; prints its serial last.
    Provision {
        /// The token service, e.g. http://127.0.0.1:8787.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The one-time activation code the bank gave you, if any (`-`: read it from standard input).
        #[arg(long, value_name = "CODE")]
        activation_code: Option<SecretArg>,
        /// Allow plain http:// to another machine (a test server on the LAN). Without TLS nothing proves who
        /// answers, so by default plain http is allowed only to this machine (localhost, 127.0.0.1, ::1).
        #[arg(long)]
        allow_http: bool,
        /// Print JSON (the new token's metadata) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete a stored token. The bank still accepts it until it is stopped (利用停止) or exchanged (交換).
    Remove {
        /// The token, by name or serial.
        #[arg(value_name = "NAME_OR_SERIAL")]
        token: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SerialCommand {
    /// Say whether a typed serial is valid and print its canonical and grouped forms.
    Check {
        /// The serial as typed (spaces, hyphens, lowercase and full-width characters are fine).
        serial: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Render TEXT as a QR code image.
    Encode {
        /// The text to encode (e.g. an otpauth URI).
        text: String,
        /// Output file: `.png` or `.svg`.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the text of every QR code in a PNG or JPEG image, one per line.
    Decode {
        /// The image file.
        file: PathBuf,
    },
}

/// A token described on the command line rather than taken from a store.
#[derive(Debug, Args, Clone)]
pub struct AdHoc {
    /// A base32 secret (`-`: read it from standard input, out of `ps` and the shell's history; or in the
    /// environment variable SOFTTOKEN_SECRET).
    #[arg(
        long,
        value_name = "BASE32",
        conflicts_with = "uri",
        env = "SOFTTOKEN_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<SecretArg>,
    /// An otpauth:// URI (`-`: read it from standard input).
    #[arg(long, value_name = "URI")]
    pub uri: Option<SecretArg>,
    /// HMAC algorithm (with --secret).
    #[arg(long, value_enum, requires = "secret")]
    pub algorithm: Option<AlgorithmArg>,
    /// Digits per code, 6 to 8 (with --secret).
    #[arg(long, requires = "secret")]
    pub digits: Option<u32>,
    /// Seconds per code (with --secret).
    #[arg(long, requires = "secret", value_name = "SECONDS")]
    pub period: Option<u64>,
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// A stored token, by name or serial.
    #[arg(value_name = "NAME_OR_SERIAL", conflicts_with_all = ["secret", "uri"])]
    pub token: Option<String>,
    #[command(flatten)]
    pub adhoc: AdHoc,
    /// Unix time to compute the code for (default: now).
    #[arg(long, value_name = "UNIX_SECONDS", allow_negative_numbers = true)]
    pub at: Option<i64>,
    /// Print the codes of N successive time steps (or HOTP counters) starting at --at.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// An otpauth:// URI (`-`: read it from standard input, out of `ps` and the shell's history).
    #[arg(value_name = "URI", conflicts_with_all = ["qr", "secret"])]
    pub uri: Option<SecretArg>,
    /// A PNG or JPEG image holding a provisioning QR code.
    #[arg(long, value_name = "FILE", conflicts_with = "secret")]
    pub qr: Option<PathBuf>,
    /// A base32 secret (needs --issuer; `-`: read it from standard input; or in the environment variable
    /// SOFTTOKEN_SECRET).
    #[arg(
        long,
        value_name = "BASE32",
        requires = "issuer",
        env = "SOFTTOKEN_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<SecretArg>,
    /// The bank or service (with --secret).
    #[arg(long, requires = "secret")]
    pub issuer: Option<String>,
    /// The account (with --secret).
    #[arg(long, requires = "secret", default_value = "")]
    pub account: String,
    /// The token's serial number (with --secret).
    #[arg(long, requires = "secret")]
    pub serial: Option<String>,
    /// HMAC algorithm (with --secret).
    #[arg(long, value_enum, requires = "secret")]
    pub algorithm: Option<AlgorithmArg>,
    /// Digits per code, 6 to 8 (with --secret).
    #[arg(long, requires = "secret")]
    pub digits: Option<u32>,
    /// Seconds per code (with --secret).
    #[arg(long, requires = "secret", value_name = "SECONDS", conflicts_with = "counter")]
    pub period: Option<u64>,
    /// Make an HOTP (counter-based) token starting at this counter (with --secret).
    #[arg(long, requires = "secret")]
    pub counter: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// A stored token, by name or serial (default: the only one, or all of them).
    #[arg(value_name = "NAME_OR_SERIAL", conflicts_with_all = ["secret", "uri"])]
    pub token: Option<String>,
    #[command(flatten)]
    pub adhoc: AdHoc,
    /// Name to show for a --secret token.
    #[arg(long, requires = "secret")]
    pub issuer: Option<String>,
    /// Stop after this many seconds (default: run until Ctrl+C).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgorithmArg {
    #[value(name = "SHA1", alias = "sha1")]
    Sha1,
    #[value(name = "SHA256", alias = "sha256")]
    Sha256,
    #[value(name = "SHA512", alias = "sha512")]
    Sha512,
}

impl From<AlgorithmArg> for softtoken_core::Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Sha1 => softtoken_core::Algorithm::Sha1,
            AlgorithmArg::Sha256 => softtoken_core::Algorithm::Sha256,
            AlgorithmArg::Sha512 => softtoken_core::Algorithm::Sha512,
        }
    }
}
