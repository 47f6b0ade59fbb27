//! Copying a code: written to the OS clipboard here in Rust (marked as a secret so clipboard managers skip it),
//! and cleared after the configured delay unless something else was copied since.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{AppError, AppResult};
use crate::state::App;

/// What the UI tells the customer after a copy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyResult {
    clear_after_seconds: u32,
}

fn clip_err(e: impl std::fmt::Display) -> AppError {
    AppError::Clipboard {
        reason: e.to_string(),
    }
}

#[tauri::command]
pub fn copy_code<R: Runtime>(handle: AppHandle<R>, app: State<'_, App>, id: String) -> AppResult<CopyResult> {
    let code = app.code_to_copy(&id, app.now_ms())?;
    handle.clipboard().write_secret(code.as_str()).map_err(clip_err)?;
    let generation = app.next_clipboard_generation();
    let delay = app.settings().clipboard_clear_seconds;
    if delay > 0 {
        let h = handle.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_secs(u64::from(delay))).await;
            // A later copy owns the clipboard now, or the customer copied something else: leave it.
            if h.state::<App>().clipboard_generation.load(Ordering::SeqCst) != generation {
                return;
            }
            if h.clipboard().read_text().ok().as_deref() == Some(code.as_str()) {
                if let Err(e) = h.clipboard().clear() {
                    tracing::warn!("cannot clear the clipboard: {e}");
                }
            }
        });
    }
    Ok(CopyResult {
        clear_after_seconds: delay,
    })
}
