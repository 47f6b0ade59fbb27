#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! QR codes: decoding images made by an independent encoder (libqrencode, see tests/fixtures/qr/README.md),
//! the error codes for images that hold no code or are not images, round trips through our own renderer, and a
//! cross-check of our rendered PNGs with an independent decoder (zbar's `zbarimg`).

use std::io::Write;
use std::path::Path;
use std::process::Command;

use image::{GrayImage, ImageFormat, Luma};
use softtoken_core::qr::{self, MAX_DECODE_PIXELS};
use softtoken_core::OtpAuthUri;

// The texts of the fixtures, verbatim from tests/fixtures/qr/make-fixtures.sh.
const PLAIN: &str = "otpauth://totp/Shinkin:taro@example.jp?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Shinkin&algorithm=SHA1&digits=6&period=30";
const JAPANESE: &str = "otpauth://totp/しんきん銀行:山田太郎?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=しんきん銀行&serial=SKTN12345671";
const SCREEN: &str = "otpauth://hotp/Shinkin%20Bank:hanako?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Shinkin%20Bank&counter=7&serial=SKTN12345671";
const MULTI_A: &str = "otpauth://totp/Bank%20A:alice?secret=JBSWY3DPEHPK3PXP&issuer=Bank%20A";
const MULTI_B: &str = "otpauth://totp/Bank%20B:bob?secret=KRSXG5CTMVRXEZLU&issuer=Bank%20B";
const MULTI_C: &str = "otpauth://totp/Bank%20C:carol?secret=MFRGGZDFMZTWQ2LK&issuer=Bank%20C";

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qr/", $name)).as_slice()
    };
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/qr/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn decode_ok(bytes: &[u8]) -> Vec<String> {
    match qr::decode(bytes) {
        Ok(texts) => texts,
        Err(e) => panic!("decode failed: {} ({e})", e.code()),
    }
}

