'use strict';
// Hostile arguments: nothing a script does may crash the process.  Wrong
// types are TypeErrors before anything reaches C; NUL in C strings, closed
// handles and huge inputs are the library's (or the binding's) errors; the
// native module itself, called directly with garbage, throws.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const zhfts = require('zhfts');
const native = require('zhfts/addon');
const S = require('./support');

const WRONG = [undefined, null, 0, 1.5, NaN, true, 'x', Symbol('s'), 10n, {}, [], () => 1, Buffer.from('x'), new Map()];

describe('wrong types', () => {
  let db;
  before(() => {
    db = new zhfts.Database(null);
    db.index('a', '茶叶合作社', { fields: { year: '2020' } });
  });
  after(() => db.close());

  it('are TypeErrors for ids, texts and queries', () => {
    for (const bad of WRONG) {
      if (typeof bad !== 'string') {
        assert.throws(() => db.index(bad, '茶叶'), TypeError, String(bad?.toString?.()));
        assert.throws(() => db.delete(bad), TypeError);
        assert.throws(() => db.getDocument(bad), TypeError);
        assert.throws(() => db.search(bad), TypeError);
        assert.throws(() => db.query(bad), TypeError);
        assert.throws(() => db.count(bad), TypeError);
        assert.throws(() => db.explain(bad), TypeError);
        assert.throws(() => db.iterate(bad), TypeError);
      }
      if (typeof bad !== 'string' && !ArrayBuffer.isView(bad)) {
        assert.throws(() => db.index('a', bad), TypeError);
        assert.throws(() => zhfts.tokenize(bad), TypeError);
      }
    }
    assert.throws(() => db.index('a', new SharedArrayBuffer(4)), TypeError);
    assert.throws(() => db.index('a', '茶叶', { encoding: 'UTF-8' }), TypeError); // encoding is for bytes
  });

  it('are TypeErrors (or RangeErrors) for options', () => {
    const cases = [
      { limit: -1 }, { limit: 1.5 }, { limit: '10' }, { limit: NaN }, { limit: 10n }, { offset: -3 }, { offset: {} },
      { sort: 1 }, { sort: ['year'] }, { facets: 5 }, { facets: [1] }, { facets: { year: true } }, { facetLimit: '2' },
      { exact: 1 }, { marks: '[]' }, { marks: ['['] }, { marks: [1, 2] }, { context: -1 }, { limt: 5 }, 'opts', 5, [],
    ];
    for (const opts of cases) {
      assert.throws(() => db.search('茶叶', opts), (e) => e instanceof TypeError || e instanceof RangeError, require('node:util').inspect(opts));
    }
    for (const opts of [{ writable: 'yes' }, { lines: 1 }, { lockTimeoutMs: -1 }, { sync: null, create: 0 }, { bogus: true }, 'x']) {
      assert.throws(() => new zhfts.Database(null, opts), (e) => e instanceof TypeError || e instanceof RangeError);
    }
    for (const bad of [undefined, 0, {}, Buffer.from('/tmp/x'), ['/tmp/x']]) {
      assert.throws(() => new zhfts.Database(bad), TypeError);
    }
    for (const opts of [{ lenient: 1 }, { guess: 'no' }, { lines: 'yes' }, { encoding: 8 }, { field: {} }]) {
      assert.throws(() => db.index('a', Buffer.from('茶叶'), opts), TypeError, JSON.stringify(opts));
    }
    assert.throws(() => db.stats({ terms: 1 }), TypeError);
    assert.throws(() => db.iterate('茶叶', { pageSize: -1 }), RangeError);
    assert.throws(() => db.iterate('茶叶', { pageSize: Infinity }), RangeError);
    assert.throws(() => zhfts.tokenize('茶叶', { normalize: 'yes' }), TypeError);
    assert.throws(() => zhfts.merge('/tmp/x', 5), TypeError);
    assert.throws(() => zhfts.merge(5, []), TypeError);
    assert.throws(() => zhfts.compact(null), TypeError);
    const hit = db.search('茶叶').hits[0];
    assert.throws(() => hit.makeSnippet({ marks: 'xx' }), TypeError);
    assert.throws(() => hit.makeSnippet({ context: -1 }), RangeError);
  });

  it('make the Async calls reject, not throw', async () => {
    const p = db.searchAsync(5);
    assert.ok(p instanceof Promise);
    await assert.rejects(p, TypeError);
    await assert.rejects(db.indexAsync(5, '茶叶'), TypeError);
    await assert.rejects(db.indexAsync('a', 5), TypeError);
    await assert.rejects(db.countAsync(null), TypeError);
    await assert.rejects(db.searchAsync('茶叶', { limit: -1 }), RangeError);
    await assert.rejects(zhfts.Database.open(5), TypeError);
    await assert.rejects(zhfts.mergeAsync('/tmp/x', 5), TypeError);
    await assert.rejects(zhfts.compactAsync(5), TypeError);
  });

  it('pass getters that throw through, unharmed', () => {
    const boom = { get limit() { throw new Error('boom'); } };
    assert.throws(() => db.search('茶叶', boom), /boom/);
    const trap = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
    assert.throws(() => db.search('茶叶', trap), /trap/);
    assert.throws(() => db.index('a', '茶叶', { fields: { get year() { throw new Error('field'); } } }), /field/);
    assert.equal(db.count('茶叶'), 1);
  });
});

