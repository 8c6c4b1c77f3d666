#!/usr/bin/env node
'use strict';
// A small search site over a zhfts database.
//
//   node examples/web/server.js [--db DIR] [--port N] [--host ADDR]
//                               [--facets a,b] [--page-size N] [--quiet]
//
// Without --db it indexes the bundled sample documents into a temporary
// database (removed on exit).  It listens on 127.0.0.1 (port 8080 unless
// --port; --port 0 takes a free one) and prints its URL.  See docs/web.md.

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { createApp } = require('./app');

const USAGE = `usage: node examples/web/server.js [--db DIR] [--port N] [--host ADDR] [--facets a,b] [--page-size N] [--quiet]
  --db DIR        the database to search (read-only); without it, the sample documents
                  are indexed into a temporary database
  --port N        the port (default 8080; 0: any free port)
  --host ADDR     the address to listen on (default 127.0.0.1)
  --facets a,b    the fields to count in the sidebar, besides the documents
                  (default: those the documents have, but title and date)
  --page-size N   hits per page (default 10)
  --quiet         no request log on stderr`;

function parseArgs(argv) {
  const o = { db: null, port: 8080, host: '127.0.0.1', facets: null, pageSize: 10, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const value = () => {
      if (inline !== null) return inline;
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    const int = (v, what) => {
      if (!/^\d+$/.test(v)) throw new Error(`${what} must be a number`);
      return Number(v);
    };
    switch (flag) {
      case '--db': o.db = value(); break;
      case '--port': o.port = int(value(), '--port'); break;
      case '--host': o.host = value(); break;
      case '--facets': o.facets = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--page-size': o.pageSize = Math.max(1, Math.min(100, int(value(), '--page-size'))); break;
      case '--quiet': o.quiet = true; break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (o.port > 65535) throw new Error('--port must be at most 65535');
  return o;
}

// The binding: installed (or on NODE_PATH), else the one built in this
// source tree's build directory.
function loadZhfts() {
  const tried = [];
  for (const name of [process.env.ZHFTS_NODE_PACKAGE, 'zhfts', path.join(__dirname, '..', '..', 'build', 'bindings', 'node', 'zhfts')]) {
    if (!name) continue;
    try {
      return require(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
      tried.push(name);
    }
  }
  throw new Error(`cannot load the zhfts Node.js binding (tried ${tried.join(', ')}).\n` +
    'Build it (ninja -C build) and run with NODE_PATH=build/bindings/node, or install it (meson install).');
}

// The bundled documents, with fields that make the facets worth a look.
function sampleDocuments() {
  const data = path.join(__dirname, '..', 'data');
  return [
    { id: 'sample-report.txt', file: path.join(data, 'sample-report.txt'), fields: { district: '云川区', year: '2026' } },
    { id: 'sample-lines.txt', file: path.join(data, 'sample-lines.txt'), fields: { district: '云川区', year: '2026' }, lines: true },
    { id: 'yunxi-2025.txt', file: path.join(__dirname, 'data', 'yunxi-2025.txt'), fields: { district: '云溪镇', year: '2025' } },
  ];
}

async function indexSample(zhfts, dir) {
  const w = await zhfts.Database.open(dir, { writable: true, sync: false });
  try {
    for (const d of sampleDocuments()) {
      await w.indexAsync(d.id, fs.readFileSync(d.file), { fields: d.fields, lines: d.lines });
    }
    await w.commitAsync();
  } finally {
    w.close();
  }
}

// The field names the documents have (from the first paragraph of up to 50).
function discoverFacets(zhfts, db) {
  const names = new Set();
  for (const { id } of db.documents().slice(0, 50)) {
    const q = /["\u201c\u201d]/.test(id) ? null : `doc:"${id}"`;
    if (!q) continue;
    try {
      for (const h of db.search(q, { limit: 1 }).hits) for (const k of Object.keys(h.fields)) names.add(k);
    } catch (e) {
      if (!(e instanceof zhfts.ZhftsError)) throw e;
    }
  }
  return [...names].filter((n) => n !== 'title' && n !== 'date').sort();
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const zhfts = loadZhfts();
  let temp = null;
  let dbPath = opts.db;
  if (!dbPath) {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-web-'));
    dbPath = path.join(temp, 'db');
    await indexSample(zhfts, dbPath);
  }
  let db;
  try {
    db = await zhfts.Database.open(dbPath);
  } catch (e) {
    console.error(`cannot open ${dbPath}: ${e.message}`);
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
    return 2;
  }
  const facets = opts.facets || discoverFacets(zhfts, db);
  const log = opts.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
  const server = http.createServer(createApp({ zhfts, db, facets, pageSize: opts.pageSize, log }));
  server.keepAliveTimeout = 5000;

  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections?.();
    try {
      db.close();
    } finally {
      if (temp) fs.rmSync(temp, { recursive: true, force: true });
    }
    process.exitCode = code;
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  }).catch((e) => {
    console.error(`cannot listen on ${opts.host}:${opts.port}: ${e.message}`);
    stop(2);
    throw e;
  });
  const { address, port } = server.address();
  const host = address.includes(':') ? `[${address}]` : address;
  const st = db.stats();
  console.log(`zhfts web: http://${host}:${port}/ (${st.documents} documents, ${st.paragraphs} paragraphs` +
    `${temp ? `, the bundled samples in a temporary database, ${dbPath}` : `, ${dbPath}`}; facets: doc${facets.map((f) => `, ${f}`).join('')})`);
  return null;
}

main().then((code) => {
  if (code !== null) process.exitCode = code;
}, (e) => {
  if (e && e.code !== 'EADDRINUSE' && e.code !== 'EACCES') console.error(e.stack || String(e));
  process.exitCode = 2;
});
