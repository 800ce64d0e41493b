#!/usr/bin/env python3
"""sacreBLEU reference scores for @openeurollm/eval's chrF, chrF++ and BLEU.

Runs the real sacreBLEU (pip package `sacrebleu`, version recorded in the output) on

  1. the test cases sacreBLEU publishes in its repository (test/test_bleu.py, test/test_chrf.py,
     test/test_sentence_bleu.py; copied below with their expected values, Apache-2.0), and
  2. sentence pairs in all 24 official EU languages: paragraphs of the Universal Declaration of
     Human Rights from /work/shared/corpus/eu24 (references) with small seeded edits
     (hypotheses), plus edge cases for the tokenizers (entities, digits, whitespace, non-BMP
     characters, case folding),

and writes test/fixtures/sacrebleu.json: for every case the inputs, the options in the
TypeScript API's names (inputs inline, or from a shared `sets` entry: `set`, `refStreams`, and
`index` for a sentence), sacreBLEU's score (and for BLEU its counts, totals, precisions, brevity
penalty and lengths), its signature and its formatted line.

Run (sacreBLEU from a local wheel mirror or PyPI):

  python3 -m venv /tmp/sb && /tmp/sb/bin/pip install sacrebleu==2.6.0
  /tmp/sb/bin/python packages/eval/scripts/sacrebleu_fixtures.py [corpus_dir] [out.json]
"""

import json
import os
import random
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udhr import LANGS, udhr_paragraphs  # noqa: E402

FORMAT_VERSION = "1"
SCRIPT = "packages/eval/scripts/sacrebleu_fixtures.py"

# ------------------------------------------------------------------------------------------
# metric runners: options use the TypeScript names; the result records what sacreBLEU says


def bleu_metric(o):
    return BLEU(
        lowercase=o.get("lowercase", False),
        tokenize=o.get("tokenize", "13a"),
        smooth_method=o.get("smoothMethod", "exp"),
        smooth_value=o.get("smoothValue"),
        max_ngram_order=o.get("maxNgramOrder", 4),
        effective_order=o.get("effectiveOrder", False),
        force=True,
    )


def chrf_metric(o):
    return CHRF(
        char_order=o.get("charOrder", 6),
        word_order=o.get("wordOrder", 0),
        beta=o.get("beta", 2),
        lowercase=o.get("lowercase", False),
        whitespace=o.get("whitespace", False),
        eps_smoothing=o.get("epsSmoothing", False),
    )


def resolve(case, sets):
    """The inputs of a case: inline, or taken from a shared set (hypotheses and reference streams)
    by `set`, `refStreams` (how many streams) and, for a sentence, `index`."""
    if "set" not in case:
        return case
    data = sets[case["set"]]
    streams = data["references"][:case["refStreams"]]
    if case["level"] == "corpus":
        return {**case, "hypotheses": data["hypotheses"], "references": streams}
    i = case["index"]
    return {**case, "hypothesis": data["hypotheses"][i], "references": [r[i] for r in streams]}


def run_case(case, sets):
    """case: {id, metric, level, inputs (inline or by set), options} -> adds 'sacrebleu'."""
    c = resolve(case, sets)
    o = c["options"]
    m = bleu_metric(o) if c["metric"] == "bleu" else chrf_metric(o)
    if c["level"] == "corpus":
        s = m.corpus_score(c["hypotheses"], c["references"])
    else:
        # sentence level: one hypothesis, references[k] is the k-th reference (a string)
        s = m.sentence_score(c["hypothesis"], c["references"])
    sig = str(m.get_signature())
    out = {"score": s.score, "name": s.name, "signature": sig, "formatted": s.format(signature=sig)}
    if c["metric"] == "bleu":
        out.update(counts=list(s.counts), totals=list(s.totals), precisions=list(s.precisions),
                   bp=s.bp, sysLen=s.sys_len, refLen=s.ref_len)
    case["sacrebleu"] = out
    return case


# ------------------------------------------------------------------------------------------
# 1. sacreBLEU's published test cases (expected values as the test files give them)

_REFS = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
_HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
RAW = {"tokenize": "none", "smoothMethod": "floor", "effectiveOrder": True}


