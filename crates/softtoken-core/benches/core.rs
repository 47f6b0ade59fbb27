//! Criterion benchmarks of the core's hot paths. Results and the command that reproduces them are in
//! docs/BENCHMARKS.md (`./x bench`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use image::{GrayImage, Luma};
use softtoken_core::{qr, Code, OtpAuthUri, Params, Period, Seed, Serial, Totp};

fn codes(c: &mut Criterion) {
    let seed = Seed::from_bytes(b"12345678901234567890").unwrap();
    let totp = Totp::new(&seed, Params::default(), Period::THIRTY);
    let mut t = 1_700_000_000u64;
    c.bench_function("totp_code_sha1_6digits", |b| {
        b.iter(|| {
            t += 30;
            black_box(totp.code_at(black_box(t)))
        })
    });
    let gen = totp.generator();
    let mut buf = Vec::with_capacity(16);
    c.bench_function("generator_write_code_sha1_6digits", |b| {
        b.iter(|| {
            buf.clear();
            t += 1;
            gen.write_code(black_box(t), &mut buf).unwrap();
            black_box(&buf);
        })
    });
    let code = totp.code_at(1_700_000_000);
    c.bench_function("totp_verify_window_1", |b| {
        b.iter(|| black_box(totp.verify(black_box(&code), 1_700_000_000, 1)))
    });
    c.bench_function("totp_new", |b| {
        b.iter(|| black_box(Totp::new(black_box(&seed), Params::default(), Period::THIRTY)))
    });
    c.bench_function("code_parse", |b| {
        b.iter(|| black_box(Code::parse(black_box("123 456"), Default::default())))
    });
}

fn parsing(c: &mut Criterion) {
    let uri = "otpauth://totp/%E3%81%97%E3%82%93%E3%81%8D%E3%82%93:taro?secret=JBSWY3DPEHPK3PXP&issuer=%E3%81%97%E3%82%93%E3%81%8D%E3%82%93&serial=SKTN12345671";
    c.bench_function("otpauth_uri_parse", |b| {
        b.iter(|| black_box(OtpAuthUri::parse(black_box(uri)).unwrap()))
    });
    c.bench_function("serial_parse_fullwidth", |b| {
        b.iter(|| black_box(Serial::parse(black_box("ＳＫＴＮ－１２３４－５６７１")).unwrap()))
    });
}

/// A 1920×1080 "screenshot": light background, some dark UI blocks, and a provisioning QR off-centre.
fn screenshot() -> Vec<u8> {
    let qr_png =
        qr::render_png("otpauth://totp/Shinkin:taro?secret=JBSWY3DPEHPK3PXP&issuer=Shinkin").unwrap();
    let code = image::load_from_memory(&qr_png).unwrap().to_luma8();
    let mut img = GrayImage::from_pixel(1920, 1080, Luma([238]));
    for (x0, y0, w, h) in [
        (0, 0, 1920, 60),
        (80, 120, 600, 40),
        (80, 200, 900, 700),
        (1000, 950, 800, 60),
    ] {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                img.put_pixel(x, y, Luma([if (x / 7 + y / 11) % 5 == 0 { 40 } else { 200 }]));
            }
        }
    }
    image::imageops::overlay(&mut img, &code, 1300, 300);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn qr_codes(c: &mut Criterion) {
    let shot = screenshot();
    assert_eq!(qr::decode(&shot).unwrap().len(), 1);
    let mut g = c.benchmark_group("qr");
    g.sample_size(20);
    g.bench_function("decode_screenshot_1920x1080_png", |b| {
        b.iter(|| black_box(qr::decode(black_box(&shot)).unwrap()))
    });
    g.bench_function("render_png_otpauth", |b| {
        b.iter(|| {
            black_box(
                qr::render_png(black_box("otpauth://totp/Shinkin:taro?secret=JBSWY3DPEHPK3PXP")).unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, codes, parsing, qr_codes);
criterion_main!(benches);
