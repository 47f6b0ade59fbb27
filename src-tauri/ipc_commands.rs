// The app's IPC commands, the one list. build.rs makes one permission per command from it (`allow-<name>`), and
// tests/ipc_commands.rs holds the other places that name a command to it: `generate_handler!` in src-tauri/src/lib.rs,
// the capabilities in src-tauri/capabilities/, the typed wrappers in ui/src/ipc.ts and the mock in ui/dev/mock.ts.
// Plain Rust with no `use`, so that both the build script and the test can `include!` it.

/// Every command of every build, allowed for the main window by src-tauri/capabilities/main.json.
pub const COMMANDS: &[&str] = &[
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
    "unlock_app",
    "set_app_lock",
    "pending_link",
    "accept_link",
    "dismiss_link",
    "scan_qr",
    "cancel_scan",
];

/// The start-up benchmark's commands: only in builds with the `startup-bench` feature (`./x bench-app`), allowed by
/// src-tauri/capabilities/startup-bench/, which only those builds read. A shipped app has neither.
pub const STARTUP_BENCH_COMMANDS: &[&str] = &["first_paint"];

/// The commands that answer while the app lock is locked (src-tauri/src/applock.rs): what the lock screen needs.
/// Every other command answers `app_locked` (the gate in src-tauri/src/lib.rs).
pub const OPEN_WHILE_LOCKED: &[&str] = &["app_state", "unlock_app", "first_paint"];
