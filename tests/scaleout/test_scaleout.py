#!/usr/bin/env python3
"""Scale-out on this machine: databases of shards served by xapian-tcpsrv.

usage: test_scaleout.py ZHFTS_CLI [unittest args]
       (with PYTHONPATH holding bindings/python and ZHFTS_LIBRARY the
       library, as `meson test --suite scaleout` sets them)

Every server is `xapian-tcpsrv --writable --interface 127.0.0.1` on a port
chosen at run time, each in a session of its own, and every one is killed
with its whole process group when the test ends, whichever way it ends
(finally blocks, atexit, SIGTERM/SIGINT/SIGHUP handlers, and the parent's
death signal as the last resort).

What is checked:
- differential: a corpus generated here is indexed into one local database
  and through stubs of three remote shards and of two remote shards and a
  local one; every query of a generated set (1- and 2-character Han,
  phrases, runs of 3+ characters, AND, OR, NOT, Latin words, digits, field
  filters and ranges, section:, filter-only queries), run with pages,
  offsets, sorts and facets, gives the same hits in the same order with
  the same scores (==), the same exact totals and the same facet counts;
  the matches themselves are checked against an oracle that is not the
  library (substring search on normalized text, written here);
- re-indexing and deleting through the stubs, then the same comparison,
  also against a fresh database holding only the final documents;
- a server SIGKILLed in the middle of a run of three writer processes (one
  per shard), then restarted on the same port and directory: every
  document is exactly as last committed, on every shard;
- a second writer on a shard gets LockedError, after lock_timeout;
- a shard that is down, or stopped (SIGSTOP), makes open, search and index
  fail within the timeout (plus slack) with a message naming it, never
  with partial results; a reader reconnects on reopen;
- a shard with other settings is refused, naming it;
- split into shards (one of them served) and merged back: same answers;
- the CLI: shard init, index --jobs through a stub, stats per shard,
  search through a stub, a down shard.

ZHFTS_SCALEOUT_SEED varies the generated corpus and queries (default 13).
"""
import atexit
import ctypes
import json
import math
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
import unicodedata
import unittest

import zhfts

CLI = None
SEED = int(os.environ.get('ZHFTS_SCALEOUT_SEED', '13'))
TIMEOUT = 1.0  # remote_timeout of the failure tests, seconds
SLACK = 4.0    # what a shared, loaded machine may add to a bound


# ---- servers -------------------------------------------------------------------

_servers = set()


def _stop_all():
    for s in list(_servers):
        s.kill()


def _on_signal(signum, frame):
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _die_with_parent():
    # In the child, before exec: SIGKILL when the test process dies, even
    # by SIGKILL (the server's own children close with its connections).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _ports_below_ephemeral():
    """A range of ports that connect() never picks: a server stopped for a
    while gets its port back."""
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return (10000, low - 1) if low > 11000 else (1025, max(low - 1, 1100))


def free_port(rnd=random.SystemRandom()):
    lo, hi = _ports_below_ephemeral()
    for _ in range(200):
        port = rnd.randint(lo, hi)
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError('no free port on 127.0.0.1')


def _listening_inodes(port):
    out = set()
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1] == '0100007F:%04X' % port and parts[3] == '0A':
                out.add(parts[9])
    return out


def _socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                link = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            if link.startswith('socket:['):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


def _group_alive(pgid):
    """Processes of the group that are not zombies (a zombie holds no lock)."""
    n = 0
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[2]) == pgid and fields[0] != 'Z':
            n += 1
    return n


class Server:
    """xapian-tcpsrv --writable for one directory, on 127.0.0.1."""

    def __init__(self, directory, log_dir, writable=True, options=()):
        self.dir = directory
        self.writable = writable
        self.options = list(options)
        self.port = None
        self.proc = None
        self.log = os.path.join(log_dir, 'tcpsrv-%s.log' % os.path.basename(directory))

    @property
    def address(self):
        return '127.0.0.1:%d' % self.port

    def start(self):
        """Starts it (on its old port if it had one) and waits until it listens."""
        fixed = self.port is not None
        for attempt in range(20):
            if not fixed:
                self.port = free_port()
            with open(self.log, 'ab') as log:
                self.proc = subprocess.Popen(
                    ['xapian-tcpsrv'] + (['--writable'] if self.writable else []) + self.options +
                    ['--interface', '127.0.0.1', '--port', str(self.port), self.dir],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True, preexec_fn=_die_with_parent)
            _servers.add(self)
            deadline = time.monotonic() + 10 + SLACK
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _listening_inodes(self.port) & _socket_inodes(self.proc.pid):
                    return self
                time.sleep(0.005)
            self.kill()
            time.sleep(0.05 * attempt)  # the port was taken: another, or the same later
        raise RuntimeError('xapian-tcpsrv would not listen on %s (see %s)' % (self.address, self.log))

    def signal(self, sig):
        os.killpg(self.proc.pid, sig)

    def kill(self):
        """SIGKILL to its whole group; returns once none of it is left."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        deadline = time.monotonic() + 10
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        _servers.discard(self)
        self.proc = None


atexit.register(_stop_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def fnv1a64(data):
    """FNV-1a, 64 bits: the hash a stub places a new document by."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def write_stub(path, lines):
    with open(path, 'w') as f:
        f.write('# written by test_scaleout.py\n')
        for kind, where in lines:
            f.write('%s %s\n' % (kind, where))
    return path


def run_cli(*args, timeout=120):
    env = dict(os.environ)
    env.pop('ZHFTS_DB', None)
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode('utf-8'), p.stderr.decode('utf-8')


# ---- the corpus, written here --------------------------------------------------------

