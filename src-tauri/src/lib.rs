//! softtoken, the app: a Tauri v2 shell around softtoken-core. The webview shows codes, serials and screens; the
//! seeds stay here, in the OS keychain (or the encrypted vault file) and in zeroizing memory.
//!
//! - `commands/`: the thin `#[tauri::command]`s (listed once in src-tauri/ipc_commands.rs; allowed per window in
//!   src-tauri/capabilities/).
//! - `state.rs`: the open store, the token cache, the settings, the app lock and a waiting activation link.
//! - `applock.rs`: the optional app lock (biometrics or the screen lock), enforced here for every command.
//! - `link.rs`: `softtoken://activate` links from outside, confirmed by the customer before anything is sent.
//! - `view.rs`: what the webview receives (metadata and codes), as pure functions of time.
//! - `service.rs`: HTTP to the token service (provisioning, clock check).
//! - `desktop.rs` / `mobile.rs`: what differs per platform.
//! - `startup.rs` (feature `startup-bench` only): where the time to the first code goes, for `./x bench-app`.
// No `unsafe` of ours. Not `forbid`: on iOS, `tauri::ios_plugin_binding!` (mobile.rs) declares the native
// scanner's entry point in an `extern` block.
#![deny(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod applock;
mod commands;
mod error;
mod link;
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

use tauri::{AppHandle, Manager, Runtime};

/// The one list of the app's commands (OPEN_WHILE_LOCKED: those the app lock lets through).
#[allow(dead_code)]
mod ipc {
    include!("../ipc_commands.rs");
}
use ipc::OPEN_WHILE_LOCKED;

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
    let builder = tauri::Builder::default();
    // First, so that a second start hands over its link and exits before anything else is set up.
    #[cfg(desktop)]
    let builder = builder.plugin(desktop::single_instance());
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_barcode_scanner::init())
        .plugin(mobile::scanner());
    let result = builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_biometric::init())
        .setup(|app| {
            let paths = platform::paths(app.handle())?;
            app.manage(state::App::start(paths, platform::TESTER_AVAILABLE));
            listen_for_links(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| foreground(window.app_handle(), event))
        .invoke_handler(handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("softtoken cannot start: {e}");
        std::process::exit(1);
    }
}

/// The app's commands, each behind the app lock's gate but those in `OPEN_WHILE_LOCKED`: while the app is locked,
/// they answer `app_locked` whatever the webview asks.
fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    fn typed<R: Runtime, F: Fn(tauri::ipc::Invoke<R>) -> bool>(f: F) -> F {
        f
    }
    let commands = typed::<R, _>(tauri::generate_handler![
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
        commands::lock::unlock_app,
        commands::lock::set_app_lock,
        commands::link::pending_link,
        commands::link::accept_link,
        commands::link::dismiss_link,
        commands::scan::scan_qr,
        commands::scan::cancel_scan,
        #[cfg(feature = "startup-bench")]
        commands::startup::first_paint,
    ]);
    move |invoke| {
        if !OPEN_WHILE_LOCKED.contains(&invoke.message.command()) {
            let refusal = invoke
                .message
                .webview_ref()
                .try_state::<state::App>()
                .and_then(|app| app.guard().err());
            if let Some(e) = refusal {
                invoke.resolver.reject(e);
                return true;
            }
        }
        commands(invoke)
    }
}

/// Tells the webview that something changed in Rust (`softtoken:link`, `softtoken:away`, `softtoken:back`,
/// `softtoken:locked`); it then asks through its commands. The nudge carries no data, and the webview needs no
/// permission to listen to Tauri's events.
fn nudge<R: Runtime>(handle: &AppHandle<R>, event: &str) {
    if let Some(w) = handle.get_webview_window("main") {
        if let Err(e) = w.eval(format!("window.dispatchEvent(new Event({event:?}))")) {
            tracing::warn!("cannot tell the webview {event}: {e}");
        }
    }
}

/// Activation links from outside: the one the app was started with, and those that arrive while it runs (from the
/// OS on phones and macOS; on Linux and Windows from a second start, through the single-instance plugin). Each
/// waits in `App` for the customer's yes; nothing is sent anywhere here.
fn listen_for_links<R: Runtime>(handle: &AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let h = handle.clone();
    handle.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            take_link(&h, &url);
        }
    });
    // On phones the start link is a native call, which must not run on the main thread.
    let h = handle.clone();
    tauri::async_runtime::spawn_blocking(move || match h.deep_link().get_current() {
        Ok(urls) => {
            for url in urls.unwrap_or_default() {
                take_link(&h, &url);
            }
        }
        Err(e) => tracing::warn!("cannot read the link the app was started with: {e}"),
    });
}

