#!/usr/bin/env bash
# Where the time goes: each server of bench/run.sh under valgrind's callgrind,
# counting the instructions its user space executes per request. Instruction
# counts do not depend on what else the machine runs, so this answers "how much
# more work does kratos do per call than raw axum / raw tonic" even on a busy
# machine, where run.sh's requests/s are noisy.
#
#   bash bench/profile.sh                  # 10000 requests per server, ~3 minutes
#   bash bench/profile.sh --requests 20000
#   bash bench/profile.sh --peers          # and every peer of run.sh --peers
#
# For each of kratos HTTP, raw axum, kratos gRPC, raw tonic: start the server
# (release build, pinned to one core as in run.sh) under callgrind with
# instrumentation off, send --warmup requests, switch instrumentation on, send
# --warmup more (so code paths are instrumented), zero the counters, send
# --requests with h2load (--h1 for HTTP/1.1; 10 connections), dump. Prints
# instructions per request and writes, per server, callgrind_annotate's
# inclusive and self listings to --out.
#
# Flags (defaults in brackets):
#   --requests N   measured requests per server [10000]
#   --warmup N     requests before counting [1000]
#   --cache-sim    also simulate caches and branch prediction (callgrind's
#                  --cache-sim=yes --branch-sim=yes): misses per request
#   --conf FILE    the kratos helloworld's config [bench/configs/helloworld.yaml];
#                  bench/configs/observed.yaml turns on metrics and traces
#   --peers        also profile the peer frameworks of bench/peers (poem-openapi,
#                  poem, actix-web, volo-http; volo-grpc, poem-grpc), each
#                  against raw axum / raw tonic
#   --no-build     use the binaries already built
#   --out DIR      where the callgrind files and listings go [a new temp dir]
# Needs valgrind and nghttp2-client (installed when missing).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
requests=10000 warmup=1000 build=1 out='' sim=() peers=''
conf="$root/bench/configs/helloworld.yaml"
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --cache-sim) sim=(--cache-sim=yes --branch-sim=yes); shift ;;
    --conf) conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --peers) peers=1; shift ;;
    --no-build) build=; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
die() { echo "profile.sh: FAILED: $*" >&2; exit 1; }

missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

target=${CARGO_TARGET_DIR:-$root/target}
if [ -n "$build" ]; then
  # kratos with every optional part (`full`), as every number in RESULTS.md before
  # issue 20 made metrics, opentelemetry and jwt opt-in: --conf may turn them on.
  (cd "$root" && cargo build --release --locked -p kratos --example helloworld -p kratos-bench --bins --features kratos/full)
fi
# The peers' workspace builds into its own target dir, as in run.sh.
peers_target=$root/bench/peers/target
if [ -n "$peers" ] && [ -n "$build" ]; then
  bash "$root/bench/peers/build.sh"
fi
out=${out:-$(mktemp -d /tmp/kratos-profile.XXXXXX)}
mkdir -p "$out"
# A reused --out would otherwise report the callgrind files of the run before.
rm -f "$out"/callgrind.*
request_bin=$out/hello_request.bin
printf '\x00\x00\x00\x00\x08\x0a\x06kratos' >"$request_bin"

# stop_server, listening: the server under test.
source "$root/bench/lib/servers.sh"

# load TRANSPORT ADDR N: N requests, all of which must succeed.
load() {
  local report
  if [ "$1" = http ]; then
    report=$(h2load --h1 -n "$3" -c 10 "http://$2/helloworld/kratos")
  else
    report=$(h2load -n "$3" -c 10 -H 'content-type: application/grpc' -H 'te: trailers' \
      -d "$request_bin" "http://$2/helloworld.v1.Greeter/SayHello")
  fi
  grep -q "^status codes: $3 2xx" <<<"$report" || die "not every request to $2 succeeded: $report"
}

