'use strict';
// Every C object the binding makes is freed: a ledger of the live handles,
// databases, queries and results (kept by the native module), and resident
// memory that does not grow over 200 rounds of indexing, searching (sync
// and async), snippets, spans, facets, queries and errors.  The second test
// shows that the measurement sees a leak: the same rounds with results
// never freed grow past the bound.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const zhfts = require('zhfts');
const native = require('zhfts/addon');
const S = require('./support');

const WARM_UP = 40;
const ROUNDS = 200;
// Each round makes results holding ~60 paragraphs of ~2 KB (30 from a sync
// search, 10 from an async one, 10 from a reader whose results outlive it,
// 10 from a query paged twice), with snippets, spans and facets, tokens and
// errors.  Leaking the results alone costs ~250 KB a round, ~50 MB over
// ROUNDS (the second test measures it); a healthy run grows by 4-8 MB
// (allocator pools and V8's heap settling, not growing with the rounds).
const TOLERANCE = 16 << 20;

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve)); // finalizers run after the collection
  }
};

// 10 paragraphs of about 2 KB, each with "段落" once
const documentText = (i) => Array.from({ length: 10 }, (_, j) => `本段落：${Array.from({ length: 30 }, (__, k) => S.SENTENCES[(i + j + k) % S.SENTENCES.length]).join('')}`).join('\n\n');

const RSS_SKIP = S.SANITIZED ? 'the sanitizers\' allocators keep freed memory' : false;

