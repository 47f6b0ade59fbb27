//! Activation links (`softtoken://activate?…`) from a scanned QR code or a clicked link, the service URLs they
//! name, and activation codes as typed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_core::provisioning::{self, ActivationLink};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = ActivationLink::parse(text) {
        // A link that parses is written out as one that parses to the same link.
        let again = ActivationLink::parse(&link.to_link()).expect("a link we wrote parses");
        assert!(again == link, "writing is not stable");
    }
    let _ = provisioning::service_url(text);
    let _ = provisioning::normalize_activation_code(Some(text));
});
