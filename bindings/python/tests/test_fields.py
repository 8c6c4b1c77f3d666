"""Document fields through the Python API: filters (NAME:VALUE, ranges,
doc:), sorting and facets over generated documents, checked against plain
Python over the same generated fields and texts (support.py), and the title
and date guessed from a document's first lines."""

import random
import unittest

import zhfts
from support import (SENTENCES, TOWN, containing, facet, field_in_range, field_key, field_norm,
                     guess_date, guess_title, paragraphs)

# Raw values as a caller might give them: Traditional, full-width and
# upper-case spellings of the same normalized value.
DISTRICTS = ['海淀区', '海澱區', '朝阳区', '朝陽區', '云溪镇', 'ＡＢ区', 'ab区']
TYPES = ['Plan', 'PLAN', 'plan', 'Report', 'notice']
YEARS = ['2018', '2019', '2020', '２０２１', '2022', ' 2020 ']
SCORES = ['0.5', '1.25', '10', '-3', '2.0', '2', '+7', '0.125']
EXTRA = ['茶叶合作社带动农户增收。', '科学城北新建实验学校一所。', '发展社区养老服务。']


def make_corpus(seed=7, n=36):
    rng = random.Random(seed)
    docs = {}
    for i in range(n):
        doc_id = ('plan/%02d.txt' if i % 4 == 0 else 'r/%02d.txt') % i
        fields = {}
        for name, pool, share in [('district', DISTRICTS, 0.9), ('type', TYPES, 0.8),
                                  ('year', YEARS, 0.75), ('score', SCORES, 0.6)]:
            if rng.random() < share:
                fields[name] = rng.choice(pool)
        if rng.random() < 0.7:
            fields['date'] = '%04d-%02d-%02d' % (rng.choice([2019, 2020, 2021]), rng.randint(1, 12),
                                                 rng.randint(1, 28))
        paras = []
        for _ in range(rng.randint(1, 4)):
            paras.append(''.join(rng.sample(SENTENCES + EXTRA, rng.randint(1, 3))))
        docs[doc_id] = (fields, '\n\n'.join(paras) + '\n')
    return docs


class FieldsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = make_corpus()
        cls.db = zhfts.Database(None)
        cls.paras = {}
        for doc_id, (fields, text) in cls.docs.items():
            info = cls.db.index(doc_id, text, fields=fields, guess=False)
            cls.paras[doc_id] = paragraphs(text)
            assert info.paragraphs == len(cls.paras[doc_id])

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    # -- the independent side --------------------------------------------------
    def every(self):
        return {(d, p.number) for d, ps in self.paras.items() for p in ps}

    def kw(self, keyword):
        return {(d, n) for d, ps in self.paras.items() for n in containing(ps, keyword)}

    def where(self, pred):
        """Paragraphs of the documents whose fields satisfy pred(fields)."""
        return {(d, n) for d, n in self.every() if pred(self.docs[d][0])}

    def eq(self, name, value):
        return self.where(lambda f: name in f and field_norm(f[name]) == field_norm(value))

    def rng(self, name, lo, hi):
        return self.where(lambda f: field_in_range(f.get(name), lo, hi))

    def found(self, query, **kw):
        return {(h.doc, h.para) for h in self.db.search(query, limit=None, **kw)}


