"""Unicode round trips: offsets from the library slice the right characters
of the Python strings; charsets, invalid bytes, NUL, astral characters."""

import unittest

import zhfts
from support import (TempDatabase, covered, letters, norm, outside_gb2312, paragraphs,
                     read_sample, span_chars)

# Written for these tests.  U+20BB7 and an emoji are 4 bytes in UTF-8 but one
# character in Python, which is where byte and character offsets part.
ASTRAL = '𠮷野家的老板😀说：茶叶合作社今年发展很快，𠮷田村也在发展茶叶。'
FULLWIDTH = 'ＡＩ辅助诊疗覆盖全部卫生室，ＲＩＳＣ－Ⅴ芯片来自本地企业。'
TRADITIONAL = '全鎮經濟平穩發展，茶葉合作社的銷售額增長兩成。'


class TestSpans(unittest.TestCase):
    def setUp(self):
        self.temp = TempDatabase()
        self.db = self.temp.__enter__()

    def tearDown(self):
        self.temp.__exit__(None, None, None)

    def one_hit(self, query):
        hits = self.db.search(query)
        self.assertEqual(len(hits), 1, query)
        return hits[0]

    def test_astral_characters(self):
        self.db.index('a', ASTRAL)
        for kw in ['发展', '茶叶', '合作社', '田村']:
            with self.subTest(keyword=kw):
                h = self.one_hit(kw)
                self.assertEqual(h.text, ASTRAL)
                self.assertEqual(span_chars(h.text, h.spans), covered(h.text, [kw]))
                data = h.text.encode('utf-8')
                for (cs, ce), (bs, be) in zip(h.spans, h.byte_spans):
                    self.assertEqual(data[bs:be].decode('utf-8'), h.text[cs:ce])
        # the astral character itself is searchable and sliced whole
        h = self.one_hit('𠮷田')
        self.assertIn('𠮷田', h.matches)

    def test_fullwidth_and_compatibility(self):
        self.db.index('a', FULLWIDTH)
        h = self.one_hit('ai')
        self.assertEqual(h.matches, ('ＡＩ',))
        h = self.one_hit('risc')
        self.assertEqual(h.matches, ('ＲＩＳＣ',))
        self.assertEqual([letters(m) for m in self.one_hit('ＡＩ 卫生室').matches],
                         ['ai', '卫生室'])

    def test_traditional_folds_to_simplified(self):
        self.db.index('t', TRADITIONAL)
        h = self.one_hit('发展')
        self.assertEqual(h.matches, ('發展',))
        h = self.one_hit('茶叶')
        self.assertEqual(h.matches, ('茶葉',))
        self.db.index('s', '茶叶合作社')
        self.assertEqual({h.doc for h in self.db.search('茶葉')}, {'t', 's'})

    def test_no_traditional_folding_when_off(self):
        with TempDatabase(traditional=False) as db:
            db.index('t', TRADITIONAL)
            self.assertEqual(db.search('发展'), [])
            self.assertEqual(len(db.search('發展')), 1)

    def test_embedded_nul(self):
        text = '第一段\0有空字符，茶叶在后面。'
        self.db.index('a', text)
        h = self.one_hit('茶叶')
        self.assertEqual(h.text, text)
        self.assertEqual(h.matches, ('茶叶',))

    def test_gb18030_bytes(self):
        doc = '云溪镇\n\n茶叶合作社的销售额增长两成。\n\n新建卫生院一所。\n'
        data = doc.encode('gb18030')
        for encoding in ['GB18030', None]:
            with self.subTest(encoding=encoding):
                info = self.db.index('g', data, encoding=encoding)
                self.assertEqual(info.paragraphs, len(paragraphs(doc)))
                self.assertEqual(norm(info.encoding).replace('-', ''), 'gb18030')
                h = self.one_hit('卫生院')
                self.assertEqual(h.matches, ('卫生院',))
                # the paragraph's offset/length are bytes of the GB18030 input
                self.assertEqual(data[h.offset:h.offset + h.length].decode('gb18030').strip(),
                                 h.text.strip())

    def test_invalid_utf8(self):
        data = '茶叶合作社'.encode('utf-8') + b'\xff\xfe' + '发展'.encode('utf-8')
        with self.assertRaises(zhfts.EncodingError) as cm:
            self.db.index('bad', data, encoding='UTF-8')
        self.assertEqual(cm.exception.status, -4)
        self.assertIn('bad', str(cm.exception))  # names the document
        self.assertEqual(cm.exception.doc, 'bad')
        self.assertEqual(cm.exception.offset, data.index(b'\xff'))
        self.assertEqual(self.db.stats().documents, 0)  # nothing changed
        self.db.index('bad', data, encoding='UTF-8', lenient=True)
        h = self.one_hit('发展')
        self.assertIn('\ufffd', h.text)
        self.assertEqual(h.matches, ('发展',))

    def test_lone_surrogate_is_a_python_error(self):
        with self.assertRaises(zhfts.EncodingError):
            self.db.index('a', '茶叶\ud800发展')
        with self.assertRaises(zhfts.EncodingError):
            self.db.search('茶\udfff')
        with self.assertRaises(zhfts.EncodingError):
            zhfts.tokenize('\ud800')

    def test_unicode_ids(self):
        for doc_id in ['报告/二〇二六.txt', '𠮷.txt', 'ＡＩ 报告']:
            self.db.index(doc_id, '茶叶')
        self.assertEqual({h.doc for h in self.db.search('茶叶')},
                         {'报告/二〇二六.txt', '𠮷.txt', 'ＡＩ 报告'})
        self.assertEqual([d for d, _ in self.db.documents()],
                         sorted(['报告/二〇二六.txt', '𠮷.txt', 'ＡＩ 报告'], key=lambda s: s.encode()))

    def test_query_error_position_in_characters(self):
        self.db.index('a', '茶叶')
        q = '𠮷𠮷 ("茶叶'
        with self.assertRaises(zhfts.QueryError) as cm:
            self.db.search(q)
        e = cm.exception
        self.assertEqual(len(q.encode('utf-8')[:e.position].decode('utf-8', 'replace')),
                         e.char_position)
        self.assertEqual(q[e.char_position], '"')  # the quote that is never closed


    def test_support_folds_the_sample(self):
        """The hand-written Traditional table of support.py covers the sample,
        so that the expectations computed from it are right."""
        sample = read_sample()
        if sample is None:
            self.skipTest('no sample report')
        self.assertEqual(outside_gb2312(sample), set())


