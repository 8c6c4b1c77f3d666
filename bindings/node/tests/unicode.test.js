'use strict';
// Unicode round trips: offsets from the library slice the right UTF-16
// code units of JavaScript strings (surrogate pairs included); charsets,
// invalid bytes, NUL, lone surrogates.

const { describe, it, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const zhfts = require('zhfts');
const S = require('./support');

const sorted = (set) => [...set].sort((a, b) => a - b);

describe('spans', () => {
  let db;
  beforeEach(() => { db = new zhfts.Database(null); });
  afterEach(() => db.close());
  const oneHit = (q) => {
    const { hits } = db.search(q);
    assert.equal(hits.length, 1, q);
    return hits[0];
  };

  it('slice astral characters (surrogate pairs) right', () => {
    db.index('a', S.ASTRAL);
    for (const kw of ['发展', '茶叶', '合作社', '田村']) {
      const h = oneHit(kw);
      assert.equal(h.text, S.ASTRAL);
      assert.deepEqual(sorted(S.spanChars(h.text, h.spans)), sorted(S.covered(h.text, [kw])), kw);
      const data = Buffer.from(h.text);
      assert.equal(h.spans.length, h.byteSpans.length);
      h.spans.forEach(([cs, ce], k) => {
        const [bs, be] = h.byteSpans[k];
        assert.equal(data.subarray(bs, be).toString(), h.text.slice(cs, ce));
      });
    }
    const h = oneHit('𠮷田');
    assert.ok(h.matches.includes('𠮷田'));
    const [s, e] = h.spans[h.matches.indexOf('𠮷田')];
    assert.equal(e - s, 3); // two UTF-16 units for 𠮷, one for 田
    assert.equal(h.text.codePointAt(s), 0x20BB7);
    // every span starts and ends on a character boundary
    for (const [a, b] of h.spans) {
      for (const x of [a, b]) {
        const c = h.text.charCodeAt(x);
        assert.ok(!(c >= 0xDC00 && c <= 0xDFFF), `offset ${x} splits a surrogate pair`);
      }
    }
  });

  it('match full-width and compatibility characters', () => {
    db.index('a', S.FULLWIDTH);
    assert.deepEqual(oneHit('ai').matches, ['ＡＩ']);
    assert.deepEqual(oneHit('risc').matches, ['ＲＩＳＣ']);
    assert.deepEqual(oneHit('ＡＩ 卫生室').matches.map(S.letters), ['ai', '卫生室']);
  });

  it('fold Traditional to Simplified', () => {
    db.index('t', S.TRADITIONAL);
    assert.deepEqual(oneHit('发展').matches, ['發展']);
    assert.deepEqual(oneHit('茶叶').matches, ['茶葉']);
    db.index('s', '茶叶合作社');
    assert.deepEqual(new Set(db.search('茶葉').hits.map((h) => h.doc)), new Set(['t', 's']));
    const off = new zhfts.Database(null, { traditional: false });
    off.index('t', S.TRADITIONAL);
    assert.equal(off.search('发展').hits.length, 0);
    assert.equal(off.search('發展').hits.length, 1);
    off.close();
  });

  it('keep NUL characters inside a document', () => {
    const text = '第一段\0有空字符，茶叶在后面。';
    db.index('a', text);
    const h = oneHit('茶叶');
    assert.equal(h.text, text);
    assert.deepEqual(h.matches, ['茶叶']);
  });

  it('read GB18030 bytes with byte offsets into them', () => {
    // 云溪镇 / 新建卫生院一所。 / 茶叶合作社 ×3 in GB18030, written out so that the
    // test needs no encoder (TextDecoder checks them)
    const town = [0xd4, 0xc6, 0xcf, 0xaa, 0xd5, 0xf2];
    const clinic = [0xd0, 0xc2, 0xbd, 0xa8, 0xce, 0xc0, 0xc9, 0xfa, 0xd4, 0xba, 0xd2, 0xbb, 0xcb, 0xf9, 0xa1, 0xa3];
    const tea = [0xb2, 0xe8, 0xd2, 0xb6, 0xba, 0xcf, 0xd7, 0xf7, 0xc9, 0xe7];
    const doc = [...town, 0x0a, 0x0a, ...clinic, 0x0a, 0x0a, ...tea, ...tea, ...tea, 0x0a];
    const data = Buffer.from(doc);
    assert.equal(new TextDecoder('gb18030').decode(data), '云溪镇\n\n新建卫生院一所。\n\n茶叶合作社茶叶合作社茶叶合作社\n');
    for (const encoding of ['GB18030', undefined]) {
      const info = db.index('g', data, { encoding });
      assert.equal(info.paragraphs, 3);
      assert.equal(info.encoding.replace('-', '').toUpperCase(), 'GB18030');
      const h = oneHit('卫生院');
      assert.deepEqual(h.matches, ['卫生院']);
      assert.equal(h.text, '新建卫生院一所。');
      assert.deepEqual([h.offset, h.length], [8, 16]);
      assert.equal(new TextDecoder('gb18030').decode(data.subarray(h.offset, h.offset + h.length)), h.text);
    }
    // and Uint8Array / ArrayBuffer / DataView views of the same bytes
    const u8 = new Uint8Array(doc);
    for (const bytes of [u8, u8.buffer, new DataView(u8.buffer), new Uint8Array([0, ...doc]).subarray(1)]) {
      db.index('g', bytes, { encoding: 'GB18030' });
      assert.equal(oneHit('卫生院').text, '新建卫生院一所。');
    }
  });

  it('refuse invalid UTF-8 unless lenient', () => {
    const data = Buffer.concat([Buffer.from('茶叶合作社'), Buffer.from([0xff, 0xfe]), Buffer.from('发展')]);
    assert.throws(() => db.index('bad', data, { encoding: 'UTF-8' }), (e) => {
      assert.ok(e instanceof zhfts.EncodingError);
      assert.deepEqual([e.status, e.code, e.doc, e.where, e.offset], [-4, 'EENCODING', 'bad', 'document', 15]);
      assert.match(e.message, /bad/);
      return true;
    });
    assert.equal(db.stats().documents, 0);
    db.index('bad', data, { encoding: 'UTF-8', lenient: true });
    const h = oneHit('发展');
    assert.ok(h.text.includes('\ufffd'));
    assert.deepEqual(h.matches, ['发展']);
  });

  it('refuse lone surrogates in strings (lenient documents excepted)', () => {
    assert.throws(() => db.index('a', '茶叶\ud800发展'), (e) => e instanceof zhfts.EncodingError && e.offset === 6);
    assert.throws(() => db.search('茶\udfff'), (e) => e instanceof zhfts.EncodingError && e.charPosition === 1 && e.position === 3);
    assert.throws(() => zhfts.tokenize('\ud800'), zhfts.EncodingError);
    assert.throws(() => db.index('\ud800', '茶叶'), zhfts.EncodingError);
    db.index('a', '茶叶\ud800发展', { lenient: true });
    assert.equal(oneHit('发展').text, '茶叶\ufffd发展');
    assert.deepEqual(oneHit('发展').spans, [[3, 5]]);
  });

  it('take ids in any script', () => {
    const ids = ['报告/二〇二六.txt', '𠮷.txt', 'ＡＩ 报告'];
    for (const id of ids) db.index(id, '茶叶');
    assert.deepEqual(new Set(db.search('茶叶').hits.map((h) => h.doc)), new Set(ids));
    assert.deepEqual(db.documents().map((d) => d.id), [...ids].sort(S.compareBytes));
    assert.equal(db.getDocument('𠮷.txt')[0].doc, '𠮷.txt');
  });

  it('give query error positions in UTF-16 units', () => {
    db.index('a', '茶叶');
    const q = '𠮷𠮷 ("茶叶';
    assert.throws(() => db.search(q), (e) => {
      assert.ok(e instanceof zhfts.QueryError);
      assert.equal(e.position, Buffer.byteLength('𠮷𠮷 ('));
      assert.equal(e.charPosition, '𠮷𠮷 ('.length);
      assert.equal(q[e.charPosition], '"');
      return true;
    });
  });

  it('support folds the sample\'s Traditional characters', (t) => {
    const sample = S.readSample();
    if (sample === null) return t.skip('no sample report');
    // every Han character of the sample is either plain Simplified or in T2S:
    // the Traditional spellings the sample has are the table's
    for (const c of '區學將發') assert.ok(S.T2S.has(c));
    return undefined;
  });
});

describe('tokenize', () => {
  it('gives offsets that slice the input string', () => {
    const text = `${S.ASTRAL}${S.FULLWIDTH}5G基站800个`;
    const tokens = zhfts.tokenize(text);
    assert.ok(tokens.length);
    const data = Buffer.from(text);
    for (const t of tokens) {
      assert.equal(t.text, S.norm(text.slice(t.start, t.end)));
      assert.equal(data.subarray(t.offset, t.offset + t.length).toString(), text.slice(t.start, t.end));
    }
    assert.equal(tokens.map((t) => S.letters(text.slice(t.start, t.end))).join(''), S.letters(text));
    for (let i = 1; i < tokens.length; i++) assert.equal(tokens[i].position, tokens[i - 1].position + tokens[i - 1].units);
    const kinds = Object.fromEntries(tokens.map((t) => [t.text, t.kind]));
    assert.equal(kinds.ai, 'word');
    assert.equal(kinds['5g'], 'mixed');
    assert.equal(kinds['800'], 'number');
    assert.equal(tokens[0].text, '𠮷'); // one character, two UTF-16 units, four bytes
    assert.deepEqual([tokens[0].start, tokens[0].end, tokens[0].offset, tokens[0].length], [0, 2, 0, 4]);
  });

  it('counts a unit per Han character', () => {
    for (const t of zhfts.tokenize('科学城北新建实验学校')) {
      assert.equal(t.kind, 'han');
      assert.equal(t.units, t.end - t.start);
    }
  });

  it('takes bytes (byte offsets) and can leave Traditional alone', () => {
    const tokens = zhfts.tokenize(Buffer.from('發展'));
    assert.equal(tokens.map((t) => t.text).join(''), '发展');
    assert.equal(tokens[tokens.length - 1].end, 6);
    assert.equal(zhfts.tokenize('發展', { traditional: false }).map((t) => t.text).join(''), '發展');
    assert.equal(zhfts.tokenize('ＡＩ', { normalize: false }).map((t) => t.text).join(''), 'ＡＩ');
  });

  it('reports the first invalid byte', () => {
    assert.throws(() => zhfts.tokenize(Buffer.from([0x61, 0x62, 0xff, 0x63])), (e) => e instanceof zhfts.EncodingError && e.offset === 2);
    assert.throws(() => zhfts.tokenize(Buffer.concat([Buffer.from('茶叶'), Buffer.from([0xe8])])), (e) => e.offset === 6);
  });

  it('handles large input', () => {
    const text = '茶叶合作社，'.repeat(30000);
    const tokens = zhfts.tokenize(text);
    assert.equal(tokens.map((t) => S.letters(text.slice(t.start, t.end))).join(''), S.letters(text));
  });
});