class TestFields(FieldsTestCase):
    def test_hits_carry_the_fields_as_given(self):
        hits = self.db.search('doc:r/*', limit=None)
        self.assertTrue(hits)
        for h in hits:
            self.assertEqual(h.fields, self.docs[h.doc][0])
        for doc_id, (fields, _) in self.docs.items():
            for h in self.db.paragraphs(doc_id):
                self.assertEqual(h.fields, fields)

    def test_equality_filters(self):
        cases = {
            'district:海淀区': self.eq('district', '海淀区'),
            'district:海澱區': self.eq('district', '海淀区'),
            'district:"朝阳区"': self.eq('district', '朝阳区'),
            'district:AB区': self.eq('district', 'ab区'),
            'type:plan': self.eq('type', 'plan'),
            'type:PLAN': self.eq('type', 'plan'),
            'year:2021': self.eq('year', '2021'),
            'year:2020': self.eq('year', '2020'),
            'score:2': self.eq('score', '2'),      # "2.0" is another text
            'score:2.0': self.eq('score', '2.0'),
            'score:"-3"': self.eq('score', '-3'),
            'type:nothing': set(),
        }
        for query, expected in cases.items():
            with self.subTest(query=query):
                self.assertEqual(self.found(query), expected)
        self.assertTrue(all(cases[q] for q in ['district:海淀区', 'district:AB区', 'type:plan',
                                               'year:2021', 'score:2']))
        self.assertNotEqual(cases['score:2'], cases['score:2.0'])

    def test_ranges(self):
        cases = {
            'year:2019..2020': self.rng('year', '2019', '2020'),
            'year:2020..': self.rng('year', '2020', ''),
            'year:..2019': self.rng('year', '', '2019'),
            'score:..1.5': self.rng('score', '', '1.5'),
            'score:+1..9': self.rng('score', '1', '9'),
            'score:..-1': self.rng('score', '', '-1'),
            'score:..0': self.rng('score', '', '0'),
            'score:2..2': self.rng('score', '2', '2'),
            'date:2020-01-01..2020-06-30': self.rng('date', '2020-01-01', '2020-06-30'),
            'date:2021-01-01..': self.rng('date', '2021-01-01', ''),
            'district:a..b': self.rng('district', 'a', 'b'),
        }
        for query, expected in cases.items():
            with self.subTest(query=query):
                self.assertEqual(self.found(query), expected)
        self.assertTrue(all(cases.values()))
        # "2" and "2.0" are the same number
        self.assertEqual(cases['score:2..2'], self.eq('score', '2') | self.eq('score', '2.0'))

    def test_negative_numbers_and_operator_words_as_values(self):
        # a value starting with '-' is a value, not a negation
        self.assertEqual(self.found('score:-5..1.5'), self.rng('score', '-5', '1.5'))
        self.assertEqual(self.found('score:-3'), self.eq('score', '-3'))
        self.assertEqual(self.found('score:-3 -type:plan'), self.eq('score', '-3') - self.eq('type', 'plan'))
        self.assertTrue(self.eq('score', '-3') - self.eq('type', 'plan'))
        self.assertEqual(self.found('type:OR'), set())

    def test_doc_filters(self):
        self.assertEqual(self.found('doc:r/05.txt'), {k for k in self.every() if k[0] == 'r/05.txt'})
        self.assertEqual(self.found('doc:plan/*'), {k for k in self.every() if k[0].startswith('plan/')})
        self.assertEqual(self.found('doc:r/1*'), {k for k in self.every() if k[0].startswith('r/1')})
        self.assertEqual(self.found('doc:nothing'), set())

    def test_filters_combine_with_keywords_and_boolean(self):
        tea, clinic, grow = self.kw('茶叶'), self.kw('卫生院'), self.kw('发展')
        haidian, y19 = self.eq('district', '海淀区'), self.eq('year', '2019')
        cases = {
            '茶叶 district:海淀区': tea & haidian,
            '(茶叶 OR 卫生院) -year:2019': (tea | clinic) - y19,
            '发展 year:2019..2021 -district:朝阳区':
                grow & self.rng('year', '2019', '2021') - self.eq('district', '朝阳区'),
            'district:海淀区 OR type:notice': haidian | self.eq('type', 'notice'),
            'district:海淀区 NOT 茶叶': haidian - tea,
            '茶叶 doc:plan/*': tea & {k for k in self.every() if k[0].startswith('plan/')},
        }
        for query, expected in cases.items():
            with self.subTest(query=query):
                self.assertEqual(self.found(query), expected)
                self.assertEqual(self.db.count(query), len(expected))
        self.assertTrue(all(cases.values()))

    def test_filters_do_not_change_scores(self):
        plain = {(h.doc, h.para): h.score for h in self.db.search('茶叶', limit=None)}
        for h in self.db.search('茶叶 district:海淀区', limit=None):
            self.assertAlmostEqual(h.score, plain[(h.doc, h.para)], places=9)
        for h in self.db.search('district:海淀区', limit=None):
            self.assertEqual(h.score, 0.0)


