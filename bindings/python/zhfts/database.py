"""zhfts.Database: open, index, search."""

import ctypes
import threading
from dataclasses import dataclass, field

from . import _capi, _text, errors

_lib = _capi.lib
UINT_MAX = ctypes.c_uint(-1).value


@dataclass(frozen=True)
class Hit:
    """One matching paragraph.

    rank      from 1, counted from the first hit of the whole result
    score     BM25 weight (0.0 for Database.paragraphs())
    doc       document id; para: paragraph number, from 1
    offset, length  byte range of the paragraph in the document as it was
              indexed (in its own charset)
    section   section path, components joined by " › "; "" if none
    text      the paragraph
    snippet   text around the best match, matches between the marks
    spans     the matches as (start, end) CHARACTER offsets into `text`:
              text[start:end] is a match
    byte_spans  the same matches as (start, end) BYTE offsets into
              text.encode('utf-8'), as the C API reports them
    """
    rank: int
    score: float
    doc: str
    para: int
    offset: int
    length: int
    section: str
    text: str = field(repr=False)
    snippet: str
    spans: tuple
    byte_spans: tuple = field(repr=False)

    @property
    def matches(self):
        """The matched pieces of text, in order."""
        return tuple(self.text[s:e] for s, e in self.spans)


class Hits(list):
    """A list of Hit, plus how many paragraphs match in the whole database:
    `total` (an estimate), between `total_lower` and `total_upper`."""

    total = total_lower = total_upper = 0

    @property
    def exact(self):
        return self.total_lower == self.total_upper


@dataclass(frozen=True)
class IndexInfo:
    paragraphs: int  # paragraphs indexed
    replaced: int    # paragraphs of an earlier version that were removed
    encoding: str    # the charset that was used


@dataclass(frozen=True)
class Stats:
    documents: int
    paragraphs: int
    terms: int       # 0 unless stats(terms=True)
    disk_bytes: int  # 0 for in-memory databases


def _switch(value):
    return _capi.DEFAULT if value is None else (_capi.ON if value else _capi.OFF)


def _count(value, what, none):
    if value is None:
        return none
    try:
        n = int(value.__index__())
    except AttributeError:
        raise TypeError('%s must be an int, not %s' % (what, type(value).__name__)) from None
    if n < 0:
        raise ValueError('%s must not be negative' % what)
    return min(n, _capi.SIZE_MAX)


def _read_results(res):
    hits = Hits()
    estimate, lower, upper = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
    _lib.zhfts_results_total(res, ctypes.byref(estimate), ctypes.byref(lower), ctypes.byref(upper))
    hits.total, hits.total_lower, hits.total_upper = estimate.value, lower.value, upper.value
    for i in range(_lib.zhfts_results_count(res)):
        p = _lib.zhfts_results_hit(res, i)
        if not p:
            break
        h = p.contents
        data = ctypes.string_at(h.text, h.text_len) if h.text and h.text_len else b''
        chars = _text.CharOffsets(data)
        spans, byte_spans = [], []
        for j in range(h.nspans if h.spans else 0):
            start = min(h.spans[j].offset, len(data))
            end = min(start + h.spans[j].length, len(data))
            byte_spans.append((start, end))
            spans.append((chars(start), chars(end)))
        hits.append(Hit(
            rank=h.rank, score=h.score,
            doc=_text.decode(ctypes.string_at(h.doc)) if h.doc else '',
            para=h.para, offset=h.offset, length=h.length,
            section=_text.decode(ctypes.string_at(h.section)) if h.section else '',
            text=_text.decode(data),
            snippet=_text.decode(ctypes.string_at(h.snippet)) if h.snippet else '',
            spans=tuple(spans), byte_spans=tuple(byte_spans)))
    return hits


