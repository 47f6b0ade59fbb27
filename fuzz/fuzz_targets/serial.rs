//! Serial numbers and one-time passwords as customers type them. A serial that parses is printed in a form that
//! parses to the same serial.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_core::serial::display_serial;
use softtoken_core::{Code, Digits, Serial};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(serial) = Serial::parse(text) {
        let shown = display_serial(serial.as_str());
        let again = Serial::parse(&shown).expect("a printed serial parses");
        assert_eq!(again.as_str(), serial.as_str());
    }
    let _ = display_serial(text);
    for digits in [Digits::SIX, Digits::new(8).expect("8 digits")] {
        let _ = Code::parse(text, digits);
    }
});
