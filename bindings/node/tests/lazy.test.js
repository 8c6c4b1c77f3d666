'use strict';
// Lazy snippets and spans, Query objects, and what happens to hits when
// their database goes away (closed, or collected in any order).
//
// Snippets and spans are made by zhfts_results_snippet() and
// zhfts_results_spans() when a hit's snippet or spans is first read; the
// spans must slice the JavaScript strings (astral characters included)
// where an independent substring search finds the keywords, and a snippet
// must be a window of the text with exactly the spans in it marked.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const zhfts = require('zhfts');
const S = require('./support');

const sorted = (set) => [...set].sort((a, b) => a - b);
const gcRounds = async (n = 4) => {
  for (let i = 0; i < n; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
};

// keyword queries, with the keywords whose occurrences are the spans
const QUERIES = {
  茶叶: ['茶叶'], '发展 OR 卫生院': ['发展', '卫生院'], '"科学城北"': ['科学城北'], ai: ['ai'],
  'ＡＩ 卫生室': ['ai', '卫生室'], '𠮷田': ['𠮷田'], '茶叶 -合作社': ['茶叶'], '发展 section:任务': ['发展'], 经济: ['经济'],
};

// Checks that snippet is a window of text with the spans inside it between
// the marks.  The library's snippets turn runs of white space into one
// space (and a line break between Han characters into nothing), so the
// comparison leaves white space out; a span cut by either end of the window
// is marked up to the cut.
const WS = /[\s\uFEFF]/gu;
function checkSnippet(h, snippet, [open, close]) {
  let body = snippet;
  if (body.startsWith('…')) body = body.slice(1);
  if (body.endsWith('…')) body = body.slice(0, -1);
  body = body.replace(WS, '');
  if (body.startsWith(open)) body = body.slice(open.length); // a span begun before the window
  if (body.endsWith(close)) body = body.slice(0, -close.length); // ... or going past it
  let full = '';
  let pos = 0;
  for (const [s, e] of h.spans) {
    full += h.text.slice(pos, s) + open + h.text.slice(s, e) + close;
    pos = e;
  }
  full = (full + h.text.slice(pos)).replace(WS, '');
  assert.ok(full.includes(body), `snippet ${JSON.stringify(snippet)} is not a window of ${JSON.stringify(full)}`);
  assert.ok(h.spans.length === 0 || snippet.includes(open), 'the first match is in the snippet');
}

describe('lazy snippets and spans', () => {
  let db;
  const docs = {
    town: S.TOWN, astral: `${S.ASTRAL}\n\n${[...S.ASTRAL].reverse().join('')}`, wide: S.FULLWIDTH, trad: S.TRADITIONAL,
  };
  before(() => {
    const sample = S.readSample();
    if (sample !== null) docs.sample = sample;
    S.SENTENCES.forEach((s, i) => { docs[`s${i}`] = s.repeat(i + 1); });
    docs.long = `${'开头'.repeat(60)}茶叶合作社${'结尾'.repeat(60)}茶叶${'尾'.repeat(50)}`;
    db = new zhfts.Database(null);
    for (const [doc, text] of Object.entries(docs)) db.index(doc, text);
  });
  after(() => db.close());

  it('spans cover exactly the occurrences of the keywords', () => {
    for (const [q, keywords] of Object.entries(QUERIES)) {
      const { hits } = db.search(q, { limit: null });
      assert.ok(hits.length, q);
      for (const h of hits) {
        assert.deepEqual(sorted(S.spanChars(h.text, h.spans)), sorted(S.covered(h.text, keywords)), `${q}: ${h.doc} ¶${h.para}`);
        const data = Buffer.from(h.text);
        h.byteSpans.forEach(([bs, be], k) => assert.equal(data.subarray(bs, be).toString(), h.matches[k]));
      }
    }
  });

  it('snippets are windows of the text with the spans marked', () => {
    for (const q of Object.keys(QUERIES)) {
      for (const [marks, context] of [[['[', ']'], undefined], [['<b>', '</b>'], 5], [['«', '»'], 80]]) {
        const { hits } = db.search(q, { limit: null, marks, context });
        for (const h of hits) checkSnippet(h, h.snippet, marks);
      }
    }
    const long = db.search('茶叶 doc:long').hits[0];
    assert.ok(long.snippet.startsWith('…') && long.snippet.endsWith('…'));
    const small = long.makeSnippet({ marks: ['<', '>'], context: 3 });
    assert.equal(small, '…头开头<茶叶>合作社…');
  });

  it('makeSnippet() takes other marks and context', () => {
    const { hits } = db.search('发展 OR 卫生院', { limit: null });
    for (const h of hits) {
      const a = h.makeSnippet({ marks: ['\u0001', '\u0002'], context: 12 });
      const b = h.makeSnippet({ marks: ['<', '>'], context: 12 });
      assert.equal(a.replaceAll('\u0001', '<').replaceAll('\u0002', '>'), b);
      checkSnippet(h, b, ['<', '>']);
      assert.equal(h.makeSnippet(), h.snippet); // the defaults
    }
  });

  it('pages and sorts the same hits', () => {
    const all = db.search('发展', { limit: null, sort: 'doc' }).hits;
    for (const offset of [0, 3, 7]) {
      const page = db.search('发展', { limit: 4, offset, sort: 'doc' }).hits;
      assert.deepEqual(page.map((h) => [h.doc, h.para, h.snippet, h.spans]),
        all.slice(offset, offset + 4).map((h) => [h.doc, h.para, h.snippet, h.spans]));
    }
  });

  it('are made only when read: unread ones are gone with the database', () => {
    const m = new zhfts.Database(null);
    m.index('a', S.TOWN);
    const { hits } = m.search('发展', { limit: null });
    assert.ok(hits.length >= 3);
    const [read, spansOnly, unread] = hits;
    const snippet = read.snippet;
    const spans = read.spans;
    const s2 = spansOnly.spans;
    assert.equal(read.available, true);
    m.close();
    // what was read stays
    assert.equal(read.snippet, snippet);
    assert.deepEqual(read.spans, spans);
    assert.deepEqual(spansOnly.spans, s2);
    assert.equal(read.available, true);
    assert.equal(unread.available, false);
    assert.equal(unread.text.length > 0, true); // the eager parts stay
    for (const get of [() => unread.snippet, () => unread.spans, () => unread.byteSpans, () => spansOnly.snippet, () => unread.makeSnippet()]) {
      assert.throws(get, (e) => {
        assert.ok(e instanceof zhfts.ClosedError);
        assert.ok(e instanceof zhfts.InvalidArgumentError);
        assert.equal(e.code, 'ECLOSED');
        assert.equal(e.status, -3);
        assert.match(e.message, /hit \d+ of "发展" \(a ¶\d+\)/);
        return true;
      });
    }
    // toJSON gives what it can
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(read))).sort(),
      ['byteSpans', 'doc', 'fields', 'length', 'offset', 'para', 'rank', 'score', 'section', 'snippet', 'spans', 'text', 'tier']);
    assert.equal(JSON.parse(JSON.stringify(unread)).snippet, undefined);
  });

  it('Query objects run many times and die with their database', () => {
    const m = new zhfts.Database(null);
    m.index('a', S.TOWN);
    const q = m.query('发展');
    assert.equal(q.text, '发展');
    assert.equal(q.database, m);
    const first = q.search({ limit: 2 });
    const second = q.search({ limit: 2, offset: 2 });
    assert.deepEqual([...first.hits, ...second.hits].map((h) => h.para), m.search('发展', { limit: 4 }).hits.map((h) => h.para));
    assert.equal(q.count(), m.count('发展'));
    assert.match(q.explain(), /发展/);
    const other = m.query('茶叶');
    other.close();
    other.close(); // safe twice
    assert.equal(other.closed, true);
    assert.throws(() => other.search(), (e) => e instanceof zhfts.ClosedError && /query is closed/.test(e.message));
    assert.throws(() => other.count(), zhfts.ClosedError);
    assert.throws(() => other.explain(), zhfts.ClosedError);
    const kept = first.hits[0];
    m.close();
    assert.equal(q.closed, true);
    assert.throws(() => q.search(), (e) => e instanceof zhfts.ClosedError && /database is closed/.test(e.message));
    assert.throws(() => m.query('茶叶'), zhfts.ClosedError);
    assert.throws(() => kept.snippet, zhfts.ClosedError);
    m.close();
  });

  it('an iteration keeps going from where it stopped', () => {
    const all = db.search('发展', { limit: null }).hits.map((h) => `${h.doc}#${h.para}`);
    const q = db.query('发展');
    const seen = [];
    for (const h of q.iterate({ pageSize: 2 })) seen.push(`${h.doc}#${h.para}`);
    assert.deepEqual(seen, all);
    q.close();
  });
});