HAN_WORDS = (
    '科学城 中关村 创新 发展 改革 开放 服务 管理 企业 产业 技术 人才 教育 医疗 交通 生态 环境 文化 旅游 '
    '农业 农村 城市 社区 住房 就业 收入 民生 安全 应急 数字 经济 消费 投资 项目 设施 营商 质量 现代化 '
    '治理 体系 能力 建设 推进 完善 加强 深化 提升 优化 实施 落实 保障 政策 资金 财政 金融 市场 主体 '
    '科技 研发 成果 转化 平台 园区 示范区 试点 机制 标准 品牌 绿色 低碳 能源 水源 公园 道路 地铁 公交 '
    '养老 托育 学校 医院 卫生 健康 体育 文物 保护 街道 乡镇 村庄 群众 监督 法治 政府 人民 代表 会议 '
    '规划 目标 任务 工程 行动 计划 网络 信息 数据 智能 制造 芯片 软件 集成电路 新能源 汽车 物流 港口 '
    '机场 铁路 水利 防汛 森林 湿地 空气 污染 垃圾分类 回收 冰雪 湖泊 桥梁 隧道 夜市 书店').split()
CONNECTORS = '的 和 与 及 在 对 把 为 以 等 了 将 要 不断 持续 全面 进一步 大力 积极 统筹'.split()
LATIN = ['Linux', 'Debian', 'server', 'kernel', 'RISC', 'Python', 'cloud', 'GPU', 'web', 'API']
NUMBERS = ['2019', '2020', '35', '128', '5000', '7', '86', '404', '12']
HEADINGS = ['工作回顾', '主要任务', '科技创新', '民生保障', '生态环境', '城市治理', '改革开放', '政府建设']
SUBHEADINGS = ['加强基础研究', '优化营商环境', '完善公共服务', '推进乡村振兴', '建设数字城市']
DISTRICTS = [('haidian', '海淀区'), ('chaoyang', '朝阳区'), ('dongcheng', '东城区'), ('xicheng', '西城区'),
             ('fengtai', '丰台区'), ('tongzhou', '通州区')]
KINDS = ['报告', '规划', '通知']
NUMERALS = '一二三四五六七八'
# Traditional forms the corpus uses, and the oracle folds back.
TRAD = {'学': '學', '发': '發', '经': '經', '济': '濟', '开': '開', '设': '設', '区': '區', '进': '進',
        '术': '術', '电': '電'}
T2S = {t: s for s, t in TRAD.items()}


def sentence(rnd):
    parts = []
    for _ in range(rnd.randint(3, 8)):
        r = rnd.random()
        if r < 0.06:
            w = rnd.choice(LATIN)
            parts.append(' %s ' % rnd.choice([w, w.upper(), w.lower()]))
        elif r < 0.12:
            n = rnd.choice(NUMBERS)
            if rnd.random() < 0.15:
                n = unicodedata.normalize('NFKC', n).translate({c: c + 0xfee0 for c in range(48, 58)})
            parts.append(' %s ' % n)
        elif r < 0.3:
            parts.append(rnd.choice(CONNECTORS))
        else:
            parts.append(rnd.choice(HAN_WORDS))
        if rnd.random() < 0.2:
            parts.append(rnd.choice('，、'))
    return ''.join(parts).strip(' ，、') + rnd.choice('。。。；！')


def paragraph(rnd):
    text = ''.join(sentence(rnd) for _ in range(rnd.randint(2, 6)))
    if rnd.random() < 0.12:
        text = ''.join(TRAD.get(c, c) if rnd.random() < 0.5 else c for c in text)
    if rnd.random() < 0.2:  # a line wrapped inside the paragraph
        cut = rnd.randint(1, len(text) - 1)
        text = text[:cut] + '\n' + text[cut:]
    return text


def make_corpus(seed, n):
    """{id: (text, fields)}: reports of districts by year, with headings."""
    rnd = random.Random(seed)
    docs = {}
    for i in range(n):
        pinyin, district = rnd.choice(DISTRICTS)
        year = rnd.randint(2016, 2023)
        doc_id = '%s/%d/%03d.txt' % (pinyin, year, i)
        lines = ['%s政府工作%s（%d年）' % (district, rnd.choice(KINDS), year), '']
        for s in range(rnd.randint(1, 4)):
            lines += ['%s、%s' % (NUMERALS[s], rnd.choice(HEADINGS)), '']
            if rnd.random() < 0.4:
                lines += ['（一）%s' % rnd.choice(SUBHEADINGS), '']
            for _ in range(rnd.randint(1, 4)):
                lines += [paragraph(rnd), '']
        fields = {'district': district, 'year': str(year), 'kind': rnd.choice(KINDS)}
        if rnd.random() < 0.8:
            fields['score'] = '%g' % (rnd.randint(0, 40) / 8)
        docs[doc_id] = ('\n'.join(lines), fields)
    return docs


# ---- the oracle: normalized substring search, nothing from the library -------------

def norm(text):
    text = unicodedata.normalize('NFKC', unicodedata.normalize('NFKC', text).casefold())
    return ''.join(T2S.get(c, c) for c in text)


def letters(text):
    return ''.join(c for c in norm(text) if unicodedata.category(c)[0] in 'LN')


def is_han(c):
    return 'CJK UNIFIED' in unicodedata.name(c, '')


class Para:
    def __init__(self, doc, number, text, fields):
        self.doc, self.number, self.text, self.fields = doc, number, text, fields
        self.letters = letters(text)
        n = norm(text)
        # Whole words as UAX #29 has them for this text: digits joined by
        # . , ; (a full-width ； is ; once normalized), letters by . and '.
        self.words = set(re.findall(r"[a-z]+(?:['.][a-z]+)*", n)) | set(re.findall(r'[0-9]+(?:[.,;][0-9]+)*', n))


def split_paragraphs(doc, text, fields):
    out, cur = [], []
    for line in text.split('\n') + ['']:
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(Para(doc, len(out) + 1, '\n'.join(cur), fields))
            cur = []
    return out


def num(v):
    try:
        return float(v)
    except ValueError:
        return None


# A query term of the oracle: a Han run (a substring of the letters) or a
# whole Latin word or number.
def term_pred(t):
    t = norm(t)
    if all(is_han(c) for c in t):
        key = letters(t)
        return lambda p: key in p.letters
    return lambda p: t in p.words


