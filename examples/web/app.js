'use strict';
// The request handler of the search site: node:http and the zhfts
// binding, no framework.  Searches run with searchAsync(), off the event
// loop, so the site keeps answering while one is slow.
//
//   GET /                 the search page (?q=…&offset=…)
//   GET /doc              a document, its matches marked (?id=…&q=…&p=…)
//   GET /api/search       the same data as JSON (?q=…&offset=…&limit=…&facet=…&sort=…)
//   GET /api/doc          a document's paragraphs as JSON (?id=…)
//   GET /static/…         style.css, page.js

const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const render = require('./render');

const STATIC = {
  '/static/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/static/page.js': ['page.js', 'text/javascript; charset=utf-8'],
};
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const MAX_LIMIT = 100;

class BadRequest extends Error {}

// The piece of the query an error position points at: one bracket or
// quote, else the word that starts there.
function errorEnd(q, at) {
  if (at >= q.length) return at;
  if ('()"\u201c\u201d'.includes(q[at])) return at + 1;
  let end = at;
  while (end < q.length && !/[\s()"\u201c\u201d]/.test(q[end])) end++;
  return Math.max(end, at + (q.codePointAt(at) > 0xffff ? 2 : 1));
}

function describeError(zhfts, e, q) {
  if (!(e instanceof zhfts.ZhftsError)) throw e;
  const charPosition = e.charPosition ?? null;
  return {
    name: e.name, code: e.code, status: e.status, message: e.message, where: e.where,
    position: e.position ?? null, charPosition, charEnd: charPosition === null ? null : errorEnd(q, charPosition),
    field: e.field,
  };
}

function intParam(params, name, dflt, max) {
  const v = params.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v)) throw new BadRequest(`${name} must be a non-negative integer`);
  return Math.min(Number(v), max);
}

