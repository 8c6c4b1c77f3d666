"""Independent expectations for the tests: paragraphs and substring search
over normalized text, computed with the standard library only (never with
zhfts), plus the texts the tests index (written for these tests)."""

import os
import re
import unicodedata

SAMPLE = os.environ.get('ZHFTS_SAMPLE') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'examples', 'data', 'sample-report.txt')


# Traditional -> Simplified for the Traditional characters of the test texts
# and the sample report, written by hand (test_unicode checks that the sample
# has no Traditional character missing here).
T2S = dict(zip(
    '們創劃區協堅學將強標準範與術裡規設讓資質轉這進開關鎮經濟穩發葉銷額長兩澱陽',
    '们创划区协坚学将强标准范与术里规设让资质转这进开关镇经济稳发叶销额长两淀阳'))


def norm(text):
    """NFKC + case folding + Traditional to Simplified, as the library
    normalizes (for the characters of T2S)."""
    text = unicodedata.normalize('NFKC', unicodedata.normalize('NFKC', text).casefold())
    return ''.join(T2S.get(c, c) for c in text)


def outside_gb2312(text):
    """Han characters that GB2312 (Simplified only) cannot encode and T2S
    does not map: Traditional characters this module cannot fold."""
    out = set()
    for c in text:
        if unicodedata.name(c, '').startswith('CJK UNIFIED') and c not in T2S:
            try:
                c.encode('gb2312')
            except UnicodeEncodeError:
                out.add(c)
    return out


def letters(text):
    """The normalized text with everything but letters and digits removed:
    keywords match across punctuation and white space."""
    return ''.join(c for c in norm(text) if unicodedata.category(c)[0] in 'LN')


def is_blank(line):
    return line.strip() == ''  # str.strip() also takes NBSP and U+3000


class Para:
    def __init__(self, number, text, start, end):
        self.number = number  # from 1
        self.text = text      # its lines, without the final line break
        self.start = start    # byte range in the UTF-8 document
        self.end = end

    def __repr__(self):
        return 'Para(%d, %r)' % (self.number, self.text[:20])


def paragraphs(doc, per_line=False):
    """Maximal runs of non-blank lines (or every non-blank line)."""
    out, run, pos = [], [], 0
    lines = doc.split('\n')
    for i, line in enumerate(lines):
        nbytes = len(line.encode('utf-8'))
        if is_blank(line) or per_line:
            if per_line and not is_blank(line):
                run.append((pos, pos + nbytes, line))
            if run:
                text = '\n'.join(l for _, _, l in run)
                out.append(Para(len(out) + 1, text, run[0][0], run[-1][1]))
                run = []
        else:
            run.append((pos, pos + nbytes, line))
        pos += nbytes + 1
    if run:
        text = '\n'.join(l for _, _, l in run)
        out.append(Para(len(out) + 1, text, run[0][0], run[-1][1]))
    return out


def han_only(query):
    return all(unicodedata.name(c, '').startswith('CJK UNIFIED') for c in query)


def containing(paras, keyword):
    """Numbers of the paragraphs whose normalized text holds the keyword as a
    contiguous run (Han keywords) or as a whole word (Latin and digits)."""
    key = letters(keyword)
    if han_only(keyword):
        return {p.number for p in paras if key in letters(p.text)}
    word = re.compile(r'(?<![a-z0-9])' + re.escape(key) + r'(?![a-z0-9])')
    return {p.number for p in paras if word.search(norm(p.text))}


def read_sample():
    try:
        with open(SAMPLE, encoding='utf-8') as f:
            return f.read()
    except OSError:
        return None


# A made-up township report, written for these tests.  Headings are numbered
# ("任务 1") like the sample report; keywords in the comments below.
TOWN = """\
云溪镇二〇二六年工作安排

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
"""

class TempDatabase:
    """A writable on-disk database in a fresh directory, removed on exit."""

    def __init__(self, **options):
        self.options = options

    def __enter__(self):
        import tempfile
        import zhfts
        self.dir = tempfile.mkdtemp(prefix='zhfts-py-')
        self.db = zhfts.Database(os.path.join(self.dir, 'db'), writable=True, **self.options)
        return self.db

    def __exit__(self, *exc):
        import shutil
        self.db.close()
        shutil.rmtree(self.dir)


# Sentences for loops and generated documents.
SENTENCES = [
    '全镇新建乡村公路十八公里，改造危旧房屋三百户。',
    '茶叶合作社的销售额增长两成，带动农户增收。',
    '科学城北片区的配套道路全部贯通，园区引进企业九家。',
    '新建卫生院一所，发展社区养老服务，解决看病难题。',
    '加快数字乡村建设，辅助诊疗覆盖全部卫生室。',
]


