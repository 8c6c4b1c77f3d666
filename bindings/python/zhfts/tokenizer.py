"""zhfts.tokenize(): the tokens the index sees."""

import ctypes
import threading
from dataclasses import dataclass

from . import _capi, _text, errors

_lib = _capi.lib


@dataclass(frozen=True)
class Token:
    """One token.

    text      the normalized token (NFKC, case folded, Simplified)
    start,end character offsets into the input string: text_in[start:end]
              (byte offsets when the input was bytes)
    offset,length  byte range in the UTF-8 input
    position  position of its first matching unit; units: positions it takes
    kind      'han', 'word', 'number' or 'mixed'
    """
    text: str
    start: int
    end: int
    offset: int
    length: int
    position: int
    units: int
    kind: str


def _switch(value):
    return _capi.DEFAULT if value is None else (_capi.ON if value else _capi.OFF)


class Tokenizer:
    """A reusable tokenizer; close() it (or use `with`) to free it at once."""

    def __init__(self, normalize=True, traditional=True):
        opts = _capi.Options(version=_capi.Options.VERSION, normalize=_switch(normalize),
                             traditional=_switch(traditional))
        handle = ctypes.c_void_p()
        self._lib = _lib  # kept for __del__ during interpreter shutdown
        self._lock = threading.RLock()
        self._handle = None
        status = _lib.zhfts_tokenizer_new(ctypes.byref(handle), ctypes.byref(opts))
        if status != _capi.OK:
            raise errors.from_status(status, 'cannot create a tokenizer')
        self._handle = handle

    def close(self):
        with self._lock:
            handle, self._handle = self._handle, None
            if handle:
                self._lib.zhfts_tokenizer_free(handle)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def tokenize(self, text):
        """Returns the list of Tokens of `text` (str or UTF-8 bytes)."""
        is_str = isinstance(text, str)
        data = _text.utf8(text, 'text')
        tokens = []
        failure = []
        chars = _text.CharOffsets(data) if is_str else None

        def on_token(ctx, tok_p):
            try:
                t = tok_p.contents
                raw = ctypes.string_at(t.text, t.text_len) if t.text_len else b''
                start, end = t.offset, t.offset + t.length
                if chars is not None:
                    start, end = chars(start), chars(end)
                tokens.append(Token(_text.decode(raw), start, end, t.offset, t.length,
                                    t.position, t.units, _capi.TOKEN_KINDS.get(t.kind, str(t.kind))))
                return 0
            except BaseException as e:  # must not unwind through C
                failure.append(e)
                return 1

        callback = _capi.TOKEN_FN(on_token)
        with self._lock:
            if not self._handle:
                raise errors.InvalidArgumentError('the tokenizer is closed')
            status = _lib.zhfts_tokenize(self._handle, data, len(data), callback, None)
            message = _text.decode(_lib.zhfts_tokenizer_errmsg(self._handle) or b'')
        if failure:
            raise failure[0]
        if status != _capi.OK:
            detail = {}
            if status == _capi.EENCODING:
                # The tokenizer reports no detail as data (there is no
                # zhfts_tokenizer_error()): its input is UTF-8, so the first
                # invalid byte is where Python's strict decoder stops.
                try:
                    data.decode('utf-8')
                except UnicodeDecodeError as e:
                    detail = {'where': 'document', 'offset': e.start}
            raise errors.from_status(status, message, **detail)
        return tokens


def tokenize(text, normalize=True, traditional=True):
    """The tokens of `text` as the index sees them (see Token)."""
    with Tokenizer(normalize, traditional) as tok:
        return tok.tokenize(text)
