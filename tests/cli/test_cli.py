#!/usr/bin/env python3
"""End-to-end tests of the zhfts command and the thin API examples.

usage: test_cli.py ZHFTS KEYWORD_SEARCH PHRASE_SEARCH FILTER_SEARCH SAMPLE_REPORT SAMPLE_LINES
                   [unittest args]

Expected results never come from the program: they are computed here from the
sample's bytes -- paragraphs are maximal runs of non-blank lines, and a Han
keyword matches a paragraph when its normalized form (NFKC, case folding,
Traditional -> Simplified, punctuation and white space dropped) is a substring
of the paragraph's.  Set ZHFTS_TEST_WRAP (e.g. "valgrind -q --error-exitcode=99
--leak-check=full") to run every program under a wrapper.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unicodedata
import unittest

ZHFTS = KEYWORD_SEARCH = PHRASE_SEARCH = FILTER_SEARCH = SAMPLE = SAMPLE_LINES = None
WRAP = os.environ.get("ZHFTS_TEST_WRAP", "").split()
JSON_KEYS = {"rank", "score", "tier", "doc", "para", "offset", "length", "section", "fields",
             "text", "snippet", "spans"}

# The Traditional characters of the sample's one Traditional paragraph (the
# sample is ours, so this table covers it completely).
T2S = str.maketrans("們創劃區協堅學將強標準範與術裡規設讓資質轉這進開關",
                    "们创划区协坚学将强标准范与术里规设让资质转这进开关")


def run(*args, stdin=None, env=None, cwd=None, prog=None):
    """Runs a program (zhfts by default); returns (status, stdout, stderr) as text."""
    e = dict(os.environ)
    e.pop("ZHFTS_DB", None)
    e.update(env or {})
    p = subprocess.run(WRAP + [prog or ZHFTS] + list(args), input=stdin, env=e, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def paragraphs(data, per_line=False):
    """[(start, end)] byte ranges of the paragraphs of a UTF-8 document."""
    out, cur, pos = [], None, 0
    for raw in data.splitlines(keepends=True):
        content = raw.rstrip(b"\r\n")
        blank = content.decode("utf-8").strip() == ""
        if cur and (blank or per_line):
            out.append(tuple(cur))
            cur = None
        if not blank:
            if cur is None:
                cur = [pos, pos + len(content)]
            cur[1] = pos + len(content)
        pos += len(raw)
    if cur:
        out.append(tuple(cur))
    return out


def norm_chars(text, traditional=True):
    """[(normalized character, start byte, end byte in text)], letters and digits only."""
    out, b = [], 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        src = ch.translate(T2S) if traditional else ch
        for c in unicodedata.normalize("NFKC", src).casefold():
            if unicodedata.category(c)[0] in "LN":
                out.append((c, b, b + n))
        b += n
    return out


def norm(text, traditional=True):
    return "".join(c for c, _, _ in norm_chars(text, traditional))


def holds(text, keyword, traditional=True):
    """Whether a paragraph matches one keyword: Han by substring, Latin and
    digits as a whole token."""
    k = norm(keyword, traditional)
    if re.fullmatch(r"[0-9a-z]+", k):
        folded = unicodedata.normalize("NFKC", text).casefold()
        return re.search(r"(?<![0-9a-z])" + re.escape(k) + r"(?![0-9a-z])", folded) is not None
    return k in norm(text, traditional)


class Sample:
    """The sample report and its paragraphs, computed independently."""

    def __init__(self, path, per_line=False):
        with open(path, "rb") as f:
            self.data = f.read()
        self.ranges = paragraphs(self.data, per_line)
        self.texts = [self.data[s:e].decode("utf-8") for s, e in self.ranges]

    def matching(self, pred):
        """Paragraph numbers (from 1) whose text satisfies pred."""
        return {i + 1 for i, t in enumerate(self.texts) if pred(t)}


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zhfts-cli-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, data):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        return p

    def zhfts(self, *args, expect=0, **kw):
        status, out, err = run(*args, **kw)
        self.assertEqual(status, expect, f"zhfts {' '.join(args)}\nstdout: {out}\nstderr: {err}")
        return out, err

    def search_json(self, db, *query, expect=None, extra=(), facets=None):
        status, out, err = run("search", "--db", db, "--format", "json", *extra, *query)
        self.assertIn(status, (0, 1), err)
        hits = [json.loads(line) for line in out.splitlines()]
        if facets is not None:
            # With --facet, one last line: {"facets": {...}, "total": N}.
            self.assertTrue(hits and set(hits[-1]) == {"facets", "total"}, out)
            facets.update(hits.pop())
        self.assertEqual(status, 0 if hits else 1)
        if expect is not None:
            self.assertEqual(status, expect)
        for h in hits:
            self.assertEqual(set(h), JSON_KEYS)
        return hits


class SearchTest(CliTestCase):
    """Searches over the indexed sample report."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="zhfts-cli-db-")
        cls.db = os.path.join(cls.dir, "db")
        cls.sample = Sample(SAMPLE)
        status, out, err = run("index", "--db", cls.db, "--id", "report", SAMPLE)
        assert status == 0, err
        cls.index_out, cls.index_err = out, err

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_hit(self, h):
        """A hit agrees with the sample's own paragraph."""
        s = self.sample
        self.assertEqual(h["doc"], "report")
        self.assertGreaterEqual(h["para"], 1)
        self.assertLessEqual(h["para"], len(s.ranges))
        start, end = s.ranges[h["para"] - 1]
        self.assertEqual(h["offset"], start)
        self.assertEqual(s.data[h["offset"]:h["offset"] + h["length"]].rstrip(b"\r\n"),
                         s.data[start:end])
        self.assertEqual(h["text"], s.texts[h["para"] - 1])
        raw = h["text"].encode("utf-8")
        last = 0
        for off, length in h["spans"]:
            self.assertGreaterEqual(off, last, "spans sorted and disjoint")
            self.assertGreater(length, 0)
            self.assertLessEqual(off + length, len(raw))
            raw[off:off + length].decode("utf-8")  # on character boundaries
            last = off + length
        self.assertTrue(h["snippet"])

    def covered(self, h, keyword):
        """Whether the spans cover a whole occurrence of keyword in the text."""
        chars = norm_chars(h["text"])
        k = norm(keyword)
        s = "".join(c for c, _, _ in chars)
        spans = h["spans"]
        for i in range(len(s)):
            if s.startswith(k, i):
                occ = chars[i:i + len(k)]
                if all(any(o <= a and b <= o + n for o, n in spans) for _, a, b in occ):
                    return True
        return False

    def check_query(self, query, expected, keywords):
        hits = self.search_json(self.db, "--all", query)
        self.assertEqual({h["para"] for h in hits}, expected, query)
        self.assertEqual(len(hits), len(expected), "one hit per paragraph")
        self.assertEqual([h["rank"] for h in hits], list(range(1, len(hits) + 1)))
        scores = [h["score"] for h in hits]
        self.assertEqual(scores, sorted(scores, reverse=True))
        for h in hits:
            self.check_hit(h)
            self.assertTrue(any(self.covered(h, k) for k in keywords), (query, h["text"]))
        return hits

    def test_index_summary(self):
        self.assertEqual(self.index_err, "", "stderr is not a terminal: no progress")
        m = re.match(r"indexed 1 document, (\d+) paragraphs", self.index_out)
        self.assertTrue(m, self.index_out)
        self.assertEqual(int(m.group(1)), len(self.sample.ranges))

    def test_keywords(self):
        for query in ["科学城", "养老", "学位", "发展", "算力", "驿站", "海淀"]:
            with self.subTest(query=query):
                self.assertTrue(self.check_query(query, self.sample.matching(
                    lambda t: holds(t, query)), [query]))

    def test_keywords_and(self):
        for words in [["科学城", "发展"], ["学位", "养老"], ["十九大", "精神"]]:
            with self.subTest(words=words):
                hits = self.check_query(" ".join(words), self.sample.matching(
                    lambda t: all(holds(t, w) for w in words)), words)
                for h in hits:
                    for w in words:
                        self.assertTrue(self.covered(h, w), (w, h["text"]))

    def test_phrase(self):
        self.check_query('"科学城北"', self.sample.matching(lambda t: holds(t, "科学城北")),
                         ["科学城北"])

    def test_traditional_paragraph_found_by_simplified(self):
        expected = self.sample.matching(lambda t: holds(t, "中关村"))
        self.assertTrue(any("中關村" in self.sample.texts[p - 1] for p in expected))
        self.check_query("中关村", expected, ["中关村"])

    def test_unspaced_run_ranks_whole_run_first(self):
        whole = self.sample.matching(lambda t: holds(t, "中关村科学城"))
        hits = self.search_json(self.db, "--all", "中关村科学城")
        self.assertTrue(whole)
        self.assertEqual({h["para"] for h in hits[:len(whole)]}, whole)

    def test_full_width_and_latin(self):
        for query in ["5G", "５Ｇ", "ai", "RISC"]:
            with self.subTest(query=query):
                self.check_query(query, self.sample.matching(lambda t: holds(t, query)),
                                 [query])
        # the compatibility numeral folds: RISC-Ⅴ and RISC-V are the same
        self.assertTrue(any("RISC-Ⅴ" in t for t in self.sample.texts))

    def test_boolean(self):
        m = self.sample.matching
        self.check_query("养老 OR 托育", m(lambda t: holds(t, "养老") or holds(t, "托育")),
                         ["养老", "托育"])
        self.check_query("养老 -驿站", m(lambda t: holds(t, "养老") and not holds(t, "驿站")),
                         ["养老"])
        self.check_query("养老 NOT 驿站", m(lambda t: holds(t, "养老") and not holds(t, "驿站")),
                         ["养老"])
        self.check_query("学位 AND (养老 OR 医院)",
                         m(lambda t: holds(t, "学位") and (holds(t, "养老") or holds(t, "医院"))),
                         ["学位"])

    def test_section(self):
        every = self.search_json(self.db, "--all", "科学城")
        hits = self.search_json(self.db, "--all", "section:任务", "科学城")
        self.assertTrue(hits)
        self.assertEqual({h["para"] for h in hits},
                         {h["para"] for h in every if "任务" in h["section"]})
        # the paragraph right after `任务 2` / `聚焦科学城建设推动高质量发展`
        p = self.sample.matching(lambda t: t.startswith("坚持规划引领"))
        self.assertEqual(len(p), 1)
        (h,) = [h for h in every if h["para"] in p]
        self.assertIn("任务 2 › 聚焦科学城建设推动高质量发展", h["section"])

    def test_no_match(self):
        self.assertEqual(self.sample.matching(lambda t: holds(t, "火星基地")), set())
        status, out, err = run("search", "--db", self.db, "--format", "json", "火星基地")
        self.assertEqual((status, out), (1, ""))
        status, out, err = run("search", "--db", self.db, "火星基地")
        self.assertEqual(status, 1)

    def test_paging(self):
        every = self.search_json(self.db, "--all", "发展")
        self.assertGreater(len(every), 5)
        default = self.search_json(self.db, "发展")
        self.assertEqual(len(default), min(10, len(every)))
        page = self.search_json(self.db, "--limit", "3", "--offset", "2", "发展")
        self.assertEqual([h["rank"] for h in page], [3, 4, 5])
        self.assertEqual([h["para"] for h in page], [h["para"] for h in every[2:5]])
        self.search_json(self.db, "--offset", str(len(every)), "发展", expect=1)

    def test_text_format(self):
        out, err = self.zhfts("search", "--db", self.db, "--color=never", "--limit", "3",
                              "科学城")
        first = self.search_json(self.db, "--limit", "1", "科学城")[0]
        self.assertIn(f"1  report ¶{first['para']}", out)
        self.assertIn("[科学城]", out)
        self.assertNotIn("\x1b", out)
        self.assertIn("--offset 3", out)
        out, err = self.zhfts("search", "--db", self.db, "--color", "always", "科学城")
        self.assertIn("\x1b[1;31m科学城\x1b[0m", out)

    def test_snippet_marks_matches(self):
        for h in self.search_json(self.db, "--all", "科学城 发展"):
            marked = re.findall(r"\[([^\[\]]*)\]", h["snippet"])
            self.assertTrue(marked, h["snippet"])
            for piece in marked:
                self.assertTrue(set(norm(piece)) <= set("科学城发展"), piece)

    def test_query_errors(self):
        for query in ['"科学城', "(科学城", "科学城 OR"]:
            with self.subTest(query=query):
                status, out, err = run("search", "--db", self.db, query)
                self.assertEqual(status, 2)
                self.assertEqual(out, "")
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertRegex(err, r"\d", "the message names the position")

    def test_usage_errors(self):
        for args in [["search", "--db", self.db], ["search", "--bogus", "x"],
                     ["search", "--limit", "x", "y"], ["search", "--limit", "0", "y"],
                     ["search", "--format", "xml", "y"], ["frobnicate"], []]:
            with self.subTest(args=args):
                status, out, err = run(*args)
                self.assertEqual(status, 2)
                self.assertTrue(err)

    def test_stats(self):
        out, _ = self.zhfts("stats", "--db", self.db)
        self.assertRegex(out, r"documents\s+1\n")
        self.assertRegex(out, rf"paragraphs\s+{len(self.sample.ranges)}\n")
        self.assertRegex(out, r"terms\s+[1-9]")

    def test_db_from_environment(self):
        hits = [json.loads(l) for l in
                self.zhfts("search", "--format", "json", "科学城", env={"ZHFTS_DB": self.db})[0]
                .splitlines()]
        self.assertTrue(hits)


