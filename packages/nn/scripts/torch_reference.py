#!/usr/bin/env python3
"""PyTorch reference for @openeurollm/nn.

Plain-PyTorch forward passes of Hugging Face's GPT2LMHeadModel and LlamaForCausalLM, written
from the architectures (no `transformers` needed), reading a Hugging Face model folder
(config.json with HF field names, model.safetensors with HF parameter names), with a small
safetensors reader and writer (no `safetensors` package needed).

Modes:

  fixtures [outdir]                          the parity fixtures of packages/nn/test/fixtures
  logits <modeldir> <input.json> [out.json]  logits of a model folder as JSON

Run with Debian's torch:  /usr/bin/python3 packages/nn/scripts/torch_reference.py fixtures
See README.md beside this file for what the fixtures hold.
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

# Bump when the layout or the meaning of a fixture changes; the TypeScript tests check it.
FIXTURE_FORMAT_VERSION = "1"
SCRIPT = "packages/nn/scripts/torch_reference.py"
REMAKE = f"/usr/bin/python3 {SCRIPT} fixtures"

# ------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length N, N bytes of JSON, then the byte buffer.

# dtype strings in the order of the reference implementation's enum; its writer sorts tensors
# by this order, last first, then by name (so every tensor is aligned to its element size).
ST_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
            "I32", "U32", "F32", "F64", "I64", "U64"]
ST_TO_TORCH = {
    "BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
    "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32, "F32": torch.float32,
    "F64": torch.float64, "I64": torch.int64,
}
TORCH_TO_ST = {v: k for k, v in ST_TO_TORCH.items()}


def st_write(path, tensors, metadata=None):
    """Writes a dict of tensors like the reference writer (sorted, header padded to 8 bytes)."""
    assert sys.byteorder == "little", "the writer assumes a little-endian host"
    items = sorted(tensors.items(), key=lambda kv: (-ST_ORDER.index(TORCH_TO_ST[kv[1].dtype]), kv[0]))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in items:
        t = t.detach().contiguous()
        blob = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def st_read(path):
    """Reads a safetensors file: ({name: tensor}, metadata). Checks sizes and coverage."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} is larger than the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    buf = memoryview(data)[8 + n:]
    tensors = {}
    spans = []
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in ST_TO_TORCH:
            raise ValueError(f"{path}: tensor {name!r}: dtype {dtype} is not supported here")
        tdtype = ST_TO_TORCH[dtype]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        itemsize = torch.empty((), dtype=tdtype).element_size()
        if end - begin != math.prod(shape) * itemsize or end > len(buf):
            raise ValueError(f"{path}: tensor {name!r}: bad data_offsets {info['data_offsets']}")
        spans.append((begin, end))
        if end == begin:
            tensors[name] = torch.empty(shape, dtype=tdtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(buf[begin:end]), dtype=tdtype).reshape(shape)
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ValueError(f"{path}: the byte buffer has a hole or an overlap at {pos}")
        pos = end
    if pos != len(buf):
        raise ValueError(f"{path}: {len(buf) - pos} bytes at the end belong to no tensor")
    return tensors, metadata


# ------------------------------------------------------------------------------------------
# model folders


