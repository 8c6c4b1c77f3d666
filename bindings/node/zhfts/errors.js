'use strict';
// Errors: one class per library status, all under ZhftsError.
//
// The detail comes from the library as data (zhfts_db_error()), never from
// its message: where the failure is ('query', 'document', 'option'), the
// byte offset there, the document and field concerned, and how many pending
// documents a failure of the database discarded.

const STATUS = Object.freeze({
  ERROR: -1, ENOMEM: -2, EINVAL: -3, EENCODING: -4, EQUERY: -5, ELOCKED: -6,
  ENOTFOUND: -7, EIO: -8, ECORRUPT: -9, ESETTINGS: -10, EREADONLY: -11,
  ELIMIT: -12, EVERSION: -13,
});
const CODES = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k]));
const WHERE = ['none', 'query', 'document', 'option'];

let strerror = (status) => `status ${status}`;

// The UTF-16 index in `text` of a byte offset in its UTF-8 encoding.
function charIndex(text, byteOffset) {
  if (typeof text !== 'string' || byteOffset == null) return null;
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const c = text.codePointAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c >= 0x10000 ? 2 : 1;
  }
  return i;
}

/**
 * A failure reported by libzhfts (or caught before reaching it).
 *
 * status    the library's negative status (ZHFTS_EQUERY is -5, ...)
 * code      its name: 'EQUERY', 'EENCODING', ... ('ECLOSED' for a closed
 *           database, query or results)
 * where     what `offset` is an offset into: 'query', 'document' (the
 *           document's bytes in its own charset), 'option', or null
 * offset    a byte offset there, or null
 * position  for a failure in the query: the byte offset in its UTF-8 text
 * charPosition  the same place as an index into the query string
 * doc, field    the document id and the field or option concerned, or null
 * lost      pending documents a failure of the database discarded
 */
class ZhftsError extends Error {
  constructor(message, detail = {}) {
    super(message || strerror(detail.status ?? new.target.status));
    const status = detail.status ?? new.target.status;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
    this.status = status;
    this.code = detail.code || CODES[status] || 'ERROR';
    this.where = detail.where ?? null;
    this.offset = detail.offset ?? null;
    this.doc = detail.doc ?? null;
    this.field = detail.field ?? null;
    this.lost = detail.lost ?? 0;
    this.position = this.where === 'query' ? this.offset : null;
    this.charPosition = null;
    this.query = null;
    if (detail.query !== undefined) this.setQuery(detail.query);
  }

  /** The library's short name for the status ("query syntax error"). */
  get statusName() {
    return strerror(this.status);
  }

  /** @internal Records the query, for the character position. */
  setQuery(query) {
    this.query = query;
    if (this.position != null && typeof query === 'string') this.charPosition = charIndex(query, this.position);
    return this;
  }
}
ZhftsError.status = STATUS.ERROR;

const classes = {};
function define(name, status, doc) {
  const cls = { [name]: class extends ZhftsError {} }[name];
  cls.status = status;
  cls.description = doc;
  classes[status] = cls;
  return cls;
}

const OutOfMemoryError = define('OutOfMemoryError', STATUS.ENOMEM, 'out of memory');
const InvalidArgumentError = define('InvalidArgumentError', STATUS.EINVAL,
  'a bad argument or option (a field name, a sort key...); `field` names it when the library says which');
const EncodingError = define('EncodingError', STATUS.EENCODING,
  'invalid bytes or an unknown charset; `offset` is the first invalid byte of the document');
const QueryError = define('QueryError', STATUS.EQUERY,
  'a syntax error, a field the database has never seen, a range of mixed kinds; `position`, `charPosition`');
const LockedError = define('LockedError', STATUS.ELOCKED, 'another writer holds the database');
const NotFoundError = define('NotFoundError', STATUS.ENOTFOUND, 'no such database, document or paragraph');
const StorageError = define('StorageError', STATUS.EIO, 'an I/O failure (disk full, permissions...)');
const CorruptError = define('CorruptError', STATUS.ECORRUPT, 'the database is damaged or not a zhfts database');
const SettingsError = define('SettingsError', STATUS.ESETTINGS, 'options differ from those the database was built with');
const ReadOnlyError = define('ReadOnlyError', STATUS.EREADONLY, 'a write on a database opened read-only');
const LimitError = define('LimitError', STATUS.ELIMIT, 'input beyond a documented limit (a query too long or too deep)');
const VersionError = define('VersionError', STATUS.EVERSION, 'a database of another index format version');

/** A database, query or results used after it was closed (status EINVAL, code 'ECLOSED'). */
class ClosedError extends InvalidArgumentError {}
ClosedError.status = STATUS.EINVAL;

function fromStatus(status, message, detail = {}) {
  const cls = classes[status] || ZhftsError;
  return new cls(message, { ...detail, status });
}

// The factory the native module calls (see zhfts_node.c: error_value()).
function makeError(status, message, where, offset, doc, field, lost, closed) {
  const detail = {
    status,
    where: where > 0 ? WHERE[where] || null : null,
    offset: offset >= 0 ? offset : null,
    doc, field, lost,
  };
  if (closed) return new ClosedError(message, { ...detail, code: 'ECLOSED' });
  return fromStatus(status, message, detail);
}

function setStrerror(fn) {
  strerror = fn;
}

module.exports = {
  STATUS, ZhftsError, OutOfMemoryError, InvalidArgumentError, EncodingError, QueryError,
  LockedError, NotFoundError, StorageError, CorruptError, SettingsError, ReadOnlyError,
  LimitError, VersionError, ClosedError, fromStatus, makeError, setStrerror, charIndex,
};
