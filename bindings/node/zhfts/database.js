'use strict';
// Database, Query, SearchResult, Hit: the JavaScript face of libzhfts.
//
// Arguments are checked here (a wrong type is a TypeError before anything
// reaches C); the native module checks them again.  Offsets given to
// JavaScript are UTF-16 code units (hit.text.slice(start, end) is a match)
// except where a name says bytes (byteSpans, offset/length of a hit in
// its document, Token.offset/length).

const { fileURLToPath } = require('node:url');
const util = require('node:util');
const native = require('./addon');
const errors = require('./errors');

const { InvalidArgumentError, EncodingError, SettingsError, ZhftsError } = errors;

const DEFAULT_MARKS = Object.freeze(['[', ']']);
const kBox = Symbol('zhfts.box');
const kResults = Symbol('zhfts.results');
const kOpened = Symbol('zhfts.opened');

// ---- argument checks -------------------------------------------------------

function typeError(message) {
  const e = new TypeError(message);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'null prototype'})` : `${typeof value} ${util.inspect(value).slice(0, 40)}`;
}

function options(value, what, allowed) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(`${what} must be an object, not ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw typeError(`${what}: unknown option '${key}' (known: ${allowed.join(', ')})`);
  }
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Strings go to C as UTF-8: a lone surrogate has no UTF-8 form.
function wellFormed(text, what, where) {
  if (typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text)) return text;
  const i = text.search(LONE_SURROGATE);
  const e = new EncodingError(`${what}: a lone surrogate (U+${text.charCodeAt(i).toString(16).toUpperCase()}) at index ${i} has no UTF-8 form`,
    { where: where || null, offset: Buffer.byteLength(text.slice(0, i)) });
  if (where === 'query') e.setQuery(text);
  throw e;
}

function string(value, what) {
  if (typeof value !== 'string') throw typeError(`${what} must be a string, not ${describe(value)}`);
  return value;
}

// A value for a NUL-terminated C parameter.
function cstring(value, what, field) {
  wellFormed(string(value, what), what);
  const nul = value.indexOf('\0');
  if (nul >= 0) {
    throw new InvalidArgumentError(`${what} contains a NUL character at index ${nul}`,
      { where: 'option', field: field ?? null });
  }
  return value;
}

function optionalCstring(value, what) {
  return value === undefined || value === null ? null : cstring(value, what);
}

function queryText(value) {
  return wellFormed(string(value, 'the query'), 'the query', 'query');
}

function isBytes(value) {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function count(value, what, dflt) {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || Number.isNaN(value) || !(Number.isInteger(value) || value === Infinity)) {
    throw typeError(`${what} must be a non-negative integer (or Infinity), not ${describe(value)}`);
  }
  if (value < 0) throw new RangeError(`${what} must not be negative`);
  return value;
}

function bool(value, what, dflt) {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') throw typeError(`${what} must be a boolean, not ${describe(value)}`);
  return value;
}

function tristate(value, what) {
  if (value === undefined || value === null) return native.DEFAULT;
  return bool(value, what) ? native.ON : native.OFF;
}

function marksOf(marks) {
  if (marks === undefined || marks === null) return DEFAULT_MARKS;
  if (!Array.isArray(marks) || marks.length !== 2) throw typeError('marks must be a pair of strings [open, close]');
  return [cstring(marks[0], 'a mark'), cstring(marks[1], 'a mark')];
}

