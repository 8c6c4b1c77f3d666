'use strict';
// The Async calls: they run on libuv's thread pool (the event loop keeps
// turning meanwhile), one at a time per Database and in the order they were
// made; a synchronous call made while one runs waits for it; close() while
// calls are queued lets the running one finish and fails the others.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const zhfts = require('zhfts');
const native = require('zhfts/addon');
const { kBox } = require('zhfts/database');
const S = require('./support');

const tick = () => new Promise((resolve) => setImmediate(resolve));
const executing = (db) => native._executing(db[kBox]);
// ~2.6 MB of text in ~1,400 paragraphs, with one word nowhere else
const BIG = Array.from({ length: 1400 }, (_, i) => `第${i}段：${S.SENTENCES.join('')}${i === 777 ? '独一无二的词语' : ''}`).join('\n\n');

async function untilExecuting(db) {
  for (let i = 0; i < 100000 && !executing(db); i++) await tick();
  assert.ok(executing(db), 'the call never started');
}

describe('asynchronous calls', () => {
  let tmp;
  before(() => { tmp = S.tempDir(); });
  after(() => tmp.remove());
  let n = 0;
  const fresh = () => path.join(tmp.dir, `db${n++}`);

  it('run off the event loop', async () => {
    const db = new zhfts.Database(fresh(), { writable: true });
    let ticks = 0;
    let sawExecuting = false;
    const timer = setInterval(() => {
      ticks++;
      sawExecuting = sawExecuting || executing(db);
    }, 1);
    const p = db.indexAsync('big', BIG);
    assert.equal(db.pending, 1);
    const info = await p;
    clearInterval(timer);
    assert.equal(info.paragraphs, 1400);
    assert.ok(sawExecuting, 'JavaScript ran while the C call was executing');
    assert.ok(ticks >= 2, `${ticks} ticks`);
    assert.equal(db.pending, 0);
    assert.equal(db.count('独一无二的词语'), 1);
    await db.commitAsync();
    db.close();
  });

  it('run in the order they were made', async () => {
    const db = new zhfts.Database(null);
    const counts = [];
    const indexed = [];
    for (let i = 0; i < 20; i++) {
      indexed.push(db.indexAsync(`d${i}`, `第${i}篇：茶叶合作社`));
      counts.push(db.countAsync('茶叶'));
    }
    assert.equal(db.pending, 40);
    assert.deepEqual(await Promise.all(counts), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.ok((await Promise.all(indexed)).every((info) => info.paragraphs === 1));
    const r = await db.searchAsync('茶叶', { limit: null, sort: 'doc', facets: ['doc'] });
    assert.equal(r.hits.length, 20);
    assert.equal(r.facets.doc.distinct, 20);
    assert.match(r.hits[0].snippet, /\[茶叶\]/); // lazy parts work on async results
    db.close();
  });

  it('make a synchronous call wait for the one running', async () => {
    const db = new zhfts.Database(fresh(), { writable: true });
    const p = db.indexAsync('big', BIG);
    await untilExecuting(db);
    const t0 = process.hrtime.bigint();
    // runs after the index, which this handle sees before it is committed
    assert.equal(db.count('独一无二的词语'), 1);
    assert.ok(!executing(db));
    assert.ok(process.hrtime.bigint() > t0);
    assert.equal((await p).paragraphs, 1400);
    db.close();
  });

  it('let close() finish the running call and fail the queued ones', async () => {
    const p = fresh();
    const db = new zhfts.Database(p, { writable: true });
    const running = db.indexAsync('big', BIG);
    const queued = [db.searchAsync('茶叶'), db.indexAsync('late', '茶叶'), db.countAsync('茶叶'), db.commitAsync()];
    await untilExecuting(db);
    db.close(); // waits for the index, commits it
    assert.equal((await running).paragraphs, 1400);
    for (const q of queued) await assert.rejects(q, (e) => e instanceof zhfts.ClosedError && e.code === 'ECLOSED');
    const r = new zhfts.Database(p);
    assert.equal(r.count('独一无二的词语'), 1);
    assert.equal(r.count('doc:late'), 0);
    r.close();
  });

  it('fail a query closed before its search ran', async () => {
    const db = new zhfts.Database(fresh(), { writable: true });
    db.index('a', '茶叶合作社');
    const q = db.query('茶叶');
    const busy = db.indexAsync('big', BIG); // keeps q's search queued behind it
    const s = q.searchAsync();
    const c = q.countAsync();
    q.close();
    await assert.rejects(s, (e) => e instanceof zhfts.ClosedError && /query is closed/.test(e.message));
    await assert.rejects(c, zhfts.ClosedError);
    await busy;
    const q2 = db.query('茶叶');
    const [r1, r2] = await Promise.all([q2.searchAsync({ limit: 1 }), q2.searchAsync({ limit: 1, offset: 1 })]);
    assert.equal(r1.hits.length + r2.hits.length, 2);
    assert.equal(await q2.countAsync(), db.count('茶叶'));
    const all = [];
    for await (const h of q2.iterateAsync({ pageSize: 50 })) all.push(`${h.doc}#${h.para}`);
    assert.deepEqual(all, [...db.iterate('茶叶', { pageSize: 50 })].map((h) => `${h.doc}#${h.para}`));
    const viaDb = [];
    for await (const h of db.iterateAsync('茶叶', { pageSize: 7 })) viaDb.push(`${h.doc}#${h.para}`);
    assert.deepEqual(viaDb, all);
    q2.close();
    db.close();
  });

  it('give the same answers as the synchronous calls, from many handles at once', async () => {
    const p = fresh();
    const w = new zhfts.Database(p, { writable: true });
    w.index('town', S.TOWN);
    const sample = S.readSample();
    if (sample) w.index('sample', sample);
    w.close();
    const readers = Array.from({ length: 4 }, () => new zhfts.Database(p));
    const queries = ['发展', '茶叶 OR 卫生院', '"科学城"', '科学城北新建', 'section:任务 发展'];
    const want = queries.map((q) => readers[0].search(q, { limit: null }).hits.map((h) => [h.doc, h.para, h.snippet]));
    const jobs = [];
    for (let round = 0; round < 10; round++) {
      readers.forEach((r, k) => queries.forEach((q, i) => {
        jobs.push(r.searchAsync(q, { limit: null }).then((res) => {
          assert.deepEqual(res.hits.map((h) => [h.doc, h.para, h.snippet]), want[i], `${q} on reader ${k}`);
        }));
      }));
    }
    await Promise.all(jobs);
    assert.equal(jobs.length, 10 * 4 * queries.length);
    for (const r of readers) r.close();
  });

  it('keep their database alive through garbage collection', async () => {
    let db = new zhfts.Database(null);
    db.index('a', S.TOWN);
    const p = db.searchAsync('发展', { limit: null });
    db = null;
    global.gc();
    const r = await p;
    global.gc();
    await tick();
    assert.ok(r.hits.length > 0);
    assert.ok(r.hits.every((h) => h.snippet.includes('[发展]')));
  });

  it('report errors with their detail', async () => {
    const db = new zhfts.Database(null);
    const bad = Buffer.concat([Buffer.from('茶叶'), Buffer.from([0xff])]);
    await assert.rejects(db.indexAsync('bad', bad, { encoding: 'UTF-8' }),
      (e) => e instanceof zhfts.EncodingError && e.offset === 6 && e.doc === 'bad');
    await assert.rejects(db.searchAsync('茶叶 (', {}), (e) => e instanceof zhfts.QueryError && e.charPosition === 3);
    await assert.rejects(db.searchAsync('茶叶', { sort: 'nosuchfield' }), zhfts.InvalidArgumentError);
    const r = new zhfts.Database(path.join(tmp.dir, 'db0'));
    await assert.rejects(r.indexAsync('x', '茶叶'), zhfts.ReadOnlyError);
    await assert.rejects(r.commitAsync(), zhfts.ReadOnlyError);
    r.close();
    db.close();
  });
});
