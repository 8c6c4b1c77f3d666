"""Indexing and searching through the Python API, checked against
independent substring search (support.py)."""

import os
import shutil
import tempfile
import threading
import unittest

import zhfts
from support import (SAMPLE, TOWN, TempDatabase, containing, covered, letters, paragraphs,
                     read_sample, sections, span_chars)


class IndexedTestCase(unittest.TestCase):
    """An on-disk database holding TOWN and (when present) the sample report."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='zhfts-py-')
        cls.path = os.path.join(cls.tmp, 'db')
        cls.docs = {'town.txt': TOWN}
        sample = read_sample()
        if sample is not None:
            cls.docs['sample-report.txt'] = sample
        cls.paras = {doc: paragraphs(text) for doc, text in cls.docs.items()}
        with zhfts.Database(cls.path, writable=True) as db:
            for doc, text in cls.docs.items():
                info = db.index(doc, text.encode('utf-8'))
                assert info.paragraphs == len(cls.paras[doc]), (doc, info)
        cls.db = zhfts.Database(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()
        shutil.rmtree(cls.tmp)

    def found(self, query, doc='town.txt'):
        """{paragraph number} of every hit of the query in one document."""
        return {h.para for h in self.db.search(query, limit=None) if h.doc == doc}

    def expected(self, keyword, doc='town.txt'):
        return containing(self.paras[doc], keyword)

    def check_spans(self, hits, keywords):
        for h in hits:
            self.assertTrue(h.spans, h)
            self.assertEqual(span_chars(h.text, h.spans), covered(h.text, keywords),
                             '%s para %d: %r' % (h.doc, h.para, h.matches))


class TestKeywords(IndexedTestCase):
    def test_paragraphs_round_trip(self):
        for doc, text in self.docs.items():
            data = text.encode('utf-8')
            got = self.db.paragraphs(doc)
            self.assertEqual([h.para for h in got], [p.number for p in self.paras[doc]])
            for h, p in zip(got, self.paras[doc]):
                self.assertEqual(h.text.strip(), p.text.strip())
                self.assertEqual(h.doc, doc)
                # offset/length are byte offsets into the document as indexed
                self.assertEqual(data[h.offset:h.offset + h.length].decode('utf-8').strip(),
                                 p.text.strip())

    # Two-character words stay one keyword; a longer run is split into words
    # by ICU (test_unspaced_run_...), so the exact tests quote those.
    def test_han_keywords(self):
        for kw in ['发展', '茶叶', '公路', '"科学城"', '"卫生院"', '"养老服务"', '"不存在的词语"']:
            with self.subTest(keyword=kw):
                self.assertEqual(self.found(kw), self.expected(kw.strip('"')))
                self.check_spans(self.db.search(kw, limit=None), [kw.strip('"')])

    def test_sample_keywords(self):
        if 'sample-report.txt' not in self.docs:
            self.skipTest('no sample report at %s' % SAMPLE)
        doc = 'sample-report.txt'
        for kw in ['养老', '民生', '芯片', '生态', '"科学城"', '"人工智能"', '"老旧小区"',
                   '"营商环境"', '"中关村科学城"']:
            with self.subTest(keyword=kw):
                self.assertEqual(self.found(kw, doc), self.expected(kw.strip('"'), doc))
                hits = [h for h in self.db.search(kw, limit=None) if h.doc == doc]
                self.check_spans(hits, [kw.strip('"')])

    def test_keywords_are_anded(self):
        self.assertEqual(self.found('茶叶 发展'),
                         self.expected('茶叶') & self.expected('发展'))
        self.check_spans(self.db.search('茶叶 发展', limit=None), ['茶叶', '发展'])

    def test_keyword_across_punctuation_and_line_break(self):
        # "发展，新建" and "一所，\n" style gaps: the keyword ignores them
        self.assertEqual(self.found('"发展新建"'), self.expected('发展新建'))
        self.assertEqual(self.found('"一所解决"'), self.expected('一所解决'))
        self.assertTrue(self.expected('发展新建') and self.expected('一所解决'))

    def test_unspaced_run_ranks_whole_run_first(self):
        run = '科学城北新建'
        whole = self.expected(run)
        self.assertTrue(whole)
        hits = [h for h in self.db.search(run, limit=None) if h.doc == 'town.txt']
        self.assertTrue(whole <= {h.para for h in hits})
        self.assertEqual({h.para for h in hits[:len(whole)]}, whole)

    def test_latin_and_digits(self):
        ai = self.expected('ai')
        self.assertTrue(ai)
        for q in ['ai', 'AI', 'ＡＩ']:
            with self.subTest(query=q):
                self.assertEqual(self.found(q), ai)
                self.check_spans(self.db.search(q, limit=None), ['ai'])
        self.assertEqual(self.found('5g'), self.expected('5g'))
        self.assertTrue(self.expected('5g'))


class TestQueries(IndexedTestCase):
    def test_phrase(self):
        phrase = self.expected('科学城北')
        self.assertTrue(phrase)
        self.assertEqual(self.found('"科学城北"'), phrase)
        self.check_spans(self.db.search('"科学城北"', limit=None), ['科学城北'])
        # as two keywords, the characters need not be adjacent
        self.assertEqual(self.found('科学城 北'), self.expected('科学城') & self.expected('北'))

    def test_boolean(self):
        tea, clinic, grow = self.expected('茶叶'), self.expected('卫生院'), self.expected('发展')
        self.assertEqual(self.found('茶叶 OR 卫生院'), tea | clinic)
        self.assertEqual(self.found('发展 AND 茶叶'), grow & tea)
        self.assertEqual(self.found('发展 -茶叶'), grow - tea)
        self.assertEqual(self.found('发展 NOT 茶叶'), grow - tea)
        self.assertEqual(self.found('(茶叶 OR 卫生院) 发展'), (tea | clinic) & grow)
        self.assertTrue(grow - tea and tea | clinic and (tea | clinic) & grow)

    def test_section(self):
        paras = self.paras['town.txt']
        sect = sections(paras)
        under = lambda prefix: {n for n, s in sect.items() if s and s.startswith(prefix)}
        grow = self.expected('发展')
        self.assertEqual(self.found('section:任务 发展'), under('任务') & grow)
        self.assertEqual(self.found('section:"任务 2" 发展'), under('任务 2') & grow)
        self.assertEqual(self.found('section:回顾 科学城'), under('回顾') & self.expected('科学城'))
        for h in self.db.search('section:任务 发展', limit=None):
            self.assertIn('任务', h.section)
        self.assertTrue(under('任务 2') & grow and under('任务 1') & grow)

    def test_sample_section(self):
        if 'sample-report.txt' not in self.docs:
            self.skipTest('no sample report')
        doc = 'sample-report.txt'
        sect = sections(self.paras[doc])
        expected = {n for n, s in sect.items() if s and s.startswith('亮点')} & self.expected('企业', doc)
        self.assertTrue(expected)
        hits = [h for h in self.db.search('section:亮点 企业', limit=None) if h.doc == doc]
        self.assertEqual({h.para for h in hits}, expected)
        for h in hits:
            self.assertIn('亮点', h.section)

    def test_paging_and_iteration(self):
        every = self.db.search('发展', limit=None)
        self.assertEqual([h.rank for h in every], list(range(1, len(every) + 1)))
        self.assertEqual(len(every), sum(len(self.expected('发展', d)) for d in self.docs))
        self.assertEqual(self.db.count('发展'), len(every))
        self.assertEqual({h.tier for h in every}, {1})  # no unspaced run split into keywords
        pages = []
        for offset in range(0, len(every) + 2, 2):
            pages += self.db.search('发展', limit=2, offset=offset)
        self.assertEqual([(h.doc, h.para) for h in pages], [(h.doc, h.para) for h in every])
        self.assertEqual(list(self.db.iter_search('发展', page_size=3)), list(every))
        self.assertEqual(self.db.search('发展', limit=0), [])
        self.assertEqual(len(self.db.search('发展')), min(10, len(every)))
        scores = [h.score for h in every]
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_totals(self):
        every = self.db.search('发展', limit=None)
        hits = self.db.search('发展', limit=2, exact=True)
        self.assertTrue(hits.exact)
        self.assertEqual((hits.total, hits.total_lower, hits.total_upper), (len(every),) * 3)
        old = self.db.search('发展', limit=2, exact_count=True)  # the old name
        self.assertEqual((old.total, old.exact), (len(every), True))
        loose = self.db.search('发展', limit=1)
        self.assertLessEqual(loose.total_lower, len(every))
        self.assertGreaterEqual(loose.total_upper, len(every))
        self.assertEqual(hits.query, '发展')

    def test_tiers(self):
        tiers = set()
        for run in ['科学城北新建', '养老服务', '科技创新', '产业发展', '茶叶发展']:
            with self.subTest(run=run):
                hits = self.db.search(run, limit=None)
                self.assertTrue(hits)
                for h in hits:  # 1 + the runs split into keywords that the paragraph holds whole
                    self.assertEqual(h.tier, 2 if letters(run) in letters(h.text) else 1, h)
                    tiers.add(h.tier)
                self.assertEqual([h.tier for h in hits], sorted((h.tier for h in hits), reverse=True))
                for tier in {h.tier for h in hits}:
                    scores = [h.score for h in hits if h.tier == tier]
                    self.assertEqual(scores, sorted(scores, reverse=True))
                self.assertEqual({h.tier for h in self.db.search('"%s"' % run, limit=None)} - {1}, set())
        if 'sample-report.txt' in self.docs:
            self.assertEqual(tiers, {1, 2})

    def test_snippet_marks(self):
        hits = self.db.search('茶叶', marks=('<b>', '</b>'), limit=None)
        self.assertTrue(hits)
        for h in hits:
            self.assertIn('<b>', h.snippet)
            for piece in h.snippet.split('<b>')[1:]:
                self.assertIn('</b>', piece)
                self.assertEqual(letters(piece.split('</b>')[0]), '茶叶')

    def test_stats_and_documents(self):
        st = self.db.stats()
        self.assertEqual(st.documents, len(self.docs))
        self.assertEqual(st.paragraphs, sum(len(p) for p in self.paras.values()))
        self.assertGreater(st.disk_bytes, 0)
        self.assertGreater(self.db.stats(terms=True).terms, 0)
        self.assertEqual(self.db.documents(),
                         sorted(((d, len(p)) for d, p in self.paras.items()),
                                key=lambda x: x[0].encode('utf-8')))
        self.assertEqual(self.db.settings, {'normalize': True, 'traditional': True, 'lines': False})
        self.assertIsInstance(self.db.explain('茶叶 OR 发展'), str)
        with self.db.query('茶叶 OR 发展') as q:
            self.assertEqual(q.explain(), self.db.explain('茶叶 OR 发展'))

    def test_threads_share_a_database(self):
        want = [(h.doc, h.para) for h in self.db.search('发展', limit=None)]
        results, failures = [], []

        def worker():
            try:
                for _ in range(20):
                    results.append([(h.doc, h.para) for h in self.db.search('发展', limit=None)])
            except Exception as e:  # reported below
                failures.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(results, [want] * 80)


class TestWriting(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='zhfts-py-')
        self.path = os.path.join(self.tmp, 'db')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_reindex_replaces_and_delete(self):
        paras = paragraphs(TOWN)
        with TempDatabase() as db:
            self.assertEqual(db.index('a', TOWN).paragraphs, len(paras))
            info = db.index('a', '新的文本只有一段，讲茶园。')
            self.assertEqual((info.paragraphs, info.replaced), (1, len(paras)))
            self.assertEqual(db.search('卫生院'), [])
            self.assertEqual([h.para for h in db.search('茶园')], [1])
            db.delete('a')
            self.assertEqual(db.search('茶园'), [])
            with self.assertRaises(zhfts.NotFoundError) as cm:
                db.delete('a')
            self.assertEqual(cm.exception.status, -7)
            self.assertIsInstance(cm.exception, LookupError)

    def test_termlist_or_not(self):
        for termlist in (False, True):
            with self.subTest(termlist=termlist):
                path = os.path.join(self.tmp, 'db-%s' % termlist)
                with zhfts.Database(path, writable=True, termlist=termlist) as db:
                    db.index('a', '茶叶合作社\n\n卫生院')
                    db.index('b', '茶叶加工')
                    db.commit()
                    db.index('a', '新的茶园')  # replaces a's paragraphs
                    db.delete('b')
                self.assertEqual(os.path.exists(os.path.join(path, 'termlist.glass')), termlist)
                with zhfts.Database(path) as db:
                    self.assertEqual([(h.doc, h.para) for h in db.search('茶')], [('a', 1)])
                    self.assertEqual(db.search('卫生院'), [])
                    self.assertEqual(db.documents(), [('a', 1)])
                    self.assertEqual(db.count('茶 OR 卫生院'), 1)

    def test_commit_and_reopen(self):
        with zhfts.Database(self.path, writable=True) as w:
            w.index('a', '茶叶合作社')
            w.commit()
            with zhfts.Database(self.path) as r:
                self.assertEqual(len(r.search('茶叶')), 1)
                w.index('b', '茶叶加工中心')
                w.commit()
                self.assertEqual(len(r.search('茶叶')), 1)
                r.reopen()
                self.assertEqual(len(r.search('茶叶')), 2)

    def test_rollback_and_failed_with_block(self):
        with zhfts.Database(self.path, writable=True) as w:
            w.index('kept', '茶叶合作社')
            w.commit()
            w.index('dropped', '作废的段落')
            w.rollback()
            self.assertEqual(w.search('作废'), [])
        with self.assertRaises(RuntimeError):
            with zhfts.Database(self.path, writable=True) as w:
                w.index('also-dropped', '作废的段落')
                raise RuntimeError('stop')
        with zhfts.Database(self.path) as r:
            self.assertEqual(r.search('作废'), [])
            self.assertEqual(len(r.search('茶叶')), 1)

    def test_lines_mode(self):
        text = '第一行讲茶叶\n第二行讲公路\n\n第三行讲茶叶\n'
        with zhfts.Database(self.path, writable=True, lines=True) as db:
            self.assertTrue(db.settings['lines'])
            db.index('a', text, lines=True)
            expect = {p.number for p in paragraphs(text, per_line=True) if '茶叶' in p.text}
            self.assertEqual({h.para for h in db.search('茶叶')}, expect)
            with self.assertRaises(zhfts.SettingsError):
                db.index('b', text, lines=False)
        with self.assertRaises(zhfts.SettingsError):
            zhfts.Database(self.path, writable=True, lines=False)
        with zhfts.Database(self.path) as db:  # its own settings by default
            self.assertTrue(db.settings['lines'])

    def test_lines_per_document(self):
        text = '第一行讲茶叶\n第二行讲茶叶\n\n第三行讲茶叶\n'
        with zhfts.Database(None) as db:
            self.assertEqual(db.index('per-line', text, lines=True).paragraphs,
                             len(paragraphs(text, per_line=True)))
            self.assertEqual(db.index('blocks', text).paragraphs, len(paragraphs(text)))

    def test_in_memory(self):
        with zhfts.Database(None) as db:
            self.assertTrue(db.writable)
            db.index('a', '茶叶合作社')
            self.assertEqual([h.doc for h in db.search('茶叶')], ['a'])
            self.assertEqual(db.stats().disk_bytes, 0)

    def test_index_info(self):
        with zhfts.Database(self.path, writable=True, auto_commit_bytes=1) as db:
            info = db.index('a', '茶叶合作社', fields={'year': '2020'})
            self.assertEqual(info, zhfts.IndexInfo(1, 0, 'UTF-8', True))  # committed at once
            with zhfts.Database(self.path) as reader:
                self.assertEqual([h.fields for h in reader.search('茶叶')], [{'year': '2020'}])
        with zhfts.Database(self.path, writable=True) as db:
            info = db.index('a', '茶叶'.encode('gb18030') * 20, encoding='GB18030')
            self.assertEqual((info.paragraphs, info.replaced, info.committed), (1, 1, False))
            self.assertEqual(info.encoding.replace('-', '').upper(), 'GB18030')

    def test_merge(self):
        parts = [os.path.join(self.tmp, 'p%d' % i) for i in range(2)]
        for i, part in enumerate(parts):
            with zhfts.Database(part, writable=True) as db:
                db.index('doc%d' % i, '茶叶合作社第%d段' % i, fields={'part': str(i)})
        merged = os.path.join(self.tmp, 'merged')
        zhfts.merge(merged, parts)
        with zhfts.Database(merged) as db:
            self.assertEqual(db.documents(), [('doc0', 1), ('doc1', 1)])
            hits = db.search('茶叶', facets=['part'])
            self.assertEqual(sorted(hits.facets['part']), [('0', 1), ('1', 1)])
        with self.assertRaises(zhfts.InvalidArgumentError):
            zhfts.merge(merged, parts)  # exists
        with self.assertRaises(zhfts.Error):
            zhfts.merge(os.path.join(self.tmp, 'again'), [])
        with self.assertRaises(TypeError):
            zhfts.merge(os.path.join(self.tmp, 'again'), [42])

    def test_close_twice_and_use_after_close(self):
        db = zhfts.Database(self.path, writable=True)
        db.index('a', '茶叶')
        db.close()
        db.close()
        self.assertTrue(db.closed)
        for call in (lambda: db.search('茶叶'), lambda: db.index('a', 'x'), db.stats, db.commit,
                     lambda: db.query('茶叶'), lambda: db.count('茶叶'), lambda: db.paragraphs('a'),
                     lambda: list(db.iter_search('茶叶')), lambda: db.explain('茶叶'),
                     db.documents, db.reopen, db.rollback):
            with self.assertRaises(zhfts.InvalidArgumentError):
                call()


class TestErrors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='zhfts-py-')
        self.path = os.path.join(self.tmp, 'db')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assertStatus(self, cm, cls, status):
        self.assertIsInstance(cm.exception, cls)
        self.assertIsInstance(cm.exception, zhfts.Error)
        self.assertEqual(cm.exception.status, status)
        self.assertTrue(str(cm.exception))
        self.assertTrue(cm.exception.status_name)

    def test_not_found(self):
        with self.assertRaises(zhfts.NotFoundError) as cm:
            zhfts.Database(os.path.join(self.tmp, 'missing'))
        self.assertStatus(cm, zhfts.NotFoundError, -7)
        with self.assertRaises(zhfts.NotFoundError):
            zhfts.Database(os.path.join(self.tmp, 'missing'), writable=True, create=False)
        with TempDatabase() as db:
            with self.assertRaises(zhfts.NotFoundError):
                db.paragraphs('nothing')

    def test_locked(self):
        with zhfts.Database(self.path, writable=True):
            with self.assertRaises(zhfts.LockedError) as cm:
                zhfts.Database(self.path, writable=True)
            self.assertStatus(cm, zhfts.LockedError, -6)
            with zhfts.Database(self.path) as reader:  # readers are welcome
                self.assertEqual(reader.search('茶叶'), [])

    def test_read_only(self):
        zhfts.Database(self.path, writable=True).close()
        with zhfts.Database(self.path) as db:
            with self.assertRaises(zhfts.ReadOnlyError) as cm:
                db.index('a', '茶叶')
            self.assertStatus(cm, zhfts.ReadOnlyError, -11)

    def test_query_errors(self):
        with TempDatabase() as db:
            db.index('a', '茶叶合作社')
            for q in ['(茶叶', '"茶叶', '茶叶 OR', 'section:', '茶叶 )']:
                with self.subTest(query=q):
                    with self.assertRaises(zhfts.QueryError) as cm:
                        db.search(q)
                    self.assertStatus(cm, zhfts.QueryError, -5)
                    self.assertIsInstance(cm.exception, ValueError)
                    self.assertEqual(cm.exception.where, 'query')
                    self.assertLessEqual(cm.exception.position, len(q.encode('utf-8')))
            with self.assertRaises(zhfts.LimitError) as cm:
                db.search('茶' * (1 << 20))
            self.assertStatus(cm, zhfts.LimitError, -12)
            with self.assertRaises(zhfts.Error):
                db.search('(' * 5000 + '茶叶' + ')' * 5000)

    def test_bad_arguments_do_not_crash(self):
        with TempDatabase() as db:
            for bad in [None, 42, 3.5, ['a'], object()]:
                with self.subTest(value=bad):
                    with self.assertRaises(TypeError):
                        db.index(bad, '茶叶')
                    with self.assertRaises(TypeError):
                        db.index('a', bad)
                    with self.assertRaises(TypeError):
                        db.search(bad)
                    with self.assertRaises(TypeError):
                        zhfts.tokenize(bad)
            with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                db.index('a\0b', '茶叶')
            self.assertIsInstance(cm.exception, ValueError)
            with self.assertRaises(zhfts.InvalidArgumentError):
                db.delete('a\0b')
            with self.assertRaises(zhfts.Error) as cm:
                db.index('', '茶叶')
            self.assertEqual(cm.exception.status, -3)
            with self.assertRaises(zhfts.Error):
                db.index('x' * 5000, '茶叶')  # ids are 1 to 4096 bytes
            with self.assertRaises(TypeError):
                db.index('a', '茶叶', encoding='GBK')  # a str has no encoding
            with self.assertRaises(zhfts.EncodingError):
                db.index('a', b'abc', encoding='NO-SUCH-CHARSET')
            with self.assertRaises(zhfts.InvalidArgumentError):
                db.index('a', b'abc', encoding='UTF\0-8')
            with self.assertRaises(ValueError):
                db.search('茶叶', limit=-1)
            with self.assertRaises(TypeError):
                db.search('茶叶', limit='10')
            with self.assertRaises(zhfts.InvalidArgumentError):
                db.search('茶叶', marks=('<\0', '>'))
            for bad in ['<', ('<',), 42]:
                with self.assertRaises(TypeError):
                    db.search('茶叶', marks=bad)
            with self.assertRaises(TypeError):
                db.search('茶叶', limit=True)
            with self.assertRaises(ValueError):
                db.search('茶叶', facet_limit=-1)
            for nothing in ['', '，。！', '   ']:
                with self.assertRaises(zhfts.QueryError):
                    db.search(nothing)
            self.assertEqual(db.search('茶叶', offset=2 ** 70), [])
            self.assertEqual(len(db.search('茶叶', limit=2 ** 70)), 0)
            with self.assertRaises(TypeError):
                zhfts.Database(42)
            with self.assertRaises(zhfts.InvalidArgumentError):
                zhfts.Database('a\0b')
        self.assertRegex(zhfts.version(), r'^\d+\.\d+\.\d+')


if __name__ == '__main__':
    unittest.main()
