#!/usr/bin/env python3
"""Index a report and search it: the zhfts Python API in one page.

    python3 search_sample.py [REPORT.txt] [QUERY...]

Without arguments it indexes the project's sample report
(examples/data/sample-report.txt) into a temporary database and runs a few
keyword, phrase, boolean, section and field queries.  The report is given a
field (district); its title and date are guessed from its first lines.
"""

import os
import sys
import tempfile

import zhfts

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, '..', '..', '..', 'examples', 'data', 'sample-report.txt')
QUERIES = ['科学城', '"人工智能"', '养老 OR 托育', '企业 -芯片', 'section:亮点 企业',
           '养老 date:2026-01-01.. district:云川区']


def show(hit):
    # spans are character offsets into hit.text: mark the matches in colour-free brackets
    text, marked, last = hit.text, [], 0
    for start, end in hit.spans:
        marked += [text[last:start], '【', text[start:end], '】']
        last = end
    marked.append(text[last:])
    line = ''.join(marked).replace('\n', ' ')
    print('  %d. %s ¶%d  %s  (%.2f)' % (hit.rank, hit.doc, hit.para, hit.section or '-', hit.score))
    print('     ' + (line if len(line) <= 120 else hit.snippet.replace('\n', ' ')))


def main(argv):
    report = argv[1] if len(argv) > 1 else os.environ.get('ZHFTS_SAMPLE', SAMPLE)
    queries = argv[2:] or QUERIES
    with tempfile.TemporaryDirectory() as tmp:
        with zhfts.Database(os.path.join(tmp, 'db'), writable=True) as db:
            with open(report, 'rb') as f:
                info = db.index(os.path.basename(report), f.read(),  # charset detected
                                fields={'district': '云川区'})
            print('indexed %s: %d paragraphs (%s)' % (report, info.paragraphs, info.encoding))
            print('fields: %s' % db.paragraphs(os.path.basename(report))[0].fields)

        with zhfts.Database(os.path.join(tmp, 'db')) as db:
            for query in queries:
                try:
                    hits = db.search(query, limit=3, exact=True, facets=['doc'])
                except zhfts.QueryError as e:
                    print('%s: %s' % (query, e), file=sys.stderr)
                    return 2
                print('\n%s — %d match(es), showing %d' % (query, hits.total, len(hits)))
                for hit in hits:
                    show(hit)  # spans and snippet are made here, when read
                print('     per document: %s' % ', '.join('%s %d' % vc for vc in hits.facets['doc']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
