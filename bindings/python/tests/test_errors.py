"""Error detail as data (zhfts_db_error()): where a failure is, the byte
offset there and the character offset in the query string, the document and
the field concerned.  Expected offsets are computed here from the inputs."""

import unittest

import zhfts
from support import TempDatabase


def at(query, piece, nth=0):
    """(byte offset, character offset) of the nth occurrence of piece."""
    i = -1
    for _ in range(nth + 1):
        i = query.index(piece, i + 1)
    return len(query[:i].encode('utf-8')), i


class TestQueryErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = zhfts.Database(None)
        cls.db.index('a', '茶叶合作社的销售额增长两成。', fields={'year': '2020', 'district': '海淀区'})

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def check(self, query, piece, cls=zhfts.QueryError, nth=0):
        with self.assertRaises(cls) as cm:
            self.db.search(query)
        e = cm.exception
        self.assertEqual((e.position, e.char_position), at(query, piece, nth), str(e))
        self.assertEqual(e.offset, e.position)
        self.assertEqual(e.where, 'query')
        self.assertEqual(e.query, query)
        self.assertEqual(query[e.char_position:].startswith(piece), True)
        # the same through a Query object
        with self.assertRaises(cls) as cm2:
            self.db.query(query)
        self.assertEqual((cm2.exception.position, cm2.exception.char_position),
                         (e.position, e.char_position))
        return e

    def test_syntax_errors(self):
        self.check('茶叶 (科学', '(')
        self.check('𠮷𠮷 ("茶叶', '"')
        self.check('茶叶 )', ')')
        self.check('茶叶 OR', 'OR')
        self.check('😀 OR OR 茶叶', 'OR')
        self.check('茶叶 -', '-')
        self.check('茶叶 AND', 'AND')
        self.check('𠮷 ()', '(')
        self.check('茶叶 section:', 'section:')

    def test_unknown_field(self):
        e = self.check('茶叶 nosuchfield:x', 'nosuchfield')
        self.assertIn('nosuchfield', e.message)
        self.check('𠮷野家 (茶叶 OR nosuchfield:"a b")', 'nosuchfield')
        self.check('year:2020 -nosuchfield:1..2', 'nosuchfield')

    def test_bad_ranges_and_values(self):
        self.check('茶叶 year:2019..abc', 'year')
        self.check('茶叶 year:..', '..')
        self.check('茶叶 year:1..2..3', '1')
        self.check('茶叶 doc:', 'doc:')

    def test_limits_name_the_position_too(self):
        q = '茶叶 ' + '(' * 200 + '发展' + ')' * 200
        e = self.check(q, '(', cls=zhfts.LimitError, nth=100)
        self.assertEqual(e.status, -12)

    def test_bytes_queries(self):
        q = '茶叶'.encode() + b' \xff'
        with self.assertRaises(zhfts.QueryError) as cm:
            self.db.search(q)
        self.assertEqual(cm.exception.position, len('茶叶'.encode()) + 1)
        self.assertIsNone(cm.exception.char_position)  # no string to index

    def test_option_errors(self):
        for kwargs in [dict(sort='nosuchfield'), dict(facets=['nosuchfield'])]:
            with self.subTest(**kwargs):
                with self.assertRaises(zhfts.InvalidArgumentError) as cm:
                    self.db.search('茶叶', **kwargs)
                self.assertEqual(cm.exception.where, 'option')
                self.assertIsNone(cm.exception.position)
                self.assertIn('nosuchfield', cm.exception.message)


