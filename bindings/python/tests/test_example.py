"""The example in examples/ runs and finds what a substring search finds."""

import os
import subprocess
import sys
import unittest

from support import SAMPLE, containing, guess_date, guess_title, paragraphs, read_sample

EXAMPLE = os.environ.get('ZHFTS_EXAMPLE') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'search_sample.py')


class TestExample(unittest.TestCase):
    def test_runs_on_the_sample(self):
        sample = read_sample()
        if sample is None:
            self.skipTest('no sample report at %s' % SAMPLE)
        out = subprocess.run([sys.executable, EXAMPLE, SAMPLE, '科学城'], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        want = len(containing(paragraphs(sample), '科学城'))
        self.assertIn('indexed %s: %d paragraphs' % (SAMPLE, len(paragraphs(sample))), out)
        self.assertIn('科学城 — %d match(es), showing %d' % (want, min(want, 3)), out)
        self.assertEqual(out.count('【科学城】') >= min(want, 3), True)
        fields = {'district': '云川区', 'title': guess_title(sample), 'date': guess_date(sample)}
        self.assertIn('fields: %s' % fields, out)
        self.assertIn('per document: sample-report.txt %d' % want, out)

    def test_default_queries(self):
        if read_sample() is None:
            self.skipTest('no sample report at %s' % SAMPLE)
        subprocess.run([sys.executable, EXAMPLE], check=True, stdout=subprocess.DEVNULL)


if __name__ == '__main__':
    unittest.main()
