"""The ctypes declarations in zhfts/_capi.py against the C header: struct
layouts and *_INIT defaults as the C compiler sees them (the abi_layout
helper that meson builds), and the header's own text (every struct, field,
constant and function it declares is mirrored, with arguments of the right
kinds), and the soname of the library that was loaded."""

import ctypes
import os
import re
import shutil
import subprocess
import unittest

import zhfts
from zhfts import _capi

HEADER = os.environ.get('ZHFTS_HEADER') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'include', 'zhfts.h')

# Defines of the header that are not part of the ABI the package mirrors.
NOT_MIRRORED = {'ZHFTS_H', 'ZHFTS_EXTERN', 'ZHFTS_VERSION_MAJOR', 'ZHFTS_VERSION_MINOR',
                'ZHFTS_VERSION_PATCH', 'ZHFTS_VERSION_STRING'}


def c_layout():
    exe = os.environ.get('ZHFTS_ABI_LAYOUT')
    if not exe:
        raise unittest.SkipTest('ZHFTS_ABI_LAYOUT (the abi_layout helper) is not set')
    out = subprocess.run([exe], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return dict(line.split(' ', 1) for line in out.splitlines())


def header_text():
    try:
        with open(HEADER, encoding='utf-8') as f:
            text = f.read()
    except OSError:
        raise unittest.SkipTest('no header at %s (set ZHFTS_HEADER)' % HEADER)
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def header_structs(text):
    """{struct name: [field names in order]} of every struct the header defines."""
    out = {}
    for m in re.finditer(r'typedef\s+struct\s+(zhfts_\w+)\s*\{(.*?)\}\s*(\w+)\s*;', text, re.S):
        name, body, alias = m.groups()
        assert name == alias, (name, alias)
        fields = []
        for decl in body.split(';'):
            decl = decl.strip()
            if decl:
                fields.append(re.findall(r'\w+', decl)[-1])
        out[name] = fields
    return out


def header_constants(text):
    names = set(re.findall(r'#define\s+(ZHFTS_\w+)', text))
    for body in re.findall(r'typedef\s+enum\s+\w+\s*\{(.*?)\}', text, re.S):
        names.update(re.findall(r'(ZHFTS_\w+)\s*=', body))
    return {n for n in names if not n.endswith('_INIT')} - NOT_MIRRORED


def header_functions(text):
    """{function: (return kind, [argument kinds])}."""
    fnptrs = set(re.findall(r'typedef\s+\w+\s*\(\s*\*\s*(\w+)\s*\)', text))
    funcs = {}
    for ret, name, params in re.findall(
            r'ZHFTS_EXTERN\s+([^;()]*?)\b(zhfts_\w+)\s*\(([^()]*)\)\s*;', text, re.S):
        args = [p.strip() for p in params.split(',')]
        if args == ['void']:
            args = []
        funcs[name] = (c_kind(ret, fnptrs, named=False), [c_kind(a, fnptrs) for a in args])
    return funcs


INTS = {'int': (ctypes.sizeof(ctypes.c_int), True),
        'unsigned int': (ctypes.sizeof(ctypes.c_uint), False),
        'unsigned': (ctypes.sizeof(ctypes.c_uint), False),
        'size_t': (ctypes.sizeof(ctypes.c_size_t), False),
        'uint32_t': (4, False), 'uint64_t': (8, False), 'int64_t': (8, True)}


def c_kind(decl, fnptrs, named=True):
    decl = ' '.join(decl.split())
    if '*' in decl:
        return 'pointer'
    words = [w for w in decl.split() if w != 'const']
    if named:
        words = words[:-1]  # the parameter's name
    ctype = ' '.join(words)
    if ctype == 'void':
        return None
    if ctype in fnptrs:
        return 'pointer'
    return INTS.get(ctype, ctype)


def ctypes_kind(t):
    if t is None:
        return None
    if t in (ctypes.c_void_p, ctypes.c_char_p) or issubclass(t, (ctypes._Pointer, ctypes._CFuncPtr)):
        return 'pointer'
    if issubclass(t, ctypes._SimpleCData):
        return (ctypes.sizeof(t), t(-1).value < 0)
    return t.__name__


class TestAbi(unittest.TestCase):
    def setUp(self):
        self.c = c_layout()

    def test_structs(self):
        for cname, cls in _capi.STRUCTS.items():
            with self.subTest(struct=cname):
                self.assertEqual(int(self.c[cname + '.sizeof']), ctypes.sizeof(cls))
                c_fields = sorted(k.split('.', 1)[1] for k in self.c
                                  if k.startswith(cname + '.') and not k.endswith('.sizeof'))
                self.assertEqual(c_fields, sorted(f[0] for f in cls._fields_))
                for name, ctype in cls._fields_:
                    offset, size = map(int, self.c['%s.%s' % (cname, name)].split())
                    self.assertEqual(getattr(cls, name).offset, offset, name)
                    self.assertEqual(ctypes.sizeof(ctype), size, name)

    def test_helper_lists_every_mirrored_struct(self):
        helper = {k.split('.')[0] for k in self.c if k.endswith('.sizeof')}
        self.assertEqual(helper, set(_capi.STRUCTS))

    def test_enums_are_int_sized(self):
        for name in ('zhfts_where', 'zhfts_token_kind', 'zhfts_status'):
            self.assertEqual(int(self.c['enum.' + name]), ctypes.sizeof(ctypes.c_int), name)

    def test_constants(self):
        special = {name: cls.VERSION for name, cls in _capi.VERSIONS.items()}
        kinds = {v: k for k, v in _capi.TOKEN_KINDS.items()}
        constants = {k: v for k, v in self.c.items() if '.' not in k}
        self.assertGreater(len(constants), 40)
        for name, value in constants.items():
            with self.subTest(constant=name):
                if name in special:
                    mine = special[name]
                elif name.startswith('ZHFTS_TOKEN_'):
                    mine = kinds.get(name[len('ZHFTS_TOKEN_'):].lower())
                else:
                    mine = getattr(_capi, name[len('ZHFTS_'):], None)
                self.assertEqual(mine, int(value))

    def test_init_macros_are_what_the_binding_fills_in(self):
        """A struct the binding makes with only `version` set equals its
        *_INIT (every other field zero or NULL)."""
        macro_of = {cls: name.replace('_VERSION', '_INIT') for name, cls in _capi.VERSIONS.items()}
        for cls, macro in macro_of.items():
            with self.subTest(init=macro):
                seen = {k.split('.', 1)[1]: int(v) for k, v in self.c.items()
                        if k.startswith(macro + '.')}
                self.assertEqual(sorted(seen), sorted(f[0] for f in cls._fields_))
                made = cls(version=cls.VERSION)
                for name, value in seen.items():
                    raw = getattr(made, name)
                    # abi_layout prints numbers as such, pointers as 0 (NULL) or 1
                    mine = raw if isinstance(raw, int) else int(bool(raw))
                    self.assertEqual(mine, value, name)


class TestHeader(unittest.TestCase):
    """Everything the header declares is mirrored (a struct, field or
    function added to zhfts.h and not to _capi.py or abi_layout.c fails)."""

    @classmethod
    def setUpClass(cls):
        cls.text = header_text()

    def test_every_struct_and_field(self):
        structs = header_structs(self.text)
        self.assertIn('zhfts_hit', structs)
        self.assertEqual(set(structs), set(_capi.STRUCTS))
        for name, fields in structs.items():
            with self.subTest(struct=name):
                self.assertEqual(fields, [f[0] for f in _capi.STRUCTS[name]._fields_])

    def test_every_constant(self):
        c = c_layout()
        missing = header_constants(self.text) - set(c)
        self.assertEqual(missing, set(), 'constants of zhfts.h that abi_layout.c does not print')

    def test_every_function_with_its_argument_kinds(self):
        funcs = header_functions(self.text)
        self.assertIn('zhfts_query_search', funcs)
        self.assertEqual(set(funcs), set(_capi.PROTOTYPES))
        for name, (ret, args) in funcs.items():
            with self.subTest(function=name):
                restype, argtypes = _capi.PROTOTYPES[name]
                self.assertEqual(ctypes_kind(restype), ret, 'return type')
                self.assertEqual([ctypes_kind(a) for a in argtypes], args, 'arguments')


class TestLibrary(unittest.TestCase):
    def test_soname(self):
        path = zhfts.library_path()
        self.assertTrue(os.path.exists(path), path)
        self.assertEqual(_capi.elf_soname(path), _capi.SONAME)
        self.assertEqual(_capi.SONAME, 'libzhfts.so.%d' % _capi.ABI_MAJOR)
        readelf = shutil.which('readelf')
        if readelf:  # the reader in _capi against binutils'
            out = subprocess.run([readelf, '-d', path], check=True, stdout=subprocess.PIPE,
                                 universal_newlines=True).stdout
            self.assertIn('Library soname: [%s]' % _capi.SONAME, out)

    def test_other_abi_is_refused(self):
        """A library with another soname is not loaded, and said why (the
        check reads the file before dlopen, since a loaded library stays)."""
        import sys
        import tempfile
        with open(zhfts.library_path(), 'rb') as f:
            data = f.read()
        wanted = _capi.SONAME.encode() + b'\0'
        self.assertIn(wanted, data)
        other = 'libzhfts.so.%d' % (_capi.ABI_MAJOR + 8)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, other)
            with open(path, 'wb') as f:
                f.write(data.replace(wanted, other.encode() + b'\0'))
            self.assertEqual(_capi.elf_soname(path), other)
            env = dict(os.environ, ZHFTS_LIBRARY=path)
            out = subprocess.run([sys.executable, '-c', 'import zhfts'], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 universal_newlines=True)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn('ImportError', out.stderr)
            self.assertIn('soname %s' % other, out.stderr)
            not_elf = os.path.join(tmp, 'not-elf.so')
            with open(not_elf, 'wb') as f:
                f.write(b'not a library')
            self.assertIsNone(_capi.elf_soname(not_elf))
        self.assertIsNone(_capi.elf_soname('/nonexistent/libzhfts.so.1'))


if __name__ == '__main__':
    unittest.main()
