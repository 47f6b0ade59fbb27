//! softtoken, the app: a Tauri v2 shell around softtoken-core. The webview shows codes, serials and screens; the
//! seeds stay here, in the OS keychain (or the encrypted vault file) and in zeroizing memory.
//!
//! - `commands/`: the thin `#[tauri::command]`s (listed once in src-tauri/ipc_commands.rs; allowed per window in
//!   src-tauri/capabilities/).
//! - `state.rs`: the open store, the token cache and the settings.
//! - `view.rs`: what the webview receives (metadata and codes), as pure functions of time.
//! - `service.rs`: HTTP to the token service (provisioning, clock check).
//! - `desktop.rs` / `mobile.rs`: what differs per platform.
//! - `startup.rs` (feature `startup-bench` only): where the time to the first code goes, for `./x bench-app`.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod commands;
mod error;
mod service;
mod settings;
#[cfg(feature = "startup-bench")]
mod startup;
mod state;
mod view;

#[cfg(desktop)]
mod desktop;
#[cfg(mobile)]
mod mobile;
#[cfg(desktop)]
use desktop as platform;
#[cfg(mobile)]
use mobile as platform;

use tauri::Manager;

/// Starts the app (desktop `main`, or the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    #[cfg(feature = "startup-bench")]
    startup::process_start_ms();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SOFTTOKEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,softtoken_app=info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            let paths = platform::paths(app.handle())?;
            app.manage(state::App::start(paths, platform::TESTER_AVAILABLE));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::tokens::app_state,
            commands::tokens::unlock_vault,
            commands::tokens::list_tokens,
            commands::tokens::codes,
            commands::tokens::hotp_next,
            commands::tokens::delete_token,
            commands::tokens::serial_qr,
            commands::add::add_uri,
            commands::add::add_manual,
            commands::add::add_from_image,
            commands::add::add_from_clipboard,
            commands::add::provision_online,
            commands::clipboard::copy_code,
            commands::settings::set_settings,
            commands::settings::check_clock,
            #[cfg(feature = "startup-bench")]
            commands::startup::first_paint,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("softtoken cannot start: {e}");
        std::process::exit(1);
    }
}
