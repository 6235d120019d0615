#!/usr/bin/env bash
# Load benchmark: the kratos helloworld (examples/helloworld, release, the default
# middlewares of #[kratos::main]) against a hand-written axum server (HTTP) and a
# hand-written tonic server (gRPC) of the same Greeter.SayHello, driven by load
# generators this project did not write: wrk (HTTP/1.1, GET /helloworld/kratos)
# and h2load (gRPC unary /helloworld.v1.Greeter/SayHello over h2c).
#
# Run from anywhere in the repository (as root, or with sudo, when wrk or h2load
# still has to be installed):
#
#   bash bench/run.sh                                   # 3 rounds x 10s, 50 connections
#   bash bench/run.sh --rounds 5 --duration 20 --connections 100
#   bash bench/run.sh --peers                           # and the peer frameworks
#
# Flags (defaults in brackets):
#   --connections N   concurrent connections of wrk and h2load [50]
#   --streams N       h2load concurrent streams per connection [1]
#   --duration S      seconds of each measured run [10]
#   --warmup S        seconds of load before each measured run, discarded [2]
#   --rounds N        measured runs of each server per transport [3]
#   --server-cpu C    the core every server is pinned to [0]
#   --load-cpu C      the core the load generator is pinned to [1]
#   --conf FILE       the kratos helloworld's config [bench/configs/helloworld.yaml];
#                     bench/configs/observed.yaml turns on metrics and traces
#   --peers           also run the peer frameworks of bench/peers (a workspace of
#                     its own): poem-openapi, poem, actix-web and volo-http for
#                     HTTP, volo-grpc and poem-grpc for gRPC; one table per
#                     transport with every server's ratios to raw axum / tonic
#   --no-build        use the binaries already built
#   --out DIR         where logs and per-run results go [a new temp dir]
#
# Each round runs HTTP kratos, HTTP raw, gRPC kratos, gRPC raw (A B A B), each on
# a freshly started server, so a server's peak RSS (VmHWM) belongs to one load;
# with --peers every peer runs in the same rounds after them (A B C D ...).
# tokio sizes its runtime from the CPU affinity, so every server, pinned to one
# core, runs a one-worker multi-thread runtime. A run whose responses are not
# all 200 with the expected body (HTTP) or grpc-status 0 with the expected reply
# (gRPC) fails the whole benchmark, peers included. The defaults take about 2.5
# minutes after the build (about 7 with --peers). Nothing here runs in
# `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
connections=50 streams=1 duration=10 warmup=2 rounds=3 server_cpu=0 load_cpu=1 build=1 out='' peers=''
conf="$root/bench/configs/helloworld.yaml"
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --load-cpu) load_cpu=$2; shift 2 ;;
    --conf) conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --peers) peers=1; shift ;;
    --no-build) build=; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "run.sh: FAILED: $*" >&2; exit 1; }

