'use strict';
// HTML for the search site.  Everything that comes from the index or the
// request is escaped; the only markup around text is the <mark> elements
// this file puts around the spans the library reports.

const SNIPPET_CONTEXT = 60; // UTF-16 units of text around the first match

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const isLow = (c) => c >= 0xDC00 && c <= 0xDFFF;
const isHigh = (c) => c >= 0xD800 && c <= 0xDBFF;

// A line break between two non-ASCII characters (hard-wrapped Chinese) is
// nothing; other white space runs are one space.
function tidy(s) {
  return s.replace(/([^\x00-\x7f])[ \t]*\r?\n[ \t\u3000]*(?=[^\x00-\x7f])/g, '$1').replace(/\s+/g, ' ');
}

/** text[from, to) with the spans in it marked, escaped. */
function markRange(text, spans, from, to) {
  let out = '';
  let pos = from;
  for (const [s, e] of spans) {
    if (e <= from || s >= to) continue;
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    out += escapeHtml(tidy(text.slice(pos, a))) + '<mark>' + escapeHtml(tidy(text.slice(a, b))) + '</mark>';
    pos = b;
  }
  return out + escapeHtml(tidy(text.slice(pos, to)));
}

/** A window of text around the first span, the spans marked. */
function snippetHtml(text, spans, context = SNIPPET_CONTEXT) {
  if (!spans.length) {
    const end = Math.min(text.length, 2 * context);
    return markRange(text, [], 0, end) + (end < text.length ? '…' : '');
  }
  let start = Math.max(0, spans[0][0] - context);
  let end = Math.min(text.length, spans[0][1] + 2 * context);
  if (start > 0 && isLow(text.charCodeAt(start))) start--;
  if (end < text.length && isHigh(text.charCodeAt(end - 1))) end++;
  return (start > 0 ? '…' : '') + markRange(text, spans, start, end).trim() + (end < text.length ? '…' : '');
}

// ---- queries and links ----------------------------------------------------------