def make_queries(seed, paras):
    """[(class, query, oracle predicate or None)]."""
    rnd = random.Random(seed * 7919 + 1)
    han = [p for p in paras if sum(map(is_han, p.letters)) >= 16]

    def run_of(n, p=None):
        p = p or rnd.choice(han)
        runs = [r for r in re.findall(r'[\u4e00-\u9fff]+', p.letters) if len(r) >= n]
        if not runs:
            return run_of(n)
        r = rnd.choice(runs)
        i = rnd.randint(0, len(r) - n)
        return r[i:i + n]

    qs = []

    def add(cls, q, pred):
        qs.append((cls, q, pred))

    for _ in range(12):
        a = run_of(1)
        add('han1', a, term_pred(a))
    for _ in range(12):
        a = run_of(2)
        add('han2', a, term_pred(a))
    for _ in range(12):
        a = run_of(rnd.randint(3, 6))
        add('phrase', '"%s"' % a, term_pred(a))
    for _ in range(8):
        a = run_of(rnd.randint(8, 12))
        add('long', a, None)  # split by ICU into keywords: checked against the local database only
    for _ in range(10):
        p = rnd.choice(han)
        a, b = run_of(rnd.randint(2, 3), p), run_of(rnd.randint(2, 3), p)
        pa, pb = term_pred(a), term_pred(b)
        add('and', '%s %s' % (a, b), lambda x, pa=pa, pb=pb: pa(x) and pb(x))
    for _ in range(8):
        a, b = run_of(rnd.randint(2, 3)), run_of(rnd.randint(2, 3))
        pa, pb = term_pred(a), term_pred(b)
        add('or', '%s OR %s' % (a, b), lambda x, pa=pa, pb=pb: pa(x) or pb(x))
    for _ in range(8):
        p = rnd.choice(han)
        a, b = run_of(2, p), run_of(1, rnd.choice(han))
        pa, pb = term_pred(a), term_pred(b)
        add('not', '%s -%s' % (a, b), lambda x, pa=pa, pb=pb: pa(x) and not pb(x))
    for w in rnd.sample(LATIN, 6):
        add('latin', w.lower(), term_pred(w))
    for n in rnd.sample(NUMBERS, 6):
        add('digit', n, term_pred(n))
    # Traditional in the query finds the Simplified text, and the reverse.
    for s in ('学校', '发展', '经济', '开放', '设施'):
        t = ''.join(TRAD.get(c, c) for c in s)
        add('traditional', t, term_pred(s))
    # Fields: equality (also in Traditional), number ranges, text, ids.
    for pinyin, district in rnd.sample(DISTRICTS, 3):
        a = run_of(2)
        pa = term_pred(a)
        add('filter', '%s district:%s' % (a, district),
            lambda x, pa=pa, d=district: pa(x) and x.fields['district'] == d)
    add('filter', '%s district:海淀區' % '发展', lambda x: term_pred('发展')(x) and x.fields['district'] == '海淀区')
    for lo, hi in ((2017, 2019), (2020, 2023), (2016, 2016)):
        a = run_of(1)
        pa = term_pred(a)
        add('range', '%s year:%d..%d' % (a, lo, hi),
            lambda x, pa=pa, lo=lo, hi=hi: pa(x) and lo <= int(x.fields['year']) <= hi)
    add('range', '城市 year:2021..', lambda x: term_pred('城市')(x) and int(x.fields['year']) >= 2021)
    add('range', '建设 score:..2.5',
        lambda x: term_pred('建设')(x) and 'score' in x.fields and float(x.fields['score']) <= 2.5)
    add('range', '(创新 OR 改革) score:1.5..3.75 -year:2019',
        lambda x: (term_pred('创新')(x) or term_pred('改革')(x)) and 'score' in x.fields
        and 1.5 <= float(x.fields['score']) <= 3.75 and x.fields['year'] != '2019')
    add('filter', '发展 kind:规划', lambda x: term_pred('发展')(x) and x.fields['kind'] == '规划')
    add('filter', '服务 doc:haidian/*', lambda x: term_pred('服务')(x) and x.doc.startswith('haidian/'))
    add('filter-only', 'district:朝阳区 year:2018..2020',
        lambda x: x.fields['district'] == '朝阳区' and 2018 <= int(x.fields['year']) <= 2020)
    add('filter-only', 'kind:通知 -district:东城区',
        lambda x: x.fields['kind'] == '通知' and x.fields['district'] != '东城区')
    # Sections: the library finds the headings; these are compared only.
    for h in rnd.sample(HEADINGS, 3):
        add('section', '%s section:%s' % (run_of(1), h[:2]), None)
    add('section', 'section:"%s"' % rnd.choice(SUBHEADINGS), None)
    add('section', '(%s OR %s) section:任务' % (run_of(2), run_of(2)), None)
    add('nested', '(%s OR %s) -(%s %s)' % (run_of(2), run_of(1), run_of(1), run_of(1)), None)
    add('none', '鑫鑫鑫', lambda x: False)
    return qs


def hit_key(h):
    return (h.rank, h.doc, h.para, Score(h.score, h.tier), h.tier, h.section, h.text,
            tuple(sorted(h.fields.items())), h.offset, h.length)


class Score(float):
    """A hit's score, equal to another within the rounding of the weight
    Xapian summed: each shard orders the postings lists of an AND or OR by
    its own term frequencies, so a sum of three or more terms may be added
    in another order and differ in its last bit.  That bit is one ulp of the
    whole weight, a tier's ZHFTS_TIER_WEIGHT (1e6) included, so about 1e-10
    in the score of a query with tiers.  Counted in Score.near."""

    near = 0

    def __new__(cls, score, tier):
        self = super().__new__(cls, score)
        self.weight = (tier - 1) * 1e6 + score
        return self

    def __eq__(self, other):
        if float(self) == float(other):
            return True
        if abs(float(self) - float(other)) <= 4 * math.ulp(max(self.weight, getattr(other, 'weight', 0))):
            Score.near += 1
            return True
        return False

    def __ne__(self, other):
        return not self == other

    __hash__ = float.__hash__


def facet_key(hits):
    return {name: (list(f), f.distinct) for name, f in hits.facets.items()}


# ---- shared fixture: a reference database and a stub of three remote shards --------

class Fixture:
    tmp = None


F = Fixture()


