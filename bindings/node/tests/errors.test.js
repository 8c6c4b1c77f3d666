'use strict';
// Error detail as data (zhfts_db_error()): where a failure is, the byte
// offset there and the UTF-16 offset in the query string, the document and
// the field concerned.  Expected offsets are computed here from the inputs.

const { describe, it, before, after, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const zhfts = require('zhfts');
const errors = require('zhfts/errors');

// [byte offset, UTF-16 offset] of the nth occurrence of piece in query
function at(query, piece, nth = 0) {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = query.indexOf(piece, i + 1);
  return [Buffer.byteLength(query.slice(0, i)), i];
}

describe('query errors', () => {
  let db;
  before(() => {
    db = new zhfts.Database(null);
    db.index('a', '茶叶合作社的销售额增长两成。', { fields: { year: '2020', district: '海淀区' } });
  });
  after(() => db.close());

  function check(query, piece, cls = zhfts.QueryError, nth = 0) {
    let caught;
    assert.throws(() => db.search(query), (e) => { caught = e; return e instanceof cls; }, query);
    const e = caught;
    assert.deepEqual([e.position, e.charPosition], at(query, piece, nth), `${query}: ${e.message}`);
    assert.equal(e.offset, e.position);
    assert.equal(e.where, 'query');
    assert.equal(e.query, query);
    assert.ok(query.slice(e.charPosition).startsWith(piece));
    assert.ok(e instanceof zhfts.ZhftsError && e instanceof Error);
    // the same through a Query object, count(), explain() and the async calls
    for (const fn of [() => db.query(query), () => db.count(query), () => db.explain(query), () => [...db.iterate(query)]]) {
      assert.throws(fn, (e2) => e2 instanceof cls && e2.position === e.position && e2.charPosition === e.charPosition);
    }
    return e;
  }

  it('name the position of syntax errors, in bytes and UTF-16 units', async () => {
    check('茶叶 (科学', '(');
    check('𠮷𠮷 ("茶叶', '"');
    check('茶叶 )', ')');
    check('茶叶 OR', 'OR');
    check('😀 OR OR 茶叶', 'OR');
    check('茶叶 -', '-');
    check('茶叶 AND', 'AND');
    check('𠮷 ()', '(');
    check('茶叶 section:', 'section:');
    const e = check('茶叶 (科学', '(');
    assert.equal(e.code, 'EQUERY');
    assert.equal(e.status, -5);
    assert.equal(e.name, 'QueryError');
    assert.equal(e.statusName, 'query syntax error');
    assert.equal(e.doc, null);
    assert.equal(e.field, null);
    assert.equal(e.lost, 0);
    const [bytes, units] = at('𠮷𠮷 ("茶叶', '"');
    assert.deepEqual([bytes, units], [10, 6]);
    await assert.rejects(db.searchAsync('𠮷𠮷 ("茶叶'), (e2) => e2 instanceof zhfts.QueryError && e2.charPosition === 6 && e2.position === 10);
    await assert.rejects(db.countAsync('𠮷𠮷 ("茶叶'), (e2) => e2 instanceof zhfts.QueryError && e2.charPosition === 6);
    const q = db.query('茶叶');
    await assert.rejects(q.searchAsync({ sort: 'nosuchfield' }), (e2) => e2 instanceof zhfts.InvalidArgumentError && e2.where === 'option');
    q.close();
  });

  it('name unknown fields and bad ranges', () => {
    const e = check('茶叶 nosuchfield:x', 'nosuchfield');
    assert.match(e.message, /nosuchfield/);
    check('𠮷野家 (茶叶 OR nosuchfield:"a b")', 'nosuchfield');
    check('year:2020 -nosuchfield:1..2', 'nosuchfield');
    check('茶叶 year:2019..abc', 'year');
    check('茶叶 year:..', '..');
    check('茶叶 year:1..2..3', '1');
    check('茶叶 doc:', 'doc:');
  });

  it('name the position of limits too', () => {
    const q = `茶叶 ${'('.repeat(200)}发展${')'.repeat(200)}`;
    const e = check(q, '(', zhfts.LimitError, 100);
    assert.equal(e.status, -12);
    assert.equal(e.code, 'ELIMIT');
  });

  it('report bad options as InvalidArgumentError without a position', () => {
    for (const opts of [{ sort: 'nosuchfield' }, { facets: ['nosuchfield'] }]) {
      assert.throws(() => db.search('茶叶', opts), (e) => {
        assert.ok(e instanceof zhfts.InvalidArgumentError);
        assert.equal(e.where, 'option');
        assert.equal(e.position, null);
        assert.equal(e.charPosition, null);
        assert.match(e.message, /nosuchfield/);
        return true;
      });
    }
  });
});

describe('document errors', () => {
  let db;
  beforeEach(() => {
    db = new zhfts.Database(null);
    db.index('kept', '茶叶合作社'); // pending: bad input must not lose it
  });
  afterEach(() => db.close());

  const nothingLost = (e) => {
    assert.equal(e.lost, 0);
    assert.equal(db.stats().documents, 1);
    assert.deepEqual(db.search('茶叶').hits.map((h) => h.doc), ['kept']);
  };
  const encodingError = (data, opts, where = 'document') => {
    let caught;
    assert.throws(() => db.index('bad.txt', data, opts), (e) => { caught = e; return e instanceof zhfts.EncodingError; });
    assert.deepEqual([caught.status, caught.code, caught.doc, caught.where], [-4, 'EENCODING', 'bad.txt', where]);
    nothingLost(caught);
    return caught;
  };

  it('give the offset of invalid UTF-8', () => {
    const data = Buffer.concat([Buffer.from('茶叶合作社'), Buffer.from([0xff, 0xfe]), Buffer.from('发展')]);
    assert.equal(encodingError(data, { encoding: 'UTF-8' }).offset, data.indexOf(0xff));
    const cut = Buffer.concat([Buffer.from('茶叶'), Buffer.from('合').subarray(0, 2), Buffer.from('abc')]);
    assert.equal(encodingError(cut, { encoding: 'UTF-8' }).offset, 6);
    assert.equal(encodingError(data).offset, data.indexOf(0xff)); // detected charset
  });

  it('give offsets in other charsets', () => {
    const gb = Buffer.from([0xb2, 0xe8, 0xd2, 0xb6, 0x81, 0x20, 0xb7, 0xa2, 0xd5, 0xb9]); // 茶叶 ? 发展
    assert.equal(encodingError(gb, { encoding: 'GB18030' }).offset, 4);
    const u16 = Buffer.concat([Buffer.from('茶叶', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('ab', 'utf16le')]);
    assert.equal(encodingError(u16, { encoding: 'UTF-16LE' }).offset, 4);
  });

  it('name an unknown charset, without an offset', () => {
    const e = encodingError(Buffer.from('abc'), { encoding: 'NO-SUCH-CHARSET' }, 'option');
    assert.equal(e.offset, null);
    // where is 'option', but the library leaves field null here (it could say 'encoding')
    assert.match(e.message, /NO-SUCH-CHARSET/);
  });

  it('name the field of a bad field', () => {
    assert.throws(() => db.index('f.txt', '茶叶', { fields: { 'Bad-Name': 'x' } }), (e) => {
      assert.deepEqual([e.field, e.where, e.doc, e.offset], ['Bad-Name', 'option', 'f.txt', null]);
      nothingLost(e);
      return e instanceof zhfts.InvalidArgumentError;
    });
    assert.throws(() => db.index('f.txt', '茶叶', { fields: { good: 'x'.repeat(2000) } }), (e) => e.field === 'good');
  });

  it('name the document that is not there', () => {
    assert.throws(() => db.delete('nothing.txt'), (e) => e instanceof zhfts.NotFoundError && e.doc === 'nothing.txt');
    assert.throws(() => db.getDocument('nothing.txt'), (e) => e instanceof zhfts.NotFoundError && e.doc === 'nothing.txt');
  });

  it('do not carry detail into later errors', () => {
    assert.throws(() => db.index('bad.txt', Buffer.from([0xff]), { encoding: 'UTF-8' }), zhfts.EncodingError);
    db.index('good.txt', '发展');
    assert.throws(() => db.search('(茶叶'), (e) => {
      assert.deepEqual([e.doc, e.field, e.lost, e.where, e.position], [null, null, 0, 'query', 0]);
      return true;
    });
  });

  it('say how many pending documents a failure of the database lost', () => {
    // no failure of the database can be provoked here; the detail is read
    // from zhfts_error.lost and defaults to 0
    assert.throws(() => db.index('bad.txt', Buffer.from([0xff]), { encoding: 'UTF-8' }), (e) => e.lost === 0);
  });
});

describe('error classes', () => {
  it('has one class per status, with its code', () => {
    const classes = {
      [-2]: ['OutOfMemoryError', 'ENOMEM'], [-3]: ['InvalidArgumentError', 'EINVAL'], [-4]: ['EncodingError', 'EENCODING'],
      [-5]: ['QueryError', 'EQUERY'], [-6]: ['LockedError', 'ELOCKED'], [-7]: ['NotFoundError', 'ENOTFOUND'],
      [-8]: ['StorageError', 'EIO'], [-9]: ['CorruptError', 'ECORRUPT'], [-10]: ['SettingsError', 'ESETTINGS'],
      [-11]: ['ReadOnlyError', 'EREADONLY'], [-12]: ['LimitError', 'ELIMIT'], [-13]: ['VersionError', 'EVERSION'],
    };
    for (const [status, [name, code]] of Object.entries(classes)) {
      const e = errors.fromStatus(Number(status), '');
      assert.equal(e.constructor, zhfts[name]);
      assert.equal(e.name, name);
      assert.equal(e.status, Number(status));
      assert.equal(e.code, code);
      assert.equal(zhfts.STATUS[code], Number(status));
      assert.ok(e.message.length > 0, 'the library\'s name for it when there is no detail');
      assert.ok(e instanceof zhfts.ZhftsError);
    }
    assert.equal(errors.fromStatus(-1, 'x').constructor, zhfts.ZhftsError);
    assert.equal(errors.fromStatus(5, 'x').constructor, zhfts.ZhftsError);
    assert.ok(new zhfts.ClosedError('x', { code: 'ECLOSED' }) instanceof zhfts.InvalidArgumentError);
  });

  it('turns a file that is not a database into CorruptError or NotFoundError', () => {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-node-'));
    try {
      fs.writeFileSync(path.join(dir, 'junk'), 'not a database');
      assert.throws(() => new zhfts.Database(path.join(dir, 'junk')), zhfts.ZhftsError);
      fs.mkdirSync(path.join(dir, 'empty'));
      assert.throws(() => new zhfts.Database(path.join(dir, 'empty')), (e) => e instanceof zhfts.ZhftsError && e.status < 0);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