# profile NAME TRANSPORT ADDR CMD...
profile() {
  local name=$1 transport=$2 addr=$3; shift 3
  local file=$out/callgrind.$name
  ! listening "$addr" || die "$addr is already in use by another process"
  taskset -c 0 valgrind --tool=callgrind --instr-atstart=no "${sim[@]}" --callgrind-out-file="$file.%p" \
    "$@" >"$out/$name.log" 2>&1 &
  server_pid=$!
  local tries=0
  until listening "$addr"; do
    tries=$((tries + 1))
    [ $tries -lt 300 ] || die "$name does not listen on $addr: $(tail -5 "$out/$name.log")"
    sleep 0.1
  done
  load "$transport" "$addr" "$warmup"
  callgrind_control -i on "$server_pid" >/dev/null
  load "$transport" "$addr" "$warmup"
  callgrind_control -z "$server_pid" >/dev/null
  load "$transport" "$addr" "$requests"
  callgrind_control -d "$server_pid" >/dev/null
  stop_server
  local dumps
  dumps=("$file".*.1)
  local dump=${dumps[0]}
  callgrind_annotate --inclusive=yes "$dump" >"$out/$name.inclusive.txt" 2>/dev/null
  callgrind_annotate "$dump" >"$out/$name.self.txt" 2>/dev/null
  # The totals line lists one count per event (Ir, then the simulated misses).
  local events totals
  events=$(awk '/^Events shown:/ { $1 = ""; $2 = ""; print; exit }' "$out/$name.self.txt")
  totals=$(awk '/PROGRAM TOTALS/ { gsub(",", ""); for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) printf "%s ", $i; exit }' "$out/$name.self.txt")
  awk -v name="$name" -v n="$requests" -v ev="$events" -v t="$totals" 'BEGIN {
    k = split(ev, e, " "); split(t, v, " ")
    printf "%s\t%d\n", name, v[1] / n >> "/dev/stderr"
    printf "%-12s", name; for (i = 1; i <= k; i++) printf "  %s %.1f", e[i], v[i] / n; print "  per request" }' 2>>"$out/per_request.tsv"
}

: >"$out/per_request.tsv"
profile kratos-http http 127.0.0.1:18000 "$target/release/examples/helloworld" -conf "$conf"
profile raw-axum http 127.0.0.1:18001 "$target/release/raw_axum" 127.0.0.1:18001
profile kratos-grpc grpc 127.0.0.1:19000 "$target/release/examples/helloworld" -conf "$conf"
profile raw-tonic grpc 127.0.0.1:19001 "$target/release/raw_tonic" 127.0.0.1:19001
awk -F'\t' '{ v[$1] = $2 } END {
  printf "kratos / raw instructions per request: HTTP %.2fx, gRPC %.2fx\n", v["kratos-http"] / v["raw-axum"], v["kratos-grpc"] / v["raw-tonic"] }' \
  "$out/per_request.tsv"
if [ -n "$peers" ]; then
  # The ports of run.sh --peers.
  port=18002
  for peer in poem-openapi poem actix volo-http; do
    profile "$peer" http "127.0.0.1:$port" "$peers_target/release/peer-$peer" "127.0.0.1:$port"
    port=$((port + 1))
  done
  port=19002
  for peer in volo-grpc poem-grpc; do
    profile "$peer" grpc "127.0.0.1:$port" "$peers_target/release/peer-$peer" "127.0.0.1:$port"
    port=$((port + 1))
  done
  awk -F'\t' '{ v[$1] = $2 } END {
    printf "peer / raw instructions per request:"
    n = split("poem-openapi poem actix volo-http", h, " ")
    for (i = 1; i <= n; i++) printf " %s %.2fx,", h[i], v[h[i]] / v["raw-axum"]
    n = split("volo-grpc poem-grpc", g, " ")
    for (i = 1; i <= n; i++) printf " %s %.2fx%s", g[i], v[g[i]] / v["raw-tonic"], i < n ? "," : "\n" }' "$out/per_request.tsv"
fi
echo "listings (callgrind_annotate, inclusive and self) in $out"
