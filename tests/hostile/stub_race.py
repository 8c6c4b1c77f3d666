"""Readers through a stub of shards while every shard's writer commits back
to back (issue 11): the scenario of the issue, through the Python binding.

Two local shard databases, a stub file naming both.  One writer process per
shard opens its shard directly and, as fast as it can, re-indexes or
deletes one document and commits.  Three reader processes search through
the stub, one reads shard a directly.  Every read counts: any exception
fails the test.  Readers also check what they see:

  - every hit is a paragraph the writer wrote (its text is recomputed from
    the document, version and paragraph number it names), with its fields;
  - a document is never seen half or twice: within one answer, the hits of
    a document are all of one version and are exactly the paragraphs of
    that version that match the query (facet counts agree);
  - after reopen() a reader sees at least every commit that had finished
    before it, and no handle ever goes back to an older version;
  - lazy reads (snippets, spans) match the query.

Writers measure each commit.  The library promises (lib/db.c, docs/
robustness.md) that readers delay a commit by at most ZHFTS_HOLDOFF_MS =
500 ms; the test reports the longest commit and fails only past that bound
plus a generous slack (ZHFTS_STUB_RACE_SLACK_MS, default 4500 ms), because
on a loaded machine a commit's own fsync and CPU time are not the readers'
doing.  A writer must also keep committing: at least one commit a second.

With --remote (or ZHFTS_STUB_RACE_REMOTE=1) the same race runs over the network: each
shard is served by its own `xapian-tcpsrv --writable` on 127.0.0.1 (a port
chosen at run time, the servers killed at the end however it ends), each
writer writes through a stub naming its server, and the readers' stubs
name the servers.  The hold-off lock does not reach through a server:
there a reader relies on its retries alone, more of them, reconnecting
(docs/robustness.md).  Exits 77
(skipped) without xapian-tcpsrv.

--pause-ms=N (or ZHFTS_STUB_RACE_PAUSE_MS) makes each writer pause that
long after each commit (default 0: back to back).  The suite runs the
remote race with 5 ms: see docs/robustness.md for why back-to-back commits
can still outrun a remote read that needs many round trips.

ZHFTS_SOAK_SECONDS (default 10) sets the duration; ZHFTS_STUB_RACE_SYNC=1
makes writers fsync every commit (default: no fsync, the faster race).
ZHFTS_STUB_RACE_SEED sets the random seed (printed).

Run with the environment the Python tests use (ZHFTS_LIBRARY, PYTHONPATH):
meson test -C build stub-race; ZHFTS_SOAK_SECONDS=60 is honoured there too.
"""

import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import zhfts

NDOCS = 12          # documents per shard
SHARDS = 'ab'
HOLDOFF_MS = 500    # ZHFTS_HOLDOFF_MS in lib/db.c: the documented bound
SENTENCES = [
    '推进科学城建设，发展数字经济。',
    '茶叶合作社的销售额增长两成。',
    '新建卫生院一所，发展社区养老服务。',
    '科学城北片区的配套道路全部贯通。',
    '加快数字乡村建设，辅助诊疗覆盖全部卫生室。',
]
PARA = re.compile(r'^k([ab])(\d\d) 版本(\d+)第(\d+)段共(\d+)段：')


def doc_id(shard, i):
    return '%s-%02d.txt' % (shard, i)


def token(shard, i):
    return 'k%s%02d' % (shard, i)


def slot(shard, i):
    return SHARDS.index(shard) * NDOCS + i


def paras(i, v):
    return 2 + (i + v) % 4


def para_text(shard, i, v, p):
    return '%s 版本%d第%d段共%d段：%s' % (token(shard, i), v, p, paras(i, v),
                                      SENTENCES[(i + v + p) % len(SENTENCES)])


def doc_text(shard, i, v):
    return '\n\n'.join(para_text(shard, i, v, p) for p in range(1, paras(i, v) + 1)) + '\n'


def fields(shard, v):
    return {'ver': str(v), 'shard': shard}


# Queries with what they must match, as a predicate over a paragraph's text.
def has(*words):
    return lambda t: all(w in t for w in words)


