'use strict';
// Document fields: filters (NAME:VALUE, ranges, doc:), sorting and facets
// over generated documents, checked against plain JavaScript over the same
// generated fields and texts (support.js); the guessed title and date.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zhfts = require('zhfts');
const S = require('./support');

// Raw values as a caller might give them: Traditional, full-width and
// upper-case spellings of the same normalized value.
const DISTRICTS = ['海淀区', '海澱區', '朝阳区', '朝陽區', '云溪镇', 'ＡＢ区', 'ab区'];
const TYPES = ['Plan', 'PLAN', 'plan', 'Report', 'notice'];
const YEARS = ['2018', '2019', '2020', '２０２１', '2022', ' 2020 '];
const SCORES = ['0.5', '1.25', '10', '-3', '2.0', '2', '+7', '0.125'];
const EXTRA = ['茶叶合作社带动农户增收。', '科学城北新建实验学校一所。', '发展社区养老服务。'];

function rng(seed) { // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeCorpus(seed = 7, n = 36) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const docs = new Map();
  for (let i = 0; i < n; i++) {
    const id = i % 4 === 0 ? `plan/${String(i).padStart(2, '0')}.txt` : `r/${String(i).padStart(2, '0')}.txt`;
    const fields = {};
    for (const [name, pool, share] of [['district', DISTRICTS, 0.9], ['type', TYPES, 0.8], ['year', YEARS, 0.75], ['score', SCORES, 0.6]]) {
      if (r() < share) fields[name] = pick(pool);
    }
    if (r() < 0.7) {
      fields.date = `${pick([2019, 2020, 2021])}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
    }
    const paras = [];
    const k = 1 + Math.floor(r() * 4);
    for (let p = 0; p < k; p++) {
      const pool = [...S.SENTENCES, ...EXTRA];
      const m = 1 + Math.floor(r() * 3);
      const chosen = [];
      while (chosen.length < m) {
        const s = pick(pool);
        if (!chosen.includes(s)) chosen.push(s);
      }
      paras.push(chosen.join(''));
    }
    docs.set(id, { fields, text: `${paras.join('\n\n')}\n` });
  }
  return docs;
}

const key = (h) => `${h.doc}#${h.para}`;
const setOf = (a) => new Set(a);
const same = (a, b, msg) => assert.deepEqual([...a].sort(), [...b].sort(), msg);

describe('fields', () => {
  const docs = makeCorpus();
  const paras = new Map();
  let db;

  before(() => {
    db = new zhfts.Database(null);
    for (const [id, { fields, text }] of docs) {
      const info = db.index(id, text, { fields, guess: false });
      paras.set(id, S.paragraphs(text));
      assert.equal(info.paragraphs, paras.get(id).length);
    }
  });
  after(() => db.close());

  const every = () => setOf([...paras].flatMap(([d, ps]) => ps.map((p) => `${d}#${p.number}`)));
  const kw = (word) => setOf([...paras].flatMap(([d, ps]) => [...S.containing(ps, word)].map((n) => `${d}#${n}`)));
  const where = (pred) => setOf([...every()].filter((k) => pred(docs.get(k.split('#')[0]).fields)));
  const eq = (name, value) => where((f) => name in f && S.fieldNorm(f[name]) === S.fieldNorm(value));
  const range = (name, lo, hi) => where((f) => S.fieldInRange(f[name], lo, hi));
  const found = (query, opts = {}) => setOf(db.search(query, { limit: null, ...opts }).hits.map(key));
  const and = (a, b) => setOf([...a].filter((x) => b.has(x)));
  const or = (a, b) => setOf([...a, ...b]);
  const minus = (a, b) => setOf([...a].filter((x) => !b.has(x)));

  it('returns the fields as given with every hit', () => {
    const { hits } = db.search('doc:r/*', { limit: null });
    assert.ok(hits.length);
    for (const h of hits) assert.deepEqual(h.fields, docs.get(h.doc).fields);
    for (const [id, { fields }] of docs) for (const h of db.getDocument(id)) assert.deepEqual(h.fields, fields);
  });

  it('filters on equality, normalized', () => {
    const cases = {
      'district:海淀区': eq('district', '海淀区'),
      'district:海澱區': eq('district', '海淀区'),
      'district:"朝阳区"': eq('district', '朝阳区'),
      'district:AB区': eq('district', 'ab区'),
      'type:plan': eq('type', 'plan'),
      'type:PLAN': eq('type', 'plan'),
      'year:2021': eq('year', '2021'),
      'year:2020': eq('year', '2020'),
      'score:2': eq('score', '2'),
      'score:2.0': eq('score', '2.0'),
      'score:"-3"': eq('score', '-3'),
      'type:nothing': new Set(),
    };
    for (const [q, want] of Object.entries(cases)) same(found(q), want, q);
    for (const q of ['district:海淀区', 'district:AB区', 'type:plan', 'year:2021', 'score:2']) assert.ok(cases[q].size, q);
    assert.notDeepEqual([...cases['score:2']].sort(), [...cases['score:2.0']].sort());
  });

  it('filters on ranges of numbers and of text', () => {
    const cases = {
      'year:2019..2020': range('year', '2019', '2020'),
      'year:2020..': range('year', '2020', ''),
      'year:..2019': range('year', '', '2019'),
      'score:..1.5': range('score', '', '1.5'),
      'score:+1..9': range('score', '1', '9'),
      'score:..-1': range('score', '', '-1'),
      'score:-5..1.5': range('score', '-5', '1.5'),
      'score:2..2': range('score', '2', '2'),
      'date:2020-01-01..2020-06-30': range('date', '2020-01-01', '2020-06-30'),
      'date:2021-01-01..': range('date', '2021-01-01', ''),
      'district:a..b': range('district', 'a', 'b'),
    };
    for (const [q, want] of Object.entries(cases)) {
      same(found(q), want, q);
      assert.ok(want.size, q);
    }
    same(cases['score:2..2'], or(eq('score', '2'), eq('score', '2.0')));
    same(found('score:-3 -type:plan'), minus(eq('score', '-3'), eq('type', 'plan')));
  });

  it('filters on document ids and prefixes', () => {
    same(found('doc:r/05.txt'), setOf([...every()].filter((k) => k.startsWith('r/05.txt#'))));
    same(found('doc:plan/*'), setOf([...every()].filter((k) => k.startsWith('plan/'))));
    same(found('doc:r/1*'), setOf([...every()].filter((k) => k.startsWith('r/1'))));
    same(found('doc:"r/05.txt"'), found('doc:r/05.txt'));
    same(found('doc:nothing'), new Set());
  });

  it('combines filters with keywords and boolean operators', () => {
    const tea = kw('茶叶');
    const clinic = kw('卫生院');
    const grow = kw('发展');
    const haidian = eq('district', '海淀区');
    const cases = {
      '茶叶 district:海淀区': and(tea, haidian),
      '(茶叶 OR 卫生院) -year:2019': minus(or(tea, clinic), eq('year', '2019')),
      '发展 year:2019..2021 -district:朝阳区': minus(and(grow, range('year', '2019', '2021')), eq('district', '朝阳区')),
      'district:海淀区 OR type:notice': or(haidian, eq('type', 'notice')),
      'district:海淀区 NOT 茶叶': minus(haidian, tea),
      '茶叶 doc:plan/*': and(tea, setOf([...every()].filter((k) => k.startsWith('plan/')))),
    };
    for (const [q, want] of Object.entries(cases)) {
      same(found(q), want, q);
      assert.equal(db.count(q), want.size, q);
      assert.ok(want.size, q);
    }
  });

  it('does not change scores with filters', () => {
    const plain = new Map(db.search('茶叶', { limit: null }).hits.map((h) => [key(h), h.score]));
    for (const h of db.search('茶叶 district:海淀区', { limit: null }).hits) assert.ok(Math.abs(h.score - plain.get(key(h))) < 1e-9);
    for (const h of db.search('district:海淀区', { limit: null }).hits) assert.equal(h.score, 0);
  });

  const docOrder = (a, b) => S.compareBytes(a.doc, b.doc) || a.para - b.para;
  const relevance = (a, b) => b.tier - a.tier || b.score - a.score || docOrder(a, b);

  it('sorts by a field, ties by relevance, missing values lowest', () => {
    for (const q of ['doc:*', '茶叶 OR 发展', '发展 -type:plan']) {
      for (const name of ['year', 'score', 'district', 'date']) {
        for (const descending of [false, true]) {
          const sort = (descending ? '-' : '') + name;
          const { hits } = db.search(q, { limit: null, sort });
          const want = [...hits].sort(relevance).sort((a, b) => {
            const c = S.compareFieldValues(docs.get(a.doc).fields[name], docs.get(b.doc).fields[name]);
            return descending ? -c : c;
          });
          assert.deepEqual(hits.map(key), want.map(key), `${q} sort ${sort}`);
          assert.equal(hits.length, found(q).size);
        }
      }
    }
    const has = (sort) => db.search('doc:*', { limit: null, sort }).hits.map((h) => 'score' in docs.get(h.doc).fields);
    assert.ok(has('score').includes(false));
    assert.deepEqual(has('score'), [...has('score')].sort((a, b) => a - b));
    assert.deepEqual(has('-score'), [...has('-score')].sort((a, b) => b - a));
  });

  it('sorts by document and by relevance', () => {
    const byDoc = db.search('茶叶 OR 发展', { limit: null, sort: 'doc' }).hits;
    assert.deepEqual(byDoc.map(key), [...byDoc].sort(docOrder).map(key));
    for (const sort of [undefined, null, 'relevance']) {
      const { hits } = db.search('茶叶 OR 发展', { limit: null, sort });
      assert.deepEqual(hits.map(key), [...hits].sort(relevance).map(key));
      same(setOf(hits.map(key)), or(kw('茶叶'), kw('发展')));
    }
  });

  it('pages sorted results', () => {
    const all = db.search('doc:*', { limit: null, sort: '-year' }).hits;
    const paged = [];
    for (let offset = 0; offset < all.length; offset += 7) paged.push(...db.search('doc:*', { limit: 7, offset, sort: '-year' }).hits);
    assert.deepEqual(paged.map(key), all.map(key));
    assert.deepEqual([...db.iterate('doc:*', { pageSize: 5, sort: '-year' })].map(key), all.map(key));
  });

  it('refuses bad sorts', () => {
    for (const bad of ['nosuchfield', '-nosuchfield', '-', 'doc,year']) {
      assert.throws(() => db.search('茶叶', { sort: bad }), (e) => e instanceof zhfts.InvalidArgumentError && e.where === 'option', bad);
    }
    assert.throws(() => db.search('茶叶', { sort: 1 }), TypeError);
  });

  const expectedFacet = (keys, name) => S.facet([...keys].map((k) => {
    const d = k.split('#')[0];
    return name === 'doc' ? d : docs.get(d).fields[name];
  }));

  it('counts facets over every match', () => {
    for (const [q, keys] of [['茶叶 OR 发展', or(kw('茶叶'), kw('发展'))], ['doc:*', every()],
      ['发展 year:2019..', and(kw('发展'), range('year', '2019', ''))], ['"科学城北新建"', kw('科学城北新建')]]) {
      const names = ['district', 'year', 'type', 'score', 'doc'];
      const r = db.search(q, { limit: 3, facets: names });
      assert.deepEqual(Object.keys(r.facets), names);
      assert.equal(r.exact, true);
      assert.equal(r.total, keys.size);
      for (const name of names) {
        const { values, distinct } = expectedFacet(keys, name);
        assert.deepEqual(r.facets[name], { name, distinct, values }, `${q} ${name}`);
      }
    }
    assert.ok(kw('科学城北新建').size);
  });

  it('keeps facetLimit values', () => {
    const r = db.search('doc:*', { limit: 0, facets: ['district', 'year'], facetLimit: 2 });
    assert.deepEqual(r.hits, []);
    for (const name of ['district', 'year']) {
      const { values, distinct } = expectedFacet(every(), name);
      assert.ok(distinct > 2);
      assert.deepEqual(r.facets[name].values, values.slice(0, 2));
      assert.equal(r.facets[name].distinct, distinct);
    }
    const none = db.search('doc:*', { facets: 'district', facetLimit: 0 });
    assert.deepEqual(Object.keys(none.facets), ['district']);
    assert.deepEqual(none.facets.district.values, []);
    assert.equal(none.facets.district.distinct, expectedFacet(every(), 'district').distinct);
  });

  it('counts the same facets on every page of a Query', () => {
    const q = db.query('茶叶 OR 发展');
    const first = q.search({ limit: 4, facets: ['year'] });
    const second = q.search({ limit: 4, offset: 4, facets: ['year'] });
    assert.deepEqual(first.facets, second.facets);
    const all = q.search({ limit: null });
    assert.deepEqual([...first.hits, ...second.hits].map(key), all.hits.slice(0, 8).map(key));
    q.close();
  });

  it('handles no match and duplicate facet names', () => {
    const r = db.search('type:nothing', { facets: ['year', 'year', 'doc'] });
    assert.deepEqual(Object.keys(r.facets), ['year', 'doc']);
    assert.deepEqual(r.facets.year, { name: 'year', distinct: 0, values: [] });
    assert.deepEqual(db.search('茶叶').facets, {});
  });

  it('refuses bad facets', () => {
    assert.throws(() => db.search('茶叶', { facets: ['nosuchfield'] }), zhfts.InvalidArgumentError);
    assert.throws(() => db.search('茶叶', { facets: ['year\0'] }), zhfts.InvalidArgumentError);
    for (const bad of [[1], 5, [Buffer.from('year')], [null], { year: true }]) {
      assert.throws(() => db.search('茶叶', { facets: bad }), TypeError, String(bad));
    }
    assert.throws(() => db.search('茶叶', { facets: ['year'], facetLimit: -1 }), RangeError);
  });
});

describe('indexing fields', () => {
  let db;
  before(() => { db = new zhfts.Database(null); });
  after(() => db.close());

  it('takes only strings, as TypeErrors before C', () => {
    for (const bad of [2020, 1.5, null, Buffer.from('2020'), ['a'], true, undefined, Symbol('x')]) {
      assert.throws(() => db.index('a', '茶叶', { fields: { year: bad } }), TypeError, String(bad));
    }
    for (const bad of ['year', 42, [['year']], [['a', 'b', 'c']], [[1, 'x']], true]) {
      assert.throws(() => db.index('a', '茶叶', { fields: bad }), TypeError, String(bad));
    }
    assert.equal(db.stats().documents, 0);
  });

  it('leaves names and values to the library, which names the field', () => {
    for (const name of ['Year', '1year', '_x', 'year-x', 'doc', 'section', 'a'.repeat(33), '', '年份']) {
      assert.throws(() => db.index('a', '茶叶', { fields: { [name]: 'x' } }), (e) => {
        assert.ok(e instanceof zhfts.InvalidArgumentError, name);
        assert.deepEqual([e.field, e.where, e.status, e.code, e.doc], [name, 'option', -3, 'EINVAL', 'a']);
        return true;
      });
    }
    for (const value of ['', 'x'.repeat(1025)]) {
      assert.throws(() => db.index('a', '茶叶', { fields: { year: value } }), (e) => e.field === 'year');
    }
    assert.throws(() => db.index('a', '茶叶', { fields: [['year', '1'], ['year', '2']] }), zhfts.InvalidArgumentError);
    assert.throws(() => db.index('a', '茶叶', { fields: { year: '20\x0020' } }), (e) => e instanceof zhfts.InvalidArgumentError && e.field === 'year');
    assert.throws(() => db.index('a', '茶叶', { fields: { 'ye\0ar': '2020' } }), zhfts.InvalidArgumentError);
    assert.throws(() => db.index('a', '茶叶', { fields: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'x'])) }), zhfts.ZhftsError);
    assert.equal(db.stats().documents, 0);
    const big = { ['a'.repeat(32)]: 'x'.repeat(1024), z_9: '值' };
    assert.equal(db.index('a', '茶叶', { fields: big }).paragraphs, 1);
    assert.deepEqual(db.search('茶叶').hits[0].fields, big);
  });

  it('takes pairs, Maps and objects; reindexing replaces the fields', () => {
    db.index('a', '茶叶', { fields: [['year', '2020'], ['type', 'plan']] });
    db.index('b', '茶叶', { fields: new Map([['year', '2021']]) });
    assert.deepEqual(Object.fromEntries(db.search('茶叶').hits.map((h) => [h.doc, h.fields])),
      { a: { year: '2020', type: 'plan' }, b: { year: '2021' } });
    db.index('a', '茶叶');
    assert.deepEqual(db.search('doc:a').hits[0].fields, {});
    assert.deepEqual(db.search('year:2020').hits, []);
  });

  it('guesses a title and a date from the first lines unless told not to', () => {
    const m = new zhfts.Database(null);
    const speech = '云川区政府工作报告（2026年）\n——2026年1月8日在云川区第一届人民代表大会第三次会议上\n\n各位代表：现在讲茶叶。\n';
    m.index('speech', speech);
    m.index('town', S.TOWN);
    m.index('wide', '２０２０．０１．０６\n云溪镇茶叶产业发展情况通报\n\n正文讲茶叶。\n');
    m.index('short', '茶叶通知\n2020/13/01 不是日期\n2019-02-29 也不是\n\n茶叶。\n');
    m.index('given', speech, { fields: { title: '自定标题' } });
    m.index('none', speech, { guess: false });
    assert.deepEqual(m.getDocument('speech')[0].fields, { title: '云川区政府工作报告（2026年）', date: '2026-01-08' });
    assert.deepEqual(m.getDocument('town')[0].fields, { title: '云溪镇二〇二六年工作安排' });
    assert.deepEqual(m.getDocument('wide')[0].fields, { date: '2020-01-06', title: '云溪镇茶叶产业发展情况通报' });
    assert.deepEqual(m.getDocument('short')[0].fields, {});
    assert.deepEqual(m.getDocument('given')[0].fields, { title: '自定标题', date: '2026-01-08' });
    assert.deepEqual(m.getDocument('none')[0].fields, {});
    assert.deepEqual(new Set(m.search('date:2020-01-01..2020-12-31').hits.map((h) => h.doc)), new Set(['wide']));
    m.close();
  });
});
