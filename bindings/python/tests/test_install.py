#!/usr/bin/env python3
"""`meson install` into a staging directory, then import zhfts from there
in a clean process (no source tree, no ZHFTS_LIBRARY) and search.

usage: test_install.py MESON BUILD_DIR PACKAGE_INSTALL_DIR LIBDIR
(the two install dirs absolute, as meson computed them)."""

import os
import shutil
import subprocess
import sys
import tempfile

PROBE = r'''
import os, sys, tempfile, zhfts
tmp = tempfile.mkdtemp()
with zhfts.Database(os.path.join(tmp, 'db'), writable=True) as db:
    db.index('a', '茶叶合作社\n\n新建卫生院', fields={'year': '2020'})
    hits = db.search('卫生院 year:2019..', facets=['year'])
    assert [(h.para, h.matches, h.snippet) for h in hits] == [(2, ('卫生院',), '新建[卫生院]')], hits
    assert hits.facets['year'] == [('2020', 1)], hits.facets
print(zhfts.__file__)
print(zhfts.library_path())
'''


def main():
    meson, build, pkgdir, libdir = sys.argv[1:5]
    stage = tempfile.mkdtemp(prefix='zhfts-py-install-')
    try:
        subprocess.run([meson, 'install', '-C', build, '--no-rebuild', '--quiet',
                        '--destdir', stage], check=True, stdout=subprocess.DEVNULL)
        staged_pkg = stage + pkgdir
        staged_lib = stage + libdir
        for name in ['__init__.py', '_capi.py', '_installed.py']:
            if not os.path.isfile(os.path.join(staged_pkg, name)):
                print('FAIL: %s not installed in %s' % (name, staged_pkg))
                return 1
        env = {k: v for k, v in os.environ.items()
               if k not in ('ZHFTS_LIBRARY', 'PYTHONPATH', 'LD_LIBRARY_PATH')}
        env['PYTHONPATH'] = os.path.dirname(staged_pkg)
        # First as the brief of a staged install, with the loader path; then
        # with nothing but the package: it finds its library by itself.
        for extra in ({'LD_LIBRARY_PATH': staged_lib}, {}):
            out = subprocess.run([sys.executable, '-c', PROBE], env=dict(env, **extra), cwd=stage,
                                 stdout=subprocess.PIPE, universal_newlines=True)
            lines = out.stdout.split('\n')
            if out.returncode != 0 or len(lines) < 2:
                print('FAIL (%s): the probe failed' % extra)
                return 1
            module, library = lines[0], lines[1]
            print('%s: imported %s, library %s' % (extra or 'package only', module, library))
            if not module.startswith(staged_pkg + os.sep):
                print('FAIL: imported from outside the staged install')
                return 1
            if not os.path.realpath(library).startswith(os.path.realpath(staged_lib) + os.sep):
                print('FAIL: loaded a library from outside the staged install')
                return 1
        return 0
    finally:
        shutil.rmtree(stage)


if __name__ == '__main__':
    sys.exit(main())
