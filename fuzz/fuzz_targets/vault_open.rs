//! The vault's contents after decryption. Random bytes never get past the AEAD, so the input is the plaintext:
//! the target seals it as a keychain-key vault (the format of `crates/softtoken-core/src/vault.rs`: signature,
//! version, key kind 2, a 24-byte XChaCha20-Poly1305 nonce, the header as associated data) and opens it with that
//! key, which parses the JSON inside. The raw input is opened too, as a damaged file would be.
#![no_main]

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use libfuzzer_sys::fuzz_target;
use softtoken_core::vault::{self, VaultKey, MAGIC, VERSION};

const KEY: [u8; 32] = [7; 32];
const KIND_RAW: u8 = 2;

fuzz_target!(|plain: &[u8]| {
    let key = VaultKey::from_raw(&KEY);
    let _ = vault::open(&key, plain);
    let nonce = [3u8; 24];
    let mut file = MAGIC.to_vec();
    file.push(VERSION);
    file.push(KIND_RAW);
    file.extend_from_slice(&nonce);
    let sealed = XChaCha20Poly1305::new((&KEY).into())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: &file })
        .expect("encrypting cannot fail");
    file.extend_from_slice(&sealed);
    if let Ok(tokens) = vault::open(&key, &file) {
        // What opens seals again and opens to the same tokens.
        let again = vault::seal(&key, &tokens).expect("sealing what was opened");
        let reopened = vault::open(&key, &again).expect("opening what was sealed");
        assert_eq!(reopened.len(), tokens.len());
    }
});