def published_cases():
    cases = []

    def corpus(cid, metric, hyps, refs, options, expected, source):
        cases.append({"id": cid, "metric": metric, "level": "corpus", "hypotheses": list(hyps),
                      "references": [list(r) for r in refs], "options": options,
                      "published": expected, "source": source})

    def sentence(cid, metric, hyp, refs, options, expected, source):
        cases.append({"id": cid, "metric": metric, "level": "sentence", "hypothesis": hyp,
                      "references": list(refs), "options": options, "published": expected,
                      "source": source})

    src = "sacrebleu test/test_bleu.py"
    # test_raw_bleu: raw_corpus_bleu(h, r, .01).score / 100
    for i, (h, r, e) in enumerate([
        (["this is a test", "another test"], [["ref1", "ref2"]], 0.0),
        (["this is a test"], [["this is a test"]], 1.0),
        (["this is a fest"], [["this is a test"]], 0.223606797749979),
    ]):
        corpus(f"test_raw_bleu[{i}]", "bleu", h, r, {**RAW, "smoothValue": 0.01}, e * 100, src)
    # test_corpus_bleu
    for i, (h, r, kw, e) in enumerate([
        (_HYPS, _REFS, {}, 48.530827),
        (("", "", ""), _REFS, {}, 0.0),
        (_HYPS, _REFS, {"tokenize": "none"}, 49.1919566),
        (_HYPS, _REFS, {"tokenize": "13a"}, 48.530827),
        (_HYPS, _REFS, {"tokenize": "intl"}, 43.91623493),
        (_HYPS, _REFS, {"smoothMethod": "none"}, 48.530827),
    ]):
        corpus(f"test_corpus_bleu[{i}]", "bleu", h, r, kw, e, src)
    # test_effective_order
    for i, (h, r, e) in enumerate([
        (["test"], [["a test"]], 0.3678794411714425),
        (["a test"], [["a test"]], 1.0),
        (["a little test"], [["a test"]], 0.03218297948685433),
    ]):
        corpus(f"test_effective_order[{i}]", "bleu", h, r, {**RAW, "smoothValue": 0.01}, e * 100, src)
    # test_statistics (counts [4, 2, 1, 0], totals [6, 5, 4, 3]) and test_offset
    h, r = ["am I am a character sequence"], [["I am a symbol string sequence a a"]]
    corpus("test_statistics[0]", "bleu", h, r, {**RAW, "smoothValue": 0.01}, None, src)
    corpus("test_offset[0].without", "bleu", h, r, {**RAW, "smoothValue": 0.0}, 0.0, src)
    corpus("test_offset[0].with", "bleu", h, r, RAW, 15.55722182, src)
    # test_max_ngram_order
    for order, e in [(1, 77.65), (2, 60.50), (3, 53.93), (4, 48.53), (5, 46.14), (6, 43.28)]:
        corpus(f"test_max_ngram_order[{order}]", "bleu", _HYPS, _REFS, {"maxNgramOrder": order}, e, src)

    src = "sacrebleu test/test_chrf.py"
    chrf_cases = [
        (["abcdefg"], ["hijklmnop"], 0.0), (["a"], ["b"], 0.0), ([""], ["b"], 0.0),
        ([""], ["ref"], 0.0), ([""], ["reference"], 0.0), (["aa"], ["ab"], 8.3333),
        (["a", "b"], ["a", "c"], 8.3333), (["a"], ["a"], 16.6667), (["a b c"], ["a b c"], 50.0),
        (["a b c"], ["abc"], 50.0),
        ([" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."],
         ["risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."], 63.361730),
        ([" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "],
         ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."], 64.1302698),
        (["Niemand hat die Absicht, eine Mauer zu errichten"], ["Niemand hat die Absicht, eine Mauer zu errichten"], 100.0),
    ]
    for i, (h, r, e) in enumerate(chrf_cases):
        corpus(f"test_chrf[{i}]", "chrf", h, [r], {"beta": 3, "epsSmoothing": True}, e, src)
    for i, (h, r, e) in enumerate([
        (["a"], ["a"], 100.0), ([""], ["reference"], 0.0), (["a b c"], ["a b c"], 100.0),
        (["a b c"], ["abc"], 100.0), ([""], ["c"], 0.0), (["a", "b"], ["a", "c"], 50.0),
        (["aa"], ["ab"], 25.0),
    ]):
        corpus(f"test_chrf_eff_order[{i}]", "chrf", h, [r], {"beta": 3}, e, src)
    for i, (h, r, e) in enumerate([
        (["Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."],
         ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."], 67.3481606),
        (["risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."],
         ["risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."], 65.2414427),
    ]):
        corpus(f"test_chrf_keep_whitespace[{i}]", "chrf", h, [r], {"beta": 3, "whitespace": True}, e, src)
    for i, (h, r, e) in enumerate([
        ("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
         ["Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."], 39.14078509),
        ("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
         ["A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři."], 31.22557079),
        ("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
         ["Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli."], 57.15704367),
    ]):
        sentence(f"test_chrf_sentence_level[{i}]", "chrf", h, r, {"epsSmoothing": True}, e, src)

    src = "sacrebleu test/test_sentence_bleu.py"
    ref = "producţia de zahăr brut se exprimă în zahăr alb;"
    sys_ = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"
    for i, (sm, sv, lc, tok, e) in enumerate([
        ("exp", None, False, "13a", 8.493), ("none", None, False, "13a", 0.0),
        ("floor", None, False, "13a", 4.51688), ("floor", 0.1, False, "13a", 4.51688),
        ("floor", 0.5, False, "13a", 10.10), ("add-k", None, False, "13a", 14.882),
        ("add-k", 1, False, "13a", 14.882), ("add-k", 2, False, "13a", 21.389),
        ("exp", None, False, "none", 7.347), ("exp", None, False, "intl", 8.493),
        ("exp", None, False, "char", 40.8759), ("exp", None, True, "char", 42.0267),
    ]):
        o = {"smoothMethod": sm, "lowercase": lc, "tokenize": tok, "effectiveOrder": True}
        if sv is not None:
            o["smoothValue"] = sv
        sentence(f"test_api_sentence_bleu[{i}]", "bleu", sys_, [ref], o, e, src)
    for i, (sm, sv) in enumerate([("exp", None), ("none", None), ("floor", None), ("floor", 0.1),
                                  ("add-k", None), ("add-k", 1)]):
        o = {"smoothMethod": sm, "effectiveOrder": True}
        if sv is not None:
            o["smoothValue"] = sv
        sentence(f"test_api_sentence_bleu_zero[{i}]", "bleu", "this is a cat", ["okay thanks"], o, 0.0, src)
    return cases


# ------------------------------------------------------------------------------------------
# 2. multilingual cases from the UDHR in 24 languages


def edit(sentence, rng, pool):
    """One to three small edits a translation system could make."""
    words = sentence.split(" ")
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["drop", "swap", "dup", "replace", "char", "case", "punct"])
        i = rng.randrange(len(words))
        if kind == "drop" and len(words) > 3:
            del words[i]
        elif kind == "swap" and i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
        elif kind == "dup":
            words.insert(i, words[i])
        elif kind == "replace":
            words[i] = rng.choice(pool)
        elif kind == "char" and len(words[i]) > 3:
            j = rng.randrange(1, len(words[i]) - 1)
            words[i] = words[i][:j] + words[i][j + 1:]
        elif kind == "case":
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i].lower()
        elif kind == "punct":
            words[-1] = words[-1].rstrip(".;,") if words[-1][-1:] in ".;," else words[-1] + ","
    return " ".join(words)