class IndexTest(CliTestCase):
    def test_missing_database(self):
        status, out, err = run("search", "--db", self.path("nothing"), "科学城")
        self.assertEqual(status, 2)
        self.assertIn(self.path("nothing"), err)
        status, out, err = run("stats", "--db", self.path("nothing"))
        self.assertEqual(status, 2)

    def test_default_database_in_current_directory(self):
        shutil.copy(SAMPLE, self.path("report.txt"))
        self.zhfts("index", "--quiet", "report.txt", cwd=self.tmp)
        self.assertTrue(os.path.isdir(self.path("zhfts.db")))
        out, _ = self.zhfts("search", "--format", "json", "养老", cwd=self.tmp)
        self.assertEqual(json.loads(out.splitlines()[0])["doc"], "report.txt")

    def test_invalid_bytes_reported_and_skipped(self):
        good = self.write("docs/good.txt", "第一段：建设科学城。\n\n第二段：发展养老服务。\n")
        head = "一段合法的中文文字，后面跟着一个坏字节。" * 4
        bad_offset = len(head.encode("utf-8"))
        self.write("docs/bad.txt", head.encode("utf-8") + b"\xff" + "然后继续。\n".encode("utf-8"))
        self.write("docs/sub/more.md", "子目录里的文件也要索引。\n")
        self.write("docs/ignored.dat", "不是文本文件，不索引。\n")
        db = self.path("db")
        status, out, err = run("index", "--db", db, self.path("docs"))
        self.assertEqual(status, 2)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("bad.txt", lines[0])
        self.assertIn(str(bad_offset), lines[0])
        self.assertIn("1 failed", out)
        docs = {h["doc"] for h in self.search_json(db, "--all", "文件 OR 科学城 OR 坏字节")}
        self.assertEqual(docs, {good, self.path("docs/sub/more.md")})
        self.search_json(db, "不索引", expect=1)

    def test_lenient_and_the_hint(self):
        bad = "一段合法的中文文字，后面跟着坏字节。" * 3
        self.write("bad.txt", bad.encode("utf-8") + b"\xfe\xff" + "科学城。\n".encode("utf-8"))
        db = self.path("db")
        status, out, err = run("index", "--db", db, self.path("bad.txt"))
        self.assertEqual(status, 2)
        self.assertIn(str(len(bad.encode("utf-8"))), err)
        self.assertIn("--encoding", err)
        self.assertIn("--lenient", err)
        self.zhfts("index", "--db", db, "--lenient", self.path("bad.txt"))
        hits = self.search_json(db, "科学城")
        self.assertEqual(len(hits), 1)
        self.assertIn("\ufffd", hits[0]["text"])

    def test_missing_file_others_indexed(self):
        good = self.write("a.txt", "科学城建设稳步推进。\n")
        db = self.path("db")
        status, out, err = run("index", "--db", db, self.path("missing.txt"), good)
        self.assertEqual(status, 2)
        self.assertIn("missing.txt", err)
        self.assertEqual([h["doc"] for h in self.search_json(db, "科学城")], [good])

    def test_reindex_replaces_and_delete(self):
        db = self.path("db")
        doc = self.write("doc.txt", "旧版本的第一段，讲述湖泊治理。\n\n旧版本的第二段。\n\n旧版本的第三段。\n")
        self.zhfts("index", "--db", db, doc)
        self.assertEqual(len(self.search_json(db, "--all", "旧版本")), 3)
        self.write("doc.txt", "新版本只有一段，讲述森林公园。\n")
        out, _ = self.zhfts("index", "--db", db, doc)
        self.assertIn("replaced 3", out)
        self.search_json(db, "旧版本", expect=1)
        (h,) = self.search_json(db, "森林公园")
        self.assertEqual((h["doc"], h["para"], h["offset"]), (doc, 1, 0))
        out, _ = self.zhfts("stats", "--db", db)
        self.assertRegex(out, r"documents\s+1\n")
        self.assertRegex(out, r"paragraphs\s+1\n")
        self.zhfts("delete", "--db", db, doc)
        self.search_json(db, "森林公园", expect=1)
        status, out, err = run("delete", "--db", db, doc)
        self.assertEqual(status, 2)
        self.assertIn(doc, err)

    def test_lines_mode(self):
        db = self.path("db")
        lines = Sample(SAMPLE_LINES, per_line=True)
        out, _ = self.zhfts("index", "--db", db, "--lines", "--id", "lines", SAMPLE_LINES)
        self.assertIn(f"{len(lines.ranges)} paragraphs", out)
        expected = lines.matching(lambda t: holds(t, "科学城北") or holds(t, "5g"))
        hits = self.search_json(db, "--all", '"科学城北" OR 5G')
        self.assertEqual({h["para"] for h in hits}, expected)
        for h in hits:
            self.assertEqual(h["offset"], lines.ranges[h["para"] - 1][0])

    def test_no_traditional(self):
        db = self.path("db")
        sample = Sample(SAMPLE)
        self.zhfts("index", "--quiet", "--no-traditional", "--db", db, SAMPLE)
        for query in ["中关村", "中關村"]:
            hits = self.search_json(db, "--all", "--no-traditional", query)
            self.assertEqual({h["para"] for h in hits},
                             sample.matching(lambda t: holds(t, query, traditional=False)))

    def test_json_escaping_and_terminal_safety(self):
        db = self.path("db")
        doc = self.write("odd.txt", '引号"反斜杠\\制表\t控制\x01转义\x1b[31m红色 火星基地\n')
        self.zhfts("index", "--quiet", "--db", db, doc)
        (h,) = self.search_json(db, "火星基地")
        for piece in ['"', "\\", "\t", "\x01", "\x1b"]:
            self.assertIn(piece, h["text"])
        out, _ = self.zhfts("search", "--db", db, "--color=never", "火星基地")
        self.assertNotIn("\x1b", out)
        self.assertNotIn("\x01", out)

    def test_interrupt_keeps_complete_documents(self):
        """SIGINT while reading a FIFO: the file before it stays indexed, the one
        after is never started; the FIFO's document is all there or absent."""
        db = self.path("db")
        first = self.write("first.txt", "第一个文件讲述科学城。\n")
        last = self.write("last.txt", "最后一个文件也讲述科学城。\n")
        fifo = self.path("pipe.txt")
        os.mkfifo(fifo)
        e = dict(os.environ)
        e.pop("ZHFTS_DB", None)
        # One job: the files in the order given (--jobs defaults to the cores).
        p = subprocess.Popen(WRAP + [ZHFTS, "index", "--jobs", "1", "--db", db, first, fifo, last], env=e,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(fifo, "wb") as w:  # returns once zhfts opened it: first.txt is done
            w.write("管道里的段落讲述科学城".encode("utf-8"))
            w.flush()
            p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 2, err)
        self.assertIn("interrupted", err.decode("utf-8"))
        docs = {h["doc"]: h for h in self.search_json(db, "--all", "科学城")}
        self.assertIn(first, docs)
        self.assertNotIn(last, docs)
        if fifo in docs:
            self.assertEqual(docs[fifo]["text"], "管道里的段落讲述科学城")

    def variants(self):
        """A directory of several documents made from the sample: whole, halves,
        paragraphs reversed, every line a paragraph, a short one.  Returns
        {path: Sample}."""
        sample = Sample(SAMPLE)
        paras = [sample.data[s:e] for s, e in sample.ranges]
        half = len(paras) // 2
        docs = {
            "whole.txt": sample.data,
            "first-half.txt": b"\n\n".join(paras[:half]) + b"\n",
            "second-half.md": b"\n\n".join(paras[half:]) + b"\n",
            "reversed.txt": b"\n\n".join(reversed(paras)) + b"\n",
            "sub/lines.txt": b"\n\n".join(line for line in sample.data.splitlines()
                                         if line.strip()) + b"\n",
            "sub/short.txt": paras[0] + b"\n\n" + paras[-1] + b"\n",
        }
        return {self.write("docs/" + name, data): Sample(self.path("docs/" + name))
                for name, data in docs.items()}

    def doc_paras(self, db, query):
        return {(h["doc"], h["para"]) for h in self.search_json(db, "--all", query)}

    def assert_no_shards(self):
        self.assertEqual([n for n in os.listdir(self.tmp) if ".shard-" in n], [])

    def test_jobs_same_results_as_one_job(self):
        docs = self.variants()
        one, two = self.path("one.db"), self.path("two.db")
        # A new database is built in a shard and compacted into place, with
        # one job as with two.
        out1, _ = self.zhfts("index", "--db", one, "--jobs", "1", self.path("docs"))
        self.assert_no_shards()
        out2, err2 = self.zhfts("index", "--db", two, "--jobs", "2", self.path("docs"))
        self.assertEqual(err2, "")
        self.assert_no_shards()
        paras = sum(len(s.ranges) for s in docs.values())
        for out in (out1, out2):
            self.assertIn(f"indexed {len(docs)} documents, {paras} paragraphs", out)
        for db in (one, two):
            out, _ = self.zhfts("stats", "--db", db)
            self.assertRegex(out, rf"documents\s+{len(docs)}\n")
            self.assertRegex(out, rf"paragraphs\s+{paras}\n")
        for query in ["科学城", "养老", "5G"]:
            with self.subTest(query=query):
                expected = {(path, p) for path, s in docs.items()
                            for p in s.matching(lambda t: holds(t, query))}
                self.assertTrue(expected)
                self.assertEqual(self.doc_paras(one, query), expected)
                self.assertEqual(self.doc_paras(two, query), expected)
        for query in ['"科学城北"', "养老 -驿站", "学位 AND (养老 OR 医院)", "section:任务 发展"]:
            with self.subTest(query=query):
                self.assertTrue(self.doc_paras(one, query))
                self.assertEqual(self.doc_paras(two, query), self.doc_paras(one, query))

    def test_jobs_keep_options_and_report_bad_files(self):
        docs = self.variants()
        head = "合法的文字，然后一个坏字节。" * 3
        self.write("docs/bad.txt", head.encode("utf-8") + b"\xff" + "后文。\n".encode("utf-8"))
        db = self.path("db")
        status, out, err = run("index", "--db", db, "--jobs", "3", "--lines", "--no-traditional",
                               self.path("docs"))
        self.assertEqual(status, 2)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("bad.txt", lines[0])
        self.assertIn(str(len(head.encode("utf-8"))), lines[0])
        self.assertIn("1 failed", out)
        self.assert_no_shards()
        out, _ = self.zhfts("stats", "--db", db)
        self.assertIn("traditional off", out)
        self.assertIn("per line", out)
        per_line = {path: Sample(path, per_line=True) for path in docs}
        expected = {(path, p) for path, s in per_line.items()
                    for p in s.matching(lambda t: holds(t, "中關村", traditional=False))}
        self.assertTrue(expected)
        self.assertEqual(self.doc_paras(db, "中關村"), expected)

    def test_compact_removes_dead_paragraphs(self):
        docs = self.variants()
        db = self.path("db")
        self.zhfts("index", "--quiet", "--db", db, self.path("docs"))
        paths = sorted(docs)
        changed, gone = paths[0], paths[1]
        # re-index one document with other text, delete another
        self.write(os.path.relpath(changed, self.tmp), docs[paths[2]].data)
        self.zhfts("index", "--quiet", "--db", db, changed)
        self.zhfts("delete", "--db", db, gone)
        out, _ = self.zhfts("stats", "--db", db)
        dead = len(docs[changed].ranges) + len(docs[gone].ranges)
        self.assertRegex(out, rf"dead\s+{dead} ")
        live = {p: (Sample(p) if p == changed else s) for p, s in docs.items() if p != gone}
        queries = ["科学城", "养老", "发展"]
        expected = {q: {(p, n) for p, s in live.items() for n in s.matching(lambda t: holds(t, q))}
                    for q in queries}
        for q in queries:
            self.assertEqual(self.doc_paras(db, q), expected[q])
        out, _ = self.zhfts("compact", "--db", db)
        self.assertIn(f"{dead} dead ones removed", out)
        out, _ = self.zhfts("stats", "--db", db)
        self.assertNotIn("dead", out)
        self.assertRegex(out, rf"paragraphs\s+{sum(len(s.ranges) for s in live.values())}\n")
        for q in queries:
            with self.subTest(query=q):
                self.assertTrue(expected[q])
                self.assertEqual(self.doc_paras(db, q), expected[q])
        status, _, err = run("compact", "--db", self.path("nothing"))
        self.assertEqual(status, 2)
        self.assertIn(self.path("nothing"), err)

    def test_jobs_on_existing_database_fall_back_to_one(self):
        docs = self.variants()
        db = self.path("db")
        whole = self.path("docs/whole.txt")
        self.zhfts("index", "--quiet", "--db", db, whole)
        out, err = self.zhfts("index", "--db", db, "--jobs", "2", self.path("docs"))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("new database", err)
        # whole.txt is indexed already, unchanged: not rewritten
        self.assertIn("1 unchanged, not rewritten", out)
        self.assertNotIn("replaced", out)
        self.assert_no_shards()
        expected = {(path, p) for path, s in docs.items()
                    for p in s.matching(lambda t: holds(t, "养老"))}
        self.assertEqual(self.doc_paras(db, "养老"), expected)

    def test_jobs_usage_errors(self):
        doc = self.write("a.txt", "科学城建设稳步推进。\n")
        db = self.path("db")
        for args in [["--jobs", "0"], ["--jobs", "two"], ["--jobs", "-1"], ["--jobs=1.5"],
                     ["--jobs", ""], ["--jobs"]]:
            with self.subTest(args=args):
                status, out, err = run("index", "--db", db, doc, *args)
                self.assertEqual(status, 2)
                self.assertIn("--jobs", err)
                self.assertFalse(os.path.exists(db))

    def start_jobs_on_fifo(self, db):
        """zhfts index --jobs 2 on a file and a FIFO; returns (process, fifo, file).
        The FIFO is the smaller, so it goes to the second worker."""
        first = self.write("first.txt", "第一个文件讲述科学城。\n\n它有两段，也讲述科学城。\n")
        fifo = self.path("pipe.txt")
        os.mkfifo(fifo)
        e = dict(os.environ)
        e.pop("ZHFTS_DB", None)
        p = subprocess.Popen(WRAP + [ZHFTS, "index", "--db", db, "--jobs", "2", first, fifo],
                             env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p, fifo, first

    def test_jobs_interrupt_merges_complete_documents(self):
        db = self.path("db")
        p, fifo, first = self.start_jobs_on_fifo(db)
        with open(fifo, "wb") as w:  # returns once a worker opened it
            w.write("管道里的段落讲述科学城".encode("utf-8"))
            w.flush()
            p.send_signal(signal.SIGINT)  # the parent only: it tells the workers
        out, err = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 2, err)
        self.assertIn("interrupted", err.decode("utf-8"))
        self.assert_no_shards()
        docs = {}
        for h in self.search_json(db, "--all", "科学城"):
            docs.setdefault(h["doc"], []).append(h["para"])
        if first in docs:
            self.assertEqual(sorted(docs[first]), [1, 2])
        if fifo in docs:
            (h,) = self.search_json(db, "管道")
            self.assertEqual(h["text"], "管道里的段落讲述科学城")

    @staticmethod
    def has_open(pid, path):
        """Whether process pid has path open (False if it is gone)."""
        try:
            fds = [os.path.join(f"/proc/{pid}/fd", fd) for fd in os.listdir(f"/proc/{pid}/fd")]
            return any(os.path.realpath(fd) == os.path.realpath(path) for fd in fds)
        except OSError:
            return False

    def test_jobs_killed_worker_nothing_merged(self):
        db = self.path("db")
        p, fifo, first = self.start_jobs_on_fifo(db)
        children = f"/proc/{p.pid}/task/{p.pid}/children"
        with open(fifo, "wb") as w:  # returns once the second worker opened it
            if not os.path.exists(children):
                p.kill()
                p.communicate()
                self.skipTest("no " + children)
            with open(children) as f:
                pids = [int(x) for x in f.read().split()]
            reader = [pid for pid in pids if self.has_open(pid, fifo)]
            self.assertEqual(len(reader), 1, pids)
            os.kill(reader[0], signal.SIGKILL)
        out, err = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 2, err)
        self.assertIn("killed", err.decode("utf-8"))
        self.assertFalse(os.path.exists(db))
        self.assert_no_shards()

    def test_help_and_version(self):
        out, _ = self.zhfts("--version")
        self.assertRegex(out, r"^zhfts \d+\.\d+\.\d+")
        for cmd in ["index", "search", "delete", "stats", "compact", "tokenize", "demo"]:
            with self.subTest(cmd=cmd):
                out, _ = self.zhfts(cmd, "--help")
                self.assertTrue(out.startswith(f"usage: zhfts {cmd}"))
        out, _ = self.zhfts("--help")
        self.assertIn("search", out)


