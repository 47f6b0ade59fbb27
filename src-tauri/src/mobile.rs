//! iOS and Android: no tester mode; the files live in the app's sandbox folders; the camera scan.

use serde::{Deserialize, Serialize};
use tauri::plugin::{Builder, PluginHandle, TauriPlugin};
use tauri::{AppHandle, Manager, Runtime};
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};
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

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_barcode_scanner);

/// The native half of tauri-plugin-barcode-scanner (its Kotlin and Swift classes), driven from Rust. The plugin's
/// own JavaScript API would hand the scanned text to the webview; this handle keeps it here. The webview is granted
/// none of the plugin's commands.
struct Scanner<R: Runtime>(PluginHandle<R>);

/// Registers the scanner's native class under a plugin of our own, so that Rust can call it.
pub fn scanner<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("softtoken-scanner")
        .setup(|app, api| {
            #[cfg(target_os = "android")]
            let handle = api.register_android_plugin("app.tauri.barcodescanner", "BarcodeScannerPlugin")?;
            #[cfg(target_os = "ios")]
            let handle = api.register_ios_plugin(init_plugin_barcode_scanner)?;
            app.manage(Scanner(handle));
            Ok(())
        })
        .build()
}

/// The native `scan` command's options: QR codes only, the camera picture under a transparent webview (which draws
/// the viewfinder and the cancel button), the back camera.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScanOptions {
    formats: [&'static str; 1],
    windowed: bool,
    camera_direction: &'static str,
}

/// The native `scan` command's answer (its format and bounds are not needed).
#[derive(Deserialize)]
struct Scanned {
    content: Zeroizing<String>,
}

/// The native `requestPermissions` answer: "granted", "denied", "prompt" or "prompt-with-rationale".
#[derive(Deserialize)]
struct CameraPermission {
    camera: String,
}

fn scan_error(e: tauri::plugin::mobile::PluginInvokeError) -> AppError {
    use tauri::plugin::mobile::PluginInvokeError;
    match e {
        // Both native halves reject a scan ended by `cancel` with the message "cancelled".
        PluginInvokeError::InvokeRejected(r) if r.message.as_deref() == Some("cancelled") => {
            AppError::ScanCancelled
        }
        e => AppError::ScanFailed {
            reason: e.to_string(),
        },
    }
}

fn scanner_of<R: Runtime>(app: &AppHandle<R>) -> AppResult<tauri::State<'_, Scanner<R>>> {
    app.try_state::<Scanner<R>>().ok_or(AppError::ScanUnavailable)
}

/// Asks for the camera (once), then waits for a QR code. The native calls block until the customer acts, so they
/// run on a blocking thread.
///
/// # Errors
/// `camera_denied`, `scan_cancelled` or `scan_failed`.
pub async fn scan_qr<R: Runtime>(app: &AppHandle<R>) -> AppResult<Zeroizing<String>> {
    let h = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let scanner = scanner_of(&h)?;
        let permission: CameraPermission = scanner
            .0
            .run_mobile_plugin("requestPermissions", ())
            .map_err(scan_error)?;
        if permission.camera != "granted" {
            return Err(AppError::CameraDenied);
        }
        let scanned: Scanned = scanner
            .0
            .run_mobile_plugin(
                "scan",
                ScanOptions {
                    formats: ["QR_CODE"],
                    windowed: true,
                    camera_direction: "back",
                },
            )
            .map_err(scan_error)?;
        Ok(scanned.content)
    })
    .await
    .map_err(AppError::internal)?
}

/// Closes the camera.
///
/// # Errors
/// `scan_failed` when the native side fails.
pub fn cancel_scan<R: Runtime>(app: &AppHandle<R>) -> AppResult<()> {
    scanner_of(app)?
        .0
        .run_mobile_plugin::<()>("cancel", ())
        .map_err(scan_error)
}
