'use strict';
/**
 * zhfts: full-text search over Chinese documents, at paragraph granularity.
 *
 *   const zhfts = require('zhfts');
 *   const db = new zhfts.Database('reports.db', { writable: true });
 *   db.index('2020.txt', fs.readFileSync('2020.txt'), { fields: { district: '海淀区', year: '2020' } });
 *   db.commit();
 *   const r = db.search('科学城 发展 year:2019..', { sort: '-year', facets: ['district'] });
 *   for (const hit of r.hits) console.log(hit.rank, hit.doc, hit.para, hit.section, hit.snippet);
 *   console.log(r.total, r.facets.district.values);   // [{ value: '海淀区', count: 12 }, ...]
 *   db.close();
 *
 * Offsets: hit.spans and token start/end are UTF-16 offsets into the
 * JavaScript strings (hit.text.slice(start, end) is a match); byteSpans,
 * hit.offset/length and token offset/length are bytes, as the C library
 * reports them.  Snippets and spans are made when first read: read them
 * before closing the database.
 */
const native = require('./addon');
const errors = require('./errors');
const database = require('./database');

errors.setStrerror((status) => native.strerror(status));
native.init(errors.makeError);

module.exports = {
  Database: database.Database,
  Query: database.Query,
  SearchResult: database.SearchResult,
  Hit: database.Hit,
  tokenize: database.tokenize,
  merge: database.merge,
  mergeAsync: database.mergeAsync,
  compact: database.compact,
  compactAsync: database.compactAsync,
  /** The version of the loaded libzhfts, e.g. '0.4.0'. */
  version: () => native.version(),
  /** The file the native module was loaded from. */
  addonPath: () => native.file,
  ZhftsError: errors.ZhftsError,
  OutOfMemoryError: errors.OutOfMemoryError,
  InvalidArgumentError: errors.InvalidArgumentError,
  EncodingError: errors.EncodingError,
  QueryError: errors.QueryError,
  LockedError: errors.LockedError,
  NotFoundError: errors.NotFoundError,
  StorageError: errors.StorageError,
  CorruptError: errors.CorruptError,
  SettingsError: errors.SettingsError,
  ReadOnlyError: errors.ReadOnlyError,
  LimitError: errors.LimitError,
  VersionError: errors.VersionError,
  ClosedError: errors.ClosedError,
  STATUS: errors.STATUS,
};
