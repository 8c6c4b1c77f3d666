'use strict';
// The search site without a browser: the command line (--db, --port 0, a
// bad database), the JSON API, escaping of everything that comes from the
// index or the request, filters from facets, error responses, and a server
// that keeps answering while a large document is being indexed.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const zhfts = require('zhfts');

const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'examples', 'web', 'server.js');
const { createApp, errorEnd } = require(path.join(ROOT, 'examples', 'web', 'app.js'));
const render = require(path.join(ROOT, 'examples', 'web', 'render.js'));

function start(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no URL in 30 s: ${out}${err}`)); }, 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); resolve({ child, url: m[0], out }); }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); resolve({ child, code, out, err }); });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function get(url) {
  const r = await fetch(url);
  const body = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), headers: r.headers, body, json: () => JSON.parse(body) };
}

describe('the server from the command line', () => {
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-web-test-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('serves the bundled samples on a free loopback port, and stops on SIGTERM', async () => {
    const s = await start(['--port', '0', '--quiet']);
    assert.ok(s.url, s.err);
    assert.match(s.out, /3 documents/);
    const home = await get(s.url);
    assert.equal(home.status, 200);
    assert.match(home.type, /text\/html/);
    assert.match(home.headers.get('content-security-policy'), /script-src 'self'/);
    assert.match(home.body, /<input id="q" name="q" type="search"[^>]*autofocus/);
    const r = (await get(`${s.url}api/search?q=${encodeURIComponent('科学城')}`)).json();
    assert.equal(r.total, 16);
    assert.deepEqual(Object.keys(r.facets), ['doc', 'district', 'year']);
    const temp = s.out.match(/temporary database, (\S+?)[;)]/)[1];
    assert.ok(fs.existsSync(temp), temp);
    assert.equal(await stop(s.child), 0);
    assert.equal(fs.existsSync(path.dirname(temp)), false, 'the temporary database is removed');
  });

  it('serves a database given with --db, and refuses a missing one', async () => {
    const p = path.join(tmp, 'db');
    const w = new zhfts.Database(p, { writable: true });
    w.index('a.txt', '茶叶合作社的销售额增长两成。', { fields: { county: '云溪', year: '2020' } });
    w.index('b.txt', '茶叶加工中心。', { fields: { county: '云川', year: '2021', title: '一个标题' } });
    w.close();
    const s = await start(['--db', p, '--port', '0', '--quiet']);
    assert.ok(s.url, s.err);
    const r = (await get(`${s.url}api/search?q=${encodeURIComponent('茶叶')}`)).json();
    assert.deepEqual(Object.keys(r.facets), ['doc', 'county', 'year']); // discovered, without title
    assert.equal(r.total, 2);
    await stop(s.child);
    const bad = await start(['--db', path.join(tmp, 'missing'), '--port', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /cannot open/);
    const usage = await start(['--bogus']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /usage:/);
  });
});

describe('the pages and the API', () => {
  let db;
  let server;
  let base;
  let writer;
  let tmp;
  before(async () => {
    // a writer, and the reader the site searches with: a search never waits
    // for the writer's calls, which run on its own handle
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-web-test-'));
    writer = new zhfts.Database(path.join(tmp, 'db'), { writable: true });
    const db0 = writer;
    db0.index('<b>evil</b>.txt', '茶叶合作社<script>alert(1)</script>的"销售额"增长两成 & 更多。\n\n第二段讲茶叶加工。', {
      fields: { district: '海淀区', note: 'a "quoted" <value>', year: '2020' },
    });
    db0.index('plain.txt', '科学城北新建实验学校一所。\n\n茶叶合作社。', { fields: { district: '朝阳区', year: '2021' } });
    db0.index('𠮷野家.txt', '𠮷田村也在发展茶叶。', { fields: { district: '海淀区', year: '2021' } });
    writer.commit();
    db = new zhfts.Database(path.join(tmp, 'db'));
    server = http.createServer(createApp({ zhfts, db, facets: ['district', 'note', 'year'], pageSize: 2 }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${server.address().port}/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    db.close();
    writer.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('escapes what comes from the index and from the request', async () => {
    const q = '茶叶 <img src=x onerror=alert(1)>';
    const page = await get(`${base}?q=${encodeURIComponent('茶叶')}&limit=10`);
    assert.equal(page.status, 200);
    assert.ok(!page.body.includes('<script>alert'), 'paragraph text is escaped');
    assert.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!page.body.includes('<b>evil</b>'), 'document ids are escaped');
    assert.ok(page.body.includes('&lt;b&gt;evil&lt;/b&gt;.txt'));
    assert.ok(!page.body.includes('a "quoted" <value>'), 'field values are escaped');
    assert.ok(page.body.includes('<mark>茶叶</mark>'));
    const echoed = await get(`${base}?q=${encodeURIComponent(q)}`);
    assert.ok(!echoed.body.includes('<img src=x'), 'the query is escaped');
    const err = await get(`${base}?q=${encodeURIComponent('<i>x</i> (')}`);
    assert.equal(err.status, 400);
    assert.ok(!err.body.includes('<i>x</i>'));
    assert.match(err.body, /class="err-at">\(<\/mark>/);
  });

  it('turns facet values into filters, quoting where needed', async () => {
    const r = (await get(`${base}api/search?q=${encodeURIComponent('茶叶')}&limit=10`)).json();
    const doc = r.facets.doc.values.find((v) => v.value === '<b>evil</b>.txt');
    assert.equal(doc.filter, 'doc:"<b>evil</b>.txt"');
    assert.equal(r.facets.district.values.find((v) => v.value === '海淀区').filter, 'district:海淀区');
    assert.equal(r.facets.note.values[0].filter, null, 'a value with quotes cannot be a filter');
    for (const v of [...r.facets.doc.values, ...r.facets.district.values, ...r.facets.year.values]) {
      const narrowed = (await get(`${base}api/search?q=${encodeURIComponent(`茶叶 ${v.filter}`)}&limit=10`)).json();
      assert.equal(narrowed.total, v.count, v.filter);
    }
    const page = await get(`${base}?q=${encodeURIComponent('茶叶 district:海淀区')}`);
    assert.match(page.body, /class="facet-value active" aria-current="true"/);
    assert.equal(render.withoutFilter('茶叶 district:海淀区 year:2021', 'district:海淀区'), '茶叶 year:2021');
    assert.equal(render.withFilter('茶叶 district:海淀区', 'district:海淀区'), '茶叶 district:海淀区');
  });

  it('serves search results as JSON, with UTF-16 and byte spans', async () => {
    const r = (await get(`${base}api/search?q=${encodeURIComponent('𠮷田 OR 科学城')}&facet=year`)).json();
    assert.deepEqual(Object.keys(r.facets), ['year']);
    assert.equal(r.total, 2);
    for (const h of r.hits) {
      for (const [s, e] of h.spans) assert.ok(['𠮷田', '科学城'].includes(h.text.slice(s, e)));
      h.byteSpans.forEach(([s, e], k) => assert.equal(Buffer.from(h.text).subarray(s, e).toString(), h.text.slice(...h.spans[k])));
      assert.match(h.snippet, /\[(𠮷田|科学城)\]/);
      assert.match(h.href, /^\/doc\?id=/);
    }
    const paged = (await get(`${base}api/search?q=${encodeURIComponent('茶叶')}&offset=2&limit=2&sort=-year`)).json();
    assert.equal(paged.offset, 2);
    assert.ok(paged.hits.every((h) => h.rank > 2));
    const bad = await get(`${base}api/search?q=${encodeURIComponent('𠮷 (茶叶')}`);
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (({ code, status, position, charPosition, charEnd, where }) => ({ code, status, position, charPosition, charEnd, where }))(bad.json().error),
      { code: 'EQUERY', status: -5, position: 5, charPosition: 3, charEnd: 4, where: 'query' });
    for (const [qs, code] of [['q=x&limit=-1', 'EINVAL'], ['q=x&offset=abc', 'EINVAL'], ['', 'EINVAL'], ['q=x&facet=nosuchfield', 'EINVAL'], ['q=x&sort=nosuch', 'EINVAL']]) {
      const e = await get(`${base}api/search?${qs}`);
      assert.equal(e.status, 400, qs);
      assert.equal(e.json().error.code, code, qs);
    }
    assert.equal((await get(`${base}api/nothing`)).status, 404);
  });

  it('shows documents with the matches and the current paragraph marked', async () => {
    const page = await get(`${base}doc?id=${encodeURIComponent('plain.txt')}&q=${encodeURIComponent('茶叶')}&p=2`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<section id="p-2" class="para current" aria-current="true">/);
    assert.match(page.body, /<mark>茶叶<\/mark>合作社/);
    const doc = (await get(`${base}api/doc?id=${encodeURIComponent('<b>evil</b>.txt')}`)).json();
    assert.equal(doc.paragraphs.length, 2);
    assert.equal(doc.paragraphs[0].fields.note, 'a "quoted" <value>');
    assert.equal((await get(`${base}doc?id=nothing`)).status, 404);
    assert.equal((await get(`${base}api/doc?id=nothing`)).status, 404);
    const badq = await get(`${base}doc?id=plain.txt&q=${encodeURIComponent('(')}`);
    assert.equal(badq.status, 200, 'a bad query shows the document without marks');
  });

  it('answers what it does not serve', async () => {
    assert.equal((await get(`${base}nothing`)).status, 404);
    const post = await fetch(base, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    const head = await fetch(`${base}?q=${encodeURIComponent('茶叶')}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const css = await get(`${base}static/style.css`);
    assert.match(css.type, /text\/css/);
    assert.match(css.body, /Noto Sans CJK SC/);
    assert.equal((await get(`${base}static/../app.js`)).status, 404);
    assert.equal(errorEnd('茶叶 OR', 3), 5);
    assert.equal(errorEnd('𠮷 (', 3), 4);
  });

  it('keeps answering while a large document is indexed', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `第${i}段：茶叶合作社的销售额增长两成，新建卫生院一所，发展社区养老服务。`).join('\n\n');
    const indexing = writer.indexAsync('big.txt', big);
    let answered = 0;
    let done = false;
    indexing.then(() => { done = true; });
    while (!done) {
      const r = await get(`${base}api/search?q=${encodeURIComponent('科学城')}`);
      assert.equal(r.status, 200);
      if (!done) answered++;
    }
    await indexing;
    assert.ok(answered >= 3, `${answered} requests answered while indexing`);
    await writer.commitAsync();
    db.reopen();
    assert.equal((await get(`${base}api/search?q=${encodeURIComponent('doc:big.txt')}&limit=0`)).json().total, 3000);
  });
});
