"""The ctypes declarations in zhfts/_capi.py against the C header, as the C
compiler lays it out (the abi_layout helper that meson builds)."""

import ctypes
import os
import subprocess
import unittest

from zhfts import _capi


def c_layout():
    exe = os.environ.get('ZHFTS_ABI_LAYOUT')
    if not exe:
        raise unittest.SkipTest('ZHFTS_ABI_LAYOUT (the abi_layout helper) is not set')
    out = subprocess.run([exe], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return dict(line.split(' ', 1) for line in out.splitlines())


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

    def test_constants(self):
        special = {
            'ZHFTS_OPTIONS_VERSION': _capi.Options.VERSION,
            'ZHFTS_DOC_OPTIONS_VERSION': _capi.DocOptions.VERSION,
            'ZHFTS_SEARCH_OPTIONS_VERSION': _capi.SearchOptions.VERSION,
        }
        kinds = {v: k for k, v in _capi.TOKEN_KINDS.items()}
        for name, value in self.c.items():
            if '.' in name:
                continue
            with self.subTest(constant=name):
                if name in special:
                    mine = special[name]
                elif name.startswith('ZHFTS_TOKEN_'):
                    mine = kinds.get(name[len('ZHFTS_TOKEN_'):].lower())
                else:
                    mine = getattr(_capi, name[len('ZHFTS_'):], None)
                self.assertEqual(mine, int(value))


if __name__ == '__main__':
    unittest.main()
