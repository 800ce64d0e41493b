"""PyTorch reference training step for `npm run bench` (the anchor for bench/gpt-step.ts).

GPT-2 style decoder, fp32, on the CPU: pre-LayerNorm blocks, causal self-attention, GELU(tanh)
MLP 4x, learned positions, tied input/output embeddings, dropout 0. Vocab 8192, context 128,
d_model 256, 4 layers, 4 heads, batch 8. AdamW (lr 3e-4, betas 0.9/0.95, eps 1e-8, weight decay
0.1 on 2-D weights only). One step = forward + backward + AdamW update on one fixed [8, 128]
batch of seeded random token ids (targets = ids shifted by one), so the loss can drop.

    python3 gpt_step_torch.py --threads N --steps S

Prints one JSON line: tokens_per_s (8*128 / median step seconds over S steps after 2 warm-up
steps), step_ms, peak_rss_mb (VmHWM, else ru_maxrss), threads, torch_version, loss_first (first step),
loss_last (last step), params, attention ("sdpa", or "math" on torch < 2.0, which lacks
F.scaled_dot_product_attention).
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 8192
CONTEXT = 128
D_MODEL = 256
N_LAYERS = 4
N_HEADS = 4
BATCH = 8
WARMUP_STEPS = 2


def _causal_attention_math(q, k, v):
    # torch < 2.0 has no F.scaled_dot_product_attention: the same computation, composed.
    t = q.shape[-2]
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


if hasattr(F, "scaled_dot_product_attention"):
    ATTENTION = "sdpa"

    def attention(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

else:
    ATTENTION = "math"
    attention = _causal_attention_math


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.attn_proj = nn.Linear(D_MODEL, D_MODEL)
        self.ln2 = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.fc = nn.Linear(D_MODEL, 4 * D_MODEL)
        self.mlp_proj = nn.Linear(4 * D_MODEL, D_MODEL)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // N_HEADS
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        # [B, T, D] -> [B, H, T, hd]
        q = q.view(b, t, N_HEADS, hd).transpose(1, 2)
        k = k.view(b, t, N_HEADS, hd).transpose(1, 2)
        v = v.view(b, t, N_HEADS, hd).transpose(1, 2)
        y = attention(q, k, v)
        y = y.transpose(1, 2).reshape(b, t, d)
        x = x + self.attn_proj(y)
        x = x + self.mlp_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, D_MODEL)
        self.wpe = nn.Embedding(CONTEXT, D_MODEL)
        self.blocks = nn.ModuleList(Block() for _ in range(N_LAYERS))
        self.ln_f = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.init_weights()

    @torch.no_grad()
    def init_weights(self):
        # GPT-2: N(0, 0.02) everywhere, residual projections scaled by 1/sqrt(2 * layers),
        # biases zero, LayerNorm weight 1 / bias 0 (nn.LayerNorm's default).
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                nn.init.normal_(mod.weight, mean=0.0, std=0.02)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Embedding):
                nn.init.normal_(mod.weight, mean=0.0, std=0.02)
        resid_std = 0.02 / math.sqrt(2 * N_LAYERS)
        for blk in self.blocks:
            nn.init.normal_(blk.attn_proj.weight, mean=0.0, std=resid_std)
            nn.init.normal_(blk.mlp_proj.weight, mean=0.0, std=resid_std)

    def forward(self, ids, targets):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device)
        x = self.wte(ids) + self.wpe(pos)
        for blk in self.blocks:
            x = blk(x)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t()  # tied lm head
        return F.cross_entropy(logits.view(-1, VOCAB), targets.reshape(-1))


def make_optimizer(model):
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() != 2]
    groups = [
        {"params": decay, "weight_decay": 0.1},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=3e-4, betas=(0.9, 0.95), eps=1e-8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1:
        ap.error("--threads and --steps must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    model = GPT()
    params = sum(p.numel() for p in model.parameters())  # wte counted once (tied)
    opt = make_optimizer(model)

    gen = torch.Generator().manual_seed(args.seed)
    tokens = torch.randint(0, VOCAB, (BATCH, CONTEXT + 1), generator=gen)
    ids = tokens[:, :-1].contiguous()
    targets = tokens[:, 1:].contiguous()

    def step():
        loss = model(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    losses = []
    times = []
    for i in range(WARMUP_STEPS + args.steps):
        t0 = time.perf_counter()
        losses.append(step())
        dt = time.perf_counter() - t0
        if i >= WARMUP_STEPS:
            times.append(dt)

    step_s = statistics.median(times)
    # VmHWM is this process's own high-water mark; ru_maxrss can carry the parent's peak
    # across fork on Linux, so it is only the fallback
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak_kib = int(line.split()[1])
    except OSError:
        pass
    out = {
        "tokens_per_s": BATCH * CONTEXT / step_s,
        "step_ms": step_s * 1e3,
        "peak_rss_mb": peak_kib / 1024,
        "threads": args.threads,
        "torch_version": torch.__version__,
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "params": params,
        "attention": ATTENTION,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
