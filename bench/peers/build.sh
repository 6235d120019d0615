#!/usr/bin/env bash
# Builds every peer server (release, --locked) into bench/peers/target, each in a
# cargo invocation of its own. One `cargo build` of the whole workspace would
# unify the peers' features: actix-codec turns on tracing's `log` feature, and
# poem, poem-grpc and volo-http would then pay for it too (about 10000
# instructions per gRPC call in h2's spans, seen in callgrind), which is not
# what their users build. Called by bench/run.sh and bench/profile.sh --peers.
set -euo pipefail

cd "$(dirname "$0")"
export CARGO_TARGET_DIR=$PWD/target
for manifest in peer-*/Cargo.toml; do
  cargo build --release --locked -p "$(dirname "$manifest")"
done