def multilingual_cases(corpus_dir, sets):
    cases = []
    for lang in LANGS:
        rng = random.Random(f"oellm-eval-{lang}")
        paras = udhr_paragraphs(corpus_dir, lang)
        refs = paras[:8]
        pool = " ".join(paras[8:]).split()
        hyps = [edit(r, rng, pool) for r in refs]
        refs2 = [edit(r, rng, pool) for r in refs]
        sets[lang] = {"hypotheses": hyps, "references": [refs, refs2]}

        def corpus(name, metric, nrefs, options):
            cases.append({"id": f"{lang}/{name}", "lang": lang, "metric": metric, "level": "corpus",
                          "set": lang, "refStreams": nrefs, "options": options})

        corpus("bleu", "bleu", 1, {})
        corpus("bleu-2refs", "bleu", 2, {})
        corpus("bleu-intl", "bleu", 1, {"tokenize": "intl"})
        corpus("bleu-char-lc", "bleu", 1, {"tokenize": "char", "lowercase": True})
        corpus("chrf", "chrf", 1, {})
        corpus("chrf++", "chrf", 1, {"wordOrder": 2})
        corpus("chrf++-2refs", "chrf", 2, {"wordOrder": 2})
        corpus("chrf-lc", "chrf", 1, {"lowercase": True})
        for i in range(len(refs)):
            cases.append({"id": f"{lang}/sentence-bleu[{i}]", "lang": lang, "metric": "bleu",
                          "level": "sentence", "set": lang, "index": i, "refStreams": 2,
                          "options": {"effectiveOrder": True}})
            cases.append({"id": f"{lang}/sentence-chrf++[{i}]", "lang": lang, "metric": "chrf",
                          "level": "sentence", "set": lang, "index": i, "refStreams": 1,
                          "options": {"wordOrder": 2}})
    return cases


