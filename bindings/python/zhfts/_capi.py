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

# The soname of the ABI this package was written for (meson.build: soversion).
# The library's version string (zhfts_version(), "0.4.0") is the release, not
# the ABI: what is checked on loading is the soname and the symbols.
ABI_MAJOR = 1
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
OPEN_TERMLIST = 0x20

DOC_LENIENT = 0x1
DOC_LINES = 0x2
DOC_NO_GUESS = 0x4
STATS_TERMS = 0x1
SEARCH_EXACT_COUNT = 0x1
SEARCH_NO_SNIPPETS = 0x2

WHERE_NONE = 0
WHERE_QUERY = 1
WHERE_DOCUMENT = 2
WHERE_OPTION = 3
WHERE_NAMES = {WHERE_NONE: None, WHERE_QUERY: 'query', WHERE_DOCUMENT: 'document',
               WHERE_OPTION: 'option'}

TOKEN_KINDS = {1: 'han', 2: 'word', 3: 'number', 4: 'mixed'}

# Strings the library owns are c_void_p in structs it fills in, so that we
# decide how to read them (ctypes.string_at), and c_char_p in structs we fill
# in (ctypes then keeps the bytes assigned to them alive with the struct).


class Options(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('normalize', ctypes.c_int),
        ('traditional', ctypes.c_int),
        ('paragraph_mode', ctypes.c_int),
        ('lock_timeout_ms', ctypes.c_uint),
        ('auto_commit_bytes', ctypes.c_size_t),
        ('remote_timeout_ms', ctypes.c_uint),
        ('write_shard', ctypes.c_uint),
    ]
    VERSION = 2


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


class Error(ctypes.Structure):
    _fields_ = [
        ('status', ctypes.c_int),
        ('message', ctypes.c_void_p),
        ('where', ctypes.c_int),  # zhfts_where: an enum, int-sized (checked by test_abi)
        ('offset', ctypes.c_int64),
        ('doc', ctypes.c_void_p),
        ('field', ctypes.c_void_p),
        ('lost', ctypes.c_uint64),
    ]


class Field(ctypes.Structure):
    # Used both ways: filled in by us (zhfts_doc_options.fields) and by the
    # library (zhfts_hit.fields), whose strings are NUL-terminated.
    _fields_ = [
        ('name', ctypes.c_char_p),
        ('value', ctypes.c_char_p),
    ]


class DocOptions(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('encoding', ctypes.c_char_p),
        ('flags', ctypes.c_uint),
        ('fields', ctypes.POINTER(Field)),
        ('nfields', ctypes.c_size_t),
    ]
    VERSION = 2


class DocInfo(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('paragraphs', ctypes.c_uint32),
        ('replaced', ctypes.c_uint32),
        ('encoding', ctypes.c_void_p),  # valid until the next call on the handle
        ('committed', ctypes.c_uint),
        ('unchanged', ctypes.c_uint),
    ]
    VERSION = 2


class Stats(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('documents', ctypes.c_uint64),
        ('paragraphs', ctypes.c_uint64),
        ('terms', ctypes.c_uint64),
        ('disk_bytes', ctypes.c_uint64),
        ('dead', ctypes.c_uint64),
    ]
    VERSION = 1


class Span(ctypes.Structure):
    _fields_ = [('offset', ctypes.c_size_t), ('length', ctypes.c_size_t)]


class Hit(ctypes.Structure):
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
        ('tier', ctypes.c_int),
        ('fields', ctypes.POINTER(Field)),
        ('nfields', ctypes.c_size_t),
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
        ('sort', ctypes.c_char_p),
        ('facets', ctypes.POINTER(ctypes.c_char_p)),
        ('nfacets', ctypes.c_size_t),
        ('facet_limit', ctypes.c_size_t),
    ]
    VERSION = 2


class SnippetOptions(ctypes.Structure):
    _fields_ = [
        ('version', ctypes.c_uint),
        ('mark_open', ctypes.c_char_p),
        ('mark_close', ctypes.c_char_p),
        ('context_chars', ctypes.c_size_t),
    ]
    VERSION = 1