def covered(text, keywords):
    """Indexes of the letter/digit characters of `text` that belong to an
    occurrence of one of the keywords (ignoring punctuation and white space
    between characters, like the library)."""
    chars, owner = [], []
    for i, c in enumerate(text):
        for n in letters(c):
            chars.append(n)
            owner.append(i)
    flat = ''.join(chars)
    out = set()
    for kw in keywords:
        key = letters(kw)
        if not key:
            continue
        start = flat.find(key)
        while start >= 0:
            end = start + len(key)
            whole = han_only(kw) or (
                (start == 0 or not re.match('[a-z0-9]', flat[start - 1])) and
                (end == len(flat) or not re.match('[a-z0-9]', flat[end])))
            if whole:
                out.update(owner[start:end])
            start = flat.find(key, start + 1)
    return out


def span_chars(text, spans):
    """Indexes of the letter/digit characters inside (start, end) spans."""
    return {i for s, e in spans for i in range(s, e) if letters(text[i])}


# Top-level headings of TOWN and the sample: `任务 1`, `一、...`, `第一章 ...`.
HEADING = re.compile(r'^(\S{2,4} \d+|[一二三四五六七八九十]+、.*|第[一二三四五六七八九十]+章.*)$')


def sections(paras):
    """{paragraph number: the top-level heading it follows}; headings
    themselves map to None.  Only the prefix of a section path is modelled
    (sub-headings under it are not)."""
    out, current = {}, ''
    for p in paras:
        if HEADING.match(p.text.strip()):
            current = p.text.strip()
            out[p.number] = None
        else:
            out[p.number] = current
    return out


# ---- document fields ------------------------------------------------------
# What the header (zhfts.h) says of field values, written from it: values
# are normalized as text is, white space trimmed; a value is a number when
# it is [+-]digits[.digits]; numbers sort before texts, numbers by value and
# texts in byte order of the normalized text; a paragraph without the field
# is the lowest.

NUMBER = re.compile(r'[+-]?[0-9]+(\.[0-9]+)?')


def field_norm(value):
    return norm(value).strip()


def field_number(value):
    """The number a (raw) value is, or None."""
    v = field_norm(value)
    return float(v) if NUMBER.fullmatch(v) and len(v) <= 64 else None


def field_key(value):
    """Sort key of a raw value (None: the paragraph has no such field)."""
    if value is None:
        return (-1,)
    n = field_number(value)
    return (0, n) if n is not None else (1, field_norm(value).encode('utf-8'))


def field_display(value):
    """A value as a facet shows it: normalized; numbers as the shortest
    decimal that reads back the same."""
    n = field_number(value)
    if n is None:
        return field_norm(value)
    if n == int(n) and abs(n) < 1e15:
        return '%.0f' % n
    return repr(n)


def field_in_range(value, lo, hi):
    """NAME:LO..HI (either end '' for an open one): both ends numbers (or a
    number and an open end) compare numbers, and only numbers match;
    otherwise texts, in byte order, and only texts match."""
    if value is None:
        return False
    ends = [e for e in (lo, hi) if e != '']
    numeric = all(field_number(e) is not None for e in ends)
    if numeric:
        v = field_number(value)
        return v is not None and (lo == '' or field_number(lo) <= v) and \
            (hi == '' or v <= field_number(hi))
    if field_number(value) is not None:
        return False
    v = field_norm(value).encode('utf-8')
    return (lo == '' or field_norm(lo).encode('utf-8') <= v) and \
        (hi == '' or v <= field_norm(hi).encode('utf-8'))


def facet(values):
    """[(shown value, count)] of raw values (None: no field), the most
    frequent first, ties in byte order of the value; and the number of
    distinct values."""
    counts = {}
    for v in values:
        if v is not None:
            shown = field_display(v)
            counts[shown] = counts.get(shown, 0) + 1
    out = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode('utf-8')))
    return out, len(out)


# The title and date a document states in its first lines (the rule of
# zhfts_doc_options in zhfts.h, written again here).
SENTENCE_END = '。！？；：'
FILLER = '-—–―([（【《 \u3000\xa0'
WIDE = str.maketrans('０１２３４５６７８９．－／', '0123456789.-/')


def is_han(c):
    return unicodedata.name(c, '').startswith('CJK UNIFIED') or c == '〇'


def first_lines(text, n):
    return [l.strip() for l in text.splitlines() if l.strip()][:n]


def guess_title(text):
    for line in first_lines(text, 5):
        if sum(map(is_han, line)) >= 6 and len(line) <= 100 and line[-1] not in SENTENCE_END:
            return line
    return None


def guess_date(text):
    import datetime
    for line in first_lines(text, 10):
        line = line.lstrip(FILLER).translate(WIDE)
        m = (re.match(r'([0-9]{4})([./-])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])', line) or
             re.match(r'([0-9]{4})(年)([0-9]{1,2})月([0-9]{1,2})日', line))
        if m and not re.match(r'[0-9]{5}', line):
            y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4))
            try:
                datetime.date(y, mo, d)
            except ValueError:
                continue
            if 1900 <= y <= 2199:
                return '%04d-%02d-%02d' % (y, mo, d)
    return None
