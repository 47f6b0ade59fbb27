//! The token service over HTTP: online provisioning (softtoken-core's protocol) and the clock check. Only the
//! transport is here; the messages and the crypto are the core's.

use std::time::Duration;

use softtoken_core::provisioning::{self, ClientHandshake, ProvisionResponse, MAX_RESPONSE_BYTES};
use softtoken_core::NewToken;

use crate::error::{AppError, AppResult};

/// A request may take this long.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Checks a service URL before use: https, or http to this machine only (the seed travels encrypted, but over
/// plain http anyone on the network could answer in the bank's place). `allow_http` lifts the rule (tester mode).
///
/// # Errors
/// [`AppError::BadServiceUrl`] saying what to change.
pub fn checked_url(text: &str, allow_http: bool) -> AppResult<url::Url> {
    let u = provisioning::service_url(text).map_err(|e| AppError::BadServiceUrl {
        reason: e.to_string(),
    })?;
    if u.scheme() == "http" && !allow_http && !provisioning::is_loopback(&u) {
        return Err(AppError::BadServiceUrl {
            reason: format!(
                "{} is plain http to another machine: use https:// (plain http is for a test server on this computer, or tester mode)",
                u.as_str().trim_end_matches('/')
            ),
        });
    }
    Ok(u)
}

fn endpoint(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

fn client() -> AppResult<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        // The service named by the customer's settings or an activation link answers itself: no redirects.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("softtoken-app/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(AppError::internal)
}

fn unreachable(url: &str, e: &reqwest::Error) -> AppError {
    AppError::ServiceUnreachable {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// The answer's body, at most [`MAX_RESPONSE_BYTES`]: a longer one is refused as it arrives, before anything
/// parses it.
async fn body(url: &str, mut resp: reqwest::Response) -> AppResult<Vec<u8>> {
    let status = resp.status().as_u16();
    let too_long = || AppError::ServiceRefused {
        status,
        code: "answer_too_large".into(),
        message: format!("the service's answer is longer than {MAX_RESPONSE_BYTES} bytes"),
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_long());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| unreachable(url, &e))? {
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_long());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The service's error answer: `{"error": {"code", "message"}}`.
async fn refusal(url: &str, resp: reqwest::Response) -> AppError {
    let status = resp.status().as_u16();
    let body = body(url, resp).await.unwrap_or_default();
    let r = softtoken_core::provisioning::Refusal::from_body(&body);
    AppError::ServiceRefused {
        status,
        code: r.code,
        message: r.message,
    }
}

/// Obtains a new token from the service at `base`.
///
/// # Errors
/// `service_unreachable`, `service_refused`, or `provisioning` when the answer does not decrypt or check.
pub async fn provision(base: &url::Url, activation_code: Option<&str>) -> AppResult<(NewToken, u64)> {
    let url = endpoint(base, "/v1/provision");
    let (handshake, request) = ClientHandshake::start(activation_code)?;
    let resp = client()?
        .post(&url)
        .json(&request)
        .send()
        .await
        .map_err(|e| unreachable(&url, &e))?;
    if !resp.status().is_success() {
        return Err(refusal(&url, resp).await);
    }
    let answer: ProvisionResponse = serde_json::from_slice(&body(&url, resp).await?).map_err(|e| {
        AppError::Core(softtoken_core::Error::Provisioning {
            reason: format!("the answer is not a provisioning response: {e}"),
        })
    })?;
    let token = handshake.finish(&answer)?;
    Ok((token, answer.server_time))
}

/// The service's clock, Unix seconds, and the app's clock (ms) half-way through the request.
///
/// # Errors
/// `service_unreachable` or `service_refused`.
pub async fn server_time(base: &url::Url, local_ms: impl Fn() -> u64) -> AppResult<(u64, u64)> {
    let url = endpoint(base, "/v1/time");
    let sent = local_ms();
    let resp = client()?
        .get(&url)
        .send()
        .await
        .map_err(|e| unreachable(&url, &e))?;
    let received = local_ms();
    if !resp.status().is_success() {
        return Err(refusal(&url, resp).await);
    }
    let body: serde_json::Value =
        serde_json::from_slice(&body(&url, resp).await?).map_err(|e| AppError::ServiceRefused {
            status: 200,
            code: "bad_answer".into(),
            message: format!("the answer is not JSON: {e}"),
        })?;
    let time = body["time"].as_u64().ok_or_else(|| AppError::ServiceRefused {
        status: 200,
        code: "bad_answer".into(),
        message: "the answer has no time".into(),
    })?;
    Ok((time, sent / 2 + received / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rule() {
        assert!(checked_url("https://bank.example/token/", false).is_ok());
        assert!(checked_url("http://127.0.0.1:8787", false).is_ok());
        let e = checked_url("http://bank.example", false).unwrap_err();
        assert_eq!(e.code(), "bad_service_url");
        assert!(e.to_string().contains("use https://"));
        assert!(checked_url("http://bank.example", true).is_ok());
        assert_eq!(
            checked_url("javascript:alert(1)", true).unwrap_err().code(),
            "bad_service_url"
        );
    }
}
