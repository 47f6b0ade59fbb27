//! `softtoken provision`: online provisioning from a token service (softtoken-core's protocol over HTTP).

use std::io::Write;
use std::time::Duration;

use softtoken_core::provisioning::{self, ClientHandshake, ProvisionResponse};
use softtoken_core::TokenStore;

use crate::commands::{info_json, print_json, stdout};
use crate::CliError;

/// Warn when the server's clock and ours differ by more than this (codes are only valid ±30 s).
const SKEW_WARN_SECONDS: u64 = 10;

/// `--server`, checked by the core's rules (http or https, a host, no user name, password, query or fragment),
/// and plain http only to this machine unless `allow_http`.
pub fn service_url(server: &str, allow_http: bool) -> Result<url::Url, CliError> {
    let base = provisioning::service_url(server).map_err(|e| CliError::Usage(format!("--server: {e}")))?;
    if base.scheme() == "http" && !allow_http && !provisioning::is_loopback(&base) {
        return Err(CliError::Usage(format!(
            "--server {} is plain http to another machine: use https://, or add --allow-http for a test server",
            base.as_str().trim_end_matches('/')
        )));
    }
    Ok(base)
}

pub fn provision(
    mut store: Box<dyn TokenStore>,
    base: &url::Url,
    activation_code: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let endpoint = format!("{}/v1/provision", base.as_str().trim_end_matches('/'));
    let (handshake, request) = ClientHandshake::start(activation_code)?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        // The service named on the command line or in an activation link answers itself: no redirects.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("softtoken-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Io(format!("cannot make an HTTP client: {e}")))?;
    let resp = client
        .post(&endpoint)
        .json(&request)
        .send()
        .map_err(|e| CliError::Io(format!("cannot reach the token service at {endpoint}: {e}")))?;
    let status = resp.status();
    let body = bounded_body(resp)?;
    if !status.is_success() {
        let r = softtoken_core::provisioning::Refusal::from_body(&body);
        return Err(CliError::Io(format!(
            "the token service refused ({status}, {}): {}",
            r.code, r.message
        )));
    }
    let body: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| CliError::Io(format!("the token service answered {status} with no JSON: {e}")))?;
    let answer: ProvisionResponse = serde_json::from_value(body).map_err(|e| {
        CliError::Io(format!(
            "the token service's answer is not a provisioning response: {e}"
        ))
    })?;
    let new = handshake.finish(&answer)?;
    let now = softtoken_core::now();
    let skew = now.abs_diff(answer.server_time);
    let info = store.add(new, now)?;
    if skew > SKEW_WARN_SECONDS {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("softtoken: warning: this computer's clock differs from the bank's by {skew} s; codes may be refused until it is corrected");
        }
    }
    if json {
        return print_json(&info_json(&info));
    }
    let mut out = stdout();
    writeln!(out, "added {}", crate::commands::printable(&info.name()))?;
    // The serial is the last line: scripts read it with `tail -n 1`.
    writeln!(
        out,
        "{}",
        crate::commands::printable(info.serial.as_deref().unwrap_or_default())
    )?;
    out.flush()?;
    Ok(())
}

/// The answer's body, at most `MAX_RESPONSE_BYTES`: a longer one is refused before anything parses it.
fn bounded_body(resp: reqwest::blocking::Response) -> Result<Vec<u8>, CliError> {
    use softtoken_core::provisioning::MAX_RESPONSE_BYTES;
    use std::io::Read;
    let too_long = || {
        CliError::Io(format!(
            "the token service's answer is longer than {MAX_RESPONSE_BYTES} bytes"
        ))
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_long());
    }
    let mut body = Vec::new();
    resp.take(MAX_RESPONSE_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| CliError::Io(format!("cannot read the token service's answer: {e}")))?;
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(too_long());
    }
    Ok(body)
}
