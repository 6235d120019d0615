#!/usr/bin/env bash
# Upload benchmark (issue 18): the files example (release build) taking one file
# from curl -F, through the in-memory multipart binding (POST /v1/files, the whole
# form read, then bound; route limit 32 MiB) and through the streamed form
# (POST /v1/files:stream, Streaming<FormChunk> written to files.dir as it comes).
# Each upload goes to a freshly started server, so its peak RSS (VmHWM from
# /proc/PID/status) is that upload's; the idle RSS is read just before it.
#
# Run from anywhere in the repository:
#
#   bash bench/upload.sh                     # 3 rounds, 30 MiB on both routes, 50 and 500 MiB streamed
#   bash bench/upload.sh --rounds 5 --no-build
#
# Flags (defaults in brackets):
#   --rounds N      uploads per route and size; the median is reported [3]
#   --server-cpu C  the core the server is pinned to [0]
#   --load-cpu C    the core curl is pinned to [1]
#   --no-build      use the example binary already built
#   --out DIR       where the files, config and logs go [a new temp dir, removed]
#
# Throughput is the file's size over curl's time_total (connect to last reply byte).
# The reply's size and sha256 are checked against the file; a wrong one fails the run.
# Nothing here runs in `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3 server_cpu=0 load_cpu=1 build=1 out=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --load-cpu) load_cpu=$2; shift 2 ;;
    --no-build) build=; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done

if [ -n "$build" ]; then
  (cd "$root" && cargo build --release -q -p kratos --example files)
fi
bin=$root/target/release/examples/files

keep=$out
work=${out:-$(mktemp -d)}
mkdir -p "$work/conf" "$work/files"
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -z "$keep" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

cat >"$work/conf/config.yaml" <<EOF
server:
  http:
    addr: 127.0.0.1:0
    timeout: 60s
    body_read_timeout: 10m
  grpc:
    addr: 127.0.0.1:0
files:
  dir: $work/files
EOF

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# upload ROUTE FILE: one upload on a fresh server; prints "seconds idle_kib hwm_kib".
upload() {
  local route=$1 file=$2 log=$work/server.log
  taskset -c "$server_cpu" "$bin" -conf "$work/conf" >"$log" 2>&1 &
  server=$!
  local addr=
  for _ in $(seq 1 200); do
    addr=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "the server did not start:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.3
  local idle
  idle=$(kib "$server" VmRSS)
  local reply
  reply=$(taskset -c "$load_cpu" curl -sS --max-time 600 -w '\n%{http_code} %{time_total}' \
    -F name=bench.bin -F "file=@$file" "$addr$route")
  local status seconds
  read -r status seconds <<<"$(tail -n1 <<<"$reply")"
  local hwm
  hwm=$(kib "$server" VmHWM)
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  rm -f "$work/files"/*
  local body sum size
  body=$(head -n1 <<<"$reply")
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  if [ "$status" != 200 ] || [[ "$body" != *"\"size\":\"$size\""* ]] || [[ "$body" != *"$sum"* ]]; then
    echo "upload to $route failed: $status $body" >&2
    exit 1
  fi
  echo "$seconds $idle $hwm"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '| route | file | MB/s (median) | idle RSS | peak RSS (median) | peak - idle |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
for run in "/v1/files 30" "/v1/files:stream 30" "/v1/files:stream 50" "/v1/files:stream 500"; do
  read -r route mib <<<"$run"
  file=$work/upload-$mib.bin
  [ -f "$file" ] || head -c $((mib << 20)) /dev/urandom >"$file"
  results=$work/results
  : >"$results"
  for _ in $(seq 1 "$rounds"); do
    upload "$route" "$file" >>"$results"
  done
  bytes=$((mib << 20))
  rate=$(awk -v b="$bytes" '{ print b / $1 / 1e6 }' "$results" | median)
  idle=$(awk '{ print $2 }' "$results" | median)
  hwm=$(awk '{ print $3 }' "$results" | median)
  growth=$(awk '{ print $3 - $2 }' "$results" | median)
  printf '| %s | %d MiB | %.0f | %.1f MiB | %.1f MiB | %.1f MiB |\n' "$route" "$mib" "$rate" \
    "$(awk -v k="$idle" 'BEGIN { print k / 1024 }')" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$growth" 'BEGIN { print k / 1024 }')"
done
