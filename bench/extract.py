#!/usr/bin/env python3
"""Plain-text Simplified Chinese paragraphs from unpacked Debian documentation packages.

usage: extract.py UNPACKED OUT [--jobs N]

UNPACKED/<package>/ is what `dpkg-deb -x` left for each package.  Every source document
becomes OUT/<source>/<path>.txt in UTF-8: one paragraph per line, a blank line between
paragraphs.  A paragraph is kept when it has at least 4 Han characters and Han makes up at
least a quarter of its non-space characters (menus, code and English leftovers go).

The output depends only on the package contents: documents are visited in sorted order and
nothing about the run (time, paths, job count) reaches the text.
"""
import gzip
import html.parser
import os
import re
import subprocess
import sys
from multiprocessing import Pool

# (source, package, folder inside the package, file name pattern, converter)
SOURCES = [
    ("manpages-zh", "manpages-zh", "usr/share/man/zh_CN", r"\.\d\w*\.gz$", "man"),
    ("gimp-help", "gimp-help-zh-cn", "usr/share/gimp/2.0/help/zh_CN", r"\.html$", "markup"),
    ("debian-reference", "debian-reference-zh-cn", "usr/share/debian-reference", r"\.zh-cn\.html$", "markup"),
    ("debian-edu-doc", "debian-edu-doc-zh-cn", "usr/share/doc/debian-edu-doc-zh-cn", r"\.html$", "markup"),
    ("libreoffice-help", "libreoffice-help-zh-cn", "usr/share/libreoffice/help/zh-CN", r"\.html$", "markup"),
    ("fortunes-zh", "fortunes-zh", "usr/share/games/fortunes", r"^(chinese|song100|tang300)$", "fortune"),
    ("debian-faq", "debian-faq-zh-cn", "usr/share/doc/debian/FAQ/zh-cn", r"\.html$", "markup"),
    ("maint-guide", "maint-guide-zh-cn", "usr/share/doc/maint-guide-zh-cn/html", r"\.html$", "markup"),
    ("debian-handbook", "debian-handbook", "usr/share/doc/debian-handbook/html/zh-CN", r"\.html$", "markup"),
    ("installation-guide", "installation-guide-amd64", "usr/share/doc/installation-guide-amd64/zh_CN", r"\.html$", "markup"),
    ("gnome-user-docs", "gnome-user-docs", "usr/share/help/zh_CN", r"\.page$", "markup"),
    ("linux-doc", "linux-doc-6.1", "usr/share/doc/linux-doc-6.1/Documentation/translations/zh_CN", r"\.rst(\.gz)?$", "rst"),
]

HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
SPACE_RE = re.compile(r"[\s\u00a0\u3000]+")
# zero-width and control characters are invisible to a reader; they would only confuse a search
INVISIBLE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def is_cjk_wide(ch):
    o = ord(ch)
    return 0x2e80 <= o <= 0x9fff or 0xf900 <= o <= 0xfaff or 0xff00 <= o <= 0xff60 or o >= 0x20000


def tidy(raw):
    """One paragraph on one line: hard wraps between two CJK characters vanish, other
    white space runs become one space."""
    raw = INVISIBLE_RE.sub("", raw)
    out = []
    last = 0
    for m in SPACE_RE.finditer(raw):
        out.append(raw[last:m.start()])
        left = raw[m.start() - 1] if m.start() else ""
        right = raw[m.end()] if m.end() < len(raw) else ""
        wrapped = "\n" in m.group(0) and left and right and is_cjk_wide(left) and is_cjk_wide(right)
        if left and right and not wrapped:
            out.append(" ")
        last = m.end()
    out.append(raw[last:])
    return "".join(out).strip()


def keep(p):
    han = len(HAN_RE.findall(p))
    solid = len(p) - p.count(" ")
    return han >= 4 and 4 * han >= solid


def paragraphs(chunks):
    result = []
    for c in chunks:
        p = tidy(c)
        if p and keep(p):
            result.append(p)
    return result


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


# ------------------------------------------------------------------ HTML, XHTML, Mallard
BREAKS = frozenset("""address article blockquote body caption dd div dl dt figcaption figure h1 h2 h3 h4 h5
h6 hr li ol p pre section table td th title tr ul note item steps terms tree desc info
example listing media quote subtitle synopsis screen code""".split())
HIDDEN = frozenset("""script style head nav header footer aside noscript template svg math credit
license revision""".split())
CHROME = ("navheader", "navfooter", "navigation", "docnav", "breadcrumbs", "hidden")
EMPTY = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class BlockText(html.parser.HTMLParser):
    """Collects text, starting a new chunk at every block element; skips hidden subtrees."""

    def __init__(self, xml):
        super().__init__(convert_charrefs=True)
        self.xml = xml
        self.chunks = [[]]
        self.hiding = None  # (tag, depth) of the subtree being skipped

    def _open(self, tag, attrs, closed):
        empty = closed or (not self.xml and tag in EMPTY)
        if self.hiding:
            if tag == self.hiding[0] and not empty:
                self.hiding[1] += 1
            return
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        chrome = any(c in CHROME for c in classes) or "hidden" in a
        if not empty and (tag in HIDDEN or chrome):
            self.hiding = [tag, 1]
        elif tag in BREAKS:
            self.chunks.append([])
        elif tag == "br":
            self.chunks[-1].append("\n")

    def handle_starttag(self, tag, attrs):
        self._open(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs, True)

    def handle_endtag(self, tag):
        if self.hiding:
            if tag == self.hiding[0]:
                self.hiding[1] -= 1
                if self.hiding[1] == 0:
                    self.hiding = None
        elif tag in BREAKS:
            self.chunks.append([])

    def handle_data(self, data):
        if not self.hiding:
            self.chunks[-1].append(data)


