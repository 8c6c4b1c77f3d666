'use strict';
// Worker threads: the module is context-aware (each thread loads its own
// instance), a Database belongs to the thread that opened it, handles left
// open are closed when their thread ends, and terminating a thread in the
// middle of a call crashes nothing.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const zhfts = require('zhfts');
const S = require('./support');

function run(code, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData });
    const messages = [];
    w.on('message', (m) => messages.push(m));
    w.on('error', reject);
    w.on('exit', (exitCode) => resolve({ exitCode, messages }));
  });
}

const PRELUDE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const zhfts = require('zhfts');
`;

describe('worker threads', () => {
  let tmp;
  let dbPath;
  before(() => {
    tmp = S.tempDir();
    dbPath = path.join(tmp.dir, 'db');
    const w = new zhfts.Database(dbPath, { writable: true });
    w.index('town', S.TOWN);
    const sample = S.readSample();
    if (sample) w.index('sample', sample);
    w.close();
  });
  after(() => tmp.remove());

  it('search the same database as the main thread, at the same time', async () => {
    const queries = ['发展', '茶叶 OR 卫生院', '"科学城"', 'section:任务 发展'];
    const main = new zhfts.Database(dbPath);
    const want = queries.map((q) => main.search(q, { limit: null }).hits.map((h) => [h.doc, h.para, h.snippet, h.spans]));
    const code = `${PRELUDE}
      (async () => {
        const db = new zhfts.Database(workerData.path);
        const out = [];
        for (let round = 0; round < 5; round++) {
          for (const q of workerData.queries) {
            const r = round % 2 ? await db.searchAsync(q, { limit: null }) : db.search(q, { limit: null });
            out.push(r.hits.map((h) => [h.doc, h.para, h.snippet, h.spans]));
          }
        }
        db.close();
        parentPort.postMessage(out);
      })();`;
    const workers = Array.from({ length: 4 }, () => run(code, { path: dbPath, queries }));
    // the main thread searches meanwhile
    for (let i = 0; i < 20; i++) {
      const q = queries[i % queries.length];
      assert.deepEqual((await main.searchAsync(q, { limit: null })).hits.map((h) => [h.doc, h.para, h.snippet, h.spans]), want[i % queries.length]);
    }
    for (const { exitCode, messages } of await Promise.all(workers)) {
      assert.equal(exitCode, 0);
      const [out] = messages;
      assert.equal(out.length, 5 * queries.length);
      out.forEach((hits, k) => assert.deepEqual(hits, want[k % queries.length]));
    }
    main.close();
  });

  it('close and commit what a thread left open, however it ends', async () => {
    for (const ending of ['natural', 'process.exit', 'throw']) {
      const p = path.join(tmp.dir, `left-open-${ending.replace('.', '-')}`);
      const code = `${PRELUDE}
        const db = new zhfts.Database(workerData.path, { writable: true });
        db.index('a', '茶叶合作社');
        const hits = db.search('茶叶').hits;   // results alive too
        const q = db.query('茶叶');
        if (workerData.ending === 'process.exit') process.exit(3);
        if (workerData.ending === 'throw') throw new Error('worker failed');`;
      let exitCode;
      try {
        ({ exitCode } = await run(code, { path: p, ending }));
      } catch (e) {
        assert.match(e.message, /worker failed/);
      }
      if (ending === 'process.exit') assert.equal(exitCode, 3);
      // the lock is free and the document committed
      const db = new zhfts.Database(p, { writable: true });
      assert.equal(db.count('茶叶'), 1, ending);
      db.close();
    }
  });

  it('terminate in the middle of calls without crashing', async () => {
    for (let round = 0; round < 3; round++) {
      const p = path.join(tmp.dir, `terminated-${round}`);
      const w = new Worker(`${PRELUDE}
        const db = new zhfts.Database(workerData.path, { writable: true });
        const big = Array.from({ length: 2000 }, (_, i) => '第' + i + '段：茶叶合作社的销售额增长两成。').join('\\n\\n');
        db.indexAsync('big', big);
        db.searchAsync('茶叶');
        for (let i = 0; i < 50; i++) db.indexAsync('d' + i, '茶叶' + i);
        parentPort.postMessage('started');
        setInterval(() => db.search('茶叶'), 1);`, { eval: true, workerData: { path: p } });
      await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
      await new Promise((resolve) => setTimeout(resolve, 5 + round * 20));
      await w.terminate();
      // the handle was closed when the thread went away: a writer can open it
      let db;
      for (let i = 0; i < 50 && !db; i++) {
        try {
          db = new zhfts.Database(p, { writable: true });
        } catch (e) {
          if (!(e instanceof zhfts.LockedError)) throw e;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      assert.ok(db, 'the terminated thread\'s handle was closed');
      assert.ok(db.stats().documents >= 0);
      db.close();
    }
  });

  it('do not share a Database: what crosses is a copy without the handle', async () => {
    const db = new zhfts.Database(dbPath);
    const code = `${PRELUDE}
      const native = require('zhfts/addon');
      parentPort.on('message', ({ db, box }) => {
        const out = { keys: Object.keys(db), search: typeof db.search };
        try { native.search(box, '茶叶', {}); out.native = 'no error'; } catch (e) { out.native = e.name; }
        parentPort.postMessage(out);
        parentPort.close();
      });`;
    const w = new Worker(code, { eval: true });
    // listen for 'exit' at once: a worker that ends emits its last messages and 'exit' in one go
    const exited = new Promise((resolve) => w.once('exit', resolve));
    const replied = new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    const { kBox } = require('zhfts/database');
    w.postMessage({ db, box: db[kBox] });
    assert.deepEqual(await replied, { keys: ['path', 'writable'], search: 'undefined', native: 'TypeError' });
    await exited;
    assert.equal(db.count('茶叶') > 0, true); // still the main thread's
    db.close();
  });

  it('load the module in many threads at once', async () => {
    const code = `${PRELUDE}
      const t = zhfts.tokenize('中关村科学城ＲＩＳＣ－Ⅴ');
      const db = new zhfts.Database(null);
      db.index('a', '科学城');
      parentPort.postMessage([t.map((x) => x.text).join('|'), db.count('科学城'), zhfts.version()]);`;
    const results = await Promise.all(Array.from({ length: 6 }, () => run(code)));
    for (const { exitCode, messages } of results) {
      assert.equal(exitCode, 0);
      assert.deepEqual(messages[0], [zhfts.tokenize('中关村科学城ＲＩＳＣ－Ⅴ').map((x) => x.text).join('|'), 1, zhfts.version()]);
    }
  });
});
