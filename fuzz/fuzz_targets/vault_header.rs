//! The vault file's header alone (its key kind and KDF parameters), as a file on disk may hold anything. A
//! header whose Argon2 parameters are small is also derived with a fixed passphrase; larger ones (up to the
//! 64 MiB the reader accepts) would make each run take far longer, and their bounds are checked before any
//! derivation either way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use softtoken_core::vault::VaultKey;

fuzz_target!(|data: &[u8]| {
    if VaultKey::uses_passphrase(data) != Ok(true) {
        return;
    }
    let le = |at: usize| data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(m_kib), Some(t)) = (le(10), le(14)) else {
        return;
    };
    if m_kib <= 64 && t <= 2 {
        let pass = SecretString::from("a fuzzing passphrase");
        if let Ok(key) = VaultKey::for_existing(&pass, data) {
            let _ = softtoken_core::vault::open(&key, data);
        }
    }
});
