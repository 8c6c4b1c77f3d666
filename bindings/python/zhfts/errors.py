"""Exceptions: one class per library status, all under zhfts.Error.

The detail comes from the library as data (zhfts_db_error()): where the
failure is (the query, the document's bytes, an option), the byte offset
there, the document and the field concerned, and how many pending documents
a failure of the database discarded.
"""

import ctypes

from . import _capi


class Error(Exception):
    """A failure reported by libzhfts (or caught before reaching it).

    status       the library's negative status code
    status_name  the library's short name for it (zhfts_strerror())
    message      the detail (which document, which byte of the query, ...)
    where        what `offset` is an offset into: 'query', 'document' (the
                 document's bytes, in its own charset), 'option' (an
                 argument: `field` names it), or None
    offset       a byte offset there, or None
    doc          the document id concerned, or None
    field        the field or option concerned, or None
    lost         documents added or deleted since the last commit that the
                 failure discarded (index them again); 0 for bad input,
                 which changes nothing
    position, char_position
                 for a failure in the query (where == 'query'): the byte
                 offset in its UTF-8 text, and the same place as an index
                 into the query string (None when the query was bytes)
    """

    status = _capi.ERROR

    def __init__(self, message, status=None, *, where=None, offset=None, doc=None, field=None,
                 lost=0, query=None):
        if status is not None:
            self.status = status
        self.message = message or status_name(self.status)
        self.where = where
        self.offset = offset
        self.doc = doc
        self.field = field
        self.lost = lost
        self.query = query
        self.position = offset if where == 'query' else None
        self.char_position = None
        if self.position is not None and isinstance(query, str):
            self.char_position = _char_index(query, self.position)
        super().__init__(self.message)

    @property
    def status_name(self):
        return status_name(self.status)


class OutOfMemoryError(Error, MemoryError):
    status = _capi.ENOMEM


class InvalidArgumentError(Error, ValueError):
    """ZHFTS_EINVAL: a bad argument or option (a field name, a sort key, a
    closed handle...); `field` names it when the library says which."""

    status = _capi.EINVAL


class EncodingError(Error, ValueError):
    """Invalid bytes or an unknown charset.  `offset` is the byte offset of
    the first invalid byte in the document's bytes (or in the UTF-8 text of
    a str) when it is known, else None; `doc` the document."""

    status = _capi.EENCODING


class QueryError(Error, ValueError):
    """A query the library cannot run: a syntax error, a field the database
    has never seen, a range whose ends are of different kinds.  `position`
    is the byte offset in the UTF-8 query, `char_position` the same place
    as an index into the query string, `query` the query."""

    status = _capi.EQUERY


class LockedError(Error):
    status = _capi.ELOCKED


class NotFoundError(Error, LookupError):
    status = _capi.ENOTFOUND


class StorageError(Error, OSError):
    """ZHFTS_EIO: an I/O failure (disk full, permissions, ...)."""

    status = _capi.EIO

    def __init__(self, message, status=None, **detail):
        # OSError's own constructor would reinterpret the arguments.
        Error.__init__(self, message, status, **detail)

    def __str__(self):
        return self.message


class CorruptError(Error):
    status = _capi.ECORRUPT


class SettingsError(Error):
    status = _capi.ESETTINGS


class ReadOnlyError(Error):
    status = _capi.EREADONLY


class LimitError(Error):
    status = _capi.ELIMIT


class VersionError(Error):
    status = _capi.EVERSION


_CLASSES = {cls.status: cls for cls in (
    OutOfMemoryError, InvalidArgumentError, EncodingError, QueryError, LockedError,
    NotFoundError, StorageError, CorruptError, SettingsError, ReadOnlyError, LimitError,
    VersionError)}


def _char_index(text, byte_offset):
    data = text.encode('utf-8', 'surrogatepass')
    return len(data[:max(byte_offset, 0)].decode('utf-8', 'replace'))


def _string(p):
    return ctypes.string_at(p).decode('utf-8', 'replace') if p else None


def status_name(status):
    name = _capi.lib.zhfts_strerror(status)
    return name.decode('utf-8', 'replace') if name else 'status %d' % status


def from_status(status, message, **detail):
    """The exception for a library status (a positive status, which only a
    callback can produce, becomes a plain Error)."""
    return _CLASSES.get(status, Error)(message, status, **detail)


def from_handle(lib, handle, status, query=None):
    """The exception for a failed call on a database handle, from
    zhfts_db_error() (read at once: it is valid until the next call)."""
    p = lib.zhfts_db_error(handle)
    if not p:
        return from_status(status, '', query=query)
    e = p.contents
    where = _capi.WHERE_NAMES.get(e.where)
    return from_status(status, _string(e.message) or '',
                       where=where,
                       offset=e.offset if e.offset >= 0 else None,
                       doc=_string(e.doc), field=_string(e.field), lost=e.lost,
                       query=query)
