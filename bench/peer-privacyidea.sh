#!/usr/bin/env bash
# A peer for the validation benchmark: privacyIDEA (pip, gunicorn) and softtoken-server side by side, on the same
# machine and database engine (SQLite), each with N TOTP tokens, driven by the same client (wrk +
# bench/validate-wrong.lua): 64 connections, every request a wrong code for the next token, so both servers do
# the same work per request (find the token, decrypt its key, compute the codes of the window, count the failure,
# write an audit row). Alternates the two servers for ROUNDS rounds.
#   ./x bench-peer        (= bash bench/peer-privacyidea.sh; needs python3-venv, wrk and sqlite3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench/peer
N=${TOKENS:-500}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
WORKERS=${PI_WORKERS:-4}
PI_VERSION=3.14
mkdir -p "$OUT"

cargo build --release --locked -q -p softtoken-server --bin softtoken-server --example loadgen >&2
SRV=$ROOT/target/release/softtoken-server
LG=$ROOT/target/release/examples/loadgen

# privacyIDEA in its own virtualenv, with a fresh SQLite database, keys and admin.
VENV=$OUT/pi-venv
[ -x "$VENV/bin/gunicorn" ] || { python3 -m venv "$VENV" && (cd "$OUT" && "$VENV/bin/pip" install -q "privacyidea==$PI_VERSION" gunicorn); }
PI=$OUT/pi
rm -rf "$PI" && mkdir -p "$PI"
cat >"$PI/pi.cfg" <<CFG
SQLALCHEMY_DATABASE_URI = 'sqlite:///$PI/pi.sqlite'
SECRET_KEY = 'bench-only-$RANDOM$RANDOM'
PI_PEPPER = 'bench-only-$RANDOM$RANDOM'
PI_ENCFILE = '$PI/enckey'
PI_AUDIT_KEY_PRIVATE = '$PI/private.pem'
PI_AUDIT_KEY_PUBLIC = '$PI/public.pem'
PI_LOGFILE = '$PI/privacyidea.log'
PI_LOGLEVEL = 30
CFG
cat >"$PI/wsgi.py" <<PY
from privacyidea.app import create_app
application = create_app(config_name="production", config_file="$PI/pi.cfg", silent=True)
PY
export PRIVACYIDEA_CONFIGFILE=$PI/pi.cfg
(cd "$PI" && for c in "setup create_enckey" "setup create_audit_keys" "setup create_tables"; do "$VENV/bin/pi-manage" $c >/dev/null 2>&1; done
 "$VENV/bin/pi-manage" admin add admin -p bench-admin >/dev/null 2>&1)
start_pi() {
  (cd "$PI" && exec "$VENV/bin/gunicorn" -w "$WORKERS" -b 127.0.0.1:5087 wsgi:application >"$PI/gunicorn.log" 2>&1) &
  PI_PID=$!
  for _ in $(seq 100); do curl -sf -o /dev/null -X POST http://127.0.0.1:5087/validate/check -d serial=x -d pass=1 && break; curl -s -o /dev/null http://127.0.0.1:5087/ && break; sleep 0.2; done
}
start_pi
(cd "$PI" && "$VENV/bin/python" - "$N" <<'PY'
import json, sys, urllib.parse, urllib.request
B = "http://127.0.0.1:5087"
def call(path, data, tok=None):
    req = urllib.request.Request(B + path, data=urllib.parse.urlencode(data).encode(), method="POST")
    if tok:
        req.add_header("Authorization", tok)
    return json.load(urllib.request.urlopen(req))
tok = call("/auth", {"username": "admin", "password": "bench-admin"})["result"]["value"]["token"]
call("/system/setDefault", {"DefaultMaxFailCount": "1000000000"}, tok)
with open("serials.txt", "w") as f:
    for i in range(int(sys.argv[1])):
        s = f"PIBENCH{i:05d}"
        r = call("/token/init", {"type": "totp", "serial": s, "otpkey": "%040x" % (i + 1), "genkey": "0",
                                 "timeStep": "30", "otplen": "6", "hashlib": "sha1"}, tok)
        assert r["result"]["status"], r
        f.write(s + "\n")
PY
)
kill "$PI_PID"; wait "$PI_PID" 2>/dev/null || true

# softtoken-server with N tokens (imported and assigned by the load generator), SQLite.
ST=$OUT/st
rm -rf "$ST" && mkdir -p "$ST"
common=(--data "$ST" --database "sqlite:$ST/softtoken.db" --max-failures 1000000000)
SOFTTOKEN_LOG=warn "$SRV" "${common[@]}" demo-data --load-customers "$N" >/dev/null
start_st() {
  SOFTTOKEN_LOG=warn "$SRV" "${common[@]}" --listen 127.0.0.1:5088 >"$ST/out" 2>"$ST/err" &
  ST_PID=$!
  for _ in $(seq 100); do [ -s "$ST/out" ] && break; sleep 0.1; done
}
start_st
"$LG" --url http://127.0.0.1:5088 --api-token-file "$ST/api-token" --tokens "$N" --concurrency 4 --duration 1 --mode wrong >/dev/null 2>&1
kill "$ST_PID"; wait "$ST_PID" 2>/dev/null || true
sqlite3 "$ST/softtoken.db" "SELECT serial FROM tokens WHERE state = 'active' ORDER BY serial" >"$ST/serials.txt"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $N tokens each, 64 connections, ${DURATION} s per run, wrong codes"
for round in $(seq "$ROUNDS"); do
  start_st
  printf 'round %s  softtoken-server (SQLite)             ' "$round"
  SERIALS=$ST/serials.txt FORMAT=json AUTH="Bearer $(cat "$ST/api-token")" \
    wrk -t2 -c64 -d"${DURATION}s" -s bench/validate-wrong.lua http://127.0.0.1:5088/v1/validate | grep '^RESULT' | cut -d' ' -f2-
  kill "$ST_PID"; wait "$ST_PID" 2>/dev/null || true
  start_pi
  printf 'round %s  privacyIDEA %s (gunicorn -w %s, SQLite) ' "$round" "$PI_VERSION" "$WORKERS"
  SERIALS=$PI/serials.txt FORMAT=form \
    wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s bench/validate-wrong.lua http://127.0.0.1:5087/validate/check | grep '^RESULT' | cut -d' ' -f2-
  kill "$PI_PID"; wait "$PI_PID" 2>/dev/null || true
done