def load_config(modeldir):
    with open(os.path.join(modeldir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    if cfg.get("model_type") not in ("gpt2", "llama"):
        raise ValueError(f"{modeldir}/config.json: model_type {cfg.get('model_type')!r} "
                         "is not supported (expected 'gpt2' or 'llama')")
    return cfg


def load_state_dict(modeldir):
    """model.safetensors, or the shards named by model.safetensors.index.json; floats -> f32."""
    single = os.path.join(modeldir, "model.safetensors")
    index = os.path.join(modeldir, "model.safetensors.index.json")
    if os.path.exists(single):
        files = [single]
    elif os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = [os.path.join(modeldir, s) for s in sorted(set(json.load(f)["weight_map"].values()))]
    else:
        raise FileNotFoundError(f"{modeldir}: no model.safetensors (nor an index of shards)")
    state = {}
    for path in files:
        tensors, _ = st_read(path)
        for name, t in tensors.items():
            state[name] = t.float() if t.is_floating_point() else t
    return state


def gpt2_inner(cfg):
    # n_inner null means 4 * n_embd
    return cfg.get("n_inner") or 4 * cfg["n_embd"]


def gpt2_tied(cfg):
    return cfg.get("tie_word_embeddings", True)  # HF's default for every model


def llama_head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def param_specs(cfg):
    """[(HF name, shape, kind)] in definition order; kind picks the fixture initialisation."""
    specs = []
    if cfg["model_type"] == "gpt2":
        V, P, C, inner = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], gpt2_inner(cfg)
        specs += [("transformer.wte.weight", [V, C], "weight"),
                  ("transformer.wpe.weight", [P, C], "weight")]
        for i in range(cfg["n_layer"]):
            h = f"transformer.h.{i}."
            # Conv1D layers store the weight as [in, out]: y = x @ W + b
            specs += [(h + "ln_1.weight", [C], "norm"), (h + "ln_1.bias", [C], "bias"),
                      (h + "attn.c_attn.weight", [C, 3 * C], "weight"),
                      (h + "attn.c_attn.bias", [3 * C], "bias"),
                      (h + "attn.c_proj.weight", [C, C], "weight"),
                      (h + "attn.c_proj.bias", [C], "bias"),
                      (h + "ln_2.weight", [C], "norm"), (h + "ln_2.bias", [C], "bias"),
                      (h + "mlp.c_fc.weight", [C, inner], "weight"),
                      (h + "mlp.c_fc.bias", [inner], "bias"),
                      (h + "mlp.c_proj.weight", [inner, C], "weight"),
                      (h + "mlp.c_proj.bias", [C], "bias")]
        specs += [("transformer.ln_f.weight", [C], "norm"), ("transformer.ln_f.bias", [C], "bias")]
        if not gpt2_tied(cfg):
            specs.append(("lm_head.weight", [V, C], "weight"))
    else:
        V, C, inner = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
        H, KV, D = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"], llama_head_dim(cfg)
        specs.append(("model.embed_tokens.weight", [V, C], "weight"))
        for i in range(cfg["num_hidden_layers"]):
            l = f"model.layers.{i}."
            # nn.Linear stores the weight as [out, in]: y = x @ W.T
            specs += [(l + "input_layernorm.weight", [C], "norm"),
                      (l + "self_attn.q_proj.weight", [H * D, C], "weight"),
                      (l + "self_attn.k_proj.weight", [KV * D, C], "weight"),
                      (l + "self_attn.v_proj.weight", [KV * D, C], "weight"),
                      (l + "self_attn.o_proj.weight", [C, H * D], "weight"),
                      (l + "post_attention_layernorm.weight", [C], "norm"),
                      (l + "mlp.gate_proj.weight", [inner, C], "weight"),
                      (l + "mlp.up_proj.weight", [inner, C], "weight"),
                      (l + "mlp.down_proj.weight", [C, inner], "weight")]
        specs.append(("model.norm.weight", [C], "norm"))
        if not cfg.get("tie_word_embeddings", False):  # LlamaConfig's default is False
            specs.append(("lm_head.weight", [V, C], "weight"))
    return specs


def check_params(cfg, state, where):
    """Maps a loaded state dict onto the names of param_specs, checking names and shapes."""
    state = dict(state)
    if cfg["model_type"] == "gpt2":
        # GPT2Model checkpoints (e.g. the original "gpt2") have no "transformer." prefix and
        # may carry the causal-mask buffers attn.bias / attn.masked_bias.
        state = {(k if k.startswith(("transformer.", "lm_head.")) else "transformer." + k): v
                 for k, v in state.items()}
        state = {k: v for k, v in state.items()
                 if not (k.endswith(".attn.bias") or k.endswith(".attn.masked_bias"))}
        tied, head = gpt2_tied(cfg), "transformer.wte.weight"
    else:
        state = {k: v for k, v in state.items() if not k.endswith("rotary_emb.inv_freq")}
        tied, head = cfg.get("tie_word_embeddings", False), "model.embed_tokens.weight"
    if tied and "lm_head.weight" in state:
        # Tied models use the embedding as the head, as HF does; a saved copy is ignored.
        extra = state.pop("lm_head.weight")
        if head in state and not torch.equal(extra, state[head]):
            print(f"{where}: note: lm_head.weight differs from {head} but the config ties "
                  "them; using the embedding, as Hugging Face does", file=sys.stderr)
    specs = param_specs(cfg)
    missing = [n for n, _, _ in specs if n not in state]
    unexpected = sorted(set(state) - {n for n, _, _ in specs})
    if missing or unexpected:
        raise ValueError(f"{where}: parameter names do not match the config: "
                         f"missing {missing[:8]}{'...' if len(missing) > 8 else ''}, "
                         f"unexpected {unexpected[:8]}{'...' if len(unexpected) > 8 else ''}")
    for name, shape, _ in specs:
        if list(state[name].shape) != shape:
            raise ValueError(f"{where}: {name} has shape {list(state[name].shape)}, "
                             f"the config needs {shape}")
    return {n: state[n] for n, _, _ in specs}


# ------------------------------------------------------------------------------------------
# GPT-2 (GPT2LMHeadModel)


def gelu_new(x):
    """The tanh approximation of GELU that GPT-2 uses ("gelu_new")."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": gelu_new,
    "gelu": F.gelu,  # the exact (erf) GELU
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


def gpt2_forward(p, cfg, ids):
    """Logits [B, T, V] of GPT2LMHeadModel (eval mode: no dropout)."""
    B, T = ids.shape
    C, H = cfg["n_embd"], cfg["n_head"]
    D = C // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    act = ACTIVATIONS[cfg.get("activation_function", "gelu_new")]
    if T > cfg["n_positions"]:
        raise ValueError(f"sequence length {T} exceeds n_positions {cfg['n_positions']}")
    conv1d = lambda x, name: x @ p[name + ".weight"] + p[name + ".bias"]  # noqa: E731
    ln = lambda x, name: F.layer_norm(x, (C,), p[name + ".weight"], p[name + ".bias"], eps)  # noqa: E731

    x = p["transformer.wte.weight"][ids] + p["transformer.wpe.weight"][torch.arange(T)]  # [B, T, C]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        h = f"transformer.h.{i}."
        qkv = conv1d(ln(x, h + "ln_1"), h + "attn.c_attn")  # [B, T, 3C]
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
        k = k.view(B, T, H, D).transpose(1, 2)
        v = v.view(B, T, H, D).transpose(1, 2)
        att = q @ k.transpose(-1, -2)  # [B, H, T, T]
        if cfg.get("scale_attn_weights", True):
            att = att / torch.full([], D ** 0.5, dtype=att.dtype)
        if cfg.get("scale_attn_by_inverse_layer_idx", False):
            att = att / float(i + 1)
        att = torch.where(causal, att, torch.full([], torch.finfo(att.dtype).min, dtype=att.dtype))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # [B, T, C]
        x = x + conv1d(y, h + "attn.c_proj")
        m = act(conv1d(ln(x, h + "ln_2"), h + "mlp.c_fc"))
        x = x + conv1d(m, h + "mlp.c_proj")
    x = ln(x, "transformer.ln_f")
    head = p["transformer.wte.weight"] if gpt2_tied(cfg) else p["lm_head.weight"]
    return x @ head.T  # [B, T, V]


# ------------------------------------------------------------------------------------------
# Llama (LlamaForCausalLM)


def rms_norm(x, weight, eps):
    """HF's LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), in float32, then * weight."""
    dtype = x.dtype
    x = x.float()
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x.to(dtype)


def rotate_half(x):
    """(x1, x2) -> (-x2, x1) over the two halves of the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_cos_sin(cfg, T):
    """cos, sin [T, D] of HF's default rotary embedding (rotate_half convention)."""
    if cfg.get("rope_scaling"):
        raise ValueError(f"rope_scaling {cfg['rope_scaling']!r} is not supported by this reference")
    D = llama_head_dim(cfg)
    theta = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))  # [D/2]
    freqs = torch.arange(T, dtype=torch.float32)[:, None] * inv_freq[None, :]  # [T, D/2]
    emb = torch.cat((freqs, freqs), dim=-1)  # [T, D]
    return emb.cos(), emb.sin()