fn take_link<R: Runtime>(handle: &AppHandle<R>, url: &url::Url) {
    if let Some(app) = handle.try_state::<state::App>() {
        app.offer_link(url.as_str());
        nudge(handle, "softtoken:link");
    }
}

/// The app leaving and regaining the foreground: the app lock's clock, and on phones the cover over the codes (the
/// app switcher's snapshot is taken after iOS's `sceneWillResignActive`, which Tauri reports as `Suspended`; on
/// Android FLAG_SECURE already keeps the codes out of it).
fn foreground<R: Runtime>(handle: &AppHandle<R>, event: &tauri::WindowEvent) {
    let Some(app) = handle.try_state::<state::App>() else {
        return;
    };
    let came_back = match event {
        #[cfg(mobile)]
        tauri::WindowEvent::Suspended => false,
        #[cfg(mobile)]
        tauri::WindowEvent::Resumed => true,
        // A desktop window out of focus stays on screen (the customer reads the code while typing it elsewhere):
        // no cover, only the lock's clock.
        #[cfg(desktop)]
        tauri::WindowEvent::Focused(focused) => *focused,
        _ => return,
    };
    if came_back {
        if app.returned_to_foreground() {
            nudge(handle, "softtoken:locked");
        } else if cfg!(mobile) {
            nudge(handle, "softtoken:back");
        }
    } else {
        app.left_foreground();
        if cfg!(mobile) {
            nudge(handle, "softtoken:away");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    fn request(cmd: &str) -> InvokeRequest {
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own pages (a remote origin would meet the ACL first).
            url: if cfg!(any(windows, target_os = "android")) {
                "http://tauri.localhost"
            } else {
                "tauri://localhost"
            }
            .parse()
            .unwrap(),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        }
    }

    fn refusal(res: &Result<tauri::ipc::InvokeResponseBody, serde_json::Value>) -> Option<String> {
        res.as_ref()
            .err()
            .map(|v| v["code"].as_str().unwrap_or_default().to_string())
    }

    /// The app lock through the real command handler, as the webview reaches it: with the lock on and nobody
    /// checked, every command but the lock screen's answers `app_locked`, whatever it is asked.
    #[test]
    fn the_lock_refuses_every_command_but_the_lock_screens() {
        let dir = tempfile::tempdir().unwrap();
        let paths = state::Paths::in_dirs(dir.path(), dir.path()).unwrap();
        settings::save(
            &paths.settings,
            &settings::Settings {
                app_lock: true,
                ..settings::Settings::default()
            },
        )
        .unwrap();
        let app = mock_builder()
            .plugin(tauri_plugin_biometric::init())
            .invoke_handler(handler())
            .build(mock_context(noop_assets()))
            .unwrap();
        app.manage(state::App::start(paths, true));
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();

        let mut refused = 0;
        for cmd in ipc::COMMANDS.iter().filter(|c| **c != "unlock_app") {
            let res = get_ipc_response(&webview, request(cmd));
            if OPEN_WHILE_LOCKED.contains(cmd) {
                assert_ne!(refusal(&res).as_deref(), Some("app_locked"), "{cmd}");
            } else {
                assert_eq!(
                    refusal(&res).as_deref(),
                    Some("app_locked"),
                    "{cmd} answered while locked: {res:?}"
                );
                refused += 1;
            }
        }
        // All but app_state and unlock_app (first_paint is in startup-bench builds only).
        assert_eq!(refused, ipc::COMMANDS.len() - 2);
        let state: serde_json::Value = get_ipc_response(&webview, request("app_state"))
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(state["appLock"]["locked"], true);
        assert!(state.get("codes").is_none());

        // This machine offers no biometric check, so unlocking turns the lock off (a device without a screen
        // lock cannot check anyone) and says so; then the commands answer again.
        let unlocked: serde_json::Value = get_ipc_response(&webview, request("unlock_app"))
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(unlocked["lockTurnedOff"], true);
        assert_ne!(
            refusal(&get_ipc_response(&webview, request("codes"))).as_deref(),
            Some("app_locked")
        );
        let state: serde_json::Value = get_ipc_response(&webview, request("app_state"))
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(
            state["appLock"],
            serde_json::json!({"available": false, "enabled": false, "locked": false})
        );
        // And the customer cannot turn on a lock that cannot check anyone.
        let mut on = request("set_app_lock");
        on.body = InvokeBody::Json(serde_json::json!({"enabled": true}));
        assert_eq!(
            refusal(&get_ipc_response(&webview, on)).as_deref(),
            Some("lock_unavailable")
        );
    }
}
