"""zhfts.Database: open, index, search; Query, Hit, Hits."""

import ctypes
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from . import _capi, _text, errors

_lib = _capi.lib
UINT_MAX = ctypes.c_uint(-1).value
DEFAULT_MARKS = ('[', ']')


@dataclass(frozen=True)
class IndexInfo:
    paragraphs: int          # paragraphs indexed
    replaced: int            # paragraphs of an earlier version that were removed
    encoding: str            # the charset that was used
    committed: bool = False  # this call committed (auto_commit_bytes was reached)
    unchanged: bool = False  # stored already exactly so: nothing was written


@dataclass(frozen=True)
class Stats:
    documents: int
    paragraphs: int
    terms: int       # 0 unless stats(terms=True)
    disk_bytes: int  # 0 for in-memory databases
    dead: int = 0    # paragraphs deleted or replaced, still in the index until compact()


def _timeout_ms(seconds):
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError('remote_timeout must be a number of seconds')
    if not seconds > 0:
        raise ValueError('remote_timeout must be > 0 seconds')
    return int(min(max(seconds * 1000, 1), UINT_MAX))


def _switch(value):
    return _capi.DEFAULT if value is None else (_capi.ON if value else _capi.OFF)


def _count(value, what, none):
    if value is None:
        return none
    if isinstance(value, bool):
        raise TypeError('%s must be an int, not bool' % what)
    try:
        n = int(value.__index__())
    except AttributeError:
        raise TypeError('%s must be an int, not %s' % (what, type(value).__name__)) from None
    if n < 0:
        raise ValueError('%s must not be negative' % what)
    return min(n, _capi.SIZE_MAX)


def _string(p):
    return _text.decode(ctypes.string_at(p)) if p else ''


def _marks(marks):
    if marks is None:
        marks = DEFAULT_MARKS
    try:
        mark_open, mark_close = marks
    except (TypeError, ValueError):
        raise TypeError('marks must be a pair of strings (open, close)') from None
    return _text.cstring(mark_open, 'mark'), _text.cstring(mark_close, 'mark')


def _facet_names(facets):
    """The facet names asked for, each once, in order."""
    if facets is None:
        return []
    if isinstance(facets, (str, bytes)):
        facets = [facets]
    names = []
    try:
        items = list(facets)
    except TypeError:
        raise TypeError('facets must be a list of field names, not %s'
                        % type(facets).__name__) from None
    for name in items:
        if not isinstance(name, str):
            raise TypeError('a facet name must be a str, not %s' % type(name).__name__)
        if name not in names:
            names.append(name)
    return names


class Facet(list):
    """The counts of one facet: a list of (value, count) pairs, the most
    frequent first (ties in byte order of the value).  Values are
    normalized as the library compares them (NFKC, case folded, Simplified;
    numbers as the shortest decimal); for the facet 'doc', document ids.

    name      the field ('doc' for documents)
    distinct  the number of distinct values among all the matches (it may
              exceed len(facet) when facet_limit cut the list)
    """

    def __init__(self, name, values=(), distinct=0):
        super().__init__(values)
        self.name = name
        self.distinct = distinct

    def counts(self):
        """{value: count} (in the same order)."""
        return dict(self)

    def __repr__(self):
        return 'Facet(%r, %s, distinct=%d)' % (self.name, list.__repr__(self), self.distinct)


class Hits(list):
    """One page of Hit, in rank order, plus what concerns every match:

    total, total_lower, total_upper
              how many paragraphs match in the whole database: an estimate
              between two bounds (exact when `exact` is true: always with
              exact=True or facets)
    facets    {name: Facet} for the facets asked for, in the order asked
    query     the query that was run
    """

    total = total_lower = total_upper = 0
    query = None

    def __init__(self, *args):
        super().__init__(*args)
        self.facets = {}
        self._returned = 0  # hits the library put in the page

    @property
    def exact(self):
        return self.total_lower == self.total_upper