class FacetValue(ctypes.Structure):
    _fields_ = [
        ('value', ctypes.c_void_p),
        ('count', ctypes.c_uint64),
    ]


class Facet(ctypes.Structure):
    _fields_ = [
        ('name', ctypes.c_void_p),
        ('values', ctypes.POINTER(FacetValue)),
        ('nvalues', ctypes.c_size_t),
        ('distinct', ctypes.c_uint64),
    ]


# Every struct the bindings mirror, by its C name (for the ABI test).
STRUCTS = {
    'zhfts_options': Options,
    'zhfts_token': Token,
    'zhfts_error': Error,
    'zhfts_field': Field,
    'zhfts_doc_options': DocOptions,
    'zhfts_doc_info': DocInfo,
    'zhfts_stats': Stats,
    'zhfts_span': Span,
    'zhfts_hit': Hit,
    'zhfts_search_options': SearchOptions,
    'zhfts_snippet_options': SnippetOptions,
    'zhfts_facet_value': FacetValue,
    'zhfts_facet': Facet,
}

# The *_VERSION constant of each versioned struct.
VERSIONS = {
    'ZHFTS_OPTIONS_VERSION': Options,
    'ZHFTS_DOC_OPTIONS_VERSION': DocOptions,
    'ZHFTS_DOC_INFO_VERSION': DocInfo,
    'ZHFTS_STATS_VERSION': Stats,
    'ZHFTS_SEARCH_OPTIONS_VERSION': SearchOptions,
    'ZHFTS_SNIPPET_OPTIONS_VERSION': SnippetOptions,
}

TOKEN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Token))
DOC_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32)

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_sz = ctypes.c_size_t
_szp = ctypes.POINTER(ctypes.c_size_t)
_int = ctypes.c_int
_uint = ctypes.c_uint
_str = ctypes.c_char_p
_strp = ctypes.POINTER(ctypes.c_char_p)
_u64p = ctypes.POINTER(ctypes.c_uint64)
_spanpp = ctypes.POINTER(ctypes.POINTER(Span))

# name: (restype, argtypes).  Handles are plain void pointers; every function
# of the header is here (test_abi checks the list and the argument kinds).
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
    'zhfts_db_error': (ctypes.POINTER(Error), [_p]),
    'zhfts_db_settings': (_int, [_p, ctypes.POINTER(Options)]),
    'zhfts_db_add_document': (_int, [_p, _str, _str, _sz, ctypes.POINTER(DocOptions),
                                     ctypes.POINTER(DocInfo)]),
    'zhfts_db_delete_document': (_int, [_p, _str]),
    'zhfts_db_commit': (_int, [_p]),
    'zhfts_db_reopen': (_int, [_p]),
    'zhfts_db_rollback': (_int, [_p]),
    'zhfts_db_stats': (_int, [_p, _uint, ctypes.POINTER(Stats)]),
    'zhfts_db_merge': (_int, [_str, _strp, _sz, _pp]),
    'zhfts_db_compact': (_int, [_str, _pp]),
    'zhfts_db_split': (_int, [_str, _strp, _sz, _uint, _pp]),
    'zhfts_db_shard_count': (_sz, [_p]),
    'zhfts_db_shard_of': (_int, [_p, _str, _szp]),
    'zhfts_db_shard_stats': (_int, [_p, _sz, _uint, ctypes.POINTER(Stats), _strp]),
    'zhfts_db_foreach_document': (_int, [_p, DOC_FN, _p]),
    'zhfts_query_new': (_int, [_pp, _p, _str, _sz]),
    'zhfts_query_free': (None, [_p]),
    'zhfts_query_search': (_int, [_p, ctypes.POINTER(SearchOptions), _pp]),
    'zhfts_query_count': (_int, [_p, _u64p]),
    'zhfts_query_explain': (_int, [_p, _pp]),
    'zhfts_db_search': (_int, [_p, _str, _sz, ctypes.POINTER(SearchOptions), _pp]),
    'zhfts_results_count': (_sz, [_p]),
    'zhfts_results_hit': (ctypes.POINTER(Hit), [_p, _sz]),
    'zhfts_results_locate': (_int, [_p, _sz, _strp, ctypes.POINTER(ctypes.c_uint32)]),
    'zhfts_results_total': (None, [_p, _u64p, _u64p, _u64p]),
    'zhfts_results_errmsg': (_str, [_p]),
    'zhfts_results_spans': (_int, [_p, _sz, _spanpp, _szp]),
    'zhfts_results_snippet': (_int, [_p, _sz, ctypes.POINTER(SnippetOptions), _pp]),
    'zhfts_results_facet_count': (_sz, [_p]),
    'zhfts_results_facet': (ctypes.POINTER(Facet), [_p, _sz]),
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


