#!/usr/bin/env bash
# Compile-cost benchmark: the kratos helloworld example against the raw pair
# (bench/src/bin/raw_axum.rs + raw_tonic.rs, which serve the same Greeter over
# HTTP and gRPC without kratos). The helloworld is built as a user's crate builds
# it: package `kratos-hello` (bench/hello), whose binary is
# examples/helloworld/main.rs and which depends on kratos, so none of the kratos
# package's dev-dependencies are built; once with kratos's default features, once
# with none (`--no-default-features`: JSON and protobuf only).
#
#   bash bench/compile.sh               # 10-15 minutes on 2 cores
#   bash bench/compile.sh --runs 10
#
# 1. Clean `cargo build --release`: each side in its own empty target directory,
#    timed once by hyperfine (dependencies already downloaded: `cargo fetch` runs
#    first, so the network is not timed); wall time and CPU time (user + system,
#    which load from other processes moves less).
# 2. Incremental rebuild after a handler edit: a no-op line is appended to the
#    handler's file (examples/helloworld/main.rs; for the raw pair both
#    raw_axum.rs and raw_tonic.rs, since the same change has to be made to both
#    servers), then the same build runs again; hyperfine times --runs of these, in
#    the release profile (as the clean build) and in the dev profile (incremental
#    compilation on: the edit-compile loop of a developer). The edited files are
#    restored on exit, even on Ctrl-C.
#
# Flags (defaults in brackets):
#   --runs N     timed incremental rebuilds per case [5]
#   --dir DIR    where the two target directories go; emptied first
#                [${CARGO_TARGET_DIR:-target}/compile-bench]
#   --out DIR    where hyperfine's CSV files and the table go [a new temp dir]
# Needs hyperfine (Debian package; installed when missing). Nothing here runs in
# `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=5 dir= out=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compile.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
dir=${dir:-${CARGO_TARGET_DIR:-$root/target}/compile-bench}
out=${out:-$(mktemp -d /tmp/kratos-compile.XXXXXX)}
mkdir -p "$out"

if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null
fi

cd "$root"
cargo fetch --locked

kratos_dir=$dir/kratos lean_dir=$dir/lean raw_dir=$dir/raw
kratos_build="cargo build --locked -p kratos-hello"
lean_build="cargo build --locked -p kratos-hello --no-default-features"
raw_build="cargo build --locked -p kratos-bench --bin raw_axum --bin raw_tonic"
kratos_files=(examples/helloworld/main.rs)
raw_files=(bench/src/bin/raw_axum.rs bench/src/bin/raw_tonic.rs)

backup=$(mktemp -d)
for file in "${kratos_files[@]}" "${raw_files[@]}"; do
  mkdir -p "$backup/$(dirname "$file")"
  cp -p "$file" "$backup/$file"
done
restore() {
  for file in "${kratos_files[@]}" "${raw_files[@]}"; do
    cp -p "$backup/$file" "$file"
  done
  rm -rf "$backup"
}
trap restore EXIT

# hyperfine's CSV: command,mean,stddev,median,user,system,min,max
median_of() { awk -F, 'NR == 2 { print $4 }' "$1"; }
cpu_of() { awk -F, 'NR == 2 { print $5 + $6 }' "$1"; }
stddev_of() { awk -F, 'NR == 2 { print $3 }' "$1"; }

clean() {
  local name=$1 target=$2 build=$3
  hyperfine --runs 1 --prepare "rm -rf $target" --export-csv "$out/clean-$name.csv" \
    "CARGO_TARGET_DIR=$target $build --release"
  # Compilation units the clean build ran (crates and build scripts).
  find "$target/release/.fingerprint" -mindepth 1 -maxdepth 1 -type d | wc -l >"$out/units-$name"
}

# incremental NAME TARGET BUILD PROFILE-FLAG FILE...: appends a no-op line to each
# FILE before every run; the warm-up run brings the target directory up to date.
incremental() {
  local name=$1 target=$2 build=$3 flag=$4; shift 4
  local edit=""
  for file in "$@"; do edit+="echo '// no-op edit by bench/compile.sh' >> $root/$file; "; done
  hyperfine --warmup 1 --runs "$runs" --prepare "$edit" --export-csv "$out/incr-$name.csv" \
    "CARGO_TARGET_DIR=$target $build $flag"
}

rm -rf "$dir"
clean kratos "$kratos_dir" "$kratos_build"
clean lean "$lean_dir" "$lean_build"
rm -rf "$lean_dir"
clean raw "$raw_dir" "$raw_build"
for profile in release dev; do
  flag=
  [ "$profile" = release ] && flag=--release
  incremental "kratos-$profile" "$kratos_dir" "$kratos_build" "$flag" "${kratos_files[@]}"
  incremental "raw-$profile" "$raw_dir" "$raw_build" "$flag" "${raw_files[@]}"
  incremental "axum-$profile" "$raw_dir" "$raw_build" "$flag" "${raw_files[0]}"
  incremental "tonic-$profile" "$raw_dir" "$raw_build" "$flag" "${raw_files[1]}"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
secs() { awk -v a="$1" -v s="${2:-}" 'BEGIN { if (s == "") printf "%.1f s", a; else printf "%.2f s ± %.2f", a, s }'; }
{
  echo "| build | kratos helloworld | raw axum + raw tonic | kratos / raw pair | kratos / slower raw server alone |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  r=$(median_of "$out/clean-raw.csv") rc=$(cpu_of "$out/clean-raw.csv")
  for side in kratos lean; do
    k=$(median_of "$out/clean-$side.csv") kc=$(cpu_of "$out/clean-$side.csv")
    what="clean \`cargo build --release\`"
    [ "$side" = lean ] && what="$what, kratos \`--no-default-features\`"
    echo "| $what | $(secs "$k") ($(cat "$out/units-$side") units) | $(secs "$r") ($(cat "$out/units-raw") units) | $(ratio "$k" "$r") | |"
    echo "| ... its CPU time (user + system) | $(secs "$kc") | $(secs "$rc") | $(ratio "$kc" "$rc") | |"
  done
  for profile in release dev; do
    k=$(median_of "$out/incr-kratos-$profile.csv") r=$(median_of "$out/incr-raw-$profile.csv")
    a=$(median_of "$out/incr-axum-$profile.csv") t=$(median_of "$out/incr-tonic-$profile.csv")
    echo "| handler edit, rebuild ($profile, median of $runs) | $(secs "$k" "$(stddev_of "$out/incr-kratos-$profile.csv")") | $(secs "$r" "$(stddev_of "$out/incr-raw-$profile.csv")") (axum alone $(secs "$a"), tonic alone $(secs "$t")) | **$(ratio "$k" "$r")** | $(ratio "$k" "$(awk -v a="$a" -v t="$t" 'BEGIN { print (a > t ? a : t) }')") |"
  done
} | tee "$out/table.md"
echo
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "target: incremental rebuild <= 1.2x of the raw pair's; hyperfine CSVs in $out"