def from_markup(path):
    p = BlockText(xml=path.endswith((".page", ".xml")))
    p.feed(load(path))
    p.close()
    return paragraphs("".join(c) for c in p.chunks)


# ------------------------------------------------------------------ roff manual pages
def from_man(path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "MANWIDTH": "2000"}  # wide enough that groff never wraps a line
    r = subprocess.run(["man", "--local-file", "--encoding=UTF-8", path], env=env,
                       capture_output=True, timeout=120)
    text = subprocess.run(["col", "-b", "-x"], input=r.stdout, capture_output=True,
                          env=env, timeout=120).stdout.decode("utf-8", "replace")
    lines = text.split("\n")
    # the first and the last non-blank lines are the running head and foot
    body = [i for i, l in enumerate(lines) if l.strip()]
    if len(body) >= 2:
        lines = lines[body[0] + 1:body[-1]]
    chunks, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            chunks.append(" ".join(cur))
            cur = []
    if cur:
        chunks.append(" ".join(cur))
    return paragraphs(chunks)


# ------------------------------------------------------------------ fortune files
def from_fortune(path):
    text = re.sub(r"\x1b\[[0-9;]*[a-zA-Z]", "", load(path))
    verse = os.path.basename(path) != "chinese"  # poems: each line is a verse, keep it apart
    chunks = re.split(r"^%[ \t]*$", text, flags=re.M)
    if verse:
        chunks = [" ".join(l.strip() for l in c.split("\n") if l.strip()) for c in chunks]
    return paragraphs(chunks)


# ------------------------------------------------------------------ reStructuredText
RST_NOISE = re.compile(r"^\s*(\.\. |[-=~^#*+`'\"_.:<>]{4,}\s*$|:\w[\w -]*:(\s|$))")
RST_ROLE = re.compile(r":[a-z:]+:`([^`<]*?)\s*(<[^>]*>)?`")


def from_rst(path):
    lines = [l for l in load(path).split("\n") if not RST_NOISE.match(l)]
    chunks, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line)
        elif cur:
            chunks.append("\n".join(cur))
            cur = []
    chunks = [RST_ROLE.sub(r"\1", c).replace("**", "").replace("``", "") for c in chunks]
    return paragraphs(chunks)


CONVERTERS = {"man": from_man, "markup": from_markup, "fortune": from_fortune, "rst": from_rst}


def target(source, rel):
    stem = re.sub(r"(\.zh-cn)?\.(html|page|rst|gz)$", "", rel)
    stem = re.sub(r"\.rst$", "", stem)
    stem = re.sub(r"[^A-Za-z0-9._/+-]", "_", stem)
    return os.path.join(source, stem + ".txt")


def convert(task):
    kind, src, dst = task
    try:
        return dst, CONVERTERS[kind](src), None
    except Exception as e:  # one broken page must not stop the corpus
        return dst, [], "%s: %s: %s" % (src, type(e).__name__, e)


def main(argv):
    jobs = os.cpu_count() or 1
    if "--jobs" in argv:
        i = argv.index("--jobs")
        jobs = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) != 2:
        sys.exit(__doc__)
    unpacked, out = argv
    tasks = []
    for source, package, folder, pattern, kind in SOURCES:
        root = os.path.join(unpacked, package, folder)
        if not os.path.isdir(root):
            sys.exit("extract.py: %s: missing (was %s unpacked?)" % (root, package))
        rx = re.compile(pattern)
        for dirpath, dirnames, files in os.walk(root):
            dirnames.sort()
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                if rx.search(name) and os.path.isfile(full):
                    tasks.append((kind, full, target(source, os.path.relpath(full, root))))
    written = set()
    totals = {}
    with Pool(jobs) as pool:
        for dst, paras, err in pool.imap(convert, tasks, chunksize=4):
            if err:
                print("extract.py: warning: " + err, file=sys.stderr)
            if not paras or dst in written:
                continue  # a name seen twice keeps its first (sorted) document
            written.add(dst)
            path = os.path.join(out, dst)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = ("\n\n".join(paras) + "\n").encode("utf-8")
            with open(path, "wb") as f:
                f.write(data)
            t = totals.setdefault(dst.split("/")[0], [0, 0, 0])
            t[0] += 1
            t[1] += len(paras)
            t[2] += len(data)
    for src in sorted(totals):
        f, p, b = totals[src]
        print("  %-20s %6d files %8d paragraphs %7.2f MB" % (src, f, p, b / 1e6))
    f, p, b = (sum(t[i] for t in totals.values()) for i in range(3))
    print("  %-20s %6d files %8d paragraphs %7.2f MB" % ("total", f, p, b / 1e6))


if __name__ == "__main__":
    main(sys.argv[1:])