// A filter value needs quotes unless it is letters, digits and _ only; a
// value holding a quote cannot be written in the query language at all.
function filterFor(name, value) {
  if (/["\u201c\u201d]/.test(value)) return null;
  return /^[\p{L}\p{N}_]+$/u.test(value) ? `${name}:${value}` : `${name}:"${value}"`;
}

function hasFilter(q, filter) {
  return ` ${q} `.includes(` ${filter} `);
}

function withFilter(q, filter) {
  return hasFilter(q, filter) ? q : `${q.trim()} ${filter}`.trim();
}

function withoutFilter(q, filter) {
  return ` ${q} `.replace(` ${filter} `, ' ').trim().replace(/\s+/g, ' ');
}

function searchHref(q, offset = 0) {
  const p = new URLSearchParams({ q });
  if (offset) p.set('offset', String(offset));
  return `/?${p}`;
}

function docHref(doc, q, para) {
  return `/doc?${new URLSearchParams({ id: doc, q, p: String(para) })}#p-${para}`;
}

// ---- pages -----------------------------------------------------------------------------

function page({ title, q = '', body, error = null, hint = '' }) {
  const errAttrs = error && error.charPosition != null
    ? ` aria-invalid="true" aria-describedby="query-error" data-error-start="${error.charPosition}" data-error-end="${error.charEnd}"`
    : error ? ' aria-invalid="true" aria-describedby="query-error"' : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/page.js" defer></script>
</head>
<body>
<a class="skip" href="#results">跳到结果</a>
<header class="top">
  <a class="brand" href="/">zhfts <span>中文全文检索</span></a>
  <form class="search" role="search" action="/" method="get">
    <label class="visually-hidden" for="q">搜索</label>
    <div class="box">
      <input id="q" name="q" type="search" value="${escapeHtml(q)}" placeholder="例如：科学城 发展" autocomplete="off" spellcheck="false" autofocus${errAttrs}>
      <button type="submit">搜索</button>
    </div>
    ${error ? queryErrorHtml(q, error) : hint ? `<p class="hint">${hint}</p>` : ''}
  </form>
</header>
${body}
<footer class="foot">zhfts · 段落级中文全文检索${q ? ` · <a href="/api/search?${escapeHtml(new URLSearchParams({ q }))}">JSON</a>` : ''}</footer>
</body>
</html>
`;
}

// The query again under the box, with the character the error is at marked.
function queryErrorHtml(q, error) {
  let echo = '';
  if (error.charPosition != null) {
    const at = Math.min(error.charPosition, q.length);
    const end = Math.min(Math.max(error.charEnd, at), q.length);
    const marked = at < q.length ? escapeHtml(q.slice(at, end)) : '&#8203;';
    echo = `<p class="echo" aria-hidden="true"><span>${escapeHtml(q.slice(0, at))}</span><mark class="err-at">${marked}</mark><span>${escapeHtml(q.slice(end))}</span></p>`;
  }
  const where = error.charPosition != null ? `（第 ${error.charPosition + 1} 个字符处）` : '';
  return `<div id="query-error" class="query-error" role="alert">${echo}<p class="msg"><strong>查询有误${where}：</strong>${escapeHtml(error.message)}</p></div>`;
}

function breadcrumbHtml(section) {
  if (!section) return '';
  const parts = section.split(' › ');
  return `<nav class="crumbs" aria-label="章节"><ol>${parts.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ol></nav>`;
}

const FACET_TITLES = { doc: '文档', district: '地区', year: '年份', date: '日期', type: '类型', title: '标题' };

function facetsHtml(q, facets) {
  const groups = [];
  for (const f of Object.values(facets)) {
    if (!f.values.length) continue;
    const items = f.values.map(({ value, count }) => {
      const filter = filterFor(f.name, value);
      const label = `<span class="value">${escapeHtml(value)}</span> <span class="count">${count}</span>`;
      if (!filter) return `<li><span class="facet-value">${label}</span></li>`;
      if (hasFilter(q, filter)) {
        return `<li><a class="facet-value active" aria-current="true" href="${escapeHtml(searchHref(withoutFilter(q, filter)))}" data-filter="${escapeHtml(filter)}" title="去掉这个筛选">${label}</a></li>`;
      }
      return `<li><a class="facet-value" href="${escapeHtml(searchHref(withFilter(q, filter)))}" data-filter="${escapeHtml(filter)}">${label}</a></li>`;
    }).join('');
    const more = f.distinct > f.values.length ? `<p class="more">另有 ${f.distinct - f.values.length} 项</p>` : '';
    groups.push(`<section class="facet" data-facet="${escapeHtml(f.name)}"><h2>${escapeHtml(FACET_TITLES[f.name] || f.name)}</h2><ul>${items}</ul>${more}</section>`);
  }
  return groups.length ? `<aside class="facets" aria-label="筛选">${groups.join('')}</aside>` : '';
}

function hitHtml(q, h) {
  const fields = Object.entries(h.fields).filter(([k]) => k !== 'title')
    .map(([k, v]) => `<span class="field"><span class="k">${escapeHtml(FACET_TITLES[k] || k)}</span> ${escapeHtml(v)}</span>`).join('');
  const title = h.fields.title ? `<span class="title">${escapeHtml(h.fields.title)}</span>` : '';
  return `<li class="hit" value="${h.rank}">
  ${breadcrumbHtml(h.section)}
  <p class="snippet">${snippetHtml(h.text, h.spans)}</p>
  <p class="meta"><a class="open" href="${escapeHtml(docHref(h.doc, q, h.para))}"><span class="doc">${escapeHtml(h.doc)}</span> <span class="pnum">¶${h.para}</span></a>${title}${fields}</p>
</li>`;
}

function pagesHtml(q, offset, limit, total) {
  if (total <= limit) return '';
  const pages = Math.ceil(total / limit);
  const current = Math.floor(offset / limit);
  const link = (n, label, rel) => `<a href="${escapeHtml(searchHref(q, n * limit))}"${rel ? ` rel="${rel}"` : ''}${n === current ? ' aria-current="page"' : ''}>${label}</a>`;
  const out = [];
  if (current > 0) out.push(link(current - 1, '上一页', 'prev'));
  const first = Math.max(0, Math.min(current - 3, pages - 7));
  for (let n = first; n < Math.min(pages, first + 7); n++) out.push(link(n, String(n + 1)));
  if (current < pages - 1) out.push(link(current + 1, '下一页', 'next'));
  return `<nav class="pages" aria-label="分页">${out.join('')}</nav>`;
}

function resultsPage({ q, offset, limit, result, elapsedMs }) {
  const { hits, total } = result;
  const from = hits.length ? offset + 1 : 0;
  const to = offset + hits.length;
  const summary = total
    ? `共 <strong>${total}</strong> 段${result.exact ? '' : '（估计）'}，第 ${from}–${to} 段 · ${elapsedMs.toFixed(1)} 毫秒`
    : '没有找到。试试更短的词，或去掉筛选。';
  const body = `<main class="layout">
${facetsHtml(q, result.facets)}
<section id="results" class="results" aria-label="结果">
  <p class="summary" role="status">${summary}</p>
  <ol class="hits">${hits.map((h) => hitHtml(q, h)).join('\n')}</ol>
  ${pagesHtml(q, offset, limit, total)}
</section>
</main>`;
  return page({ title: `${q} - zhfts`, q, body });
}

const EXAMPLES = ['科学城', '科學城', '"人工智能"', '养老 -社区', 'section:亮点 企业', '(5G OR 芯片) district:云川区', 'year:2025..'];

function homePage({ stats, facets }) {
  const examples = EXAMPLES.map((e) => `<li><a href="${escapeHtml(searchHref(e))}"><code>${escapeHtml(e)}</code></a></li>`).join('');
  const body = `<main class="layout home">
<section id="results" class="results intro">
  <p>在 ${stats.documents} 篇文档的 ${stats.paragraphs} 个段落中检索。关键词按原文连续匹配（忽略标点和换行），繁体、全角、大小写都一样；结果按段落列出，可按文档和字段筛选。</p>
  <h2>试试</h2>
  <ul class="examples">${examples}</ul>
  <h2>查询语法</h2>
  <ul class="syntax">
    <li><code>科学城 发展</code> 同时包含两个词</li>
    <li><code>"科学城北"</code> 短语</li>
    <li><code>a OR b</code>、<code>-a</code>、<code>( … )</code> 布尔组合</li>
    <li><code>section:任务</code> 章节筛选；${facets.map((f) => `<code>${escapeHtml(f)}:…</code>`).join('、')} 字段筛选</li>
  </ul>
</section>
</main>`;
  return page({ title: 'zhfts 中文全文检索', body, hint: '输入关键词后按回车。按 <kbd>/</kbd> 回到搜索框。' });
}

function errorPage({ q, error }) {
  const body = `<main class="layout"><section id="results" class="results"><p class="summary">请修改查询后再试。</p></section></main>`;
  return page({ title: `${q} - zhfts`, q, body, error });
}

function documentPage({ id, q, paragraphs, spans, current }) {
  const title = paragraphs[0]?.fields.title || id;
  let section = '';
  const items = paragraphs.map((p) => {
    const s = spans.get(p.para) || [];
    const cls = p.para === current ? 'para current' : s.length ? 'para matched' : 'para';
    // the section path where it changes (a heading's own path ends with it)
    const crumbs = p.section && p.section !== section && !p.section.endsWith(p.text.trim()) ? breadcrumbHtml(p.section) : '';
    section = p.section;
    return `<section id="p-${p.para}" class="${cls}"${p.para === current ? ' aria-current="true"' : ''}>
  <a class="num" href="#p-${p.para}" aria-label="第 ${p.para} 段">¶${p.para}</a>
  ${crumbs}
  <p class="text">${markRange(p.text, s, 0, p.text.length)}</p>
</section>`;
  }).join('\n');
  const back = q ? `<a class="back" href="${escapeHtml(searchHref(q))}">← 返回“${escapeHtml(q)}”的结果</a>` : '<a class="back" href="/">← 返回搜索</a>';
  const body = `<main class="layout document">
<article id="results" class="results">
  ${back}
  <h1>${escapeHtml(title)}</h1>
  <p class="summary">${escapeHtml(id)} · ${paragraphs.length} 段${spans.size ? ` · ${spans.size} 段含有匹配` : ''}</p>
  ${items}
</article>
</main>`;
  return page({ title: `${title} - zhfts`, q, body });
}

function notFoundPage(what) {
  return page({ title: '找不到 - zhfts', body: `<main class="layout"><section id="results" class="results"><p class="summary">${escapeHtml(what)}</p><p><a href="/">返回搜索</a></p></section></main>` });
}

module.exports = {
  escapeHtml, snippetHtml, markRange, filterFor, withFilter, withoutFilter, hasFilter, searchHref, docHref,
  resultsPage, homePage, errorPage, documentPage, notFoundPage,
};