class TestDocumentErrors(unittest.TestCase):
    def setUp(self):
        self.temp = TempDatabase()
        self.db = self.temp.__enter__()
        self.db.index('kept', '茶叶合作社')  # pending: bad input must not lose it

    def tearDown(self):
        self.temp.__exit__(None, None, None)

    def check_nothing_lost(self, e):
        self.assertEqual(e.lost, 0)
        self.assertEqual(self.db.stats().documents, 1)
        self.assertEqual([h.doc for h in self.db.search('茶叶')], ['kept'])

    def encoding_error(self, data, **kw):
        with self.assertRaises(zhfts.EncodingError) as cm:
            self.db.index('bad.txt', data, **kw)
        e = cm.exception
        self.assertEqual((e.status, e.doc, e.where), (-4, 'bad.txt', 'document'))
        self.check_nothing_lost(e)
        return e

    def test_invalid_utf8_offset(self):
        data = '茶叶合作社'.encode('utf-8') + b'\xff\xfe' + '发展'.encode('utf-8')
        self.assertEqual(self.encoding_error(data, encoding='UTF-8').offset, data.index(b'\xff'))
        # a truncated character: the offset is where it starts
        data = '茶叶'.encode() + '合'.encode()[:2] + b'abc'
        self.assertEqual(self.encoding_error(data, encoding='UTF-8').offset, 6)

    def test_detected_charset_offset(self):
        data = '茶叶合作社'.encode('utf-8') + b'\xff' + '发展'.encode('utf-8')
        self.assertEqual(self.encoding_error(data).offset, data.index(b'\xff'))

    def test_other_charset_offsets(self):
        data = '茶叶'.encode('gb18030') + b'\x81\x20' + '发展'.encode('gb18030')
        self.assertEqual(self.encoding_error(data, encoding='GB18030').offset, 4)
        data = '茶叶'.encode('utf-16le') + b'\x00\xd8' + 'ab'.encode('utf-16le')  # a lone surrogate
        self.assertEqual(self.encoding_error(data, encoding='UTF-16LE').offset, 4)

    def test_unknown_charset(self):
        with self.assertRaises(zhfts.EncodingError) as cm:
            self.db.index('bad.txt', b'abc', encoding='NO-SUCH-CHARSET')
        self.assertIsNone(cm.exception.offset)
        self.assertEqual(cm.exception.doc, 'bad.txt')
        self.check_nothing_lost(cm.exception)

    def test_python_side_encoding_errors(self):
        with self.assertRaises(zhfts.EncodingError) as cm:
            self.db.index('a', '茶叶\ud800发展')
        self.assertEqual(cm.exception.offset, len('茶叶'.encode()))
        with self.assertRaises(zhfts.EncodingError) as cm:
            zhfts.tokenize(b'ab\xffcd')
        self.assertEqual(cm.exception.offset, 2)
        with self.assertRaises(zhfts.EncodingError) as cm:
            zhfts.tokenize('茶叶'.encode() + b'\xe8')
        self.assertEqual(cm.exception.offset, 6)

    def test_field_errors(self):
        with self.assertRaises(zhfts.InvalidArgumentError) as cm:
            self.db.index('f.txt', '茶叶', fields={'Bad-Name': 'x'})
        e = cm.exception
        self.assertEqual((e.field, e.where, e.doc, e.offset), ('Bad-Name', 'option', 'f.txt', None))
        self.check_nothing_lost(e)
        with self.assertRaises(zhfts.InvalidArgumentError) as cm:
            self.db.index('f.txt', '茶叶', fields={'good': 'x' * 2000})
        self.assertEqual(cm.exception.field, 'good')
        self.check_nothing_lost(cm.exception)

    def test_documents_not_found(self):
        with self.assertRaises(zhfts.NotFoundError) as cm:
            self.db.delete('nothing.txt')
        self.assertEqual(cm.exception.doc, 'nothing.txt')
        with self.assertRaises(zhfts.NotFoundError) as cm:
            self.db.paragraphs('nothing.txt')
        self.assertEqual(cm.exception.doc, 'nothing.txt')

    def test_details_do_not_leak_into_later_errors(self):
        with self.assertRaises(zhfts.EncodingError):
            self.db.index('bad.txt', b'\xff', encoding='UTF-8')
        self.db.index('good.txt', '发展')
        with self.assertRaises(zhfts.QueryError) as cm:
            self.db.search('(茶叶')
        e = cm.exception
        self.assertEqual((e.doc, e.field, e.lost, e.where, e.position), (None, None, 0, 'query', 0))

    def test_every_status_has_its_class(self):
        classes = {-2: zhfts.OutOfMemoryError, -3: zhfts.InvalidArgumentError,
                   -4: zhfts.EncodingError, -5: zhfts.QueryError, -6: zhfts.LockedError,
                   -7: zhfts.NotFoundError, -8: zhfts.StorageError, -9: zhfts.CorruptError,
                   -10: zhfts.SettingsError, -11: zhfts.ReadOnlyError, -12: zhfts.LimitError,
                   -13: zhfts.VersionError}
        from zhfts import errors
        for status, cls in classes.items():
            e = errors.from_status(status, '')
            self.assertIs(type(e), cls)
            self.assertEqual(e.status, status)
            self.assertTrue(e.message)  # the library's name for it when there is no detail
        self.assertIs(type(errors.from_status(-1, 'x')), zhfts.Error)
        self.assertIs(type(errors.from_status(5, 'x')), zhfts.Error)


if __name__ == '__main__':
    unittest.main()
