//! Online provisioning: how the app obtains a new token from the bank's token service without the seed ever
//! appearing in clear in a request, a response or a log. Both halves are here as pure functions, so the app, the
//! CLI and the server run the same code. The protocol is specified in `docs/PROVISIONING.md`.
//!
//! 1. The app makes an ephemeral X25519 key pair and sends [`ProvisionRequest`] (its public key and, optionally,
//!    the one-time activation code the bank gave the customer).
//! 2. The server creates the token (serial, random seed, parameters), makes its own ephemeral key pair, and derives
//!    `key = HKDF-SHA256(ikm = X25519(server, app), salt = "softtoken/provision/v1", info = transcript)`, where the
//!    transcript binds both public keys, the serial, the parameters and the activation code. It returns
//!    [`ProvisionResponse`]: the token's public data, its ephemeral public key, a nonce and
//!    `ChaCha20-Poly1305(key, nonce, seed, aad = transcript)`.
//! 3. The app derives the same key, decrypts and authenticates the seed, and checks the serial's check digit.
//!
//! The exchange is not an authentication protocol: the channel is HTTPS, which authenticates the server. What it
//! adds is that the seed is only ever in clear inside the two endpoints' memory, never in TLS-terminating
//! proxies, request logs or crash dumps of the web tier.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::otp::{Algorithm, Digits, Params, Period};
use crate::seed::Seed;
use crate::serial::Serial;
use crate::token::NewToken;
use crate::uri::OtpKind;

/// Protocol version carried in both messages.
pub const VERSION: u32 = 1;
/// HKDF salt: names the protocol and its version.
pub const HKDF_SALT: &[u8] = b"softtoken/provision/v1";
/// Longest activation code accepted.
pub const MAX_ACTIVATION_CODE: usize = 64;
/// The most of a token service's answer a client reads (a provisioning response is under 1 KiB): a service that
/// sends more, as the one an altered activation link names might, is refused before its answer is parsed.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The longest token service URL: an activation link writes it percent-encoded (at most three bytes a byte), and
/// must stay under `uri::MAX_URI_LEN` so that the app reads back what the bank wrote (found by fuzzing: a
/// 1,200-byte link was written out as 4,392).
pub const MAX_SERVICE_URL: usize = 1024;
const _: () = assert!(3 * MAX_SERVICE_URL + 3 * MAX_ACTIVATION_CODE + 64 < crate::uri::MAX_URI_LEN);

/// App → server: `POST /v1/provision`. `Debug` does not show the activation code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// Protocol version (1).
    pub version: u32,
    /// The app's ephemeral X25519 public key, base64url without padding (43 characters).
    pub client_public: String,
    /// The one-time activation code the bank gave the customer, if the bank uses them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code: Option<String>,
}

impl std::fmt::Debug for ProvisionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvisionRequest")
            .field("version", &self.version)
            .field("client_public", &self.client_public)
            .field("activation_code", &self.activation_code.as_ref().map(|_| ".."))
            .finish()
    }
}

/// Server → app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionResponse {
    /// Protocol version (1).
    pub version: u32,
    /// The new token's serial, canonical (`SKTN12345671`).
    pub serial: String,
    /// The bank's name, shown above the code.
    pub issuer: String,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: Digits,
    /// Seconds per code.
    pub period: Period,
    /// The server's ephemeral X25519 public key, base64url without padding.
    pub server_public: String,
    /// The 12-byte ChaCha20-Poly1305 nonce, base64url without padding.
    pub nonce: String,
    /// The encrypted seed with its 16-byte tag, base64url without padding.
    pub encrypted_seed: String,
    /// The server's clock (Unix seconds) when it answered, so the app can warn about skew.
    pub server_time: u64,
}

/// What the server knows about the token it is handing out.
#[derive(Debug)]
pub struct IssuedToken<'a> {
    /// The new serial.
    pub serial: &'a Serial,
    /// The bank's name.
    pub issuer: &'a str,
    /// Algorithm and digits.
    pub params: Params,
    /// Period.
    pub period: Period,
    /// The seed to deliver.
    pub seed: &'a Seed,
}

