#!/usr/bin/env python3
"""One Markdown table from zhfts-bench's RESULT lines: the median of each figure over the
runs, one column per engine, then zhfts's ratio to each peer (zhfts / peer).

usage: table.py RAW.tsv JOBS
"""
import statistics
import sys

raw, jobs = sys.argv[1], sys.argv[2]
runs = {}
for line in open(raw, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) == 4 and f[0] == "RESULT":
        runs.setdefault((f[1], f[2]), []).append(float(f[3]))
med = {k: statistics.median(v) for k, v in runs.items()}

order = ["zhfts", "xapian-ngram", "fts5-trigram", "groonga-bigram"]
engines = [e for e in order if any(k[0] == e for k in med)]
peers = [e for e in engines if e != "zhfts"]
classes = ["han1", "han2", "phrase", "and", "or", "not", "long", "latin", "digit", "filter", "sort", "facet"]
classes = [c for c in classes if any(k[1].endswith("." + c) for k in med)]

# (label, metric, higher is better?)
rows = [
    ("indexing MB/s, 1 writer", "index_mb_s.j1", True),
    ("indexing MB/s, all cores (%s; peers: their one writer)" % jobs, "index_mb_s.j" + jobs, True),
    ("indexing MB per CPU-second, 1 writer", "index_mb_cpu_s.j1", True),
    ("indexing MB per CPU-second, all cores", "index_mb_cpu_s.j" + jobs, True),
    ("indexing paragraphs/s, 1 writer", "index_paras_s.j1", True),
    ("indexing paragraphs/s, all cores", "index_paras_s.j" + jobs, True),
    ("peak RSS indexing MB, 1 writer", "index_rss_mb.j1", False),
    ("peak RSS indexing MB, all cores", "index_rss_mb.j" + jobs, False),
    ("index size / input, 1 writer", "index_size_x.j1", False),
    ("index size / input, all cores", "index_size_x.j" + jobs, False),
    ("QPS top 10, 1 thread", "qps.t1", True),
    ("QPS top 10, 2 threads", "qps.t2", True),
    ("top 10 p50 ms, all text classes", "p50_ms.any", False),
    ("top 10 p99 ms, all text classes", "p99_ms.any", False),
    ("top 10 p50 / p99 ms, field classes (filter, sort, facet)", ("p50_ms.fields", "p99_ms.fields"), False),
]
for c in classes:
    rows += [
        ("%s: top 10 p50 / p95 / p99 / max ms" % c, ("p50_ms", "p95_ms", "p99_ms", "max_ms"), False),
        ("%s: all hits p50 / p99 / max ms" % c, ("all_p50_ms", "all_p99_ms", "all_max_ms"), False),
        ("%s: recall / precision, top 10" % c, ("recall10", "precision10"), True),
        ("%s: recall / precision, all hits" % c, ("recall", "precision"), True),
    ]
    rows[-4:] = [(label, tuple(m + "." + c for m in ms), hb) for label, ms, hb in rows[-4:]]
    if c == "facet":
        rows.append(("facet: facet counts right (share of queries)", "facets_ok.facet", True))

def value(engine, metric):
    v = med.get((engine, metric))
    if v is None and metric.startswith("index_") and engine != "zhfts":
        v = med.get((engine, metric.rsplit(".", 1)[0] + ".j1"))  # peers have one writer
    return v


def fmt(v):
    if v is None:
        return "–"
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.3f" % v


def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else "%.2f" % (a / b)


print("| figure | " + " | ".join(engines) + " | " + " | ".join("zhfts ÷ " + p for p in peers) + " |")
print("|---" * (1 + len(engines) + len(peers)) + "|")
for label, metric, _higher in rows:
    metrics = metric if isinstance(metric, tuple) else (metric,)
    cells = [" / ".join(fmt(value(e, m)) for m in metrics) for e in engines]
    ratios = [" / ".join(ratio(value("zhfts", m), value(p, m)) for m in metrics) for p in peers]
    print("| " + label + " | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
up = [med.get(("zhfts", m)) for m in ("update_seconds", "update_size_x", "change_seconds", "change_docs_s",
                                     "change_size_x", "compact_seconds", "compact_size_x")]
if up[0] is not None:
    print()
    print("Updates (zhfts, on the all-cores database, through the API, committed with fsync): 10%% of the "
          "documents re-indexed unchanged and 5%% deleted in %s s, leaving %s× the input; then another 10%% "
          "re-indexed with a paragraph added in %s s (%s documents/s), leaving %s×; zhfts_db_compact() then "
          "took %s s and left %s×." % tuple(fmt(v) for v in up))
tz, ti = med.get(("zhfts", "tokenize_mb_s")), med.get(("icu-wordbreak", "tokenize_mb_s"))
if tz and ti:
    print()
    print("Tokenizer alone: zhfts %s MB/s, bare ICU word-break loop %s MB/s (zhfts ÷ ICU %.2f)."
          % (fmt(tz), fmt(ti), tz / ti))
print()
print("Ratios are zhfts ÷ peer: above 1 is better for rates, recall and precision; "
      "below 1 is better for times, memory and size.")