class TestSort(FieldsTestCase):
    def doc_order(self, h):
        return (h.doc.encode('utf-8'), h.para)

    def relevance(self, h):
        return (-h.tier, -h.score) + self.doc_order(h)

    def expected_order(self, hits, name, descending):
        # relevance, then document order, break ties; a paragraph without
        # the field is the lowest (first ascending, last descending)
        ties = sorted(hits, key=self.relevance)
        return sorted(ties, key=lambda h: field_key(self.docs[h.doc][0].get(name)),
                      reverse=descending)

    def test_sort_by_field(self):
        for query in ['doc:*', '茶叶 OR 发展', '发展 -type:plan']:
            for name in ['year', 'score', 'district', 'date']:
                for descending in (False, True):
                    sort = ('-' if descending else '') + name
                    with self.subTest(query=query, sort=sort):
                        hits = self.db.search(query, limit=None, sort=sort)
                        want = self.expected_order(list(hits), name, descending)
                        self.assertEqual([(h.doc, h.para) for h in hits],
                                         [(h.doc, h.para) for h in want])
                        self.assertEqual(len(hits), len(self.found(query)))

    def test_missing_values_first_ascending_last_descending(self):
        hits = self.db.search('doc:*', limit=None, sort='score')
        has = [('score' in self.docs[h.doc][0]) for h in hits]
        self.assertIn(False, has)
        self.assertEqual(has, sorted(has))
        hits = self.db.search('doc:*', limit=None, sort='-score')
        has = [('score' in self.docs[h.doc][0]) for h in hits]
        self.assertEqual(has, sorted(has, reverse=True))

    def test_sort_doc_and_relevance(self):
        hits = self.db.search('茶叶 OR 发展', limit=None, sort='doc')
        self.assertEqual([self.doc_order(h) for h in hits], sorted(self.doc_order(h) for h in hits))
        for sort in (None, 'relevance'):
            hits = self.db.search('茶叶 OR 发展', limit=None, sort=sort)
            self.assertEqual(list(hits), sorted(hits, key=self.relevance))
            self.assertEqual({(h.doc, h.para) for h in hits}, self.kw('茶叶') | self.kw('发展'))

    def test_sorted_pages(self):
        every = self.db.search('doc:*', limit=None, sort='-year')
        pages = []
        for offset in range(0, len(every), 7):
            pages += self.db.search('doc:*', limit=7, offset=offset, sort='-year')
        self.assertEqual(pages, list(every))
        self.assertEqual(list(self.db.iter_search('doc:*', page_size=5, sort='-year')), list(every))

    def test_bad_sort(self):
        for bad in ['nosuchfield', '-nosuchfield', '-', 'doc,year']:
            with self.subTest(sort=bad):
                with self.assertRaises(zhfts.InvalidArgumentError):
                    self.db.search('茶叶', sort=bad)
        with self.assertRaises(TypeError):
            self.db.search('茶叶', sort=1)