def llama_forward(p, cfg, ids):
    """Logits [B, T, V] of LlamaForCausalLM (eval mode)."""
    B, T = ids.shape
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D = llama_head_dim(cfg)
    eps = cfg.get("rms_norm_eps", 1e-6)
    if cfg.get("hidden_act", "silu") != "silu":
        raise ValueError(f"hidden_act {cfg['hidden_act']!r} is not supported (expected 'silu')")
    if cfg.get("attention_bias") or cfg.get("mlp_bias"):
        raise ValueError("attention_bias / mlp_bias are not supported by this reference")
    lin = lambda x, name: x @ p[name + ".weight"].T  # noqa: E731

    x = p["model.embed_tokens.weight"][ids]  # [B, T, C]
    cos, sin = rope_cos_sin(cfg, T)
    mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)  # 0 on and below the diagonal
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        h = rms_norm(x, p[l + "input_layernorm.weight"], eps)
        q = lin(h, l + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
        k = lin(h, l + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)  # [B, KV, T, D]
        v = lin(h, l + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # grouped-query attention: kv head j serves query heads j*H/KV .. (j+1)*H/KV - 1
        k = k[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
        v = v[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
        att = (q @ k.transpose(2, 3)) * D ** -0.5 + mask  # [B, H, T, T]
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        y = (att @ v).transpose(1, 2).reshape(B, T, H * D)  # [B, T, H*D]
        x = x + lin(y, l + "self_attn.o_proj")
        h = rms_norm(x, p[l + "post_attention_layernorm.weight"], eps)
        x = x + lin(F.silu(lin(h, l + "mlp.gate_proj")) * lin(h, l + "mlp.up_proj"), l + "mlp.down_proj")
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["lm_head.weight"] if "lm_head.weight" in p else p["model.embed_tokens.weight"]
    return x @ head.T  # [B, T, V]


def forward(p, cfg, ids):
    return gpt2_forward(p, cfg, ids) if cfg["model_type"] == "gpt2" else llama_forward(p, cfg, ids)


def lm_loss(logits, targets):
    """Mean cross entropy over the positions whose target is not -100 (no shift inside)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1).long(),
                           ignore_index=-100)


# ------------------------------------------------------------------------------------------
# fixtures

GPT2_CONFIG = {
    "architectures": ["GPT2LMHeadModel"],
    "model_type": "gpt2",
    "vocab_size": 96,
    "n_positions": 32,
    "n_ctx": 32,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": None,
    "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-5,
    "resid_pdrop": 0.0,
    "embd_pdrop": 0.0,
    "attn_pdrop": 0.0,
    "initializer_range": 0.02,
    "scale_attn_weights": True,
    "scale_attn_by_inverse_layer_idx": False,
    "reorder_and_upcast_attn": False,
    "tie_word_embeddings": True,
    "bos_token_id": 0,
    "eos_token_id": 0,
    "torch_dtype": "float32",
}

LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 96,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "tie_word_embeddings": False,
    "hidden_act": "silu",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "mlp_bias": False,
    "initializer_range": 0.02,
    "pretraining_tp": 1,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "torch_dtype": "float32",
}

SEEDS = {"gpt2": 1234, "llama": 5678}
BATCH, SEQ = 2, 12
IGNORED = [(0, 3), (1, 0), (1, 11)]  # (row, position) of the targets set to -100
ADAMW = {"lr": 1e-2, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1}
STEPS = 3
EMBEDDINGS = ("transformer.wte.weight", "transformer.wpe.weight", "model.embed_tokens.weight")


def init_params(cfg, seed):
    """Seeded weights: N(0, 0.02) matrices, norm weights 1 + N(0, 0.1), biases N(0, 0.02)."""
    g = torch.Generator().manual_seed(seed)
    params = {}
    for name, shape, kind in param_specs(cfg):
        noise = torch.randn(shape, generator=g, dtype=torch.float32)
        params[name] = {"weight": 0.02 * noise, "norm": 1.0 + 0.1 * noise, "bias": 0.02 * noise}[kind]
    return params


def make_batch(cfg, seed):
    """input_ids [B, T] and next-token targets [B, T] with some positions ignored (-100)."""
    g = torch.Generator().manual_seed(seed + 1)
    seq = torch.randint(0, cfg["vocab_size"], (BATCH, SEQ + 1), generator=g)
    ids, targets = seq[:, :-1].clone(), seq[:, 1:].clone()
    for r, t in IGNORED:
        targets[r, t] = -100
    return ids.to(torch.int32), targets.to(torch.int32)


def decays(name, t):
    """AdamW weight decay applies to matrices that are not embeddings."""
    return t.ndim >= 2 and name not in EMBEDDINGS


def run_fixture(cfg, outdir):
    arch = cfg["model_type"]
    seed = SEEDS[arch]
    os.makedirs(outdir, exist_ok=True)
    params = init_params(cfg, seed)
    with open(os.path.join(outdir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    st_write(os.path.join(outdir, "model.safetensors"), params, {"format": "pt"})

    ids, targets = make_batch(cfg, seed)
    ids64 = ids.long()

    # forward and gradients at the initial weights
    leaves = {n: t.clone().requires_grad_() for n, t in params.items()}
    logits = forward(leaves, cfg, ids64)
    loss = lm_loss(logits, targets)
    loss.backward()
    grads = {n: t.grad.detach().clone() for n, t in leaves.items()}

    # three AdamW steps on the same batch
    train = {n: t.clone().requires_grad_() for n, t in params.items()}
    decay = [n for n, t in train.items() if decays(n, t)]
    no_decay = [n for n, t in train.items() if not decays(n, t)]
    opt = torch.optim.AdamW(
        [{"params": [train[n] for n in decay], "weight_decay": ADAMW["weight_decay"]},
         {"params": [train[n] for n in no_decay], "weight_decay": 0.0}],
        lr=ADAMW["lr"], betas=ADAMW["betas"], eps=ADAMW["eps"], foreach=False)
    losses = []
    step_grads = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        step_loss = lm_loss(forward(train, cfg, ids64), targets)
        losses.append(step_loss.item())
        step_loss.backward()
        step_grads.append({n: train[n].grad.detach().clone() for n in params})
        opt.step()

    expected = {
        "input_ids": ids,
        "targets": targets,
        "logits": logits.detach(),
        "loss": loss.detach().reshape([]),
        "losses": torch.tensor(losses, dtype=torch.float32),
    }
    for n in params:
        expected[f"grad.{n}"] = grads[n]
        expected[f"step3.{n}"] = train[n].detach().clone()
        expected[f"step3.exp_avg.{n}"] = opt.state[train[n]]["exp_avg"].clone()
        expected[f"step3.exp_avg_sq.{n}"] = opt.state[train[n]]["exp_avg_sq"].clone()
        # the gradients AdamW saw at steps 2 and 3 (step 1's are grad.<name>): an optimizer can be
        # checked alone, free of the gradient rounding that Adam amplifies where a gradient is ~0
        for k in range(1, STEPS):
            expected[f"grad{k + 1}.{n}"] = step_grads[k][n]
    b1, b2 = ADAMW["betas"]
    metadata = {
        "format_version": FIXTURE_FORMAT_VERSION,
        "generator": f"{SCRIPT} fixtures",
        "remake": REMAKE,
        "torch_version": torch.__version__,
        "arch": cfg["architectures"][0],
        "model_type": arch,
        "seed": str(seed),
        "dtype": "float32 throughout (weights, activations, gradients, optimizer state)",
        "init": "torch.Generator().manual_seed(seed), one torch.randn per parameter in definition "
                "order: matrices and embeddings 0.02*N(0,1), norm weights 1+0.1*N(0,1), "
                "biases 0.02*N(0,1)",
        "batch": f"input_ids and targets [{BATCH}, {SEQ}] int32 from torch.randint(0, vocab_size) "
                 f"with generator seed {seed + 1}: a sequence of {SEQ + 1} tokens, ids = seq[:, :-1], "
                 f"targets = seq[:, 1:], then targets[r, t] = -100 at (r, t) in {IGNORED}",
        "loss": "mean cross entropy over positions whose target != -100; targets are given, "
                "not shifted inside the model",
        "logits": f"[{BATCH}, {SEQ}, vocab_size] at the initial weights (eval mode, no dropout)",
        "grad": "grad.<name>: d loss / d parameter at the initial weights"
                + (" (the tied head adds to transformer.wte.weight)" if arch == "gpt2" else ""),
        "optimizer": f"torch.optim.AdamW(lr={ADAMW['lr']}, betas=({b1}, {b2}), eps={ADAMW['eps']}, "
                     f"amsgrad=False, foreach=False), {STEPS} steps on the same batch starting from "
                     "the initial weights; step3.<name>, step3.exp_avg.<name>, step3.exp_avg_sq.<name> "
                     "after the last step; losses[i] is the loss before step i+1 (losses[0] = loss); "
                     "grad2.<name>, grad3.<name>: the gradients of steps 2 and 3",
        "adamw_update": "t += 1; p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; "
                        "p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)",
        "weight_decay_rule": f"weight_decay {ADAMW['weight_decay']} for parameters with ndim >= 2 that "
                             f"are not embeddings ({', '.join(EMBEDDINGS)}); 0 for the rest "
                             "(biases, norm weights, embeddings)",
        "weight_decay_groups": json.dumps({str(ADAMW["weight_decay"]): decay, "0.0": no_decay}),
        "config": json.dumps(cfg, sort_keys=True),
    }
    st_write(os.path.join(outdir, "expected.safetensors"), expected, metadata)

    # self-check: the files read back and the logits mode reproduces the logits
    state = load_state_dict(outdir)
    reread = check_params(load_config(outdir), state, outdir)
    again = forward(reread, cfg, ids64)
    assert torch.equal(again, logits.detach()), "logits differ after a write/read round trip"
    back, meta = st_read(os.path.join(outdir, "expected.safetensors"))
    assert meta == metadata and set(back) == set(expected)
    print(f"{outdir}: loss {loss.item():.6f}, losses {[round(x, 6) for x in losses]}")


def dtype_fixture(path):
    """Tensors of every dtype torch has, and float16 / bfloat16 roundings done by torch."""
    g = torch.Generator().manual_seed(42)
    f32max = torch.finfo(torch.float32).max
    edge = [0.0, -0.0, 1.0, -1.0, 0.1, -2.5, 65504.0, 65519.0, 65520.0, -65520.0, 1e5,
            2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 3 * 2.0 ** -25, 2.0 ** -26, 1e-8,
            2.0 ** -14, 2.0 ** -14 - 2.0 ** -25, 6.0e-5, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11,
            1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20, f32max, -f32max,
            3.3895e38, 1e-40, 1.4e-45, -1e-45, float("inf"), float("-inf"), float("nan")]
    f32 = torch.cat([torch.tensor(edge, dtype=torch.float32),
                     torch.randn(64, generator=g) * torch.logspace(-6, 6, 64)])
    i64 = torch.tensor([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 123456789, -987654321], dtype=torch.int64)
    tensors = {
        "f32": f32,
        "f16": f32.half(),  # torch's rounding: nearest, ties to even
        "bf16": f32.bfloat16(),
        "f16_as_f32": f32.half().float(),
        "bf16_as_f32": f32.bfloat16().float(),
        "f64": torch.tensor([0.1, -1.5, 1e-300, 1e300, -1e300, 3.0, 2.0 ** -149], dtype=torch.float64),
        "i64": i64,
        "i64_too_big": torch.tensor([0, 2 ** 40], dtype=torch.int64),
        "i32": torch.randint(-(2 ** 31), 2 ** 31 - 1, (3, 4), generator=g, dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 0, -1], dtype=torch.int16),
        "i8": torch.tensor([[-128, 127], [0, -1]], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True, True, False]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "cube": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4),
    }
    tensors["f64_as_f32"] = tensors["f64"].float()
    ints = {n: tensors[n].tolist() for n in ("i64", "i32", "i16", "i8", "u8", "bool")}
    metadata = {
        "format_version": FIXTURE_FORMAT_VERSION,
        "generator": f"{SCRIPT} fixtures",
        "remake": REMAKE,
        "torch_version": torch.__version__,
        "description": "one tensor per dtype torch has; f16/bf16 are torch's roundings of f32 "
                       "(nearest, ties to even) and *_as_f32 torch's conversions back to float32",
        "values": json.dumps({n: (v if isinstance(v, list) else [v]) for n, v in ints.items()}),
        "shapes": json.dumps({n: list(t.shape) for n, t in tensors.items()}),
        "dtypes": json.dumps({n: TORCH_TO_ST[t.dtype] for n, t in tensors.items()}),
    }
    st_write(path, tensors, metadata)
    back, _ = st_read(path)
    for n, t in tensors.items():
        assert torch.equal(back[n], t) or (t.is_floating_point() and torch.equal(back[n].isnan(), t.isnan())), n
    print(f"{path}: {len(tensors)} tensors")


def cmd_fixtures(outdir):
    torch.set_num_threads(1)  # results repeat bit for bit
    run_fixture(GPT2_CONFIG, os.path.join(outdir, "gpt2"))
    run_fixture(LLAMA_CONFIG, os.path.join(outdir, "llama"))
    dtype_fixture(os.path.join(outdir, "dtypes.safetensors"))


# ------------------------------------------------------------------------------------------
# logits of a model folder


def cmd_logits(modeldir, input_path, out_path=None):
    """input.json: [[ids...], ...], [ids...] or {"input_ids": ..., "targets": ...}."""
    torch.set_num_threads(1)
    cfg = load_config(modeldir)
    params = check_params(cfg, load_state_dict(modeldir), modeldir)
    with open(input_path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):
        ids, targets = data["input_ids"], data.get("targets")
    else:
        ids, targets = data, None
    ids = torch.tensor(ids, dtype=torch.int64)
    if ids.ndim == 1:
        ids = ids[None]
    if ids.numel() and (ids.min() < 0 or ids.max() >= cfg["vocab_size"]):
        raise ValueError(f"{input_path}: token ids must lie in [0, {cfg['vocab_size']})")
    with torch.no_grad():
        logits = forward(params, cfg, ids)
        out = {"model_type": cfg["model_type"], "shape": list(logits.shape), "logits": logits.tolist()}
        if targets is not None:
            t = torch.tensor(targets, dtype=torch.int64).reshape(ids.shape)
            out["loss"] = lm_loss(logits, t).item()
    text = json.dumps(out)
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) >= 1 and argv[0] == "fixtures" and len(argv) <= 2:
        cmd_fixtures(argv[1] if len(argv) == 2 else os.path.join(here, "..", "test", "fixtures"))
    elif len(argv) in (3, 4) and argv[0] == "logits":
        cmd_logits(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
