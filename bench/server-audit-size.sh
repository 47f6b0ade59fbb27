#!/usr/bin/env bash
# The SQLite latency of POST /v1/validate against the size of the audit table: a fixed rate of valid codes
# (RATE, 64 clients, the load generator of bench/server-load.sh) on a fresh server whose audit table already
# holds N older validation rows, spread over the 8,000 load-test tokens as real traffic would be. The sizes
# alternate, round after round, so that the machine's drift (CPU steal, docs/benchmarks-history.md, session 7) spreads over
# all of them. Each row: p50, p99, max, the CPU steal during the run, and the bytes the server wrote to disk.
# VARIANTS below can add what-ifs: a name and SQL run on the grown table after the pre-fill (e.g. to drop an
# index); session 8 compared the audit indexes of that time that way.
#
#   ./x bench-audit                     # = bash bench/server-audit-size.sh (installs sqlite3 first)
#   ROWS="0 200000 500000" ROUNDS=2 bash bench/server-audit-size.sh
#   BINS="old/softtoken-server new/softtoken-server" bash bench/server-audit-size.sh   # two builds, alternating
#   LGS="old/loadgen new/loadgen" bash bench/server-audit-size.sh                      # two load generators
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"
TOKENS=8000
RATE=${RATE:-5000}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-0 500000}
# name:SQL pairs; "shipped" changes nothing. What-ifs run only on a grown table.
VARIANTS=("shipped:")

command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (apt-get install sqlite3, or ./x bench-audit)" >&2; exit 1; }
# shellcheck source=bench/server-common.sh
source bench/server-common.sh
BINS=${BINS:-$SRV}
LGS=${LGS:-$LG}

# Starts the server on DATA (SQLite); sets PID and BASE.
start() {
  start_server "$SRV" "$1" --data "$1" --database "sqlite:$1/softtoken.db" --period 1 --max-failures 1000000000
}

# N validation rows from a day ago, one every 100 µs, token by token in a scattered order; then SQL.
prefill() { # db rows sql
  local start=$(( ($(date +%s) - 86400) * 1000000 ))
  sqlite3 "$1" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TEMP TABLE t AS SELECT serial, contract_id, row_number() OVER (ORDER BY serial) - 1 AS k FROM tokens;
CREATE INDEX temp.t_k ON t (k);
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $2 - 1)
INSERT INTO audit (id, at, actor, action, serial, contract_id, result, detail)
SELECT printf('%016x%016x', $start + i * 100, abs(random())), ($start + i * 100) / 1000000, 'api', 'validate',
       t.serial, t.contract_id, 'ok', 'drift 0'
FROM c JOIN t ON t.k = (c.i * 7919) % (SELECT count(*) FROM t) WHERE $2 > 0;
$3
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

run_one() { # rows variant-name sql
  local data w0 w1
  data=$(mktemp -d)
  SOFTTOKEN_LOG=warn "$SRV" --data "$data" --database "sqlite:$data/softtoken.db" demo-data \
    --load-customers "$TOKENS" >/dev/null
  start "$data"
  import_tokens "$data" "$TOKENS"
  stop_server
  prefill "$data/softtoken.db" "$1" "$3"
  start "$data"
  w0=$(awk '/^write_bytes/ {print $2}' "/proc/$PID/io")
  measure "$data" --tokens "$TOKENS" --concurrency 64 --duration "$DURATION" --period 1 --mode valid --rate "$RATE"
  w1=$(awk '/^write_bytes/ {print $2}' "/proc/$PID/io")
  printf '%s\t%s\t%s\tsteal %s%%\twrote %s MB\tserver %s s\tloadgen %s s\n' "$1" "$2" "$RESULT" "$STEAL" \
    "$(( (w1 - w0) / 1000000 ))" "$CPU_SERVER" "$CPU_LG" | tee -a "$OUT/server-audit-size.tsv"
  stop_server
  rm -rf "$data"
}

: >"$OUT/server-audit-size.tsv"
for round in $(seq "$ROUNDS"); do
  for rows in $ROWS; do
    for SRV in $BINS; do
      for LG in $LGS; do
        for v in "${VARIANTS[@]}"; do
          [ "$rows" = 0 ] && [ "${v%%:*}" != shipped ] && continue
          # With several builds, each row names its binaries.
          name=${v%%:*}; [ "$BINS" = "$SRV" ] || name="$SRV $name"; [ "$LGS" = "$LG" ] || name="$LG $name"
          run_one "$rows" "$name" "${v#*:}"
        done
      done
    done
  done
  echo "round $round done" >&2
done

# A table per configuration: one line per run.
echo
echo "| audit rows before | server and indexes | p50 | p99 | max | steal | disk writes | CPU: server, load generator |"
echo "|---:|:---|---:|---:|---:|---:|---:|:---|"
awk -F'\t' '{
  p50 = $3; sub(/.*"p50_ms":/, "", p50); sub(/[,}].*/, "", p50)
  p99 = $3; sub(/.*"p99_ms":/, "", p99); sub(/[,}].*/, "", p99)
  mx = $3; sub(/.*"max_ms":/, "", mx); sub(/[,}].*/, "", mx)
  st = $4; sub(/steal /, "", st); wr = $5; sub(/wrote /, "", wr)
  sv = $6; sub(/server /, "", sv); lg = $7; sub(/loadgen /, "", lg)
  printf "| %s | %s | %.1f ms | %.1f ms | %.1f ms | %s | %s | %s, %s |\n", $1, $2, p50, p99, mx, st, wr, sv, lg
}' "$OUT/server-audit-size.tsv" | sort -t'|' -k2,2n -k3,3 -s
