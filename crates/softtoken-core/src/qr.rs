//! QR codes: render text to PNG or SVG (qrcode crate), read every QR code in a PNG or JPEG (rqrr).

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};

/// Largest image we try to decode, in pixels (a 4K screenshot is 8.3 Mpx).
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;

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
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::BadImage {
            reason: e.to_string(),
        })?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        _ => {
            return Err(Error::BadImage {
                reason: "not a PNG or JPEG file".into(),
            })
        }
    }
    let (w, h) = reader.into_dimensions().map_err(|e| Error::BadImage {
        reason: e.to_string(),
    })?;
    if u64::from(w) * u64::from(h) > MAX_DECODE_PIXELS {
        return Err(Error::BadImage {
            reason: format!("{w}×{h} is too large"),
        });
    }
    let img = image::load_from_memory(bytes).map_err(|e| Error::BadImage {
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
    let img = image::RgbaImage::from_raw(width, height, rgba.to_vec()).ok_or_else(|| Error::BadImage {
        reason: format!("{} bytes are not a {width}×{height} RGBA image", rgba.len()),
    })?;
    decode_luma(&image::DynamicImage::ImageRgba8(img).to_luma8())
}

fn decode_luma(luma: &image::GrayImage) -> Result<Vec<String>> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma.as_raw()[y * w + x]);
    let mut found: Vec<((u32, u32), String)> = Vec::new();
    for grid in prepared.detect_grids() {
        if let Ok((_meta, text)) = grid.decode() {
            let b = grid.bounds;
            let x = b.iter().map(|p| p.x).min().unwrap_or(0).max(0) as u32;
            let y = b.iter().map(|p| p.y).min().unwrap_or(0).max(0) as u32;
            if !found.iter().any(|(_, t)| *t == text) {
                found.push(((y, x), text));
            }
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