/// The app's half, between sending the request and reading the response. Holds the ephemeral secret, which is
/// zeroized when this is dropped.
pub struct ClientHandshake {
    secret: StaticSecret,
    public: PublicKey,
    activation_code: Option<String>,
}

impl std::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("public", &b64(self.public.as_bytes()))
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// Starts a provisioning with a fresh ephemeral key.
    ///
    /// # Errors
    /// [`Error::Provisioning`] if the activation code is too long.
    pub fn start(activation_code: Option<&str>) -> Result<(ClientHandshake, ProvisionRequest)> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::fill(bytes.as_mut());
        Self::start_with(*bytes, activation_code)
    }

    /// Like [`ClientHandshake::start`] with a given ephemeral secret: for test vectors only.
    ///
    /// # Errors
    /// [`Error::Provisioning`] if the activation code is too long.
    pub fn start_with(
        secret: [u8; 32],
        activation_code: Option<&str>,
    ) -> Result<(ClientHandshake, ProvisionRequest)> {
        let activation_code = normalize_activation_code(activation_code)?;
        let secret = StaticSecret::from(secret);
        let public = PublicKey::from(&secret);
        let req = ProvisionRequest {
            version: VERSION,
            client_public: b64(public.as_bytes()),
            activation_code: activation_code.clone(),
        };
        Ok((
            ClientHandshake {
                secret,
                public,
                activation_code,
            },
            req,
        ))
    }

    /// Reads the server's answer: derives the key, decrypts and authenticates the seed, checks the serial.
    ///
    /// # Errors
    /// [`Error::Provisioning`] when the response is malformed, was not made for this request, or fails
    /// authentication; [`Error::SerialCheckDigit`] / [`Error::BadSerial`] for a bad serial.
    pub fn finish(self, resp: &ProvisionResponse) -> Result<NewToken> {
        if resp.version != VERSION {
            return Err(prov(format!(
                "the server speaks protocol version {}, this app {VERSION}",
                resp.version
            )));
        }
        let serial = Serial::parse(&resp.serial)?;
        if resp.issuer.len() > crate::uri::MAX_ISSUER_BYTES {
            return Err(prov(format!(
                "the bank's name is {} bytes long, more than {}",
                resp.issuer.len(),
                crate::uri::MAX_ISSUER_BYTES
            )));
        }
        let server_public = PublicKey::from(decode_key(&resp.server_public, "server_public")?);
        let shared = self.secret.diffie_hellman(&server_public);
        if !shared.was_contributory() {
            return Err(prov("the server's public key is not a valid X25519 key"));
        }
        let params = Params {
            algorithm: resp.algorithm,
            digits: resp.digits,
        };
        let transcript = transcript(
            self.public.as_bytes(),
            server_public.as_bytes(),
            &serial,
            &resp.issuer,
            params,
            resp.period,
            self.activation_code.as_deref(),
        );
        let key = derive_key(shared.as_bytes(), &transcript)?;
        let nonce: [u8; 12] = decode(&resp.nonce, "nonce")?
            .try_into()
            .map_err(|_| prov("the nonce must be 12 bytes"))?;
        let ct = decode(&resp.encrypted_seed, "encrypted_seed")?;
        let plain = Zeroizing::new(
            ChaCha20Poly1305::new(key.as_ref().into())
                .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: &transcript })
                .map_err(|_| prov("the encrypted seed does not authenticate (wrong server, altered response, or a different activation code)"))?,
        );
        let seed = Seed::from_bytes(&plain)?;
        Ok(NewToken {
            issuer: Some(resp.issuer.clone()),
            account: String::new(),
            serial: Some(serial.as_str().to_string()),
            kind: OtpKind::Totp { period: resp.period },
            params,
            seed,
        })
    }
}

/// The server's half: answers `req` by encrypting `token.seed` to the app.
///
/// # Errors
/// [`Error::Provisioning`] when the request is malformed (wrong version, bad public key, low-order point).
pub fn respond(req: &ProvisionRequest, token: &IssuedToken<'_>, now: u64) -> Result<ProvisionResponse> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::fill(secret.as_mut());
    let mut nonce = [0u8; 12];
    rand::fill(&mut nonce);
    respond_with(req, token, now, *secret, nonce)
}

