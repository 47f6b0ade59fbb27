//! Tauri's build step: the context for `generate_context!`, the capabilities (from src-tauri/capabilities, since
//! the root of this repository is also the workspace) and one permission per app command, so that
//! capabilities/*.json can list exactly the commands a window may call.

/// Every `#[tauri::command]` of the app. A command missing here cannot be called from any window.
const COMMANDS: &[&str] = &[
    "app_state",
    "unlock_vault",
    "list_tokens",
    "codes",
    "hotp_next",
    "add_uri",
    "add_manual",
    "add_from_image",
    "add_from_clipboard",
    "provision_online",
    "delete_token",
    "copy_code",
    "serial_qr",
    "set_settings",
    "check_clock",
    "first_paint",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; this is the only way to stop the build with a message.
        #[allow(clippy::panic)]
        {
            panic!("tauri-build failed: {e:#}");
        }
    }
}
