#!/usr/bin/env python3
"""Parquet task files for @openeurollm/eval's tests, written by pyarrow (the writer Hugging Face
datasets use), so that the reader is tested on files as real datasets ship them:

  test/fixtures/arc-sample.parquet       ARC layout: question, choices {text: [..], label: [..]},
                                         answerKey, with int64 and nested list/struct columns
  test/fixtures/oellm-bad-gold.parquet   { context, choices, gold } whose row 3 has gold 5 (of 3)

The questions are made up for the test (not ARC's). Run:

  python3 -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow
  /tmp/pa/bin/python packages/eval/scripts/task_fixtures.py
"""

import os

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures")

arc = pa.table({
    "id": ["q1", "q2", "q3"],
    "question": ["Which is a colour?", "Wie viele Beine hat eine Spinne?", "Koja je boja neba?"],
    "choices": [
        {"text": ["red", "run", "rain"], "label": ["A", "B", "C"]},
        {"text": ["sechs", "acht", "zehn", "vier"], "label": ["A", "B", "C", "D"]},
        {"text": ["zelena", "plava"], "label": ["1", "2"]},
    ],
    "answerKey": ["A", "B", "2"],
    "lang": ["en", "de", "hr"],
})
pq.write_table(arc, os.path.join(OUT, "arc-sample.parquet"), compression="snappy")

bad = pa.table({
    "context": ["a", "b", "c"],
    "choices": [["x", "y", "z"], ["x", "y", "z"], ["x", "y", "z"]],
    "gold": pa.array([0, 2, 5], type=pa.int64()),
})
pq.write_table(bad, os.path.join(OUT, "oellm-bad-gold.parquet"), compression="snappy")
print("wrote arc-sample.parquet, oellm-bad-gold.parquet")
