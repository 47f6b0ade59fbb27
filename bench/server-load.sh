#!/usr/bin/env bash
# Load benchmark of POST /v1/validate: 64 concurrent clients, every request a fresh valid code (and a second run
# with wrong codes), against the release server on SQLite and, when SOFTTOKEN_TEST_POSTGRES_URL is set (./x
# bench-server starts a private PostgreSQL), on PostgreSQL. The load generator (crates/softtoken-server/examples/
# loadgen.rs) runs on the same 2-core machine, so it takes CPU from the server: the numbers are a floor.
# The two closed-loop runs saturate the server (its throughput; latency is then the queue of 64 clients). The
# open-loop runs offer fixed rates (RATES, valid codes) from the same 64 clients and count each request's latency
# from when it was due: latency against load.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"
TOKENS=${TOKENS:-8000}
CONC=${CONC:-64}
DURATION=${DURATION:-20}
RATES=${RATES:-1000 2000 3000 4000 5000}

# shellcheck source=bench/server-common.sh
source bench/server-common.sh
TIMEFORMAT='%U %S'

run_one() { # name database-url
  local name=$1 url=$2 data pid line base
  data=$(mktemp -d)
  # --period 1: a token can be accepted once per second, so 8000 tokens carry up to 8000 valid codes a second.
  local common=(--data "$data" --database "${url/DATA/$data}" --period 1 --max-failures 1000000000)
  # One contract per token: a contract has one token in use.
  SOFTTOKEN_LOG=warn "$SRV" "${common[@]}" demo-data --load-customers "$TOKENS" >/dev/null
  SOFTTOKEN_LOG=warn "$SRV" "${common[@]}" --listen 127.0.0.1:0 >"$data/out" 2>"$data/err" &
  pid=$!
  for _ in $(seq 100); do line=$(head -n 1 "$data/out" 2>/dev/null || true); [ -n "$line" ] && break; sleep 0.1; done
  base=$(grep -o 'http://[0-9.:]*' <<<"$line")
  # The load generator imports and assigns its tokens on first use: a one-second run does that, so that no
  # measured run's CPU times include it.
  "$LG" --url "$base" --api-token-file "$data/api-token" --tokens "$TOKENS" --concurrency 4 --duration 1 \
    --period 1 --mode time >/dev/null 2>&1
  local runs=(valid wrong)
  for r in $RATES; do runs+=("valid --rate $r"); done
  # The control: the same rates against GET /v1/time, which touches no database (the HTTP and machine floor).
  [ "$name" = sqlite ] && for r in $RATES; do runs+=("time --rate $r"); done
  for run in "${runs[@]}"; do
    local before s0 s1
    before=$(cpu_times)
    s0=$(proc_ticks "$pid")
    # shellcheck disable=SC2086 # $run is the mode and, for the open loop, --rate R
    { time "$LG" --url "$base" --api-token-file "$data/api-token" --tokens "$TOKENS" --concurrency "$CONC" \
      --duration "$DURATION" --period 1 --mode $run >"$data/lg.json" 2>"$data/lg.err"; } 2>"$data/lg.time"
    s1=$(proc_ticks "$pid")
    # CPU seconds of the run: softtoken-server's (not PostgreSQL's), and the load generator's.
    printf '%s\t%s\tsteal %s%%\tCPU server %s s, loadgen %s s\n' "$name" "$(cat "$data/lg.json")" \
      "$(steal_pct "$before" "$(cpu_times)")" "$(ticks_to_s $(( s1 - s0 )))" \
      "$(awk '{printf "%.1f", $1 + $2}' "$data/lg.time")" | tee -a "$OUT/server-load.tsv"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

: >"$OUT/server-load.tsv"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
run_one sqlite "sqlite:DATA/softtoken.db"
if [ -n "${SOFTTOKEN_TEST_POSTGRES_URL:-}" ]; then
  db="softtoken_bench_$RANDOM$RANDOM"
  psql -q "$SOFTTOKEN_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
  run_one postgres "${SOFTTOKEN_TEST_POSTGRES_URL%/*}/$db"
fi
echo "== results: $OUT/server-load.tsv"
