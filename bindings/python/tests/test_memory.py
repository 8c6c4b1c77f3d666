"""Every C object the binding creates is freed: an exact ledger of
constructors and destructors, and resident memory that does not grow when
indexing, searching and tokenizing in a loop."""

import ctypes
import gc
import os
import shutil
import tempfile
import unittest

import zhfts
from zhfts import _capi
from support import SENTENCES

PAGE = os.sysconf('SC_PAGE_SIZE')
WARM_UP = 40
ROUNDS = 120
# Each round creates results holding 30 paragraphs of ~2 KB with their
# snippets, spans and facets, a reused query, a tokenizer (~150 KB) and a
# second database handle whose results outlive it; leaking any of them every
# round costs more than this over ROUNDS rounds (test_rss_detects_a_leak
# shows it for the results).
TOLERANCE = 3 << 20


def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE


def document(i):
    # 10 paragraphs of about 2 KB, each with "段落" once
    return '\n\n'.join('本段落：' + ''.join(SENTENCES[(i + j + k) % len(SENTENCES)] for k in range(30))
                       for j in range(10))


class Ledger:
    """Replaces the library's constructors and destructors with wrappers that
    record which objects are alive (by address)."""

    # constructor: (kind, index of its `out` argument or None, index of an optional errmsg out)
    NEW = {
        'zhfts_db_open': ('db', 0, 4),
        'zhfts_tokenizer_new': ('tokenizer', 0, None),
        'zhfts_query_new': ('query', 0, None),
        'zhfts_query_search': ('results', 2, None),
        'zhfts_db_search': ('results', 4, None),
        'zhfts_db_get_document': ('results', 2, None),
        'zhfts_db_explain': ('string', 3, None),
        'zhfts_query_explain': ('string', 1, None),
        'zhfts_results_snippet': ('string', 3, None),
        'zhfts_db_merge': ('string', None, 3),
        'zhfts_db_compact': ('string', None, 1),
        'zhfts_db_split': ('string', None, 4),
    }
    FREE = {
        'zhfts_db_close': 'db',
        'zhfts_tokenizer_free': 'tokenizer',
        'zhfts_query_free': 'query',
        'zhfts_results_free': 'results',
        'zhfts_free': 'string',
    }
    KINDS = ('db', 'tokenizer', 'query', 'results', 'string')

    def __init__(self):
        self.live = {k: set() for k in self.KINDS}
        self.created = {k: 0 for k in self.KINDS}
        self.saved = {}

    @staticmethod
    def address(arg):
        return getattr(arg, 'value', arg)

    def __enter__(self):
        for name, (kind, out, errmsg) in self.NEW.items():
            self.saved[name] = orig = getattr(_capi.lib, name)

            def new(*args, orig=orig, kind=kind, out=out, errmsg=errmsg):
                status = orig(*args)
                p = args[out]._obj.value if out is not None else None
                if p:
                    self.live[kind].add(p)
                    self.created[kind] += 1
                if errmsg is not None and args[errmsg] is not None and args[errmsg]._obj.value:
                    self.live['string'].add(args[errmsg]._obj.value)
                    self.created['string'] += 1
                return status
            setattr(_capi.lib, name, new)
        for name, kind in self.FREE.items():
            self.saved[name] = orig = getattr(_capi.lib, name)

            def free(p, orig=orig, kind=kind):
                self.live[kind].discard(self.address(p))
                return orig(p)
            setattr(_capi.lib, name, free)
        return self

    def __exit__(self, *exc):
        for name, orig in self.saved.items():
            setattr(_capi.lib, name, orig)

    def empty(self):
        return {k: set() for k in self.KINDS}


