"""Loading libzhfts and declaring its C API for ctypes.

Everything that knows about C lives here: the library search, the struct
layouts (they must match include/zhfts.h exactly; tests/test_abi.py compares
them with what a C compiler says) and the function prototypes.  Declaring
every prototype matters: without argtypes/restype ctypes guesses `int`, which
truncates pointers and size_t on 64-bit machines.
"""

import ctypes
import ctypes.util
import glob
import json
import os

# The soname of the ABI this package was written for (lib/meson.build: soversion).
ABI_MAJOR = 0
SONAME = 'libzhfts.so.%d' % ABI_MAJOR

SIZE_MAX = ctypes.c_size_t(-1).value

OK = 0
ERROR = -1
ENOMEM = -2
EINVAL = -3
EENCODING = -4
EQUERY = -5
ELOCKED = -6
ENOTFOUND = -7
EIO = -8
ECORRUPT = -9
ESETTINGS = -10
EREADONLY = -11
ELIMIT = -12
EVERSION = -13
ITEROVER = -14
LAST_STATUS = -15

DEFAULT, ON, OFF = 0, 1, 2
PARAGRAPH_BLANK_LINE, PARAGRAPH_LINE = 1, 2

OPEN_READONLY = 0x0
OPEN_WRITE = 0x1
OPEN_CREATE = 0x2
OPEN_OVERWRITE = 0x4
OPEN_NO_SYNC = 0x8
OPEN_INMEMORY = 0x10

DOC_LENIENT = 0x1
DOC_LINES = 0x2
STATS_TERMS = 0x1
SEARCH_EXACT_COUNT = 0x1

TOKEN_KINDS = {1: 'han', 2: 'word', 3: 'number', 4: 'mixed'}


class Options(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('normalize', ctypes.c_int),
        ('traditional', ctypes.c_int),
        ('paragraph_mode', ctypes.c_int),
        ('lock_timeout_ms', ctypes.c_uint),
        ('auto_commit_bytes', ctypes.c_size_t),
    ]
    VERSION = 1


class Token(ctypes.Structure):
    _fields_ = [
        ('text', ctypes.c_void_p),  # not NUL-terminated: read with string_at(text, text_len)
        ('text_len', ctypes.c_size_t),
        ('offset', ctypes.c_size_t),
        ('length', ctypes.c_size_t),
        ('position', ctypes.c_uint32),
        ('units', ctypes.c_uint32),
        ('kind', ctypes.c_int),
    ]


class DocOptions(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('encoding', ctypes.c_char_p),
        ('flags', ctypes.c_uint),
    ]
    VERSION = 1


class DocInfo(ctypes.Structure):
    _fields_ = [
        ('paragraphs', ctypes.c_uint32),
        ('replaced', ctypes.c_uint32),
        ('encoding', ctypes.c_char * 32),
    ]


class Stats(ctypes.Structure):
    _fields_ = [
        ('documents', ctypes.c_uint64),
        ('paragraphs', ctypes.c_uint64),
        ('terms', ctypes.c_uint64),
        ('disk_bytes', ctypes.c_uint64),
    ]


class Span(ctypes.Structure):
    _fields_ = [('offset', ctypes.c_size_t), ('length', ctypes.c_size_t)]


class Hit(ctypes.Structure):
    # Strings are c_void_p so that we decide how to read them (and never let
    # ctypes turn a NULL into an exception halfway through a result).
    _fields_ = [
        ('rank', ctypes.c_size_t),
        ('score', ctypes.c_double),
        ('doc', ctypes.c_void_p),
        ('para', ctypes.c_uint32),
        ('offset', ctypes.c_uint64),
        ('length', ctypes.c_uint64),
        ('section', ctypes.c_void_p),
        ('text', ctypes.c_void_p),
        ('text_len', ctypes.c_size_t),
        ('snippet', ctypes.c_void_p),
        ('spans', ctypes.POINTER(Span)),
        ('nspans', ctypes.c_size_t),
    ]


class SearchOptions(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('offset', ctypes.c_size_t),
        ('limit', ctypes.c_size_t),
        ('mark_open', ctypes.c_char_p),
        ('mark_close', ctypes.c_char_p),
        ('snippet_chars', ctypes.c_size_t),
        ('flags', ctypes.c_uint),
    ]
    VERSION = 1


# Every struct the bindings mirror, by its C name (for the ABI test).
STRUCTS = {
    'zhfts_options': Options,
    'zhfts_token': Token,
    'zhfts_doc_options': DocOptions,
    'zhfts_doc_info': DocInfo,
    'zhfts_stats': Stats,
    'zhfts_span': Span,
    'zhfts_hit': Hit,
    'zhfts_search_options': SearchOptions,
}

TOKEN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Token))
DOC_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32)

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_sz = ctypes.c_size_t
_int = ctypes.c_int
_uint = ctypes.c_uint
_str = ctypes.c_char_p
_u64p = ctypes.POINTER(ctypes.c_uint64)

