//! The one error type of softtoken-core.
//!
//! Every variant has a stable, machine-readable [`Error::code`] that the CLI prints in its JSON output, the app
//! sends across IPC and the server puts in its rejection bodies. Codes never change once released; messages may.
//!
//! No variant carries a seed, a passphrase or a one-time code: messages say what is wrong and how to fix it,
//! never what the secret was.

use std::path::PathBuf;

/// Result alias used throughout softtoken-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, with a message a customer or tester can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text given as a base32 secret is not base32.
    #[error("the secret is not valid base32: {reason} (use the letters A-Z and digits 2-7; spaces, hyphens and '=' padding are ignored)")]
    BadBase32 {
        /// Which character or length was wrong (never the secret itself).
        reason: String,
    },

    /// The secret is shorter than the 80 bits (16 base32 characters) that RFC 4226 requires.
    #[error("the secret is too short: {bits} bits, at least 80 bits (16 base32 characters) are required")]
    SecretTooShort {
        /// How many bits the secret had.
        bits: usize,
    },

    /// The secret is longer than any HMAC key softtoken accepts (1024 bytes).
    #[error("the secret is too long: {bytes} bytes, at most 1024 are accepted")]
    SecretTooLong {
        /// How many bytes the secret had.
        bytes: usize,
    },

    /// The number of digits is outside 6 to 8.
    #[error("{digits} digits is not supported: a code has 6, 7 or 8 digits")]
    BadDigits {
        /// The requested number of digits.
        digits: u32,
    },

    /// The period is zero or absurdly long.
    #[error("a period of {period} seconds is not supported: use 1 to 86400 seconds (30 is usual)")]
    BadPeriod {
        /// The requested period, in seconds.
        period: u64,
    },

    /// The hash algorithm is not SHA1, SHA256 or SHA512.
    #[error("unknown algorithm '{name}': use SHA1, SHA256 or SHA512")]
    BadAlgorithm {
        /// The algorithm name as given.
        name: String,
    },

    /// A time before the Unix epoch, or so far ahead that the step counter overflows.
    #[error("the time {seconds} is out of range")]
    BadTime {
        /// The offending time in Unix seconds.
        seconds: i128,
    },

    /// The text is not an `otpauth://` URI we can read.
    #[error("not a valid otpauth URI: {reason}")]
    BadUri {
        /// What is wrong with it.
        reason: String,
    },

    /// A serial number that is not of the form `ABCD 1234 5678`.
    #[error("'{input}' is not a serial number: {reason} (a serial is 4 letters and 8 digits, e.g. SKTN 1234 5678)")]
    BadSerial {
        /// The serial as typed (serials are not secret).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The serial's last digit does not match the others: a digit was mistyped or two were swapped.
    #[error("the serial number '{input}' has a typo: its check digit does not match (compare it again with the app's serial screen)")]
    SerialCheckDigit {
        /// The serial as typed.
        input: String,
    },

    /// An online-provisioning message is malformed, of another protocol version, or fails authentication.
    #[error("provisioning failed: {reason}")]
    Provisioning {
        /// What is wrong (never key material).
        reason: String,
    },

    /// A seed sealed under the server's master key does not open: wrong master key or altered database.
    #[error("a stored seed cannot be opened: {reason} (is this the master key the database was made with?)")]
    Sealed {
        /// What failed.
        reason: String,
    },

    /// A one-time code that is not 6 to 8 ASCII digits.
    #[error("a one-time password is {digits} digits (0-9) long")]
    BadCodeFormat {
        /// How many digits were expected.
        digits: u32,
    },

    /// Rendering a QR code failed (text too long for a QR code).
    #[error("cannot make a QR code: {reason}")]
    QrEncode {
        /// Why the encoder refused.
        reason: String,
    },

    /// The bytes are not a PNG or JPEG image we can read.
    #[error("cannot read the image: {reason} (PNG and JPEG are supported)")]
    BadImage {
        /// What the decoder said.
        reason: String,
    },

    /// A PSKC (RFC 6030) key file is refused as a whole: not PSKC, unsupported, a bad key, or a wrong pre-shared key.
    #[error("PSKC file refused: {reason}")]
    Pskc {
        /// What is wrong, naming the key by position and Id (never key material).
        reason: String,
    },

    /// The image holds no readable QR code.
    #[error("no QR code found in the image (crop it closer to the code, or use a sharper picture)")]
    NoQrCode,

    /// No token matches the given name or serial.
    #[error("no token matches '{query}'")]
    TokenNotFound {
        /// The name or serial that was looked for.
        query: String,
    },

    /// More than one token matches the given name; the serial tells them apart.
    #[error("'{query}' matches {count} tokens: give the serial number instead")]
    AmbiguousToken {
        /// The name that was looked for.
        query: String,
        /// How many tokens matched.
        count: usize,
    },

    /// A token with this serial, or this issuer and account, is already stored.
    #[error("a token for {what} is already stored")]
    DuplicateToken {
        /// The serial or issuer:account that clashes.
        what: String,
    },

    /// The OS keychain (Secret Service, Keychain, Credential Manager, Android Keystore) cannot be reached.
    #[error("the system keychain is not available: {reason} (unlock it, or use the encrypted file store)")]
    KeychainUnavailable {
        /// What the platform said.
        reason: String,
    },

    /// The OS keychain answered with an error.
    #[error("the system keychain failed: {reason}")]
    Keychain {
        /// What the platform said.
        reason: String,
    },

    /// The index says a seed is in the keychain but the keychain has none.
    #[error("the seed of token {id} is missing from the system keychain (the bank can reissue the token)")]
    SeedMissing {
        /// The token's internal id.
        id: String,
    },

    /// The vault file is not a softtoken vault, is of a newer version, or is cut short.
    #[error("{path} is not a readable softtoken vault: {reason}")]
    VaultCorrupt {
        /// The vault file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The passphrase does not open the vault (or the vault's contents were altered).
    #[error("wrong passphrase for {path} (or the file was altered)")]
    WrongPassphrase {
        /// The vault file.
        path: PathBuf,
    },

    /// A passphrase was needed but none was given.
    #[error("the vault needs a passphrase: type it at the prompt or set SOFTTOKEN_PASSPHRASE")]
    PassphraseRequired,

    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A store's index file is not valid.
    #[error("the token index {path} is damaged: {reason}")]
    IndexCorrupt {
        /// The index file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },

    /// A file is larger than any file of its kind that softtoken writes: it is not read.
    #[error("{path} is {size} bytes, more than a {what} can be ({limit} bytes): it is not read; restore it from a backup or move it away")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// What the file should be ("vault", "token index").
        what: &'static str,
        /// Its size.
        size: u64,
        /// The most a file of its kind may be.
        limit: u64,
    },
}

impl Error {
    /// A stable code for this error, for scripts, IPC and HTTP bodies. Never changes once released.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadBase32 { .. } => "bad_base32",
            Error::SecretTooShort { .. } => "secret_too_short",
            Error::SecretTooLong { .. } => "secret_too_long",
            Error::BadDigits { .. } => "bad_digits",
            Error::BadPeriod { .. } => "bad_period",
            Error::BadAlgorithm { .. } => "bad_algorithm",
            Error::BadTime { .. } => "bad_time",
            Error::BadUri { .. } => "bad_uri",
            Error::BadSerial { .. } => "bad_serial",
            Error::SerialCheckDigit { .. } => "serial_check_digit",
            Error::Provisioning { .. } => "provisioning",
            Error::Sealed { .. } => "sealed",
            Error::BadCodeFormat { .. } => "bad_code_format",
            Error::QrEncode { .. } => "qr_encode",
            Error::BadImage { .. } => "bad_image",
            Error::Pskc { .. } => "pskc",
            Error::NoQrCode => "no_qr_code",
            Error::TokenNotFound { .. } => "token_not_found",
            Error::AmbiguousToken { .. } => "ambiguous_token",
            Error::DuplicateToken { .. } => "duplicate_token",
            Error::KeychainUnavailable { .. } => "keychain_unavailable",
            Error::Keychain { .. } => "keychain",
            Error::SeedMissing { .. } => "seed_missing",
            Error::VaultCorrupt { .. } => "vault_corrupt",
            Error::WrongPassphrase { .. } => "wrong_passphrase",
            Error::PassphraseRequired => "passphrase_required",
            Error::Io { .. } => "io",
            Error::IndexCorrupt { .. } => "index_corrupt",
            Error::FileTooLarge { .. } => "file_too_large",
        }
    }

    pub(crate) fn bad_uri(reason: impl Into<String>) -> Self {
        Error::BadUri {
            reason: reason.into(),
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let samples = [
            Error::BadBase32 {
                reason: String::new(),
            },
            Error::SecretTooShort { bits: 0 },
            Error::SecretTooLong { bytes: 0 },
            Error::BadDigits { digits: 0 },
            Error::BadPeriod { period: 0 },
            Error::BadAlgorithm { name: String::new() },
            Error::BadTime { seconds: 0 },
            Error::bad_uri(""),
            Error::BadSerial {
                input: String::new(),
                reason: "",
            },
            Error::SerialCheckDigit { input: String::new() },
            Error::Provisioning {
                reason: String::new(),
            },
            Error::Sealed {
                reason: String::new(),
            },
            Error::BadCodeFormat { digits: 6 },
            Error::QrEncode {
                reason: String::new(),
            },
            Error::BadImage {
                reason: String::new(),
            },
            Error::Pskc {
                reason: String::new(),
            },
            Error::NoQrCode,
            Error::TokenNotFound { query: String::new() },
            Error::AmbiguousToken {
                query: String::new(),
                count: 2,
            },
            Error::DuplicateToken { what: String::new() },
            Error::KeychainUnavailable {
                reason: String::new(),
            },
            Error::Keychain {
                reason: String::new(),
            },
            Error::SeedMissing { id: String::new() },
            Error::VaultCorrupt {
                path: PathBuf::new(),
                reason: String::new(),
            },
            Error::WrongPassphrase { path: PathBuf::new() },
            Error::PassphraseRequired,
            Error::io("x", "", std::io::Error::other("x")),
            Error::IndexCorrupt {
                path: PathBuf::new(),
                reason: String::new(),
            },
            Error::FileTooLarge {
                path: PathBuf::new(),
                what: "vault",
                size: 0,
                limit: 0,
            },
        ];
        let mut codes: Vec<_> = samples.iter().map(Error::code).collect();
        assert!(codes.iter().all(|c| c
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')));
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "error codes must be unique");
    }
}
