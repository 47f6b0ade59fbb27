//! The provisioning protocol against its test vector (tests/vectors/provisioning/v1.json, computed independently
//! by make_vector.py with Python's `cryptography`): the server half must produce the vector's response byte for
//! byte, and the client half must recover the seed from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use softtoken_core::provisioning::{
    respond_with, ClientHandshake, IssuedToken, ProvisionRequest, ProvisionResponse,
};
use softtoken_core::{Params, Period, Seed, Serial};

fn vector() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/provisioning/v1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex32(s: &str) -> [u8; 32] {
    (0..32)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

#[test]
fn server_half_reproduces_the_vector() {
    let v = vector();
    let i = &v["inputs"];
    let (_, req) = ClientHandshake::start_with(
        hex32(i["client_secret_hex"].as_str().unwrap()),
        i["activation_code"].as_str(),
    )
    .unwrap();
    let expected_req: ProvisionRequest = serde_json::from_value(v["request"].clone()).unwrap();
    assert_eq!(req, expected_req);

    let seed = Seed::from_bytes(i["seed_ascii"].as_str().unwrap().as_bytes()).unwrap();
    let serial = Serial::parse(i["serial"].as_str().unwrap()).unwrap();
    let tok = IssuedToken {
        serial: &serial,
        issuer: i["issuer"].as_str().unwrap(),
        params: Params::default(),
        period: Period::THIRTY,
        seed: &seed,
    };
    let nonce: [u8; 12] = (0..12)
        .map(|k| u8::from_str_radix(&i["nonce_hex"].as_str().unwrap()[2 * k..2 * k + 2], 16).unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let resp = respond_with(
        &req,
        &tok,
        1_700_000_000,
        hex32(i["server_secret_hex"].as_str().unwrap()),
        nonce,
    )
    .unwrap();
    let expected: ProvisionResponse = serde_json::from_value(v["response"].clone()).unwrap();
    assert_eq!(resp, expected);
}

#[test]
fn client_half_recovers_the_seed_from_the_vector() {
    let v = vector();
    let i = &v["inputs"];
    let (hs, _) = ClientHandshake::start_with(
        hex32(i["client_secret_hex"].as_str().unwrap()),
        i["activation_code"].as_str(),
    )
    .unwrap();
    let resp: ProvisionResponse = serde_json::from_value(v["response"].clone()).unwrap();
    let token = hs.finish(&resp).unwrap();
    assert_eq!(token.seed.expose(), i["seed_ascii"].as_str().unwrap().as_bytes());
    assert_eq!(token.serial.as_deref(), Some("SKTN12345671"));

    // Any changed field of the response fails authentication.
    for field in [
        "serial",
        "issuer",
        "digits",
        "period",
        "server_public",
        "encrypted_seed",
    ] {
        let mut bad = v["response"].clone();
        bad[field] = match field {
            "serial" => "SKTN00000013".into(),
            "issuer" => "別の銀行".into(),
            "digits" => 8.into(),
            "period" => 60.into(),
            "server_public" => "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo".into(),
            _ => "HJ1SKWAQImIBsRHPl7Cmx_RzoIncT_X_t6zO_dNIyqplUvf5".into(),
        };
        let (hs, _) = ClientHandshake::start_with(
            hex32(i["client_secret_hex"].as_str().unwrap()),
            i["activation_code"].as_str(),
        )
        .unwrap();
        let bad: ProvisionResponse = serde_json::from_value(bad).unwrap();
        let err = hs.finish(&bad).unwrap_err();
        assert_eq!(err.code(), "provisioning", "{field}: {err}");
    }
}
