#!/bin/sh
# Scale-out without a protocol of our own: a database split into two shards
# (a Xapian stub file naming both), and the same shards served by Xapian's
# xapian-tcpsrv on loopback, answer like the single database.
# usage: check-remote.sh ZHFTS_CLI SAMPLE_REPORT
set -eu
cli=$1 sample=$2
command -v xapian-tcpsrv >/dev/null || { echo "xapian-tcpsrv not installed (xapian-tools)"; exit 77; }
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Two documents: the sample, and the sample with its Traditional paragraph only.
cp "$sample" "$tmp/a.txt"
grep -E '關|學' "$sample" >"$tmp/b.txt"
"$cli" index --quiet --db "$tmp/all" "$tmp/a.txt" "$tmp/b.txt"
# xapian-tcpsrv can serve only databases with a termlist.
"$cli" index --quiet --termlist --db "$tmp/shard1" "$tmp/a.txt"
"$cli" index --quiet --termlist --db "$tmp/shard2" "$tmp/b.txt"
printf 'auto %s\nauto %s\n' "$tmp/shard1" "$tmp/shard2" >"$tmp/shards.stub"

# A free port on loopback, then a server for each shard, each in a session
# of its own: on SIGTERM xapian-tcpsrv signals its whole process group.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid xapian-tcpsrv --quiet --interface 127.0.0.1 --port "$port" "$tmp/shard1" &
pids="$pids $!"
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid xapian-tcpsrv --quiet --interface 127.0.0.1 --port "$port2" "$tmp/shard2" &
pids="$pids $!"
printf 'remote 127.0.0.1:%s\nremote 127.0.0.1:%s\n' "$port" "$port2" >"$tmp/remote.stub"
for i in $(seq 50); do
	"$cli" stats --db "$tmp/remote.stub" >/dev/null 2>&1 && break
	sleep 0.1
done

status=0
for q in '科学城' '"中关村科学城"' '发展 OR 改革' '建设 -科学' 'section:任务 民生'; do
	want=$("$cli" search --db "$tmp/all" --all --format json "$q" | python3 -c \
		'import sys, json; print(sorted((d["doc"], d["para"]) for d in map(json.loads, sys.stdin)))')
	for db in "$tmp/shards.stub" "$tmp/remote.stub"; do
		got=$("$cli" search --db "$db" --all --format json "$q" | python3 -c \
			'import sys, json; print(sorted((d["doc"], d["para"]) for d in map(json.loads, sys.stdin)))')
		if [ "$got" != "$want" ]; then
			echo "query $q on $db: got $got, want $want"
			status=1
		fi
	done
	[ "$want" != "[]" ] || { echo "query $q found nothing in the single database"; status=1; }
done
[ "$status" -eq 0 ] && echo "sharded and remote searches agree with the single database"
exit "$status"