def elf_soname(path):
    """The DT_SONAME of an ELF shared object, or None if it has none or the
    file is not ELF (read from the section headers: .dynamic and the string
    table it links to)."""
    import struct
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    if data[:4] != b'\x7fELF' or len(data) < 64:
        return None
    wide = data[4] == 2
    order = '<' if data[5] == 1 else '>'
    try:
        if wide:
            shoff, = struct.unpack_from(order + 'Q', data, 0x28)
            shentsize, shnum = struct.unpack_from(order + 'HH', data, 0x3A)
            sect, dyn = order + 'IIQQQQIIQQ', order + 'qQ'
        else:
            shoff, = struct.unpack_from(order + 'I', data, 0x20)
            shentsize, shnum = struct.unpack_from(order + 'HH', data, 0x2E)
            sect, dyn = order + 'IIIIIIIIII', order + 'iI'
        sections = [struct.unpack_from(sect, data, shoff + i * shentsize) for i in range(shnum)]
        for _, sh_type, _, _, offset, size, link, _, _, _ in sections:
            if sh_type != 6:  # SHT_DYNAMIC
                continue
            strtab = sections[link][4]
            step = struct.calcsize(dyn)
            for k in range(0, size - step + 1, step):
                tag, value = struct.unpack_from(dyn, data, offset + k)
                if tag == 0:  # DT_NULL
                    break
                if tag == 14:  # DT_SONAME
                    end = data.index(b'\0', strtab + value)
                    return data[strtab + value:end].decode('ascii', 'replace')
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _loaded_file(lib):
    """The file a loaded library came from (the loader's own answer)."""
    class DlInfo(ctypes.Structure):
        _fields_ = [('dli_fname', ctypes.c_char_p), ('dli_fbase', ctypes.c_void_p),
                    ('dli_sname', ctypes.c_char_p), ('dli_saddr', ctypes.c_void_p)]
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    dladdr.restype = ctypes.c_int
    info = DlInfo()
    if not dladdr(ctypes.cast(lib.zhfts_version, ctypes.c_void_p), ctypes.byref(info)):
        return None
    return os.fsdecode(info.dli_fname) if info.dli_fname else None


def _load():
    tried = []
    for path in candidates():
        if os.sep in path:
            if not os.path.exists(path):
                tried.append('%s (no such file)' % path)
                continue
            # Refuse another ABI before loading it: once loaded, it stays.
            soname = elf_soname(path)
            if soname is not None and soname != SONAME:
                tried.append('%s (soname %s, this package needs %s)' % (path, soname, SONAME))
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
            tried.append('%s (not libzhfts %s: %s)' % (path, SONAME, e))
            continue
        loaded = _loaded_file(lib) or path
        soname = elf_soname(loaded) if os.sep in loaded else None
        if soname is not None and soname != SONAME:
            tried.append('%s (soname %s, this package needs %s)' % (loaded, soname, SONAME))
            continue
        return lib, path
    raise ImportError('zhfts: cannot load libzhfts (%s); set ZHFTS_LIBRARY to its path. Tried: '
                      % SONAME + '; '.join(tried))


lib, library_path = _load()
