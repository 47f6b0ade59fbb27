//! The app's side of online provisioning: the server's answer. A random answer fails at the first field, so the
//! target makes a genuine exchange (the app's request, the server's answer for an arbitrary issuer, seed and
//! activation code) and then changes one field of the answer, or replaces it with arbitrary JSON, before the app
//! reads it. The genuine answer must be accepted with the seed the server sent.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softtoken_core::provisioning::{self, ClientHandshake, IssuedToken, ProvisionResponse};
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial};

#[derive(Debug, Arbitrary)]
enum Change {
    None,
    Version(u32),
    Serial(String),
    Issuer(String),
    ServerPublic(String),
    Nonce(String),
    EncryptedSeed(String),
    Json(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    issuer: String,
    seed: Vec<u8>,
    activation_code: Option<String>,
    sha256: bool,
    eight_digits: bool,
    change: Change,
}

fuzz_target!(|input: Input| {
    let Ok((client, req)) = ClientHandshake::start_with([7; 32], input.activation_code.as_deref()) else {
        return;
    };
    let Ok(seed) = Seed::from_bytes(&input.seed) else {
        return;
    };
    let serial = Serial::parse("SKTN12345671").expect("a valid serial");
    let token = IssuedToken {
        serial: &serial,
        issuer: &input.issuer,
        params: Params {
            algorithm: if input.sha256 { Algorithm::Sha256 } else { Algorithm::Sha1 },
            digits: if input.eight_digits { Digits::new(8).expect("8 digits") } else { Digits::SIX },
        },
        period: Period::THIRTY,
        seed: &seed,
    };
    let Ok(mut resp) = provisioning::respond_with(&req, &token, 0, [9; 32], [1; 12]) else {
        return;
    };
    match input.change {
        Change::None => {
            let got = client.finish(&resp);
            if input.issuer.len() > softtoken_core::uri::MAX_ISSUER_BYTES {
                assert!(got.is_err(), "a bank's name over the limit is refused");
            } else {
                let got = got.expect("the genuine answer is accepted");
                assert!(got.seed.ct_eq(&seed), "the app got another seed");
            }
            return;
        }
        Change::Version(v) => resp.version = v,
        Change::Serial(s) => resp.serial = s,
        Change::Issuer(s) => resp.issuer = s,
        Change::ServerPublic(s) => resp.server_public = s,
        Change::Nonce(s) => resp.nonce = s,
        Change::EncryptedSeed(s) => resp.encrypted_seed = s,
        Change::Json(bytes) => match serde_json::from_slice::<ProvisionResponse>(&bytes) {
            Ok(r) => resp = r,
            Err(_) => return,
        },
    }
    let _ = client.finish(&resp);
    let _ = provisioning::Refusal::from_body(&input.seed);
});
