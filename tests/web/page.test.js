'use strict';
// The search site in a real browser: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core.  It starts
// examples/web/server.js on a loopback port (the bundled samples), then
// searches, narrows by a facet, pages, opens a document, makes a query
// error and checks where it is marked, searches in Traditional characters,
// walks the page with the keyboard, and takes screenshots.
//
// It fails (never skips) when playwright-core or the browser is missing or
// cannot start, and always stops the server and the browser.
//
//   env: NODE_PATH (the zhfts package), ZHFTS_CHROMIUM (default /usr/bin/chromium),
//        ZHFTS_WEB_SCREENSHOT (a .png path; default: none), ZHFTS_PLAYWRIGHT_CORE
//        (where playwright-core is; default: resolved from this directory)

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'examples', 'web', 'server.js');
const CHROMIUM = process.env.ZHFTS_CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.ZHFTS_WEB_SCREENSHOT || '';
// The flags this machine's closed network needs (without the background
// networking ones Chromium's connections are refused), and no sandbox for root.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

function loadPlaywright() {
  try {
    return require(process.env.ZHFTS_PLAYWRIGHT_CORE || 'playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed (${e.message}); run: npm ci --prefix tests/web`);
  }
}

// Starts the server on a free loopback port; resolves with its URL.
function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--port', '0', '--quiet'], {
      env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s\n${out}${err}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0] });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before it printed its URL\n${out}${err}`));
    });
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// 學 and 們 are the Traditional characters the sample has around 科学城
const simplified = (s) => s.replace(/學/g, '学');

describe('the search page in Chromium', () => {
  let server;
  let context;
  let page;
  let profile;
  let base;

  before(async () => {
    const { chromium } = loadPlaywright();
    assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);
    server = await startServer();
    base = server.url;
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'zhfts-web-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
      locale: 'zh-CN', timeout: 60000,
    });
    context.setDefaultTimeout(15000);
    page = context.pages()[0] || await context.newPage();
  });

  after(async () => {
    try {
      if (context) await context.close();
    } finally {
      await stopServer(server && server.child);
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
    }
  });

  const hits = () => page.locator('ol.hits > li.hit');
  const search = async (q) => {
    const box = page.locator('#q');
    await box.fill(q);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === q), box.press('Enter')]);
  };
  const api = async (q, extra = '') => (await page.request.get(`${base}api/search?q=${encodeURIComponent(q)}${extra}`)).json();

  it('opens with the box focused', async () => {
    await page.goto(base);
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'q');
    assert.match(await page.locator('.intro').innerText(), /段落/);
  });

  it('searches 科学城: ranked hits, highlighted, with their sections', async () => {
    await search('科学城');
    const want = await api('科学城');
    assert.equal(want.total, 16);
    await assert.doesNotReject(hits().first().waitFor());
    assert.equal(await hits().count(), 10);
    assert.match(await page.locator('.summary').innerText(), /共 16 段/);
    for (let i = 0; i < 10; i++) {
      const hit = hits().nth(i);
      const marks = await hit.locator('.snippet mark').allInnerTexts();
      assert.ok(marks.length >= 1, `hit ${i + 1} has a mark`);
      for (const m of marks) assert.equal(simplified(m), '科学城');
      const link = await hit.locator('a.open').innerText();
      assert.equal(link.replace(/\s+/g, ' '), `${want.hits[i].doc} ¶${want.hits[i].para}`);
      const crumbs = await hit.locator('.crumbs li').allInnerTexts();
      assert.deepEqual(crumbs, want.hits[i].sections, `hit ${i + 1}'s breadcrumb`);
    }
    // every hit here has a section; some have two levels
    assert.ok(want.hits.some((h) => h.sections.length === 2));
    // the marks are the library's spans: the snippet text around them is the paragraph's
    const first = hits().first();
    const text = (await first.locator('.snippet').innerText()).replace(/…/g, '');
    assert.ok(want.hits[0].text.replace(/\s/g, '').includes(text.replace(/\s/g, '')));
    if (SCREENSHOT) {
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
    }
  });

  it('narrows the hits when a facet is clicked', async () => {
    const facet = page.locator('.facet[data-facet="district"] a.facet-value', { hasText: '云溪镇' });
    const count = Number(await facet.locator('.count').innerText());
    assert.equal(count, 4);
    await Promise.all([page.waitForURL((u) => /district:云溪镇/.test(u.searchParams.get('q') || '')), facet.click()]);
    assert.equal(await page.locator('#q').inputValue(), '科学城 district:云溪镇');
    assert.equal(await hits().count(), 4);
    for (const meta of await page.locator('.hit .meta').allInnerTexts()) assert.match(meta, /云溪镇/);
    assert.match(await page.locator('.summary').innerText(), /共 4 段/);
    const active = page.locator('.facet[data-facet="district"] a.facet-value.active');
    assert.equal(await active.count(), 1);
    // the document facet narrows too, to one document
    const doc = page.locator('.facet[data-facet="doc"] a.facet-value').first();
    await Promise.all([page.waitForURL((u) => /doc:"yunxi-2025\.txt"/.test(u.searchParams.get('q') || '')), doc.click()]);
    assert.equal(new Set(await page.locator('.hit .doc').allInnerTexts()).size, 1);
    // clicking the active facet takes the filter away again
    await Promise.all([page.waitForURL((u) => !/district:/.test(u.searchParams.get('q') || '')), active.click()]);
    assert.equal(await page.locator('#q').inputValue(), '科学城 doc:"yunxi-2025.txt"');
  });

  it('pages forward', async () => {
    await search('科学城');
    const next = page.locator('nav.pages a[rel="next"]');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('offset') === '10'), next.click()]);
    assert.equal(await hits().count(), 6);
    assert.equal(await hits().first().getAttribute('value'), '11');
    assert.match(await page.locator('.summary').innerText(), /第 11–16 段/);
    assert.equal(await page.locator('nav.pages a[aria-current="page"]').innerText(), '2');
    const want = await api('科学城', '&offset=10');
    assert.deepEqual(await page.locator('.hit a.open .doc').allInnerTexts(), want.hits.map((h) => h.doc));
    assert.equal(await page.locator('nav.pages a[rel="next"]').count(), 0);
  });

  it('opens a paragraph in its document, the match highlighted', async () => {
    await search('科学城');
    const open = hits().nth(1).locator('a.open');
    const label = await open.innerText();
    const para = label.match(/¶(\d+)/)[1];
    await Promise.all([page.waitForURL((u) => u.pathname === '/doc'), open.click()]);
    assert.equal(new URL(page.url()).hash, `#p-${para}`);
    const current = page.locator(`section#p-${para}.para.current`);
    assert.equal(await current.count(), 1);
    const marks = await current.locator('mark').allInnerTexts();
    assert.ok(marks.length >= 1 && marks.every((m) => simplified(m) === '科学城'));
    assert.ok(await current.isVisible());
    assert.ok(await page.locator('.para.matched mark').count() >= 1, 'other paragraphs with matches are marked too');
    await page.locator('a.back').click();
    await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('q') === '科学城');
  });

  it('marks where a bad query goes wrong, in the box', async () => {
    for (const [q, at, piece] of [['茶叶 (科学', 3, '('], ['𠮷𠮷 ("茶叶', 6, '"'], ['科学城 nosuchfield:x', 4, 'nosuchfield:x']]) {
      const box = page.locator('#q');
      await box.fill(q);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === q), box.press('Enter')]);
      const error = page.locator('.query-error');
      await error.waitFor();
      assert.equal(await page.locator('.query-error mark.err-at').innerText(), piece, q);
      assert.equal(await box.getAttribute('aria-invalid'), 'true');
      const sel = await box.evaluate((el) => [document.activeElement === el, el.selectionStart, el.selectionEnd]);
      assert.deepEqual(sel, [true, at, at + piece.length], `${q}: the selection in the box`);
      assert.equal(q.slice(sel[1], sel[2]), piece);
      const api400 = await page.request.get(`${base}api/search?q=${encodeURIComponent(q)}`);
      assert.equal(api400.status(), 400);
      assert.equal((await api400.json()).error.charPosition, at);
    }
  });

  it('finds 科学城 when 科學城 is typed', async () => {
    await search('科學城');
    assert.match(await page.locator('.summary').innerText(), /共 16 段/);
    assert.equal(await hits().count(), 10);
    const marks = await page.locator('.hit .snippet mark').allInnerTexts();
    assert.ok(marks.length >= 10);
    for (const m of marks) assert.equal(simplified(m), '科学城');
    assert.ok(marks.includes('科学城'), 'Simplified text found by a Traditional query');
    assert.deepEqual((await api('科學城')).hits.map((h) => [h.doc, h.para]), (await api('科学城')).hits.map((h) => [h.doc, h.para]));
  });

  it('can be used with the keyboard alone', async () => {
    await page.goto(`${base}?q=${encodeURIComponent('科学城')}`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    const reached = new Set();
    let facetHref = null;
    for (let i = 0; i < 40 && !facetHref; i++) {
      await page.keyboard.press('Tab');
      const el = await page.evaluate(() => {
        const a = document.activeElement;
        return { cls: a.className, tag: a.tagName, href: a.getAttribute('href') };
      });
      reached.add(el.cls || el.tag);
      if (/facet-value/.test(el.cls)) facetHref = el.href;
    }
    assert.ok(reached.has('BUTTON'), 'the search button');
    assert.ok(facetHref, `a facet is reached by Tab (reached: ${[...reached].join(', ')})`);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('q') !== '科学城'), page.keyboard.press('Enter')]);
    assert.ok(await hits().count() > 0);
    // '/' brings the focus back to the box
    await page.locator('.hit a.open').first().focus();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    // hits' links are reachable too
    await page.goto(`${base}?q=${encodeURIComponent('科学城')}`);
    let open = false;
    for (let i = 0; i < 80 && !open; i++) {
      await page.keyboard.press('Tab');
      open = await page.evaluate(() => document.activeElement.classList.contains('open'));
    }
    assert.ok(open, 'a hit\'s link is reached by Tab');
  });

  it('reads on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}?q=${encodeURIComponent('科学城')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    const font = await page.locator('.snippet').first().evaluate((el) => getComputedStyle(el).fontFamily);
    assert.match(font, /Noto Sans CJK SC/);
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
