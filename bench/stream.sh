#!/usr/bin/env bash
# Streaming benchmark (issue 15): the server stream /stream.v1.Counter/Countdown
# served by kratos (bench/examples/stream_server, #[kratos::main] with its default
# middlewares) and by a hand-written tonic server of the same method
# (bench/src/bin/raw_tonic_stream), both yielding their ticks from an iterator as
# fast as the client reads them, loaded by the same tonic client
# (bench/examples/stream_load). A third server, raw tonic whose handler spawns a
# task that feeds a bounded channel of 16 (tonic's route_guide pattern), is the
# task and channel hop kratos's stream engine adds to every stream, by hand.
#
# Run from anywhere in the repository:
#
#   bash bench/stream.sh                       # 3 rounds, about 3.5 minutes after the build
#   bash bench/stream.sh --rounds 5 --duration 10
#
# Three loads, each on a freshly started server, in A B C A B C order per round:
#   long   --streams workers over --connections HTTP/2 connections, each calling
#          countdown(--from) again and again and reading every tick: messages/s
#          and the server's CPU time (utime + stime, /proc/PID/stat) per message.
#   short  the same with countdown(--short-from): the cost of opening a stream.
#   open   --open-streams streams of countdown(1000000) over --open-connections
#          connections (64 KiB receive window per stream), each read once then
#          never again: the server's RSS when all are open, when every writer
#          waits (the first second the server is idle), --hold seconds later,
#          its VmHWM, and its CPU meanwhile (0: the writers wait on bounded
#          buffers, nothing piles up); then the ticks each stream holds unread
#          (64 KiB is 7280 ticks).
#
# Flags (defaults in brackets):
#   --rounds N            measured runs of each server per load [3]
#   --duration S          seconds of each measured throughput window [5]
#   --warmup S            seconds of load before it, discarded [1]
#   --streams N           concurrent streams of the throughput loads [64]
#   --connections N       HTTP/2 connections they share [4]
#   --from M              ticks per stream, load long [100000]
#   --short-from M        ticks per stream, load short [10]
#   --open-streams N      streams held open, load open [1000]
#   --open-connections N  connections they share (kratos allows 200 streams
#                         per connection by default) [10]
#   --hold S              seconds the open streams are watched once every
#                         writer waits [5]
#   --server-cpu C        the core every server is pinned to [0]
#   --load-cpu C          the core the client is pinned to [1]
#   --no-build            use the binaries already built
#   --out DIR             where logs and per-run results go [a new temp dir]
#
# tokio sizes its runtime from the CPU affinity, so the server and the client
# each run a one-worker runtime. Every tick is checked (from, from-1, ..., 1,
# then status OK); a failed call fails the whole benchmark. Nothing here runs
# in `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3 duration=5 warmup=1 streams=64 connections=4 from=100000 short_from=10
open_streams=1000 open_connections=10 hold=5 server_cpu=0 load_cpu=1 build=1 out=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --short-from) short_from=$2; shift 2 ;;
    --open-streams) open_streams=$2; shift 2 ;;
    --open-connections) open_connections=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --load-cpu) load_cpu=$2; shift 2 ;;
    --no-build) build=; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "stream.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "stream.sh: FAILED: $*" >&2; exit 1; }
command -v taskset >/dev/null 2>&1 || die "taskset (util-linux) is needed to pin the processes"

target=${CARGO_TARGET_DIR:-$root/target}
if [ -n "$build" ]; then
  # One cargo invocation, so tokio, hyper and tonic are built once with the same
  # features for both servers and the client.
  (cd "$root" && cargo build --release --locked -p kratos-bench \
    --example stream_server --example stream_load --bin raw_tonic_stream)
fi
kratos_bin=$target/release/examples/stream_server
raw_bin=$target/release/raw_tonic_stream
load_bin=$target/release/examples/stream_load
for bin in "$kratos_bin" "$raw_bin" "$load_bin"; do
  [ -x "$bin" ] || die "$bin is missing: run without --no-build"
done

out=${out:-$(mktemp -d /tmp/kratos-stream-bench.XXXXXX)}
mkdir -p "$out"
tput=$out/throughput.tsv open=$out/open.tsv
printf 'round\tload\tserver\tmsgs_per_s\tstreams_per_s\tcpu_ns_per_msg\tserver_cpu_pct\tclient_cpu_pct\thwm_kib\tother_pct\tmsgs_per_write\n' >"$tput"
printf 'round\tserver\tbefore_kib\topen_kib\tfull_kib\tend_kib\thwm_kib\tkib_per_stream\thold_cpu_pct\tfilled_s\theld_min\theld_median\theld_max\topen_s\tclient_hwm_kib\trss_per_second\n' >"$open"
clk_tck=$(getconf CLK_TCK)