function facetNames(facets) {
  if (facets === undefined || facets === null) return [];
  const list = typeof facets === 'string' ? [facets] : facets;
  if (!Array.isArray(list)) throw typeError(`facets must be a field name or an array of them, not ${describe(facets)}`);
  const out = [];
  for (const name of list) {
    cstring(name, 'a facet name');
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function fieldPairs(fields) {
  if (fields === undefined || fields === null) return null;
  let items;
  if (fields instanceof Map) items = [...fields.entries()];
  else if (Array.isArray(fields)) items = fields;
  else if (typeof fields === 'object' && !isBytes(fields)) items = Object.entries(fields);
  else throw typeError(`fields must be an object of names to string values, a Map or [name, value] pairs, not ${describe(fields)}`);
  const out = [];
  for (const item of items) {
    if (!Array.isArray(item) || item.length !== 2) throw typeError('fields must be [name, value] pairs');
    const [name, value] = item;
    string(name, 'a field name');
    if (typeof value !== 'string') throw typeError(`field '${name}': the value must be a string, not ${describe(value)}`);
    out.push([cstring(name, `field name '${name}'`, name), cstring(value, `field '${name}'`, name)]);
  }
  return out.length ? out : null;
}

const SEARCH_OPTIONS = ['limit', 'offset', 'sort', 'facets', 'facetLimit', 'exact', 'marks', 'context'];

// What search() asks of C, and what it does with the answer.
function searchOptions(value, allowed = SEARCH_OPTIONS) {
  const o = options(value, 'search options', allowed);
  let limit = o.limit === null ? Infinity : count(o.limit, 'limit', 10);
  const wantNone = limit === 0; // C reads 0 as "the default"
  if (wantNone) limit = 1;
  let facetLimit = o.facetLimit === null ? undefined : count(o.facetLimit, 'facetLimit', undefined);
  const noValues = facetLimit === 0; // C reads 0 as "all"
  if (noValues) facetLimit = 1;
  if (o.sort !== undefined && o.sort !== null && typeof o.sort !== 'string') {
    throw typeError(`sort must be a string, not ${describe(o.sort)}`);
  }
  return {
    c: {
      offset: o.offset === null ? 0 : count(o.offset, 'offset', 0),
      limit,
      sort: optionalCstring(o.sort, 'sort'),
      facets: facetNames(o.facets),
      facetLimit: facetLimit ?? 0,
      exact: bool(o.exact, 'exact', false),
    },
    wantNone,
    noValues,
    marks: marksOf(o.marks),
    context: o.context === null ? 0 : count(o.context, 'context', 0),
  };
}

// Adds the query to a ZhftsError (for its character position).
function withQuery(query, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ZhftsError && e.query === null) e.setQuery(query);
    throw e;
  }
}

async function withQueryAsync(query, promise) {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof ZhftsError && e.query === null) e.setQuery(query);
    throw e;
  }
}

// ---- results ------------------------------------------------------------------

// The native results of one search: what lazy snippets and spans are made
// from.  It keeps its Database alive; closing the Database frees it.
class Results {
  constructor(box, db, query, marks, context) {
    this.box = box;
    this.db = db;
    this.query = query;
    this.marks = marks;
    this.context = context;
  }

  spans(index) {
    return native.resultsSpans(this.box, index);
  }

  snippet(index, marks, context) {
    return native.resultsSnippet(this.box, index, marks[0], marks[1], context);
  }
}

/**
 * One matching paragraph.
 *
 *   rank     from 1, counting from the first hit of the whole result
 *   tier     1 + the number of the query's unspaced runs split into keywords
 *            that this paragraph holds whole (higher tiers first)
 *   score    BM25 (0 for a query of filters only and for getDocument())
 *   doc, para     document id; paragraph number, from 1
 *   offset, length  BYTE range of the paragraph in its document as indexed
 *   section  section path, components joined by ' › ' ('' if none)
 *   text     the paragraph
 *   fields   { name: value } of the document
 *
 * Made by the library when first read (and kept):
 *   snippet    text around the first match, matches between the marks
 *   spans      the matches as [start, end] UTF-16 offsets into text
 *   byteSpans  the same as [start, end] byte offsets into text's UTF-8
 *   matches    the matched pieces of text
 * Reading one of those after the database is closed throws ClosedError
 * (what was read before stays).
 */
class Hit {
  #snippet;
  #spans;
  #byteSpans;

  constructor(raw, results) {
    this.rank = raw.rank;
    this.score = raw.score;
    this.tier = raw.tier;
    this.doc = raw.doc;
    this.para = raw.para;
    this.offset = raw.offset;
    this.length = raw.length;
    this.section = raw.section;
    this.text = raw.text;
    this.fields = raw.fields;
    Object.defineProperty(this, kResults, { value: results ? [results, raw.index] : null });
    if (!results) {
      this.#snippet = '';
      this.#spans = [];
      this.#byteSpans = [];
    }
  }

