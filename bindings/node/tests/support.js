'use strict';
// Independent expectations for the tests: paragraphs and substring search
// over normalized text, computed with plain JavaScript (never with zhfts),
// plus the texts the tests index (written for these tests).  The approach
// is bindings/python/tests/support.py's.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SAMPLE = process.env.ZHFTS_SAMPLE ||
  path.join(__dirname, '..', '..', '..', 'examples', 'data', 'sample-report.txt');

// Traditional -> Simplified for the Traditional characters of the test texts
// and the sample report, written by hand.
const T2S_FROM = '們創劃區協堅學將強標準範與術裡規設讓資質轉這進開關鎮經濟穩發葉銷額長兩澱陽';
const T2S_TO = '们创划区协坚学将强标准范与术里规设让资质转这进开关镇经济稳发叶销额长两淀阳';
const T2S = new Map([...T2S_FROM].map((c, i) => [c, [...T2S_TO][i]]));

/** NFKC + case folding + Traditional to Simplified (for the characters of T2S). */
function norm(text) {
  const t = text.normalize('NFKC').toLowerCase().normalize('NFKC');
  return [...t].map((c) => T2S.get(c) ?? c).join('');
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** The normalized text with everything but letters and digits removed. */
function letters(text) {
  return [...norm(text)].filter((c) => LETTER_OR_DIGIT.test(c)).join('');
}

function isBlank(line) {
  return line.trim() === ''; // trim() takes NBSP and U+3000 too
}

/** Maximal runs of non-blank lines (or every non-blank line):
 * [{ number, text, start, end }] with byte offsets in the UTF-8 document. */
function paragraphs(doc, perLine = false) {
  const out = [];
  let run = [];
  let pos = 0;
  const flush = () => {
    if (run.length) {
      out.push({ number: out.length + 1, text: run.map((l) => l[2]).join('\n'), start: run[0][0], end: run[run.length - 1][1] });
      run = [];
    }
  };
  for (const line of doc.split('\n')) {
    const n = Buffer.byteLength(line);
    if (isBlank(line) || perLine) {
      if (perLine && !isBlank(line)) run.push([pos, pos + n, line]);
      flush();
    } else {
      run.push([pos, pos + n, line]);
    }
    pos += n + 1;
  }
  flush();
  return out;
}

const HAN = /^\p{Script=Han}+$/u;

function hanOnly(query) {
  return HAN.test(query);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Numbers of the paragraphs whose normalized text holds the keyword as a
 * contiguous run (Han) or as a whole word (Latin and digits). */
function containing(paras, keyword) {
  const key = letters(keyword);
  if (hanOnly(keyword)) return new Set(paras.filter((p) => letters(p.text).includes(key)).map((p) => p.number));
  const word = new RegExp(`(?<![a-z0-9])${escapeRegExp(key)}(?![a-z0-9])`, 'u');
  return new Set(paras.filter((p) => word.test(norm(p.text))).map((p) => p.number));
}

/** UTF-16 indexes of the letters and digits of text that belong to an
 * occurrence of one of the keywords (punctuation and white space between
 * characters ignored, like the library). */
function covered(text, keywords) {
  const chars = [];
  const owner = [];
  for (let i = 0; i < text.length;) {
    const c = String.fromCodePoint(text.codePointAt(i));
    for (const n of letters(c)) {
      chars.push(n);
      owner.push(i);
    }
    i += c.length;
  }
  const flat = chars.join('');
  // owner is per UTF-16 unit of flat: astral letters take two
  const unitOwner = [];
  chars.forEach((c, k) => { for (let u = 0; u < c.length; u++) unitOwner.push([owner[k], c]); });
  const out = new Set();
  for (const kw of keywords) {
    const key = letters(kw);
    if (!key) continue;
    for (let start = flat.indexOf(key); start >= 0; start = flat.indexOf(key, start + 1)) {
      const end = start + key.length;
      const whole = hanOnly(kw) || ((start === 0 || !/[a-z0-9]/.test(flat[start - 1])) &&
        (end === flat.length || !/[a-z0-9]/.test(flat[end])));
      if (whole) {
        for (let u = start; u < end; u++) {
          const [i, c] = unitOwner[u];
          out.add(i);
          if (c.length === 2) out.add(i + 1);
        }
      }
    }
  }
  return out;
}

/** UTF-16 indexes of the letters and digits inside [start, end] spans. */
function spanChars(text, spans) {
  const out = new Set();
  for (const [s, e] of spans) {
    for (let i = s; i < e;) {
      const c = String.fromCodePoint(text.codePointAt(i));
      if (letters(c)) {
        out.add(i);
        if (c.length === 2) out.add(i + 1);
      }
      i += c.length;
    }
  }
  return out;
}

function readSample() {
  try {
    return fs.readFileSync(SAMPLE, 'utf8');
  } catch {
    return null;
  }
}

// A made-up township report, written for these tests (as in support.py).
const TOWN = `云溪镇二〇二六年工作安排

回顾 2025

过去一年，全镇经济平稳发展，新建乡村公路十八公里，
改造危旧房屋三百户。茶叶合作社的销售额增长两成。

科学城北片区的配套道路全部贯通，园区引进企业九家。

任务 1

推动茶叶产业发展，建设茶叶加工中心一座，培育本地品牌。

在科学城北新建实验学校一所，解决随迁子女入学难题。

任务 2

办好民生实事：新建卫生院一所，发展社区养老服务；
为老年人家庭实施适老化改造二百户。

加快数字乡村建设，ＡＩ辅助诊疗覆盖全部卫生室，5G信号连续覆盖。
`;

// U+20BB7 and an emoji are 4 bytes in UTF-8 and two UTF-16 units.
const ASTRAL = '𠮷野家的老板😀说：茶叶合作社今年发展很快，𠮷田村也在发展茶叶。';
const FULLWIDTH = 'ＡＩ辅助诊疗覆盖全部卫生室，ＲＩＳＣ－Ⅴ芯片来自本地企业。';
const TRADITIONAL = '全鎮經濟平穩發展，茶葉合作社的銷售額增長兩成。';

const SENTENCES = [
  '全镇新建乡村公路十八公里，改造危旧房屋三百户。',
  '茶叶合作社的销售额增长两成，带动农户增收。',
  '科学城北片区的配套道路全部贯通，园区引进企业九家。',
  '新建卫生院一所，发展社区养老服务，解决看病难题。',
  '加快数字乡村建设，辅助诊疗覆盖全部卫生室。',
];

// Top-level headings of TOWN and the sample: `任务 1`, `一、...`, `第一章 ...`.
const HEADING = /^(\S{2,4} \d+|[一二三四五六七八九十]+、.*|第[一二三四五六七八九十]+章.*)$/u;

/** { paragraph number: the top-level heading it follows } (headings map to null). */
function sections(paras) {
  const out = new Map();
  let current = '';
  for (const p of paras) {
    if (HEADING.test(p.text.trim())) {
      current = p.text.trim();
      out.set(p.number, null);
    } else {
      out.set(p.number, current);
    }
  }
  return out;
}

// ---- document fields (the rules of zhfts.h, written again here) -----------

const NUMBER = /^[+-]?[0-9]+(\.[0-9]+)?$/;

function fieldNorm(value) {
  return norm(value).trim();
}

function fieldNumber(value) {
  const v = fieldNorm(value);
  return NUMBER.test(v) && v.length <= 64 ? Number(v) : null;
}

function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Sorts raw values (undefined: no such field) as the library does. */
function compareFieldValues(a, b) {
  const rank = (v) => (v === undefined ? 0 : fieldNumber(v) !== null ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return fieldNumber(a) - fieldNumber(b);
  if (ra === 2) return compareBytes(fieldNorm(a), fieldNorm(b));
  return 0;
}

function fieldDisplay(value) {
  const n = fieldNumber(value);
  if (n === null) return fieldNorm(value);
  return Number.isInteger(n) && Math.abs(n) < 1e15 ? n.toFixed(0) : String(n);
}

function fieldInRange(value, lo, hi) {
  if (value === undefined) return false;
  const ends = [lo, hi].filter((e) => e !== '');
  const numeric = ends.every((e) => fieldNumber(e) !== null);
  if (numeric) {
    const v = fieldNumber(value);
    return v !== null && (lo === '' || fieldNumber(lo) <= v) && (hi === '' || v <= fieldNumber(hi));
  }
  if (fieldNumber(value) !== null) return false;
  const v = fieldNorm(value);
  return (lo === '' || compareBytes(fieldNorm(lo), v) <= 0) && (hi === '' || compareBytes(v, fieldNorm(hi)) <= 0);
}

/** [{ value, count }] of raw values, the most frequent first, ties in byte order; and distinct. */
function facet(values) {
  const counts = new Map();
  for (const v of values) {
    if (v === undefined) continue;
    const shown = fieldDisplay(v);
    counts.set(shown, (counts.get(shown) || 0) + 1);
  }
  const out = [...counts.entries()].map(([value, count]) => ({ value, count }));
  out.sort((a, b) => b.count - a.count || compareBytes(a.value, b.value));
  return { values: out, distinct: out.length };
}

/** A temporary directory, removed by the returned function. */
function tempDir(prefix = 'zhfts-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The test's sanitizer build, if any (the memory test skips itself there). */
const SANITIZED = process.env.ZHFTS_SANITIZED || '';

module.exports = {
  SAMPLE, T2S, norm, letters, paragraphs, hanOnly, containing, covered, spanChars, readSample,
  TOWN, ASTRAL, FULLWIDTH, TRADITIONAL, SENTENCES, sections, fieldNorm, fieldNumber, compareFieldValues,
  fieldDisplay, fieldInRange, facet, compareBytes, tempDir, SANITIZED,
};
