//! Start-up state, the token list, codes, delete, the serial's QR.

use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::{AppResult, ErrorView};
use crate::settings::{Settings, DEFAULT_SERVICE_URL};
use crate::state::{App, Storage};
use crate::view::{code_view, Codes, TokenView};

/// What the UI needs to start.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateView {
    storage: Option<Storage>,
    keychain_error: Option<ErrorView>,
    vault_exists: bool,
    settings: Settings,
    os_locale: String,
    version: &'static str,
    tester_available: bool,
    default_service_url: &'static str,
    /// Whether this build reports its first paint (feature `startup-bench`, `./x bench-app`).
    startup_bench: bool,
    /// The app lock.
    app_lock: LockView,
    /// Whether the Add screen offers the camera scan (phones).
    scan_available: bool,
}

/// The app lock as the UI sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockView {
    /// Whether this device can check the customer (biometrics or the screen lock's credential).
    available: bool,
    /// Whether the customer turned the lock on.
    enabled: bool,
    /// Whether the app is locked now: the UI shows the lock screen, and every other command refuses.
    locked: bool,
}

fn state_view(app: &App, lock_available: bool) -> AppStateView {
    let (enabled, locked) = app.lock_state();
    AppStateView {
        storage: app.storage(),
        keychain_error: app.keychain_error.clone(),
        vault_exists: app.paths.vault.exists(),
        settings: app.settings(),
        os_locale: sys_locale::get_locale().unwrap_or_else(|| "en-US".into()),
        version: env!("CARGO_PKG_VERSION"),
        tester_available: app.tester_available,
        default_service_url: DEFAULT_SERVICE_URL,
        startup_bench: cfg!(feature = "startup-bench"),
        app_lock: LockView {
            available: lock_available,
            enabled,
            locked,
        },
        scan_available: cfg!(mobile),
    }
}

/// Asks the OS whether the app lock can be used (a native call on phones: off the main thread).
async fn lock_available<R: Runtime>(handle: &AppHandle<R>) -> AppResult<bool> {
    let h = handle.clone();
    tauri::async_runtime::spawn_blocking(move || crate::commands::lock::available(&h))
        .await
        .map_err(crate::error::AppError::internal)
}

#[tauri::command]
pub async fn app_state<R: Runtime>(handle: AppHandle<R>) -> AppResult<AppStateView> {
    let available = lock_available(&handle).await?;
    Ok(state_view(&handle.state::<App>(), available))
}

/// Opens or creates the encrypted vault (Argon2id: off the async workers).
#[tauri::command]
pub async fn unlock_vault<R: Runtime>(handle: AppHandle<R>, passphrase: String) -> AppResult<AppStateView> {
    let passphrase = SecretString::from(passphrase);
    let h = handle.clone();
    tauri::async_runtime::spawn_blocking(move || h.state::<App>().unlock_vault(passphrase))
        .await
        .map_err(crate::error::AppError::internal)??;
    let available = lock_available(&handle).await?;
    Ok(state_view(&handle.state::<App>(), available))
}

#[tauri::command]
pub fn list_tokens(app: State<'_, App>) -> AppResult<Vec<TokenView>> {
    Ok(app.list()?.iter().map(TokenView::from).collect())
}

#[tauri::command]
pub fn codes(app: State<'_, App>) -> AppResult<Codes> {
    let now_ms = app.now_ms();
    let tester = app.settings().tester_mode;
    let codes = app.with_tokens(|ts| ts.iter().map(|t| code_view(t, now_ms, tester)).collect())?;
    Ok(Codes { now_ms, codes })
}

#[tauri::command]
pub fn hotp_next(app: State<'_, App>, id: String) -> AppResult<String> {
    app.hotp_next(&id, softtoken_core::now())
}

#[tauri::command]
pub fn delete_token(app: State<'_, App>, id: String) -> AppResult<()> {
    app.remove(&id)
}

/// A QR of the token's serial number (public: the customer types it at the bank), as SVG.
#[tauri::command]
pub fn serial_qr(app: State<'_, App>, id: String) -> AppResult<String> {
    let info = app
        .list()?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| softtoken_core::Error::TokenNotFound { query: id.clone() })?;
    let serial = info
        .serial
        .ok_or(softtoken_core::Error::TokenNotFound { query: id })?;
    Ok(softtoken_core::qr::render_svg(&serial)?)
}
