# The tables of `bench/run.sh --peers`: one per transport, every server's median
# over the rounds with its ratio to the raw server (raw axum for HTTP, raw tonic
# for gRPC), so a peer reads against the same baseline as kratos. Run as
#   awk -F'\t' -f table.awk IDLE_TSV CARGO_LOCK RUNS_TSV
# IDLE_TSV: "label<TAB>KiB" per server, before any request; CARGO_LOCK: this
# workspace's, for the peers' versions; RUNS_TSV: run.sh's per-run results.

function median(key,   n, i, j, t, a) {
  n = split(vals[key], a, " ")
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# The raw server's own row goes without: it is the 1.00x every other row reads against.
function maximum(key,   n, i, a, m) {
  n = split(vals[key], a, " ")
  for (i = 1; i <= n; i++) if (i == 1 || a[i] + 0 > m) m = a[i] + 0
  return m
}
function ratio(v, base) { return base > 0 && s != "raw" ? sprintf(" (%.2fx)", v / base) : "" }
function label(tr, server) {
  if (server == "kratos") return "kratos helloworld"
  if (server == "raw") return tr == "http" ? "raw axum" : "raw tonic"
  if (server == "poem-openapi") return "poem-openapi " version["poem-openapi"] " `#[OpenApi]` (poem " version["poem"] ")"
  if (server == "poem") return "poem " version["poem"] " `#[handler]`"
  if (server == "actix") return "actix-web " version["actix-web"]
  if (server == "poem-grpc") return "poem-grpc " version["poem-grpc"] " (poem " version["poem"] ")"
  return server " " version[server]
}
function idle_of(tr, server) {
  if (server == "raw") return idle[tr == "http" ? "raw_axum" : "raw_tonic"]
  return idle[server]
}

FNR == 1 { file++ }
file == 1 { idle[$1] = $2; next }
file == 2 {
  if ($0 ~ /^name = "/) { crate = $0; gsub(/^name = "|"$/, "", crate) }
  else if ($0 ~ /^version = "/ && crate != "") { ver = $0; gsub(/^version = "|"$/, "", ver); version[crate] = ver; crate = "" }
  next
}
FNR > 1 {
  key = $2 SUBSEP $3
  if (!(key in seen)) { seen[key] = 1; servers[$2] = servers[$2] " " $3 }
  for (c = 4; c <= 10; c++) vals[key SUBSEP c] = vals[key SUBSEP c] " " $c
}
END {
  n = split("http grpc", transports, " ")
  for (t = 1; t <= n; t++) {
    tr = transports[t]
    print (tr == "http" ? "HTTP/1.1 (wrk), ratios to raw axum:" : "gRPC unary (h2load), ratios to raw tonic:")
    print ""
    print "| server | req/s (median) | p50 | p99 | server CPU per request | idle RSS | peak RSS | other% on its core (worst round) |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (c = 4; c <= 8; c++) base[c] = median(tr SUBSEP "raw" SUBSEP c)
    base_idle = idle_of(tr, "raw")
    m = split(servers[tr], list, " ")
    for (i = 1; i <= m; i++) {
      s = list[i]
      for (c = 4; c <= 8; c++) v[c] = median(tr SUBSEP s SUBSEP c)
      # The noise beside each median: what else ran on the server's core in its worst round.
      v[10] = maximum(tr SUBSEP s SUBSEP 10)
      printf "| %s | %.0f%s | %.0f us%s | %.0f us%s | %.2f us%s | %.1f MiB%s | %.1f MiB%s | %.0f%% |\n", label(tr, s),
        v[4], ratio(v[4], base[4]), v[5], ratio(v[5], base[5]), v[6], ratio(v[6], base[6]),
        v[8], ratio(v[8], base[8]), idle_of(tr, s) / 1024, ratio(idle_of(tr, s), base_idle),
        v[7] / 1024, ratio(v[7], base[7]), v[10]
    }
    print ""
  }
  print "kratos helloworld serves HTTP and gRPC in one process: its idle RSS is that process's, in both tables."
}
