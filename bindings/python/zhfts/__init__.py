"""zhfts: full-text search over Chinese documents, at paragraph granularity.

A ctypes binding of libzhfts (standard library only):

    import zhfts
    with zhfts.Database('reports.db', writable=True) as db:
        db.index('report.txt', open('report.txt', 'rb').read(),
                 fields={'district': '海淀区', 'year': '2020'})
    with zhfts.Database('reports.db') as db:
        hits = db.search('科学城 发展 year:2019..', sort='-year', facets=['district'])
        for hit in hits:
            print(hit.rank, hit.doc, hit.para, hit.fields, hit.snippet)
        print(hits.total, hits.facets['district'])   # [('海淀区', 12), ...]

Offsets: Hit.spans and Token.start/end are character offsets into the
Python strings; Hit.byte_spans, Token.offset/length and Hit.offset/length
are byte offsets, as the C library reports them.  Snippets and spans are
computed when first read, so read them before closing the database.

The library is found through $ZHFTS_LIBRARY (a path), else next to an
installed copy of this package, else in the build tree when imported from a
source checkout, else by the system loader (libzhfts.so.1).
"""

import os

from . import _capi
from .database import Database, Facet, Hit, Hits, IndexInfo, Query, Stats, compact, merge, split
from .errors import (CorruptError, EncodingError, Error, InvalidArgumentError, LimitError,
                     LockedError, NotFoundError, OutOfMemoryError, QueryError, ReadOnlyError,
                     SettingsError, StorageError, VersionError)
from .tokenizer import Token, Tokenizer, tokenize

__all__ = [
    'Database', 'Query', 'Hit', 'Hits', 'Facet', 'IndexInfo', 'Stats', 'compact', 'merge', 'split',
    'Token', 'Tokenizer', 'tokenize', 'version', 'library_path',
    'Error', 'OutOfMemoryError', 'InvalidArgumentError', 'EncodingError', 'QueryError',
    'LockedError', 'NotFoundError', 'StorageError', 'CorruptError', 'SettingsError',
    'ReadOnlyError', 'LimitError', 'VersionError',
]

__version__ = '0.4.0'


def version():
    """The version of the loaded libzhfts, e.g. '0.4.0' (its ABI is the
    soname, libzhfts.so.1)."""
    return _capi.lib.zhfts_version().decode('ascii', 'replace')


def library_path():
    """The file the library was loaded from."""
    try:
        with open('/proc/self/maps') as maps:
            for line in maps:
                path = line.rstrip('\n').split(None, 5)[-1]
                if os.path.basename(path).startswith('libzhfts.so'):
                    return path
    except OSError:
        pass
    return _capi.library_path