# name: (restype, argtypes).  Handles are plain void pointers.
PROTOTYPES = {
    'zhfts_version': (_str, []),
    'zhfts_strerror': (_str, [_int]),
    'zhfts_free': (None, [_p]),
    'zhfts_tokenizer_new': (_int, [_pp, ctypes.POINTER(Options)]),
    'zhfts_tokenizer_free': (None, [_p]),
    'zhfts_tokenizer_errmsg': (_str, [_p]),
    'zhfts_tokenize': (_int, [_p, _str, _sz, TOKEN_FN, _p]),
    'zhfts_db_open': (_int, [_pp, _str, _uint, ctypes.POINTER(Options), _pp]),
    'zhfts_db_close': (_int, [_p]),
    'zhfts_db_errmsg': (_str, [_p]),
    'zhfts_db_settings': (_int, [_p, ctypes.POINTER(Options)]),
    'zhfts_db_add_document': (_int, [_p, _str, _str, _sz, ctypes.POINTER(DocOptions),
                                     ctypes.POINTER(DocInfo)]),
    'zhfts_db_delete_document': (_int, [_p, _str]),
    'zhfts_db_commit': (_int, [_p]),
    'zhfts_db_reopen': (_int, [_p]),
    'zhfts_db_rollback': (_int, [_p]),
    'zhfts_db_stats': (_int, [_p, _uint, ctypes.POINTER(Stats)]),
    'zhfts_db_foreach_document': (_int, [_p, DOC_FN, _p]),
    'zhfts_db_search': (_int, [_p, _str, _sz, ctypes.POINTER(SearchOptions), _pp]),
    'zhfts_results_count': (_sz, [_p]),
    'zhfts_results_hit': (ctypes.POINTER(Hit), [_p, _sz]),
    'zhfts_results_total': (None, [_p, _u64p, _u64p, _u64p]),
    'zhfts_results_free': (None, [_p]),
    'zhfts_db_get_document': (_int, [_p, _str, _pp]),
    'zhfts_db_explain': (_int, [_p, _str, _sz, _pp]),
}


def _package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def _installed_candidates():
    """The library next to an installed copy of the package.

    `meson install` writes _installed.py with the library directory relative
    to the package, so that a staged install (DESTDIR) finds its own library.
    """
    try:
        from . import _installed
    except ImportError:
        return []
    libdir = os.path.normpath(os.path.join(_package_dir(), _installed.LIBDIR_FROM_PACKAGE))
    return [os.path.join(libdir, SONAME)]


def _sanitized(build_dir):
    """True if a meson build directory is built with sanitizers: loading
    such a library into a plain python3 aborts the process."""
    try:
        with open(os.path.join(build_dir, 'meson-info', 'intro-buildoptions.json')) as f:
            options = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o.get('name') == 'b_sanitize' and o.get('value') not in ('none', '', None)
               for o in options if isinstance(o, dict))


def _build_tree_candidates():
    """The library in a build directory, when the package is imported from
    its source checkout (bindings/python/zhfts): ./build first, then the
    most recently built."""
    root = os.path.normpath(os.path.join(_package_dir(), '..', '..', '..'))
    if not (os.path.isfile(os.path.join(root, 'meson.build'))
            and os.path.isfile(os.path.join(root, 'include', 'zhfts.h'))):
        return []
    found = []
    for path in glob.glob(os.path.join(root, '*', 'lib', SONAME)):
        build_dir = os.path.dirname(os.path.dirname(path))
        try:
            mtime = os.path.getmtime(path)
        except OSError:  # being rebuilt
            continue
        if not _sanitized(build_dir):
            found.append((os.path.basename(build_dir) != 'build', -mtime, path))
    return [path for _, _, path in sorted(found)]


def candidates():
    """Where the library is looked for, in order (ZHFTS_LIBRARY overrides all)."""
    explicit = os.environ.get('ZHFTS_LIBRARY')
    if explicit:
        return [explicit]
    found = _installed_candidates() + _build_tree_candidates()
    found.append(SONAME)  # the system loader: LD_LIBRARY_PATH, ld.so.cache, /usr/lib
    name = ctypes.util.find_library('zhfts')
    if name and name != SONAME:
        found.append(name)
    return found


def _load():
    tried = []
    for path in candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append('%s (no such file)' % path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append('%s (%s)' % (path, e))
            continue
        try:
            for name, (restype, argtypes) in PROTOTYPES.items():
                fn = getattr(lib, name)
                fn.restype = restype
                fn.argtypes = argtypes
        except AttributeError as e:
            tried.append('%s (not libzhfts: %s)' % (path, e))
            continue
        version = lib.zhfts_version().decode('ascii', 'replace')
        if version.split('.')[0] != str(ABI_MAJOR):
            tried.append('%s (version %s, this package needs %d.x)' % (path, version, ABI_MAJOR))
            continue
        return lib, path
    raise ImportError('zhfts: cannot load libzhfts; set ZHFTS_LIBRARY to its path. Tried: '
                      + '; '.join(tried))


lib, library_path = _load()
