'use strict';
// `meson install` into a staging directory, then require('zhfts') from
// there in a clean process (no build tree, no ZHFTS_NODE_ADDON, no
// LD_LIBRARY_PATH) and search.
//
// usage: node install.js MESON BUILD_DIR PACKAGE_INSTALL_DIR LIBDIR
// (the two install dirs absolute, as meson computed them)

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PROBE = `
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const zhfts = require('zhfts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-node-probe-'));
  const db = new zhfts.Database(path.join(dir, 'db'), { writable: true });
  db.index('a', '茶叶合作社\\n\\n新建卫生院', { fields: { year: '2020' } });
  const r = db.search('卫生院 year:2019..', { facets: ['year'] });
  const got = JSON.stringify([r.hits.map((h) => [h.para, h.matches, h.snippet]), r.facets.year.values]);
  const want = JSON.stringify([[[2, ['卫生院'], '新建[卫生院]']], [{ value: '2020', count: 1 }]]);
  if (got !== want) throw new Error('got ' + got);
  db.close();
  fs.rmSync(dir, { recursive: true });
  const lib = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/).slice(5).join(' '))
    .find((p) => path.basename(p).startsWith('libzhfts.so'));
  console.log(require.resolve('zhfts'));
  console.log(zhfts.addonPath());
  console.log(lib);
`;

function main() {
  const [meson, build, pkgdir, libdir] = process.argv.slice(2);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-node-install-'));
  try {
    const inst = spawnSync(meson, ['install', '-C', build, '--no-rebuild', '--quiet', '--destdir', stage], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (inst.status !== 0) {
      console.log('FAIL: meson install failed');
      return 1;
    }
    const stagedPkg = stage + pkgdir;
    const stagedLib = stage + libdir;
    for (const name of ['index.js', 'addon.js', 'database.js', 'errors.js', 'package.json', 'zhfts.node']) {
      if (!fs.existsSync(path.join(stagedPkg, name))) {
        console.log(`FAIL: ${name} not installed in ${stagedPkg}`);
        return 1;
      }
    }
    const env = { ...process.env };
    for (const k of ['NODE_PATH', 'LD_LIBRARY_PATH', 'ZHFTS_NODE_ADDON', 'ZHFTS_NODE_PACKAGE']) delete env[k];
    // as the documentation says: NODE_PATH=<prefix>/lib/node_modules; first with the
    // loader path as for a staged install, then with nothing: the module's run path finds
    // the library next to it
    for (const extra of [{ LD_LIBRARY_PATH: stagedLib }, {}]) {
      const out = spawnSync(process.execPath, ['-e', PROBE], {
        env: { ...env, NODE_PATH: path.dirname(stagedPkg), ...extra }, cwd: stage, encoding: 'utf8',
      });
      const [resolved, addon, library] = out.stdout.split('\n');
      if (out.status !== 0 || !library) {
        console.log(`FAIL (${JSON.stringify(extra)}): the probe failed\n${out.stdout}\n${out.stderr}`);
        return 1;
      }
      console.log(`${Object.keys(extra).length ? 'with LD_LIBRARY_PATH' : 'package only'}: ${resolved}, ${addon}, ${library}`);
      for (const [what, file, dir] of [['module', resolved, stagedPkg], ['native module', addon, stagedPkg], ['library', library, stagedLib]]) {
        if (!fs.realpathSync(file).startsWith(fs.realpathSync(dir) + path.sep)) {
          console.log(`FAIL: loaded the ${what} from outside the staged install: ${file}`);
          return 1;
        }
      }
    }
    return 0;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

process.exitCode = main();
