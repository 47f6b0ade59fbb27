//! The four ways to add a token: online from the token service, a QR image (file, drop, paste or clipboard), an
//! otpauth URI, or a secret typed by hand. Each ends with the new token's view (the UI then shows its serial).
//! Input may hold a secret (the customer typed or scanned it); it is zeroized here and never sent back.

use serde::Deserialize;
use softtoken_core::provisioning::ActivationLink;
use softtoken_core::{Algorithm, Digits, NewToken, OtpAuthUri, OtpKind, Params, Period, Seed};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};
use crate::service;
use crate::state::App;
use crate::view::TokenView;

/// What a scanned or pasted text asks for.
enum Scanned {
    /// A token in full.
    Uri(OtpAuthUri),
    /// Provision online with an activation code.
    Activation(ActivationLink),
}

fn scan(text: &str) -> AppResult<Scanned> {
    let t = text.trim();
    let scheme = t.split(':').next().unwrap_or_default().to_ascii_lowercase();
    match scheme.as_str() {
        "otpauth" => Ok(Scanned::Uri(OtpAuthUri::parse(t)?)),
        "softtoken" => Ok(Scanned::Activation(ActivationLink::parse(t)?)),
        _ => Err(AppError::NotATokenUri),
    }
}

async fn add_scanned(app: &App, scanned: Scanned) -> AppResult<TokenView> {
    match scanned {
        Scanned::Uri(uri) => {
            let info = app.add(NewToken::from(uri), softtoken_core::now())?;
            Ok(TokenView::from(&info))
        }
        Scanned::Activation(link) => provision(app, link.server.as_str(), Some(&link.code)).await,
    }
}

pub(crate) async fn provision(
    app: &App,
    server: &str,
    activation_code: Option<&str>,
) -> AppResult<TokenView> {
    let base = service::checked_url(server, app.settings().tester_mode)?;
    let (token, _server_time) = service::provision(&base, activation_code).await?;
    let info = app.add(token, softtoken_core::now())?;
    Ok(TokenView::from(&info))
}

/// The first token in a list of decoded QR texts; `not_a_token_qr` if none is one.
pub(crate) async fn add_from_qr_texts(app: &App, texts: Vec<Zeroizing<String>>) -> AppResult<TokenView> {
    let mut first_error = None;
    for t in &texts {
        match scan(t) {
            Ok(s) => return add_scanned(app, s).await,
            Err(AppError::NotATokenUri) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(AppError::NotATokenQr))
}

#[tauri::command]
pub async fn add_uri(app: State<'_, App>, uri: String) -> AppResult<TokenView> {
    let uri = Zeroizing::new(uri);
    add_scanned(&app, scan(&uri)?).await
}

/// A token typed by hand. `Debug` hides the secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManualToken {
    issuer: String,
    account: String,
    secret: Zeroizing<String>,
    digits: u32,
    period: u64,
    algorithm: String,
    serial: Option<String>,
}

impl std::fmt::Debug for ManualToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualToken")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ManualToken {
    fn into_new_token(self) -> AppResult<NewToken> {
        let serial = match self.serial.as_deref().map(str::trim) {
            None | Some("") => None,
            // A serial typed by hand must be one of ours, with a correct check digit: catching typos is the point.
            Some(s) => Some(String::from(softtoken_core::Serial::parse(s)?)),
        };
        let issuer = self.issuer.trim();
        Ok(NewToken {
            issuer: (!issuer.is_empty()).then(|| issuer.to_string()),
            account: self.account.trim().to_string(),
            serial,
            kind: OtpKind::Totp {
                period: Period::new(self.period)?,
            },
            params: Params {
                algorithm: self.algorithm.parse::<Algorithm>()?,
                digits: Digits::new(self.digits)?,
            },
            seed: Seed::from_base32(&self.secret)?,
        })
    }
}

#[tauri::command]
pub fn add_manual(app: State<'_, App>, token: ManualToken) -> AppResult<TokenView> {
    let info = app.add(token.into_new_token()?, softtoken_core::now())?;
    Ok(TokenView::from(&info))
}

/// A PNG or JPEG, sent as the raw IPC body (a file input, a drop or a paste in the webview).
#[tauri::command]
pub async fn add_from_image(app: State<'_, App>, request: Request<'_>) -> AppResult<TokenView> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(softtoken_core::Error::BadImage {
            reason: "no image bytes were sent".into(),
        }
        .into());
    };
    let texts = softtoken_core::qr::decode(bytes)?;
    add_from_qr_texts(&app, texts.into_iter().map(Zeroizing::new).collect()).await
}

/// The image on the OS clipboard, read here in Rust.
#[tauri::command]
pub async fn add_from_clipboard<R: Runtime>(
    handle: AppHandle<R>,
    app: State<'_, App>,
) -> AppResult<TokenView> {
    let image = handle
        .clipboard()
        .read_image()
        .map_err(|_| AppError::NoClipboardImage)?;
    let texts = softtoken_core::qr::decode_rgba(image.width(), image.height(), image.rgba())?;
    add_from_qr_texts(&app, texts.into_iter().map(Zeroizing::new).collect()).await
}

#[tauri::command]
pub async fn provision_online(app: State<'_, App>, activation_code: Option<String>) -> AppResult<TokenView> {
    let server = app.settings().service_url;
    let code = activation_code.map(Zeroizing::new);
    let code = code.as_deref().map(|c| c.trim()).filter(|c| !c.is_empty());
    provision(&app, &server, code).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_tells_uris_links_and_junk_apart() {
        assert!(matches!(
            scan(" otpauth://totp/Bank:x?secret=GEZDGNBVGY3TQOJQ "),
            Ok(Scanned::Uri(_))
        ));
        assert!(matches!(
            scan("softtoken://activate?server=https://bank.example&code=AB12"),
            Ok(Scanned::Activation(_))
        ));
        assert_eq!(
            scan("https://example.com").err().map(|e| e.code()),
            Some("bad_uri")
        );
        assert_eq!(
            scan("otpauth://totp/x?secret=!!").err().map(|e| e.code()),
            Some("bad_base32")
        );
    }

    #[test]
    fn manual_token_checks_each_field() {
        let base = || ManualToken {
            issuer: " Shinkin ".into(),
            account: "".into(),
            secret: Zeroizing::new("gezd gnbv gy3t qojq".into()),
            digits: 6,
            period: 30,
            algorithm: "SHA1".into(),
            serial: None,
        };
        let t = base().into_new_token().unwrap();
        assert_eq!(t.issuer.as_deref(), Some("Shinkin"));
        let code = |m: ManualToken| m.into_new_token().err().map(|e| e.code());
        assert_eq!(code(ManualToken { digits: 9, ..base() }), Some("bad_digits"));
        assert_eq!(code(ManualToken { period: 0, ..base() }), Some("bad_period"));
        assert_eq!(
            code(ManualToken {
                algorithm: "MD5".into(),
                ..base()
            }),
            Some("bad_algorithm")
        );
        assert_eq!(
            code(ManualToken {
                secret: Zeroizing::new("GEZD".into()),
                ..base()
            }),
            Some("secret_too_short")
        );
        assert_eq!(
            code(ManualToken {
                serial: Some("SKTN12345678".into()),
                ..base()
            }),
            Some("serial_check_digit")
        );
        assert!(!format!("{:?}", base()).contains("gezd"));
    }
}
