//! The server's side of online provisioning: the app's JSON request (its version, its X25519 public key, an
//! activation code), checked and answered for a fixed token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_core::provisioning::{self, IssuedToken, ProvisionRequest};
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial};

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<ProvisionRequest>(data) else {
        return;
    };
    let _ = provisioning::check_request(&req);
    let _ = provisioning::normalize_activation_code(req.activation_code.as_deref());
    let serial = Serial::parse("SKTN12345671").expect("a valid serial");
    let seed = Seed::from_bytes(&[5; 20]).expect("a 160-bit seed");
    let token = IssuedToken {
        serial: &serial,
        issuer: "しんきん銀行",
        params: Params {
            algorithm: Algorithm::Sha1,
            digits: Digits::SIX,
        },
        period: Period::THIRTY,
        seed: &seed,
    };
    let _ = provisioning::respond_with(&req, &token, 0, [9; 32], [1; 12]);
});