class TokenizeTest(CliTestCase):
    def test_json_tokens(self):
        text = "科學城北的５Ｇ基站，RISC-Ⅴ芯片"
        out, _ = self.zhfts("tokenize", "--format", "json", text)
        tokens = [json.loads(l) for l in out.splitlines()]
        raw = text.encode("utf-8")
        for t in tokens:
            self.assertEqual(raw[t["offset"]:t["offset"] + t["length"]].decode("utf-8"),
                             t["original"])
            self.assertEqual(norm(t["original"]), norm(t["text"]))
        han = "".join(t["text"] for t in tokens if t["kind"] == "han")
        self.assertEqual(han, norm("科學城北的基站芯片"))
        self.assertIn("5g", [t["text"] for t in tokens])
        positions = [t["position"] for t in tokens]
        self.assertEqual(positions, sorted(positions))

    def test_stdin_and_errors(self):
        out, _ = self.zhfts("tokenize", stdin="养老服务".encode("utf-8"))
        self.assertIn("养老", out)
        status, out, err = run("tokenize", stdin=b"ab\xffcd")
        self.assertEqual(status, 2)
        self.assertIn("2", err, "the byte offset of the bad byte")


class FieldsTest(CliTestCase):
    """--field, filters, --sort and --facet, against what the test knows of
    its own reports."""

    REPORTS = [
        # (file, district as given, year, paragraphs)
        ("a.txt", "海淀区", "2020", ["科学城建设取得进展。", "养老服务更加完善。"]),
        ("b.txt", "海淀區", "2021", ["推进科学城北区规划。", "发展数字经济。", "科学城配套服务。"]),
        ("c.txt", "朝阳区", "2019", ["科学城的经验值得学习。"]),
        ("d.txt", "朝阳区", "2022.0", ["养老驿站覆盖社区。"]),
    ]

    def setUp(self):
        super().setUp()
        self.db = self.path("db")
        for name, district, year, paras in self.REPORTS:
            self.write(name, "\n\n".join(paras) + "\n")
            self.zhfts("index", "--db", self.db, "--id", name, "--field", "district=" + district,
                       "--field", "year=" + year, self.path(name))

    def expected(self, pred_doc, word):
        """{(doc, para)} of the reports that pass pred_doc and hold word."""
        return {(name, i + 1) for name, district, year, paras in self.REPORTS
                if pred_doc(district.translate(T2S), float(year))
                for i, t in enumerate(paras) if word in t}

    def test_fields_in_hits(self):
        hits = self.search_json(self.db, "--all", "科学城")
        for h in hits:
            name, district, year, _ = next(r for r in self.REPORTS if r[0] == h["doc"])
            self.assertEqual(h["fields"], {"district": district, "year": year})
            self.assertEqual(h["tier"], 1)

    def test_equality_filter_folds_traditional(self):
        for q in ["科学城 district:海淀区", "科学城 district:海淀區", "district:海淀區 科学城"]:
            with self.subTest(q=q):
                hits = self.search_json(self.db, "--all", q)
                self.assertEqual({(h["doc"], h["para"]) for h in hits},
                                 self.expected(lambda d, y: d == "海淀区", "科学城"))

    def test_ranges_and_negation(self):
        cases = [("科学城 year:2020..2021", lambda d, y: 2020 <= y <= 2021),
                 ("科学城 year:..2020", lambda d, y: y <= 2020),
                 ("养老 year:2021..", lambda d, y: y >= 2021),
                 ("科学城 -district:朝阳区", lambda d, y: d != "朝阳区"),
                 ("(科学城 OR 养老) year:2019..2020.5", lambda d, y: 2019 <= y <= 2020.5)]
        for q, pred in cases:
            with self.subTest(q=q):
                hits = self.search_json(self.db, "--all", q)
                word_pred = lambda t: "科学城" in t or ("养老" in t and "养老" in q)
                want = {(n, i + 1) for n, d, y, ps in self.REPORTS if pred(d.translate(T2S), float(y))
                        for i, t in enumerate(ps)
                        if ("科学城" in t and "科学城" in q) or ("养老" in t and "养老" in q)}
                del word_pred
                self.assertEqual({(h["doc"], h["para"]) for h in hits}, want)

    def test_sort(self):
        hits = self.search_json(self.db, "--all", "--sort", "-year", "科学城 OR 养老")
        years = [float(h["fields"]["year"]) for h in hits]
        self.assertEqual(years, sorted(years, reverse=True))
        hits = self.search_json(self.db, "--all", "--sort", "doc", "科学城 OR 养老")
        keys = [(h["doc"], h["para"]) for h in hits]
        self.assertEqual(keys, sorted(keys))
        status, out, err = run("search", "--db", self.db, "--sort", "height", "科学城")
        self.assertEqual(status, 2)
        self.assertIn("height", err)

    def test_facets(self):
        facets = {}
        hits = self.search_json(self.db, "--limit", "1", "--facet", "district", "--facet", "doc",
                                "--facet", "year", "科学城", facets=facets)
        self.assertEqual(len(hits), 1)
        matches = self.expected(lambda d, y: True, "科学城")
        self.assertEqual(facets["total"], len(matches))
        by_district, by_doc, by_year = {}, {}, {}
        for name, para in matches:
            _, district, year, _ = next(r for r in self.REPORTS if r[0] == name)
            d = district.translate(T2S)
            by_district[d] = by_district.get(d, 0) + 1
            by_doc[name] = by_doc.get(name, 0) + 1
            y = "%g" % float(year)
            by_year[y] = by_year.get(y, 0) + 1
        self.assertEqual(facets["facets"], {"district": by_district, "doc": by_doc, "year": by_year})
        out, err = self.zhfts("search", "--db", self.db, "--facet", "district", "科学城")
        self.assertIn("facets:", out)
        self.assertRegex(out, r"district +海淀区 3")

    def test_filter_errors_name_the_position(self):
        status, out, err = run("search", "--db", self.db, "科学城 heigth:3")
        self.assertEqual(status, 2)
        self.assertIn("heigth", err)
        self.assertIn("byte 10", err)
        status, out, err = run("search", "--db", self.db, "year:2019..abc")
        self.assertEqual(status, 2)
        self.assertIn("byte 0", err)

    def test_bad_field_option(self):
        status, out, err = run("index", "--db", self.db, "--field", "Bad-Name=x", self.path("a.txt"))
        self.assertEqual(status, 2)
        self.assertIn("Bad-Name", err)
        status, out, err = run("index", "--db", self.db, "--field", "novalue", self.path("a.txt"))
        self.assertEqual(status, 2)
        self.assertIn("NAME=VALUE", err)


