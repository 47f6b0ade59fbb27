//! The one error type of the app's commands. It crosses IPC as `{"code": "...", "message": "..."}`: `code` is stable
//! (the UI translates it, tests match it), `message` is English detail. Neither ever holds a seed or a code.

use serde::ser::SerializeStruct;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// An error of the core: bad URI, bad secret, keychain, vault, QR, provisioning… (its own code).
    #[error(transparent)]
    Core(#[from] softtoken_core::Error),
    /// The encrypted file store has not been unlocked yet.
    #[error("the token store is locked: enter the passphrase first")]
    StoreLocked,
    /// A QR code was found, but it is neither an otpauth URI nor an activation link.
    #[error(
        "the QR code is not a token: it holds neither an otpauth:// URI nor a softtoken://activate link"
    )]
    NotATokenQr,
    /// Text that is neither an otpauth URI nor an activation link.
    #[error("not an otpauth:// URI or a softtoken://activate link")]
    NotATokenUri,
    /// The token service's URL cannot be used.
    #[error("{reason}")]
    BadServiceUrl {
        /// What is wrong.
        reason: String,
    },
    /// The token service cannot be reached.
    #[error("cannot reach the token service at {url}: {reason}")]
    ServiceUnreachable {
        /// The URL tried (no credentials: the URL rule refuses them).
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The token service answered with an error.
    #[error("the token service refused ({status}, {code}): {message}")]
    ServiceRefused {
        /// HTTP status.
        status: u16,
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The OS clipboard failed.
    #[error("the clipboard failed: {reason}")]
    Clipboard {
        /// The clipboard error.
        reason: String,
    },
    /// A counter-based token has no code to copy until one is shown.
    #[error("show the code of this counter-based (HOTP) token first, then copy it")]
    NoCodeShown,
    /// The clipboard holds no image.
    #[error("the clipboard holds no image: copy the QR code's picture first")]
    NoClipboardImage,
    /// Settings out of range.
    #[error("{reason}")]
    BadSettings {
        /// What is wrong.
        reason: String,
    },
    /// The passphrase for a new vault is too short.
    #[error("a new passphrase must be at least {min} characters long")]
    WeakPassphrase {
        /// Minimum length.
        min: usize,
    },
    /// The app lock is on and the customer has not passed the OS's check yet.
    #[error("softtoken is locked: unlock it with your fingerprint, face or screen lock")]
    AppLocked,
    /// The app lock cannot be used on this device.
    #[error("this device offers no biometric or screen-lock check for the app lock: {reason}")]
    LockUnavailable {
        /// What the OS said.
        reason: String,
    },
    /// The OS's biometric or device-credential check did not pass (failed, cancelled or timed out).
    #[error("the check did not pass: {reason}")]
    AuthFailed {
        /// What the OS said.
        reason: String,
    },
    /// No camera scan in this build (desktop): add the QR as a picture instead.
    #[error("this device has no camera scan: add the QR code as a picture or paste the link")]
    ScanUnavailable,
    /// The customer closed the camera.
    #[error("the scan was cancelled")]
    #[cfg_attr(desktop, allow(dead_code))]
    ScanCancelled,
    /// The camera may not be used.
    #[error(
        "softtoken may not use the camera: allow it in the system settings, or add the QR code as a picture"
    )]
    #[cfg_attr(desktop, allow(dead_code))]
    CameraDenied,
    /// The camera scan failed.
    #[error("the camera scan failed: {reason}")]
    #[cfg_attr(desktop, allow(dead_code))]
    ScanFailed {
        /// What the OS said.
        reason: String,
    },
    /// No activation link is waiting for confirmation.
    #[error("no activation link is waiting: open the link again")]
    NoPendingLink,
    /// An error found earlier and shown now (a refused activation link), with its own code.
    #[error("{}", .0.message)]
    Refused(ErrorView),
    /// A bug or an OS failure that the user cannot fix.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl AppError {
    /// The stable code the UI and the tests rely on.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Core(e) => e.code(),
            AppError::StoreLocked => "store_locked",
            AppError::NotATokenQr => "not_a_token_qr",
            AppError::NotATokenUri => "bad_uri",
            AppError::BadServiceUrl { .. } => "bad_service_url",
            AppError::ServiceUnreachable { .. } => "service_unreachable",
            AppError::ServiceRefused { .. } => "service_refused",
            AppError::Clipboard { .. } => "clipboard",
            AppError::NoClipboardImage => "no_clipboard_image",
            AppError::NoCodeShown => "no_code_shown",
            AppError::BadSettings { .. } => "bad_setting",
            AppError::WeakPassphrase { .. } => "passphrase_too_short",
            AppError::AppLocked => "app_locked",
            AppError::LockUnavailable { .. } => "lock_unavailable",
            AppError::AuthFailed { .. } => "auth_failed",
            AppError::ScanUnavailable => "scan_unavailable",
            AppError::ScanCancelled => "scan_cancelled",
            AppError::CameraDenied => "camera_denied",
            AppError::ScanFailed { .. } => "scan_failed",
            AppError::NoPendingLink => "no_pending_link",
            AppError::Refused(e) => e.code,
            AppError::Internal { .. } => "internal",
        }
    }

    pub(crate) fn internal(reason: impl std::fmt::Display) -> AppError {
        AppError::Internal {
            reason: reason.to_string(),
        }
    }
}

impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AppError", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// An error frozen for later display (the keychain's startup failure), serialised like [`AppError`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorView {
    /// Stable code.
    pub code: &'static str,
    /// English detail.
    pub message: String,
}

impl From<&AppError> for ErrorView {
    fn from(e: &AppError) -> ErrorView {
        ErrorView {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// What every command returns.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_code_and_message() {
        let e = AppError::from(softtoken_core::Error::NoQrCode);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "no_qr_code");
        assert!(v["message"].as_str().unwrap().contains("no QR code"));
        assert_eq!(
            serde_json::to_value(AppError::StoreLocked).unwrap()["code"],
            "store_locked"
        );
    }
}
