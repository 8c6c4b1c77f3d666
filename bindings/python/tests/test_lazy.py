"""Lazy snippets and spans, Query objects, and what happens to hits when
their database goes away.

Snippets and spans are computed by zhfts_results_snippet() and
zhfts_results_spans() when a hit's .snippet or .spans is first read; they
must equal what the eager zhfts_db_search() gives for the same hits
(called here through ctypes directly), and the character spans must slice
the Python strings (astral characters included) where an independent
substring search finds the keywords."""

import ctypes
import gc
import threading
import unittest

import zhfts
from zhfts import _capi
from support import TOWN, SENTENCES, covered, read_sample, span_chars
from test_unicode import ASTRAL, FULLWIDTH, TRADITIONAL

QUERIES = ['茶叶', '发展 OR 卫生院', '"科学城北"', '科学城北新建', 'ai', 'ＡＩ 卫生室', '𠮷田',
           '茶叶 -合作社', '发展 section:任务', '经济']


class Calls:
    """Counts calls of some library functions (by wrapping them)."""

    def __init__(self, *names):
        self.names = names
        self.calls = {n: [] for n in names}

    def __enter__(self):
        self.saved = {}
        for name in self.names:
            self.saved[name] = orig = getattr(_capi.lib, name)

            def wrapper(*args, orig=orig, name=name):
                self.calls[name].append(args)
                return orig(*args)
            setattr(_capi.lib, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name, orig in self.saved.items():
            setattr(_capi.lib, name, orig)

    def count(self, name):
        return len(self.calls[name])


def eager(db, query, marks=(b'[', b']'), context=0, **opts):
    """[(doc, para, snippet, byte spans)] from zhfts_db_search()."""
    lib = _capi.lib
    q = query.encode('utf-8')
    o = _capi.SearchOptions(version=_capi.SearchOptions.VERSION, mark_open=marks[0],
                            mark_close=marks[1], snippet_chars=context, **opts)
    res = ctypes.c_void_p()
    with db._lock:
        status = lib.zhfts_db_search(db._handle, q, len(q), ctypes.byref(o), ctypes.byref(res))
        assert status == 0, lib.zhfts_db_errmsg(db._handle)
        try:
            out = []
            for i in range(lib.zhfts_results_count(res)):
                h = lib.zhfts_results_hit(res, i).contents
                spans = tuple((h.spans[k].offset, h.spans[k].offset + h.spans[k].length)
                              for k in range(h.nspans if h.spans else 0))
                out.append((ctypes.string_at(h.doc).decode(), h.para,
                            ctypes.string_at(h.snippet).decode('utf-8', 'replace'), spans))
            return out
        finally:
            lib.zhfts_results_free(res)


class LazyTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = zhfts.Database(None)
        cls.docs = {'town': TOWN, 'astral': ASTRAL + '\n\n' + ASTRAL[::-1],
                    'wide': FULLWIDTH, 'trad': TRADITIONAL}
        sample = read_sample()
        if sample is not None:
            cls.docs['sample'] = sample
        for i, s in enumerate(SENTENCES):
            cls.docs['s%d' % i] = s * (i + 1)
        for doc, text in cls.docs.items():
            cls.db.index(doc, text)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()


class TestLazySnippets(LazyTestCase):
    def test_same_as_eager_search(self):
        for query in QUERIES:
            for marks, context in [(('[', ']'), None), (('<b>', '</b>'), 5), (('«', '»'), 80)]:
                with self.subTest(query=query, marks=marks, context=context):
                    want = eager(self.db, query, tuple(m.encode() for m in marks), context or 0,
                                 limit=_capi.SIZE_MAX)
                    hits = self.db.search(query, limit=None, marks=marks, context=context)
                    self.assertEqual([(h.doc, h.para, h.snippet, h.byte_spans) for h in hits], want)
                    self.assertTrue(want)

    def test_make_snippet_other_marks(self):
        hits = self.db.search('发展 OR 卫生院', limit=None)
        want = eager(self.db, '发展 OR 卫生院', (b'<', b'>'), 12, limit=_capi.SIZE_MAX)
        self.assertEqual([h.make_snippet(('<', '>'), 12) for h in hits], [w[2] for w in want])
        self.assertEqual([h.snippet for h in hits],
                         [w[2] for w in eager(self.db, '发展 OR 卫生院', limit=_capi.SIZE_MAX)])

    def test_same_as_eager_with_paging_and_sort(self):
        for offset in (0, 3, 7):
            with self.subTest(offset=offset):
                want = eager(self.db, '发展', offset=offset, limit=4, sort=b'doc')
                hits = self.db.search('发展', limit=4, offset=offset, sort='doc')
                self.assertEqual([(h.doc, h.para, h.snippet, h.byte_spans) for h in hits], want)

    def test_computed_only_when_read_and_once(self):
        with Calls('zhfts_results_snippet', 'zhfts_results_spans', 'zhfts_db_search',
                   'zhfts_query_search') as calls:
            hits = self.db.search('发展', limit=None)
            self.assertGreater(len(hits), 3)
            self.assertEqual(calls.count('zhfts_results_snippet'), 0)
            self.assertEqual(calls.count('zhfts_results_spans'), 0)
            self.assertEqual(calls.count('zhfts_db_search'), 0)
            self.assertEqual(calls.count('zhfts_query_search'), 1)
            hits[2].snippet
            hits[2].snippet
            self.assertEqual(calls.count('zhfts_results_snippet'), 1)
            self.assertEqual([args[1] for args in calls.calls['zhfts_results_snippet']], [2])
            hits[1].spans
            hits[1].byte_spans
            hits[1].matches
            self.assertEqual(calls.count('zhfts_results_spans'), 1)

    def test_character_spans_slice_the_text(self):
        for query, keywords in [('发展', ['发展']), ('𠮷田', ['𠮷田']), ('茶叶 合作社', ['茶叶', '合作社']),
                                ('ai', ['ai']), ('科学城', ['科学城'])]:
            hits = self.db.search(query, limit=None)
            self.assertTrue(hits, query)
            for h in hits:
                with self.subTest(query=query, doc=h.doc, para=h.para):
                    data = h.text.encode('utf-8')
                    self.assertEqual(len(h.spans), len(h.byte_spans))
                    for (cs, ce), (bs, be) in zip(h.spans, h.byte_spans):
                        self.assertEqual(h.text[cs:ce], data[bs:be].decode('utf-8'))
                    self.assertEqual(span_chars(h.text, h.spans), covered(h.text, keywords))
        astral = [h for h in self.db.search('发展', limit=None) if h.doc == 'astral']
        self.assertTrue(astral)
        for h in astral:  # the astral characters are before the matches
            self.assertNotEqual(h.spans, h.byte_spans)

    def test_paragraphs_have_no_matches(self):
        for h in self.db.paragraphs('town'):
            self.assertEqual((h.snippet, h.spans, h.byte_spans, h.matches), ('', (), (), ()))
            self.assertEqual(h.make_snippet(), '')
            self.assertEqual(h.score, 0.0)

    def test_threads_read_lazily(self):
        hits = self.db.search('发展 OR 茶叶', limit=None)
        want = [w[2] for w in eager(self.db, '发展 OR 茶叶', limit=_capi.SIZE_MAX)]
        again = self.db.search('发展 OR 茶叶', limit=None)
        failures, seen = [], {}

        def worker(k):
            try:
                for i in range(len(again) - 1, -1, -1) if k % 2 else range(len(again)):
                    seen[(k, i)] = again[i].snippet
                    self.db.search('卫生院')[0].spans
            except Exception as e:  # reported below
                failures.append(e)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual([h.snippet for h in again], want)
        self.assertEqual([h.snippet for h in hits], want)
        self.assertEqual({v for (k, i), v in seen.items()}, set(want))


class TestQuery(LazyTestCase):
    def test_query_runs_again(self):
        with self.db.query('发展 OR 卫生院') as q:
            every = q.search(limit=None)
            self.assertEqual(q.count(), len(every))
            self.assertEqual(list(q), list(every))
            self.assertEqual(list(q.iter(page_size=3)), list(every))
            self.assertEqual(q.search(limit=2, offset=3), every[3:5])
            self.assertEqual(q.explain(), self.db.explain('发展 OR 卫生院'))
            self.assertTrue(q.explain())
            self.assertEqual(q.text, '发展 OR 卫生院')
            self.assertTrue(q.alive)
            self.assertEqual(every, self.db.search('发展 OR 卫生院', limit=None))
        self.assertFalse(q.alive)
        with self.assertRaises(zhfts.InvalidArgumentError):
            q.search()
        q.close()  # twice is fine
        # hits outlive the query that found them
        self.assertEqual([h.snippet for h in every],
                         [w[2] for w in eager(self.db, '发展 OR 卫生院', limit=_capi.SIZE_MAX)])

    def test_iteration_pages_forward_on_one_query(self):
        """iter_search and iterating a Query parse once and ask for pages
        that each start where the previous ended (which is what lets the
        library go on without checking earlier candidates again)."""
        every = self.db.search('科学城', limit=None)  # a checked run: see explain()
        self.assertIn('checked against the text', self.db.explain('科学城'))
        self.assertGreater(len(every), 5)
        for run in (lambda: list(self.db.iter_search('科学城', page_size=2)),
                    lambda: list(self.db.query('科学城').iter(page_size=2))):
            with Calls('zhfts_query_new', 'zhfts_query_search', 'zhfts_db_search') as calls:
                got = run()
            self.assertEqual(got, list(every))
            self.assertEqual(calls.count('zhfts_query_new'), 1)
            self.assertEqual(calls.count('zhfts_db_search'), 0)
            queries = {args[0] for args in calls.calls['zhfts_query_search']}
            self.assertEqual(len(queries), 1)
            offsets = [args[1]._obj.offset for args in calls.calls['zhfts_query_search']]
            limits = [args[1]._obj.limit for args in calls.calls['zhfts_query_search']]
            self.assertEqual(offsets, list(range(0, 2 * len(offsets), 2)))
            self.assertEqual(set(limits), {2})
            self.assertGreaterEqual(len(offsets) * 2, len(every))

    def test_abandoned_iteration_frees_its_query(self):
        it = self.db.iter_search('发展', page_size=1)
        next(it)
        owned = dict(self.db._owned)
        self.assertIn('zhfts_query_free', owned.values())
        it.close()
        self.assertNotIn('zhfts_query_free', self.db._owned.values())

    def test_locate_is_every_hit_in_order(self):
        located = 0
        for text in QUERIES:
            for sort in (None, 'doc'):
                with self.subTest(query=text, sort=sort):
                    want = [(h.doc, h.para) for h in self.db.search(text, limit=None, sort=sort)]
                    self.assertEqual(self.db.locate(text, sort=sort), want)
                    located += len(want)
        self.assertGreater(located, 50)

    def test_closing_twice_frees_nothing_else(self):
        # The library may hand a freed object's address to the next one: a
        # second close (or the finalizer after close) must not free that one.
        for _ in range(20):
            q1 = self.db.query('茶叶')
            q1.close()
            q2 = self.db.query('发展')
            q1.close()
            del q1
            self.assertTrue(q2.alive)
            self.assertEqual([(h.doc, h.para) for h in q2.search(limit=None)],
                             [(h.doc, h.para) for h in self.db.search('发展', limit=None)])
            q2.close()

    def test_query_errors(self):
        with self.assertRaises(zhfts.QueryError) as cm:
            self.db.query('茶叶 (')
        self.assertEqual(cm.exception.position, len('茶叶 '.encode()))
        self.assertEqual(cm.exception.char_position, 3)
        with self.assertRaises(TypeError):
            self.db.query(None)


class TestAfterClose(unittest.TestCase):
    def make(self):
        db = zhfts.Database(None)
        db.index('a', TOWN)
        db.index('b', ASTRAL)
        return db

    def test_hits_outlive_their_database_safely(self):
        db = self.make()
        hits = db.search('发展', limit=None)
        read = hits[0].snippet, hits[0].spans
        query = db.query('茶叶')
        it = db.iter_search('发展', page_size=1)
        next(it)
        self.assertTrue(db._owned)
        db.close()
        self.assertEqual(db._owned, {})  # every results and query freed with it
        # what was read stays; the data of every hit too
        self.assertEqual((hits[0].snippet, hits[0].spans), read)
        self.assertTrue(all(h.text and h.doc for h in hits))
        for get in (lambda h: h.snippet, lambda h: h.spans, lambda h: h.byte_spans,
                    lambda h: h.matches, lambda h: h.make_snippet()):
            with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                get(hits[1])
            self.assertIn('closed', str(cm.exception))
        for call in (query.search, query.count, query.explain, lambda: next(it),
                     lambda: db.query('茶叶'), lambda: db.search('茶叶')):
            with self.assertRaises(zhfts.InvalidArgumentError):
                call()
        db.close()

    def test_copies(self):
        import copy
        import pickle
        db = self.make()
        hits = db.search('发展', limit=None, facets=['doc'])
        copied = pickle.loads(pickle.dumps(hits))
        self.assertEqual(copied, hits)
        self.assertEqual((copied.total, copied.facets, copied.query), (hits.total, hits.facets, '发展'))
        self.assertEqual([(h.snippet, h.spans) for h in copied], [(h.snippet, h.spans) for h in hits])
        late = db.search('茶叶', limit=None)
        late[0].spans
        db.close()
        self.assertEqual(copy.copy(late[0]).spans, late[0].spans)
        with self.assertRaises(zhfts.InvalidArgumentError):
            copy.deepcopy(late[1]).snippet
        self.assertEqual(pickle.loads(pickle.dumps(self.make().paragraphs('a')[0])).spans, ())

    def test_results_keep_the_database_alive(self):
        hits = self.make().search('发展', limit=None)
        gc.collect()
        # nothing else refers to the database: the hits keep it open
        self.assertTrue(hits[-1].snippet)
        self.assertFalse(hits[0]._results._db.closed)

    def test_cycles_collect_in_any_order(self):
        for _ in range(20):
            db = self.make()
            hits = db.search('发展', limit=None)
            q = db.query('茶叶')
            hits.me = hits       # cycles through the hits and the database
            db.hits = hits
            q.db_again = db
            del db, hits, q
            gc.collect()

    def test_reopen_and_writes_keep_hits_valid(self):
        db = self.make()
        hits = db.search('发展', limit=None)
        want = [(h.snippet, h.spans) for h in self.make().search('发展', limit=None)]
        db.index('a', '全新的文本')
        db.delete('b')
        db.commit()
        self.assertEqual([(h.snippet, h.spans) for h in hits], want)
        db.close()


if __name__ == '__main__':
    unittest.main()
