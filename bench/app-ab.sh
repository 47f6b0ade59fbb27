#!/usr/bin/env bash
# Launch to first code painted for two builds of the app, alternating, so that both see the same machine:
#   ./x bench-app-ab OLD_BINARY NEW_BINARY      (N launches each, default 12; ./x provides Xvfb and gnome-keyring)
# Both must be startup-bench builds (cargo feature startup-bench; ./x bench-app leaves one in
# target/bench/softtoken-app-startup-bench): a shipped build never reports its first paint.
# Prints the median of the total and of each part (src-tauri/src/startup.rs) per binary.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: ./x bench-app-ab OLD_BINARY NEW_BINARY" >&2; exit 2; }
[ -n "${DISPLAY:-}" ] || { echo "bench-app-ab: no X display (run ./x bench-app-ab)" >&2; exit 1; }
cargo build --release --locked -q -p softtoken-cli >&2
OUT=target/bench
mkdir -p "$OUT"
APP_DIR=$(mktemp -d)
trap 'rm -rf "$APP_DIR"' EXIT
SOFTTOKEN_HOME=$APP_DIR target/release/softtoken add \
  "otpauth://totp/Bench%20Bank:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bench%20Bank&serial=SKTN12345671" >/dev/null
export SOFTTOKEN_APP_DIR=$APP_DIR WEBKIT_DISABLE_DMABUF_RENDERER=1 SOFTTOKEN_LOG=warn
: >"$OUT/app-ab.jsonl"
for _ in $(seq "${N:-12}"); do
  for which in old new; do
    bin=$1; [ "$which" = new ] && bin=$2
    t0=$(date +%s%3N)
    out=$(SOFTTOKEN_BENCH_T0_MS=$t0 SOFTTOKEN_BENCH_EXIT=1 timeout 30 "$bin" 2>/dev/null || true)
    parts=$(awk '/^first-paint-parts/ { $1 = ""; print }' <<<"$out")
    [ -n "$parts" ] && printf '{"which":"%s","ms":%s,"run":%s}\n' "$which" "$(awk '/^first-paint-ms/ { print $2 }' <<<"$out")" "$parts" >>"$OUT/app-ab.jsonl"
  done
done
python3 - "$OUT/app-ab.jsonl" "$1" "$2" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for which, path in (("old", sys.argv[2]), ("new", sys.argv[3])):
    rs = [r for r in rows if r["which"] == which]
    if not rs:
        print(f"{which}: no launch painted a code ({path})")
        continue
    ms = [r["ms"] for r in rs]
    med = lambda f: statistics.median(f(r) for r in rs)
    print(f"{which} ({path}): {len(rs)} launches, launch to paint median {statistics.median(ms):.0f} ms ({min(ms)}–{max(ms)})")
    print("   " + ", ".join(f"{k} {med(lambda r: r['run']['parts'][k]):g}" for k in
          ["init", "keychain_probe", "webview", "page", "setup", "codes", "store_read", "render", "total"]))
PY
