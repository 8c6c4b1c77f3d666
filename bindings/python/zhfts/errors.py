"""Exceptions: one class per library status, all under zhfts.Error."""

import re

from . import _capi


class Error(Exception):
    """A failure reported by libzhfts (or caught before reaching it).

    `status` is the library's negative status code, `message` its detail
    (which document, byte offset or query position), `status_name` the
    library's short name for the status (zhfts_strerror()).
    """

    status = _capi.ERROR

    def __init__(self, message, status=None):
        if status is not None:
            self.status = status
        self.message = message or status_name(self.status)
        super().__init__(self.message)

    @property
    def status_name(self):
        return status_name(self.status)


class OutOfMemoryError(Error, MemoryError):
    status = _capi.ENOMEM


class InvalidArgumentError(Error, ValueError):
    status = _capi.EINVAL


class EncodingError(Error, ValueError):
    """Invalid bytes or an unknown charset.  `offset` is the byte offset of
    the first invalid byte when the message names one, else None."""

    status = _capi.EENCODING

    def __init__(self, message, status=None, offset=None):
        super().__init__(message, status)
        self.offset = offset if offset is not None else _number_after(self.message, _OFFSET_WORDS)


class QueryError(Error, ValueError):
    """A query syntax error.  `position` is the byte offset in the UTF-8
    query that the message names (None if it names none); `char_position`
    the same place as an index into the query string."""

    status = _capi.EQUERY

    def __init__(self, message, status=None, query=None):
        super().__init__(message, status)
        self.position = _number_after(self.message, _OFFSET_WORDS)
        self.char_position = None
        if self.position is not None and isinstance(query, str):
            head = query.encode('utf-8', 'surrogatepass')[:self.position]
            self.char_position = len(head.decode('utf-8', 'replace'))


class LockedError(Error):
    status = _capi.ELOCKED


class NotFoundError(Error, LookupError):
    status = _capi.ENOTFOUND


class StorageError(Error, OSError):
    """ZHFTS_EIO: an I/O failure (disk full, permissions, ...)."""

    status = _capi.EIO

    def __init__(self, message, status=None):
        # OSError's own constructor would reinterpret the arguments.
        Error.__init__(self, message, status)

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

_OFFSET_WORDS = r'(?:byte offset|offset|position|byte|at)'


def _number_after(message, words):
    m = re.search(r'\b' + words + r'\s*:?\s*(\d+)', message or '')
    return int(m.group(1)) if m else None


def status_name(status):
    name = _capi.lib.zhfts_strerror(status)
    return name.decode('utf-8', 'replace') if name else 'status %d' % status


def from_status(status, message, query=None):
    """The exception for a library status (a positive status, which only a
    callback can produce, becomes a plain Error)."""
    cls = _CLASSES.get(status, Error)
    if cls is QueryError:
        return cls(message, status, query=query)
    return cls(message, status)