def setUpModule():
    if not shutil.which('xapian-tcpsrv'):
        raise unittest.SkipTest('xapian-tcpsrv not installed (Debian: xapian-tools)')
    F.tmp = tempfile.mkdtemp(prefix='zhfts-scaleout-')
    F.docs = make_corpus(SEED, 120)
    F.paras = [p for d in sorted(F.docs) for p in split_paragraphs(d, *F.docs[d])]
    F.queries = make_queries(SEED, F.paras)
    F.ref = os.path.join(F.tmp, 'reference')
    with zhfts.Database(F.ref, writable=True, termlist=True) as db:
        for d in sorted(F.docs):
            db.index(d, F.docs[d][0], fields=F.docs[d][1])
    F.servers = [Server(os.path.join(F.tmp, 'remote-%d' % k), F.tmp).start() for k in range(3)]
    F.stub = write_stub(os.path.join(F.tmp, 'remote.stub'), [('remote', s.address) for s in F.servers])
    order = sorted(F.docs)
    random.Random(SEED).shuffle(order)  # another order of adds: the docids differ, the answers not
    with zhfts.Database(F.stub, writable=True) as db:
        for d in order:
            db.index(d, F.docs[d][0], fields=F.docs[d][1])


def tearDownModule():
    _stop_all()
    if F.tmp:
        shutil.rmtree(F.tmp, ignore_errors=True)


class Differential:
    """assertSame: every query of the set, run in every way, on two databases."""

    def run_all(self, db, q, cls):
        """Everything a query can answer, as plain data."""
        out = {}
        with db.query(q) as query:
            top = query.search(limit=10, exact=True)
            out['top'] = [hit_key(h) for h in top]
            out['total'] = (top.total, top.total_lower, top.total_upper)
            # Pages of one Query go on from where the previous one stopped.
            out['pages'] = [[hit_key(h) for h in query.search(limit=7, offset=off)] for off in (0, 7, 21)]
            out['count'] = query.count()
        out['offset'] = [hit_key(h) for h in db.search(q, limit=6, offset=13)]
        for sort in ('year', '-score', 'doc', '-district'):
            out['sort ' + sort] = [hit_key(h) for h in db.search(q, limit=12, offset=3, sort=sort, exact=True)]
        facets = db.search(q, limit=0, facets=['district', 'year', 'score', 'doc'])
        out['facets'] = (facet_key(facets), facets.total, facets.total_lower, facets.total_upper)
        out['facets limited'] = facet_key(db.search(q, limit=3, facets=['year'], facet_limit=2))
        if out['count'] <= 300:
            out['all'] = [hit_key(h) for h in db.search(q, limit=None)]
        return out

    def assertSameAnswers(self, got_db, want_db, queries, label):
        nonempty = 0
        for cls, q, pred in queries:
            got, want = self.run_all(got_db, q, cls), self.run_all(want_db, q, cls)
            for key in want:
                self.assertEqual(got[key], want[key], '%s: %s %r (%s) differs (seed %d)' % (label, cls, q, key, SEED))
            self.assertEqual(want['total'][1], want['total'][2], '%r: the total is not exact' % q)
            self.assertEqual(want['total'][0], want['count'])
            nonempty += want['count'] > 0
        # A comparison of empty answers would prove nothing.
        self.assertGreater(nonempty, 0.85 * len(queries), label)

    def assertOracle(self, db, queries, paras):
        """The matches of the local database against the oracle's."""
        checked = 0
        for cls, q, pred in queries:
            if pred is None:
                continue
            want = sorted((p.doc, p.number) for p in paras if pred(p))
            got = sorted((h.doc, h.para) for h in db.search(q, limit=None))
            self.assertEqual(got, want, 'oracle: %s %r (seed %d)' % (cls, q, SEED))
            checked += 1
        self.assertGreater(checked, 0.75 * len(queries))


class DifferentialTest(unittest.TestCase, Differential):
    def test_oracle_agrees_with_the_local_database(self):
        with zhfts.Database(F.ref) as ref:
            self.assertOracle(ref, F.queries, F.paras)
            self.assertEqual(ref.stats().documents, len(F.docs))

    def test_remote_shards_answer_as_one_database(self):
        with zhfts.Database(F.ref) as ref, zhfts.Database(F.stub, remote_timeout=10) as stub:
            shards = stub.shards()
            self.assertEqual([a for a, _ in shards], [s.address for s in F.servers])
            self.assertEqual(sum(st.documents for _, st in shards), len(F.docs))
            self.assertTrue(all(st.documents > 10 for _, st in shards), shards)
            self.assertEqual(stub.stats().paragraphs, ref.stats().paragraphs)
            for d in F.docs:  # each document is on the shard its id hashes to
                self.assertEqual(stub.paragraphs(d), ref.paragraphs(d))
            self.assertEqual(stub.documents(), ref.documents())
            self.assertSameAnswers(stub, ref, F.queries, 'remote stub')

    def test_mixed_stub_local_and_remote(self):
        tmp = tempfile.mkdtemp(dir=F.tmp)
        servers = [Server(os.path.join(tmp, 'r%d' % k), tmp).start() for k in range(2)]
        try:
            stub = write_stub(os.path.join(tmp, 'mixed.stub'),
                              [('remote', servers[0].address), ('auto', 'local'), ('remote', servers[1].address)])
            with zhfts.Database(stub, writable=True, termlist=True) as db:
                for d in sorted(F.docs, reverse=True):
                    db.index(d, F.docs[d][0], fields=F.docs[d][1])
            with zhfts.Database(F.ref) as ref, zhfts.Database(stub) as mixed:
                shards = mixed.shards()
                self.assertEqual(shards[1][0], os.path.join(tmp, 'local'))
                self.assertGreater(shards[1][1].disk_bytes, 0)
                self.assertEqual(shards[0][1].disk_bytes, 0)
                self.assertSameAnswers(mixed, ref, F.queries[::2], 'mixed stub')
        finally:
            for s in servers:
                s.kill()


