'use strict';
// Indexing and searching through the JavaScript API, checked against
// independent substring search (support.js).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zhfts = require('zhfts');
const S = require('./support');

const sorted = (set) => [...set].sort((a, b) => a - b);

describe('keywords and queries', () => {
  let tmp;
  let db;
  const docs = { 'town.txt': S.TOWN };
  const paras = {};

  before(() => {
    tmp = S.tempDir();
    const sample = S.readSample();
    if (sample !== null) docs['sample-report.txt'] = sample;
    const w = new zhfts.Database(path.join(tmp.dir, 'db'), { writable: true });
    for (const [doc, text] of Object.entries(docs)) {
      paras[doc] = S.paragraphs(text);
      const info = w.index(doc, Buffer.from(text));
      assert.equal(info.paragraphs, paras[doc].length, doc);
    }
    w.close();
    db = new zhfts.Database(path.join(tmp.dir, 'db'));
  });

  after(() => {
    db.close();
    tmp.remove();
  });

  const found = (query, doc = 'town.txt') =>
    sorted(new Set(db.search(query, { limit: null }).hits.filter((h) => h.doc === doc).map((h) => h.para)));
  const expected = (keyword, doc = 'town.txt') => sorted(S.containing(paras[doc], keyword));
  const checkSpans = (hits, keywords) => {
    for (const h of hits) {
      assert.ok(h.spans.length, `${h.doc} ¶${h.para}`);
      assert.deepEqual(sorted(S.spanChars(h.text, h.spans)), sorted(S.covered(h.text, keywords)),
        `${h.doc} ¶${h.para}: ${JSON.stringify(h.matches)}`);
    }
  };

  it('reads paragraphs back with byte offsets into the document', () => {
    for (const [doc, text] of Object.entries(docs)) {
      const data = Buffer.from(text);
      const got = db.getDocument(doc);
      assert.deepEqual(got.map((h) => h.para), paras[doc].map((p) => p.number));
      got.forEach((h, i) => {
        assert.equal(h.text.trim(), paras[doc][i].text.trim());
        assert.equal(h.doc, doc);
        assert.equal(data.subarray(h.offset, h.offset + h.length).toString().trim(), paras[doc][i].text.trim());
        assert.equal(h.snippet, '');
        assert.deepEqual(h.spans, []);
        assert.equal(h.score, 0);
      });
    }
  });

  it('finds Han keywords where substring search does', () => {
    for (const kw of ['发展', '茶叶', '公路', '"科学城"', '"卫生院"', '"养老服务"', '"不存在的词语"']) {
      const bare = kw.replace(/"/g, '');
      assert.deepEqual(found(kw), expected(bare), kw);
      checkSpans(db.search(kw, { limit: null }).hits, [bare]);
    }
  });

  it('finds the sample report keywords', (t) => {
    if (!docs['sample-report.txt']) return t.skip(`no sample report at ${S.SAMPLE}`);
    const doc = 'sample-report.txt';
    for (const kw of ['养老', '民生', '芯片', '生态', '"科学城"', '"人工智能"', '"老旧小区"', '"营商环境"', '"中关村科学城"']) {
      const bare = kw.replace(/"/g, '');
      assert.deepEqual(found(kw, doc), expected(bare, doc), kw);
      checkSpans(db.search(kw, { limit: null }).hits.filter((h) => h.doc === doc), [bare]);
    }
    return undefined;
  });

  it('ANDs keywords and ignores punctuation and line breaks inside them', () => {
    const both = expected('茶叶').filter((n) => expected('发展').includes(n));
    assert.deepEqual(found('茶叶 发展'), both);
    checkSpans(db.search('茶叶 发展', { limit: null }).hits, ['茶叶', '发展']);
    assert.deepEqual(found('"发展新建"'), expected('发展新建'));
    assert.deepEqual(found('"一所解决"'), expected('一所解决'));
    assert.ok(expected('发展新建').length && expected('一所解决').length);
  });

  it('ranks the whole of an unspaced run first', () => {
    const run = '科学城北新建';
    const whole = expected(run);
    assert.ok(whole.length);
    const hits = db.search(run, { limit: null }).hits.filter((h) => h.doc === 'town.txt');
    assert.deepEqual(sorted(new Set(hits.slice(0, whole.length).map((h) => h.para))), whole);
  });

  it('matches Latin words and digits whole, in any width and case', () => {
    const ai = expected('ai');
    assert.ok(ai.length);
    for (const q of ['ai', 'AI', 'ＡＩ']) {
      assert.deepEqual(found(q), ai, q);
      checkSpans(db.search(q, { limit: null }).hits, ['ai']);
    }
    assert.deepEqual(found('5g'), expected('5g'));
    assert.ok(expected('5g').length);
  });

  it('runs phrases and boolean queries', () => {
    const set = (a) => new Set(a);
    const tea = set(expected('茶叶'));
    const clinic = set(expected('卫生院'));
    const grow = set(expected('发展'));
    const and = (a, b) => sorted(new Set([...a].filter((x) => b.has(x))));
    const or = (a, b) => sorted(new Set([...a, ...b]));
    const minus = (a, b) => sorted(new Set([...a].filter((x) => !b.has(x))));
    assert.deepEqual(found('"科学城北"'), expected('科学城北'));
    assert.deepEqual(found('茶叶 OR 卫生院'), or(tea, clinic));
    assert.deepEqual(found('发展 AND 茶叶'), and(grow, tea));
    assert.deepEqual(found('发展 -茶叶'), minus(grow, tea));
    assert.deepEqual(found('发展 NOT 茶叶'), minus(grow, tea));
    assert.deepEqual(found('(茶叶 OR 卫生院) 发展'), and(set(or(tea, clinic)), grow));
    assert.ok(minus(grow, tea).length && and(set(or(tea, clinic)), grow).length);
  });

  it('filters by section', () => {
    const sect = S.sections(paras['town.txt']);
    const under = (prefix) => new Set([...sect].filter(([, s]) => s && s.startsWith(prefix)).map(([n]) => n));
    const grow = expected('发展');
    assert.deepEqual(found('section:任务 发展'), grow.filter((n) => under('任务').has(n)));
    assert.deepEqual(found('section:"任务 2" 发展'), grow.filter((n) => under('任务 2').has(n)));
    assert.deepEqual(found('section:回顾 科学城'), expected('科学城').filter((n) => under('回顾').has(n)));
    for (const h of db.search('section:任务 发展', { limit: null }).hits) assert.match(h.section, /任务/);
    assert.ok(grow.filter((n) => under('任务 2').has(n)).length);
  });

  it('pages, iterates and counts', () => {
    const every = db.search('发展', { limit: null }).hits;
    const total = Object.keys(docs).reduce((n, d) => n + expected('发展', d).length, 0);
    assert.equal(every.length, total);
    assert.deepEqual(every.map((h) => h.rank), every.map((_, i) => i + 1));
    assert.equal(db.count('发展'), total);
    assert.deepEqual(new Set(every.map((h) => h.tier)), new Set([1]));
    const key = (h) => `${h.doc}#${h.para}`;
    const paged = [];
    for (let offset = 0; offset < every.length + 2; offset += 2) paged.push(...db.search('发展', { limit: 2, offset }).hits);
    assert.deepEqual(paged.map(key), every.map(key));
    assert.deepEqual([...db.iterate('发展', { pageSize: 3 })].map(key), every.map(key));
    const q = db.query('发展');
    assert.deepEqual([...q].map(key), every.map(key));
    assert.deepEqual([...q.iterate({ pageSize: 7 })].map(key), every.map(key));
    assert.equal(q.count(), total);
    q.close();
    assert.equal(q.closed, true);
    assert.equal(db.search('发展', { limit: 0 }).hits.length, 0);
    assert.equal(db.search('发展', { limit: Infinity }).hits.length, total);
    assert.equal(db.search('发展').hits.length, Math.min(10, total));
    const scores = every.map((h) => h.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    const r = db.search('发展', { limit: 2 });
    assert.deepEqual([...r].map(key), r.hits.map(key)); // a SearchResult iterates its hits
  });

  it('closes an abandoned iteration\'s query', () => {
    const it1 = db.iterate('发展', { pageSize: 2 });
    it1.next();
    it1.return();
    assert.deepEqual(it1.next(), { value: undefined, done: true });
    for (const h of db.iterate('发展', { pageSize: 1 })) {
      assert.equal(h.rank, 1);
      break; // the generator's finally frees the query
    }
  });

  it('reports totals with their bounds', () => {
    const total = db.count('发展');
    const exact = db.search('发展', { limit: 2, exact: true });
    assert.equal(exact.exact, true);
    assert.deepEqual([exact.total, exact.totalLower, exact.totalUpper], [total, total, total]);
    const loose = db.search('发展', { limit: 1 });
    assert.ok(loose.totalLower <= total && loose.totalUpper >= total);
    assert.equal(exact.query, '发展');
    assert.equal(exact.offset, 0);
  });

  it('sets tiers for unspaced runs', () => {
    const tiers = new Set();
    for (const run of ['科学城北新建', '养老服务', '科技创新', '产业发展', '茶叶发展']) {
      const hits = db.search(run, { limit: null }).hits;
      assert.ok(hits.length, run);
      for (const h of hits) {
        assert.equal(h.tier, S.letters(h.text).includes(S.letters(run)) ? 2 : 1, `${run}: ${h.doc} ¶${h.para}`);
        tiers.add(h.tier);
      }
      const t = hits.map((h) => h.tier);
      assert.deepEqual(t, [...t].sort((a, b) => b - a));
    }
    if (docs['sample-report.txt']) assert.deepEqual(sorted(tiers), [1, 2]);
  });

  it('puts marks around matches in snippets', () => {
    const hits = db.search('茶叶', { marks: ['<b>', '</b>'], limit: null }).hits;
    assert.ok(hits.length);
    for (const h of hits) {
      assert.match(h.snippet, /<b>/);
      for (const piece of h.snippet.split('<b>').slice(1)) {
        assert.match(piece, /<\/b>/);
        assert.equal(S.letters(piece.split('</b>')[0]), '茶叶');
      }
      assert.equal(h.makeSnippet({ marks: ['«', '»'], context: 3 }).includes('«'), true);
    }
  });

  it('gives stats, documents, settings and explanations', () => {
    const st = db.stats();
    assert.equal(st.documents, Object.keys(docs).length);
    assert.equal(st.paragraphs, Object.values(paras).reduce((n, p) => n + p.length, 0));
    assert.ok(st.diskBytes > 0);
    assert.equal(st.terms, 0);
    assert.ok(db.stats({ terms: true }).terms > 0);
    const want = Object.keys(docs).sort(S.compareBytes).map((id) => ({ id, paragraphs: paras[id].length }));
    assert.deepEqual(db.documents(), want);
    assert.deepEqual(db.settings, { normalize: true, traditional: true, lines: false });
    assert.equal(typeof db.explain('茶叶 OR 发展'), 'string');
    const q = db.query('茶叶 OR 发展');
    assert.equal(q.explain(), db.explain('茶叶 OR 发展'));
    q.close();
    assert.equal(db.writable, false);
    assert.equal(db.closed, false);
  });
});

describe('writing', () => {
  let tmp;
  before(() => { tmp = S.tempDir(); });
  after(() => tmp.remove());
  let n = 0;
  const fresh = () => path.join(tmp.dir, `db${n++}`);

  it('replaces a document on reindex and deletes it', () => {
    const paras = S.paragraphs(S.TOWN);
    const db = new zhfts.Database(fresh(), { writable: true });
    assert.equal(db.index('a', S.TOWN).paragraphs, paras.length);
    const info = db.index('a', '新的文本只有一段，讲茶园。');
    assert.deepEqual([info.paragraphs, info.replaced], [1, paras.length]);
    assert.equal(db.search('卫生院').hits.length, 0);
    assert.deepEqual(db.search('茶园').hits.map((h) => h.para), [1]);
    db.delete('a');
    assert.equal(db.search('茶园').hits.length, 0);
    assert.throws(() => db.delete('a'), (e) => e instanceof zhfts.NotFoundError && e.status === -7 && e.code === 'ENOTFOUND' && e.doc === 'a');
    db.close();
  });

  it('keeps a termlist or not', () => {
    for (const termlist of [false, true]) {
      const p = fresh();
      const w = new zhfts.Database(p, { writable: true, termlist });
      w.index('a', '茶叶合作社\n\n卫生院');
      w.index('b', '茶叶加工');
      w.commit();
      w.index('a', '新的茶园');
      w.delete('b');
      w.close();
      assert.equal(fs.existsSync(path.join(p, 'termlist.glass')), termlist);
      const r = new zhfts.Database(p);
      assert.deepEqual(r.search('茶').hits.map((h) => [h.doc, h.para]), [['a', 1]]);
      assert.equal(r.search('卫生院').hits.length, 0);
      assert.deepEqual(r.documents(), [{ id: 'a', paragraphs: 1 }]);
      assert.equal(r.count('茶 OR 卫生院'), 1);
      if (!termlist) assert.ok(r.stats().dead > 0);
      r.close();
    }
  });

  it('commits, reopens and rolls back', () => {
    const p = fresh();
    const w = new zhfts.Database(p, { writable: true });
    w.index('a', '茶叶合作社');
    w.commit();
    const r = new zhfts.Database(p);
    assert.equal(r.search('茶叶').hits.length, 1);
    w.index('b', '茶叶加工中心');
    w.commit();
    assert.equal(r.search('茶叶').hits.length, 1);
    r.reopen();
    assert.equal(r.search('茶叶').hits.length, 2);
    w.index('dropped', '作废的段落');
    w.rollback();
    assert.equal(w.search('作废').hits.length, 0);
    assert.throws(() => r.index('c', '茶'), zhfts.ReadOnlyError);
    assert.throws(() => r.commit(), (e) => e instanceof zhfts.ReadOnlyError && e.code === 'EREADONLY');
    w.close();
    r.close();
  });

  it('commits when closed, and when a Database is garbage collected', async () => {
    const p = fresh();
    let w = new zhfts.Database(p, { writable: true });
    w.index('a', '茶叶合作社');
    w = null;
    for (let i = 0; i < 10 && !(() => { try { new zhfts.Database(p, { writable: true }).close(); return true; } catch { return false; } })(); i++) {
      global.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const r = new zhfts.Database(p);
    assert.equal(r.count('茶叶'), 1);
    r.close();
  });

  it('splits per line when asked', () => {
    const text = '第一行讲茶叶\n第二行讲公路\n\n第三行讲茶叶\n';
    const p = fresh();
    const db = new zhfts.Database(p, { writable: true, lines: true });
    assert.equal(db.settings.lines, true);
    db.index('a', text, { lines: true });
    const want = S.paragraphs(text, true).filter((x) => x.text.includes('茶叶')).map((x) => x.number);
    assert.deepEqual(sorted(new Set(db.search('茶叶').hits.map((h) => h.para))), want);
    assert.throws(() => db.index('b', text, { lines: false }), zhfts.SettingsError);
    db.close();
    assert.throws(() => new zhfts.Database(p, { writable: true, lines: false }),
      (e) => e instanceof zhfts.SettingsError && e.code === 'ESETTINGS');
    const r = new zhfts.Database(p);
    assert.equal(r.settings.lines, true);
    r.close();
    const m = new zhfts.Database(null);
    assert.equal(m.index('per-line', text, { lines: true }).paragraphs, S.paragraphs(text, true).length);
    assert.equal(m.index('blocks', text).paragraphs, S.paragraphs(text).length);
    m.close();
  });

  it('has in-memory databases', () => {
    const db = new zhfts.Database(null);
    assert.equal(db.writable, true);
    assert.equal(db.path, null);
    db.index('a', '茶叶合作社');
    assert.deepEqual(db.search('茶叶').hits.map((h) => h.doc), ['a']);
    assert.equal(db.stats().diskBytes, 0);
    db.close();
  });

  it('reports what index() did', () => {
    const p = fresh();
    const db = new zhfts.Database(p, { writable: true, autoCommitBytes: 1 });
    assert.deepEqual(db.index('a', '茶叶合作社', { fields: { year: '2020' } }),
      { paragraphs: 1, replaced: 0, encoding: 'UTF-8', committed: true });
    const r = new zhfts.Database(p);
    assert.deepEqual(r.search('茶叶').hits.map((h) => h.fields), [{ year: '2020' }]);
    r.close();
    db.close();
    const w = new zhfts.Database(p, { writable: true });
    const data = Buffer.from([0xb2, 0xe8, 0xd2, 0xb6]); // 茶叶 in GB18030
    const info = w.index('a', Buffer.concat(Array(20).fill(data)), { encoding: 'GB18030' });
    assert.deepEqual([info.paragraphs, info.replaced, info.committed], [1, 1, false]);
    assert.equal(info.encoding.replace('-', '').toUpperCase(), 'GB18030');
    assert.equal(w.search('茶叶').hits.length, 1);
    w.close();
  });

  it('refuses a second writer, at once or after a timeout', () => {
    const p = fresh();
    const w = new zhfts.Database(p, { writable: true });
    assert.throws(() => new zhfts.Database(p, { writable: true }), (e) => e instanceof zhfts.LockedError && e.code === 'ELOCKED');
    const t0 = Date.now();
    assert.throws(() => new zhfts.Database(p, { writable: true, lockTimeoutMs: 300 }), zhfts.LockedError);
    assert.ok(Date.now() - t0 >= 250);
    w.close();
    assert.throws(() => new zhfts.Database(path.join(tmp.dir, 'missing')), zhfts.NotFoundError);
    assert.throws(() => new zhfts.Database(path.join(tmp.dir, 'missing'), { writable: true, create: false }), zhfts.NotFoundError);
  });

  it('opens asynchronously', async () => {
    const p = fresh();
    const w = await zhfts.Database.open(p, { writable: true });
    assert.ok(w instanceof zhfts.Database);
    w.index('a', '茶叶合作社');
    await assert.rejects(zhfts.Database.open(p, { writable: true }), zhfts.LockedError);
    w.close();
    const r = await zhfts.Database.open(p);
    assert.equal(r.count('茶叶'), 1);
    assert.equal(r.writable, false);
    r.close();
    await assert.rejects(zhfts.Database.open(path.join(tmp.dir, 'missing')), zhfts.NotFoundError);
  });

  it('merges and compacts', async () => {
    const a = fresh();
    const b = fresh();
    for (const [p, id, text] of [[a, 'a', '茶叶合作社\n\n卫生院'], [b, 'b', '茶叶加工中心']]) {
      const w = new zhfts.Database(p, { writable: true });
      w.index(id, text);
      w.close();
    }
    const merged = fresh();
    zhfts.merge(merged, [a, b]);
    const m = new zhfts.Database(merged);
    assert.deepEqual(m.documents().map((d) => d.id), ['a', 'b']);
    assert.equal(m.count('茶叶'), 2);
    m.close();
    assert.throws(() => zhfts.merge(merged, [a]), zhfts.ZhftsError); // exists
    const merged2 = fresh();
    await zhfts.mergeAsync(merged2, [a, b]);
    const m2 = new zhfts.Database(merged2);
    assert.equal(m2.count('茶叶'), 2);
    m2.close();
    await assert.rejects(zhfts.mergeAsync(merged2, [a]), zhfts.ZhftsError);

    const w = new zhfts.Database(a, { writable: true });
    w.index('a', '新的茶园');
    w.commit();
    assert.throws(() => zhfts.compact(a), zhfts.LockedError); // its writer holds it
    w.close();
    const before = new zhfts.Database(a);
    assert.ok(before.stats().dead > 0);
    before.close();
    zhfts.compact(a);
    await zhfts.compactAsync(a);
    const after = new zhfts.Database(a);
    assert.equal(after.stats().dead, 0);
    assert.deepEqual(after.search('茶').hits.map((h) => h.text), ['新的茶园']);
    after.close();
    await assert.rejects(zhfts.compactAsync(path.join(tmp.dir, 'missing')), zhfts.ZhftsError);
  });

  it('says which library and module it loaded', () => {
    // the library's version is the header's (the one this module was built with)
    const header = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'include', 'zhfts.h'), 'utf8');
    assert.equal(zhfts.version(), header.match(/#define ZHFTS_VERSION_STRING "([^"]+)"/)[1]);
    assert.match(require('zhfts/package.json').version, /^\d+\.\d+\.\d+$/);
    assert.ok(fs.existsSync(zhfts.addonPath()));
  });
});