class Hit:
    """One matching paragraph.

    rank      from 1, counted from the first hit of the whole result
    tier      1 + the number of the query's unspaced runs split into keywords
              (`中关村科学城建设`) that this paragraph holds whole; hits of a
              higher tier come first (1 for every hit of other queries)
    score     BM25 weight (0.0 for a query of filters only and for
              Database.paragraphs()); within a tier scores never increase
    doc       document id; para: paragraph number, from 1
    offset, length  byte range of the paragraph in the document as it was
              indexed (in its own charset)
    section   section path, components joined by " › "; "" if none
    text      the paragraph
    fields    {name: value}: the document's fields as they were given (or
              guessed: title, date)

    Computed by the library when first read (and kept):
    snippet   text around the first match, matches between the marks given
              to search(); make_snippet() for other marks
    spans     the matches as (start, end) CHARACTER offsets into `text`:
              text[start:end] is a match
    byte_spans  the same matches as (start, end) BYTE offsets into
              text.encode('utf-8'), as the C API reports them
    matches   the matched pieces of text

    Those need the search's results, which live in the database: read them
    before the database is closed (afterwards they raise
    InvalidArgumentError, unless they were read before).
    """

    __slots__ = ('rank', 'score', 'tier', 'doc', 'para', 'offset', 'length', 'section', 'text',
                 'fields', '_results', '_index', '_data', '_byte_spans', '_spans', '_snippet')

    def __init__(self, rank, score, tier, doc, para, offset, length, section, text, fields,
                 results=None, index=0, data=None):
        self.rank, self.score, self.tier = rank, score, tier
        self.doc, self.para, self.offset, self.length = doc, para, offset, length
        self.section, self.text, self.fields = section, text, fields
        self._results, self._index = results, index
        self._data = data  # the UTF-8 bytes, kept only when text does not encode back to them
        self._byte_spans = self._spans = self._snippet = None
        if results is None:  # Database.paragraphs(): nothing to match
            self._byte_spans = self._spans = ()
            self._snippet = ''

    def _utf8(self):
        return self._data if self._data is not None else self.text.encode('utf-8', 'surrogatepass')

    @property
    def byte_spans(self):
        if self._byte_spans is None:
            self._byte_spans = self._results.spans(self._index, self)
        return self._byte_spans

    @property
    def spans(self):
        if self._spans is None:
            chars = _text.CharOffsets(self._utf8())
            self._spans = tuple((chars(s), chars(e)) for s, e in self.byte_spans)
        return self._spans

    @property
    def matches(self):
        """The matched pieces of text, in order."""
        return tuple(self.text[s:e] for s, e in self.spans)

    @property
    def snippet(self):
        if self._snippet is None:
            r = self._results
            self._snippet = r.snippet(self._index, r.marks, r.context, self)
        return self._snippet

    def make_snippet(self, marks=DEFAULT_MARKS, context=None):
        """A snippet with other marks or another number of characters of
        context around the first match (None or 0: the library's 40)."""
        if self._results is None:
            return ''
        return self._results.snippet(self._index, _marks(marks), _count(context, 'context', 0), self)

    def __reduce__(self):
        # A copy (pickle, copy) carries what needs the results: computed now
        # if they are still there, else reading it from the copy raises.
        if isinstance(self._results, _Results) and self._results.alive:
            self.snippet, self.byte_spans
        state = (self._snippet, self._byte_spans, self._results is None)
        return (_restore_hit, (self.rank, self.score, self.tier, self.doc, self.para, self.offset,
                               self.length, self.section, self.text, self.fields, self._data, state))

    def _key(self):
        return (self.rank, self.score, self.tier, self.doc, self.para, self.offset, self.length,
                self.section, self.text, self.fields)

    def __eq__(self, other):
        if not isinstance(other, Hit):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash((self.doc, self.para, self.rank))

    def __repr__(self):
        return ('Hit(rank=%d, score=%.4g, tier=%d, doc=%r, para=%d, section=%r, fields=%r, text=%r)'
                % (self.rank, self.score, self.tier, self.doc, self.para, self.section, self.fields,
                   self.text if len(self.text) <= 30 else self.text[:30] + '…'))


class _Unavailable:
    """Stands for the results of a copied Hit whose snippet or spans were
    not computed before it was copied."""

    marks, context = DEFAULT_MARKS, 0

    def _fail(self, i, hit):
        raise errors.InvalidArgumentError(
            'hit %d (%s ¶%d) is a copy made after its database was closed: its snippet and '
            'spans were not read before' % (hit.rank, hit.doc, hit.para), where='option')

    def spans(self, i, hit):
        self._fail(i, hit)

    def snippet(self, i, marks, context, hit):
        self._fail(i, hit)


def _restore_hit(rank, score, tier, doc, para, offset, length, section, text, fields, data, state):
    snippet, byte_spans, plain = state
    h = Hit(rank, score, tier, doc, para, offset, length, section, text, fields,
            results=None if plain else _Unavailable(), data=data)
    if not plain:
        h._snippet, h._byte_spans = snippet, byte_spans
    return h