describe('garbage collection in any order', () => {
  let tmp;
  before(() => { tmp = S.tempDir(); });
  after(() => tmp.remove());

  const open = (p, writable) => new zhfts.Database(p, { writable });
  const writerFree = (p) => {
    try {
      open(p, true).close();
      return true;
    } catch (e) {
      if (e instanceof zhfts.LockedError) return false;
      throw e;
    }
  };

  it('hits keep their database alive; collecting them closes it', async () => {
    const p = path.join(tmp.dir, 'a');
    const w = open(p, true);
    w.index('a', S.TOWN);
    w.close();
    let hits = (() => {
      const db = open(p, true); // a writer: its lock says whether it is closed
      db.index('b', '茶叶加工中心，发展茶叶。');
      return db.search('发展', { limit: null }).hits;
    })();
    await gcRounds();
    assert.equal(writerFree(p), false, 'the hits keep the database open');
    assert.ok(hits.every((h) => h.snippet.length && h.spans.length));
    hits = null;
    let free = false;
    for (let i = 0; i < 20 && !free; i++) {
      await gcRounds(1);
      free = writerFree(p);
    }
    assert.equal(free, true, 'collected, the database closed (and committed)');
    const r = open(p, false);
    assert.equal(r.count('茶叶加工中心 doc:b'), 1);
    r.close();
  });

  it('survives every order of collecting databases, queries, results and hits', async () => {
    const p = path.join(tmp.dir, 'b');
    const w = open(p, true);
    w.index('a', S.TOWN);
    w.close();
    for (let round = 0; round < 30; round++) {
      let db = open(p, false);
      let q = db.query('发展');
      let r = q.search({ limit: 5 });
      let hit = r.hits[round % r.hits.length];
      let r2 = db.search('茶叶 OR 发展', { limit: null, facets: ['doc'] });
      const order = [() => { db = null; }, () => { q = null; }, () => { r = null; }, () => { hit = null; }, () => { r2 = null; }];
      // a different order each round
      for (let i = order.length - 1; i > 0; i--) {
        const j = (round * 7 + i * 3) % (i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      if (round % 3 === 0) db.close();
      for (const drop of order) {
        drop();
        if (round % 2) global.gc();
      }
      assert.equal(db, null);
      assert.equal(q ?? r ?? hit ?? r2 ?? null, null);
    }
    await gcRounds();
    assert.equal(writerFree(p), true);
  });
});
