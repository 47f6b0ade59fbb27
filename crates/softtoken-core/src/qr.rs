//! QR codes: render text to PNG or SVG (qrcode crate), read every QR code in a PNG or JPEG (quircs, a
//! port of quirc: it looks at no more than 32 finder patterns, so a picture full of them costs no more than a few).

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};

/// Largest image we try to decode, in pixels (a 4K screenshot is 8.3 Mpx).
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;

/// Largest image file we read, in bytes (a 4K screenshot as PNG is a few MiB; a phone photo as JPEG under 10 MiB).
pub const MAX_DECODE_BYTES: usize = 32 * 1024 * 1024;

/// Most memory the image decoder may allocate: a 40 Mpx image as 8-bit RGBA is 160 MB.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// Pixels per QR module in rendered PNGs.
const PNG_MODULE_PX: u32 = 8;

fn encode(text: &str) -> Result<QrCode> {
    // Medium error correction: what authenticator QR codes use; survives a scuffed screen or print.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| Error::QrEncode {
        reason: e.to_string(),
    })
}

/// Renders `text` as a PNG with a 4-module quiet zone.
///
/// # Errors
/// [`Error::QrEncode`] when the text is too long for a QR code.
pub fn render_png(text: &str) -> Result<Vec<u8>> {
    let img = encode(text)?
        .render::<Luma<u8>>()
        .module_dimensions(PNG_MODULE_PX, PNG_MODULE_PX)
        .build();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::QrEncode {
            reason: e.to_string(),
        })?;
    Ok(out.into_inner())
}

/// Renders `text` as a standalone SVG document.
///
/// # Errors
/// [`Error::QrEncode`] when the text is too long for a QR code.
pub fn render_svg(text: &str) -> Result<String> {
    Ok(encode(text)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// Finds and decodes every QR code in a PNG or JPEG image: a cropped code, a screenshot with the code somewhere
/// in it, or a picture with several codes. Texts are returned left-to-right, top-to-bottom, without duplicates.
///
/// # Errors
/// [`Error::BadImage`] when the bytes are not a readable image, [`Error::NoQrCode`] when no code decodes.
pub fn decode(bytes: &[u8]) -> Result<Vec<String>> {
    if bytes.len() > MAX_DECODE_BYTES {
        return Err(Error::BadImage {
            // A reader may stop one byte past the limit (the CLI does), so the size is not said.
            reason: format!("the file is over {MAX_DECODE_BYTES} bytes, the largest image file read"),
        });
    }
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::BadImage {
                reason: e.to_string(),
            })
    };
    let probe = reader()?;
    let format = probe.format();
    match format {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        _ => {
            return Err(Error::BadImage {
                reason: "not a PNG or JPEG file".into(),
            })
        }
    }
    let (w, h) = probe.into_dimensions().map_err(|e| Error::BadImage {
        reason: e.to_string(),
    })?;
    if u64::from(w) * u64::from(h) > MAX_DECODE_PIXELS {
        return Err(Error::BadImage {
            reason: format!("{w}×{h} is too large"),
        });
    }
    // The same format, decoded under limits of its own (the decoder's allocations, not only the header's size).
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut decoder = reader()?;
    decoder.limits(limits);
    let img = decoder.decode().map_err(|e| Error::BadImage {
        reason: e.to_string(),
    })?;
    decode_luma(&img.to_luma8())
}

/// Like [`decode`], for raw RGBA pixels (what an OS clipboard hands over): `rgba` holds `width × height × 4`
/// bytes, row by row.
///
/// # Errors
/// [`Error::BadImage`] when the buffer does not match the size or is too large, [`Error::NoQrCode`] when no code
/// decodes.
pub fn decode_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<String>> {
    if u64::from(width) * u64::from(height) > MAX_DECODE_PIXELS {
        return Err(Error::BadImage {
            reason: format!("{width}×{height} is too large"),
        });
    }
    let wrong_size = || Error::BadImage {
        reason: format!("{} bytes are not a {width}×{height} RGBA image", rgba.len()),
    };
    // The size is checked before the pixels are copied.
    if u64::try_from(rgba.len()).ok() != Some(u64::from(width) * u64::from(height) * 4) {
        return Err(wrong_size());
    }
    let img = image::RgbaImage::from_raw(width, height, rgba.to_vec()).ok_or_else(wrong_size)?;
    decode_luma(&image::DynamicImage::ImageRgba8(img).to_luma8())
}

fn decode_luma(luma: &image::GrayImage) -> Result<Vec<String>> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    // Refused here rather than handed to the decoder: an image without pixels has no code.
    if w == 0 || h == 0 {
        return Err(Error::BadImage {
            reason: format!("a {w}×{h} image has no pixels"),
        });
    }
    // quircs bounds its own work: at most 32 finder patterns are kept, grouped without copying the image, so a
    // picture tiled with finder patterns costs milliseconds (rqrr, used before, copied the whole image for each
    // candidate group and took 38 s on a 960 px one; fuzz/regressions/qr_image keeps it).
    let mut decoder = quircs::Quirc::default();
    let mut found: Vec<((u32, u32), String)> = Vec::new();
    for code in decoder.identify(w, h, luma.as_raw()).flatten() {
        let Ok(data) = code.decode() else { continue };
        let Ok(text) = String::from_utf8(data.payload) else {
            continue;
        };
        // The code's top-left corner, as the least x and the least y of its four corners.
        let least = |at: fn(&quircs::Point) -> i32| {
            code.corners
                .iter()
                .map(at)
                .min()
                .unwrap_or(0)
                .max(0)
                .unsigned_abs()
        };
        let (x, y) = (least(|p| p.x), least(|p| p.y));
        if !found.iter().any(|(_, t)| *t == text) {
            found.push(((y, x), text));
        }
    }
    if found.is_empty() {
        return Err(Error::NoQrCode);
    }
    // Reading order: rows of codes top to bottom (codes whose tops are within 50 px of the row's highest code
    // share a row), then left to right. Each code is keyed by its row's top, so a row is never split at a
    // multiple of 50 px.
    found.sort_by_key(|((y, x), _)| (*y, *x));
    let mut row_top = 0;
    for (i, ((y, _), _)) in found.iter_mut().enumerate() {
        if i == 0 || *y > row_top + 50 {
            row_top = *y;
        }
        *y = row_top;
    }
    found.sort_by_key(|((y, x), _)| (*y, *x));
    Ok(found.into_iter().map(|(_, t)| t).collect())
}