class ExamplesTest(CliTestCase):
    def test_demo(self):
        out, err = self.zhfts("demo", "--color=never", env={"ZHFTS_SAMPLE": SAMPLE})
        self.assertIn("[科学城]", out)
        self.assertIn("$ zhfts search", out)
        self.zhfts("demo")  # finds the sample by itself
        status, out, err = run("demo", env={"ZHFTS_SAMPLE": self.path("nothing.txt")})
        self.assertEqual(status, 2)

    def test_keyword_search(self):
        sample = Sample(SAMPLE)
        status, out, err = run(SAMPLE, "养老", prog=KEYWORD_SEARCH)
        self.assertEqual(status, 0, err)
        n = len(sample.matching(lambda t: holds(t, "养老")))
        self.assertEqual(len(re.findall(r"^\d+\. ", out, re.M)), min(5, n))
        self.assertIn("[养老]", out)
        self.assertIn("section: ", out)
        status, out, err = run(SAMPLE, "火星基地", prog=KEYWORD_SEARCH)
        self.assertEqual(status, 1)
        status, out, err = run(self.path("missing.txt"), prog=KEYWORD_SEARCH)
        self.assertEqual(status, 2)

    def test_filter_search(self):
        other = self.write("other.txt", "另一份报告（2025年）发布\n\n科学城在这里也有建设。\n")
        sample = Sample(SAMPLE)
        status, out, err = run("海淀区", "2026", SAMPLE, "朝阳区", "2025", other, "--", "科学城",
                               prog=FILTER_SEARCH)
        self.assertEqual(status, 0, err)
        n = len(sample.matching(lambda t: holds(t, "科学城")))
        self.assertRegex(out, r"district: 海淀区 \(%d\) 朝阳区 \(1\)" % n)
        self.assertRegex(out, r"year: 2026 \(%d\) 2025 \(1\)" % n)
        self.assertIn("[科学城]", out)
        status, out, err = run("海淀区", "2026", SAMPLE, "--", "科学城 year:2026..", prog=FILTER_SEARCH)
        self.assertEqual(status, 0, err)
        status, out, err = run("海淀区", "2026", SAMPLE, "--", "科学城 yaer:2026", prog=FILTER_SEARCH)
        self.assertEqual(status, 2)
        self.assertIn("yaer", err)
        self.assertIn(" " * len("科学城 ".encode("utf-8")) + "^", err)

    def test_phrase_search(self):
        sample = Sample(SAMPLE)
        status, out, err = run(SAMPLE, "科学城北", prog=PHRASE_SEARCH)
        self.assertEqual(status, 0, err)
        n = len(sample.matching(lambda t: holds(t, "科学城北")))
        self.assertEqual(len(re.findall(r"^\d+\. ", out, re.M)), min(10, n))
        self.assertIn("match at +", out)
        for m in re.findall(r"match at \+\d+: (.*)", out):
            self.assertEqual(norm(m), "科学城北")
        status, out, err = run(SAMPLE, "火星基地", prog=PHRASE_SEARCH)
        self.assertEqual(status, 1)


if __name__ == "__main__":
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    ZHFTS, KEYWORD_SEARCH, PHRASE_SEARCH, FILTER_SEARCH, SAMPLE, SAMPLE_LINES = map(
        os.path.abspath, sys.argv[1:7])
    unittest.main(argv=[sys.argv[0]] + sys.argv[7:], verbosity=2)
