//! Desktop (Linux, Windows, macOS): tester mode is offered, and `SOFTTOKEN_APP_DIR` can move all of the app's
//! files (for testers keeping several profiles, and for the end-to-end tests).

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};
use crate::state::Paths;

/// Tester mode (clock shift, previous/next codes) exists in desktop builds only.
pub const TESTER_AVAILABLE: bool = true;

/// Environment variable that puts the app's index, vault and settings in one folder.
pub const APP_DIR_ENV: &str = "SOFTTOKEN_APP_DIR";

/// The app's files: in `SOFTTOKEN_APP_DIR` if set, else the OS's per-user data and config folders.
pub fn paths<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Paths> {
    let (data, config) = match std::env::var_os(APP_DIR_ENV) {
        Some(dir) if !dir.is_empty() => (PathBuf::from(&dir), PathBuf::from(dir)),
        _ => (app.path().app_data_dir()?, app.path().app_config_dir()?),
    };
    Ok(Paths::in_dirs(&data, &config)?)
}

/// The app's identifier (tauri.conf.json), the single-instance plugin's D-Bus name.
pub const IDENTIFIER: &str = "jp.softtoken.app";

/// One running app per profile: a second start (a clicked `softtoken://` link on Linux and Windows starts the app
/// with the link as its argument) hands its arguments to the running app, whose deep-link plugin takes the link,
/// and exits. Each `SOFTTOKEN_APP_DIR` profile is its own instance (testers keep several; the end-to-end tests run
/// one after another, and a closing app must not receive the next one's start).
pub fn single_instance<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_id(std::env::var_os(APP_DIR_ENV).as_deref()))
        .callback(|app, _args, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        })
        .build()
}

/// The instance's D-Bus name: the identifier, plus a hash of the profile's folder when there is one.
fn instance_id(app_dir: Option<&std::ffi::OsStr>) -> String {
    use std::hash::{Hash, Hasher};
    match app_dir {
        Some(dir) if !dir.is_empty() => {
            // Both starts run the same binary, so the (unspecified but fixed) std hash agrees between them.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut h);
            format!("{IDENTIFIER}.profile{:016x}", h.finish())
        }
        _ => IDENTIFIER.to_string(),
    }
}

/// No camera scan on the desktop: a QR is added as a picture (file, drop, paste, clipboard).
///
/// # Errors
/// Always [`AppError::ScanUnavailable`].
#[allow(clippy::unused_async)]
pub async fn scan_qr<R: Runtime>(_app: &AppHandle<R>) -> AppResult<Zeroizing<String>> {
    Err(AppError::ScanUnavailable)
}

/// No camera scan on the desktop.
///
/// # Errors
/// Always [`AppError::ScanUnavailable`].
pub fn cancel_scan<R: Runtime>(_app: &AppHandle<R>) -> AppResult<()> {
    Err(AppError::ScanUnavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_is_the_configured_one() {
        let conf: serde_json::Value = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], IDENTIFIER);
    }

    #[test]
    fn each_profile_is_its_own_instance() {
        use std::ffi::OsStr;
        assert_eq!(instance_id(None), IDENTIFIER);
        assert_eq!(instance_id(Some(OsStr::new(""))), IDENTIFIER);
        let a = instance_id(Some(OsStr::new("/tmp/a")));
        assert_eq!(a, instance_id(Some(OsStr::new("/tmp/a"))));
        assert_ne!(a, instance_id(Some(OsStr::new("/tmp/b"))));
        // A D-Bus name element: letters, digits, underscores, not starting with a digit.
        assert!(a.starts_with("jp.softtoken.app.profile"));
    }
}