class TestFacets(FieldsTestCase):
    def expected(self, keys, name):
        if name == 'doc':
            return facet(d for d, _ in keys)
        return facet(self.docs[d][0].get(name) for d, _ in keys)

    def test_facets_count_every_match(self):
        for query, keys in [('茶叶 OR 发展', self.kw('茶叶') | self.kw('发展')),
                            ('doc:*', self.every()),
                            ('发展 year:2019..', self.kw('发展') & self.rng('year', '2019', '')),
                            ('"科学城北新建"', self.kw('科学城北新建'))]:
            with self.subTest(query=query):
                names = ['district', 'year', 'type', 'score', 'doc']
                hits = self.db.search(query, limit=3, facets=names)
                self.assertEqual(list(hits.facets), names)  # in the order asked
                self.assertTrue(hits.exact)
                self.assertEqual(hits.total, len(keys))
                for name in names:
                    values, distinct = self.expected(keys, name)
                    got = hits.facets[name]
                    self.assertEqual(list(got), values, name)
                    self.assertEqual(got.distinct, distinct, name)
                    self.assertEqual(got.name, name)
                    self.assertEqual(got.counts(), dict(values))
        self.assertTrue(self.kw('科学城北新建'))

    def test_facet_limit(self):
        keys = self.every()
        hits = self.db.search('doc:*', limit=0, facets=['district', 'year'], facet_limit=2)
        self.assertEqual(list(hits), [])
        for name in ['district', 'year']:
            values, distinct = self.expected(keys, name)
            self.assertGreater(distinct, 2)
            self.assertEqual(list(hits.facets[name]), values[:2])
            self.assertEqual(hits.facets[name].distinct, distinct)
        hits = self.db.search('doc:*', facets='district', facet_limit=0)
        self.assertEqual(list(hits.facets), ['district'])
        self.assertEqual(list(hits.facets['district']), [])
        self.assertEqual(hits.facets['district'].distinct, self.expected(keys, 'district')[1])

    def test_facets_and_paging(self):
        q = self.db.query('茶叶 OR 发展')
        with q:
            first = q.search(limit=4, facets=['year'])
            second = q.search(limit=4, offset=4, facets=['year'])
            self.assertEqual(first.facets, second.facets)
            every = q.search(limit=None)
            self.assertEqual(list(first) + list(second), list(every[:8]))

    def test_no_match_and_duplicates(self):
        hits = self.db.search('type:nothing', facets=['year', 'year', 'doc'])
        self.assertEqual(list(hits.facets), ['year', 'doc'])
        self.assertEqual(list(hits.facets['year']), [])
        self.assertEqual(hits.facets['year'].distinct, 0)
        self.assertEqual(self.db.search('茶叶').facets, {})

    def test_bad_facets(self):
        with self.assertRaises(zhfts.InvalidArgumentError):
            self.db.search('茶叶', facets=['nosuchfield'])
        with self.assertRaises(zhfts.InvalidArgumentError):
            self.db.search('茶叶', facets=['year\0'])
        for bad in [[1], 5, [b'year'], [None]]:
            with self.subTest(facets=bad):
                with self.assertRaises(TypeError):
                    self.db.search('茶叶', facets=bad)
        with self.assertRaises(ValueError):
            self.db.search('茶叶', facets=['year'], facet_limit=-1)


class TestIndexingFields(unittest.TestCase):
    def setUp(self):
        self.db = zhfts.Database(None)

    def tearDown(self):
        self.db.close()

    def test_bad_values_are_type_errors(self):
        for bad in [2020, 1.5, None, b'2020', ['a'], True]:
            with self.subTest(value=bad):
                with self.assertRaises(TypeError):
                    self.db.index('a', '茶叶', fields={'year': bad})
        for bad in [1, None, b'year']:
            with self.subTest(name=bad):
                with self.assertRaises(TypeError):
                    self.db.index('a', '茶叶', fields={bad: 'x'})
        for bad in ['year', 42, [('year',)], [('a', 'b', 'c')]]:
            with self.subTest(fields=bad):
                with self.assertRaises(TypeError):
                    self.db.index('a', '茶叶', fields=bad)
        self.assertEqual(self.db.stats().documents, 0)

    def test_bad_names_and_values_are_the_librarys_errors(self):
        for name in ['Year', '1year', '_x', 'year-x', 'doc', 'section', 'a' * 33, '', '年份']:
            with self.subTest(name=name):
                with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                    self.db.index('a', '茶叶', fields={name: 'x'})
                self.assertEqual(cm.exception.field, name)
                self.assertEqual(cm.exception.where, 'option')
                self.assertEqual(cm.exception.status, -3)
        for value in ['', 'x' * 1025]:
            with self.subTest(value=value[:5]):
                with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                    self.db.index('a', '茶叶', fields={'year': value})
                self.assertEqual(cm.exception.field, 'year')
        with self.assertRaises(zhfts.InvalidArgumentError) as cm:
            self.db.index('a', '茶叶', fields=[('year', '1'), ('year', '2')])  # a name once
        with self.assertRaises(zhfts.InvalidArgumentError) as cm:
            self.db.index('a', '茶叶', fields={'year': '20\x0020'})
        self.assertEqual(cm.exception.field, 'year')
        with self.assertRaises(zhfts.InvalidArgumentError):
            self.db.index('a', '茶叶', fields={'ye\0ar': '2020'})
        with self.assertRaises(zhfts.Error):
            self.db.index('a', '茶叶', fields={'f%d' % i: 'x' for i in range(100)})
        self.assertEqual(self.db.stats().documents, 0)  # bad input changes nothing
        info = self.db.index('a', '茶叶', fields={'a' * 32: 'x' * 1024, 'z_9': '值'})
        self.assertEqual(info.paragraphs, 1)
        self.assertEqual(self.db.search('茶叶')[0].fields, {'a' * 32: 'x' * 1024, 'z_9': '值'})

    def test_pairs_and_mappings(self):
        from collections import OrderedDict
        self.db.index('a', '茶叶', fields=[('year', '2020'), ('type', 'plan')])
        self.db.index('b', '茶叶', fields=OrderedDict(year='2021'))
        self.assertEqual({h.doc: h.fields for h in self.db.search('茶叶')},
                         {'a': {'year': '2020', 'type': 'plan'}, 'b': {'year': '2021'}})

    def test_reindex_replaces_fields(self):
        self.db.index('a', '茶叶', fields={'year': '2020'})
        self.db.index('a', '茶叶')
        self.assertEqual(self.db.search('茶叶')[0].fields, {})
        self.assertEqual(self.db.search('year:2020'), [])


