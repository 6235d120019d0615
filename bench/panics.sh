#!/usr/bin/env bash
# What a panicking call costs against a normal one, on the release helloworld
# (examples/helloworld, #[kratos::main], whose handler panics for the name "panic"):
# log written and memory held per panic, and requests/s under wrk.
#
#   bash bench/panics.sh                          # builds target/release/examples/helloworld
#   bash bench/panics.sh --binary PATH --no-build # any helloworld binary, e.g. an older commit's
#
# Flags (defaults in brackets):
#   --binary PATH   the helloworld binary [target/release/examples/helloworld]
#   --no-build      do not build it first
#   --panics N      sequential panicking requests for the memory figure [10000]
#   --duration S    seconds of each wrk run [10]
#   --connections N wrk connections [10]
#   --out DIR       where the server's stdout/stderr go [a new temp dir]
#   --backtrace V   run the server with RUST_BACKTRACE=V (the opt-in backtrace) [unset]
#
# The server runs with RUST_BACKTRACE and RUST_LIB_BACKTRACE unset (a production
# default) unless --backtrace, pinned to CPU 0, its stdout and stderr to files;
# wrk and the request loop run on CPU 1. Steps, on one server: idle VmRSS; one
# panic (log bytes and lines it wrote, VmRSS); N panics one after another on one
# keep-alive connection (VmRSS, log bytes per panic); then wrk on GET
# /helloworld/x (normal) and on GET /helloworld/panic, alternated twice. Nothing here runs in `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=$root/target/release/examples/helloworld build=1 panics=10000 duration=10 connections=10 out= backtrace=
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --no-build) build=; shift ;;
    --panics) panics=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --backtrace) backtrace=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "panics.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "panics.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -n "$build" ] && (cd "$root" && cargo build --release --example helloworld)
out=${out:-$(mktemp -d)}
mkdir -p "$out/conf"

# Free loopback ports, found by binding port 0.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(port) grpc_port=$(port)
printf 'server:\n  http:\n    addr: 127.0.0.1:%s\n    timeout: 1s\n  grpc:\n    addr: 127.0.0.1:%s\n    timeout: 1s\n' \
  "$http_port" "$grpc_port" >"$out/conf/config.yaml"

env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE ${backtrace:+RUST_BACKTRACE=$backtrace} \
  taskset -c 0 "$binary" -conf "$out/conf" \
  >"$out/stdout.log" 2>"$out/stderr.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "app started" "$out/stdout.log" 2>/dev/null && break; sleep 0.1; done
grep -q "app started" "$out/stdout.log" || { echo "panics.sh: the server did not start" >&2; exit 1; }

url=http://127.0.0.1:$http_port
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
logged() { cat "$out/stdout.log" "$out/stderr.log" | wc -c; }
lines() { cat "$out/stdout.log" "$out/stderr.log" | wc -l; }
# n sequential GETs of `path` on one keep-alive connection; fails unless every answer has `status`.
get() {
  taskset -c 1 python3 - "$http_port" "$1" "$2" "$3" <<'EOF'
import http.client, sys
port, path, n, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse(); r.read()
    assert r.status == want, (r.status, path)
EOF
}

get /helloworld/warm 10 200
idle=$(rss) bytes0=$(logged) lines0=$(lines)
get /helloworld/panic 1 500
sleep 0.2
one_rss=$(rss) bytes1=$(logged) lines1=$(lines)
get /helloworld/panic "$panics" 500
sleep 0.2
many_rss=$(rss) bytes2=$(logged)

echo "binary: $binary"
echo "idle VmRSS: $idle kB"
echo "first panic: $((bytes1 - bytes0)) bytes, $((lines1 - lines0)) lines of log; VmRSS after: $one_rss kB"
echo "after $panics more panics: VmRSS $many_rss kB; log $(((bytes2 - bytes1) / panics)) bytes per panic"

bench() {
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency "$url$1" |
    awk -v path="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {non2xx=$NF}
      END {printf "wrk %-18s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n", path, rps, p50, p99, non2xx+0}'
}
for _ in 1 2; do
  bench /helloworld/x
  bench /helloworld/panic
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); logs in $out"
