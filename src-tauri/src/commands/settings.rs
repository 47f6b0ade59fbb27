//! Settings and the clock check.

use serde::Serialize;
use tauri::State;

use crate::error::AppResult;
use crate::service;
use crate::settings::Settings;
use crate::state::App;

/// Codes are accepted within ±1 step (30 s); warn well before that.
pub const CLOCK_WARN_SECONDS: i64 = 10;

#[tauri::command]
pub fn set_settings(app: State<'_, App>, settings: Settings) -> AppResult<Settings> {
    app.set_settings(settings)
}

/// The result of comparing the app's clock with the token service's.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockCheck {
    server_time_ms: u64,
    skew_seconds: i64,
    ok: bool,
}

/// Compares the system clock (tester shift excluded: the check is about the device) with the service's.
#[tauri::command]
pub async fn check_clock(app: State<'_, App>) -> AppResult<ClockCheck> {
    let settings = app.settings();
    let base = service::checked_url(&settings.service_url, settings.tester_mode)?;
    let (server_s, local_ms) = service::server_time(&base, crate::state::system_ms).await?;
    // The server's clock has whole seconds: its true time is in [s, s+1).
    let server_ms = server_s.saturating_mul(1000).saturating_add(500);
    let skew_ms = i128::from(local_ms) - i128::from(server_ms);
    let skew_seconds = i64::try_from(skew_ms / 1000).unwrap_or(i64::MAX);
    Ok(ClockCheck {
        server_time_ms: server_ms,
        skew_seconds,
        ok: skew_seconds.abs() <= CLOCK_WARN_SECONDS,
    })
}
