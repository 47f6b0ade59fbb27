# Sourced by the server bench scripts (from the repository root): builds the release server and the load
# generator, sets SRV and LG to them (SRV_BIN: another server build instead, e.g. an older commit's for an A/B), and holds what the scripts share: starting a server, the load generator's
# token import, and one measured run with the machine's steal and both processes' CPU time.
cargo build --release --locked -p softtoken-server --bin softtoken-server --example loadgen >&2
SRV=${SRV_BIN:-$PWD/target/release/softtoken-server}
LG=$PWD/target/release/examples/loadgen

# The machine's CPU time so far (/proc/stat: user nice system idle iowait irq softirq steal), and the share of it
# that the hypervisor gave to other guests (steal) between two readings. On a shared VM the latency tail follows
# the steal more than anything else (docs/benchmarks-history.md, session 7), so each row reports it.
cpu_times() { awk '/^cpu / {print $2, $3, $4, $5, $6, $7, $8, $9; exit}' /proc/stat; }
steal_pct() { # before after
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x); split(b, y); t = 0
    for (i = 1; i <= 8; i++) t += y[i] - x[i]
    printf "%.0f", (t > 0 ? 100 * (y[8] - x[8]) / t : 0) }'
}

# The CPU time (user + system, in clock ticks) that process PID has used so far; ticks_to_s turns the difference of
# two readings into seconds. Each row reports the server's, beside the load generator's, which shares its cores.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_to_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'; }
TIMEFORMAT='%U %S'

# Starts server BIN with ARGS on a free loopback port, its output in DATA/out and DATA/err; sets PID and BASE (from
# the line it prints first). stop_server ends it.
start_server() { # bin data args...
  local bin=$1 data=$2 line=""
  shift 2
  SOFTTOKEN_LOG=warn "$bin" "$@" --listen 127.0.0.1:0 >"$data/out" 2>"$data/err" &
  PID=$!
  for _ in $(seq 100); do line=$(head -n 1 "$data/out" 2>/dev/null || true); [ -n "$line" ] && break; sleep 0.1; done
  BASE=$(grep -o 'http://[0-9.:]*' <<<"$line")
}
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

# The load generator imports and assigns its N tokens on first use: a one-second run against BASE does that, so
# that no measured run's CPU times include it.
import_tokens() { # data tokens
  "$LG" --url "$BASE" --api-token-file "$1/api-token" --tokens "$2" --concurrency 4 --duration 1 --period 1 \
    --mode time >/dev/null 2>&1
}

# One measured run of the load generator (LG ARGS) against the server PID at BASE, with DATA's API token. Sets
# RESULT (its JSON line), STEAL (%), and the CPU seconds of the run: CPU_SERVER (softtoken-server's, not
# PostgreSQL's) and CPU_LG (the load generator's, from bash's `time`).
measure() { # data args...
  local data=$1 before s0 s1
  shift
  before=$(cpu_times)
  s0=$(proc_ticks "$PID")
  { time "$LG" --url "$BASE" --api-token-file "$data/api-token" "$@" >"$data/lg.json" 2>"$data/lg.err"; } \
    2>"$data/lg.time"
  s1=$(proc_ticks "$PID")
  RESULT=$(cat "$data/lg.json")
  STEAL=$(steal_pct "$before" "$(cpu_times)")
  CPU_SERVER=$(ticks_to_s $(( s1 - s0 )))
  CPU_LG=$(awk '{printf "%.1f", $1 + $2}' "$data/lg.time")
}
