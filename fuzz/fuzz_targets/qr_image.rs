//! Images that may hold a provisioning QR code (PNG, JPEG, …), as the app and the CLI read them from a file or a
//! screenshot. The seed corpus is `crates/softtoken-core/tests/fixtures/qr`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = softtoken_core::qr::decode(data);
});
