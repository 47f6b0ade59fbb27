//! The app's `#[tauri::command]`s: thin wiring from IPC to `App` (state.rs), the core and the token service. Each
//! returns views (view.rs) or an `AppError`; none returns a seed. src-tauri/ipc_commands.rs lists them.

pub mod add;
pub mod clipboard;
pub mod link;
pub mod lock;
pub mod scan;
pub mod settings;
#[cfg(feature = "startup-bench")]
pub mod startup;
pub mod tokens;