class UpdateTest(unittest.TestCase, Differential):
    """Re-indexing and deleting through stubs, and the same on the local one."""

    def test_reindex_and_delete_through_stubs(self):
        tmp = tempfile.mkdtemp(dir=F.tmp)
        servers = [Server(os.path.join(tmp, 'r%d' % k), tmp).start() for k in range(4)]
        try:
            stubs = [write_stub(os.path.join(tmp, 'remote.stub'), [('remote', s.address) for s in servers[:3]]),
                     write_stub(os.path.join(tmp, 'mixed.stub'),
                                [('auto', 'local'), ('remote', servers[3].address)])]
            ref = os.path.join(tmp, 'ref')
            rnd = random.Random(SEED + 1)
            docs = dict(F.docs)
            first = sorted(docs)[:60]
            for path in [ref] + stubs:
                with zhfts.Database(path, writable=True, termlist=True) as db:
                    for d in first:
                        db.index(d, docs[d][0], fields=docs[d][1])
            # Replace some (new text and fields), delete some, add the rest.
            changed = rnd.sample(first, 15)
            deleted = rnd.sample(sorted(set(first) - set(changed)), 10)
            new = make_corpus(SEED + 2, 15)
            for d in changed:
                text, fields = new[sorted(new)[changed.index(d)]]
                docs[d] = (text, dict(fields, district=docs[d][1]['district']))
            final = {d: docs[d] for d in sorted(docs)[:80] if d not in deleted}
            for path in [ref] + stubs:
                with zhfts.Database(path, writable=True) as db:
                    shard_before = {d: db.shard_of(d) for d in changed}
                    for d in changed:
                        info = db.index(d, docs[d][0], fields=docs[d][1])
                        self.assertGreater(info.replaced, 0)
                        self.assertEqual(db.shard_of(d), shard_before[d])  # it stays on its shard
                    for d in deleted:
                        db.delete(d)
                        with self.assertRaises(zhfts.NotFoundError):
                            db.delete(d)
                    for d in sorted(docs)[60:80]:
                        db.index(d, docs[d][0], fields=docs[d][1])
            fresh = os.path.join(tmp, 'fresh')
            with zhfts.Database(fresh, writable=True, termlist=True) as db:
                for d in sorted(final):
                    db.index(d, final[d][0], fields=final[d][1])
            paras = [p for d in sorted(final) for p in split_paragraphs(d, *final[d])]
            queries = make_queries(SEED + 3, paras)
            with zhfts.Database(ref) as r, zhfts.Database(fresh) as f:
                self.assertEqual(r.documents(), f.documents())
                self.assertOracle(r, queries, paras)
                for path in stubs:
                    with zhfts.Database(path) as s:
                        self.assertEqual(s.documents(), f.documents())
                        self.assertEqual(s.stats().dead, 0)
                        for d in deleted:
                            self.assertEqual(s.search('doc:%s' % d, limit=None), [])
                        # Deleted paragraphs leave no trace in the statistics:
                        # the scores are those of a database built afresh.
                        k = stubs.index(path)
                        self.assertSameAnswers(s, f, queries[2 * k::3], 'updated %s' % os.path.basename(path))
                        if k == 0:
                            self.assertSameAnswers(s, r, queries[1::3], 'updated %s' % os.path.basename(path))
        finally:
            for s in servers:
                s.kill()


# ---- a server killed in the middle of a run --------------------------------------------

WRITER = r'''
import json, sys, zhfts
stub, shard, jobs = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
say = lambda *a: print(json.dumps(a), flush=True)
pending = []
try:
    db = zhfts.Database(stub, writable=True, write_shard=shard, remote_timeout=%(timeout)r)
    for i, (doc, text) in enumerate(jobs):
        db.index(doc, text)
        pending.append(doc)
        if len(pending) == 3:
            db.commit()
            say('committed', *pending)
            pending = []
        if i == 6:  # two commits done, one document pending
            say('paused')
            sys.stdin.readline()
    db.commit()
    say('committed', *pending)
    say('done')
except zhfts.Error as e:
    say('failed', type(e).__name__, e.message, e.lost)
    if e.lost:  # every document since the last commit is to be added again
        pending = []
    try:
        db.commit()
        say('committed', *pending)
    except zhfts.Error as e2:
        say('failed', type(e2).__name__, e2.message, e2.lost)
    sys.exit(3)
'''


