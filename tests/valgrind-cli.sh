#!/bin/sh
# Runs the zhfts command end to end under valgrind: index, search, delete, compact,
# stats, and a few bad inputs.  Any memory error or definite leak fails.
#   tests/valgrind-cli.sh BUILD/examples/zhfts [SAMPLE_REPORT]
# Needs valgrind (Debian package 'valgrind').
set -eu
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
sample=${2:-$here/../examples/data/sample-report.txt}
work=$(mktemp -d "${TMPDIR:-/tmp}/zhfts-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Definite and indirect leaks are errors; "possibly lost" and "still
# reachable" (ICU's and libstdc++'s caches) are not.
vg="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --track-origins=yes"
db=$work/db
failed=0

# run EXPECTED_STATUS ARGS...: runs the CLI under valgrind; exit status 99
# is valgrind's report, anything else must be what the CLI documents.
run() {
	want=$1
	shift
	set +e
	$vg "$cli" "$@" >"$work/out" 2>"$work/err"
	got=$?
	set -e
	if [ "$got" = 99 ] || [ "$got" != "$want" ]; then
		echo "FAIL (status $got, want $want): zhfts $*" >&2
		cat "$work/err" >&2
		failed=1
	else
		echo "ok: zhfts $*"
	fi
}

printf '一、总体要求\n\n推进科学城建设，发展数字经济。\n\n（二）重点任务\n\n學習型城市建設。\n' >"$work/a.txt"
printf '\357\273\277第一段\r\n\r\n第二段 RISC-V 5G\r\n' >"$work/b.txt"
printf '\344\270\255\377\346\226\207\n' >"$work/bad.txt"

run 0 index --quiet --db "$db" "$sample" "$work/a.txt" "$work/b.txt"
run 0 search --db "$db" 科学城
run 0 search --db "$db" --format json '"数字经济"'
run 0 search --db "$db" 'section:任务 建设 OR risc-v'
run 1 search --db "$db" 不存在的词语组合
run 2 search --db "$db" '(科学城'
run 2 search --db "$db" 'NOT NOT'
run 2 index --quiet --db "$db" --encoding UTF-8 "$work/bad.txt"
run 0 stats --db "$db"
run 0 delete --db "$db" "$work/a.txt"
run 2 delete --db "$db" "$work/a.txt"
run 0 index --quiet --db "$db" "$work/a.txt"
run 0 compact --db "$db"
run 0 search --db "$db" --all 科学城
run 0 tokenize 北京市中关村科学城 RISC-V
run 2 search --db "$work/missing" 科学城
exit $failed
