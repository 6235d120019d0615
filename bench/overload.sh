#!/usr/bin/env bash
# Overload with and without the BBR rate limiter: the relay example (its calls wait
# on the helloworld example over gRPC, as a service waits on its dependencies) and
# helloworld, both pinned to one core, offered twice what they can serve by an
# open-loop client (bench/examples/overload.rs: requests at a fixed rate, each
# bounded by a 2 s timeout) on the other core. Capacity is measured first with wrk
# (closed loop, 50 connections, 10 s) against the relay without the limiter.
#
#   bash bench/overload.sh                 # ~2 minutes after the build
#   bash bench/overload.sh --factor 3 --duration 20
#
# Flags (defaults in brackets):
#   --factor F      offered load as a multiple of the measured capacity [2]
#   --duration S    seconds of each overload run [10]
#   --no-build      use the binaries already built
# Prints, for each of "no limiter" and "ratelimit: {cpu_quota: 1}", the client's BENCH line:
# goodput (200s per second), p50/p99 of the 200s, and the shares refused (429),
# failed otherwise, timed out and not sent (the client's in-flight bound).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
factor=2 duration=10 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --factor) factor=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --no-build) build=; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "overload.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
. "$root/bench/lib/servers.sh"
command -v wrk >/dev/null 2>&1 || { echo "overload.sh: wrk is missing (bench/run.sh installs it)" >&2; exit 1; }

target=${CARGO_TARGET_DIR:-$root/target}
if [ -n "$build" ]; then
  (cd "$root" && cargo build --release --locked -p kratos --example helloworld --example relay -p kratos-bench --example overload)
fi
out=$(mktemp -d /tmp/kratos-overload.XXXXXX)

# helloworld on 18000/19000 (bench config), the relay on 18001/19001 calling it.
cat >"$out/relay.yaml" <<CONF
server:
  http: {addr: 127.0.0.1:18001, timeout: 1s}
  grpc: {addr: 127.0.0.1:19001, timeout: 1s}
relay: {target: "grpc://127.0.0.1:19000"}
CONF
cp "$out/relay.yaml" "$out/relay-bbr.yaml"
# cpu_quota 1: the servers have one core (taskset), and BBR's CPU is the cgroup's,
# here the whole machine's, so without it two busy cores read as half load.
printf 'middleware:\n  ratelimit:\n    cpu_quota: 1\n' >>"$out/relay-bbr.yaml"

taskset -c 0 "$target/release/examples/helloworld" -conf "$root/bench/configs/helloworld.yaml" >"$out/helloworld.log" 2>&1 &
next_pid=$!
trap 'kill -TERM $next_pid 2>/dev/null || true; stop_server' EXIT
until listening 127.0.0.1:19000; do sleep 0.1; done

start_relay() {
  taskset -c 0 "$target/release/examples/relay" -conf "$1" >"$out/relay.log" 2>&1 &
  server_pid=$!
  until listening 127.0.0.1:18001; do sleep 0.1; done
}

start_relay "$out/relay.yaml"
capacity=$(taskset -c 1 wrk -t1 -c50 -d10s http://127.0.0.1:18001/helloworld/kratos | awk '/Requests\/sec/ {printf "%d", $2}')
stop_server
rate=$(awk -v c="$capacity" -v f="$factor" 'BEGIN { printf "%d", c * f }')
echo "capacity (wrk, closed loop, no limiter): $capacity req/s; offering $rate req/s for ${duration}s"

for conf in relay relay-bbr; do
  start_relay "$out/$conf.yaml"
  # A short warm-up at capacity, so BBR has statistics of the normal load.
  taskset -c 1 "$target/release/examples/overload" --url http://127.0.0.1:18001/helloworld/kratos --rate "$capacity" --duration 3 >/dev/null
  line=$(taskset -c 1 "$target/release/examples/overload" --url http://127.0.0.1:18001/helloworld/kratos --rate "$rate" --duration "$duration")
  echo "$conf: $line"
  stop_server
done
