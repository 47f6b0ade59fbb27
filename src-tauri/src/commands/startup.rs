//! The start-up benchmark's one command (feature `startup-bench` only: `./x bench-app`).

use tauri::{AppHandle, Runtime, State};

use crate::startup::{Breakdown, PaintMarks};
use crate::state::App;

/// The UI has painted its first code: logs the time since start and its parts (see `startup`); with
/// `SOFTTOKEN_BENCH_T0_MS` (the launcher's Unix ms) prints `first-paint-ms N` and `first-paint-parts {json}` for
/// bench/app.sh, and with `SOFTTOKEN_BENCH_EXIT=1` then quits.
#[tauri::command]
pub fn first_paint<R: Runtime>(handle: AppHandle<R>, app: State<'_, App>, marks: PaintMarks) {
    let Some(rust) = app.startup.first_paint() else {
        return;
    };
    let parts = Breakdown::new(rust, &marks);
    tracing::info!("first code painted after {parts}");
    if let Some(t0) = std::env::var("SOFTTOKEN_BENCH_T0_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        println!("first-paint-ms {}", crate::state::system_ms().saturating_sub(t0));
        // The launcher's exec to our process start, then the parts (bench/app.sh takes the medians).
        println!(
            "first-paint-parts {}",
            serde_json::json!({ "exec": rust.started_ms.saturating_sub(t0), "parts": parts })
        );
        if std::env::var("SOFTTOKEN_BENCH_EXIT").as_deref() == Ok("1") {
            handle.exit(0);
        }
    }
}
