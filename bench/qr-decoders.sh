#!/usr/bin/env bash
# The QR decoder softtoken uses (quircs) beside the one it replaced (rqrr), in one run on the same pictures:
#   bash bench/qr-decoders.sh            (builds a small program of its own in target/bench/qr-decoders)
# Pictures: the QR fixtures (crates/softtoken-core/tests/fixtures/qr) and squares tiled with QR finder patterns
# (n × n of them, 3 px modules), the input that made rqrr take seconds to minutes (fuzz/regressions/qr_image holds
# the 40 × 40 one). Prints, per picture, each decoder's median time over 5 decodes (1 for a decode over 5 s) and
# what it found; the two must find the same texts.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=target/bench/qr-decoders
mkdir -p "$DIR/src"
cat >"$DIR/Cargo.toml" <<'TOML'
[package]
name = "qr-decoders"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
quircs = "=0.10.3"
rqrr = { version = "=0.11.0", default-features = false }
image = { version = "0.25", default-features = false, features = ["png", "jpeg"] }
TOML
cat >"$DIR/src/main.rs" <<'RS'
use std::time::{Duration, Instant};

fn quircs(img: &image::GrayImage) -> Vec<String> {
    let mut d = quircs::Quirc::default();
    let (w, h) = (img.width() as usize, img.height() as usize);
    d.identify(w, h, img.as_raw())
        .flatten()
        .filter_map(|c| c.decode().ok())
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect()
}

fn rqrr(img: &image::GrayImage) -> Vec<String> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut p = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.as_raw()[y * w + x]);
    p.detect_grids().into_iter().filter_map(|g| g.decode().ok()).map(|(_, t)| t).collect()
}

fn timed(f: fn(&image::GrayImage) -> Vec<String>, img: &image::GrayImage) -> (Duration, Vec<String>) {
    let mut times = Vec::new();
    let mut texts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        texts = f(img);
        times.push(t.elapsed());
        if times[0] > Duration::from_secs(5) {
            break;
        }
    }
    times.sort();
    texts.sort();
    (times[times.len() / 2], texts)
}

fn grid(n: u32) -> image::GrayImage {
    let (module, pitch) = (3, 8);
    image::GrayImage::from_fn(n * pitch * module, n * pitch * module, |x, y| {
        let (mx, my) = ((x / module) % pitch, (y / module) % pitch);
        let dark = mx < 7 && my < 7 && (mx == 0 || mx == 6 || my == 0 || my == 6 || ((2..=4).contains(&mx) && (2..=4).contains(&my)));
        image::Luma([if dark { 0 } else { 255 }])
    })
}

fn main() {
    let mut pictures: Vec<(String, image::GrayImage)> = std::env::args()
        .skip(1)
        .map(|p| {
            let name = p.rsplit('/').next().unwrap_or(&p).to_string();
            (name, image::open(&p).expect("a fixture").to_luma8())
        })
        .collect();
    for n in [10, 20, 40] {
        pictures.push((format!("finder-pattern grid {n}×{n}"), grid(n)));
    }
    println!("| picture | pixels | quircs | rqrr 0.11 | codes found (quircs / rqrr) |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for (name, img) in &pictures {
        let (tq, q) = timed(quircs, img);
        let (tr, r) = timed(rqrr, img);
        assert_eq!(q, r, "{name}: the decoders disagree");
        println!("| {name} | {}×{} | {:.2} ms | {:.2} ms | {} / {} |", img.width(), img.height(),
            tq.as_secs_f64() * 1e3, tr.as_secs_f64() * 1e3, q.len(), r.len());
    }
}
RS
cargo build --release -q --manifest-path "$DIR/Cargo.toml" --target-dir "$DIR/target"
F=crates/softtoken-core/tests/fixtures/qr
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$DIR/target/release/qr-decoders" $F/plain.png $F/plain.jpg $F/japanese.png $F/multi.png $F/screenshot.png $F/gradient.png