/// Like [`respond`] with a given ephemeral secret and nonce: for test vectors only.
///
/// # Errors
/// As [`respond`].
pub fn respond_with(
    req: &ProvisionRequest,
    token: &IssuedToken<'_>,
    now: u64,
    ephemeral_secret: [u8; 32],
    nonce: [u8; 12],
) -> Result<ProvisionResponse> {
    check_request(req)?;
    let client_public = PublicKey::from(decode_key(&req.client_public, "client_public")?);
    let secret = StaticSecret::from(ephemeral_secret);
    let server_public = PublicKey::from(&secret);
    let shared = secret.diffie_hellman(&client_public);
    if !shared.was_contributory() {
        return Err(prov("client_public is not a valid X25519 public key"));
    }
    let activation = normalize_activation_code(req.activation_code.as_deref())?;
    let transcript = transcript(
        client_public.as_bytes(),
        server_public.as_bytes(),
        token.serial,
        token.issuer,
        token.params,
        token.period,
        activation.as_deref(),
    );
    let key = derive_key(shared.as_bytes(), &transcript)?;
    let ct = ChaCha20Poly1305::new(key.as_ref().into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: token.seed.expose(),
                aad: &transcript,
            },
        )
        .map_err(|_| prov("encryption failed"))?;
    Ok(ProvisionResponse {
        version: VERSION,
        serial: token.serial.as_str().to_string(),
        issuer: token.issuer.to_string(),
        algorithm: token.params.algorithm,
        digits: token.params.digits,
        period: token.period,
        server_public: b64(server_public.as_bytes()),
        nonce: b64(&nonce),
        encrypted_seed: b64(&ct),
        server_time: now,
    })
}

/// Checks a request's shape before the server does any work for it.
///
/// # Errors
/// [`Error::Provisioning`] naming what is wrong.
pub fn check_request(req: &ProvisionRequest) -> Result<()> {
    if req.version != VERSION {
        return Err(prov(format!(
            "protocol version {} is not supported (use {VERSION})",
            req.version
        )));
    }
    let key = PublicKey::from(decode_key(&req.client_public, "client_public")?);
    // A low-order point gives an all-zero shared secret for every scalar (X25519 clamps scalars to multiples of
    // the cofactor), so one trial exchange tells; refuse it here, before the server stores anything.
    if !StaticSecret::from([0x42; 32])
        .diffie_hellman(&key)
        .was_contributory()
    {
        return Err(prov("client_public is not a valid X25519 public key"));
    }
    normalize_activation_code(req.activation_code.as_deref())?;
    Ok(())
}