# Ports: kratos from bench/configs/stream.yaml (HTTP 18010, gRPC 19010); the raw servers take theirs.
kratos_http=127.0.0.1:18010 kratos_grpc=127.0.0.1:19010 raw_grpc=127.0.0.1:19011 chan_grpc=127.0.0.1:19012

# stop_server, listening: the server under test.
source "$root/bench/lib/servers.sh"

# start SERVER LOG: starts it pinned to the server core; sets server_pid and addr.
start() {
  local server=$1 log=$2 addrs
  case "$server" in
    kratos) addrs=("$kratos_http" "$kratos_grpc") addr=$kratos_grpc ;;
    raw) addrs=("$raw_grpc") addr=$raw_grpc ;;
    chan) addrs=("$chan_grpc") addr=$chan_grpc ;;
  esac
  local a
  for a in "${addrs[@]}"; do
    # Else the readiness check below would pass on someone else's server.
    ! listening "$a" || die "$a is already in use by another process"
  done
  case "$server" in
    kratos) taskset -c "$server_cpu" "$kratos_bin" -conf "$root/bench/configs/stream.yaml" >"$log" 2>&1 & ;;
    raw) taskset -c "$server_cpu" "$raw_bin" "$raw_grpc" >"$log" 2>&1 & ;;
    chan) taskset -c "$server_cpu" "$raw_bin" "$chan_grpc" channel >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  local tries=0
  for a in "${addrs[@]}"; do
    until listening "$a"; do
      kill -0 "$server_pid" 2>/dev/null || die "$server server exited at start: $(tail -5 "$log")"
      tries=$((tries + 1))
      [ $tries -lt 200 ] || die "$server server is not listening on $a after 10s: $(tail -5 "$log")"
      sleep 0.05
    done
  done
}

# load LOG ARGS...: runs the client pinned to the load core; prints its BENCH words.
load() {
  local log=$1; shift
  taskset -c "$load_cpu" "$load_bin" --addr "$addr" --server-pid "$server_pid" --clk-tck "$clk_tck" "$@" >"$log" 2>&1 \
    || die "stream_load failed: $(tail -5 "$log")"
  local line
  line=$(grep '^BENCH ' "$log") || die "stream_load printed no result: $(tail -5 "$log")"
  echo "${line#BENCH }"
}

# measure ROUND LOAD SERVER: one fresh server, one load.
measure() {
  local round=$1 kind=$2 server=$3 addr
  local log=$out/$kind-$server-$round
  start "$server" "$log.server.log"
  local words
  if [ "$kind" = open ]; then
    words=$(load "$log.load.log" --mode open --streams "$open_streams" --connections "$open_connections" \
      --from 1000000 --hold "$hold")
    local streams open_s filled_s before_kib open_kib full_kib end_kib hwm_kib kib_per_stream hold_cpu_pct client_hwm_kib
    local held_ticks_min held_ticks_median held_ticks_max rss_kib_per_second
    # The result is name=value words: declare each as a local of that value.
    # shellcheck disable=SC2086
    local $words
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$server" "$before_kib" "$open_kib" "$full_kib" "$end_kib" \
      "$hwm_kib" "$kib_per_stream" "$hold_cpu_pct" "$filled_s" "$held_ticks_min" "$held_ticks_median" "$held_ticks_max" \
      "$open_s" "$client_hwm_kib" "$rss_kib_per_second" >>"$open"
    printf '  round %s  open   %-6s %s streams open in %ss: RSS %s -> %s KiB; writers wait after %ss at %s KiB, %ss later %s KiB (server CPU %s%%); peak %s KiB (%s KiB/stream); ticks held per stream %s/%s/%s (min/median/max)\n' \
      "$round" "$server" "$streams" "$open_s" "$before_kib" "$open_kib" "$filled_s" "$full_kib" "$hold" "$end_kib" "$hold_cpu_pct" "$hwm_kib" "$kib_per_stream" \
      "$held_ticks_min" "$held_ticks_median" "$held_ticks_max"
  else
    local ticks=$from
    [ "$kind" = short ] && ticks=$short_from
    words=$(load "$log.load.log" --mode throughput --streams "$streams" --connections "$connections" \
      --from "$ticks" --warmup "$warmup" --duration "$duration" --server-cpu "$server_cpu")
    local messages streams seconds msgs_per_s streams_per_s server_cpu_s cpu_ns_per_msg server_cpu_pct client_cpu_pct other_on_server_core_pct server_hwm_kib msgs_per_write bytes_per_write
    # shellcheck disable=SC2086
    local $words
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$kind" "$server" "$msgs_per_s" "$streams_per_s" \
      "$cpu_ns_per_msg" "$server_cpu_pct" "$client_cpu_pct" "$server_hwm_kib" "$other_on_server_core_pct" "$msgs_per_write" >>"$tput"
    printf '  round %s  %-6s %-6s %9s msgs/s %8s streams/s  server CPU %3s%% (%s ns/msg)  client CPU %3s%%  peak RSS %s KiB  %s ticks/write  other on server core %s%%\n' \
      "$round" "$kind" "$server" "$msgs_per_s" "$streams_per_s" "$server_cpu_pct" "$cpu_ns_per_msg" "$client_cpu_pct" "$server_hwm_kib" "$msgs_per_write" "$other_on_server_core_pct"
  fi
  stop_server
}

