'use strict';
// Loads the native module (zhfts.node).  Where it is looked for, in order:
//   $ZHFTS_NODE_ADDON (a file);
//   zhfts.node next to this file (the build tree, `meson install`);
//   ../build/Release/zhfts.node (a vendored copy built with node-gyp).
// The native module is linked against libzhfts.so.1, which the dynamic
// loader finds through the module's run path (the build tree, or the
// libdir of the install) or the system's library path.

const fs = require('node:fs');
const path = require('node:path');

function candidates() {
  const out = [];
  if (process.env.ZHFTS_NODE_ADDON) out.push(path.resolve(process.env.ZHFTS_NODE_ADDON));
  out.push(path.join(__dirname, 'zhfts.node'));
  out.push(path.join(__dirname, '..', 'build', 'Release', 'zhfts.node'));
  return out;
}

function load() {
  const tried = [];
  for (const file of candidates()) {
    if (!fs.existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    // eslint-disable-next-line import/no-dynamic-require
    const native = require(file);
    native.file = file;
    return native;
  }
  const e = new Error(`zhfts: cannot find the native module zhfts.node; tried:\n  ${tried.join('\n  ')}\n` +
    'Build it with meson (ninja -C build) or set ZHFTS_NODE_ADDON to its path.');
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

module.exports = load();