describe('NUL, closed handles, huge input', () => {
  it('refuses NUL in C strings and keeps it in texts and queries', () => {
    const db = new zhfts.Database(null);
    for (const fn of [() => db.index('a\0b', '茶叶'), () => db.delete('a\0'), () => db.getDocument('\0'),
      () => db.index('a', Buffer.from('x'), { encoding: 'UTF\0-8' }), () => db.search('茶叶', { sort: 'year\0' }),
      () => db.search('茶叶', { marks: ['\0', ']'] }), () => db.index('a', '茶叶', { fields: { year: '2\0' } }),
      () => new zhfts.Database('/tmp/x\0y'), () => zhfts.compact('/tmp/\0'), () => zhfts.merge('/tmp/a', ['/tmp/\0'])]) {
      assert.throws(fn, (e) => e instanceof zhfts.InvalidArgumentError && /NUL/.test(e.message));
    }
    db.index('a', '茶\0叶合作社');
    assert.equal(db.search('茶\0叶').total >= 0, true);
    assert.equal(db.count('合作社'), 1);
    assert.equal(db.stats().documents, 1);
    db.close();
  });

  it('makes every call on a closed database a ClosedError', async () => {
    const db = new zhfts.Database(null);
    db.index('a', '茶叶');
    const q = db.query('茶叶');
    db.close();
    db.close();
    assert.equal(db.closed, true);
    const calls = [() => db.index('b', '茶叶'), () => db.delete('a'), () => db.commit(), () => db.rollback(), () => db.reopen(),
      () => db.stats(), () => db.documents(), () => db.getDocument('a'), () => db.search('茶叶'), () => db.query('茶叶'),
      () => db.count('茶叶'), () => db.explain('茶叶'), () => db.settings, () => [...db.iterate('茶叶')], () => q.search(), () => q.count()];
    for (const fn of calls) assert.throws(fn, (e) => e instanceof zhfts.ClosedError && e.code === 'ECLOSED', fn.toString());
    for (const p of [db.indexAsync('b', '茶叶'), db.searchAsync('茶叶'), db.countAsync('茶叶'), db.commitAsync(), q.searchAsync(), q.countAsync()]) {
      await assert.rejects(p, zhfts.ClosedError);
    }
    q.close();
  });

  it('survives huge strings', async () => {
    const db = new zhfts.Database(null);
    assert.throws(() => db.search('茶'.repeat(1 << 20)), (e) => e instanceof zhfts.LimitError || e instanceof zhfts.QueryError);
    assert.throws(() => db.index('x'.repeat(1 << 20), '茶叶'), zhfts.InvalidArgumentError); // ids: 1 to 4096 bytes
    const big = `${S.SENTENCES.join('').repeat(20000)}\n\n末尾找得到的𠮷田`; // ~4.5 MB in one paragraph
    const info = await db.indexAsync('big', big);
    assert.equal(info.paragraphs, 2);
    const [hit] = db.search('𠮷田').hits;
    assert.deepEqual(hit.matches, ['𠮷田']);
    assert.equal(db.getDocument('big')[0].text.length, S.SENTENCES.join('').length * 20000);
    const huge = db.search('茶叶', { limit: 1 }).hits[0];
    assert.equal(huge.spans.length, 20000);
    assert.ok(huge.snippet.includes('[茶叶]'));
    db.close();
  });
});