class KillTest(unittest.TestCase):
    def test_server_killed_mid_run(self):
        tmp = tempfile.mkdtemp(dir=F.tmp)
        servers = [Server(os.path.join(tmp, 'r%d' % k), tmp).start() for k in range(3)]
        writers = []
        try:
            stub = write_stub(os.path.join(tmp, 'remote.stub'), [('remote', s.address) for s in servers])
            corpus = make_corpus(SEED + 5, 90)
            ids = sorted(corpus)
            before = ids[:30]
            state = {}  # id -> text as last committed
            with zhfts.Database(stub, writable=True) as db:
                for d in before:
                    db.index(d, corpus[d][0])
                    state[d] = corpus[d][0]
            # The run: the other 60, and new versions of 12 of the first.
            run = [(d, corpus[d][0]) for d in ids[30:]]
            run += [(d, corpus[d][0] + '\n\n重新索引的版本。') for d in before[::2][:12]]
            random.Random(SEED).shuffle(run)
            with zhfts.Database(stub) as db:
                per_shard = [[], [], []]
                for d, text in run:
                    per_shard[db.shard_of(d)].append((d, text))
            self.assertTrue(all(len(j) >= 9 for j in per_shard), [len(j) for j in per_shard])
            script = os.path.join(tmp, 'writer.py')
            with open(script, 'w') as f:
                f.write(WRITER % {'timeout': TIMEOUT})
            for k in range(3):
                job = os.path.join(tmp, 'job-%d.json' % k)
                with open(job, 'w') as f:
                    json.dump(per_shard[k], f)
                writers.append(subprocess.Popen([sys.executable, script, stub, str(k + 1), job],
                                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            reports = [[] for _ in range(3)]
            for k, w in enumerate(writers):  # each has committed twice and waits
                for line in w.stdout:
                    reports[k].append(json.loads(line))
                    if reports[k][-1] == ['paused']:
                        break
                self.assertEqual(reports[k][-1], ['paused'], reports[k])
            victim = servers[1]
            victim.kill()
            for w in writers:
                w.stdin.write('go\n')
                w.stdin.flush()
            for k, w in enumerate(writers):
                out, _ = w.communicate(timeout=60)
                reports[k] += [json.loads(line) for line in out.splitlines()]
            # The victim's writer failed, naming its shard; what it had
            # committed before is kept, what it had not is gone.
            failed = [r for r in reports[1] if r[0] == 'failed']
            self.assertTrue(failed, reports[1])
            self.assertEqual(failed[0][1], 'StorageError', failed)
            self.assertIn(victim.address, failed[0][2], failed)
            self.assertEqual(writers[1].returncode, 3)
            for k in (0, 2):
                # The others stop at the first document whose placement needs
                # the lost shard, and keep (commit) everything they indexed.
                for r in reports[k]:
                    if r[0] == 'failed':
                        self.assertEqual(r[1], 'StorageError', r)
                        self.assertIn(victim.address, r[2], r)
                        self.assertEqual(int(r[3]), 0, r)  # nothing they had pending was discarded
                self.assertNotIn('failed', [r[0] for r in reports[k]][-1:], reports[k])
            texts = dict(run)
            for k in range(3):
                for r in reports[k]:
                    if r[0] == 'committed':
                        for d in r[1:]:
                            state[d] = texts[d]
            victim.start()  # the same port, the same directory
            self.assertEqual(victim.address, servers[1].address)
            with zhfts.Database(stub, remote_timeout=10) as db:
                self.assertEqual(sorted(d for d, _ in db.documents()), sorted(state))
                for d, text in state.items():
                    got = [h.text for h in db.paragraphs(d)]
                    want = [p.text for p in split_paragraphs(d, text, {})]
                    self.assertEqual(got, want, d)
                committed_on_victim = [d for d in state if db.shard_of(d) == 1]
                self.assertGreaterEqual(len(committed_on_victim), 6)
                for d in committed_on_victim:
                    self.assertEqual(len(db.search('doc:%s' % d, limit=None)), len(split_paragraphs(d, state[d], {})))
        finally:
            for w in writers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
            for s in servers:
                s.kill()


# ---- locks, settings, failures ----------------------------------------------------------

class FailureTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=F.tmp)
        self.servers = [Server(os.path.join(self.tmp, 'r%d' % k), self.tmp).start() for k in range(3)]
        self.stub = write_stub(os.path.join(self.tmp, 'mixed.stub'),
                               [('remote', self.servers[0].address), ('remote', self.servers[1].address),
                                ('auto', 'local')])
        with zhfts.Database(self.stub, writable=True, termlist=True) as db:
            for d in sorted(F.docs)[:40]:
                db.index(d, F.docs[d][0], fields=F.docs[d][1])
        self.ref = os.path.join(self.tmp, 'ref')
        with zhfts.Database(self.ref, writable=True, termlist=True) as db:
            for d in sorted(F.docs)[:40]:
                db.index(d, F.docs[d][0], fields=F.docs[d][1])
        with zhfts.Database(self.stub) as db:
            self.shard = {d: db.shard_of(d) for d in F.docs}
        self.files = os.path.join(self.tmp, 'files')
        os.mkdir(self.files)
        for d in sorted(F.docs)[40:44]:
            with open(os.path.join(self.files, d.replace('/', '-')), 'w', encoding='utf-8') as f:
                f.write(F.docs[d][0])

    def tearDown(self):
        for s in self.servers:
            if s.proc:
                try:
                    s.signal(signal.SIGCONT)
                except ProcessLookupError:
                    pass
            s.kill()

    def assertFailsFast(self, fn, exc, names, bound, *texts):
        t = time.monotonic()
        with self.assertRaises(exc) as cm:
            fn()
        took = time.monotonic() - t
        self.assertLess(took, bound + SLACK, str(cm.exception))
        self.assertIn(names, str(cm.exception))
        for text in texts:
            self.assertIn(text, str(cm.exception).lower())
        return cm.exception, took

    def test_second_writer_is_locked_out(self):
        with zhfts.Database(self.stub, writable=True, write_shard=1) as w1:
            w1.index(next(d for d in F.docs if self.shard[d] == 0), 'one writer per shard')
            remote = self.servers[0].address
            self.assertFailsFast(lambda: zhfts.Database(self.stub, writable=True), zhfts.LockedError, remote, 0)
            e, took = self.assertFailsFast(
                lambda: zhfts.Database(self.stub, writable=True, write_shard=1, lock_timeout=0.3),
                zhfts.LockedError, remote, 0.3, 'locked')
            self.assertGreaterEqual(took, 0.3)  # it waited for the lock, as for a local one
            # Writers of other shards go ahead at the same time.
            with zhfts.Database(self.stub, writable=True, write_shard=3) as w3:
                with self.assertRaises(zhfts.LockedError) as cm:
                    zhfts.Database(self.stub, writable=True, write_shard=3)
                self.assertIn(os.path.join(self.tmp, 'local'), str(cm.exception))
                # A document of another shard is refused, naming its shard.
                other = next(d for d in F.docs if w3.shard_of(d) == 1)
                with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                    w3.index(other, '不是这个分片的文档')
                self.assertIn('shard 2 (%s)' % self.servers[1].address, str(cm.exception))
                self.assertIn('write_shard 3', str(cm.exception))
            status, _, err = run_cli('index', '--quiet', '--db', self.stub, self.files)
            self.assertEqual(status, 2)
            self.assertIn('locked', err)
        # The lock goes with its writer.
        zhfts.Database(self.stub, writable=True, write_shard=1).close()

    def test_down_shard_fails_open_search_and_index(self):
        victim = self.servers[1]
        reader = zhfts.Database(self.stub, remote_timeout=TIMEOUT)
        writer = zhfts.Database(self.stub, writable=True, remote_timeout=TIMEOUT)
        victim.kill()
        addr = victim.address
        for shard in (None, 2):  # (the writer above holds the first shard)
            self.assertFailsFast(lambda: zhfts.Database(self.stub, writable=shard is not None, write_shard=shard,
                                                        remote_timeout=TIMEOUT),
                                 zhfts.StorageError, addr, 0, 'refused')
        # Handles opened before: a search fails, naming the shard, and never
        # answers from the shards that are left.
        for q in ('发展', '"科学城"', 'district:海淀区', '建设 -城市'):
            self.assertFailsFast(lambda: reader.search(q, facets=['year']), zhfts.StorageError, addr, TIMEOUT)
            self.assertFailsFast(lambda: reader.count(q), zhfts.StorageError, addr, TIMEOUT)
        for d in (next(d for d in F.docs if self.shard[d] == k) for k in (1, 0)):
            self.assertFailsFast(lambda: writer.index(d, '写不进去'), zhfts.StorageError, addr, TIMEOUT)
        try:
            writer.close()  # its connection to the shard died with the server
        except zhfts.Error:
            pass
        # While it is down, reopening says so; once it is back, reopening
        # connects again and every document is there.
        self.assertFailsFast(reader.reopen, zhfts.StorageError, addr, TIMEOUT, 'refused')
        for args in (('search', '--db', self.stub, '--timeout', str(TIMEOUT), '发展'),
                     ('stats', '--db', self.stub),
                     ('index', '--db', self.stub, '--timeout', str(TIMEOUT), '--quiet', self.files)):
            t = time.monotonic()
            status, out, err = run_cli(*args)
            self.assertEqual(status, 2, (args, out, err))
            self.assertIn(addr, err)
            self.assertLess(time.monotonic() - t, TIMEOUT + SLACK)
        victim.start()
        reader.reopen()
        with zhfts.Database(self.ref) as ref:
            for q in ('发展', '"科学城"', 'district:海淀区', '建设 -城市'):
                self.assertEqual([hit_key(h) for h in reader.search(q, limit=None)],
                                 [hit_key(h) for h in ref.search(q, limit=None)])
        reader.close()

    def test_stopped_shard_times_out(self):
        victim = self.servers[0]
        reader = zhfts.Database(self.stub, remote_timeout=TIMEOUT)
        with zhfts.Database(self.ref) as ref:
            want = [hit_key(h) for h in ref.search('发展', limit=None)]
        self.assertEqual([hit_key(h) for h in reader.search('发展', limit=None)], want)
        victim.signal(signal.SIGSTOP)
        addr = victim.address
        # The kernel still accepts connections; nothing answers them.
        self.assertFailsFast(lambda: zhfts.Database(self.stub, remote_timeout=TIMEOUT), zhfts.StorageError,
                             addr, TIMEOUT, 'timed out')
        self.assertFailsFast(lambda: zhfts.Database(self.stub, writable=True, remote_timeout=TIMEOUT),
                             zhfts.StorageError, addr, TIMEOUT, 'timed out')
        self.assertFailsFast(lambda: reader.search('发展', limit=None), zhfts.StorageError, addr, TIMEOUT)
        # The handle's connections are spent; later calls fail at once and
        # still name the shards.
        self.assertFailsFast(lambda: reader.search('发展'), zhfts.StorageError, addr, TIMEOUT)
        t = time.monotonic()
        status, _, err = run_cli('search', '--db', self.stub, '--timeout', str(TIMEOUT), '发展')
        self.assertEqual(status, 2)
        self.assertIn(addr, err)
        self.assertLess(time.monotonic() - t, TIMEOUT + SLACK)
        victim.signal(signal.SIGCONT)
        reader.reopen()
        self.assertEqual([hit_key(h) for h in reader.search('发展', limit=None)], want)
        reader.close()

    def test_idle_connection_dropped_by_the_server(self):
        # xapian-tcpsrv closes a connection idle for --idle-timeout (60 s by
        # default): the next call fails naming the shard, and a reader's
        # reopen connects again.
        d = os.path.join(self.tmp, 'idle')
        server = Server(d, self.tmp, options=['--idle-timeout', '300']).start()
        self.servers.append(server)
        stub = write_stub(os.path.join(self.tmp, 'idle.stub'), [('remote', server.address)])
        with zhfts.Database(stub, writable=True) as db:
            db.index('idle.txt', '空闲的连接被服务器关闭')
        reader = zhfts.Database(stub)
        self.assertEqual(len(reader.search('空闲')), 1)
        time.sleep(0.6)
        self.assertFailsFast(lambda: reader.search('空闲'), zhfts.StorageError, server.address, TIMEOUT)
        reader.reopen()
        self.assertEqual(len(reader.search('空闲')), 1)
        reader.close()

    def test_shard_with_other_settings_is_refused(self):
        odd = os.path.join(self.tmp, 'odd')
        with zhfts.Database(odd, writable=True, termlist=True, traditional=False) as db:
            db.index('odd.txt', '另一种设置的分片')
        server = Server(odd, self.tmp).start()
        self.servers.append(server)
        stub = write_stub(os.path.join(self.tmp, 'odd.stub'),
                          [('remote', self.servers[0].address), ('remote', server.address)])
        for writable in (False, True):
            with self.assertRaises(zhfts.SettingsError) as cm:
                zhfts.Database(stub, writable=writable)
            self.assertIn(server.address, str(cm.exception))
            self.assertIn(self.servers[0].address, str(cm.exception))
        status, _, err = run_cli('search', '--db', stub, '分片')
        self.assertEqual(status, 2)
        self.assertIn(server.address, err)
        # A database without the termlist table cannot be served: a writable
        # server will not start, and a read-only one is refused by zhfts.
        plain = os.path.join(self.tmp, 'plain')
        with zhfts.Database(plain, writable=True) as db:
            db.index('plain.txt', '没有词表的分片')
        p = subprocess.run(['xapian-tcpsrv', '--writable', '--interface', '127.0.0.1', '--port', str(free_port()),
                            plain], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
                           preexec_fn=_die_with_parent)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b'termlist', p.stdout)
        server2 = Server(plain, self.tmp, writable=False).start()
        self.servers.append(server2)
        stub2 = write_stub(os.path.join(self.tmp, 'plain.stub'), [('remote', server2.address)])
        with self.assertRaises(zhfts.Error) as cm:
            zhfts.Database(stub2)
        self.assertIn(server2.address, str(cm.exception))
        self.assertIn('termlist', str(cm.exception))


