#!/bin/bash
# The full benchmark: zhfts and its peers on the Debian documentation corpus, several runs,
# one Markdown table of medians with zhfts's ratio to each peer.
#
#   bench/run.sh [--build DIR] [--corpus DIR] [--copies N] [--runs R] [--per-class N]
#                [--qps-seconds S] [--engines "zhfts xapian-ngram ..."] [--work DIR]
#
#   --build      meson build directory with bench/ built (default: build-bench)
#   --corpus     made by bench/corpus.sh; built there if missing (default: /var/tmp/zhfts-bench-corpus)
#   --copies N   index the corpus N times over (~N x 10 MB; documents get "NNN/" ids)
#   --runs R     repetitions; the table shows medians (default 3)
#   --per-class  queries per class (default 40)
#   --work       databases, queries and raw figures (default: /var/tmp/zhfts-bench-work)
# Needs for the peers: libsqlite3-dev (at build time), groonga-bin.  Prints the table on stdout
# and keeps it in WORK/table.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD=$REPO/build-bench
CORPUS=/var/tmp/zhfts-bench-corpus
WORK=/var/tmp/zhfts-bench-work
COPIES=1 RUNS=3 PER_CLASS=40 QPS_SECONDS=3 ENGINES=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --copies) COPIES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --per-class) PER_CLASS=$2; shift 2 ;;
    --qps-seconds) QPS_SECONDS=$2; shift 2 ;;
    --engines) ENGINES=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
done
BENCH=$BUILD/bench/zhfts-bench
QGEN=$BUILD/bench/zhfts-bench-queries
[ -x "$BENCH" ] && [ -x "$QGEN" ] || { echo "run.sh: build first: ninja -C $BUILD" >&2; exit 1; }
[ -d "$CORPUS/zh-cn" ] || "$HERE/corpus.sh" "$CORPUS"
mkdir -p "$WORK"
JOBS=$(nproc)
[ -n "$ENGINES" ] || ENGINES=$("$BENCH" engines | tr "\n" " ")
command -v groonga >/dev/null || ENGINES=$(echo $ENGINES | tr ' ' '\n' | grep -v '^groonga' || true)

queries=$WORK/queries-$PER_CLASS.tsv
if [ ! -s "$queries" ] || [ "$queries" -ot "$CORPUS/zh-cn" ]; then
  echo "run.sh: generating queries" >&2
  "$QGEN" "$CORPUS/zh-cn" "$queries" --per-class "$PER_CLASS"
fi

raw=$WORK/raw.tsv
: > "$raw"
for r in $(seq 1 "$RUNS"); do
  for e in $ENGINES; do
    echo "run.sh: run $r/$RUNS: $e" >&2
    db=$WORK/$e.db
    "$BENCH" index "$e" "$CORPUS/zh-cn" "$db" --copies "$COPIES" | tee -a "$raw" | grep '^#' >&2 || true
    "$BENCH" search "$e" "$CORPUS/zh-cn" "$db" "$queries" --copies "$COPIES" --qps-seconds "$QPS_SECONDS" >> "$raw"
    if [ "$e" = zhfts ] && [ "$JOBS" -gt 1 ]; then
      "$BENCH" index zhfts "$CORPUS/zh-cn" "$WORK/zhfts-j$JOBS.db" --copies "$COPIES" --jobs "$JOBS" \
        | tee -a "$raw" | grep '^#' >&2 || true
      # keeping the collection current: re-index 10%, delete 5%, then compact
      "$BENCH" update zhfts "$CORPUS/zh-cn" "$WORK/zhfts-j$JOBS.db" --copies "$COPIES" \
        | tee -a "$raw" | grep '^#' >&2 || true
    fi
    rm -rf "$db"
  done
  case " $ENGINES " in *" zhfts "*) "$BENCH" tokenize "$CORPUS/zh-cn" --rounds 1 >> "$raw" ;; esac
done
rm -rf "$WORK/zhfts-j$JOBS.db"

mb=$(du -sb "$CORPUS/zh-cn" | cut -f1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "none (uncommitted tree)")
{
  echo "Date: $(date -u +%Y-%m-%d), machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $JOBS cores," \
       "$(free -g | awk '/^Mem:/{print $2}') GiB; commit: $commit"
  echo "Corpus: $(awk -v b="$mb" -v c="$COPIES" 'BEGIN{printf "%.1f MB x %d copies", b/1e6, c}'), " \
       "$(grep -vc '^#' "$queries") queries; medians of $RUNS runs"
  echo
  python3 "$HERE/table.py" "$raw" "$JOBS"
} | tee "$WORK/table.md"
