"""No input crashes the process: random queries, documents, ids and bytes
either work or raise zhfts.Error (fixed seeds, so failures reproduce)."""

import random
import unittest

import zhfts
from support import SENTENCES, TOWN, TempDatabase

PIECES = ['茶叶', '发展', '科学城', ' ', '  ', '"', '(', ')', 'OR', 'AND', 'NOT', '-', 'section:',
          'section:"', '任务 2', 'ＡＩ', 'ai', '5G', '\0', '\ufffd', '𠮷', '😀', '，', '\n', '\t',
          '發展', 'a' * 300, '(' * 120, '"' * 3, ':', '*', '\\', '\u200b', '\u0301', 'Ⅴ']


class TestRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = TempDatabase()
        cls.db = cls.temp.__enter__()
        cls.db.index('town', TOWN)
        for i, s in enumerate(SENTENCES):
            cls.db.index('s%d' % i, s)

    @classmethod
    def tearDownClass(cls):
        cls.temp.__exit__(None, None, None)

    def test_random_queries(self):
        rng = random.Random(4)
        for _ in range(3000):
            q = ''.join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
            try:
                hits = self.db.search(q, limit=rng.choice([1, 5, None]))
            except zhfts.Error as e:
                self.assertTrue(e.message, q)
                continue
            for h in hits:
                for s, e in h.spans:
                    self.assertTrue(0 <= s < e <= len(h.text), (q, h))

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