# ---- split and merge, the CLI ------------------------------------------------------------

class SplitMergeTest(unittest.TestCase, Differential):
    def test_split_serve_and_merge_back(self):
        tmp = tempfile.mkdtemp(dir=F.tmp)
        out = os.path.join(tmp, 'split')
        status, stdout, err = run_cli('shard', 'split', '--termlist', F.ref, 3, out)
        self.assertEqual(status, 0, err)
        local_stub = os.path.join(out, 'shards.stub')
        with zhfts.Database(local_stub) as s:
            self.assertEqual(len(s.shards()), 3)
            for k in range(3):
                with zhfts.Database(os.path.join(out, 'shard-%d' % (k + 1))) as part:
                    for d, _ in part.documents():
                        self.assertEqual(s.shard_of(d), k, d)  # where a stub of them puts it
        server = Server(os.path.join(out, 'shard-2'), tmp).start()
        try:
            served = write_stub(os.path.join(out, 'served.stub'),
                                [('auto', 'shard-1'), ('remote', server.address), ('auto', 'shard-3')])
            queries = F.queries[1::2]
            with zhfts.Database(F.ref) as ref:
                for stub in (local_stub, served):
                    with zhfts.Database(stub) as s:
                        self.assertSameAnswers(s, ref, queries, 'split %s' % os.path.basename(stub))
                merged = os.path.join(tmp, 'merged')
                status, _, err = run_cli('shard', 'merge', local_stub, merged)
                self.assertEqual(status, 0, err)
                with zhfts.Database(merged) as m:
                    self.assertEqual(m.documents(), ref.documents())
                    self.assertSameAnswers(m, ref, queries, 'merged')
                # A backup of a served shard, taken while it is served, and
                # served in its place: the same answers.
                backup = os.path.join(tmp, 'backup-shard-2')
                p = subprocess.run(['xapian-compact', '--no-renumber', os.path.join(out, 'shard-2'), backup],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                self.assertEqual(p.returncode, 0, p.stdout)
                server.kill()
                server.dir = backup
                server.start()
                with zhfts.Database(served) as s:
                    self.assertSameAnswers(s, ref, queries[::3], 'restored from a backup')
                # A remote shard is not merged: say so rather than merge part of it.
                status, _, err = run_cli('shard', 'merge', served, os.path.join(tmp, 'merged2'))
                self.assertEqual(status, 2)
                self.assertIn(server.address, err)
                self.assertFalse(os.path.exists(os.path.join(tmp, 'merged2')))
        finally:
            server.kill()


class CliTest(unittest.TestCase):
    def test_init_index_stats_search(self):
        tmp = tempfile.mkdtemp(dir=F.tmp)
        servers = [Server(os.path.join(tmp, 'r%d' % k), tmp).start() for k in range(2)]
        try:
            files = os.path.join(tmp, 'files')
            for d in sorted(F.docs)[:50]:
                path = os.path.join(files, d)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(F.docs[d][0])
            stub = os.path.join(tmp, 'cli.stub')
            status, out, err = run_cli('shard', 'init', '--termlist', stub, servers[0].address,
                                       os.path.join(tmp, 'local'), servers[1].address)
            self.assertEqual(status, 0, err)
            with open(stub) as f:
                lines = [l.split() for l in f if not l.startswith('#')]
            self.assertEqual(lines, [['remote', servers[0].address], ['auto', os.path.join(tmp, 'local')],
                                     ['remote', servers[1].address]])
            status, out, err = run_cli('index', '--db', stub, '--jobs', 3, files)
            self.assertEqual(status, 0, err)
            self.assertIn('indexed 50 documents', out)
            ref = os.path.join(tmp, 'ref')
            status, out, err = run_cli('index', '--quiet', '--db', ref, files)
            self.assertEqual(status, 0, err)
            status, out, err = run_cli('stats', '--db', stub)
            self.assertEqual(status, 0, err)
            self.assertRegex(out, r'documents\s+50\n')
            self.assertRegex(out, r'shards\s+3\n')
            rows = [l.split() for l in out.splitlines() if re.match(r'\s+[123]\s', l)]
            self.assertEqual([r[-1] for r in rows], [servers[0].address, os.path.join(tmp, 'local'),
                                                     servers[1].address])
            self.assertEqual(sum(int(r[1]) for r in rows), 50)
            # Each document is on the shard its id hashes to (FNV-1a, 64
            # bits, modulo the shards), computed here: the ids are paths
            # under a temporary directory, so how many land where varies.
            for k, (kind, where) in enumerate([('remote', servers[0].address), ('auto', os.path.join(tmp, 'local')),
                                               ('remote', servers[1].address)]):
                one = write_stub(os.path.join(tmp, 'one-%d.stub' % k), [(kind, where)])
                with zhfts.Database(one) as db:
                    ids = [d for d, _ in db.documents()]
                self.assertEqual(len(ids), int(rows[k][1]), (k, rows))
                self.assertEqual([d for d in ids if fnv1a64(d.encode('utf-8')) % 3 != k], [], k)
            for q in ('发展', '"科学城"', '建设 OR 改革', 'linux', '城市 -学校', 'section:任务'):
                for extra in ((), ('--offset', '5'), ('--all',), ('--sort', 'doc'), ('--facet', 'doc')):
                    got = run_cli('search', '--db', stub, '--format', 'json', q, *extra)
                    want = run_cli('search', '--db', ref, '--format', 'json', q, *extra)
                    self.assertEqual(got[0], want[0], (q, extra, got[2]))
                    self.assertEqual(got[1], want[1], (q, extra))
                    self.assertTrue(want[1], (q, extra))
            # Indexing the same files again through the stub: one writer per
            # shard again, each file replaced on the shard it is on.
            status, out, err = run_cli('index', '--db', stub, '--jobs', 3, files)
            self.assertEqual(status, 0, err)
            status, out, err = run_cli('stats', '--db', stub)
            self.assertRegex(out, r'documents\s+50\n')
        finally:
            for s in servers:
                s.kill()


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    CLI = os.path.abspath(sys.argv[1])
    if not shutil.which('xapian-tcpsrv'):
        print('xapian-tcpsrv not installed (Debian: xapian-tools): skipped')
        sys.exit(77)
    try:
        prog = unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2, exit=False)
        print('seed %d; %d score comparisons equal only within the rounding of the sum (see Score)'
              % (SEED, Score.near))
    finally:
        _stop_all()
    sys.exit(0 if prog.result.wasSuccessful() else 1)