describe('memory', () => {
  let tmp;
  before(() => { tmp = S.tempDir(); });
  after(() => tmp.remove());

  // Every kind of call, leaving things open for close() and the collector.
  const activity = async () => {
    const p = path.join(tmp.dir, 'ledger');
    const db = new zhfts.Database(p, { writable: true });
    db.index('a', '本段落：茶叶合作社\n\n新建卫生院', { fields: { year: '2020' } });
    db.index('b', '茶叶加工中心', { fields: { year: '2021', type: 'plan' } });
    db.commit();
    const { hits } = db.search('茶叶', { facets: ['doc', 'year'], facetLimit: 1 });
    hits.forEach((h) => [h.snippet, h.spans, h.makeSnippet({ marks: ['<', '>'], context: 3 })]);
    db.search('茶叶 OR 卫生院', { limit: 0, facets: ['type'] });
    db.getDocument('a');
    db.explain('茶叶 OR 卫生院');
    const q = db.query('茶叶');
    q.search({ limit: 1 }).hits[0].snippet;
    q.search({ limit: 1, offset: 1 });
    q.count();
    q.explain();
    q.close();
    db.query('卫生院').search(); // never closed: freed when collected
    const openQuery = db.query('茶叶'); // still open when the database closes
    [...db.iterate('茶叶', { pageSize: 1 })];
    db.iterate('茶叶 OR 卫生院', { pageSize: 1 }).next(); // abandoned
    for (const bad of ['(茶叶', '', '茶'.repeat(1 << 20), 'nosuchfield:x']) assert.throws(() => db.search(bad), zhfts.ZhftsError);
    for (const bad of [{ sort: 'nosuchfield' }, { facets: ['nosuchfield'] }]) assert.throws(() => db.search('茶叶', bad), zhfts.InvalidArgumentError);
    assert.throws(() => db.getDocument('nothing'), zhfts.NotFoundError);
    assert.throws(() => new zhfts.Database(p, { writable: true }), zhfts.LockedError);
    assert.throws(() => db.index('c', Buffer.from([0xff]), { encoding: 'UTF-8' }), zhfts.EncodingError);
    await db.searchAsync('茶叶');
    await assert.rejects(db.searchAsync('(茶叶'), zhfts.QueryError);
    await db.countAsync('茶叶');
    const pending = [db.searchAsync('茶叶'), db.indexAsync('c', '茶叶')];
    const kept = db.search('茶叶 OR 卫生院', { limit: null }); // outlives the database
    kept.hits[0].snippet;
    db.close();
    await Promise.allSettled(pending);
    assert.equal(openQuery.closed, true);
    assert.throws(() => kept.hits[1].snippet, zhfts.ClosedError);
    for (let i = 0; i < 3; i++) assert.throws(() => new zhfts.Database(path.join(tmp.dir, 'missing')), zhfts.NotFoundError);
    zhfts.tokenize('茶叶合作社');
    assert.throws(() => zhfts.tokenize(Buffer.from([0xff])), zhfts.EncodingError);
    new zhfts.Database(p).search('茶叶').hits[0].snippet; // never closed: collected
    await (await zhfts.Database.open(p)).searchAsync('茶叶', { facets: ['doc'] });
    zhfts.merge(path.join(tmp.dir, 'merged'), [p]);
    assert.throws(() => zhfts.merge(path.join(tmp.dir, 'merged'), [p]), zhfts.ZhftsError);
    return native._live();
  };

  it('frees every C object (the ledger)', async () => {
    await settle();
    const base = native._live();
    const during = await activity();
    // still alive here: the closed database's handle (its box not collected yet), and the
    // readers never closed, with their results
    for (const kind of ['handles', 'databases', 'results']) assert.ok(during[kind] > base[kind], `${kind}: ${JSON.stringify(during)}`);
    await settle();
    assert.deepEqual(native._live(), base);
  });

  const round = async (db, readerPath, i) => {
    db.index(`doc${i % 3}`, documentText(i), { fields: { year: String(2018 + (i % 5)), type: i % 2 ? 'plan' : 'report' } });
    const r = db.search('段落', { limit: 30, facets: ['doc', 'year', 'type'] });
    assert.ok(r.hits.length === 30 && r.facets.doc.values.length);
    for (const h of r.hits) assert.ok(h.snippet && h.spans.length);
    r.hits[i % 30].makeSnippet({ marks: ['<b>', '</b>'], context: 10 });
    const a = await db.searchAsync('段落 year:2018..', { limit: 10, sort: '-year' });
    assert.ok(a.hits[0].byteSpans.length);
    const q = db.query('段落 year:2018..');
    q.search({ limit: 5, sort: '-year' });
    q.search({ limit: 5, offset: 5, sort: '-year' });
    q.count();
    q.close();
    zhfts.tokenize(S.SENTENCES[i % S.SENTENCES.length].repeat(20));
    assert.throws(() => db.search('(茶叶'), zhfts.QueryError);
    assert.throws(() => new zhfts.Database(path.join(readerPath, '..', 'missing')), zhfts.NotFoundError);
    const reader = new zhfts.Database(readerPath);
    reader.stats();
    const kept = reader.search('段落', { limit: 10 }); // outlives the reader: freed by its close
    reader.close();
    assert.ok(kept.hits[0].text);
    if (i % 20 === 0) db.commit();
  };

  const growth = async (name) => {
    const p = path.join(tmp.dir, name);
    const db = new zhfts.Database(p, { writable: true, sync: false });
    for (let i = 0; i < 3; i++) db.index(`doc${i}`, documentText(i));
    db.commit();
    for (let i = 0; i < WARM_UP; i++) await round(db, p, i); // caches, allocator pools, V8's heap
    db.commit();
    await settle();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < ROUNDS; i++) await round(db, p, i);
    db.commit();
    await settle();
    const grew = process.memoryUsage().rss - before;
    db.close();
    return grew;
  };

  it(`does not grow over ${ROUNDS} rounds`, { skip: RSS_SKIP }, async () => {
    const grew = await growth('steady');
    console.log(`# RSS grew by ${(grew / 1024).toFixed(0)} KiB over ${ROUNDS} rounds (bound ${TOLERANCE >> 10} KiB)`);
    assert.ok(grew < TOLERANCE, `RSS grew by ${grew} bytes over ${ROUNDS} rounds`);
  });

  it('sees a leak: the same rounds with results never freed grow past the bound', { skip: RSS_SKIP }, async () => {
    native._leakResults(true); // databases opened from now on never free their results
    let grew;
    try {
      grew = await growth('leaky');
    } finally {
      native._leakResults(false);
    }
    console.log(`# with results leaked, RSS grew by ${(grew / 1024).toFixed(0)} KiB over ${ROUNDS} rounds`);
    assert.ok(grew > TOLERANCE, `RSS grew by only ${grew} bytes with results leaked`);
  });
});
