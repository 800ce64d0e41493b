"""The UDHR paragraphs the fixture scripts score: the first paragraph of each of the 30 articles,
per language, from the shared corpus (/work/shared/corpus/eu24, one document per language)."""

import json
import os
import re

LANGS = "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv".split()


def udhr_paragraphs(corpus_dir, lang):
    """The first paragraph of each article of the UDHR in `lang` (30 articles)."""
    with open(os.path.join(corpus_dir, f"{lang}.jsonl"), encoding="utf-8") as f:
        doc = next(d for d in map(json.loads, f) if d["id"] == f"{lang}-udhr")
    lines = [x for x in doc["text"].split("\n") if x.strip()]
    # article headings are short lines with the article's number ("Article 3", "3. cikk")
    heads = [i for i, x in enumerate(lines) if len(x) <= 25 and re.search(r"\d", x)]
    if len(heads) == 29:  # French: "Article premier", the short line before article 2's body
        heads.insert(0, max(i for i in range(heads[0]) if len(lines[i]) <= 25))
    assert len(heads) == 30, (lang, len(heads))
    return [lines[i + 1] for i in heads]