fn decode_err(bytes: &[u8]) -> &'static str {
    match qr::decode(bytes) {
        Ok(texts) => panic!("expected an error, decoded {texts:?}"),
        Err(e) => e.code(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures made by qrencode
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn plain_png_from_qrencode() {
    assert_eq!(decode_ok(fixture!("plain.png")), [PLAIN]);
}

#[test]
fn plain_jpeg_quality_85() {
    assert_eq!(decode_ok(fixture!("plain.jpg")), [PLAIN]);
}

#[test]
fn japanese_issuer_in_utf8_byte_mode() {
    let texts = decode_ok(fixture!("japanese.png"));
    assert_eq!(texts, [JAPANESE]);
    let uri = OtpAuthUri::parse(&texts[0]).unwrap();
    assert_eq!(uri.issuer.as_deref(), Some("しんきん銀行"));
    assert_eq!(uri.account, "山田太郎");
    assert_eq!(uri.serial.as_deref(), Some("SKTN12345671"));
}

#[test]
fn screenshot_with_code_off_centre() {
    let bytes = fixture!("screenshot.png");
    let img = image::load_from_memory(bytes).unwrap();
    assert_eq!((img.width(), img.height()), (1920, 1080));
    assert_eq!(decode_ok(bytes), [SCREEN]);
}

#[test]
fn three_codes_in_reading_order() {
    // A and B share the top row although their tops differ by 30 px; C is below. qr::decode documents
    // "left-to-right, top-to-bottom" with codes whose tops are within 50 px sharing a row.
    assert_eq!(decode_ok(fixture!("multi.png")), [MULTI_A, MULTI_B, MULTI_C]);
}

#[test]
fn gradient_has_no_qr_code() {
    assert_eq!(decode_err(fixture!("gradient.png")), "no_qr_code");
}

#[test]
fn truncated_png_is_bad_image() {
    assert_eq!(decode_err(fixture!("truncated.png")), "bad_image");
}

#[test]
fn text_file_named_png_is_bad_image() {
    assert_eq!(decode_err(fixture!("not-an-image.png")), "bad_image");
}

#[test]
fn other_garbage_is_bad_image() {
    let plain = fixture!("plain.png");
    for (what, bytes) in [
        ("empty", &[][..]),
        ("PNG signature only", &plain[..8]),
        ("PNG cut inside IHDR", &plain[..20]),
        ("PNG minus its last byte", &plain[..plain.len() - 1]),
        (
            "JPEG cut in half",
            &fixture!("plain.jpg")[..fixture!("plain.jpg").len() / 2],
        ),
        ("GIF header", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        (
            "random bytes",
            &[0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x42, 0x42][..],
        ),
    ] {
        // Cutting into the IEND chunk leaves every pixel readable: decoding it or refusing it are both fine,
        // as long as it does not panic.
        if what == "PNG minus its last byte" {
            if let Err(e) = qr::decode(bytes) {
                assert_eq!(e.code(), "bad_image", "{what}: {e}");
            }
            continue;
        }
        // The JPEG decoder (zune-jpeg) is lenient like a browser: a cut-off JPEG decodes with its missing part
        // grey, so half a code is "no QR code" rather than "bad image". Either is an honest answer.
        if what == "JPEG cut in half" {
            let code = qr::decode(bytes).expect_err(what).code();
            assert!(code == "bad_image" || code == "no_qr_code", "{what}: {code}");
            continue;
        }
        let err = qr::decode(bytes).expect_err(what);
        assert_eq!(err.code(), "bad_image", "{what}: {err}");
    }
}

#[test]
fn a_png_claiming_gigapixels_is_refused_before_decoding() {
    // A PNG whose header claims 50 000 x 50 000 pixels (2.5 GB of greyscale) but holds one tiny IDAT chunk: it
    // must be refused from the header alone, without allocating the image.
    let chunk = |png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ); // an empty zlib stream
    chunk(&mut png, b"IEND", &[]);
    const _: () = assert!(50_000u64 * 50_000 > MAX_DECODE_PIXELS);
    let err = qr::decode(&png).unwrap_err();
    assert_eq!(err.code(), "bad_image");
    assert!(err.to_string().contains("too large"), "{err}");
}

/// Hostile input is refused by its size before the work (issue 17): a file over `MAX_DECODE_BYTES` before any
/// decoding, raw pixels whose length does not match their claimed size before they are copied, and an image
/// without pixels (which made the QR decoder panic) before it reaches the decoder.
#[test]
fn oversized_files_and_mismatched_pixels_are_refused_first() {
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(qr::MAX_DECODE_BYTES + 1, 0);
    let err = qr::decode(&huge).unwrap_err();
    assert_eq!(err.code(), "bad_image");
    assert!(err.to_string().contains("the largest image file read"), "{err}");
    for (w, h, len) in [
        (100, 100, 39_999),
        (100, 100, 40_001),
        (u32::MAX, 2, 8),
        (0, 5, 0),
    ] {
        let err = qr::decode_rgba(w, h, &vec![0; len]).unwrap_err();
        assert_eq!(err.code(), "bad_image", "{w}×{h}, {len} bytes: {err}");
    }
}

/// A picture tiled with QR finder patterns (40 × 40 of them, 3 px modules, 960 px square, a 1 KB PNG) holds no
/// code and is answered as such. The decoder used before (rqrr) copied the whole image for every candidate group of
/// three patterns and took 38 s on this picture in a release build: the decoder now keeps at most 32
/// patterns. The same picture is in fuzz/regressions/qr_image, where the fuzzer's 10 s limit guards it.
#[test]
fn a_picture_tiled_with_finder_patterns_has_no_code() {
    let (n, module, pitch) = (40u32, 3u32, 8u32);
    let side = n * pitch * module;
    let img = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / module) % pitch, (y / module) % pitch);
        let ring = mx == 0 || mx == 6 || my == 0 || my == 6;
        let eye = (2..=4).contains(&mx) && (2..=4).contains(&my);
        let dark = mx < 7 && my < 7 && (ring || eye);
        Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    assert_eq!(decode_err(&png), "no_qr_code");
    let committed = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/regressions/qr_image/finder-grid.png"
    ));
    assert_eq!(decode_err(committed), "no_qr_code");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ---------------------------------------------------------------------------------------------------------------
// Round trips through our renderer
// ---------------------------------------------------------------------------------------------------------------

