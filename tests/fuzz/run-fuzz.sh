#!/bin/sh
# Runs one libFuzzer target for a while, starting from the committed seeds.
#   run-fuzz.sh TARGET SEED_DIR [SECONDS]     (SECONDS, else $FUZZ_SECONDS, else 30)
# New corpus entries go to a scratch directory, never into the seeds; a crash
# input is written to $FUZZ_ARTIFACTS (default: the current directory).
set -eu
target=$1
seeds=$2
secs=${3:-${FUZZ_SECONDS:-30}}
artifacts=${FUZZ_ARTIFACTS:-$PWD}
corpus=$(mktemp -d "${TMPDIR:-/tmp}/zhfts-fuzz-corpus.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
mkdir -p "$artifacts"
"$target" -max_total_time="$secs" -max_len=4096 -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$artifacts/$(basename "$target")-" "$corpus" "$seeds"
