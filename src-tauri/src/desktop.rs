//! Desktop (Linux, Windows, macOS): tester mode is offered, and `SOFTTOKEN_APP_DIR` can move all of the app's
//! files (for testers keeping several profiles, and for the end-to-end tests).

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};

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