echo "kratos-bench stream: $rounds rounds; long: $streams streams x countdown($from), short: countdown($short_from), over $connections connections, ${duration}s (+${warmup}s warm-up)"
echo "open: $open_streams streams over $open_connections connections held ${hold}s; servers on CPU $server_cpu, client on CPU $load_cpu; logs in $out"
for round in $(seq 1 "$rounds"); do
  for kind in long short open; do
    measure "$round" "$kind" kratos
    measure "$round" "$kind" raw
    measure "$round" "$kind" chan
  done
done

# The tables: medians over the rounds, each column on its own.
awk -F'\t' -v open_file="$open" -v streams="$streams" -v from="$from" -v short_from="$short_from" \
  -v open_streams="$open_streams" -v hold="$hold" '
  function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
  function median(list,   n, i, j, t, a) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR > 1 { for (c = 4; c <= 11; c++) tp[$2 SUBSEP $3 SUBSEP c] = tp[$2 SUBSEP $3 SUBSEP c] " " $c }
  END {
    while ((getline line < open_file) > 0) {
      split(line, f, "\t"); if (f[1] == "round") continue
      for (c = 3; c <= 15; c++) op[f[2] SUBSEP c] = op[f[2] SUBSEP c] " " f[c]
    }
    print "| load | server | messages/s | streams/s | server CPU per message | server CPU | client CPU | ticks per socket write | other load on the server core | peak RSS |"
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    split("long short", kinds, " ")
    for (i = 1; i <= 2; i++) {
      kd = kinds[i]
      label = sprintf("%d streams x countdown(%d)", streams, kd == "long" ? from : short_from)
      for (c = 4; c <= 11; c++) { k[c] = median(tp[kd SUBSEP "kratos" SUBSEP c]); r[c] = median(tp[kd SUBSEP "raw" SUBSEP c]); h[c] = median(tp[kd SUBSEP "chan" SUBSEP c]) }
      printf "| %s | kratos | %.0f | %.0f | %.0f ns | %.0f%% | %.0f%% | %.1f | %.0f%% | %.1f MiB |\n", label, k[4], k[5], k[6], k[7], k[8], k[11], k[10], k[9] / 1024
      printf "| %s | raw tonic | %.0f | %.0f | %.0f ns | %.0f%% | %.0f%% | %.1f | %.0f%% | %.1f MiB |\n", label, r[4], r[5], r[6], r[7], r[8], r[11], r[10], r[9] / 1024
      printf "| %s | raw tonic, task + channel(16) | %.0f | %.0f | %.0f ns | %.0f%% | %.0f%% | %.1f | %.0f%% | %.1f MiB |\n", label, h[4], h[5], h[6], h[7], h[8], h[11], h[10], h[9] / 1024
      printf "| %s | **kratos / raw tonic** | **%s** | %s | **%s** | | | | | %s |\n", label, ratio(k[4], r[4]), ratio(k[5], r[5]), ratio(k[6], r[6]), ratio(k[9], r[9])
      printf "| %s | kratos / raw task + channel | %s | %s | %s | | | | | %s |\n", label, ratio(k[4], h[4]), ratio(k[5], h[5]), ratio(k[6], h[6]), ratio(k[9], h[9])
    }
    print ""
    printf "| %d open streams, read once then never | server | RSS before | RSS all open | RSS when every writer waits | %ds later | peak RSS (VmHWM) | peak over idle, per stream | server CPU meanwhile | writers wait after | ticks sent unread per stream (min / median / max) |\n", open_streams, hold
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    split("kratos raw chan", servers, " ")
    for (i = 1; i <= 3; i++) {
      s = servers[i]
      for (c = 3; c <= 13; c++) v[c] = median(op[s SUBSEP c])
      printf "| | %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f KiB | %.1f%% | %.0f s | %d / %d / %d |\n",
        s == "raw" ? "raw tonic" : s == "chan" ? "raw tonic, task + channel(16)" : s,
        v[3] / 1024, v[4] / 1024, v[5] / 1024, v[6] / 1024, v[7] / 1024, v[8], v[9], v[10], v[11], v[12], v[13]
      hwm[s] = v[7]
    }
    printf "| | **kratos / raw tonic** | | | | | **%s** | | | | |\n", ratio(hwm["kratos"], hwm["raw"])
    printf "| | kratos / raw task + channel | | | | | %s | | | | |\n", ratio(hwm["kratos"], hwm["chan"])
  }' "$tput" | tee "$out/table.md"
echo
echo "per-run results: $tput, $open"