/// Activation codes are compared without separators and case: `ab12-cd34` equals `AB12CD34`.
///
/// # Errors
/// [`Error::Provisioning`] if it is longer than 64 characters or holds characters other than letters, digits,
/// spaces and hyphens.
pub fn normalize_activation_code(code: Option<&str>) -> Result<Option<String>> {
    let Some(code) = code else { return Ok(None) };
    if code.chars().count() > MAX_ACTIVATION_CODE {
        return Err(prov(format!(
            "the activation code is longer than {MAX_ACTIVATION_CODE} characters"
        )));
    }
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        match c {
            ' ' | '-' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            _ => {
                return Err(prov(
                    "the activation code may only hold letters, digits, spaces and hyphens",
                ))
            }
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// The bytes both sides bind the key and the ciphertext to. Each field is length-prefixed (u16 big-endian) so
/// no two different transcripts encode the same.
fn transcript(
    client_public: &[u8; 32],
    server_public: &[u8; 32],
    serial: &Serial,
    issuer: &str,
    params: Params,
    period: Period,
    activation_code: Option<&str>,
) -> Vec<u8> {
    let mut t = Vec::with_capacity(160);
    let mut field = |b: &[u8]| {
        // Fields are bounded (issuer by the server's config, the code by MAX_ACTIVATION_CODE); clamp anyway.
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        t.extend_from_slice(&len.to_be_bytes());
        t.extend_from_slice(&b[..usize::from(len)]);
    };
    field(b"softtoken-provision-v1");
    field(client_public);
    field(server_public);
    field(serial.as_str().as_bytes());
    field(issuer.as_bytes());
    field(params.algorithm.as_str().as_bytes());
    field(params.digits.get().to_string().as_bytes());
    field(period.seconds().to_string().as_bytes());
    field(activation_code.unwrap_or("").as_bytes());
    t
}

fn derive_key(shared: &[u8; 32], transcript: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(HKDF_SALT), shared)
        .expand(transcript, key.as_mut())
        .map_err(|_| prov("key derivation failed"))?;
    Ok(key)
}

fn b64(b: &[u8]) -> String {
    BASE64URL_NOPAD.encode(b)
}

fn decode(s: &str, what: &str) -> Result<Vec<u8>> {
    if s.len() > 4096 {
        return Err(prov(format!("{what} is too long")));
    }
    BASE64URL_NOPAD
        .decode(s.as_bytes())
        .map_err(|_| prov(format!("{what} is not base64url without padding")))
}

fn decode_key(s: &str, what: &str) -> Result<[u8; 32]> {
    decode(s, what)?
        .try_into()
        .map_err(|_| prov(format!("{what} must be a 32-byte X25519 public key")))
}

fn prov(reason: impl Into<String>) -> Error {
    Error::Provisioning {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token as the server hands it out, for the tests' seed and serial.
    fn issued<'a>(seed: &'a Seed, serial: &'a Serial, issuer: &'a str) -> IssuedToken<'a> {
        IssuedToken {
            serial,
            issuer,
            params: Params::default(),
            period: Period::THIRTY,
            seed,
        }
    }

    #[test]
    fn round_trip_delivers_the_seed() {
        let seed = Seed::generate(20).unwrap();
        let serial = Serial::new("SKTN", 1_234_567).unwrap();
        let (hs, req) = ClientHandshake::start(Some("ab12-cd34")).unwrap();
        let tok = issued(&seed, &serial, "しんきん");
        let resp = respond(&req, &tok, 1_700_000_000).unwrap();
        assert!(!serde_json::to_string(&resp)
            .unwrap()
            .contains(seed.to_base32().as_str()));
        let new = hs.finish(&resp).unwrap();
        assert!(new.seed.ct_eq(&seed));
        assert_eq!(new.serial.as_deref(), Some("SKTN12345671"));
        assert_eq!(new.issuer.as_deref(), Some("しんきん"));
    }

    #[test]
    fn tampering_or_a_different_code_fails_authentication() {
        let seed = Seed::generate(20).unwrap();
        let serial = Serial::new("SKTN", 7).unwrap();
        let tok = issued(&seed, &serial, "Bank");
        // Server saw a different activation code than the app holds.
        let (hs, mut req) = ClientHandshake::start(Some("AAAA")).unwrap();
        req.activation_code = Some("BBBB".into());
        let resp = respond(&req, &tok, 0).unwrap();
        assert_eq!(hs.finish(&resp).unwrap_err().code(), "provisioning");
        // Changed period in transit.
        let (hs, req) = ClientHandshake::start(None).unwrap();
        let mut resp = respond(&req, &tok, 0).unwrap();
        resp.period = Period::new(60).unwrap();
        assert_eq!(hs.finish(&resp).unwrap_err().code(), "provisioning");
    }

    #[test]
    fn low_order_public_keys_are_refused() {
        let seed = Seed::generate(20).unwrap();
        let serial = Serial::new("SKTN", 7).unwrap();
        let tok = issued(&seed, &serial, "Bank");
        let req = ProvisionRequest {
            version: 1,
            client_public: b64(&[0u8; 32]),
            activation_code: None,
        };
        assert_eq!(respond(&req, &tok, 0).unwrap_err().code(), "provisioning");
        let req = ProvisionRequest {
            version: 2,
            client_public: b64(&[9u8; 32]),
            activation_code: None,
        };
        assert!(respond(&req, &tok, 0)
            .unwrap_err()
            .to_string()
            .contains("version 2"));
    }
}