class _Borrower:
    """A C object that borrows the database handle (a query, results).

    The database keeps the addresses of those alive and frees them before
    its handle closes, whatever order the garbage collector finalizes
    things in; after that the object is dead and every use raises."""

    _FREE = None  # the library's destructor

    def __init__(self, db, ptr):
        self._db = db
        self._ptr = ptr
        db._adopt(ptr, self._FREE)

    @property
    def alive(self):
        return self._db._owns(self._ptr)

    def _need(self, what):
        """Call under the database lock: the pointer, or an error."""
        if not self._db._owns(self._ptr):
            raise errors.InvalidArgumentError(
                '%s: the database was closed (or the object freed) before this was read' % what,
                where='option')
        return self._ptr

    def close(self):
        """Frees the C object now (safe twice; the database does it anyway on close)."""
        # Forget the address: the library may give it to a new object, which
        # a second close (or this one's finalizer) must not free.
        ptr, self._ptr = self._ptr, None
        if ptr:
            self._db._release(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _Results(_Borrower):
    _FREE = 'zhfts_results_free'

    def __init__(self, db, ptr, query_text='', marks=(b'[', b']'), context=0):
        super().__init__(db, ptr)
        self.query_text = query_text
        self.marks = marks
        self.context = context

    def _describe(self, i, hit):
        return 'hit %d of %r (%s ¶%d)' % (hit.rank, self.query_text, hit.doc, hit.para)

    def _failure(self, status, ptr):
        return errors.from_status(status, _text.decode(_lib.zhfts_results_errmsg(ptr) or b''))

    def spans(self, i, hit):
        with self._db._lock:
            ptr = self._need(self._describe(i, hit))
            spans = ctypes.POINTER(_capi.Span)()
            n = ctypes.c_size_t()
            status = _lib.zhfts_results_spans(ptr, i, ctypes.byref(spans), ctypes.byref(n))
            if status != _capi.OK:
                raise self._failure(status, ptr)
            size = len(hit._utf8())
            out = []
            for k in range(n.value if spans else 0):
                start = min(spans[k].offset, size)
                out.append((start, min(start + spans[k].length, size)))
            return tuple(out)

    def snippet(self, i, marks, context, hit):
        with self._db._lock:
            ptr = self._need(self._describe(i, hit))
            opts = _capi.SnippetOptions(version=_capi.SnippetOptions.VERSION, mark_open=marks[0],
                                        mark_close=marks[1], context_chars=context)
            out = ctypes.c_void_p()
            status = _lib.zhfts_results_snippet(ptr, i, ctypes.byref(opts), ctypes.byref(out))
            try:
                if status != _capi.OK:
                    raise self._failure(status, ptr)
                return _string(out.value)
            finally:
                if out.value:
                    _lib.zhfts_free(out)

    def read(self, hits):
        """Fills `hits` (under the database lock): totals, facets, hits.  A
        paragraph whose document was deleted since the search (a read that
        had to reopen the database) is left out."""
        ptr = self._ptr
        estimate, lower, upper = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        _lib.zhfts_results_total(ptr, ctypes.byref(estimate), ctypes.byref(lower), ctypes.byref(upper))
        hits.total, hits.total_lower, hits.total_upper = estimate.value, lower.value, upper.value
        for k in range(_lib.zhfts_results_facet_count(ptr)):
            p = _lib.zhfts_results_facet(ptr, k)
            if not p:
                break
            f = p.contents
            values = [(_string(f.values[v].value), f.values[v].count)
                      for v in range(f.nvalues if f.values else 0)]
            name = _string(f.name)
            hits.facets[name] = Facet(name, values, f.distinct)
        n = _lib.zhfts_results_count(ptr)
        hits._returned = n
        for i in range(n):
            p = _lib.zhfts_results_hit(ptr, i)
            if not p:
                # NULL comes with a message but no status: ask for the
                # spans, which read the hit the same way and return one.
                status = _lib.zhfts_results_spans(ptr, i, None, None)
                if status == _capi.ENOTFOUND:
                    continue
                if status != _capi.OK:
                    raise self._failure(status, ptr)
                p = _lib.zhfts_results_hit(ptr, i)
                if not p:
                    raise self._failure(_capi.ERROR, ptr)
            hits.append(_hit(p.contents, self, i))
        return hits


def _hit(h, results=None, i=0):
    data = ctypes.string_at(h.text, h.text_len) if h.text and h.text_len else b''
    text = _text.decode(data)
    fields = {}
    for k in range(h.nfields if h.fields else 0):
        f = h.fields[k]
        fields[_text.decode(f.name or b'')] = _text.decode(f.value or b'')
    return Hit(rank=h.rank, score=h.score, tier=h.tier, doc=_string(h.doc), para=h.para,
               offset=h.offset, length=h.length, section=_string(h.section), text=text,
               fields=fields, results=results, index=i,
               data=None if text.encode('utf-8', 'surrogatepass') == data else data)


class Query(_Borrower):
    """A query parsed once for a database, to run as often as needed:
    pages, counts, facets (Database.query()).

    Paging forward (each search's offset at or past the end of the previous
    page, same sort, no facets) goes on from where the previous page
    stopped: the library does not check earlier candidates again.  That is
    what iterating over a Query does.  Close it (or use `with`) to free it
    at once; the database frees it anyway when it closes.
    """

    _FREE = 'zhfts_query_free'

    def __init__(self, db, text):
        qdata = _text.utf8(text, 'query')
        handle = ctypes.c_void_p()
        with db._lock:
            db._need_handle()
            status = _lib.zhfts_query_new(ctypes.byref(handle), db._handle, qdata, len(qdata))
            if status != _capi.OK:
                if handle.value:  # not promised by the API, but never leak it
                    _lib.zhfts_query_free(handle)
                raise errors.from_handle(_lib, db._handle, status, query=text)
            super().__init__(db, handle.value)
        self.text = text
        self.database = db

    def __repr__(self):
        return '<zhfts.Query %r%s>' % (self.text, '' if self.alive else ' freed')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fail(self, status):
        return errors.from_handle(_lib, self._db._handle, status, query=self.text)

    def search(self, limit=10, offset=0, *, sort=None, facets=None, facet_limit=None,
               exact=False, exact_count=None, marks=DEFAULT_MARKS, context=None):
        """Runs the query: one page of hits, as Hits (see Database.search)."""
        limit = _count(limit, 'limit', _capi.SIZE_MAX)
        want_none = limit == 0  # C reads limit 0 as "the default"
        if exact_count is not None:
            exact = exact_count
        names = _facet_names(facets)
        # facet_limit=0 keeps no values (only .distinct); C reads 0 as "all".
        facet_limit = _count(facet_limit, 'facet_limit', None)
        no_values = facet_limit == 0
        if sort is not None and not isinstance(sort, str):
            raise TypeError('sort must be None or a str, not %s' % type(sort).__name__)
        cmarks = _marks(marks)
        ctx = _count(context, 'context', 0)
        cnames = [_text.cstring(n, 'facet name') for n in names]
        carray = (ctypes.c_char_p * len(cnames))(*cnames) if cnames else None
        opts = _capi.SearchOptions(
            version=_capi.SearchOptions.VERSION,
            offset=_count(offset, 'offset', 0),
            limit=1 if want_none else limit,
            flags=(_capi.SEARCH_EXACT_COUNT if exact else 0),
            sort=None if sort is None else _text.cstring(sort, 'sort'),
            facets=ctypes.cast(carray, ctypes.POINTER(ctypes.c_char_p)) if carray else None,
            nfacets=len(cnames),
            facet_limit=1 if no_values else (facet_limit or 0))
        res = ctypes.c_void_p()
        hits = Hits()
        hits.query = self.text
        with self._db._lock:
            ptr = self._need('query %r' % (self.text,))
            status = _lib.zhfts_query_search(ptr, ctypes.byref(opts), ctypes.byref(res))
            if status != _capi.OK:
                if res.value:
                    _lib.zhfts_results_free(res)
                raise self._fail(status)
            results = _Results(self._db, res.value, self.text, cmarks, ctx)
            results.read(hits)
        if want_none:
            del hits[:]
        if no_values:
            for facet in hits.facets.values():
                del facet[:]
        return hits

    def locate(self, *, sort=None):
        """Every match, in order, as (doc, para) pairs: where each is,
        without reading its paragraph (zhfts_results_locate), which is what
        a list of every hit needs and much cheaper than search(limit=None)."""
        if sort is not None and not isinstance(sort, str):
            raise TypeError('sort must be None or a str, not %s' % type(sort).__name__)
        opts = _capi.SearchOptions(version=_capi.SearchOptions.VERSION, limit=_capi.SIZE_MAX,
                                   sort=None if sort is None else _text.cstring(sort, 'sort'))
        res = ctypes.c_void_p()
        out = []
        with self._db._lock:
            ptr = self._need('query %r' % (self.text,))
            status = _lib.zhfts_query_search(ptr, ctypes.byref(opts), ctypes.byref(res))
            try:
                if status != _capi.OK:
                    raise self._fail(status)
                doc, para = ctypes.c_char_p(), ctypes.c_uint32()
                for i in range(_lib.zhfts_results_count(res)):
                    status = _lib.zhfts_results_locate(res, i, ctypes.byref(doc), ctypes.byref(para))
                    if status == _capi.ENOTFOUND:
                        continue  # deleted since the search (a read that reopened)
                    if status != _capi.OK:
                        raise errors.from_status(status, _string(_lib.zhfts_results_errmsg(res)))
                    out.append((_string(doc.value), para.value))
            finally:
                if res.value:
                    _lib.zhfts_results_free(res)
        return out

    def count(self):
        """The exact number of paragraphs that match."""
        out = ctypes.c_uint64()
        with self._db._lock:
            ptr = self._need('query %r' % (self.text,))
            status = _lib.zhfts_query_count(ptr, ctypes.byref(out))
            if status != _capi.OK:
                raise self._fail(status)
        return out.value

    def explain(self):
        """How the library understands the query, for debugging."""
        out = ctypes.c_void_p()
        with self._db._lock:
            ptr = self._need('query %r' % (self.text,))
            status = _lib.zhfts_query_explain(ptr, ctypes.byref(out))
            try:
                if status != _capi.OK:
                    raise self._fail(status)
                return _string(out.value)
            finally:
                if out.value:
                    _lib.zhfts_free(out)

    def iter(self, page_size=100, *, sort=None, marks=DEFAULT_MARKS, context=None):
        """Yields every matching Hit in order, page_size at a time; each page
        goes on from where the previous one stopped."""
        page_size = _count(page_size, 'page_size', 100) or 100
        offset = 0
        while True:
            hits = self.search(limit=page_size, offset=offset, sort=sort, marks=marks,
                               context=context)
            yield from hits
            if hits._returned < page_size:
                return
            offset += hits._returned

    def __iter__(self):
        return self.iter()


class Database:
    """A zhfts database.

    Database(path) opens it for searching; Database(path, writable=True)
    for indexing, creating it if missing (create=False: fail with
    NotFoundError instead; overwrite=True: start empty).  path=None gives
    an in-memory database (always writable).  Other options: sync=False
    (no fsync on commit, for bulk loads), lock_timeout (seconds a writer
    waits for the lock), normalize, traditional, lines (paragraph per line
    rather than per blank-line-separated block), auto_commit_bytes,
    termlist=True (a new database keeps Xapian's termlist table, which
    xapian-tcpsrv needs to serve it; no effect on an existing one),
    remote_timeout (seconds a remote shard may take to answer, default 10),
    write_shard (a stub opened for writing: only shard N, from 1, is
    written; one writer process per shard); options left at None take the
    database's own settings.  path may be a stub file (Xapian's format)
    listing shards: local directories and `remote HOST:PORT` servers.

    Use it as a context manager, or call close().  Closing commits; a
    with-block that raises rolls back to the last commit first.  Closing
    also frees every Query and search result still alive: hits keep what
    was read, but snippets and spans not read yet can no longer be.
    One Database may be shared by threads: calls on it are serialized.
    """

    def __init__(self, path, writable=False, *, create=True, overwrite=False, sync=True,
                 lock_timeout=0, normalize=None, traditional=None, lines=None,
                 auto_commit_bytes=None, termlist=False, remote_timeout=None, write_shard=None):
        self._lib = _lib  # kept for __del__ during interpreter shutdown
        self._lock = threading.RLock()
        self._handle = None
        self._owned = {}  # address -> destructor name, of the queries and results alive
        self.path = path
        if path is None:
            writable = True
            flags = _capi.OPEN_INMEMORY
            cpath = b''
        else:
            cpath = _text.path(path)
            flags = _capi.OPEN_READONLY
            if writable:
                flags = _capi.OPEN_CREATE if create else _capi.OPEN_WRITE
                if overwrite:
                    flags |= _capi.OPEN_OVERWRITE
        if not sync:
            flags |= _capi.OPEN_NO_SYNC
        if termlist:
            flags |= _capi.OPEN_TERMLIST
        self.writable = bool(writable)
        if lock_timeout is None or lock_timeout < 0:
            raise ValueError('lock_timeout must be a number of seconds >= 0')
        opts = _capi.Options(
            version=_capi.Options.VERSION,
            normalize=_switch(normalize), traditional=_switch(traditional),
            paragraph_mode=(_capi.DEFAULT if lines is None else
                            _capi.PARAGRAPH_LINE if lines else _capi.PARAGRAPH_BLANK_LINE),
            lock_timeout_ms=int(min(lock_timeout * 1000, UINT_MAX)),
            auto_commit_bytes=_count(auto_commit_bytes, 'auto_commit_bytes', 0),
            remote_timeout_ms=_timeout_ms(remote_timeout),
            write_shard=min(_count(write_shard, 'write_shard', 0), UINT_MAX))
        handle, errmsg = ctypes.c_void_p(), ctypes.c_void_p()
        status = _lib.zhfts_db_open(ctypes.byref(handle), cpath, flags, ctypes.byref(opts),
                                    ctypes.byref(errmsg))
        message = ''
        if errmsg.value:
            message = _string(errmsg.value)
            _lib.zhfts_free(errmsg)
        if status != _capi.OK:
            if handle.value:  # not promised by the API, but never leak it
                _lib.zhfts_db_close(handle)
            raise errors.from_status(status, message or '%s: cannot open' % (path,))
        self._handle = handle

    def __repr__(self):
        state = 'closed' if self.closed else ('writable' if self.writable else 'read-only')
        return '<zhfts.Database %r %s>' % (self.path, state)

    # -- lifetime -------------------------------------------------------------
    @property
    def closed(self):
        return not self._handle

    def _adopt(self, ptr, free):
        with self._lock:
            self._owned[ptr] = free

    def _owns(self, ptr):
        return ptr in self._owned

    def _release(self, ptr):
        with self._lock:
            free = self._owned.pop(ptr, None)
            if free:
                getattr(self._lib, free)(ptr)

    def _release_all(self):
        with self._lock:
            owned, self._owned = self._owned, {}
            for ptr, free in owned.items():
                getattr(self._lib, free)(ptr)

    def close(self):
        """Commits (if writable) and frees the handle, after every Query and
        result that borrows it.  Safe to call twice."""
        with self._lock:
            self._release_all()
            handle, self._handle = self._handle, None
            if not handle:
                return
            failure = None
            if self.writable:
                # Commit first: after zhfts_db_close() the detail is gone.
                status = self._lib.zhfts_db_commit(handle)
                if status != _capi.OK:
                    failure = errors.from_handle(self._lib, handle, status)
            self._lib.zhfts_db_close(handle)
        if failure:
            raise failure

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # A block that raised keeps nothing of what it did since the last
        # commit (in-memory databases apply changes at once and cannot).
        if exc_type is not None and self.writable and self.path is not None and self._handle:
            with self._lock:
                self._lib.zhfts_db_rollback(self._handle)
        self.close()

    def _need_handle(self):
        if not self._handle:
            raise errors.InvalidArgumentError('the database is closed', where='option')

    def _call(self, fn, *args, query=None):
        """Calls fn(handle, *args) under the lock; raises on failure."""
        with self._lock:
            self._need_handle()
            status = fn(self._handle, *args)
            if status != _capi.OK:
                raise errors.from_handle(_lib, self._handle, status, query=query)

    # -- writing --------------------------------------------------------------
    def index(self, doc_id, text, fields=None, encoding=None, lines=None, lenient=False,
              guess=True):
        """Adds a document, or replaces every paragraph of the one with the
        same id.  `text` is a str, or bytes in `encoding` (None: detect).

        fields: {name: value} (or (name, value) pairs), str values, stored
        with every paragraph, returned in Hit.fields, usable in filters
        (`name:value`, `name:low..high`), sort= and facets=.  Names are 1 to
        32 of a-z, 0-9 and _, starting with a letter, not 'doc' or
        'section'; values 1 to 1024 bytes of UTF-8.  Unless guess=False, a
        document given no 'title' or no 'date' gets them from its first
        lines when they state them (see the library's zhfts.h).

        lenient=True replaces invalid bytes with U+FFFD instead of raising
        EncodingError.  lines=True makes every non-blank line of this
        document a paragraph; None takes the database's paragraph mode
        (fixed when it is created); lines=False in a database created with
        lines=True raises SettingsError.  Returns an IndexInfo."""
        cid = _text.cstring(doc_id, 'document id')
        if isinstance(text, str):
            if encoding is not None:
                raise TypeError('encoding applies to bytes; text is already a str')
            encoding = 'UTF-8'
        data = _text.utf8(text, 'text')
        cfields = self._fields(fields)
        if lines is not None and not lines and self.settings['lines']:
            raise errors.SettingsError(
                'this database splits paragraphs per line; it was created with lines=True',
                where='option', field='lines')
        opts = _capi.DocOptions(version=_capi.DocOptions.VERSION,
                                encoding=None if encoding is None else _text.cstring(encoding, 'encoding'),
                                flags=(_capi.DOC_LENIENT if lenient else 0) |
                                      (_capi.DOC_LINES if lines else 0) |
                                      (0 if guess else _capi.DOC_NO_GUESS),
                                fields=cfields, nfields=len(cfields) if cfields else 0)
        info = _capi.DocInfo(version=_capi.DocInfo.VERSION)
        with self._lock:
            self._call(_lib.zhfts_db_add_document, cid, data, len(data), ctypes.byref(opts),
                       ctypes.byref(info))
            used = _string(info.encoding)  # valid until the next call
        return IndexInfo(info.paragraphs, info.replaced, used, bool(info.committed), bool(info.unchanged))

    @staticmethod
    def _fields(fields):
        if fields is None:
            return None
        if isinstance(fields, Mapping):
            items = list(fields.items())
        elif isinstance(fields, (str, bytes)):
            raise TypeError('fields must be a mapping of names to str values')
        else:
            try:
                items = [tuple(pair) for pair in fields]
            except TypeError:
                raise TypeError('fields must be a mapping of names to str values, not %s'
                                % type(fields).__name__) from None
        out = []
        for item in items:
            if len(item) != 2:
                raise TypeError('fields must be (name, value) pairs')
            name, value = item
            if not isinstance(name, str):
                raise TypeError('a field name must be a str, not %s' % type(name).__name__)
            if not isinstance(value, str):
                raise TypeError('field %r: the value must be a str, not %s'
                                % (name, type(value).__name__))
            out.append(_capi.Field(_text.cstring(name, 'field name %r' % name, field=name),
                                   _text.cstring(value, 'field %r' % name, field=name)))
        if not out:
            return None
        return (_capi.Field * len(out))(*out)

    def delete(self, doc_id):
        """Deletes every paragraph of a document (NotFoundError if none)."""
        self._call(_lib.zhfts_db_delete_document, _text.cstring(doc_id, 'document id'))

    def commit(self):
        """Makes the changes durable and visible to readers that reopen."""
        self._call(_lib.zhfts_db_commit)

    def rollback(self):
        """Writers: discard every change since the last commit."""
        self._call(_lib.zhfts_db_rollback)

    def reopen(self):
        """Readers: see the latest committed state.  Through a stub, remote
        shards whose connection failed (a timeout, a restarted server) are
        connected again."""
        self._call(_lib.zhfts_db_reopen)

    # -- reading --------------------------------------------------------------
    @property
    def settings(self):
        """{'normalize': bool, 'traditional': bool, 'lines': bool}"""
        opts = _capi.Options(version=_capi.Options.VERSION)
        self._call(_lib.zhfts_db_settings, ctypes.byref(opts))
        return {'normalize': opts.normalize == _capi.ON,
                'traditional': opts.traditional == _capi.ON,
                'lines': opts.paragraph_mode == _capi.PARAGRAPH_LINE}

    def stats(self, terms=False):
        """Counts documents and paragraphs (and distinct terms, if asked: slow)."""
        out = _capi.Stats(version=_capi.Stats.VERSION)
        self._call(_lib.zhfts_db_stats, _capi.STATS_TERMS if terms else 0, ctypes.byref(out))
        return Stats(out.documents, out.paragraphs, out.terms, out.disk_bytes, out.dead)

    def shards(self, terms=False):
        """[(address, Stats), ...]: each shard of a database opened through a
        stub file (one entry, the database itself, otherwise)."""
        out = []
        with self._lock:
            self._need_handle()
            n = _lib.zhfts_db_shard_count(self._handle)
        for k in range(n):
            st = _capi.Stats(version=_capi.Stats.VERSION)
            addr = ctypes.c_char_p()
            self._call(_lib.zhfts_db_shard_stats, k, _capi.STATS_TERMS if terms else 0, ctypes.byref(st),
                       ctypes.byref(addr))
            out.append((_text.decode(addr.value or b''),
                        Stats(st.documents, st.paragraphs, st.terms, st.disk_bytes, st.dead)))
        return out

    def shard_of(self, doc_id):
        """The shard (from 0) holding doc_id, or the one it would be added to."""
        out = ctypes.c_size_t()
        self._call(_lib.zhfts_db_shard_of, _text.cstring(doc_id, 'document id'), ctypes.byref(out))
        return out.value

    def documents(self):
        """[(doc_id, paragraphs), ...] in id byte order."""
        found, failure = [], []

        def on_doc(ctx, doc_id, paragraphs):
            try:
                found.append((_text.decode(doc_id or b''), paragraphs))
                return 0
            except BaseException as e:  # must not unwind through C
                failure.append(e)
                return 1

        callback = _capi.DOC_FN(on_doc)
        try:
            self._call(_lib.zhfts_db_foreach_document, callback, None)
        except errors.Error:
            if not failure:
                raise
        if failure:
            raise failure[0]
        return found

    def paragraphs(self, doc_id):
        """The paragraphs of a document, in order, as Hits without score,
        snippet or spans (NotFoundError if there is no such document)."""
        cid = _text.cstring(doc_id, 'document id')
        res = ctypes.c_void_p()
        with self._lock:
            self._call(_lib.zhfts_db_get_document, cid, ctypes.byref(res))
            try:
                hits = Hits()
                n = _lib.zhfts_results_count(res)
                hits._returned = n
                for i in range(n):
                    p = _lib.zhfts_results_hit(res, i)
                    if not p:
                        status = _lib.zhfts_results_spans(res, i, None, None)
                        msg = _text.decode(_lib.zhfts_results_errmsg(res) or b'')
                        raise errors.from_status(status if status != _capi.OK else _capi.ERROR,
                                                 msg, doc=doc_id)
                    hits.append(_hit(p.contents))
                hits.total = hits.total_lower = hits.total_upper = len(hits)
                return hits
            finally:
                _lib.zhfts_results_free(res)

    def query(self, query):
        """Parses a query once, to run it as often as needed (see Query).
        Raises QueryError for a syntax error or an unknown field."""
        return Query(self, query)

    def search(self, query, limit=10, offset=0, *, sort=None, facets=None, facet_limit=None,
               exact=False, exact_count=None, marks=DEFAULT_MARKS, context=None):
        """Runs a query; returns Hits (a list of Hit, ranked, with totals).

        limit=None returns every match; limit=0 none (for totals and facets).
        sort: None or 'relevance' (tier, score, then document order), 'doc'
        (document id, then paragraph), 'FIELD' or '-FIELD' (by a field,
        ascending or descending: numbers before text, numbers numerically;
        paragraphs without the field count as lowest; ties by relevance).
        facets: field names ('doc' for documents) whose values to count
        over every match, into hits.facets; facet_limit: values kept per
        facet, the most frequent first (None: all).
        exact: make hits.total exact (exact_count is the old name).
        marks: what the snippet puts around matches; context: characters of
        snippet context around the first match (None or 0: the library's 40).
        Snippets and spans are made when a hit's .snippet or .spans is first
        read (see Hit)."""
        with self.query(query) as q:
            return q.search(limit, offset, sort=sort, facets=facets, facet_limit=facet_limit,
                            exact=exact, exact_count=exact_count, marks=marks, context=context)

    def count(self, query):
        """The exact number of paragraphs that match."""
        with self.query(query) as q:
            return q.count()

    def locate(self, query, *, sort=None):
        """Every match of a query, in order, as (doc, para) pairs, without
        reading the paragraphs (see Query.locate)."""
        with self.query(query) as q:
            return q.locate(sort=sort)

    def iter_search(self, query, page_size=100, *, sort=None, marks=DEFAULT_MARKS, context=None):
        """Yields every matching Hit in order, fetching page_size at a time
        with one Query (so no page checks again what an earlier one did)."""
        page_size = _count(page_size, 'page_size', 100) or 100
        with self.query(query) as q:
            yield from q.iter(page_size, sort=sort, marks=marks, context=context)

    def explain(self, query):
        """How the library understands a query (the Xapian query), for debugging."""
        qdata = _text.utf8(query, 'query')
        out = ctypes.c_void_p()
        with self._lock:
            self._call(_lib.zhfts_db_explain, qdata, len(qdata), ctypes.byref(out), query=query)
            try:
                return _string(out.value)
            finally:
                _lib.zhfts_free(out)


def _run(fn, args, failing):
    """Calls a path function of the C API that reports through an errmsg
    out argument (the last); raises with its message."""
    errmsg = ctypes.c_void_p()
    status = fn(*args, ctypes.byref(errmsg))
    message = ''
    if errmsg.value:
        message = _string(errmsg.value)
        _lib.zhfts_free(errmsg)
    if status != _capi.OK:
        raise errors.from_status(status, message or failing)


def _paths(values):
    if isinstance(values, (str, bytes)):
        values = [values]
    paths = [_text.path(v) for v in values]
    return (ctypes.c_char_p * len(paths))(*paths) if paths else None, len(paths)


def compact(path):
    """Compacts a database in place: rewrites it without its dead paragraphs
    (deleted or replaced) and the slack of updates.  Takes the writer's lock
    for the whole run; readers see the new one when they reopen."""
    _run(_lib.zhfts_db_compact, (_text.path(path),), 'cannot compact %s' % (path,))


def split(path, dests, termlist=False):
    """Splits a database into len(dests) new shard databases, each document
    on the shard its id hashes to (where a stub listing them in this order
    puts it).  termlist=True gives the shards the termlist table that
    xapian-tcpsrv needs.  merge() puts them back together."""
    array, n = _paths(dests)
    _run(_lib.zhfts_db_split, (_text.path(path), array, n, _capi.OPEN_TERMLIST if termlist else 0),
         'cannot split %s' % (path,))


def merge(dest, sources):
    """Merges zhfts databases (directories with the same settings and no
    document id in common, or stub files listing local shards) into a new,
    compacted database at `dest`, which must not exist yet.  The sources
    are left as they are."""
    array, n = _paths(sources)
    _run(_lib.zhfts_db_merge, (_text.path(dest), array, n), 'cannot merge into %s' % (dest,))
