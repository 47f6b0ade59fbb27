//! The home page of a logged-in customer: the token in use, the contract's last token events, and the menu.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::session;
use super::text::{t, Key};
use super::view;
use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::model::{TokenRow, TokenState};
use crate::AppState;

/// The contract's last token events (registered, exchanged, stopped, revoked by the bank), newest first, with
/// their time in Japan (UTC+9) and the token's serial as printed.
async fn token_events(st: &AppState, contract: &str) -> Result<Vec<(String, Key, String)>, ApiError> {
    const SHOWN: usize = 5;
    let rows = st
        .svc
        .db
        .audit_query(
            &crate::db::AuditFilter {
                contract_id: Some(contract),
                ..Default::default()
            },
            200,
        )
        .await?;
    let jst = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    Ok(rows
        .iter()
        .filter(|r| r.result == "ok")
        .filter_map(|r| {
            let what = match r.action.as_str() {
                "register" => Key::EventRegister,
                "exchange" => Key::EventExchange,
                "stop" => Key::EventStop,
                "revoke" => Key::EventRevoke,
                _ => return None,
            };
            let when = time::OffsetDateTime::from_unix_timestamp(r.at)
                .ok()?
                .to_offset(jst)
                .format(&format)
                .ok()?;
            let serial = r
                .serial
                .as_deref()
                .map(softtoken_core::serial::display_serial)
                .unwrap_or_default();
            Some((when, what, serial))
        })
        .take(SHOWN)
        .collect())
}

pub(super) async fn home(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Result<Response, ApiError> {
    let mut s = session::load(&st, &headers).await?;
    let lang = s.lang;
    let Some(contract) = s.logged_in().map(str::to_string) else {
        return Ok(Redirect::to("/ib/login").into_response());
    };
    let name = st
        .svc
        .db
        .customer(&contract)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    // Only the tokens the customer can use: replaced, stopped and revoked ones are history, not "in use".
    let tokens: Vec<TokenRow> = st
        .svc
        .db
        .tokens_of(&contract)
        .await?
        .into_iter()
        .filter(|t| t.state == TokenState::Active)
        .collect();
    let events = token_events(&st, &contract).await?;
    let body = html! {
        p #welcome { (name) (t(lang, Key::Welcome)) }
        h2 { (t(lang, Key::YourTokens)) }
        @if tokens.is_empty() {
            p { (t(lang, Key::NoToken)) }
        } @else {
            table #tokens {
                tr { th { (t(lang, Key::Serial)) } th { (t(lang, Key::State)) } }
                @for tok in &tokens {
                    tr {
                        td.serial { (softtoken_core::serial::display_serial(&tok.serial)) }
                        td { (t(lang, if tok.locked { Key::StateLocked } else { Key::StateActive })) }
                    }
                }
            }
        }
        // What happened to the contract's tokens lately, so that a registration the customer did not make shows.
        h2 { (t(lang, Key::TokenEvents)) }
        @if events.is_empty() {
            p { (t(lang, Key::NoTokenEvents)) }
        } @else {
            table #token-events {
                tr { th { (t(lang, Key::When)) } th { (t(lang, Key::What)) } th { (t(lang, Key::Serial)) } }
                @for (when, what, serial) in &events {
                    tr {
                        td { (when) }
                        td { (t(lang, *what)) }
                        td.serial { (serial) }
                    }
                }
            }
        }
        p.note { (t(lang, Key::TokenEventsNote)) }
        ul.menu {
            li { a href="/ib/transfer" { (t(lang, Key::Transfer)) } }
            li { a href="/ib/login-otp" { (t(lang, Key::LoginOtpSetting)) } }
            li { a href="/ib/logout" { (t(lang, Key::Logout)) } }
        }
    };
    crate::ib::respond::render(
        &st,
        &addr,
        &mut s,
        StatusCode::OK,
        view::page(lang, "/ib/home", Key::Top, body),
    )
    .await
}
