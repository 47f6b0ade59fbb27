//! The app's settings: language, clipboard delay, token-service URL, tester mode, the app lock. Kept as JSON in the app's config
//! folder, replaced atomically. Pure apart from `load` and `save`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The token service this build talks to unless Settings say otherwise: `SOFTTOKEN_SERVICE_URL` at build time, or
/// the embedded reference server on this machine.
pub const DEFAULT_SERVICE_URL: &str = match option_env!("SOFTTOKEN_SERVICE_URL") {
    Some(u) => u,
    None => "http://127.0.0.1:8787",
};

/// Longest clipboard delay, seconds.
pub const MAX_CLIPBOARD_SECONDS: u32 = 300;
/// Largest tester clock shift, seconds either way.
pub const MAX_SHIFT_SECONDS: i64 = 3600;

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Japanese when the OS locale is Japanese, English otherwise.
    #[default]
    Auto,
    /// 日本語.
    Ja,
    /// English.
    En,
}

/// What the customer (or tester) chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// UI language.
    pub language: Language,
    /// A copied code is removed from the clipboard after this many seconds (0: never).
    pub clipboard_clear_seconds: u32,
    /// Base URL of the token service.
    pub service_url: String,
    /// Tester mode (desktop builds only).
    pub tester_mode: bool,
    /// Tester mode's clock shift in seconds.
    pub clock_shift_seconds: i64,
    /// The app lock (applock.rs): turned on and off only by `set_app_lock`, after the OS's check; `set_settings`
    /// keeps the current value whatever it is sent.
    pub app_lock: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            language: Language::Auto,
            clipboard_clear_seconds: 30,
            service_url: DEFAULT_SERVICE_URL.to_string(),
            tester_mode: false,
            clock_shift_seconds: 0,
            app_lock: false,
        }
    }
}

impl Settings {
    /// Checks ranges and the URL; returns the settings normalised (URL without a trailing slash).
    ///
    /// # Errors
    /// [`AppError::BadSettings`] or [`AppError::BadServiceUrl`], saying which field and what range.
    pub fn validated(mut self, tester_available: bool) -> AppResult<Settings> {
        if self.clipboard_clear_seconds > MAX_CLIPBOARD_SECONDS {
            return Err(AppError::BadSettings {
                reason: format!("the clipboard delay must be 0 to {MAX_CLIPBOARD_SECONDS} seconds"),
            });
        }
        if self.clock_shift_seconds.abs() > MAX_SHIFT_SECONDS {
            return Err(AppError::BadSettings {
                reason: format!("the clock shift must be within ±{MAX_SHIFT_SECONDS} seconds"),
            });
        }
        if !tester_available {
            self.tester_mode = false;
            self.clock_shift_seconds = 0;
        }
        let url = softtoken_core::provisioning::service_url(&self.service_url).map_err(|e| {
            AppError::BadServiceUrl {
                reason: e.to_string(),
            }
        })?;
        self.service_url = url.as_str().trim_end_matches('/').to_string();
        Ok(self)
    }

    /// The clock shift in effect, in seconds.
    #[must_use]
    pub fn shift(&self) -> i64 {
        if self.tester_mode {
            self.clock_shift_seconds
        } else {
            0
        }
    }
}

/// Reads the settings file; a missing or unreadable file gives the defaults (settings are not worth refusing to
/// start over), with a warning in the log.
#[must_use]
pub fn load(path: &Path, tester_available: bool) -> Settings {
    let Ok(bytes) = std::fs::read(path) else {
        return Settings::default();
    };
    match serde_json::from_slice::<Settings>(&bytes).map(|s| s.validated(tester_available)) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!(
                "settings file {} refused ({e}); using the defaults",
                path.display()
            );
            Settings::default()
        }
        Err(e) => {
            tracing::warn!(
                "settings file {} unreadable ({e}); using the defaults",
                path.display()
            );
            Settings::default()
        }
    }
}

/// Writes the settings file atomically.
///
/// # Errors
/// [`AppError::Core`] (`io`) when the file cannot be written; the old file is then unchanged.
pub fn save(path: &Path, settings: &Settings) -> AppResult<()> {
    let json = serde_json::to_vec_pretty(settings).map_err(AppError::internal)?;
    softtoken_core::store::atomic::write_atomic(path, &json)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let s = Settings::default().validated(true).unwrap();
        assert_eq!(s.service_url, "http://127.0.0.1:8787");
        assert_eq!(s.shift(), 0);
    }

    #[test]
    fn refusals_name_the_field() {
        let bad = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            s.validated(true).unwrap_err()
        };
        assert_eq!(bad(|s| s.clipboard_clear_seconds = 301).code(), "bad_setting");
        assert_eq!(bad(|s| s.clock_shift_seconds = -3601).code(), "bad_setting");
        assert_eq!(
            bad(|s| s.service_url = "ftp://x".into()).code(),
            "bad_service_url"
        );
        assert_eq!(
            bad(|s| s.service_url = "https://u:p@bank".into()).code(),
            "bad_service_url"
        );
    }

    #[test]
    fn mobile_builds_drop_tester_mode() {
        let s = Settings {
            tester_mode: true,
            clock_shift_seconds: 60,
            ..Settings::default()
        };
        assert_eq!(s.clone().validated(true).unwrap().shift(), 60);
        assert_eq!(s.validated(false).unwrap().shift(), 0);
    }

    #[test]
    fn load_and_save_round_trip_and_survive_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        assert_eq!(load(&p, true), Settings::default());
        let s = Settings {
            language: Language::En,
            clipboard_clear_seconds: 10,
            ..Settings::default()
        };
        save(&p, &s).unwrap();
        assert_eq!(load(&p, true), s);
        std::fs::write(&p, b"{not json").unwrap();
        assert_eq!(load(&p, true), Settings::default());
    }
}
