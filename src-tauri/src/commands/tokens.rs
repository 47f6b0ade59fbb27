//! Start-up state, the token list, codes, delete, the serial's QR.

use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{AppResult, ErrorView};
use crate::settings::{Settings, DEFAULT_SERVICE_URL};
use crate::startup::{Breakdown, PaintMarks, Rust};
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
}

fn state_view(app: &App) -> AppStateView {
    AppStateView {
        storage: app.storage(),
        keychain_error: app.keychain_error.clone(),
        vault_exists: app.paths.vault.exists(),
        settings: app.settings(),
        os_locale: sys_locale::get_locale().unwrap_or_else(|| "en-US".into()),
        version: env!("CARGO_PKG_VERSION"),
        tester_available: app.tester_available,
        default_service_url: DEFAULT_SERVICE_URL,
    }
}

#[tauri::command]
pub fn app_state(app: State<'_, App>) -> AppStateView {
    state_view(&app)
}

/// Opens or creates the encrypted vault (Argon2id: off the async workers).
#[tauri::command]
pub async fn unlock_vault(handle: AppHandle, passphrase: String) -> AppResult<AppStateView> {
    use tauri::Manager;
    let passphrase = SecretString::from(passphrase);
    let h = handle.clone();
    tauri::async_runtime::spawn_blocking(move || h.state::<App>().unlock_vault(passphrase))
        .await
        .map_err(crate::error::AppError::internal)??;
    Ok(state_view(&handle.state::<App>()))
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

/// The UI has painted its first code: logs the time since start and its parts (see `startup`); with
/// `SOFTTOKEN_BENCH_T0_MS` (the launcher's Unix ms) prints `first-paint-ms N` and `first-paint-parts {json}` for
/// bench/app.sh, and with `SOFTTOKEN_BENCH_EXIT=1` then quits.
#[tauri::command]
pub fn first_paint(handle: AppHandle, app: State<'_, App>, marks: PaintMarks) {
    use std::sync::atomic::Ordering;
    if app.first_paint.swap(true, Ordering::SeqCst) {
        return;
    }
    let parts = Breakdown::new(
        Rust {
            started_ms: app.started_unix_ms,
            ready_ms: app.ready_unix_ms,
            keychain_probe_ms: app.keychain_probe_ms,
            store_read_ms: app.store_read_ms.get().copied().unwrap_or(0),
        },
        &marks,
    );
    tracing::info!("first code painted after {parts}");
    if let Some(t0) = std::env::var("SOFTTOKEN_BENCH_T0_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        println!("first-paint-ms {}", crate::state::system_ms().saturating_sub(t0));
        // The launcher's exec to our process start, then the parts (bench/app.sh takes the medians).
        println!(
            "first-paint-parts {}",
            serde_json::json!({ "exec": app.started_unix_ms.saturating_sub(t0), "parts": parts })
        );
        if std::env::var("SOFTTOKEN_BENCH_EXIT").as_deref() == Ok("1") {
            handle.exit(0);
        }
    }
}
