#!/bin/sh
# `meson install` gives a library with a soname, the header and zhfts.pc, and
# a program builds against them through pkg-config alone.
# usage: check-install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"
	exit 1
}
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
pc=$(find "$tmp/root" -name zhfts.pc | head -1)
[ -n "$pc" ] || { echo "no zhfts.pc installed"; exit 1; }
lib=$(find "$tmp/root" -name 'libzhfts.so.*.*' | head -1)
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libzhfts.so.1" ] || { echo "unexpected soname '$soname'"; exit 1; }
cat >"$tmp/prog.c" <<'C'
#include <zhfts.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	zhfts_db *db;
	zhfts_results *r;
	const char *doc = "回顾 2025\n\n科学城北区建设加快。";
	if (zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, NULL) ||
	    zhfts_db_add_document(db, "d", doc, strlen(doc), NULL, NULL) ||
	    zhfts_db_search(db, "科学城", strlen("科学城"), NULL, &r))
		return 1;
	int ok = zhfts_results_count(r) == 1 && !strcmp(zhfts_results_hit(r, 0)->section, "回顾 2025");
	printf("%s\n", zhfts_results_hit(r, 0)->snippet);
	zhfts_results_free(r);
	zhfts_db_close(db);
	return ok ? 0 : 1;
}
C
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
export PKG_CONFIG_PATH="$(dirname "$pc")"
cflags=$(pkg-config --cflags zhfts)
libs=$(pkg-config --libs zhfts)
cc -std=c11 -Wall -Werror $cflags "$tmp/prog.c" -o "$tmp/prog" $libs
LD_LIBRARY_PATH="$(dirname "$lib")" "$tmp/prog"
