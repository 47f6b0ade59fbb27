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

run_one() { # name database-url
  local name=$1 url=$2 data
  data=$(mktemp -d)
  # --period 1: a token can be accepted once per second, so 8000 tokens carry up to 8000 valid codes a second.
  local common=(--data "$data" --database "${url/DATA/$data}" --period 1 --max-failures 1000000000)
  # One contract per token: a contract has one token in use.
  SOFTTOKEN_LOG=warn "$SRV" "${common[@]}" demo-data --load-customers "$TOKENS" >/dev/null
  start_server "$SRV" "$data" "${common[@]}"
  import_tokens "$data" "$TOKENS"
  local runs=(valid wrong)
  for r in $RATES; do runs+=("valid --rate $r"); done
  # The control: the same rates against GET /v1/time, which touches no database (the HTTP and machine floor).
  [ "$name" = sqlite ] && for r in $RATES; do runs+=("time --rate $r"); done
  for run in "${runs[@]}"; do
    # shellcheck disable=SC2086 # $run is the mode and, for the open loop, --rate R
    measure "$data" --tokens "$TOKENS" --concurrency "$CONC" --duration "$DURATION" --period 1 --mode $run
    printf '%s\t%s\tsteal %s%%\tCPU server %s s, loadgen %s s\n' "$name" "$RESULT" "$STEAL" "$CPU_SERVER" "$CPU_LG" |
      tee -a "$OUT/server-load.tsv"
  done
  stop_server
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
