#!/bin/sh
# The library exports exactly the functions zhfts.h declares, and the map
# file lists exactly those: none can drift from the others.
# usage: check-symbols.sh zhfts.h libzhfts.map libzhfts.so
set -eu
header=$1 map=$2 lib=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -E '^ZHFTS_EXTERN' "$header" | grep -oE 'zhfts_[a-z_]+\(' | tr -d '(' | sort -u >"$tmp/header"
grep -oE '^[[:space:]]+zhfts_[a-z_]+;' "$map" | tr -d ' \t;' | sort -u >"$tmp/map"
nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u >"$tmp/lib"
status=0
if ! diff -u "$tmp/header" "$tmp/map"; then
	echo "zhfts.h and libzhfts.map differ"
	status=1
fi
if ! diff -u "$tmp/header" "$tmp/lib"; then
	echo "zhfts.h and the symbols $lib exports differ"
	status=1
fi
[ "$status" -eq 0 ] && echo "$(wc -l <"$tmp/header") symbols agree"
exit "$status"