def edge_cases(sets):
    """Inputs where a port is most likely to differ: 13a's entity and dash rules, digits with
    separators, Python's whitespace set (\\x1c-\\x1f, \\x85, NBSP, U+3000; not U+FEFF), characters
    outside the BMP, final sigma and dotted capital I under lowercasing, a missing reference."""
    hyps = [
        "Tom &amp; Jerry &lt;3 &quot;cheese&quot; <skipped> - 1,000.5 km, 3-4 days.",
        "Das kostet 12,50 € (inkl. MwSt.)- oder nicht?",
        "ΟΔΥΣΣΕΑΣ ΚΑΙ ΣΟΦΙΑ ΣΤΗΝ ΙΘΑΚΗ.",
        "İSTANBUL ve IĞDIR",
        "emoji 😀 test 𝔘𝔫𝔦 end.",
        "a\x1cb\x85c\u00a0d\u3000e\ufefff g",
        "line-\nbreak and\nnewline",
        "(hi) [there] {x}",
    ]
    refs = [
        "Tom & Jerry <3 \"cheese\" - 1,000.5 km, 3 - 4 days.",
        "Das kostet 12,50 € (inkl. MwSt.) - oder nicht!",
        "Οδυσσέας και Σοφία στην Ιθάκη.",
        "istanbul ve ığdır",
        "emoji 😀 test 𝔘𝔫𝔦 end!",
        "a b c d e\ufefff g",
        "linebreak and newline",
        "(hi) [there] {y}",
    ]
    refs2 = [r.upper() if i % 2 else None for i, r in enumerate(refs)]
    sets["edge"] = {"hypotheses": hyps, "references": [refs, refs2]}
    cases = []
    for tok in ["13a", "intl", "char", "none"]:
        for lc in [False, True]:
            cases.append({"id": f"edge/bleu-{tok}{'-lc' if lc else ''}", "metric": "bleu",
                          "level": "corpus", "set": "edge", "refStreams": 1,
                          "options": {"tokenize": tok, "lowercase": lc}})
    cases.append({"id": "edge/bleu-var-refs", "metric": "bleu", "level": "corpus",
                  "set": "edge", "refStreams": 2, "options": {}})
    for wo in [0, 2]:
        for lc in [False, True]:
            for ws in [False, True]:
                cases.append({"id": f"edge/chrf-nw{wo}{'-lc' if lc else ''}{'-ws' if ws else ''}",
                              "metric": "chrf", "level": "corpus", "set": "edge",
                              "refStreams": 1, "options": {"wordOrder": wo, "lowercase": lc, "whitespace": ws}})
    cases.append({"id": "edge/chrf-var-refs", "metric": "chrf", "level": "corpus",
                  "set": "edge", "refStreams": 2, "options": {"wordOrder": 2}})
    for i in range(len(hyps)):
        cases.append({"id": f"edge/sentence-bleu-13a[{i}]", "metric": "bleu", "level": "sentence",
                      "set": "edge", "index": i, "refStreams": 1, "options": {"effectiveOrder": True}})
    return cases


def dump_lines(doc):
    """JSON with one set and one case per line (reviewable diffs, no indentation bloat)."""
    def one(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    head = ",\n".join(f" {one(k)}:{one(v)}" for k, v in doc.items() if k not in ("sets", "cases"))
    sets = ",\n".join(f"  {one(k)}:{one(v)}" for k, v in doc["sets"].items())
    cases = ",\n".join(f"  {one(c)}" for c in doc["cases"])
    return f"{{\n{head},\n \"sets\":{{\n{sets}\n }},\n \"cases\":[\n{cases}\n ]\n}}\n"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    corpus_dir = argv[0] if argv else "/work/shared/corpus/eu24"
    out = argv[1] if len(argv) > 1 else os.path.join(here, "..", "test", "fixtures", "sacrebleu.json")
    sets = {}
    cases = published_cases() + multilingual_cases(corpus_dir, sets) + edge_cases(sets)
    cases = [run_case(c, sets) for c in cases]
    for c in cases:
        if c.get("published") is not None:
            # sacreBLEU must reproduce its own published numbers (the tests allow 1e-3 at most)
            assert abs(c["sacrebleu"]["score"] - c["published"]) < 1e-2, c["id"]
    doc = {
        "format_version": FORMAT_VERSION,
        "generator": SCRIPT,
        "remake": f"python {SCRIPT} (with sacrebleu=={sacrebleu.__version__} installed)",
        "sacrebleu_version": sacrebleu.__version__,
        "python_version": sys.version.split()[0],
        "corpus": "UDHR paragraphs from /work/shared/corpus/eu24 (npm udhr@6.0.0), 24 languages",
        "sets": sets,
        "cases": cases,
    }
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(dump_lines(doc))
    os.replace(tmp, out)
    print(f"{out}: {len(cases)} cases, sacreBLEU {sacrebleu.__version__}")


if __name__ == "__main__":
    main(sys.argv[1:])