install_missing() {
  local missing=()
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v nghttp >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing ${missing[*]} from the Debian packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_missing

target=${CARGO_TARGET_DIR:-$root/target}
if [ -n "$build" ]; then
  # kratos with every optional part (`full`), as every number in RESULTS.md before
  # issue 20 made metrics, opentelemetry and jwt opt-in: --conf may turn them on.
  # One cargo invocation, so the shared crates (tokio, hyper, axum, tonic) are
  # built once with the same features for all three servers.
  (cd "$root" && cargo build --release --locked -p kratos --example helloworld -p kratos-bench --bins --features kratos/full)
fi
kratos_bin=$target/release/examples/helloworld
axum_bin=$target/release/raw_axum
tonic_bin=$target/release/raw_tonic
# The peers: a workspace of its own with its own target dir (whatever
# CARGO_TARGET_DIR says), so the frameworks' crates never mix with ours.
peers_dir=$root/bench/peers
peers_target=$peers_dir/target
http_servers=(kratos raw) grpc_servers=(kratos raw)
if [ -n "$peers" ]; then
  http_servers+=(poem-openapi poem actix volo-http)
  grpc_servers+=(volo-grpc poem-grpc)
  if [ -n "$build" ]; then
    bash "$peers_dir/build.sh"
  fi
fi
peer_bin() { echo "$peers_target/release/peer-$1"; }
# The progress lines' server column, as wide as the longest name.
name_width=6
[ -z "$peers" ] || name_width=12
for bin in "$kratos_bin" "$axum_bin" "$tonic_bin"; do
  [ -x "$bin" ] || die "$bin is missing: run without --no-build"
done
if [ -n "$peers" ]; then
  for server in "${http_servers[@]:2}" "${grpc_servers[@]:2}"; do
    [ -x "$(peer_bin "$server")" ] || die "$(peer_bin "$server") is missing: run without --no-build"
  done
fi

out=${out:-$(mktemp -d /tmp/kratos-bench.XXXXXX)}
mkdir -p "$out"
results=$out/runs.tsv
printf 'round\ttransport\tserver\trps\tp50_us\tp99_us\thwm_kib\tcpu_us_per_req\tcpu_pct\tother_pct\tsteal_pct\n' >"$results"

# Ports: kratos from bench/configs/helloworld.yaml; the raw servers take theirs as argument.
kratos_http=127.0.0.1:18000 kratos_grpc=127.0.0.1:19000
raw_http=127.0.0.1:18001 raw_grpc=127.0.0.1:19001
# The peers take theirs as argument: peer_addr TRANSPORT SERVER, the port after
# the raw server's by the peer's place in its list (18002... HTTP, 19002... gRPC).
peer_addr() {
  local i
  if [ "$1" = http ]; then
    for i in "${!http_servers[@]}"; do
      if [ "${http_servers[$i]}" = "$2" ]; then echo "127.0.0.1:$((18000 + i))"; return; fi
    done
  else
    for i in "${!grpc_servers[@]}"; do
      if [ "${grpc_servers[$i]}" = "$2" ]; then echo "127.0.0.1:$((19000 + i))"; return; fi
    done
  fi
  die "no port for $1 server $2"
}
name=kratos
expected_json="{\"message\":\"Hello $name\"}"
# gRPC frames: flag 0, 4-byte big-endian length, then the protobuf message.
# HelloRequest{name} is field 1 (tag 0x0a), length 6; HelloReply{message} is
# field 1, length 12 ("Hello kratos").
request_bin=$out/hello_request.bin
printf '\x00\x00\x00\x00\x08\x0a\x06kratos' >"$request_bin"
expected_reply_hex=000000000e0a0c48656c6c6f206b7261746f73
reply_bytes=19
grpc_path=/helloworld.v1.Greeter/SayHello
wrk_script=$out/report.lua
# done() runs once per wrk run, so the per-request path stays C only.
cat >"$wrk_script" <<'EOF'
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
EOF

# stop_server, listening: the server under test.
source "$root/bench/lib/servers.sh"

# start_server LOG ADDR... CMD...: starts CMD pinned to the server core, waits
# until every ADDR listens.
start_server() {
  local log=$1; shift
  local addrs=()
  while [[ "$1" == *:* ]]; do addrs+=("$1"); shift; done
  local addr
  for addr in "${addrs[@]}"; do
    # Else the readiness check below would pass on someone else's server.
    ! listening "$addr" || die "$addr is already in use by another process"
  done
  taskset -c "$server_cpu" "$@" >"$log" 2>&1 &
  server_pid=$!
  local tries=0
  for addr in "${addrs[@]}"; do
    until listening "$addr"; do
      kill -0 "$server_pid" 2>/dev/null || die "$1 exited at start: $(tail -5 "$log")"
      tries=$((tries + 1))
      [ $tries -lt 200 ] || die "$1 is not listening on $addr after 10s: $(tail -5 "$log")"
      sleep 0.05
    done
  done
}

check_http() {
  local got
  got=$(curl -sS -w '\n%{http_code}' "http://$1/helloworld/$name") || die "curl http://$1 failed"
  [ "$got" = "$expected_json"$'\n200' ] || die "http://$1/helloworld/$name answered [$got], expected 200 $expected_json"
}

check_grpc() {
  local trace body
  trace=$(nghttp -nv -H 'content-type: application/grpc' -H 'te: trailers' -d "$request_bin" "http://$1$grpc_path" 2>&1) \
    || die "nghttp to $1 failed: $trace"
  grep -aq 'recv (stream_id=[0-9]*) grpc-status: 0$' <<<"$trace" \
    || die "$1$grpc_path did not answer grpc-status 0: $(grep -a 'grpc-' <<<"$trace")"
  body=$(nghttp -H 'content-type: application/grpc' -H 'te: trailers' -d "$request_bin" "http://$1$grpc_path" | od -An -tx1 | tr -d ' \n')
  [ "$body" = "$expected_reply_hex" ] || die "$1$grpc_path replied $body, expected $expected_reply_hex"
}

cpu_ticks() { awk '{ split($0, a, ") "); split(a[2], f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
# Busy and stolen ticks of one core, to tell how much else ran on the server's core.
core_ticks() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# run_wrk ADDR SECONDS LOG: prints "rps p50_us p99_us" and fails on any error.
run_wrk() {
  taskset -c "$load_cpu" wrk -t1 -c"$connections" -d"${2}s" --latency -s "$wrk_script" \
    "http://$1/helloworld/$name" >"$3" 2>&1 || die "wrk failed: $(tail -5 "$3")"
  local line
  line=$(grep '^BENCH ' "$3") || die "wrk printed no summary: $(tail -5 "$3")"
  line=${line#BENCH }
  local requests duration_us p50_us p99_us status_errors connect_errors read_errors write_errors timeouts
  # The summary is name=value words: declare each as a local of that value.
  # shellcheck disable=SC2086
  local $line
  local errors=$((status_errors + connect_errors + read_errors + write_errors + timeouts))
  [ "$errors" -eq 0 ] || die "wrk on $1: $errors of $requests requests failed ($line); see $3"
  [ "$requests" -gt 0 ] || die "wrk on $1 completed no request; see $3"
  awk -v n="$requests" -v d="$duration_us" -v a="$p50_us" -v b="$p99_us" 'BEGIN { printf "%.0f %d %d\n", n / (d / 1e6), a, b }'
}

# run_h2load ADDR SECONDS LOG: prints "rps p50_us p99_us" and fails on any error.
run_h2load() {
  local requests_log=$3.requests
  taskset -c "$load_cpu" h2load -t1 -c"$connections" -m"$streams" -D "$2" \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$request_bin" \
    --log-file="$requests_log" "http://$1$grpc_path" >"$3" 2>&1 || die "h2load failed: $(tail -5 "$3")"
  local rps succeeded failed errored timeout non2xx data
  rps=$(sed -n 's/^finished in [0-9.]*m\{0,1\}s, \([0-9.]*\) req\/s.*/\1/p' "$3")
  read -r succeeded failed errored timeout < <(sed -n \
    's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout$/\1 \2 \3 \4/p' "$3")
  non2xx=$(sed -n 's/^status codes: [0-9]* 2xx, \([0-9]*\) 3xx, \([0-9]*\) 4xx, \([0-9]*\) 5xx$/\1 \2 \3/p' "$3" | awk '{ print $1 + $2 + $3 }')
  data=$(sed -n 's/^traffic: .*, .* (\([0-9]*\)) data$/\1/p' "$3")
  if [ -z "$rps" ] || [ -z "$succeeded" ] || [ -z "$non2xx" ] || [ -z "$data" ]; then
    die "cannot read h2load's output; see $3"
  fi
  [ "$succeeded" -gt 0 ] || die "h2load on $1 completed no request; see $3"
  [ $((failed + errored + timeout + non2xx)) -eq 0 ] \
    || die "h2load on $1: $failed failed, $errored errored, $timeout timed out, $non2xx not 2xx; see $3"
  # A gRPC error is HTTP 200 with grpc-status in the trailers and no message,
  # which h2load counts as a success; every success must have brought its
  # 19-byte reply frame, so fewer data bytes than that means failed calls.
  [ "$data" -ge $((succeeded * reply_bytes)) ] \
    || die "h2load on $1: $succeeded calls answered 200 but only $data reply bytes arrived (expected $((succeeded * reply_bytes))): some calls failed with a grpc-status; see $3"
  local percentiles
  percentiles=$(cut -f3 "$requests_log" | sort -n | awk '
    { v[NR] = $1 }
    END { i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
          print v[i50], v[i99] }')
  rm -f "$requests_log"
  echo "$rps $percentiles"
}

# measure ROUND TRANSPORT SERVER: one fresh server, warm-up, one measured run.
measure() {
  local round=$1 transport=$2 server=$3 addr log load_log
  log=$out/$transport-$server-$round.server.log
  load_log=$out/$transport-$server-$round.load.log
  case "$server" in
    kratos)
      start_server "$log" "$kratos_http" "$kratos_grpc" "$kratos_bin" -conf "$conf"
      [ "$transport" = http ] && addr=$kratos_http || addr=$kratos_grpc ;;
    raw)
      if [ "$transport" = http ]; then
        addr=$raw_http; start_server "$log" "$addr" "$axum_bin" "$addr"
      else
        addr=$raw_grpc; start_server "$log" "$addr" "$tonic_bin" "$addr"
      fi ;;
    *)
      addr=$(peer_addr "$transport" "$server")
      start_server "$log" "$addr" "$(peer_bin "$server")" "$addr" ;;
  esac
  local run=run_wrk
  if [ "$transport" = http ]; then check_http "$addr"; else check_grpc "$addr"; run=run_h2load; fi
  $run "$addr" "$warmup" "$load_log.warmup" >/dev/null
  local ticks_before ticks_after core_before core_after result rps p50 p99 hwm
  ticks_before=$(cpu_ticks "$server_pid")
  core_before=$(core_ticks "$server_cpu")
  result=$($run "$addr" "$duration" "$load_log")
  read -r rps p50 p99 <<<"$result"
  ticks_after=$(cpu_ticks "$server_pid")
  core_after=$(core_ticks "$server_cpu")
  hwm=$(hwm_kib "$server_pid")
  stop_server
  local hz cpu_us_per_req cpu_pct
  hz=$(getconf CLK_TCK)
  cpu_us_per_req=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$hz" -v r="$rps" -v d="$duration" 'BEGIN { printf "%.2f", t / hz * 1e6 / (r * d) }')
  cpu_pct=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$hz" -v d="$duration" 'BEGIN { printf "%.0f", t / hz / d * 100 }')
  # What else the server's core did meanwhile (other processes, interrupts) and
  # what the hypervisor took from it: the noise of this run, in % of the run.
  local other_pct steal_pct
  read -r other_pct steal_pct < <(awk -v b="$core_before" -v a="$core_after" -v s=$((ticks_after - ticks_before)) -v hz="$hz" -v d="$duration" \
    'BEGIN { split(b, x, " "); split(a, y, " "); o = (y[1] - x[1] - s) / hz / d * 100; printf "%.0f %.0f\n", (o < 0 ? 0 : o), (y[2] - x[2]) / hz / d * 100 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$transport" "$server" "$rps" "$p50" "$p99" "$hwm" "$cpu_us_per_req" "$cpu_pct" "$other_pct" "$steal_pct" >>"$results"
  printf '  round %s  %-4s %-*s %9.0f req/s  p50 %6s us  p99 %6s us  peak RSS %6s KiB  server CPU %3s%% (%s us/req)  other %s%% steal %s%% on its core\n' \
    "$round" "$transport" "$name_width" "$server" "$rps" "$p50" "$p99" "$hwm" "$cpu_pct" "$cpu_us_per_req" "$other_pct" "$steal_pct"
}

# idle SERVER LOG ADDR... CMD...: RSS a second after the server listens, before any request.
idle() {
  local label=$1; shift
  start_server "$@"
  sleep 1
  printf '%s\t%s\n' "$label" "$(rss_kib "$server_pid")" >>"$out/idle.tsv"
  stop_server
}

echo "kratos-bench: $rounds rounds x ${duration}s (+${warmup}s warm-up), $connections connections, $streams stream(s) per h2load connection"
echo "servers pinned to CPU $server_cpu, load generators to CPU $load_cpu; logs in $out"
: >"$out/idle.tsv"
idle kratos "$out/idle-kratos.log" "$kratos_http" "$kratos_grpc" "$kratos_bin" -conf "$conf"
idle raw_axum "$out/idle-axum.log" "$raw_http" "$axum_bin" "$raw_http"
idle raw_tonic "$out/idle-tonic.log" "$raw_grpc" "$tonic_bin" "$raw_grpc"
if [ -n "$peers" ]; then
  for server in "${http_servers[@]:2}"; do
    addr=$(peer_addr http "$server")
    idle "$server" "$out/idle-$server.log" "$addr" "$(peer_bin "$server")" "$addr"
  done
  for server in "${grpc_servers[@]:2}"; do
    addr=$(peer_addr grpc "$server")
    idle "$server" "$out/idle-$server.log" "$addr" "$(peer_bin "$server")" "$addr"
  done
fi

for round in $(seq 1 "$rounds"); do
  for server in "${http_servers[@]}"; do measure "$round" http "$server"; done
  for server in "${grpc_servers[@]}"; do measure "$round" grpc "$server"; done
done

if [ -n "$peers" ]; then
  awk -F'\t' -f "$peers_dir/table.awk" "$out/idle.tsv" "$peers_dir/Cargo.lock" "$results" | tee "$out/table.md"
  echo
  echo "per-run results: $results"
  exit 0
fi

# The table: medians over the rounds, each column on its own.
awk -F'\t' -v idle_file="$out/idle.tsv" '
  function median(key,   n, i, j, t, a) {
    n = split(vals[key], a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR > 1 { for (c = 4; c <= 8; c++) vals[$2 SUBSEP $3 SUBSEP c] = vals[$2 SUBSEP $3 SUBSEP c] " " $c }
  END {
    while ((getline line < idle_file) > 0) { split(line, f, "\t"); idle[f[1]] = f[2] }
    print "| load | server | req/s (median) | p50 | p99 | peak RSS | server CPU per request |"
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    n = split("http grpc", transports, " ")
    for (t = 1; t <= n; t++) {
      tr = transports[t]
      label = tr == "http" ? "HTTP/1.1 (wrk)" : "gRPC unary (h2load)"
      rawname = tr == "http" ? "raw axum" : "raw tonic"
      for (c = 4; c <= 8; c++) { k[c] = median(tr SUBSEP "kratos" SUBSEP c); r[c] = median(tr SUBSEP "raw" SUBSEP c) }
      printf "| %s | kratos helloworld | %.0f | %.0f us | %.0f us | %.1f MiB | %.2f us |\n", label, k[4], k[5], k[6], k[7] / 1024, k[8]
      printf "| %s | %s | %.0f | %.0f us | %.0f us | %.1f MiB | %.2f us |\n", label, rawname, r[4], r[5], r[6], r[7] / 1024, r[8]
      printf "| %s | **kratos / raw** | **%.2fx** | %.2fx | **%.2fx** | %.2fx | %.2fx |\n", label, k[4] / r[4], k[5] / r[5], k[6] / r[6], k[7] / r[7], k[8] / r[8]
      verdict[tr] = sprintf("%s: throughput %.2fx (target >= 0.95x: %s), p99 %.2fx (target <= 1.10x: %s)", label,
        k[4] / r[4], k[4] / r[4] >= 0.95 ? "met" : "MISSED", k[6] / r[6], k[6] / r[6] <= 1.10 ? "met" : "MISSED")
    }
    print ""
    printf "Idle RSS: kratos helloworld %.1f MiB (HTTP + gRPC in one process; target < 15 MiB: %s), raw axum %.1f MiB, raw tonic %.1f MiB\n",
      idle["kratos"] / 1024, idle["kratos"] / 1024 < 15 ? "met" : "MISSED", idle["raw_axum"] / 1024, idle["raw_tonic"] / 1024
    print verdict["http"]
    print verdict["grpc"]
  }' "$results" | tee "$out/table.md"
echo
echo "per-run results: $results"
