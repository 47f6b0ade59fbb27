#!/usr/bin/env bash
# Reproduces the numbers in docs/BENCHMARKS.md. Run it on an otherwise idle machine: `./x bench`.
#  1. softtoken code --count 1000000 against oathtool -w 999999 (the same million codes; outputs compared)
#  2. QR decode of a 1920x1080 screenshot: softtoken qr decode against zbarimg, as whole commands
#  3. criterion micro-benchmarks of the core (ns per code, verify, URI parse, QR decode in-process)
# Results go to target/bench/ (markdown tables) and are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"
for t in hyperfine oathtool; do command -v $t >/dev/null || { echo "bench: $t is missing (./x bench installs it)" >&2; exit 1; }; done

cargo build --release --locked -p softtoken-cli >&2
ST=$PWD/target/release/softtoken
SECRET_B32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
SECRET_HEX=3132333435363738393031323334353637383930

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "== oathtool: $(oathtool --version | head -1)"

# Same output first: a benchmark of different work would mean nothing.
a=$("$ST" code --secret $SECRET_B32 --at 0 --count 1000000 | md5sum)
b=$(oathtool --totp -w 999999 -N @0 $SECRET_HEX | md5sum)
[ "$a" = "$b" ] || { echo "bench: softtoken and oathtool disagree on the million codes" >&2; exit 1; }
echo "== the 1,000,000 codes are identical (md5 ${a%% *})"

hyperfine --warmup 3 --runs 20 -N --output=null \
  --export-markdown "$OUT/codes.md" \
  -n "softtoken code --count 1000000" "$ST code --secret $SECRET_B32 --at 0 --count 1000000" \
  -n "oathtool --totp -w 999999" "oathtool --totp -w 999999 -N @0 $SECRET_HEX"

SHOT=crates/softtoken-core/tests/fixtures/qr/screenshot.png
if [ -f "$SHOT" ]; then
  peers=()
  command -v zbarimg >/dev/null && peers=(-n "zbarimg --raw -q" "zbarimg --raw -q $SHOT")
  hyperfine --warmup 2 --runs 20 -N --output=null --export-markdown "$OUT/qr.md" \
    -n "softtoken qr decode" "$ST qr decode $SHOT" "${peers[@]}"
fi

cargo bench --locked -p softtoken-core --bench core -- --noplot 2>/dev/null | tee "$OUT/criterion.txt" | grep -E "^[a-z_/0-9]+ +time:|time:" || true
echo "== tables: $OUT/codes.md $OUT/qr.md $OUT/criterion.txt"