class TestMemory(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='zhfts-py-')
        self.path = os.path.join(self.tmp, 'db')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_ledger_knows_every_constructor(self):
        """Every function that hands out an object (a void ** argument) is
        in the ledger, with a destructor for its kind."""
        pp = ctypes.POINTER(ctypes.c_void_p)
        handing_out = {name for name, (_, args) in _capi.PROTOTYPES.items() if pp in args}
        self.assertEqual(handing_out, set(Ledger.NEW))
        self.assertEqual({k for k, _, _ in Ledger.NEW.values()}, set(Ledger.FREE.values()))

    def test_ledger(self):
        missing = os.path.join(self.tmp, 'missing')
        with Ledger() as ledger:
            with zhfts.Database(self.path, writable=True) as db:
                db.index('a', '本段落：茶叶合作社\n\n新建卫生院', fields={'year': '2020'})
                db.index('b', '茶叶加工中心', fields={'year': '2021', 'type': 'plan'})
                db.commit()
                hits = db.search('茶叶', facets=['doc', 'year'], facet_limit=1)
                [(h.snippet, h.spans, h.make_snippet(('<', '>'), 3)) for h in hits]
                db.search('茶叶 OR 卫生院', limit=0, facets=['type'])
                db.paragraphs('a')
                db.explain('茶叶 OR 卫生院')
                with db.query('茶叶') as q:
                    q.search(limit=1)[0].snippet
                    q.search(limit=1, offset=1)
                    q.count()
                    q.explain()
                db.query('卫生院').search()  # never closed: freed when collected
                open_query = db.query('茶叶')  # still open when the database closes
                list(db.iter_search('茶叶', page_size=1))
                next(db.iter_search('茶叶 OR 卫生院', page_size=1))  # abandoned generator
                for bad in ['(茶叶', '', '茶' * (1 << 20), 'nosuchfield:x']:
                    with self.assertRaises(zhfts.Error):
                        db.search(bad)
                for bad in [dict(sort='nosuchfield'), dict(facets=['nosuchfield'])]:
                    with self.assertRaises(zhfts.InvalidArgumentError):
                        db.search('茶叶', **bad)
                with self.assertRaises(zhfts.NotFoundError):
                    db.paragraphs('nothing')
                with self.assertRaises(zhfts.LockedError):
                    zhfts.Database(self.path, writable=True)
                with self.assertRaises(zhfts.EncodingError):
                    db.index('c', b'\xff', encoding='UTF-8')
                with self.assertRaises(zhfts.InvalidArgumentError):
                    db.index('c', '茶叶', fields={'Bad': 'x'})
                kept = db.search('茶叶 OR 卫生院', limit=None)  # outlives the database
                kept[0].snippet
            self.assertFalse(open_query.alive)
            with self.assertRaises(zhfts.InvalidArgumentError):
                kept[1].snippet
            del kept, open_query
            for _ in range(3):
                with self.assertRaises(zhfts.NotFoundError):
                    zhfts.Database(missing)
            zhfts.tokenize('茶叶合作社')
            with self.assertRaises(zhfts.EncodingError):
                zhfts.tokenize(b'\xff')
            with zhfts.Tokenizer() as tok:
                tok.tokenize('茶叶')
            zhfts.Database(self.path).search('茶叶')[0].snippet  # never closed: __del__ frees it
            zhfts.Tokenizer()
            # a cycle through a database and its hits
            db = zhfts.Database(self.path)
            hits = db.search('茶叶', limit=None)
            hits.db, db.hits = db, hits
            del db, hits
            zhfts.merge(os.path.join(self.tmp, 'merged'), [self.path])
            with self.assertRaises(zhfts.Error):
                zhfts.merge(os.path.join(self.tmp, 'merged'), [self.path])  # exists
            gc.collect()
        self.assertGreater(sum(ledger.created.values()), 30)
        for kind in Ledger.KINDS:
            self.assertGreater(ledger.created[kind], 0, kind)
        self.assertEqual(ledger.live, ledger.empty())

    def round(self, db, i):
        db.index('doc%d' % (i % 3), document(i),  # replaces: the database stays the same size
                 fields={'year': str(2018 + i % 5), 'type': 'plan' if i % 2 else 'report'})
        hits = db.search('段落', limit=30, facets=['doc', 'year', 'type'])
        assert len(hits) == 30 and hits.facets['doc'], (len(hits), hits.facets)
        for h in hits:  # snippets and spans made on demand, each hit
            assert h.snippet and h.spans
        hits[i % 30].make_snippet(('<b>', '</b>'), 10)
        with db.query('段落 year:2018..') as q:
            q.search(limit=5, sort='-year')
            q.search(limit=5, offset=5, sort='-year')
            q.count()
        zhfts.tokenize(SENTENCES[i % len(SENTENCES)] * 20)
        try:
            db.search('(茶叶')
        except zhfts.QueryError:
            pass
        try:
            zhfts.Database(os.path.join(self.tmp, 'missing'))
        except zhfts.NotFoundError:
            pass
        with zhfts.Database(self.path) as reader:
            reader.stats()
            kept = reader.search('段落', limit=10)  # outlives the reader: freed by its close
        kept[0].text
        if i % 20 == 0:
            db.commit()

    def growth(self):
        with zhfts.Database(self.path, writable=True, sync=False) as db:
            for i in range(3):
                db.index('doc%d' % i, document(i))
            db.commit()
            for i in range(WARM_UP):  # caches, allocator pools
                self.round(db, i)
            db.commit()
            gc.collect()
            before = rss()
            for i in range(ROUNDS):
                self.round(db, i)
            db.commit()
            gc.collect()
            return rss() - before

    @unittest.skipIf(os.environ.get('ZHFTS_SANITIZED'), 'sanitizer allocators keep freed memory')
    def test_rss_does_not_grow(self):
        grew = self.growth()
        self.assertLess(grew, TOLERANCE, 'RSS grew by %d bytes over %d rounds' % (grew, ROUNDS))

    @unittest.skipIf(os.environ.get('ZHFTS_SANITIZED'), 'sanitizer allocators keep freed memory')
    def test_rss_detects_a_leak(self):
        """The measurement can see a leak: the same loop with results_free
        disabled grows beyond the tolerance."""
        free = _capi.lib.zhfts_results_free
        _capi.lib.zhfts_results_free = lambda res: None
        try:
            grew = self.growth()
        finally:
            _capi.lib.zhfts_results_free = free
        self.assertGreater(grew, TOLERANCE)


if __name__ == '__main__':
    unittest.main()
