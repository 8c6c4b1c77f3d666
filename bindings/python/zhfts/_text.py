"""Conversions between Python values and the bytes the C API takes."""

import os

from . import errors

# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))


def utf8(value, what):
    """str -> UTF-8 bytes; bytes-like -> bytes.  Text goes to C as
    (pointer, length), so embedded NULs are fine here."""
    if isinstance(value, str):
        try:
            return value.encode('utf-8')
        except UnicodeEncodeError as e:
            raise errors.EncodingError(
                '%s: character %d (%r) cannot be encoded as UTF-8' % (what, e.start, value[e.start]),
                offset=len(value[:e.start].encode('utf-8', 'surrogatepass'))) from None
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError('%s must be str or bytes, not %s' % (what, type(value).__name__))


def cstring(value, what, field=None):
    """A value for a NUL-terminated C string parameter: NUL is rejected here,
    since C would silently cut the string there."""
    data = utf8(value, what)
    if b'\0' in data:
        raise errors.InvalidArgumentError('%s contains a NUL character at byte %d'
                                          % (what, data.index(b'\0')),
                                          where='option', field=field)
    return data


def path(value):
    if isinstance(value, (str, bytes, os.PathLike)):
        data = os.fsencode(value)
    else:
        raise TypeError('path must be str, bytes or os.PathLike, not %s' % type(value).__name__)
    if b'\0' in data:
        raise errors.InvalidArgumentError('path contains a NUL character')
    return data


def decode(data):
    return data.decode('utf-8', 'replace')


class CharOffsets:
    """Maps byte offsets in UTF-8 data to character offsets in its decoded
    string.  Fast for offsets that come in increasing order (spans, tokens)."""

    def __init__(self, data):
        self._data = data
        self._byte = 0
        self._char = 0

    def __call__(self, offset):
        offset = min(max(offset, 0), len(self._data))
        if offset < self._byte:
            self._byte = self._char = 0
        self._char += len(self._data[self._byte:offset].translate(None, _CONTINUATION))
        self._byte = offset
        return self._char
