# shellcheck shell=bash
# Shared by bench/run.sh, bench/stream.sh and bench/profile.sh (sourced, not run):
# the server under test and how to tell it listens.

# The server started last; stopped on exit, however the script ends.
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# listening HOST:PORT: whether something listens there, seen in /proc/net/tcp
# rather than by connecting, so an idle server has served nothing when its RSS
# is read.
listening() {
  local port_hex
  port_hex=$(printf '%04X' "${1##*:}")
  awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' /proc/net/tcp
}