/// Texts for the round trips: short and long, ASCII and Japanese, up to the byte-mode capacity of a version-40
/// code at level M (2331 bytes).
fn round_trip_texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "a",
        "hello, world",
        "otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "otpauth://totp/%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C:taro?secret=JBSWY3DPEHPK3PXP&issuer=%E3%81%97%E3%82%93%E3%81%8D%E3%82%93%E9%8A%80%E8%A1%8C",
        JAPANESE,
        "しんきん銀行 ソフトウェアトークン シリアル番号 ＳＫＴＮ　１２３４　５６７１",
        "絵文字も 🔐🏦 ok",
        "otpauth://hotp/X:y?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615",
        " leading and trailing spaces ",
        "line one\nline two\r\n\ttabbed",
        "0123456789",
        "HELLO WORLD $%*+-./:",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    // A long otpauth URI: a 512-byte secret (the longest base32 real issuers use is far shorter).
    let long_secret = "GEZDGNBVGY3TQOJQ".repeat(52); // 832 base32 chars = 520 bytes
    texts.push(format!(
        "otpauth://totp/Shinkin%20Bank:a-very-long-account-name@example.jp?secret={long_secret}&issuer=Shinkin%20Bank&algorithm=SHA512&digits=8&period=60&serial=SKTN12345671"
    ));
    // Close to the capacity of the largest code.
    let mut max = String::from("otpauth://totp/Max:len?issuer=Max&secret=");
    while max.len() < 2320 {
        max.push_str("JBSWY3DP");
    }
    max.truncate(2320);
    texts.push(max);
    texts
}

#[test]
fn render_png_then_decode_round_trips() {
    for text in round_trip_texts() {
        let png = qr::render_png(&text).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(
            decode_ok(&png),
            std::slice::from_ref(&text),
            "round trip of {} bytes",
            text.len()
        );
    }
}

#[test]
fn rendered_uri_parses_back_to_the_same_token() {
    let uri = OtpAuthUri::parse(JAPANESE).unwrap();
    let canonical = uri.to_uri();
    let texts = decode_ok(&qr::render_png(&canonical).unwrap());
    let back = OtpAuthUri::parse(&texts[0]).unwrap();
    assert_eq!(back.issuer, uri.issuer);
    assert_eq!(back.account, uri.account);
    assert!(back.seed.ct_eq(&uri.seed));
    assert_eq!(back.serial, uri.serial);
}

#[test]
fn too_long_for_any_qr_code_is_qr_encode() {
    let text = "x".repeat(3000);
    assert_eq!(qr::render_png(&text).unwrap_err().code(), "qr_encode");
    assert_eq!(qr::render_svg(&text).unwrap_err().code(), "qr_encode");
}

#[test]
fn rendered_png_has_quiet_zone_and_8px_modules() {
    let text = "otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let modules = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .unwrap()
        .width() as u32;
    let img = image::load_from_memory(&qr::render_png(text).unwrap())
        .unwrap()
        .to_luma8();
    assert_eq!(img.width(), (modules + 8) * 8);
    assert_eq!(img.height(), img.width());
    // The 4-module quiet zone is white; the top-left finder's corner module is black.
    assert!((0..32).all(|i| img.get_pixel(i, i)[0] == 255 && img.get_pixel(img.width() - 1 - i, i)[0] == 255));
    assert_eq!(img.get_pixel(32, 32)[0], 0);
}