  #describe() {
    const [results] = this[kResults];
    return `hit ${this.rank} of ${JSON.stringify(results.query)} (${this.doc} ¶${this.para})`;
  }

  #call(fn) {
    try {
      return fn();
    } catch (e) {
      if (e instanceof errors.ClosedError) e.message = `${this.#describe()}: ${e.message}`;
      throw e;
    }
  }

  #loadSpans() {
    const [results, index] = this[kResults];
    [this.#spans, this.#byteSpans] = this.#call(() => results.spans(index));
  }

  get spans() {
    if (this.#spans === undefined) this.#loadSpans();
    return this.#spans;
  }

  get byteSpans() {
    if (this.#byteSpans === undefined) this.#loadSpans();
    return this.#byteSpans;
  }

  get matches() {
    return this.spans.map(([s, e]) => this.text.slice(s, e));
  }

  get snippet() {
    if (this.#snippet === undefined) {
      const [results, index] = this[kResults];
      this.#snippet = this.#call(() => results.snippet(index, results.marks, results.context));
    }
    return this.#snippet;
  }

  /** A snippet with other marks or context (characters around the first match; 0: 40). */
  makeSnippet(opts) {
    const o = options(opts, 'snippet options', ['marks', 'context']);
    const marks = marksOf(o.marks);
    const context = count(o.context, 'context', 0);
    if (!this[kResults]) return '';
    const [results, index] = this[kResults];
    return this.#call(() => results.snippet(index, marks, context));
  }

  /** Whether the snippet and spans can still be read (or were read). */
  get available() {
    if (!this[kResults] || (this.#snippet !== undefined && this.#spans !== undefined)) return true;
    return native.isOpen(this[kResults][0].db[kBox]);
  }

  toJSON() {
    const out = {
      rank: this.rank, score: this.score, tier: this.tier, doc: this.doc, para: this.para,
      offset: this.offset, length: this.length, section: this.section, text: this.text, fields: this.fields,
    };
    for (const key of ['snippet', 'spans', 'byteSpans']) {
      try {
        out[key] = this[key];
      } catch (e) {
        if (!(e instanceof errors.ClosedError)) throw e;
      }
    }
    return out;
  }

  [util.inspect.custom](depth, opts) {
    const text = this.text.length > 30 ? `${this.text.slice(0, 30)}…` : this.text;
    return `Hit ${util.inspect({ rank: this.rank, score: this.score, tier: this.tier, doc: this.doc, para: this.para, section: this.section, fields: this.fields, text }, opts)}`;
  }
}

/**
 * One page of hits and what concerns every match:
 *   hits                 Hit[], in rank order
 *   total                matching paragraphs in the database: an estimate
 *   totalLower, totalUpper  its bounds; exact: whether they agree (always
 *                        with exact: true or facets)
 *   facets               { name: { name, distinct, values: [{ value, count }] } }
 *   query, offset        what was asked
 */
class SearchResult {
  constructor(raw, results, s, query) {
    this.hits = s.wantNone ? [] : raw.hits.map((h) => new Hit(h, results));
    this.total = raw.total;
    this.totalLower = raw.totalLower;
    this.totalUpper = raw.totalUpper;
    this.exact = raw.totalLower === raw.totalUpper;
    this.facets = {};
    for (const f of raw.facets) {
      this.facets[f.name] = { name: f.name, distinct: f.distinct, values: s.noValues ? [] : f.values };
    }
    this.query = query;
    this.offset = s.c.offset;
    // hits the library put in the page (a hit whose document is gone since is left out)
    Object.defineProperty(this, 'returned', { value: s.wantNone ? 0 : raw.count });
  }

  [Symbol.iterator]() {
    return this.hits[Symbol.iterator]();
  }
}

function makeResult(db, raw, s, query) {
  const results = new Results(raw.results, db, query, s.marks, s.context);
  return new SearchResult(raw, results, s, query);
}

// ---- queries -----------------------------------------------------------------------

const ITERATE_OPTIONS = ['pageSize', 'sort', 'marks', 'context'];

function pageOptions(opts) {
  const o = options(opts, 'iterate options', ITERATE_OPTIONS);
  const pageSize = count(o.pageSize, 'pageSize', 100) || 100;
  if (pageSize === Infinity) throw new RangeError('pageSize must be finite');
  return { pageSize, sort: o.sort, marks: o.marks, context: o.context };
}

function* pages(query, p, closeAtEnd) {
  try {
    let offset = 0;
    for (;;) {
      const r = query.search({ limit: p.pageSize, offset, sort: p.sort, marks: p.marks, context: p.context });
      yield* r.hits;
      if (r.returned < p.pageSize) return;
      offset += r.returned;
    }
  } finally {
    if (closeAtEnd) query.close();
  }
}

async function* pagesAsync(query, p, closeAtEnd) {
  try {
    let offset = 0;
    for (;;) {
      const r = await query.searchAsync({ limit: p.pageSize, offset, sort: p.sort, marks: p.marks, context: p.context });
      yield* r.hits;
      if (r.returned < p.pageSize) return;
      offset += r.returned;
    }
  } finally {
    if (closeAtEnd) query.close();
  }
}

/**
 * A query parsed once for a database (db.query(text)), to run as often as
 * needed: pages, counts, facets.  Paging forward with the same sort goes on
 * from where the previous page stopped (the library does not check earlier
 * candidates again): that is what iterate() does.  close() frees it at once;
 * the database frees it anyway when it closes.
 */
class Query {
  constructor(db, text) {
    this.text = text;
    this.database = db;
    this[kBox] = withQuery(text, () => native.queryNew(db[kBox], text));
  }

  get closed() {
    return !native.queryAlive(this[kBox]);
  }

  close() {
    native.queryFree(this[kBox]);
  }

  search(opts) {
    const s = searchOptions(opts);
    return makeResult(this.database, withQuery(this.text, () => native.querySearch(this[kBox], s.c)), s, this.text);
  }

  async searchAsync(opts) {
    const s = searchOptions(opts);
    const raw = await withQueryAsync(this.text, native.querySearchAsync(this[kBox], s.c));
    return makeResult(this.database, raw, s, this.text);
  }

  count() {
    return withQuery(this.text, () => native.queryCount(this[kBox]));
  }

  async countAsync() {
    return withQueryAsync(this.text, native.queryCountAsync(this[kBox]));
  }

  explain() {
    return native.queryExplain(this[kBox]);
  }

  /** Every hit, pageSize at a time, each page going on from the last. */
  iterate(opts) {
    return pages(this, pageOptions(opts), false);
  }

  iterateAsync(opts) {
    return pagesAsync(this, pageOptions(opts), false);
  }

  [Symbol.iterator]() {
    return this.iterate();
  }

  [Symbol.asyncIterator]() {
    return this.iterateAsync();
  }

  [util.inspect.custom]() {
    return `Query ${JSON.stringify(this.text)}${this.closed ? ' (closed)' : ''}`;
  }
}

// ---- databases ----------------------------------------------------------------------

const OPEN_OPTIONS = ['writable', 'create', 'overwrite', 'sync', 'termlist', 'normalize', 'traditional', 'lines',
  'lockTimeoutMs', 'autoCommitBytes'];

function openArgs(path, opts) {
  let p = path;
  if (p instanceof URL) p = fileURLToPath(p);
  if (p !== null && typeof p !== 'string') {
    throw typeError(`path must be a string, a file: URL, or null for an in-memory database, not ${describe(path)}`);
  }
  const o = options(opts, 'Database options', OPEN_OPTIONS);
  let writable = bool(o.writable, 'writable', false);
  let flags;
  if (p === null) {
    writable = true;
    flags = native.OPEN_INMEMORY;
    p = '';
  } else {
    cstring(p, 'path');
    if (p === '') throw new InvalidArgumentError('path must not be empty', { where: 'option', field: 'path' });
    flags = native.OPEN_READONLY;
    if (writable) {
      flags = bool(o.create, 'create', true) ? native.OPEN_CREATE : native.OPEN_WRITE;
      if (bool(o.overwrite, 'overwrite', false)) flags |= native.OPEN_OVERWRITE;
    } else {
      bool(o.create, 'create', true);
      bool(o.overwrite, 'overwrite', false);
    }
  }
  if (!bool(o.sync, 'sync', true)) flags |= native.OPEN_NO_SYNC;
  if (bool(o.termlist, 'termlist', false)) flags |= native.OPEN_TERMLIST;
  const lines = o.lines === undefined || o.lines === null ? native.DEFAULT
    : bool(o.lines, 'lines') ? native.PARAGRAPH_LINE : native.PARAGRAPH_BLANK_LINE;
  const timeout = count(o.lockTimeoutMs, 'lockTimeoutMs', 0);
  const c = {
    normalize: tristate(o.normalize, 'normalize'),
    traditional: tristate(o.traditional, 'traditional'),
    paragraphMode: lines,
    lockTimeoutMs: Math.min(timeout, 0xffffffff),
    autoCommitBytes: o.autoCommitBytes === null ? 0 : count(o.autoCommitBytes, 'autoCommitBytes', 0),
  };
  return { path: p, flags, c, writable, shownPath: path === null ? null : p };
}

const INDEX_OPTIONS = ['encoding', 'fields', 'lines', 'lenient', 'guess'];

// Databases still open when the thread exits are closed (and committed).
// A natural exit and worker.terminate() run the native finalizers anyway;
// process.exit() runs only 'exit' listeners, so one closes them here.
const live = new Set(); // WeakRefs to the native boxes of open databases
let pruneAt = 64;
let hooked = false;
function track(box) {
  if (!hooked) {
    process.on('exit', closeAtExit);
    hooked = true;
  }
  live.add(new WeakRef(box));
  if (live.size >= pruneAt) {
    for (const ref of live) if (!ref.deref() || !native.isOpen(ref.deref())) live.delete(ref);
    pruneAt = Math.max(64, 2 * live.size);
  }
}
function closeAtExit() {
  for (const ref of live) {
    const box = ref.deref();
    try {
      if (box) native.close(box);
    } catch {
      // a failed commit at exit has no one to report to
    }
  }
  live.clear();
}

/**
 * A zhfts database.
 *
 *   new Database(path)                      read-only
 *   new Database(path, { writable: true })  created if missing (create: false:
 *                                           NotFoundError instead; overwrite: true: empty)
 *   new Database(null)                      in memory (always writable)
 *   await Database.open(path, options)      the same, off the event loop
 *
 * Other options: sync (false: no fsync on commit), termlist, normalize,
 * traditional, lines (a paragraph per line), lockTimeoutMs, autoCommitBytes.
 *
 * close() commits (writers) and frees the handle, after every Query and
 * results that borrow it; safe twice.  A Database that is never closed is
 * closed (and committed) when it is garbage collected or its thread ends.
 *
 * Calls ending in Async run on libuv's thread pool and return Promises;
 * those of one Database run one at a time, in the order they were made.
 * A synchronous call made while one of them runs waits for it (blocking
 * the event loop meanwhile).  A Database belongs to the thread (main or
 * worker) that opened it.
 */
class Database {
  constructor(path, opts, ...internal) {
    const a = openArgs(path, opts);
    this.path = a.shownPath;
    this.writable = a.writable;
    const box = internal[0] === kOpened ? internal[1] : native.open(a.path, a.flags, a.c);
    Object.defineProperty(this, kBox, { value: box });
    track(box);
  }

  /** Opens a database off the event loop (as new Database(path, options)). */
  static async open(path, opts) {
    const a = openArgs(path, opts);
    const box = await native.openAsync(a.path, a.flags, a.c);
    return new Database(path, opts, kOpened, box);
  }

  get closed() {
    return !native.isOpen(this[kBox]);
  }

  /** Asynchronous calls queued or running on this database. */
  get pending() {
    return native._pending(this[kBox]);
  }

  close() {
    native.close(this[kBox]);
  }

  // -- writing -----------------------------------------------------------------

  #indexArgs(id, text, opts) {
    cstring(id, 'the document id', 'id');
    const o = options(opts, 'index options', INDEX_OPTIONS);
    const lenient = bool(o.lenient, 'lenient', false);
    let encoding = optionalCstring(o.encoding, 'encoding');
    if (typeof text === 'string') {
      if (encoding !== null) throw typeError('encoding applies to bytes; the text is already a string');
      if (!lenient) wellFormed(text, 'the document', 'document');
      encoding = 'UTF-8';
    } else if (!isBytes(text)) {
      throw typeError(`the document must be a string, a Buffer, a Uint8Array or an ArrayBuffer, not ${describe(text)}`);
    }
    const fields = fieldPairs(o.fields);
    const lines = o.lines === null ? undefined : bool(o.lines, 'lines', undefined);
    if (lines === false && this.settings.lines) {
      throw new SettingsError('this database splits paragraphs per line; it was created with lines: true',
        { where: 'option', field: 'lines' });
    }
    const flags = (lenient ? native.DOC_LENIENT : 0) | (lines ? native.DOC_LINES : 0) |
      (bool(o.guess, 'guess', true) ? 0 : native.DOC_NO_GUESS);
    return [this[kBox], id, text, encoding, flags, fields];
  }

  /**
   * Adds a document, or replaces every paragraph of the one with the same
   * id: index(id, text or bytes, { encoding, fields, lines, lenient, guess }).
   * Returns { paragraphs, replaced, encoding, committed }.
   */
  index(id, text, opts) {
    return native.add(...this.#indexArgs(id, text, opts));
  }

  async indexAsync(id, text, opts) {
    return native.addAsync(...this.#indexArgs(id, text, opts));
  }

  delete(id) {
    native.remove(this[kBox], cstring(id, 'the document id', 'id'));
  }

  commit() {
    native.commit(this[kBox]);
  }

  async commitAsync() {
    return native.commitAsync(this[kBox]);
  }

  rollback() {
    native.rollback(this[kBox]);
  }

  reopen() {
    native.reopen(this[kBox]);
  }

  // -- reading -----------------------------------------------------------------

  /** { normalize, traditional, lines }: what the database was built with. */
  get settings() {
    return native.settings(this[kBox]);
  }

  /** { documents, paragraphs, terms (with { terms: true }), diskBytes, dead } */
  stats(opts) {
    const o = options(opts, 'stats options', ['terms']);
    return native.stats(this[kBox], bool(o.terms, 'terms', false));
  }

  /** [{ id, paragraphs }] in byte order of the ids. */
  documents() {
    return native.documents(this[kBox]);
  }

  /** The paragraphs of a document as hits (no score, snippet or spans). */
  getDocument(id) {
    cstring(id, 'the document id', 'id');
    return native.getDocument(this[kBox], id).map((h) => new Hit(h, null));
  }

  explain(query) {
    const q = queryText(query);
    return withQuery(q, () => native.explain(this[kBox], q));
  }

  query(query) {
    return new Query(this, queryText(query));
  }

  /**
   * search(query, { limit, offset, sort, facets, facetLimit, exact, marks, context })
   * -> SearchResult.  limit: 10 by default, null or Infinity for every hit,
   * 0 for none (totals and facets only).
   */
  search(query, opts) {
    const q = queryText(query);
    const s = searchOptions(opts);
    return makeResult(this, withQuery(q, () => native.search(this[kBox], q, s.c)), s, q);
  }

  async searchAsync(query, opts) {
    const q = queryText(query);
    const s = searchOptions(opts);
    return makeResult(this, await withQueryAsync(q, native.searchAsync(this[kBox], q, s.c)), s, q);
  }

  /** The exact number of matching paragraphs. */
  count(query) {
    const q = queryText(query);
    return withQuery(q, () => native.count(this[kBox], q));
  }

  async countAsync(query) {
    const q = queryText(query);
    return withQueryAsync(q, native.countAsync(this[kBox], q));
  }

  /** Every hit, one Query paging forward ({ pageSize: 100, sort, marks, context }). */
  iterate(query, opts) {
    const p = pageOptions(opts);
    return pages(this.query(query), p, true);
  }

  iterateAsync(query, opts) {
    const p = pageOptions(opts);
    return pagesAsync(this.query(query), p, true);
  }

  [util.inspect.custom]() {
    const state = this.closed ? 'closed' : this.writable ? 'writable' : 'read-only';
    return `Database ${this.path === null ? '(in memory)' : JSON.stringify(this.path)} ${state}`;
  }
}

// ---- module functions ------------------------------------------------------------------

function pathArg(value, what) {
  const p = value instanceof URL ? fileURLToPath(value) : value;
  return cstring(p, what);
}

/** Compacts a database in place (without its dead paragraphs). */
function compact(path) {
  native.compact(pathArg(path, 'path'), false);
}

async function compactAsync(path) {
  return native.compact(pathArg(path, 'path'), true);
}

function mergeArgs(dest, sources) {
  const list = typeof sources === 'string' || sources instanceof URL ? [sources] : sources;
  if (!Array.isArray(list)) throw typeError(`sources must be an array of paths, not ${describe(sources)}`);
  return [pathArg(dest, 'dest'), list.map((s) => pathArg(s, 'a source'))];
}

/** Merges databases into a new, compacted one at dest (which must not exist). */
function merge(dest, sources) {
  native.merge(...mergeArgs(dest, sources), false);
}

async function mergeAsync(dest, sources) {
  return native.merge(...mergeArgs(dest, sources), true);
}

/**
 * The tokens of text as the index sees them: [{ text, start, end, offset,
 * length, position, units, kind }].  start/end index the string (UTF-16;
 * bytes when text is a Buffer), offset/length are bytes of its UTF-8.
 */
function tokenize(text, opts) {
  const o = options(opts, 'tokenize options', ['normalize', 'traditional']);
  if (typeof text === 'string') wellFormed(text, 'the text', 'document');
  else if (!isBytes(text)) throw typeError(`the text must be a string or bytes, not ${describe(text)}`);
  return native.tokenize(text, bool(o.normalize, 'normalize', true), bool(o.traditional, 'traditional', true));
}

module.exports = {
  Database, Query, SearchResult, Hit, compact, compactAsync, merge, mergeAsync, tokenize, kBox,
};