# Documents for guessing, written for this test.
GUESSING = {
    'town': TOWN,
    'dated': '关于进一步加强基层治理的实施意见\n（2020年3月5日）\n\n正文第一段，讲茶叶。\n',
    'speech': '云川区政府工作报告（2026年）\n——2026年1月8日在云川区第一届人民代表大会第三次会议上\n\n'
              '各位代表：现在讲茶叶。\n',
    'wide': '２０２０．０１．０６\n云溪镇茶叶产业发展情况通报\n\n正文讲茶叶。\n',
    'sentence': '这是一个以句号结尾的很长的句子讲茶叶。\n真正的标题在第二行出现了\n\n正文。\n',
    'short': '茶叶通知\n2020/13/01 不是日期\n2019-02-29 也不是\n\n茶叶。\n',
    'long': '茶' * 101 + '\n2021-7-9\n\n茶叶。\n',
    'late': '\n'.join(['第%d行讲茶叶' % i for i in range(1, 11)]) + '\n2020-01-01\n',
}


class TestGuessing(unittest.TestCase):
    def test_title_and_date_from_the_first_lines(self):
        with zhfts.Database(None) as db:
            for doc_id, text in GUESSING.items():
                db.index(doc_id, text)
            found = {}
            for doc_id, text in GUESSING.items():
                fields = db.paragraphs(doc_id)[0].fields
                want = {k: v for k, v in [('title', guess_title(text)), ('date', guess_date(text))] if v}
                with self.subTest(doc=doc_id):
                    self.assertEqual(fields, want)
                found[doc_id] = want
            # the cases are not vacuous
            self.assertEqual(found['speech'], {'title': '云川区政府工作报告（2026年）', 'date': '2026-01-08'})
            self.assertEqual(found['dated']['date'], '2020-03-05')
            self.assertEqual(found['wide']['date'], '2020-01-06')
            self.assertEqual(found['sentence']['title'], '真正的标题在第二行出现了')
            self.assertEqual(found['short'], {})
            self.assertNotIn('title', found['long'])
            self.assertEqual(found['long']['date'], '2021-07-09')
            self.assertNotIn('date', found['late'])
            self.assertEqual(found['town'], {'title': '云溪镇二〇二六年工作安排'})
            # guessed fields are fields like any other
            self.assertEqual({h.doc for h in db.search('date:2020-01-01..2020-12-31')}, {'dated', 'wide'})

    def test_given_fields_win_and_guess_false(self):
        text = GUESSING['speech']
        with zhfts.Database(None) as db:
            db.index('given', text, fields={'title': '自定标题'})
            db.index('none', text, guess=False)
            db.index('date-only', text, fields={'district': '云川区'}, guess=False)
            self.assertEqual(db.paragraphs('given')[0].fields, {'title': '自定标题', 'date': '2026-01-08'})
            self.assertEqual(db.paragraphs('none')[0].fields, {})
            self.assertEqual(db.paragraphs('date-only')[0].fields, {'district': '云川区'})


if __name__ == '__main__':
    unittest.main()
