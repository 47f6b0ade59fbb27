#!/usr/bin/env bash
# The app's numbers for docs/BENCHMARKS.md: `./x bench-app` (which provides Xvfb, D-Bus and gnome-keyring, and
# builds both binaries first: the shipped one, ./x deb, and the same profile with the startup-bench feature).
#  1. size of the shipped binary and of the .deb (tauri build --bundles deb)
#  2. launch to first code painted, with the startup-bench build: the app prints `first-paint-ms N` (N = ms since
#     the launcher's clock reading just before exec) when SOFTTOKEN_BENCH_T0_MS is set, then quits
#     (SOFTTOKEN_BENCH_EXIT=1); 10 runs
#  3. RSS after 60 s and CPU over 60 s while the code screen counts down (one token), app + WebKit processes, with
#     the shipped binary
# Peer in the same run: the same measures for a plain WebKitGTK window showing a static page (MiniBrowser from
# Debian's webkit2gtk), the floor any WebKit-based app stands on.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"
[ -n "${DISPLAY:-}" ] || { echo "bench-app: no X display (run ./x bench-app)" >&2; exit 1; }

cargo build --release --locked -q -p softtoken-cli >&2
APP=$PWD/target/app-release/softtoken-app
BENCH_APP=${BENCH_APP:-$PWD/target/bench/softtoken-app-startup-bench}
[ -x "$BENCH_APP" ] || { echo "bench-app: no startup-bench build at $BENCH_APP (run ./x bench-app)" >&2; exit 1; }
DEB=$(ls target/app-release/bundle/deb/*.deb | head -n 1)
ST=$PWD/target/release/softtoken

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "== release binary: $(mb "$(stat -c %s "$APP")")  ($APP)"
echo "== .deb:           $(mb "$(stat -c %s "$DEB")")  ($DEB)"

# One token in the app's store (the CLI and the app share the keychain service; --home points at the app's
# folder).
APP_DIR=$(mktemp -d)
trap 'rm -rf "$APP_DIR"' EXIT
SOFTTOKEN_HOME=$APP_DIR "$ST" add "otpauth://totp/Bench%20Bank:taro?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bench%20Bank&serial=SKTN12345671" >/dev/null
export SOFTTOKEN_APP_DIR=$APP_DIR WEBKIT_DISABLE_DMABUF_RENDERER=1 SOFTTOKEN_LOG=warn

echo "== launch to first code painted (10 runs, ms):"
times=()
: >"$OUT/app-first-paint-parts.jsonl"
for _ in $(seq 10); do
  t0=$(date +%s%3N)
  out=$(SOFTTOKEN_BENCH_T0_MS=$t0 SOFTTOKEN_BENCH_EXIT=1 timeout 30 "$BENCH_APP" 2>/dev/null || true)
  ms=$(awk '/^first-paint-ms/ { print $2 }' <<<"$out")
  awk '/^first-paint-parts/ { $1 = ""; print }' <<<"$out" >>"$OUT/app-first-paint-parts.jsonl"
  times+=("${ms:-timeout}")
done
echo "   ${times[*]}"
printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "   median %d ms, min %d ms, max %d ms\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
echo "== where it goes (median of each part over the runs, ms; src-tauri/src/startup.rs):"
python3 - "$OUT/app-first-paint-parts.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if rows:
    med = lambda f: round(statistics.median(f(r) for r in rows))
    print(f"   exec to process start {med(lambda r: r['exec'])}")
    for k in ["init", "keychain_probe", "webview", "page", "setup", "codes", "store_read", "render", "total"]:
        print(f"   {k:<10} {med(lambda r: r['parts'][k])}")
PY

# Sum of utime+stime (clock ticks) and of RSS (kB) over a process and all its descendants.
tree_pids() { local p=$1; echo "$p"; for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done; }
ticks() { local s=0; for p in $(tree_pids "$1"); do s=$((s + $(awk '{ print $14 + $15 }' /proc/"$p"/stat 2>/dev/null || echo 0))); done; echo $s; }
rss_kb() { local s=0; for p in $(tree_pids "$1"); do s=$((s + $(awk '/^VmRSS/ { print $2 }' /proc/"$p"/status 2>/dev/null || echo 0))); done; echo $s; }

steady() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep 10
  local t1 c1 t2 c2 hz
  hz=$(getconf CLK_TCK)
  t1=$(date +%s%N); c1=$(ticks $pid)
  sleep 60
  t2=$(date +%s%N); c2=$(ticks $pid)
  local rss; rss=$(rss_kb $pid)
  kill $pid 2>/dev/null; wait $pid 2>/dev/null || true
  awk -v n="$name" -v c=$((c2 - c1)) -v hz="$hz" -v dt=$((t2 - t1)) -v rss="$rss" \
    'BEGIN { printf "   %-34s CPU %.2f %% of one core over 60 s, RSS %.0f MB after 70 s\n", n, 100 * c / hz / (dt / 1e9), rss / 1024 }'
}
echo "== steady state (60 s, app + its WebKit processes):"
steady "softtoken-app (code screen)" "$APP"
if command -v MiniBrowser >/dev/null || [ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ]; then
  MB=$(command -v MiniBrowser || echo /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser)
  page=$(mktemp --suffix=.html)
  echo '<!doctype html><meta charset=utf-8><h1>123 456</h1>' >"$page"
  steady "peer: WebKitGTK MiniBrowser, static" "$MB" "file://$page"
  # The same browser with what the code screen does: a number and an SVG ring that change once a second.
  cat >"$page" <<'HTML'
<!doctype html><meta charset=utf-8><h1 id=c>123 456</h1>
<svg width=88 height=88 viewBox="0 0 88 88"><circle cx=44 cy=44 r=38 fill=none stroke=#ddd stroke-width=8 />
<circle id=r cx=44 cy=44 r=38 fill=none stroke=#0b5394 stroke-width=8 stroke-dasharray=238.8 /></svg>
<script>setInterval(() => { const s = 30 - Math.floor(Date.now() / 1000) % 30;
document.getElementById('c').textContent = String(s).padStart(2, '0');
document.getElementById('r').style.strokeDashoffset = 238.8 * (1 - s / 30); }, 1000);</script>
HTML
  steady "peer: MiniBrowser, 1 Hz countdown" "$MB" "file://$page"
  rm -f "$page"
else
  echo "   (peer skipped: MiniBrowser, part of libwebkit2gtk-4.1-0, not found)"
fi
