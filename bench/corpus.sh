#!/bin/bash
# Builds the benchmark corpus from Debian's Simplified Chinese documentation packages.
#
#   bench/corpus.sh DIR [--copies N]
#
# DIR/zh-cn/       one .txt per source document: UTF-8, one paragraph per line, blank line between
# DIR/manifest.tsv package, version and sha256 of every .deb the text came from
# --copies N       also DIR/copies-N/001 .. N: hard-linked copies of zh-cn/ side by side (~N x 10 MB)
#
# Packages are fetched with `apt-get download` (run `apt-get update` once) into $DEB_CACHE
# (default /var/cache/zhfts-bench) and unpacked with `dpkg-deb -x`; nothing is installed.
# Needs: apt-get, dpkg-deb, man-db, groff-base, bsdextrautils (col), python3.
# The same .debs give byte-identical text.
set -euo pipefail

usage() { echo "usage: $0 DIR [--copies N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
COPIES=0
while [ $# -gt 0 ]; do
  case $1 in
    --copies) [ $# -ge 2 ] || usage; COPIES=$2; shift 2 ;;
    *) usage ;;
  esac
done
case $COPIES in ''|*[!0-9]*) echo "$0: --copies wants a number, got '$COPIES'" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
CACHE=${DEB_CACHE:-/var/cache/zhfts-bench}
PACKAGES="manpages-zh gimp-help-zh-cn debian-reference-zh-cn debian-edu-doc-zh-cn
libreoffice-help-zh-cn fortunes-zh debian-faq-zh-cn maint-guide-zh-cn debian-handbook
installation-guide-amd64 gnome-user-docs linux-doc-6.1"

mkdir -p "$CACHE/unpacked"
cd "$CACHE"
missing=""
for p in $PACKAGES; do
  compgen -G "${p}_*.deb" >/dev/null || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "corpus.sh: downloading$missing"
  # apt warns that it cannot drop privileges into a root-owned folder; harmless
  apt-get download $missing 2>&1 | grep -v 'unsandboxed' || true
fi

printf 'package\tversion\tsha256\n' > "$OUT/manifest.tsv.new"
for p in $PACKAGES; do
  deb=$(compgen -G "${p}_*.deb" | sort -V | tail -n 1 || true)
  [ -n "$deb" ] || { echo "corpus.sh: no .deb for $p in $CACHE" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$p" "$(dpkg-deb -f "$deb" Version)" "$(sha256sum < "$deb" | cut -d' ' -f1)" \
    >> "$OUT/manifest.tsv.new"
  # unpack once per .deb version
  if [ "$(cat "unpacked/$p.deb" 2>/dev/null)" != "$deb" ]; then
    rm -rf "unpacked/$p"
    dpkg-deb -x "$deb" "unpacked/$p"
    echo "$deb" > "unpacked/$p.deb"
  fi
done

work="$OUT/.zh-cn.new"
rm -rf "$work"
python3 "$HERE/extract.py" "$CACHE/unpacked" "$work" --jobs "$(nproc)"
rm -rf "$OUT/zh-cn"
mv "$work" "$OUT/zh-cn"
mv "$OUT/manifest.tsv.new" "$OUT/manifest.tsv"

if [ "$COPIES" -gt 0 ]; then
  dest="$OUT/copies-$COPIES"
  rm -rf "$dest"
  for i in $(seq -f '%03g' 1 "$COPIES"); do
    mkdir -p "$dest/$i"
    cp -al "$OUT/zh-cn/." "$dest/$i/"
  done
  echo "corpus.sh: $COPIES copies in $dest"
fi
echo "corpus.sh: $(find "$OUT/zh-cn" -type f | wc -l) files, $(du -sb "$OUT/zh-cn" | cut -f1) bytes in $OUT/zh-cn"
