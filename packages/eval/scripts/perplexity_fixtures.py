#!/usr/bin/env python3
"""PyTorch reference numbers for @openeurollm/eval's perplexity and bits-per-byte.

Loads the two PyTorch-made fixture models of @openeurollm/nn (packages/nn/test/fixtures/gpt2
and llama: vocab 96, context 32) with that package's plain-PyTorch reference
(packages/nn/scripts/torch_reference.py), scores UDHR paragraphs in all 24 EU languages with
sliding windows, and writes test/fixtures/perplexity.json: per model, per window setting, per
language the scored tokens, UTF-8 bytes, total negative log-likelihood (nats), perplexity and
bits per byte, and the same pooled over all languages.

Tokenization (the fixture models have 96 ids, so no real tokenizer fits): one token per UTF-8
byte, id = byte % 96. The TypeScript test encodes the same way.

Windows (the definition the TypeScript code implements): seq = [prefix] + tokens (no prefix
when it is null); position j >= 1 is predicted from seq[:j]. The first window predicts
positions 1..min(C, L-1) from seq[0:C]; each next window predicts the next `stride` positions
p+1..e with input seq[max(0, e-C):e]. With stride = C the windows equal
lm-evaluation-harness's get_rolling_token_windows (checked below).

Run with Debian's torch:  /usr/bin/python3 packages/eval/scripts/perplexity_fixtures.py
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
NN = os.path.join(HERE, "..", "..", "nn")
sys.path.insert(0, os.path.join(NN, "scripts"))
import torch_reference as ref  # noqa: E402

sys.path.insert(0, HERE)
from udhr import LANGS, udhr_paragraphs  # noqa: E402

FORMAT_VERSION = "1"
SCRIPT = "packages/eval/scripts/perplexity_fixtures.py"
VOCAB = 96
SETTINGS = [
    {"name": "ctx32-stride32", "contextLength": 32, "stride": 32, "prefix": "default"},
    {"name": "ctx32-stride8", "contextLength": 32, "stride": 8, "prefix": "default"},
    {"name": "ctx16-stride5-noprefix", "contextLength": 16, "stride": 5, "prefix": None},
]


def encode(text):
    return [b % VOCAB for b in text.encode("utf-8")]


def windows(tokens, prefix, C, stride):
    """[(input ids, k, the k targets of the last k input positions)], as the docstring says."""
    seq = list(tokens) if prefix is None else [prefix] + list(tokens)
    L = len(seq)
    out = []
    p = 0  # positions 1..p are predicted so far
    while p < L - 1:
        e = min(C, L - 1) if p == 0 else min(p + stride, L - 1)  # this window predicts p+1..e
        out.append((seq[max(0, e - C):e], e - p, seq[p + 1:e + 1]))
        p = e
    return out


def lm_eval_rolling_windows(token_list, prefix_token, max_seq_len, context_len=1):
    """lm-evaluation-harness's get_rolling_token_windows (lm_eval/utils.py), for the check."""
    assert 1 <= context_len <= max_seq_len
    if not token_list:
        return
    pred_len = max_seq_len - context_len + 1
    predicted = 0
    first_seq_len = min(max_seq_len, len(token_list))
    yield [prefix_token] + token_list[: first_seq_len - 1], token_list[:first_seq_len]
    predicted += first_seq_len
    while predicted < len(token_list):
        window_pred_len = min(len(token_list) - predicted, pred_len)
        window_end = predicted + window_pred_len
        yield (token_list[window_end - max_seq_len - 1: window_end - 1],
               token_list[window_end - window_pred_len: window_end])
        predicted += window_pred_len


def nll_of(params, cfg, forward, inp, k, tgt):
    """Negative log-likelihood (float64 sum of float32 per-token losses) of the last k targets."""
    ids = torch.tensor([inp], dtype=torch.int64)
    with torch.no_grad():
        logits = forward(params, cfg, ids)[0]  # [T, V]
        losses = F.cross_entropy(logits[-k:], torch.tensor(tgt, dtype=torch.int64), reduction="none")
    return sum(float(x) for x in losses)


def run_model(arch, texts):
    modeldir = os.path.join(NN, "test", "fixtures", arch)
    cfg = ref.load_config(modeldir)
    params = ref.check_params(cfg, ref.load_state_dict(modeldir), modeldir)
    forward = ref.gpt2_forward if cfg["model_type"] == "gpt2" else ref.llama_forward
    default_prefix = cfg.get("bos_token_id")
    out = {}
    for s in SETTINGS:
        prefix = default_prefix if s["prefix"] == "default" else None
        C, stride = s["contextLength"], s["stride"]
        rows = []
        for lang in LANGS:
            row = {"lang": lang, "texts": 0, "tokens": 0, "bytes": 0, "nll": 0.0}
            for text in texts[lang]:
                toks = encode(text)
                ws = windows(toks, prefix, C, stride)
                if stride == C and prefix is not None:
                    ours = [(inp, tgt[-k:]) for inp, k, tgt in ws]
                    theirs = list(lm_eval_rolling_windows(toks, prefix, C))
                    assert ours == [(a, b) for a, b in theirs], f"{arch} {lang}: windows differ from lm-eval's"
                row["texts"] += 1
                row["bytes"] += len(text.encode("utf-8"))
                for inp, k, tgt in ws:
                    assert len(tgt) == k and len(inp) <= C
                    row["nll"] += nll_of(params, cfg, forward, inp, k, tgt)
                    row["tokens"] += k
            rows.append(row)
        total = {"lang": "all", **{key: sum(r[key] for r in rows) for key in ("texts", "tokens", "bytes", "nll")}}
        for r in rows + [total]:
            r["perplexity"] = math.exp(r["nll"] / r["tokens"])
            r["bitsPerByte"] = r["nll"] / math.log(2) / r["bytes"]
        out[s["name"]] = {"contextLength": C, "stride": stride, "prefixTokenId": prefix,
                          "languages": rows, "all": total}
        print(f"{arch} {s['name']}: ppl {total['perplexity']:.4f}, bpb {total['bitsPerByte']:.4f}, "
              f"{total['tokens']} tokens")
    return out


def main(argv):
    torch.set_num_threads(1)
    corpus_dir = argv[0] if argv else "/work/shared/corpus/eu24"
    out_path = argv[1] if len(argv) > 1 else os.path.join(HERE, "..", "test", "fixtures", "perplexity.json")
    texts = {}
    for lang in LANGS:
        paras = udhr_paragraphs(corpus_dir, lang)
        texts[lang] = [paras[0], paras[2]]  # articles 1 and 3
    doc = {
        "format_version": FORMAT_VERSION,
        "generator": SCRIPT,
        "remake": f"/usr/bin/python3 {SCRIPT}",
        "torch_version": torch.__version__,
        "models": "packages/nn/test/fixtures/{gpt2,llama} through packages/nn/scripts/torch_reference.py",
        "tokenization": "one token per UTF-8 byte, id = byte % 96",
        "texts_source": "UDHR articles 1 and 3 (first paragraph), /work/shared/corpus/eu24 (npm udhr@6.0.0)",
        "nll": "float64 sum of float32 per-token cross entropies (nats)",
        "texts": texts,
        "results": {arch: run_model(arch, texts) for arch in ("gpt2", "llama")},
    }
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, out_path)
    print(out_path)


if __name__ == "__main__":
    main(sys.argv[1:])
