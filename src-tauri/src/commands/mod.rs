//! The app's `#[tauri::command]`s: thin wiring from IPC to `App` (state.rs), the core and the token service. Each
//! returns views (view.rs) or an `AppError`; none returns a seed. build.rs lists them for the capabilities.

pub mod add;
pub mod clipboard;
pub mod settings;
pub mod tokens;