QUERIES = [
    ('版本', has('版本')),                       # every paragraph
    ('科学城', has('科学城')),
    ('"数字经济"', has('数字经济')),
    ('科学城 建设', has('科学城', '建设')),
    ('(茶叶 OR 卫生院) -科学城', lambda t: ('茶叶' in t or '卫生院' in t) and '科学城' not in t),
    ('发展 -"数字经济"', lambda t: '发展' in t and '数字经济' not in t),
    ('shard:a 版本', lambda t: t.startswith('ka')),
    ('ver:1000.. 发展', None),                   # checked per hit only
]


class Reader:
    def __init__(self, name, path, shards, committed, pending, stop, seed):
        self.name, self.path, self.shards = name, path, shards
        self.committed, self.pending, self.stop = committed, pending, stop
        self.rng = random.Random(seed)
        self.counts = {}
        self.longest = {}
        self.failures = []
        self.nfailures = 0
        self.bad = []
        self.nbad = 0
        self.seen = {}   # slot -> highest version this reader has seen
        self.repeats = 0  # paragraphs seen again in a later page of op_iter

    # -- what a reader checks --------------------------------------------------
    def inconsistent(self, what):
        self.nbad += 1
        if len(self.bad) < 20:
            self.bad.append(what)

    def check_hit(self, h, query):
        m = PARA.match(h.text)
        if not m:
            self.inconsistent('%s: hit %s ¶%d: not a paragraph the writer wrote: %r' % (query, h.doc, h.para, h.text))
            return None
        shard, i, v, p, k = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))
        if shard not in self.shards:
            self.inconsistent('%s: hit %s from shard %s, not read here' % (query, h.doc, shard))
        if (h.doc != doc_id(shard, i) or h.para != p or k != paras(i, v) or h.text != para_text(shard, i, v, p)
                or h.fields != fields(shard, v)):
            self.inconsistent('%s: hit %s ¶%d %r %r is not what was written' % (query, h.doc, h.para, h.text, h.fields))
            return None
        return shard, i, v, p

    def check_answer(self, query, pred, hits, complete, main=True):
        """Hits of one answer: each doc whole, one version; if the answer is
        complete (every match), exactly the matching paragraphs.  main: read
        through the reader's own handle, which never goes back."""
        groups = {}
        for h in hits:
            got = self.check_hit(h, query)
            if got:
                shard, i, v, p = got
                groups.setdefault((shard, i), []).append((v, p))
                if main:
                    self.saw(shard, i, v, query)
        for (shard, i), vps in groups.items():
            versions = {v for v, _ in vps}
            ps = [p for _, p in vps]
            if len(versions) != 1:
                self.inconsistent('%s: %s seen at versions %s in one answer' % (query, doc_id(shard, i), sorted(versions)))
                continue
            if len(set(ps)) != len(ps):
                self.inconsistent('%s: %s paragraphs %s: one seen twice' % (query, doc_id(shard, i), sorted(ps)))
            v = versions.pop()
            if complete and pred:
                want = {p for p in range(1, paras(i, v) + 1) if pred(para_text(shard, i, v, p))}
                if set(ps) != want:
                    self.inconsistent('%s: %s version %d: paragraphs %s, want %s' %
                                      (query, doc_id(shard, i), v, sorted(ps), sorted(want)))
        return groups

    def saw(self, shard, i, v, what):
        s = slot(shard, i)
        if v < self.seen.get(s, 0):
            self.inconsistent('%s: %s version %d after version %d was seen' % (what, doc_id(shard, i), v, self.seen[s]))
        else:
            self.seen[s] = v

    def check_fresh(self, shard, i, before, v, what):
        """`before`: the writer's last finished commit of the document when
        the reader reopened (v > 0 present, -v deleted at v); v the version
        read after the reopen (None: absent)."""
        if v is not None:
            if (before > 0 and v < before) or (before < 0 and v <= -before):
                self.inconsistent('%s: %s version %d after reopen; commit %d had finished before' %
                                  (what, doc_id(shard, i), v, abs(before)))
        elif before > 0:
            # A commit of the document may have been under way (visible,
            # not yet announced as finished): the writer announces it first.
            after = self.pending[slot(shard, i)]
            if abs(after) <= before:
                self.inconsistent('%s: %s absent after reopen; version %d was committed before and is still current' %
                                  (what, doc_id(shard, i), before))

    # -- the operations --------------------------------------------------------
    def pick(self):
        shard = self.rng.choice(self.shards)
        return shard, self.rng.randrange(NDOCS)

    def op_token(self, db):
        """All of one document, by the term every paragraph of it has."""
        shard, i = self.pick()
        before, reopened = self.maybe_reopen(db, shard, i)
        q = token(shard, i)
        hits = self.timed('search', db.search, q, limit=None)
        groups = self.check_answer(q, has(q), hits, True)
        v = groups[(shard, i)][0][0] if (shard, i) in groups else None
        if v is not None and len(groups[(shard, i)]) != paras(i, v):
            self.inconsistent('%s: %d of the %d paragraphs of version %d' % (q, len(groups[(shard, i)]), paras(i, v), v))
        if reopened:
            self.check_fresh(shard, i, before, v, q)

    def op_paragraphs(self, db):
        """get_document: one whole version, or NotFoundError (deleted)."""
        shard, i = self.pick()
        before, reopened = self.maybe_reopen(db, shard, i)
        try:
            hits = self.timed('paragraphs', db.paragraphs, doc_id(shard, i))
        except zhfts.NotFoundError:
            hits = None
        v = None
        if hits is not None:
            got = [self.check_hit(h, 'paragraphs') for h in hits]
            vs = {g[2] for g in got if g}
            if len(vs) != 1 or [g[3] for g in got if g] != list(range(1, paras(i, min(vs)) + 1)):
                self.inconsistent('paragraphs(%s): %s' % (doc_id(shard, i), [(h.para, h.text[:24]) for h in hits]))
            else:
                v = vs.pop()
                self.saw(shard, i, v, 'paragraphs')
        if reopened:
            self.check_fresh(shard, i, before, v, 'paragraphs(%s)' % doc_id(shard, i))

    def op_query(self, db):
        """A query of the mix, every match, with the doc facet."""
        q, pred = self.rng.choice(QUERIES)
        if self.rng.random() < 0.5:
            self.timed('reopen', db.reopen)
        hits = self.timed('search', db.search, q, limit=None, facets=['doc'])
        groups = self.check_answer(q, pred, hits, True)
        counts = hits.facets['doc'].counts()
        mine = {doc_id(s, i): len(vps) for (s, i), vps in groups.items()}
        if counts != mine or hits.total != len(hits):
            self.inconsistent('%s: facet %s, hits %s, total %d of %d' % (q, counts, mine, hits.total, len(hits)))

    def op_page(self, db):
        """A page of a sorted or ranked answer; snippets and spans read lazily."""
        q, pred = self.rng.choice(QUERIES[:6])
        sort = self.rng.choice([None, '-ver', 'doc'])
        hits = self.timed('search', db.search, q, limit=self.rng.choice([1, 5, 10]), offset=self.rng.choice([0, 3, 8]),
                          sort=sort)
        self.check_answer(q, pred, hits, False)
        if sort == '-ver':
            vers = [int(h.fields['ver']) for h in hits]
            if vers != sorted(vers, reverse=True):
                self.inconsistent('%s sort=-ver: %s' % (q, vers))
        words = [w for w in re.findall(r'[\u4e00-\u9fff]+', q.split('-')[0])]
        for h in hits[:3]:
            snippet = self.timed('snippet', lambda: h.snippet)
            matched = h.matches
            if not matched or not all(any(m in w or w in m for w in words) for m in matched) or '[' not in snippet:
                self.inconsistent('%s: %s ¶%d: matches %s, snippet %r' % (q, h.doc, h.para, matched, snippet))

    def op_count(self, db):
        q, _ = self.rng.choice(QUERIES)
        n = self.timed('search', db.count, q)
        if n < 0 or n > len(self.shards) * NDOCS * 5:
            self.inconsistent('count(%s) = %d' % (q, n))

    def op_iter(self, db):
        """Every hit, 7 a page, with one Query.  Each page is one answer;
        pages may come from different snapshots (a read that had to reopen
        goes on at the newer one), so a paragraph may come again in a later
        page: counted, not promised otherwise."""
        seen = set()
        with self.timed('query', db.query, '版本') as q:
            offset = 0
            while True:
                hits = self.timed('search', q.search, limit=7, offset=offset)
                self.check_answer('版本 page', None, hits, False)
                keys = {(h.doc, h.para, h.text) for h in hits}
                self.repeats += len(keys & seen)
                seen |= keys
                if hits._returned < 7:
                    break
                offset += hits._returned

    def op_documents(self, db):
        docs = self.timed('documents', db.documents)
        known = {doc_id(s, i) for s in self.shards for i in range(NDOCS)}
        ids = [d for d, _ in docs]
        if ids != sorted(ids, key=lambda d: d.encode()) or any(d not in known or not 2 <= n <= 5 for d, n in docs):
            self.inconsistent('documents(): %s' % docs)

    def op_stats(self, db):
        st = self.timed('stats', db.stats)
        if st.documents > len(self.shards) * NDOCS or st.paragraphs < 0:
            self.inconsistent('stats(): %s' % (st,))
        if len(self.shards) > 1:
            # Each shard's figures are read on their own (no common snapshot).
            sh = self.timed('stats', db.shards)
            if len(sh) != len(SHARDS) or any(s.documents > NDOCS for _, s in sh):
                self.inconsistent('shards(): %s' % sh)
            # shard_of() names the shard that has the document; one that is
            # absent gets the shard its id hashes to.  Checked only when the
            # document's last commit had finished before the reopen and no
            # other had begun by the end.
            shard, i = self.pick()
            before = self.committed[slot(shard, i)]
            self.timed('reopen', db.reopen)
            k = self.timed('stats', db.shard_of, doc_id(shard, i))
            if before > 0 and self.pending[slot(shard, i)] == before and k != SHARDS.index(shard):
                self.inconsistent('shard_of(%s) = %d while it was on shard %s' % (doc_id(shard, i), k, shard))

    def op_open(self, db):
        """A new handle: open reads the settings, fields and dead lists."""
        shard, i = self.pick()
        with self.timed('open', zhfts.Database, self.path) as fresh:
            q = token(shard, i)
            hits = self.timed('search', fresh.search, q, limit=None)
            # A newer handle than the reader's own: what it sees says
            # nothing of how far the other one has come.
            self.check_answer(q, has(q), hits, True, main=False)

    OPS = [(op_token, 4), (op_paragraphs, 3), (op_query, 4), (op_page, 3), (op_count, 1), (op_iter, 1),
           (op_documents, 1), (op_stats, 1), (op_open, 1)]

    def maybe_reopen(self, db, shard, i):
        if self.rng.random() < 0.7:
            before = self.committed[slot(shard, i)]
            self.timed('reopen', db.reopen)
            return before, True
        return 0, False

    def timed(self, kind, fn, *args, **kw):
        t0 = time.monotonic()
        try:
            return fn(*args, **kw)
        finally:
            dt = time.monotonic() - t0
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.longest[kind] = max(self.longest.get(kind, 0.0), dt)

    def run(self):
        ops = [op for op, w in self.OPS for _ in range(w)]
        db = zhfts.Database(self.path)
        try:
            while not self.stop.is_set():
                op = self.rng.choice(ops)
                try:
                    op(self, db)
                except Exception as e:
                    self.nfailures += 1
                    if len(self.failures) < 20:
                        self.failures.append('%s: %s: %s\n%s' % (op.__name__, type(e).__name__, e,
                                                                  traceback.format_exc(limit=4)))
        finally:
            db.close()
        return {'name': self.name, 'counts': self.counts, 'longest': self.longest, 'nfailures': self.nfailures,
                'failures': self.failures, 'nbad': self.nbad, 'bad': self.bad, 'repeats': self.repeats}


