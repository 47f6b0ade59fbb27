//! iOS and Android: no tester mode; the files live in the app's sandbox folders.

use tauri::{AppHandle, Manager, Runtime};

use crate::state::Paths;

/// Tester mode exists in desktop builds only.
pub const TESTER_AVAILABLE: bool = false;

/// The app's files, in its sandbox.
pub fn paths<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Paths> {
    Ok(Paths::in_dirs(
        &app.path().app_data_dir()?,
        &app.path().app_config_dir()?,
    )?)
}
