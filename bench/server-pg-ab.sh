#!/usr/bin/env bash
# Two or more server builds alternating on PostgreSQL, each run on a fresh database: the closed loop of valid
# codes (64 clients) and an offered rate (RATE, default 3,000/s), DURATION seconds each, ROUNDS rounds. On a
# shared VM the same binary varies by tens of percent from run to run, so only builds run side by side like
# this are compared (docs/benchmarks-history.md, session 8).
#
#   ./x postgres bash bench/server-pg-ab.sh old/softtoken-server new/softtoken-server
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/server-pg-ab.sh SERVER_BIN SERVER_BIN..." >&2; exit 2; }
[ -n "${SOFTTOKEN_TEST_POSTGRES_URL:-}" ] || { echo "run it under ./x postgres" >&2; exit 2; }
RATE=${RATE:-3000}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
# shellcheck source=bench/server-common.sh
source bench/server-common.sh
n=0
for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    n=$((n + 1))
    db="softtoken_ab_$$_$n"
    psql -q "$SOFTTOKEN_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
    data=$(mktemp -d)
    common=(--data "$data" --database "${SOFTTOKEN_TEST_POSTGRES_URL%/*}/$db" --period 1 --max-failures 1000000000)
    SOFTTOKEN_LOG=warn "$bin" "${common[@]}" demo-data --load-customers 8000 >/dev/null
    start_server "$bin" "$data" "${common[@]}"
    for mode in "valid" "valid --rate $RATE"; do
      # shellcheck disable=SC2086 # $mode is the mode and, for the open loop, --rate R
      measure "$data" --tokens 8000 --concurrency 64 --duration "$DURATION" --period 1 --mode $mode
      printf '%s\t%s\t%s\t%s\tsteal %s%%\n' "$round" "$bin" "$mode" "$RESULT" "$STEAL"
    done
    stop_server
    rm -rf "$data"
  done
done