describe('the native module, called directly', () => {
  it('checks every handle it is given', () => {
    const db = new zhfts.Database(null);
    db.index('a', '茶叶');
    const box = db[require('zhfts/database').kBox];
    const qbox = native.queryNew(box, '茶叶');
    const res = native.search(box, '茶叶', {});
    const garbage = [undefined, null, 1, 'x', {}, [], () => 1, Buffer.alloc(64), qbox, res.results];
    for (const g of garbage) {
      for (const fn of ['close', 'isOpen', 'commit', 'rollback', 'reopen', 'stats', 'settings', 'documents']) {
        if (g === box) continue;
        assert.throws(() => native[fn](g), TypeError, `${fn}(${String(g)})`);
      }
      assert.throws(() => native.search(g, '茶叶', {}), TypeError);
      assert.throws(() => native.add(g, 'a', '茶叶', null, 0, null), TypeError);
      assert.throws(() => native.searchAsync(g, '茶叶', {}), TypeError);
      if (g !== qbox) assert.throws(() => native.querySearch(g, {}), TypeError);
      if (g !== res.results) assert.throws(() => native.resultsSpans(g, 0), TypeError);
    }
    // wrong arguments after a right handle
    for (const args of [[box], [box, 5], [box, '茶叶', 'opts'], [box, '茶叶', { limit: -1 }], [box, '茶叶', { facets: 'x' }],
      [box, '茶叶', { facets: [5] }], [box, '茶叶', { sort: 5 }], [box, '茶叶', { exact: 'no' }]]) {
      assert.throws(() => native.search(...args), TypeError, JSON.stringify(args.slice(1)));
    }
    for (const args of [[box, 'a', 5, null, 0, null], [box, 'a', '茶', 5, 0, null], [box, 'a', '茶', null, -1, null],
      [box, 'a', '茶', null, 0, 'f'], [box, 'a', '茶', null, 0, [5]], [box, 'a', '茶', null, 0, [['a']]], [box, 'a', '茶', null, 0, [['a', 5]]]]) {
      assert.throws(() => native.add(...args), TypeError, JSON.stringify(args.slice(1)));
    }
    assert.throws(() => native.resultsSpans(res.results, 99), zhfts.ZhftsError); // no such hit
    assert.throws(() => native.resultsSpans(res.results, -1), TypeError);
    assert.throws(() => native.resultsSnippet(res.results, 0, 5, ']', 0), TypeError);
    assert.throws(() => native.tokenize(5, true, true), TypeError);
    assert.throws(() => native.open('/tmp/x', 'flags', {}), TypeError);
    assert.throws(() => native.init(5), TypeError);
    assert.throws(() => native.strerror('x'), TypeError);
    assert.equal(typeof native.strerror(-999), 'string');
    native.queryFree(qbox);
    native.queryFree(qbox);
    native.resultsFree(res.results);
    native.resultsFree(res.results);
    assert.throws(() => native.resultsSpans(res.results, 0), zhfts.ClosedError);
    db.close();
  });
});

describe('a process that misbehaves', () => {
  const child = (code) => spawnSync(process.execPath, ['-e', code], { env: process.env, encoding: 'utf8', timeout: 60000 });

  it('exits cleanly with handles never closed and calls in flight', () => {
    const tmp = S.tempDir();
    try {
      const p = path.join(tmp.dir, 'db');
      const r = child(`
        const zhfts = require('zhfts');
        const w = new zhfts.Database(${JSON.stringify(p)}, { writable: true });
        w.index('a', '茶叶合作社');
        const q = w.query('茶叶');
        const hits = w.search('茶叶').hits;
        const big = '茶叶合作社的销售额增长两成。'.repeat(200000);
        w.indexAsync('big', big);      // still running at exit
        w.searchAsync('茶叶');
        setTimeout(() => process.exit(0), 5);
      `);
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.status, 0, r.stderr);
      // the handle was closed (and committed) at exit: the lock is free
      const db = new zhfts.Database(p, { writable: true });
      assert.equal(db.count('茶叶 doc:a'), 1);
      db.close();
    } finally {
      tmp.remove();
    }
  });

  it('survives a flood of hostile calls', () => {
    const r = child(`
      const zhfts = require('zhfts');
      const native = require('zhfts/addon');
      const values = [undefined, null, 0, -1, 2 ** 60, NaN, Infinity, '', '\\0', 'x'.repeat(5000), {}, [], [[]], [['a', 'b']],
        Buffer.alloc(3), new Uint16Array(3), new ArrayBuffer(2), new DataView(new ArrayBuffer(1)), () => 0, Symbol('s'), 1n, true];
      const db = new zhfts.Database(null);
      db.index('a', '茶叶合作社');
      const { kBox } = require('zhfts/database');
      values.push(db[kBox], native.queryNew(db[kBox], '茶叶'), native.search(db[kBox], '茶叶', {}).results);
      let calls = 0;
      for (const name of Object.keys(native)) {
        if (typeof native[name] !== 'function' || name === 'init' || name === '_leakResults') continue;
        for (let i = 0; i < 300; i++) {
          const args = Array.from({ length: i % 7 }, (_, k) => values[(i * 7 + k * 13 + name.length) % values.length]);
          try { const r = native[name](...args); if (r && typeof r.catch === 'function') r.catch(() => {}); } catch {}
          calls++;
        }
      }
      console.log(calls);
    `);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout) > 1000);
  });
});