function createApp({ zhfts, db, facets = [], pageSize = 10, log = () => {} }) {
  const files = {};
  for (const [url, [file, type]] of Object.entries(STATIC)) {
    files[url] = { body: fs.readFileSync(path.join(__dirname, 'public', file)), type };
  }

  const send = (req, res, status, type, body, extra = {}) => {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': data.length, ...SECURITY_HEADERS, ...extra });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
  const html = (req, res, status, body) => send(req, res, status, 'text/html; charset=utf-8', body, { 'Cache-Control': 'no-store' });
  const json = (req, res, status, value) => send(req, res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, { 'Cache-Control': 'no-store' });

  async function search(q, { offset, limit, facetNames, sort }) {
    const t0 = performance.now();
    const result = await db.searchAsync(q, { offset, limit, facets: facetNames, facetLimit: 10, sort });
    for (const h of result.hits) h.spans; // made now, while the results are at hand
    return { result, elapsedMs: performance.now() - t0 };
  }

  async function searchPage(req, res, params) {
    const q = (params.get('q') || '').trim();
    if (!q) return html(req, res, 200, render.homePage({ stats: db.stats(), facets }));
    const offset = intParam(params, 'offset', 0, 1e9);
    const limit = intParam(params, 'limit', pageSize, MAX_LIMIT) || pageSize;
    try {
      const { result, elapsedMs } = await search(q, { offset, limit, facetNames: ['doc', ...facets] });
      return html(req, res, 200, render.resultsPage({ q, offset, limit, result, elapsedMs }));
    } catch (e) {
      return html(req, res, 400, render.errorPage({ q, error: describeError(zhfts, e, q) }));
    }
  }

  async function apiSearch(req, res, params) {
    const q = (params.get('q') || '').trim();
    const offset = intParam(params, 'offset', 0, 1e9);
    const limit = intParam(params, 'limit', pageSize, MAX_LIMIT);
    const asked = params.getAll('facet').flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
    const facetNames = asked.length ? asked : ['doc', ...facets];
    const sort = params.get('sort') || null;
    if (!q) throw new BadRequest('q is required');
    let found;
    try {
      found = await search(q, { offset, limit, facetNames, sort });
    } catch (e) {
      return json(req, res, 400, { error: describeError(zhfts, e, q) });
    }
    const { result, elapsedMs } = found;
    const out = {
      query: q, offset, limit, sort,
      total: result.total, totalLower: result.totalLower, totalUpper: result.totalUpper, exact: result.exact,
      elapsedMs: Math.round(elapsedMs * 1000) / 1000,
      hits: result.hits.map((h) => ({
        rank: h.rank, doc: h.doc, para: h.para, section: h.section, sections: h.section ? h.section.split(' › ') : [],
        fields: h.fields, tier: h.tier, score: h.score, offset: h.offset, length: h.length,
        text: h.text, spans: h.spans, byteSpans: h.byteSpans, snippet: h.snippet,
        href: render.docHref(h.doc, q, h.para),
      })),
      facets: {},
    };
    for (const [name, f] of Object.entries(result.facets)) {
      out.facets[name] = { name, distinct: f.distinct, values: f.values.map((v) => ({ ...v, filter: render.filterFor(name, v.value) })) };
    }
    return json(req, res, 200, out);
  }

  async function paragraphsOf(id) {
    try {
      return db.getDocument(id);
    } catch (e) {
      if (e instanceof zhfts.NotFoundError) return null;
      throw e;
    }
  }

  async function documentPage(req, res, params) {
    const id = params.get('id') || '';
    const q = (params.get('q') || '').trim();
    const current = intParam(params, 'p', 0, 1e9);
    const paragraphs = id ? await paragraphsOf(id) : null;
    if (!paragraphs) return html(req, res, 404, render.notFoundPage(`没有这篇文档：${id}`));
    const spans = new Map();
    const filter = render.filterFor('doc', id);
    if (q && filter) {
      try {
        const r = await db.searchAsync(`${q} ${filter}`, { limit: null });
        for (const h of r.hits) spans.set(h.para, h.spans);
      } catch (e) {
        describeError(zhfts, e, q); // a bad query: the document without marks
      }
    }
    return html(req, res, 200, render.documentPage({ id, q, paragraphs, spans, current }));
  }

  async function apiDocument(req, res, params) {
    const id = params.get('id') || '';
    const paragraphs = id ? await paragraphsOf(id) : null;
    if (!paragraphs) return json(req, res, 404, { error: { code: 'ENOTFOUND', message: `no document ${id}` } });
    return json(req, res, 200, {
      id,
      paragraphs: paragraphs.map((p) => ({ para: p.para, section: p.section, text: p.text, offset: p.offset, length: p.length, fields: p.fields })),
    });
  }

  const routes = { '/': searchPage, '/search': searchPage, '/doc': documentPage, '/api/search': apiSearch, '/api/doc': apiDocument };

  return async function handle(req, res) {
    const t0 = performance.now();
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      return send(req, res, 400, 'text/plain; charset=utf-8', 'bad request\n');
    }
    const api = url.pathname.startsWith('/api/');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      }
      if (files[url.pathname]) {
        const f = files[url.pathname];
        return send(req, res, 200, f.type, f.body, { 'Cache-Control': 'no-cache' });
      }
      const route = routes[url.pathname];
      if (!route) {
        return api ? json(req, res, 404, { error: { code: 'ENOTFOUND', message: 'no such endpoint' } })
          : html(req, res, 404, render.notFoundPage(`没有这个页面：${url.pathname}`));
      }
      return await route(req, res, url.searchParams);
    } catch (e) {
      if (e instanceof BadRequest) {
        return api ? json(req, res, 400, { error: { code: 'EINVAL', message: e.message } })
          : send(req, res, 400, 'text/plain; charset=utf-8', `${e.message}\n`);
      }
      log(`error: ${req.url}: ${e.stack || e}`);
      if (!res.headersSent) {
        return api ? json(req, res, 500, { error: { code: 'ERROR', message: 'internal error' } })
          : send(req, res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      }
      return res.destroy();
    } finally {
      log(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(1)}ms`);
    }
  };
}

module.exports = { createApp, errorEnd };
