# Sourced by bench/server-load.sh and bench/server-audit-size.sh (from the repository root): builds the release
# server and the load generator, and sets SRV and LG to them.
cargo build --release --locked -p softtoken-server --bin softtoken-server --example loadgen >&2
SRV=$PWD/target/release/softtoken-server
LG=$PWD/target/release/examples/loadgen

# The machine's CPU time so far (/proc/stat: user nice system idle iowait irq softirq steal), and the share of it
# that the hypervisor gave to other guests (steal) between two readings. On a shared VM the latency tail follows
# the steal more than anything else (BENCHMARKS.md, session 7), so each row reports it.
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