def reader_main(name, path, shards, committed, pending, stop, seed, out):
    try:
        out.put(Reader(name, path, shards, committed, pending, stop, seed).run())
    except BaseException as e:
        out.put({'name': name, 'crash': '%s: %s\n%s' % (type(e).__name__, e, traceback.format_exc())})


def pause_ms():
    """--pause-ms=N, else ZHFTS_STUB_RACE_PAUSE_MS, else 0."""
    for a in sys.argv[1:]:
        if a.startswith('--pause-ms='):
            return float(a.split('=', 1)[1])
    return float(os.environ.get('ZHFTS_STUB_RACE_PAUSE_MS') or 0)


def writer_main(shard, path, committed, pending, stop, seed, sync, out):
    rng = random.Random(seed)
    pause = pause_ms() / 1000
    commits = deletes = 0
    times = []
    failure = None
    try:
        db = zhfts.Database(path, writable=True, create=False, sync=sync)
        v = max(abs(committed[slot(shard, i)]) for i in range(NDOCS))
        try:
            while not stop.is_set():
                i = rng.randrange(NDOCS)
                v += 1
                present = committed[slot(shard, i)] > 0
                if present and rng.random() < 0.25:
                    db.delete(doc_id(shard, i))
                    state = -v
                    deletes += 1
                else:
                    db.index(doc_id(shard, i), doc_text(shard, i, v), fields=fields(shard, v), guess=False)
                    state = v
                pending[slot(shard, i)] = state
                t0 = time.monotonic()
                db.commit()
                times.append(time.monotonic() - t0)
                committed[slot(shard, i)] = state
                commits += 1
                if pause:
                    time.sleep(pause)
        finally:
            db.close()
    except BaseException as e:
        failure = '%s: %s\n%s' % (type(e).__name__, e, traceback.format_exc())
    out.put({'name': 'writer ' + shard, 'commits': commits, 'deletes': deletes, 'times': times,
             'failure': failure})


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def serve(directory, log):
    """xapian-tcpsrv --writable for directory on 127.0.0.1, in a session of
    its own; returns (process, port) once it accepts connections."""
    for _ in range(20):
        port = free_port()
        p = subprocess.Popen(['xapian-tcpsrv', '--writable', '--interface', '127.0.0.1', '--port', str(port),
                              directory], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and p.poll() is None:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
                return p, port
            except OSError:
                time.sleep(0.01)
        stop_server(p)
    raise RuntimeError('xapian-tcpsrv would not listen for %s' % directory)


def stop_server(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def main():
    seconds = float(os.environ.get('ZHFTS_SOAK_SECONDS') or 10)
    sync = os.environ.get('ZHFTS_STUB_RACE_SYNC', '') not in ('', '0')
    remote = '--remote' in sys.argv[1:] or os.environ.get('ZHFTS_STUB_RACE_REMOTE', '') not in ('', '0')
    if remote and not shutil.which('xapian-tcpsrv'):
        print('stub race: no xapian-tcpsrv (Debian: xapian-tools): skipped')
        return 77
    slack_ms = float(os.environ.get('ZHFTS_STUB_RACE_SLACK_MS') or 4500)
    seed = int(os.environ.get('ZHFTS_STUB_RACE_SEED') or random.SystemRandom().randrange(1 << 30))
    print('stub race: %g s, seed %d (ZHFTS_STUB_RACE_SEED), %s commits, %s, %s shards, library %s' %
          (seconds, seed, 'fsynced' if sync else 'unsynced',
           'a pause of %g ms after each' % pause_ms() if pause_ms() else 'back to back',
           'remote' if remote else 'local', zhfts.library_path()), flush=True)

    ctx = multiprocessing.get_context('fork')
    # Per document, the writer's last finished commit and the one under way:
    # version v > 0 written, -v deleted at v.
    committed = ctx.Array('q', len(SHARDS) * NDOCS)
    pending = ctx.Array('q', len(SHARDS) * NDOCS)
    stop = ctx.Event()
    out = ctx.Queue()
    top = tempfile.mkdtemp(prefix='zhfts-stub-race-')
    failed = []
    servers = []
    try:
        # Both shards made by zhfts, every document present at version 1;
        # served, each shard is written and read through its server.
        where = {}
        for shard in SHARDS:
            path = os.path.join(top, 'shard-' + shard)
            if remote:
                with open(os.path.join(top, 'tcpsrv.log'), 'ab') as log:
                    p, port = serve(path, log)
                servers.append(p)
                where[shard] = 'remote 127.0.0.1:%d' % port
                path = os.path.join(top, 'write-%s.stub' % shard)
                with open(path, 'w') as f:
                    f.write(where[shard] + '\n')
            else:
                where[shard] = 'auto shard-' + shard
            with zhfts.Database(path, writable=True) as db:
                for i in range(NDOCS):
                    db.index(doc_id(shard, i), doc_text(shard, i, 1), fields=fields(shard, 1), guess=False)
                    committed[slot(shard, i)] = pending[slot(shard, i)] = 1
            where[shard + '-writer'] = path
        stub = os.path.join(top, 'all.stub')
        with open(stub, 'w') as f:
            f.write('# the two shards of the race\n%s\n%s\n' % (where['a'], where['b']))
        shard_a = os.path.join(top, 'shard-a')
        if remote:
            shard_a = os.path.join(top, 'read-a.stub')
            with open(shard_a, 'w') as f:
                f.write(where['a'] + '\n')

        procs = []
        for k, shard in enumerate(SHARDS):
            procs.append(ctx.Process(target=writer_main, name='writer ' + shard,
                                     args=(shard, where[shard + '-writer'], committed, pending, stop,
                                           seed + k, sync, out)))
        readers = [('stub reader %d' % r, stub, SHARDS) for r in range(1, 4)]
        readers.append(('shard-a reader', shard_a, 'a'))
        for k, (name, path, shards) in enumerate(readers):
            procs.append(ctx.Process(target=reader_main, name=name,
                                     args=(name, path, shards, committed, pending, stop, seed + 10 + k, out)))
        for p in procs:
            p.start()
        time.sleep(seconds)
        stop.set()

        results = {}
        deadline = time.monotonic() + 120
        while len(results) < len(procs) and time.monotonic() < deadline:
            try:
                r = out.get(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:
                break
            results[r['name']] = r
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                failed.append('%s: still running 120 s after the end: hung' % p.name)
                p.kill()
                p.join()
            elif p.exitcode != 0:
                failed.append('%s: exit code %s' % (p.name, p.exitcode))
            if p.name not in results:
                failed.append('%s: reported nothing' % p.name)
    finally:
        for p in servers:
            stop_server(p)
        shutil.rmtree(top, ignore_errors=True)

    # ---- figures -------------------------------------------------------------
    total_commits, longest_commit = 0, 0.0
    for shard in SHARDS:
        r = results.get('writer ' + shard)
        if not r:
            continue
        t = r['times']
        total_commits += r['commits']
        longest_commit = max(longest_commit, max(t, default=0.0))
        over = sum(1 for x in t if x * 1000 > HOLDOFF_MS)
        print('  writer %s: %d commits (%.0f/s), %d deletes; commit p50 %.1f ms, p99 %.1f ms, longest %.0f ms; '
              '%d over %d ms' % (shard, r['commits'], r['commits'] / seconds, r['deletes'], percentile(t, 0.5) * 1e3,
                                 percentile(t, 0.99) * 1e3, max(t, default=0.0) * 1e3, over, HOLDOFF_MS))
        if r['failure']:
            failed.append('writer %s failed: %s' % (shard, r['failure']))
        if max(t, default=0.0) * 1000 > HOLDOFF_MS + slack_ms:
            failed.append('writer %s: a commit took %.0f ms, past the %d ms hold-off bound + %.0f ms slack' %
                          (shard, max(t) * 1e3, HOLDOFF_MS, slack_ms))
        if r['commits'] < seconds:
            failed.append('writer %s: %d commits in %g s: starved' % (shard, r['commits'], seconds))

    searches = reads = failures = bad = repeats = 0
    longest_search = longest_read = 0.0
    for name, _, _ in readers:
        r = results.get(name)
        if not r:
            continue
        if 'crash' in r:
            failed.append('%s crashed: %s' % (name, r['crash']))
            continue
        c, lg = r['counts'], r['longest']
        n_search = c.get('search', 0)
        n_other = sum(c.values()) - n_search - c.get('reopen', 0)
        searches += n_search
        reads += n_other
        failures += r['nfailures']
        bad += r['nbad']
        repeats += r['repeats']
        longest_search = max(longest_search, lg.get('search', 0.0))
        longest_read = max([longest_read] + [x for k, x in lg.items() if k != 'search'])
        print('  %s: %d searches (longest %.0f ms), %d other reads (%s), %d reopens (longest %.0f ms); '
              '%d failed, %d inconsistent; %d paragraphs again in a later page' %
              (name, n_search, lg.get('search', 0.0) * 1e3, n_other,
               ', '.join('%s %d longest %.0f ms' % (k, c[k], lg[k] * 1e3) for k in sorted(c) if k not in ('search', 'reopen')),
               c.get('reopen', 0), lg.get('reopen', 0.0) * 1e3, r['nfailures'], r['nbad'], r['repeats']))
        for f in r['failures']:
            failed.append('%s: failed read: %s' % (name, f))
        for b in r['bad']:
            failed.append('%s: inconsistent: %s' % (name, b))
        if n_search == 0:
            failed.append('%s: no search finished' % name)
    print('total: %d commits (%.0f/s per writer), %d searches, %d other reads, %d failures, %d inconsistencies; '
          'longest search %.0f ms, longest other read %.0f ms, longest commit %.0f ms' %
          (total_commits, total_commits / seconds / len(SHARDS), searches, reads, failures, bad,
           longest_search * 1e3, longest_read * 1e3, longest_commit * 1e3), flush=True)
    for f in failed:
        print('FAIL: ' + f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