/// Draws `codes` (PNG bytes, placed with their top-left at the given point) on a white canvas.
fn compose(width: u32, height: u32, codes: &[(&[u8], u32, u32)]) -> Vec<u8> {
    let mut canvas = GrayImage::from_pixel(width, height, Luma([255]));
    for (png, x, y) in codes {
        let code = image::load_from_memory(png).unwrap().to_luma8();
        image::imageops::replace(&mut canvas, &code, i64::from(*x), i64::from(*y));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    canvas.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn the_same_code_twice_is_reported_once() {
    let code = qr::render_png("otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP").unwrap();
    let img = compose(1000, 500, &[(&code, 0, 0), (&code, 500, 40)]);
    assert_eq!(decode_ok(&img), ["otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP"]);
}

#[test]
fn reading_order_rows_then_columns() {
    let [a, b, c, d] = ["code A", "code B", "code C", "code D"].map(|t| qr::render_png(t).unwrap());
    let side = image::load_from_memory(&a).unwrap().width();
    // Top row: B is to the right of A but 45 px higher (still the same row); bottom row: D left of C, both
    // 40 px apart in height. Positions straddle multiples of 50 px on purpose.
    let row2 = side + 120;
    let img = compose(
        2 * side + 200,
        2 * side + 300,
        &[
            (&a, 20, 90),
            (&b, side + 100, 45),
            (&c, side + 100, row2 + 40),
            (&d, 20, row2 + 80),
        ],
    );
    assert_eq!(decode_ok(&img), ["code A", "code B", "code D", "code C"]);
    // A column of codes is read top to bottom whatever their x.
    let img = compose(
        side + 200,
        3 * side + 100,
        &[(&a, 150, 0), (&b, 0, side + 40), (&c, 90, 2 * side + 80)],
    );
    assert_eq!(decode_ok(&img), ["code A", "code B", "code C"]);
}

#[test]
fn render_svg_is_well_formed_with_expected_dimensions() {
    let text = "otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let svg = qr::render_svg(text).unwrap();
    let modules = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .unwrap()
        .width() as u32;
    let side = modules + 8; // 4-module quiet zone on each side
    let unit = 200u32.div_ceil(side);
    let px = side * unit;
    assert!(px >= 200);
    assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
    assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("width=\"{px}\" height=\"{px}\"")), "{px}");
    assert!(svg.contains(&format!("viewBox=\"0 0 {px} {px}\"")));
    assert!(svg.contains("fill=\"#000000\"") && svg.contains("fill=\"#ffffff\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches('"').count() % 2, 0);
    // Every dark rectangle lies inside the code area (not in the quiet zone).
    let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        let (x, rest) = rect.split_once(' ').unwrap();
        let y: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
        assert!(
            (4 * unit..px - 4 * unit).contains(&x) && (4 * unit..px - 4 * unit).contains(&y),
            "{rect}"
        );
    }
}

#[test]
fn render_svg_rasterised_by_imagemagick_decodes() {
    let Some(convert) = find_tool("convert", &["-version"]) else {
        println!("skipped: ImageMagick `convert` is not installed (apt-get install imagemagick)");
        return;
    };
    for text in [
        "otpauth://totp/Shinkin:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        JAPANESE,
        "a",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let svg_path = dir.path().join("code.svg");
        let png_path = dir.path().join("code.png");
        std::fs::write(&svg_path, qr::render_svg(text).unwrap()).unwrap();
        let out = Command::new(&convert)
            .arg(format!("svg:{}", svg_path.display()))
            .arg(format!("png:{}", png_path.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "convert failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(decode_ok(&std::fs::read(&png_path).unwrap()), [text]);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-check with an independent decoder
// ---------------------------------------------------------------------------------------------------------------

/// The path of `tool` if running it with `args` works.
fn find_tool(tool: &str, args: &[&str]) -> Option<String> {
    Command::new(tool)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| tool.to_string())
}

/// `zbarimg --raw -q` on a file holding one code: its text (zbar ends each symbol with a newline).
fn zbarimg(path: &Path) -> String {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "--nodbus"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zbarimg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("zbarimg --raw printed invalid UTF-8");
    stdout.strip_suffix('\n').unwrap_or(&stdout).to_string()
}

fn zbar_available() -> bool {
    if Command::new("zbarimg").arg("--version").output().is_ok() {
        return true;
    }
    if std::env::var("SOFTTOKEN_SKIP_ZBAR").as_deref() == Ok("1") {
        println!("skipped: zbarimg not installed and SOFTTOKEN_SKIP_ZBAR=1");
        return false;
    }
    panic!(
        "zbarimg (the independent QR decoder this test checks our PNGs with) is not installed: \
         install it with `apt-get install zbar-tools` (Debian/Ubuntu), `dnf install zbar` (Fedora) or \
         `brew install zbar` (macOS), or set SOFTTOKEN_SKIP_ZBAR=1 to skip this check"
    );
}

#[test]
fn zbarimg_reads_our_rendered_pngs() {
    if !zbar_available() {
        return;
    }
    for text in round_trip_texts() {
        let png = qr::render_png(&text).unwrap();
        let mut file = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
        file.write_all(&png).unwrap();
        file.flush().unwrap();
        assert_eq!(
            zbarimg(file.path()),
            text,
            "zbarimg disagrees on a {}-byte text",
            text.len()
        );
    }
}

#[test]
fn zbarimg_agrees_with_the_fixture_texts() {
    if !zbar_available() {
        return;
    }
    for (name, text) in [
        ("plain.png", PLAIN),
        ("plain.jpg", PLAIN),
        ("japanese.png", JAPANESE),
        ("screenshot.png", SCREEN),
    ] {
        assert_eq!(zbarimg(Path::new(&fixture_path(name))), text, "{name}");
    }
    // zbar's order is its own; compare as sets.
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "--nodbus"])
        .arg(fixture_path("multi.png"))
        .output()
        .unwrap();
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    got.sort();
    assert_eq!(got, [MULTI_A, MULTI_B, MULTI_C]);
}
