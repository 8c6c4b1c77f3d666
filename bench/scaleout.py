#!/usr/bin/env python3
"""Scale-out figures: one local database against 1, 2 and 3 shards served by
xapian-tcpsrv on loopback, indexed and searched the same way, in the same
run.  Reported as medians over runs, and as ratios to the local database
measured in the same run (the machine may be shared).

usage: bench/scaleout.py [--build DIR] [--corpus DIR] [--queries FILE] [--runs R]
                         [--shards "1 2 3"] [--work DIR] [--json FILE]

  --build    a meson build directory of this tree (default: build-bench); its
             examples/zhfts and lib/libzhfts.so are used, and bench/zhfts-bench-queries
             when no --queries is given
  --corpus   a directory of *.txt files (default: /var/tmp/zhfts-bench-corpus/zh-cn,
             made by bench/corpus.sh)
  --queries  class, op, a, b, ... lines as zhfts-bench-queries writes them (default:
             generated into WORK with 40 per class)
  --runs     repetitions (default 3)
  --work     databases and raw figures (default: /var/tmp/zhfts-scaleout-work)

For each run and each layout:
  index   `zhfts index --db DB --jobs N` of the corpus: a new local database with
          one job (a shard, compacted into place), or a stub of N remote shards with
          one writer process per shard (`zhfts shard init` first); wall time -> MB/s
  search  with every layout open at once: every query once untimed on each, then
          each query timed on each layout in turn (so that a load that comes and
          goes weighs on all alike), the top 10 with their text read and no
          snippets (Database.search through the Python binding); p50, p99
  layout  also the same N shard directories opened locally through a stub of
          `auto` lines, so that the cost of the network and the cost of sharding are
          told apart; and the time of one bare round trip to a server (reopen)
Needs: python3, xapian-tools (xapian-tcpsrv).  Servers listen on 127.0.0.1 only,
each in a session of its own, and are killed with their process groups at exit.
"""
import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(REPO, 'build-bench'))
    ap.add_argument('--corpus', default='/var/tmp/zhfts-bench-corpus/zh-cn')
    ap.add_argument('--queries')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--shards', default='1 2 3')
    ap.add_argument('--work', default='/var/tmp/zhfts-scaleout-work')
    ap.add_argument('--json')
    return ap.parse_args()


ARGS = parse_args()
BUILD = os.path.abspath(ARGS.build)
CLI = os.path.join(BUILD, 'examples', 'zhfts')
os.environ.setdefault('ZHFTS_LIBRARY', os.path.join(BUILD, 'lib', 'libzhfts.so'))
sys.path.insert(0, os.path.join(REPO, 'bindings', 'python'))
import zhfts  # noqa: E402  (after the library path is set)


# ---- servers ---------------------------------------------------------------

_servers = []


def _stop_all():
    for p in list(_servers):
        stop(p)


def _on_signal(signum, frame):
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_stop_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def free_port():
    rnd = random.SystemRandom()
    for _ in range(200):
        port = rnd.randint(10000, 30000)  # below Linux's ephemeral range
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError('no free port on 127.0.0.1')


def listening(port):
    with open('/proc/net/tcp') as f:
        return any(l.split()[1] == '0100007F:%04X' % port and l.split()[3] == '0A' for l in f.readlines()[1:])


def serve(directory, log):
    for _ in range(10):
        port = free_port()
        with open(log, 'ab') as out:
            p = subprocess.Popen(['xapian-tcpsrv', '--writable', '--interface', '127.0.0.1', '--port', str(port),
                                  directory], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True)
        p.port = port
        _servers.append(p)
        for _ in range(2000):
            if p.poll() is not None:
                break
            if listening(port):
                return p
            time.sleep(0.005)
        stop(p)
    raise RuntimeError('xapian-tcpsrv would not start for %s (see %s)' % (directory, log))


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    if p in _servers:
        _servers.remove(p)


# ---- the work ----------------------------------------------------------------

def corpus_bytes(d):
    n = 0
    for root, _, files in os.walk(d):
        n += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(('.txt', '.md')))
    return n


def load_queries(path):
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            cls, op, a, b = line.rstrip('\n').split('\t')[:4]
            q = {'phrase': '"%s"' % a, 'and': '%s %s' % (a, b), 'or': '%s OR %s' % (a, b),
                 'not': '%s -%s' % (a, b)}.get(op, a)
            out.append((cls, q))
    return out


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError('zhfts %s: %s' % (' '.join(map(str, args)), p.stderr.decode()))
    return p.stdout.decode()


