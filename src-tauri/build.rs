//! Tauri's build step: the context for `generate_context!`, the capabilities (from src-tauri/capabilities, since
//! the root of this repository is also the workspace) and one permission per app command, so that
//! capabilities/*.json can list exactly the commands a window may call.

// COMMANDS and STARTUP_BENCH_COMMANDS: the one list of the app's commands.
include!("ipc_commands.rs");

fn main() {
    // The start-up benchmark's command and its capability (capabilities/startup-bench/) exist only in builds with
    // the `startup-bench` feature; other builds read the top folder's capabilities alone.
    let bench = std::env::var_os("CARGO_FEATURE_STARTUP_BENCH").is_some();
    let mut commands = COMMANDS.to_vec();
    let capabilities = if bench {
        commands.extend_from_slice(STARTUP_BENCH_COMMANDS);
        "src-tauri/capabilities/**/*.json"
    } else {
        "src-tauri/capabilities/*.json"
    };
    // tauri-build watches the capabilities only when it picks their folder itself.
    println!("cargo:rerun-if-changed=src-tauri/ipc_commands.rs");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern(capabilities)
        .app_manifest(tauri_build::AppManifest::new().commands(commands.leak()));
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; this is the only way to stop the build with a message.
        #[allow(clippy::panic)]
        {
            panic!("tauri-build failed: {e:#}");
        }
    }
}
