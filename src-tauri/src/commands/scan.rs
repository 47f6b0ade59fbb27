//! The camera scan of a provisioning QR (phones). The scan runs in Rust (mobile/scan.rs) and its text goes
//! straight into the same path as a pasted URI or activation link (commands/add.rs): the scanned secret never
//! reaches the webview, and nothing logs it. The webview only draws the viewfinder and a cancel button over the
//! camera picture.

use tauri::{AppHandle, Runtime, State};

use crate::error::AppResult;
use crate::state::App;
use crate::view::TokenView;

/// Opens the camera, waits for a QR code and adds the token it holds.
#[tauri::command]
pub async fn scan_qr<R: Runtime>(handle: AppHandle<R>, app: State<'_, App>) -> AppResult<TokenView> {
    let text = crate::platform::scan_qr(&handle).await?;
    crate::commands::add::add_from_qr_texts(&app, vec![text]).await
}

/// Closes the camera; the waiting `scan_qr` ends with `scan_cancelled`.
#[tauri::command]
pub fn cancel_scan<R: Runtime>(handle: AppHandle<R>) -> AppResult<()> {
    crate::platform::cancel_scan(&handle)
}