def rmtree(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def writes():
    """Write system calls of this process so far: Xapian's remote backend
    sends each message to a server with two write(2) calls, its header (type
    and length) and its body, and nothing else in a search writes."""
    with open('/proc/self/io') as f:
        for line in f:
            if line.startswith('syscw:'):
                return int(line.split()[1])
    return 0


def read_top10(db, q):
    hits = db.search(q, limit=10)
    for h in hits:
        h.text
    return hits


def search_times(paths, queries):
    """{layout: {'all': [ms per query], class: [...]}}.  Every layout's
    handle is open at once and each query is timed on each layout in turn,
    so that a load that comes and goes on a shared machine weighs on all of
    them alike."""
    dbs = {name: zhfts.Database(path, remote_timeout=30) for name, path in paths.items()}
    try:
        for db in dbs.values():  # warm: every query once
            for _, q in queries:
                read_top10(db, q)
        times = {name: {'all': []} for name in dbs}
        for cls, q in queries:
            for name, db in dbs.items():
                t = time.perf_counter()
                read_top10(db, q)
                ms = (time.perf_counter() - t) * 1000
                times[name]['all'].append(ms)
                times[name].setdefault(cls, []).append(ms)
        return times
    finally:
        for db in dbs.values():
            db.close()


def messages(path, queries):
    """Messages a top-10 search sends to the servers (an untimed pass)."""
    sent = {'all': []}
    with zhfts.Database(path, remote_timeout=30) as db:
        for cls, q in queries:
            w = writes()
            read_top10(db, q)
            n = (writes() - w) / 2
            sent['all'].append(n)
            sent.setdefault(cls, []).append(n)
    return sent


def summary(times, sent=None):
    r = {'p50': pct(times['all'], 50), 'p99': pct(times['all'], 99), 'mean': statistics.mean(times['all']),
         'class_p50': {c: pct(v, 50) for c, v in times.items() if c != 'all'},
         'class_p99': {c: pct(v, 99) for c, v in times.items() if c != 'all'}}
    if sent and sent['all']:
        r['messages'] = statistics.mean(sent['all'])
        r['class_messages'] = {c: statistics.mean(v) for c, v in sent.items() if c != 'all'}
    return r


def round_trip_ms(stub, n=2000):
    """One message to a server and its answer: Database.reopen()."""
    with zhfts.Database(stub, remote_timeout=30) as db:
        for _ in range(100):
            db.reopen()
        t = time.perf_counter()
        for _ in range(n):
            db.reopen()
        return (time.perf_counter() - t) * 1000 / n


def write_stub(path, lines):
    with open(path, 'w') as f:
        f.write(''.join('%s\n' % l for l in lines))
    return path


def one_run(run, corpus, mb, queries, shard_counts, work):
    out, paths, servers, dirs = {}, {}, [], []
    try:
        # One local database, as zhfts index makes a new one with one job;
        # and one with the termlist table that every served shard has.
        for name, extra in (('local', ()), ('local-termlist', ('--termlist',))):
            local = os.path.join(work, name + '.db')
            rmtree(local)
            t = time.perf_counter()
            cli('index', '--quiet', '--jobs', 1, *extra, '--db', local, corpus)
            out[name] = {'index_s': time.perf_counter() - t}
            out[name]['mbs'] = mb / out[name]['index_s']
            paths[name] = local
            print('# run %d %s: %.2f MB/s' % (run, name, out[name]['mbs']), file=sys.stderr)
        # N shards, each served on loopback, loaded by N writers.
        for n in shard_counts:
            mine = [os.path.join(work, 'shard-%d-of-%d' % (k + 1, n)) for k in range(n)]
            for d in mine:
                rmtree(d)
            dirs += mine
            these = [serve(d, os.path.join(work, 'tcpsrv.log')) for d in mine]
            servers += these
            stub = os.path.join(work, 'remote-%d.stub' % n)
            rmtree(stub)
            cli('shard', 'init', stub, *['127.0.0.1:%d' % s.port for s in these])
            t = time.perf_counter()
            cli('index', '--quiet', '--jobs', n, '--timeout', 60, '--db', stub, corpus)
            k = 'remote-%d' % n
            out[k] = {'index_s': time.perf_counter() - t}
            out[k]['mbs'] = mb / out[k]['index_s']
            paths[k] = stub
            # The same shards read locally: what the network adds.
            paths['auto-%d' % n] = write_stub(os.path.join(work, 'auto-%d.stub' % n), ['auto %s' % d for d in mine])
            out[k]['rtt_ms'] = round_trip_ms(write_stub(os.path.join(work, 'one.stub'),
                                                        ['remote 127.0.0.1:%d' % these[0].port]))
            print('# run %d %d remote: %.2f MB/s; round trip %.3f ms' % (run, n, out[k]['mbs'], out[k]['rtt_ms']),
                  file=sys.stderr)
        times = search_times(paths, queries)
        for name in paths:
            r = out.setdefault(name, {})
            r.update(summary(times[name], messages(paths[name], queries) if name.startswith('remote') else None))
        for n in shard_counts:
            r, a = out['remote-%d' % n], out.pop('auto-%d' % n)
            r['auto'] = a
            r.update(local_p50=a['p50'], local_p99=a['p99'], local_mean=a['mean'])
        for name in ['local', 'local-termlist'] + ['remote-%d' % n for n in shard_counts]:
            print('# run %d %s: p50 %.3f ms, p99 %.3f ms%s' % (
                run, name, out[name]['p50'], out[name]['p99'],
                '; same shards local p50 %.3f ms; %.1f messages per query' % (out[name]['local_p50'],
                                                                           out[name]['messages'])
                if name.startswith('remote') else ''), file=sys.stderr)
    finally:
        for s in servers:
            stop(s)
        for d in dirs + [paths.get('local'), paths.get('local-termlist')]:
            if d:
                rmtree(d)
    return out


def main():
    if not shutil.which('xapian-tcpsrv'):
        sys.exit('scaleout.py: xapian-tcpsrv is missing (Debian: apt-get install xapian-tools)')
    if not os.access(CLI, os.X_OK):
        sys.exit('scaleout.py: build first: ninja -C %s' % BUILD)
    os.makedirs(ARGS.work, exist_ok=True)
    queries_path = ARGS.queries
    if not queries_path:
        queries_path = os.path.join(ARGS.work, 'queries-40.tsv')
        if not os.path.exists(queries_path):
            subprocess.run([os.path.join(BUILD, 'bench', 'zhfts-bench-queries'), ARGS.corpus, queries_path,
                            '--per-class', '40'], check=True)
    queries = load_queries(queries_path)
    mb = corpus_bytes(ARGS.corpus) / 1e6
    shard_counts = [int(x) for x in ARGS.shards.split()]
    runs = [one_run(r + 1, ARGS.corpus, mb, queries, shard_counts, ARGS.work) for r in range(ARGS.runs)]

    def med(layout, key):
        return statistics.median(r[layout][key] for r in runs)

    def med_ratio(layout, key, base='local', base_key=None):
        return statistics.median(r[layout][key] / r[base][base_key or key] for r in runs)

    commit = subprocess.run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL).stdout.decode().strip() or 'unknown'
    lines = ['Date %s, %d cores, commit %s (and the working tree); corpus %.1f MB, %d queries; medians of %d runs; '
             'ratios are to the local database of the same run.'
             % (time.strftime('%Y-%m-%d'), os.cpu_count(), commit, mb, len(queries), len(runs)), '',
             '| layout | index MB/s | x local | top-10 p50 ms | x local | p99 ms | x local |',
             '|---|---|---|---|---|---|---|']
    for k, name in [('local', 'one local database'), ('local-termlist', 'one local database, --termlist')] + \
            [('remote-%d' % n, '%d remote shard%s' % (n, '' if n == 1 else 's')) for n in shard_counts]:
        lines.append('| %s | %.2f | %.2f | %.3f | %.2f | %.3f | %.2f |'
                     % (name, med(k, 'mbs'), med_ratio(k, 'mbs'), med(k, 'p50'), med_ratio(k, 'p50'),
                        med(k, 'p99'), med_ratio(k, 'p99')))
    lines += ['', '| layout | the same shards read locally: p50 / p99 ms | network per query (mean ms) | '
              'messages per query (mean) | one round trip ms |', '|---|---|---|---|---|']
    for n in shard_counts:
        k = 'remote-%d' % n
        lines.append('| %d remote shard%s | %.3f / %.3f | %.3f | %.1f | %.3f |'
                     % (n, '' if n == 1 else 's', med(k, 'local_p50'), med(k, 'local_p99'),
                        statistics.median(r[k]['mean'] - r[k]['local_mean'] for r in runs), med(k, 'messages'),
                        med(k, 'rtt_ms')))
    classes = sorted(runs[0]['local']['class_p50'])
    lines += ['', 'top-10 p50 ms by class (messages per query for the remote layouts):', '',
              '| class | local | ' + ' | '.join('%d remote' % n for n in shard_counts) + ' |',
              '|---|---|' + '---|' * len(shard_counts)]
    for c in classes:
        cells = ['%.3f' % statistics.median(r['local']['class_p50'][c] for r in runs)]
        for n in shard_counts:
            k = 'remote-%d' % n
            cells.append('%.3f (%.0f)' % (statistics.median(r[k]['class_p50'][c] for r in runs),
                                          statistics.median(r[k]['class_messages'][c] for r in runs)))
        lines.append('| %s | %s |' % (c, ' | '.join(cells)))
    print('\n'.join(lines))
    with open(ARGS.json or os.path.join(ARGS.work, 'scaleout.json'), 'w') as f:
        json.dump({'runs': runs, 'mb': mb, 'queries': len(queries)}, f, indent=1)


if __name__ == '__main__':
    main()