class Database:
    """A zhfts database.

    Database(path) opens it for searching; Database(path, writable=True)
    for indexing, creating it if missing (create=False: fail with
    NotFoundError instead; overwrite=True: start empty).  path=None gives
    an in-memory database (always writable).  Other options: sync=False
    (no fsync on commit, for bulk loads), lock_timeout (seconds a writer
    waits for the lock), normalize, traditional, lines (paragraph per line
    rather than per blank-line-separated block), auto_commit_bytes; options
    left at None take the database's own settings.

    Use it as a context manager, or call close().  Closing commits; a
    with-block that raises rolls back to the last commit first.
    One Database may be shared by threads: calls on it are serialized.
    """

    def __init__(self, path, writable=False, *, create=True, overwrite=False, sync=True,
                 lock_timeout=0, normalize=None, traditional=None, lines=None,
                 auto_commit_bytes=None):
        self._lib = _lib  # kept for __del__ during interpreter shutdown
        self._lock = threading.RLock()
        self._handle = None
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
        self.writable = bool(writable)
        if lock_timeout is None or lock_timeout < 0:
            raise ValueError('lock_timeout must be a number of seconds >= 0')
        opts = _capi.Options(
            version=_capi.Options.VERSION,
            normalize=_switch(normalize), traditional=_switch(traditional),
            paragraph_mode=(_capi.DEFAULT if lines is None else
                            _capi.PARAGRAPH_LINE if lines else _capi.PARAGRAPH_BLANK_LINE),
            lock_timeout_ms=int(min(lock_timeout * 1000, UINT_MAX)),
            auto_commit_bytes=_count(auto_commit_bytes, 'auto_commit_bytes', 0))
        handle, errmsg = ctypes.c_void_p(), ctypes.c_void_p()
        status = _lib.zhfts_db_open(ctypes.byref(handle), cpath, flags, ctypes.byref(opts),
                                    ctypes.byref(errmsg))
        message = ''
        if errmsg.value:
            message = _text.decode(ctypes.string_at(errmsg.value))
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

    def close(self):
        """Commits (if writable) and frees the handle.  Safe to call twice."""
        with self._lock:
            handle, self._handle = self._handle, None
            if not handle:
                return
            failure = None
            if self.writable:
                # Commit first: after zhfts_db_close() the message is gone.
                status = self._lib.zhfts_db_commit(handle)
                if status != _capi.OK:
                    failure = errors.from_status(status, self._message(handle))
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

    def _message(self, handle):
        msg = self._lib.zhfts_db_errmsg(handle)
        return _text.decode(msg) if msg else ''

    def _call(self, fn, *args, query=None):
        """Calls fn(handle, *args) under the lock; raises on failure."""
        with self._lock:
            if not self._handle:
                raise errors.InvalidArgumentError('the database is closed')
            status = fn(self._handle, *args)
            if status != _capi.OK:
                raise errors.from_status(status, self._message(self._handle), query=query)

    # -- writing --------------------------------------------------------------
    def index(self, doc_id, text, encoding=None, lines=None, lenient=False):
        """Adds a document, or replaces every paragraph of the one with the
        same id.  `text` is a str, or bytes in `encoding` (None: detect).
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
        if lines is not None and not lines and self.settings['lines']:
            raise errors.SettingsError(
                'this database splits paragraphs %s; it was created with lines=%s'
                % ('per line' if self.settings['lines'] else 'at blank lines',
                   self.settings['lines']))
        opts = _capi.DocOptions(version=_capi.DocOptions.VERSION,
                                encoding=None if encoding is None else _text.cstring(encoding, 'encoding'),
                                flags=(_capi.DOC_LENIENT if lenient else 0) |
                                      (_capi.DOC_LINES if lines else 0))
        info = _capi.DocInfo()
        self._call(_lib.zhfts_db_add_document, cid, data, len(data), ctypes.byref(opts),
                   ctypes.byref(info))
        return IndexInfo(info.paragraphs, info.replaced, _text.decode(info.encoding))

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
        """Readers: see the latest committed state."""
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
        out = _capi.Stats()
        self._call(_lib.zhfts_db_stats, _capi.STATS_TERMS if terms else 0, ctypes.byref(out))
        return Stats(out.documents, out.paragraphs, out.terms, out.disk_bytes)

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

    def _results(self, fn, *args, query=None):
        res = ctypes.c_void_p()
        with self._lock:
            self._call(fn, *args, ctypes.byref(res), query=query)
        try:
            return _read_results(res)
        finally:
            _lib.zhfts_results_free(res)

    def paragraphs(self, doc_id):
        """The paragraphs of a document, in order, as Hits without score,
        snippet or spans (NotFoundError if there is no such document)."""
        return self._results(_lib.zhfts_db_get_document, _text.cstring(doc_id, 'document id'))

    def search(self, query, limit=10, offset=0, *, exact_count=False, marks=('[', ']'),
               context=None):
        """Runs a query; returns Hits (a list of Hit, ranked, with totals).

        limit=None returns every match.  marks: what the snippet puts around
        matches.  context: characters of snippet context each side (None:
        the library's default).  exact_count: make hits.total exact."""
        qdata = _text.utf8(query, 'query')
        limit = _count(limit, 'limit', _capi.SIZE_MAX)
        want_none = limit == 0  # C reads limit 0 as "the default"
        mark_open, mark_close = marks
        opts = _capi.SearchOptions(
            version=_capi.SearchOptions.VERSION,
            offset=_count(offset, 'offset', 0),
            limit=1 if want_none else limit,
            mark_open=_text.cstring(mark_open, 'mark'),
            mark_close=_text.cstring(mark_close, 'mark'),
            snippet_chars=_count(context, 'context', 0),
            flags=_capi.SEARCH_EXACT_COUNT if exact_count else 0)
        hits = self._results(_lib.zhfts_db_search, qdata, len(qdata), ctypes.byref(opts),
                             query=query)
        if want_none:
            del hits[:]
        return hits

    def count(self, query):
        """The exact number of paragraphs that match."""
        return self.search(query, limit=0, exact_count=True).total

    def iter_search(self, query, page_size=100, **kwargs):
        """Yields every matching Hit in rank order, fetching page_size at a time."""
        page_size = _count(page_size, 'page_size', 100) or 100
        offset = 0
        while True:
            hits = self.search(query, limit=page_size, offset=offset, **kwargs)
            yield from hits
            if len(hits) < page_size:
                return
            offset += len(hits)

    def explain(self, query):
        """How the library understands a query (the Xapian query), for debugging."""
        qdata = _text.utf8(query, 'query')
        out = ctypes.c_void_p()
        self._call(_lib.zhfts_db_explain, qdata, len(qdata), ctypes.byref(out), query=query)
        try:
            return _text.decode(ctypes.string_at(out.value)) if out.value else ''
        finally:
            _lib.zhfts_free(out)
