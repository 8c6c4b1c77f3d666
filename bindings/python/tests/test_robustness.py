"""No input crashes the process: random queries, documents, ids, fields,
sort keys, facets and bytes either work or raise zhfts.Error, and so does
any use of hits, queries and results after their database is closed
(fixed seeds, so failures reproduce)."""

import random
import unittest

import zhfts
from support import SENTENCES, TOWN, TempDatabase

PIECES = ['茶叶', '发展', '科学城', ' ', '  ', '"', '(', ')', 'OR', 'AND', 'NOT', '-', 'section:',
          'section:"', '任务 2', 'ＡＩ', 'ai', '5G', '\0', '\ufffd', '𠮷', '😀', '，', '\n', '\t',
          '發展', 'a' * 300, '(' * 120, '"' * 3, ':', '*', '\\', '\u200b', '\u0301', 'Ⅴ',
          'year:', 'year:2020', 'year:2019..', '..', '..2021', 'district:海淀区', 'district:"',
          'doc:', 'doc:s*', 'doc:town', 'nosuch:x', 'score:-1..1', '2020..abc', 'a:b:c', 'x' * 40 + ':']
FIELD_VALUES = ['2020', '２０２０', '-1.5', '海淀区', '海澱區', ' x ', '\u3000', 'a' * 1024, '𠮷', '\ufffd',
                '1e5', '0.000001', '99999999999999999999', 'NaN', '..', '"', '\n']
SORTS = [None, 'relevance', 'doc', 'year', '-year', 'district', '-score', 'nosuch', '-', '', '--year']
FACETS = [None, [], ['doc'], ['year', 'district'], ['nosuch'], ['doc', 'score', 'year'], ['']]


class TestRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = TempDatabase()
        cls.db = cls.temp.__enter__()
        cls.db.index('town', TOWN, fields={'year': '2020', 'district': '海淀区'})
        for i, s in enumerate(SENTENCES):
            cls.db.index('s%d' % i, s, fields={'year': str(2018 + i), 'score': str(i / 4)})

    @classmethod
    def tearDownClass(cls):
        cls.temp.__exit__(None, None, None)

    def test_random_queries(self):
        rng = random.Random(4)
        for _ in range(3000):
            q = ''.join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
            try:
                hits = self.db.search(q, limit=rng.choice([0, 1, 5, None]), offset=rng.choice([0, 1, 3]),
                                      sort=rng.choice(SORTS), facets=rng.choice(FACETS),
                                      facet_limit=rng.choice([None, 0, 1]),
                                      context=rng.choice([None, 0, 1, 500]))
            except zhfts.Error as e:
                self.assertTrue(e.message, q)
                if e.position is not None:
                    self.assertLessEqual(e.position, len(q.encode('utf-8')))
                    self.assertLessEqual(e.char_position, len(q))
                continue
            for h in hits:
                for s, e in h.spans:
                    self.assertTrue(0 <= s < e <= len(h.text), (q, h))
                self.assertIsInstance(h.snippet, str)
            for name, f in hits.facets.items():
                self.assertEqual(name, f.name)
                self.assertLessEqual(len(f), f.distinct)

    def test_random_fields(self):
        rng = random.Random(6)
        with TempDatabase() as db:
            for i in range(300):
                fields = {}
                for _ in range(rng.randint(0, 4)):
                    fields[rng.choice(['year', 'district', 'score', 'a', 'Bad', 'x' * 33, 'doc', 'z9'])] = \
                        rng.choice(FIELD_VALUES)
                try:
                    db.index('d%d' % (i % 50), rng.choice(SENTENCES), fields=fields,
                             guess=rng.random() < 0.5)
                except zhfts.Error as e:
                    self.assertEqual(e.status, -3, e)
                    self.assertTrue(e.field, e)
            db.commit()
            for q in ['year:2020', 'year:1..3000', 'score:..0', 'district:海淀区', 'a:..', 'z9:𠮷',
                      'year:NaN', 'score:1e5', 'a:"\n"']:
                try:
                    db.search(q, limit=None, sort=rng.choice(SORTS[:7]), facets=['doc'])
                except zhfts.Error as e:
                    self.assertIn(e.status, (-3, -5), e)

    def test_random_use_after_close(self):
        rng = random.Random(8)
        for _ in range(30):
            db = zhfts.Database(None)
            db.index('a', TOWN)
            hits = db.search('发展 OR 茶叶', limit=None)
            q = db.query('茶叶')
            it = db.iter_search('发展', page_size=1)
            for h in rng.sample(list(hits), rng.randint(0, len(hits))):
                h.snippet
            db.close()
            for h in hits:
                for get in (lambda: h.snippet, lambda: h.spans, lambda: h.make_snippet()):
                    try:
                        get()
                    except zhfts.InvalidArgumentError:
                        pass
            for call in (q.search, q.count, q.explain, lambda: next(it), lambda: list(q)):
                with self.assertRaises(zhfts.Error):
                    call()

    def test_random_bytes(self):
        rng = random.Random(5)
        alphabet = [b'\xff', b'\xe8', b'\x80', b'\0', b'\n\n', '茶叶'.encode(), '發展'.encode('big5'),
                    '卫生院'.encode('gb18030'), b'\xef\xbb\xbf', b'\xfe\xff', b'a']
        for i in range(300):
            data = b''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            for q in [data, data.decode('utf-8', 'replace')]:
                try:
                    self.db.search(q)
                except zhfts.Error:
                    pass
            try:
                zhfts.tokenize(data)
            except zhfts.Error:
                pass
            for encoding in [None, 'UTF-8', 'GB18030', 'UTF-16LE', 'BIG5']:
                for lenient in (False, True):
                    try:
                        self.db.index('r%d' % i, data, encoding=encoding, lenient=lenient)
                    except zhfts.Error:
                        pass
            try:
                self.db.index(data.decode('utf-8', 'replace').replace('\0', '') or 'x', '茶叶')
            except zhfts.Error:
                pass
        self.db.commit()
        self.assertGreater(self.db.stats().documents, 1)


if __name__ == '__main__':
    unittest.main()