class TestTokenize(unittest.TestCase):
    def test_offsets_slice_the_input(self):
        text = ASTRAL + FULLWIDTH + '5G基站800个'
        tokens = zhfts.tokenize(text)
        self.assertTrue(tokens)
        for t in tokens:
            self.assertEqual(t.text, norm(text[t.start:t.end]))
            self.assertEqual(text.encode('utf-8')[t.offset:t.offset + t.length].decode('utf-8'),
                             text[t.start:t.end])
        # every letter and digit is in exactly one token; no punctuation tokens
        self.assertEqual(''.join(letters(text[t.start:t.end]) for t in tokens), letters(text))
        positions = [(t.position, t.units) for t in tokens]
        for (p, u), (q, _) in zip(positions, positions[1:]):
            self.assertEqual(q, p + u)
        kinds = {t.text: t.kind for t in tokens}
        self.assertEqual(kinds.get('ai'), 'word')
        self.assertEqual(kinds.get('5g'), 'mixed')
        self.assertEqual(kinds.get('800'), 'number')

    def test_han_units(self):
        for t in zhfts.tokenize('科学城北新建实验学校'):
            self.assertEqual(t.kind, 'han')
            self.assertEqual(t.units, t.end - t.start)

    def test_bytes_and_traditional(self):
        tokens = zhfts.tokenize('發展'.encode('utf-8'))
        self.assertEqual(''.join(t.text for t in tokens), '发展')
        self.assertEqual(tokens[-1].end, 6)  # byte offsets for bytes input
        self.assertEqual(''.join(t.text for t in zhfts.tokenize('發展', traditional=False)), '發展')

    def test_invalid_bytes(self):
        with self.assertRaises(zhfts.EncodingError) as cm:
            zhfts.tokenize(b'ab\xffcd')
        self.assertEqual(cm.exception.offset, 2)

    def test_large_input(self):
        text = '茶叶合作社，' * 30000
        tokens = zhfts.tokenize(text)
        self.assertEqual(''.join(letters(text[t.start:t.end]) for t in tokens), letters(text))


if __name__ == '__main__':
    unittest.main()
