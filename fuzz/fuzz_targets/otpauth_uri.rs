//! `otpauth://` URIs, from a scanned QR code, a pasted link or a file. A URI that parses writes out as one that
//! parses to the same URI again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_core::OtpAuthUri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = OtpAuthUri::parse(text) {
        let written = uri.to_uri();
        let again = OtpAuthUri::parse(&written).expect("a URI we wrote parses");
        assert_eq!(*again.to_uri(), *written, "writing is not stable");
    }
});
