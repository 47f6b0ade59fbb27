//! The app lock's commands: the OS's biometric or device-credential check (tauri-plugin-biometric: Android, iOS,
//! macOS), then the state change in Rust (applock.rs). The check blocks until the customer answers, so it runs on a
//! blocking thread, never on the main one.

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_biometric::{AuthOptions, BiometricExt};

use crate::error::{AppError, AppResult};
use crate::settings::Settings;
use crate::state::App;

/// Whether this device can check the customer (a fingerprint, a face, or the screen lock's PIN or pattern).
pub fn available<R: Runtime>(handle: &AppHandle<R>) -> bool {
    handle
        .biometric()
        .status()
        .map(|s| s.is_available)
        .unwrap_or(false)
}

/// Asks the OS to check the customer, on a blocking thread.
async fn check<R: Runtime>(handle: &AppHandle<R>, reason: &'static str) -> AppResult<()> {
    let h = handle.clone();
    tauri::async_runtime::spawn_blocking(move || {
        h.biometric().authenticate(
            reason.to_string(),
            AuthOptions {
                // The screen lock's PIN, pattern or password is accepted too: a customer whose finger is not read
                // is not locked out of their bank.
                allow_device_credential: true,
                title: Some("softtoken".into()),
                ..AuthOptions::default()
            },
        )
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::AuthFailed {
        reason: e.to_string(),
    })
}

/// What the UI learns after an unlock.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unlocked {
    /// The device no longer has any check (its screen lock was removed): the app lock turned itself off.
    lock_turned_off: bool,
}

/// Unlocks the app after the OS's check. A device that no longer has a screen lock cannot check anyone: the app
/// lock then turns itself off (whoever holds the phone could remove the screen lock only with its PIN).
#[tauri::command]
pub async fn unlock_app<R: Runtime>(handle: AppHandle<R>) -> AppResult<Unlocked> {
    let h = handle.clone();
    let can_check = tauri::async_runtime::spawn_blocking(move || available(&h))
        .await
        .map_err(AppError::internal)?;
    let app = handle.state::<App>();
    if !can_check {
        app.set_app_lock(false)?;
        return Ok(Unlocked {
            lock_turned_off: true,
        });
    }
    check(&handle, "Unlock softtoken / softtoken のロックを解除").await?;
    app.authenticated();
    Ok(Unlocked {
        lock_turned_off: false,
    })
}

/// Turns the app lock on or off, after the OS's check either way (turning it on proves that the check works here;
/// turning it off is the customer's decision, not that of whoever holds the phone).
#[tauri::command]
pub async fn set_app_lock<R: Runtime>(
    handle: AppHandle<R>,
    app: State<'_, App>,
    enabled: bool,
) -> AppResult<Settings> {
    let h = handle.clone();
    let can_check = tauri::async_runtime::spawn_blocking(move || available(&h))
        .await
        .map_err(AppError::internal)?;
    if enabled && !can_check {
        return Err(AppError::LockUnavailable {
            reason: "set up a screen lock (PIN, pattern, fingerprint or face) first".into(),
        });
    }
    if can_check {
        check(&handle, "Confirm the app lock / アプリのロックを確認").await?;
    }
    app.set_app_lock(enabled)
}