/// The scheme of activation links.
pub const ACTIVATION_SCHEME: &str = "softtoken";

/// `softtoken://activate?server=URL&code=CODE`: the QR a bank hands out so that the app provisions a token bound to
/// the customer's contract. Built by the server, parsed by the app.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationLink {
    /// The token service's base URL.
    pub server: url::Url,
    /// The one-time activation code, normalised (see [`normalize_activation_code`]).
    pub code: String,
}

impl std::fmt::Debug for ActivationLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivationLink")
            .field("server", &self.server.as_str())
            .field("code", &"[redacted]")
            .finish()
    }
}

impl ActivationLink {
    /// Builds the link for `server` and `code`.
    ///
    /// # Errors
    /// [`Error::Provisioning`] if `server` is not an http(s) URL or `code` is not an activation code.
    pub fn new(server: &str, code: &str) -> Result<ActivationLink> {
        let server = service_url(server)?;
        let code =
            normalize_activation_code(Some(code))?.ok_or_else(|| prov("the activation code is empty"))?;
        Ok(ActivationLink { server, code })
    }

    /// Reads a scanned or pasted link.
    ///
    /// # Errors
    /// [`Error::Provisioning`] if `text` is not a `softtoken://activate` link with a server URL and a code.
    pub fn parse(text: &str) -> Result<ActivationLink> {
        let text = text.trim();
        if text.len() > crate::uri::MAX_URI_LEN {
            return Err(prov(format!(
                "the link is {} bytes long; an activation link is under {}",
                text.len(),
                crate::uri::MAX_URI_LEN
            )));
        }
        let u = url::Url::parse(text).map_err(|_| prov("not a softtoken://activate link"))?;
        if u.scheme() != ACTIVATION_SCHEME || u.host_str() != Some("activate") {
            return Err(prov("not a softtoken://activate link"));
        }
        let mut server = None;
        let mut code = None;
        for (k, v) in u.query_pairs() {
            match k.as_ref() {
                "server" => server = Some(v.into_owned()),
                "code" => code = Some(v.into_owned()),
                _ => {}
            }
        }
        match (server, code) {
            (Some(s), Some(c)) => ActivationLink::new(&s, &c),
            _ => Err(prov("the activation link lacks its server or its code")),
        }
    }

    /// The link as text (what the QR holds).
    #[must_use]
    pub fn to_link(&self) -> String {
        let mut u = String::from("softtoken://activate?");
        // `https://bank.example/` is written `https://bank.example`; a path of the bank's own is kept whole, so
        // that the link reads back as the same link (found by fuzzing: `/token/` came back as `/token`).
        let server = if self.server.path() == "/" {
            self.server.as_str().trim_end_matches('/')
        } else {
            self.server.as_str()
        };
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("server", server)
            .append_pair("code", &self.code)
            .finish();
        u.push_str(&query);
        u
    }
}

/// Parses a token service's base URL: http or https, with a host, no credentials, query or fragment.
///
/// # Errors
/// [`Error::Provisioning`] otherwise.
pub fn service_url(text: &str) -> Result<url::Url> {
    if text.trim().len() > MAX_SERVICE_URL {
        return Err(prov(format!(
            "the token service URL is longer than {MAX_SERVICE_URL} bytes"
        )));
    }
    let u =
        url::Url::parse(text.trim()).map_err(|e| prov(format!("the token service URL is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(prov(
            "the token service URL must start with https:// (or http:// for a test server)",
        ));
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() || u.fragment().is_some() {
        return Err(prov(
            "the token service URL must not hold a user name, password, query or fragment",
        ));
    }
    // Parsing may percent-encode what was typed: the URL as kept is bounded too.
    if u.as_str().len() > MAX_SERVICE_URL {
        return Err(prov(format!(
            "the token service URL is longer than {MAX_SERVICE_URL} bytes"
        )));
    }
    Ok(u)
}

/// Whether a service URL may be used without TLS: only on this machine (loopback), where nobody can intercept.
#[must_use]
pub fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A token service's refusal, read from its error answer `{"error": {"code": …, "message": …}}` (softtoken-server's
/// shape for every error). The text comes from the network, so each field is cut to 300 characters and control
/// characters are replaced; an answer in another shape gives code `unknown` and an empty message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The stable error code (`rate_limited`, `bad_activation_code`, …), or `unknown`.
    pub code: String,
    /// The service's message, or an empty string.
    pub message: String,
}

