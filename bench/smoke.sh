#!/bin/bash
# The benchmark's smoke run (meson test --suite bench-smoke): a synthetic corpus of a
# few hundred paragraphs, every engine built here indexed and queried once.  Passes when
# everything runs and zhfts finds exactly the oracle's paragraphs for every query
# (recall and precision 1 in every class).  Peers are run, not judged.  No timing is checked.
set -euo pipefail
BENCH=${1:?usage: smoke.sh ZHFTS-BENCH ZHFTS-BENCH-QUERIES}
QUERIES=${2:?usage: smoke.sh ZHFTS-BENCH ZHFTS-BENCH-QUERIES}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/corpus"
"$BENCH" gen-corpus "$work/corpus" --paragraphs 400
"$QUERIES" "$work/corpus" "$work/queries.tsv" --per-class 12 --seed 7

engines=$("$BENCH" engines)
command -v groonga >/dev/null || engines=$(echo "$engines" | grep -v '^groonga')
fail=0
for e in $engines; do
  "$BENCH" index "$e" "$work/corpus" "$work/$e.db" > "$work/$e.out"
  BENCH_VERBOSE=1 "$BENCH" search "$e" "$work/corpus" "$work/$e.db" "$work/queries.tsv" \
    --qps-seconds 0.1 >> "$work/$e.out"
  if [ "$e" = zhfts ]; then
    "$BENCH" index zhfts "$work/corpus" "$work/zhfts-j2.db" --jobs 2 >> "$work/$e.out"
    "$BENCH" search zhfts "$work/corpus" "$work/zhfts-j2.db" "$work/queries.tsv" --qps-seconds 0 \
      | sed 's/^RESULT\tzhfts\t/RESULT\tzhfts-j2\t/' >> "$work/$e.out"
    "$BENCH" tokenize "$work/corpus" --rounds 1 >> "$work/$e.out"
    # every class, top 10 and all hits, on one writer and on two shards
    bad=$(awk -F'\t' '$1=="RESULT" && ($2=="zhfts" || $2=="zhfts-j2") && $3 ~ /^(recall|precision|errors)/ \
        && (($3 ~ /^errors/ && $4 != 0) || ($3 !~ /^errors/ && $4 != 1))' "$work/$e.out")
    if [ -n "$bad" ]; then
      echo "FAIL: zhfts differs from the oracle:"; echo "$bad"; grep '^#' "$work/$e.out" || true
      fail=1
    fi
  fi
  n=$(grep -c '^RESULT' "$work/$e.out")
  echo "$e: $n figures"
done
if [ "$fail" = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
