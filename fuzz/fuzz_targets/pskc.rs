//! PSKC key files (RFC 6030) from token vendors, read without a key and with the pre-shared key of the fixtures
//! (`crates/softtoken-core/tests/fixtures/pskc`, the seed corpus), so that mutated encrypted files reach the
//! decryption and MAC checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_core::pskc::{self, Protection};

/// The fixtures' two pre-shared keys (RFC 6030 Figure 6's, and `encrypted-3keys.pskcxml`'s).
const KEYS: [[u8; 16]; 2] = [
    [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12],
    [0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c],
];

fuzz_target!(|data: &[u8]| {
    let _ = pskc::parse(data, Protection::None);
    for key in &KEYS {
        let _ = pskc::parse(data, Protection::PreSharedKey(key));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pskc::pre_shared_key_from_hex(text);
    }
});
