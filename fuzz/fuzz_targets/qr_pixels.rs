//! Camera frames (RGBA pixels with their claimed size) handed to the QR decoder: mostly frames whose pixels fill
//! the claimed size (the input's bytes repeated), so that the decoder itself runs on arbitrary pixels; sometimes a
//! size that does not match the pixels.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Frame {
    width: u8,
    height: u8,
    mismatched: bool,
    pixels: Vec<u8>,
}

fuzz_target!(|f: Frame| {
    let (w, h) = (u32::from(f.width), u32::from(f.height));
    let rgba: Vec<u8> = if f.mismatched || f.pixels.is_empty() {
        f.pixels
    } else {
        f.pixels.iter().copied().cycle().take((w * h * 4) as usize).collect()
    };
    let _ = softtoken_core::qr::decode_rgba(w, h, &rgba);
});
