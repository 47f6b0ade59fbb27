//! The confirmation of an activation link that arrived from outside (link.rs): what the screen shows, yes, no.

use tauri::State;

use crate::commands::add::provision;
use crate::error::AppResult;
use crate::link::LinkView;
use crate::state::App;
use crate::view::TokenView;

/// The waiting link's host and whether it is the configured service; `null` when no link waits.
#[tauri::command]
pub fn pending_link(app: State<'_, App>) -> AppResult<Option<LinkView>> {
    app.link_offer()
}

/// The customer said yes: provisions from the link's service with its activation code, then forgets the link. On
/// failure the link stays, so that the customer can try again (or cancel).
#[tauri::command]
pub async fn accept_link(app: State<'_, App>) -> AppResult<TokenView> {
    let link = app.pending_activation()?;
    let token = provision(&app, link.server.as_str(), Some(&link.code)).await?;
    app.dismiss_link();
    Ok(token)
}

/// The customer said no: the link is forgotten and nothing was sent anywhere.
#[tauri::command]
pub fn dismiss_link(app: State<'_, App>) -> AppResult<()> {
    app.dismiss_link();
    Ok(())
}