impl Refusal {
    /// Reads an error answer's body (any bytes).
    pub fn from_body(body: &[u8]) -> Refusal {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let field = |k: &str| -> String {
            v["error"][k]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(300)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        let code = field("code");
        Refusal {
            code: if code.is_empty() { "unknown".into() } else { code },
            message: field("message"),
        }
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn activation_link_round_trip() {
        let link = ActivationLink::new("https://bank.example/token/", "ab12-cd34").unwrap();
        let text = link.to_link();
        assert_eq!(
            text,
            "softtoken://activate?server=https%3A%2F%2Fbank.example%2Ftoken%2F&code=AB12CD34"
        );
        let back = ActivationLink::parse(&text).unwrap();
        assert_eq!(back.code, "AB12CD34");
        assert_eq!(back.server.as_str(), "https://bank.example/token/");
        assert!(back == link, "a link reads back as itself");
        assert!(!format!("{back:?}").contains("AB12"));
        // A bare host is written without its slash, and reads back as itself too.
        let root = ActivationLink::new("https://bank.example/", "ab12-cd34").unwrap();
        let text = root.to_link();
        assert!(text.contains("server=https%3A%2F%2Fbank.example&"), "{text}");
        assert!(ActivationLink::parse(&text).unwrap() == root);
    }

    /// A link that parses is written back as one that parses (found by fuzzing): the service URL is bounded, so
    /// even the longest, fully percent-encoded, stays under the link's limit.
    #[test]
    fn the_longest_service_url_still_makes_a_link_that_reads_back() {
        let path = "%7E".repeat((MAX_SERVICE_URL - "https://b.example/".len()) / 3);
        let server = format!("https://b.example/{path}");
        assert!(server.len() <= MAX_SERVICE_URL);
        let link = ActivationLink::new(&server, &"A".repeat(MAX_ACTIVATION_CODE)).unwrap();
        assert!(ActivationLink::parse(&link.to_link()).unwrap() == link);
        let e = service_url(&format!("{server}{}", "a".repeat(10))).unwrap_err();
        assert!(e.to_string().contains("longer than 1024"), "{e}");
    }

    #[test]
    fn refusals_are_read_safely_from_any_body() {
        let r = Refusal::from_body(
            br#"{"error":{"code":"rate_limited","message":"too many\u001b[2J requests"}}"#,
        );
        assert_eq!(r.code, "rate_limited");
        assert_eq!(r.message, "too many [2J requests");
        for junk in [&b""[..], b"<html>502</html>", b"{\"error\":5}", b"[1,2]"] {
            assert_eq!(
                Refusal::from_body(junk),
                Refusal {
                    code: "unknown".into(),
                    message: String::new()
                }
            );
        }
        let long = format!(r#"{{"error":{{"code":"x","message":"{}"}}}}"#, "a".repeat(5000));
        assert_eq!(Refusal::from_body(long.as_bytes()).message.len(), 300);
    }

    #[test]
    fn activation_link_refusals() {
        for bad in [
            "",
            "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ",
            "softtoken://other?server=https://a&code=X",
            "softtoken://activate?server=https://a",
            "softtoken://activate?code=ABC",
            "softtoken://activate?server=ftp://a&code=ABC",
            "softtoken://activate?server=https://u:p@a&code=ABC",
            "softtoken://activate?server=https://a&code=%3Cscript%3E",
        ] {
            assert!(
                matches!(ActivationLink::parse(bad), Err(Error::Provisioning { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_rule() {
        for (u, local) in [
            ("http://127.0.0.1:8787", true),
            ("http://localhost:8787", true),
            ("http://[::1]:1", true),
            ("http://192.168.1.2", false),
            ("https://bank.example", false),
            ("http://localhost.evil.example", false),
        ] {
            assert_eq!(is_loopback(&service_url(u).unwrap()), local, "{u}");
        }
    }
}
