#!/usr/bin/python3
"""Trains the bundled demo PRM: a small Qwen2 decoder with the Qwen2ForProcessRewardModel head.

It reads the pretokenized JSONL that train/prepare.ts writes (ids from the app's own prompt builder
and tokenizer, so Python never tokenizes), trains with cross-entropy at the step-token positions,
keeps the checkpoint with the best validation loss (early stopping), and writes a Hugging Face
checkpoint folder (config.json, model.safetensors, tokenizer files) that `prm convert` reads, plus
golden.json: PyTorch's step probabilities for a few fixed inputs, for the ONNX golden test.

The model code mirrors transformers' Qwen2 (RMSNorm, RoPE with rotate_half, GQA, SwiGLU, q/k/v
bias) with the same weight names, so the checkpoint also loads in transformers. It does not
tokenize, does not export ONNX and needs nothing beyond torch and numpy (Debian: python3-torch,
python3-numpy, libopenblas0-pthread; without the last torch falls back to a ~20x slower BLAS).

Run (see train/README.md):
  OMP_NUM_THREADS=2 /usr/bin/python3 train/train_prm.py --data train/data --out train/out/ckpt
  /usr/bin/python3 train/train_prm.py --smoke --data DIR --out DIR   # a few steps, < 1 minute
"""
import argparse
import json
import math
import os
import random
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- model (HF Qwen2 semantics)


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_cos_sin(seq_len, head_dim, theta, device):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim))
    pos = torch.arange(seq_len, dtype=torch.float32, device=device)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def fake_q4(w, block):
    """The converter's 4-bit rule (src/convert/quantize.ts, onnxruntime's BlkQ4Sym) rounded and
    restored, with a straight-through gradient: per block of `block` inputs, scale = the value of
    largest magnitude (sign kept) / -8, q = clamp(round(w / scale) + 8, 0, 15), w' = (q - 8) scale."""
    n, k = w.shape
    blocks = w.reshape(n, k // block, block)
    idx = blocks.abs().argmax(dim=-1, keepdim=True)
    scale = blocks.gather(-1, idx) / -8.0
    scale = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.clamp(torch.round(blocks / scale) + 8, 0, 15)
    restored = ((q - 8) * scale).reshape(n, k)
    return w + (restored - w).detach()


class QatLinear(nn.Linear):
    """A Linear the converter stores 4-bit in q4: with `QatLinear.block` set, the forward pass uses
    the weight as q4 will hold it (quantization-aware training); the stored weight stays float."""

    block = 0

    def forward(self, x):
        if QatLinear.block:
            return F.linear(x, fake_q4(self.weight, QatLinear.block), self.bias)
        return super().forward(x)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh = c["num_attention_heads"]
        self.nkv = c["num_key_value_heads"]
        self.hd = c["hidden_size"] // self.nh
        h = c["hidden_size"]
        self.q_proj = QatLinear(h, self.nh * self.hd, bias=True)
        self.k_proj = QatLinear(h, self.nkv * self.hd, bias=True)
        self.v_proj = QatLinear(h, self.nkv * self.hd, bias=True)
        self.o_proj = QatLinear(self.nh * self.hd, h, bias=False)

    def forward(self, x, cos, sin, mask):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv
        # transformers' repeat_kv: query head i reads KV head i // rep.
        k = k[:, :, None].expand(b, self.nkv, rep, s, self.hd).reshape(b, self.nh, s, self.hd)
        v = v[:, :, None].expand(b, self.nkv, rep, s, self.hd).reshape(b, self.nh, s, self.hd)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        att = torch.softmax(att, dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, s, self.nh * self.hd)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = QatLinear(h, i, bias=False)
        self.up_proj = QatLinear(h, i, bias=False)
        self.down_proj = QatLinear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class Qwen2ForProcessRewardModel(nn.Module):
    """Qwen2 decoder + score = Linear(H, H) -> ReLU -> Linear(H, 2), applied per token."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = Qwen2Model(c)
        h = c["hidden_size"]
        self.score = nn.Sequential(QatLinear(h, h), nn.ReLU(), nn.Linear(h, 2))
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def hidden(self, ids, *taps):
        """Final hidden states; with taps K1, K2, ... also the states after each layer K (normed),
        for the training-only readouts: (final, after K1, after K2, ...)."""
        b, s = ids.shape
        c = self.config
        cos, sin = rope_cos_sin(s, c["hidden_size"] // c["num_attention_heads"], c["rope_theta"], ids.device)
        # Causal only: batches are right-padded, so padding never precedes a real token.
        mask = torch.full((s, s), float("-inf"), device=ids.device).triu(1)
        x = self.model.embed_tokens(ids)
        tapped = {}
        for k, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, mask)
            if k + 1 in taps:
                tapped[k + 1] = self.model.norm(x)
        return self.model.norm(x) if not taps else (self.model.norm(x), *(tapped[k] for k in taps))

    def forward(self, ids):
        """Logits [batch, seq, 2] (the ONNX graph's output)."""
        return self.score(self.hidden(ids))

    def step_logits(self, ids, rows, cols):
        """Logits at the given (row, col) positions only: the head is cheap there."""
        return self.score(self.hidden(ids)[rows, cols])


# ---------------------------------------------------------------- data


def load_jsonl(path, limit=None):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit and len(out) >= limit:
                    break
    return out


def batches(examples, max_tokens, shuffle, rng):
    """Length-bucketed batches of about max_tokens (padded) tokens."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["input_ids"]))
    groups, cur, cur_len = [], [], 0
    for i in order:
        n = len(examples[i]["input_ids"])
        if cur and max(cur_len, n) * (len(cur) + 1) > max_tokens:
            groups.append(cur)
            cur, cur_len = [], 0
        cur.append(i)
        cur_len = max(cur_len, n)
    if cur:
        groups.append(cur)
    if shuffle:
        rng.shuffle(groups)
    return groups


def lm_limit(e, assistant_id):
    """Last token index whose text is known to be right: up to the last correct step's tag."""
    sp, label = e["score_positions"], e.get("label", -1)
    if label == -1:
        return sp[-1]
    if label > 0:
        return sp[label - 1]
    return e["input_ids"].index(assistant_id)


def collate(examples, idx, pad_id, assistant_id=None):
    """Padded ids, score (row, col, label) triples, with assistant_id next-token targets, and the
    (row, col, label) triples of the result digits prepare.ts marks (arith_positions)."""
    s = max(len(examples[i]["input_ids"]) for i in idx)
    ids = torch.full((len(idx), s), pad_id, dtype=torch.long)
    lm = torch.full((len(idx), s - 1), -100, dtype=torch.long)
    rows, cols, labels = [], [], []
    arith = ([], [], [], [])
    for r, i in enumerate(idx):
        e = examples[i]
        arith[0].extend([r] * len(e.get("arith_positions", [])))
        arith[1].extend(e.get("arith_positions", []))
        arith[2].extend(e.get("arith_labels", []))
        arith[3].extend(e.get("arith_truth", [-100] * len(e.get("arith_positions", []))))
        ids[r, : len(e["input_ids"])] = torch.tensor(e["input_ids"])
        rows += [r] * len(e["score_positions"])
        cols += e["score_positions"]
        labels += e["step_labels"]
        if assistant_id is not None:
            limit = lm_limit(e, assistant_id)
            lm[r, :limit] = ids[r, 1 : limit + 1]
    return ids, torch.tensor(rows), torch.tensor(cols), torch.tensor(labels), lm, tuple(torch.tensor(x, dtype=torch.long) for x in arith)


# ---------------------------------------------------------------- metrics (ProcessBench)


def first_error(probs, threshold=0.5):
    for i, p in enumerate(probs):
        if p <= threshold:
            return i
    return -1


def processbench(examples, step_probs):
    """Acc_error, Acc_correct, F1 as in ProcessBench (prediction = first step with p <= 0.5)."""
    err = [first_error(p) == e["label"] for e, p in zip(examples, step_probs) if e["label"] != -1]
    cor = [first_error(p) == -1 for e, p in zip(examples, step_probs) if e["label"] == -1]
    acc_e = sum(err) / max(len(err), 1)
    acc_c = sum(cor) / max(len(cor), 1)
    f1 = 0.0 if acc_e + acc_c == 0 else 2 * acc_e * acc_c / (acc_e + acc_c)
    return acc_e, acc_c, f1


def by_type(examples, step_probs):
    """Acc_error per injected error type, e.g. 'arithmetic 0.41 final_answer 0.93'."""
    hits = {}
    for e, p in zip(examples, step_probs):
        if e["label"] != -1:
            hits.setdefault(e.get("error_type", "?"), []).append(first_error(p) == e["label"])
    return " ".join("%s %.2f" % (t, sum(h) / len(h)) for t, h in sorted(hits.items()))


@torch.no_grad()
def evaluate(model, examples, pad_id, max_tokens):
    model.eval()
    probs = [None] * len(examples)
    loss_sum, n = 0.0, 0
    for idx in batches(examples, max_tokens, False, None):
        ids, rows, cols, labels, _, _ = collate(examples, idx, pad_id)
        logits = model.step_logits(ids, rows, cols)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
        n += len(labels)
        p = torch.softmax(logits, -1)[:, 1].tolist()
        k = 0
        for i in idx:
            m = len(examples[i]["score_positions"])
            probs[i] = p[k : k + m]
            k += m
    model.train()
    return loss_sum / max(n, 1), probs


# ---------------------------------------------------------------- checkpoint (HF folder)

DTYPE_NAMES = {torch.float32: "F32"}


def hf_state_dict(model):
    """HF names: model.*, score.0.*, score.2.* (nn.Sequential indices match the HF head)."""
    return {k: v.detach().contiguous().float() for k, v in model.state_dict().items()}


SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2"}


def write_safetensors(path, tensors, dtype="F32"):
    """The safetensors format by hand: u64 LE header length, JSON header, raw little-endian data."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        arr = tensors[name].cpu().numpy().astype(SAFETENSORS_DTYPES[dtype])
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        if info["dtype"] not in SAFETENSORS_DTYPES:
            sys.exit("error: %s: tensor %s is %s; F32 or F16 expected" % (path, name, info["dtype"]))
        raw = np.frombuffer(data[a:b], dtype=SAFETENSORS_DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(raw.astype("<f4"))
    return out


def half_copy(src, dst):
    """A checkpoint's weights as float16 (half the bytes) for keeping in the repository as a
    resume point (`--init DST`); no golden.json, since its probabilities belong to the float32
    weights."""
    if os.path.exists(dst):
        sys.exit("error: %s exists; choose another folder" % dst)
    os.makedirs(dst)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(dst, name))
    with open(os.path.join(src, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(dict(config, torch_dtype="float16"), f, indent=2)
    write_safetensors(os.path.join(dst, "model.safetensors"), read_safetensors(os.path.join(src, "model.safetensors")), "F16")
    print("wrote %s (float16 weights of %s)" % (dst, src))


def _varint(b, i):
    r, s = 0, 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def _proto_fields(b):
    """(field number, wire type, value) of one protobuf message; enough of the format for ONNX."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i : i + n], i + n
        elif wire == 5:
            v, i = b[i : i + 4], i + 4
        elif wire == 1:
            v, i = b[i : i + 8], i + 8
        else:
            raise ValueError("unsupported protobuf wire type %d" % wire)
        yield field, wire, v


def onnx_float_initializers(path):
    """name -> float32 array of every float initializer stored inline (ModelProto.graph.initializer)."""
    data = memoryview(open(path, "rb").read())
    out = {}
    for f, _, graph in _proto_fields(data):
        if f != 7:
            continue
        for g, _, t in _proto_fields(graph):
            if g != 5:
                continue
            dims, name, raw, dtype = [], None, None, None
            for k, w, v in _proto_fields(t):
                if k == 1 and w == 0:
                    dims.append(v)
                elif k == 1:
                    j = 0
                    while j < len(v):
                        d, j = _varint(v, j)
                        dims.append(d)
                elif k == 2:
                    dtype = v
                elif k == 8:
                    name = bytes(v).decode()
                elif k == 9:
                    raw = bytes(v)
            if dtype == 1 and raw is not None:
                out[name] = np.frombuffer(raw, dtype="<f4").reshape(dims).copy()
    return out


def _token_text(token, byte_level):
    if not byte_level:
        return token
    inv = {c: b for b, c in enumerate(_bytes_to_unicode())}
    try:
        return bytes(inv[c] for c in token).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def _bytes_to_unicode():
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, extra = [], 0
    for b in range(256):
        if b in keep:
            out.append(chr(b))
        else:
            out.append(chr(256 + extra))
            extra += 1
    return out


def init_from_onnx(model, folder, vocab, byte_level):
    """
    Starts from a converted model (prm convert's fp32 graph keeps every weight, linear ones
    transposed as `<name>.weight_T`): same layers and head; embedding rows of tokens whose text
    exists in the old vocabulary are copied, new tokens start at the mean old embedding. Lets a
    new tokenizer reuse what the old model learned instead of training from scratch.
    """
    weights = onnx_float_initializers(os.path.join(folder, "onnx", "model.onnx"))
    with open(os.path.join(folder, "tokenizer.json")) as f:
        old_tok = json.load(f)
    old_byte_level = "ByteLevel" in json.dumps(old_tok.get("pre_tokenizer"))
    # Rows are matched by the text a token stands for, so both vocabularies are read as text.
    old_vocab = {}
    for token, i in old_tok["model"]["vocab"].items():
        text = _token_text(token, old_byte_level)
        if text is not None:
            old_vocab.setdefault(text, i)
    state = model.state_dict()
    new_state = {}
    for name, t in state.items():
        if name == "model.embed_tokens.weight":
            continue
        src = weights.get(name)
        if src is None and name.endswith(".weight") and name[: -len(".weight")] + ".weight_T" in weights:
            src = weights[name[: -len(".weight")] + ".weight_T"].T
        if src is None or tuple(src.shape) != tuple(t.shape):
            sys.exit("error: --init-onnx %s has no tensor %s of shape %s" % (folder, name, tuple(t.shape)))
        new_state[name] = torch.from_numpy(np.ascontiguousarray(src))
    old_emb = weights["model.embed_tokens.weight"]
    if old_emb.shape[1] != state["model.embed_tokens.weight"].shape[1]:
        sys.exit("error: --init-onnx %s has hidden size %d" % (folder, old_emb.shape[1]))
    emb = np.tile(old_emb.mean(0), (state["model.embed_tokens.weight"].shape[0], 1)).astype("<f4")
    emb += np.random.RandomState(0).normal(0, 0.02, emb.shape).astype("<f4")
    carried = 0
    for token, i in vocab.items():
        # The same token string in the same encoding is the same token, even a lone byte that is
        # no text by itself; otherwise match by text.
        old = old_tok["model"]["vocab"].get(token) if old_byte_level == byte_level else None
        if old is None:
            text = _token_text(token, byte_level)
            old = old_vocab.get(text) if text is not None else None
        if old is not None:
            emb[i] = old_emb[old]
            carried += 1
    new_state["model.embed_tokens.weight"] = torch.from_numpy(emb)
    model.load_state_dict(new_state)
    print("initialised from %s (%d of %d embedding rows carried over)" % (folder, carried, len(vocab)), flush=True)


# The config.json entries Qwen2ForProcessRewardModel reads.
MODEL_KEYS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
              "max_position_embeddings", "rms_norm_eps", "rope_theta", "vocab_size")


def load_checkpoint(ckpt):
    """A checkpoint folder this script wrote, as (model in eval mode, its config.json)."""
    with open(os.path.join(ckpt, "config.json")) as f:
        cfg = json.load(f)
    m = Qwen2ForProcessRewardModel({k: cfg[k] for k in MODEL_KEYS})
    m.load_state_dict(read_safetensors(os.path.join(ckpt, "model.safetensors")))
    return m.eval(), cfg


def hf_config(c, extra):
    return {
        "architectures": ["Qwen2ForProcessRewardModel"],
        "model_type": "qwen2",
        "hidden_act": "silu",
        "hidden_size": c["hidden_size"],
        "intermediate_size": c["intermediate_size"],
        "num_hidden_layers": c["num_hidden_layers"],
        "num_attention_heads": c["num_attention_heads"],
        "num_key_value_heads": c["num_key_value_heads"],
        "max_position_embeddings": c["max_position_embeddings"],
        "max_window_layers": c["num_hidden_layers"],
        "rms_norm_eps": c["rms_norm_eps"],
        "rope_theta": c["rope_theta"],
        "rope_scaling": None,
        "sliding_window": None,
        "use_sliding_window": False,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "vocab_size": c["vocab_size"],
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": False,
        "bos_token_id": None,
        "eos_token_id": c["eos_token_id"],
        "pad_token_id": c["pad_token_id"],
        "num_labels": 2,
        "prm_training": extra,
    }


def save_checkpoint(model, out_dir, tokenizer_dir, golden, extra):
    tmp = out_dir + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(hf_config(model.config, extra), f, indent=2)
    write_safetensors(os.path.join(tmp, "model.safetensors"), hf_state_dict(model))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, name), os.path.join(tmp, name))
    if golden:
        write_golden(model, golden, os.path.join(tmp, "golden.json"))
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)


@torch.no_grad()
def write_golden(model, examples, path):
    """PyTorch's p(correct) at the score positions of fixed inputs, one sequence at a time."""
    model.eval()
    qat, QatLinear.block = QatLinear.block, 0
    items = []
    for e in examples:
        ids = torch.tensor([e["input_ids"]])
        logits = model(ids)[0]
        probs = torch.softmax(logits.double(), -1)[:, 1]
        items.append(
            {
                "input_ids": e["input_ids"],
                "score_positions": e["score_positions"],
                "probs": [float(probs[p]) for p in e["score_positions"]],
                "logits": [[float(v) for v in logits[p]] for p in e["score_positions"]],
                "label": e.get("label"),
            }
        )
    model.train()
    QatLinear.block = qat
    with open(path, "w") as f:
        json.dump({"source": "train/train_prm.py (PyTorch %s, float32)" % torch.__version__, "items": items}, f)


def golden_copy(src, data, dst):
    """A copy of a checkpoint whose golden.json holds its probabilities on DATA's golden inputs:
    for shipping a checkpoint trained on data made before the generator's golden inputs changed
    (train/ship.ts refuses golden inputs that differ from what the generator makes now)."""
    if os.path.exists(dst):
        sys.exit("error: %s exists; choose another folder" % dst)
    model, _ = load_checkpoint(src)
    golden = load_jsonl(os.path.join(data, "golden.jsonl"))
    shutil.copytree(src, dst)
    write_golden(model, golden, os.path.join(dst, "golden.json"))
    print("wrote %s (%s with the golden inputs of %s)" % (dst, src, data))


@torch.no_grad()
def average_copy(srcs, data, dst):
    """A checkpoint whose weights are the mean of the weights of SRCS (checkpoints of one run, so
    of one shape; Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima",
    https://arxiv.org/abs/1803.05407), with its probabilities on DATA's golden inputs."""
    if os.path.exists(dst):
        sys.exit("error: %s exists; choose another folder" % dst)
    if len(srcs) < 2:
        sys.exit("error: --average takes two or more checkpoints, got %d" % len(srcs))
    model, cfg = load_checkpoint(srcs[0])
    total = {k: v.clone().double() for k, v in model.state_dict().items()}
    for src in srcs[1:]:
        other, other_cfg = load_checkpoint(src)
        if any(other_cfg[k] != cfg[k] for k in MODEL_KEYS):
            sys.exit("error: %s has another shape than %s; average checkpoints of one run" % (src, srcs[0]))
        for k, v in other.state_dict().items():
            total[k] += v.double()
    model.load_state_dict({k: (v / len(srcs)).float() for k, v in total.items()})
    shutil.copytree(srcs[0], dst)
    write_safetensors(os.path.join(dst, "model.safetensors"), hf_state_dict(model))
    write_golden(model, load_jsonl(os.path.join(data, "golden.jsonl")), os.path.join(dst, "golden.json"))
    print("wrote %s (the mean of %s, with the golden inputs of %s)" % (dst, ", ".join(srcs), data))


@torch.no_grad()
def q4_drift(model, examples, block):
    """Largest |p_4bit - p_float| of p(correct) at the score positions of `examples`."""
    model.eval()
    worst = 0.0
    for e in examples:
        ids = torch.tensor([e["input_ids"]])
        probs = []
        for b in (0, block):
            QatLinear.block = b
            probs.append(torch.softmax(model(ids)[0].double(), -1)[e["score_positions"], 1])
        worst = max(worst, float((probs[0] - probs[1]).abs().max()))
    QatLinear.block = block
    model.train()
    return worst


# ---------------------------------------------------------------- training


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="train/data", help="folder with train.jsonl, val.jsonl, golden.jsonl")
    p.add_argument("--tokenizer", default="train/tokenizer", help="folder with tokenizer.json + tokenizer_config.json")
    p.add_argument("--out", default="train/out/ckpt", help="checkpoint folder to write (best model)")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--intermediate", type=int, default=768)
    p.add_argument("--max-positions", type=int, default=1024)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=200, help="warmup steps")
    p.add_argument("--batch-tokens", type=int, default=6144, help="padded tokens per batch")
    p.add_argument("--max-steps", type=int, default=0, help="0 = set from --epochs")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-minutes", type=float, default=80.0, help="stop training after this wall time")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument(
        "--keep-evals",
        action="store_true",
        help="also save the weights of every evaluation to OUT-STEP, to choose among them on other data (the hand-written dev sets)",
    )
    p.add_argument("--patience", type=int, default=8, help="evaluations without improvement before stopping")
    p.add_argument("--select", choices=["loss", "f1"], default="loss", help="validation metric for the best checkpoint")
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training examples")
    p.add_argument("--val-limit", type=int, default=400, help="validation examples used for early stopping")
    p.add_argument("--lm-weight", type=float, default=0.5, help="weight of the auxiliary next-token loss (0 = off)")
    p.add_argument(
        "--lm-layer",
        type=int,
        default=0,
        help="read the next-token loss after this layer (0 = the last): the layers above it are left to judge what it computed",
    )
    p.add_argument(
        "--arith-weight",
        type=float,
        default=0.0,
        help="weight of the loss at the digits of each stated result (prepare.ts arith_positions; 0 = off)",
    )
    p.add_argument(
        "--arith-wrong-weight",
        type=float,
        default=1.0,
        help="with --arith-weight: weight of the wrong-digit class (about 4%% of the targets)",
    )
    p.add_argument(
        "--truth-weight",
        type=float,
        default=0.0,
        help="weight of the loss that reads, after --truth-layer, the true digit at each digit of a stated result (prepare.ts arith_truth; 0 = off)",
    )
    p.add_argument(
        "--truth-layer",
        type=int,
        default=0,
        help="with --truth-weight: read the true digit after this layer (0 = --lm-layer), so it need not share those states with the next-token loss",
    )
    p.add_argument(
        "--truth-head",
        action="store_true",
        help="with --truth-weight: read the true digit through a training-only linear map (not saved) instead of the tied embedding the next-token loss uses",
    )
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--init", default="", help="checkpoint folder to continue from (same model flags)")
    p.add_argument(
        "--init-onnx",
        default="",
        help="model folder (onnx/model.onnx + tokenizer.json) to start from: its fp32 weights, with embedding rows carried over by token text",
    )
    p.add_argument(
        "--oversample",
        default="",
        help="TYPE=K[,TYPE=K]: use training examples of an error type K times (e.g. arithmetic=3)",
    )
    p.add_argument(
        "--qat-block",
        type=int,
        default=0,
        help="quantization-aware training for q4 with this block size (0 = off): every step trains the float and the 4-bit forward pass",
    )
    p.add_argument("--qat-consistency", type=float, default=1.0, help="with --qat-block: weight of the squared float-vs-4-bit p(correct) gap")
    p.add_argument(
        "--max-q4-drift",
        type=float,
        default=0.0,
        help="with --qat-block: save a checkpoint only if 4-bit and float p(correct) on the golden inputs differ by at most this (0 = any)",
    )
    p.add_argument("--bench", action="store_true", help="measure tokens/s for a few steps and exit")
    p.add_argument("--smoke", action="store_true", help="tiny model, a few steps, for CI")
    return p.parse_args(argv)


def main(argv):
    if argv[:1] == ["--golden-copy"]:
        if len(argv) != 4:
            sys.exit("usage: train_prm.py --golden-copy CKPT DATA OUT")
        return golden_copy(argv[1], argv[2], argv[3])
    if argv[:1] == ["--average"]:
        if len(argv) != 4:
            sys.exit("usage: train_prm.py --average CKPT1,CKPT2[,...] DATA OUT")
        return average_copy(argv[1].split(","), argv[2], argv[3])
    if argv[:1] == ["--half-copy"]:
        if len(argv) != 3:
            sys.exit("usage: train_prm.py --half-copy CKPT OUT")
        return half_copy(argv[1], argv[2])
    a = parse_args(argv)
    if a.smoke:
        a.hidden, a.layers, a.heads, a.kv_heads, a.intermediate = 64, 2, 4, 2, 128
        a.max_steps, a.eval_every, a.warmup, a.train_limit, a.batch_tokens = 6, 3, 2, 64, 2048
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)

    with open(os.path.join(a.tokenizer, "tokenizer.json")) as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    pad_id = vocab["<|endoftext|>"]
    assistant_id = vocab["assistant"]
    train = load_jsonl(os.path.join(a.data, "train.jsonl"), a.train_limit or None)
    for part in filter(None, a.oversample.split(",")):
        kind, _, times = part.partition("=")
        if not times.isdigit() or int(times) < 1:
            sys.exit("error: --oversample takes TYPE=K with K a whole number >= 1, got %r" % part)
        extra = [e for e in train if e.get("error_type") == kind]
        if not extra:
            sys.exit("error: --oversample %s: no training example has error_type %r" % (part, kind))
        train = train + extra * (int(times) - 1)
        print("oversampled %d %s examples x%s" % (len(extra), kind, times), flush=True)
    val = load_jsonl(os.path.join(a.data, "val.jsonl"), 64 if a.smoke else a.val_limit or None)
    golden = load_jsonl(os.path.join(a.data, "golden.jsonl"))
    cfg = {
        "hidden_size": a.hidden,
        "intermediate_size": a.intermediate,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "max_position_embeddings": a.max_positions,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "vocab_size": len(vocab),
        "eos_token_id": vocab["<|im_end|>"],
        "pad_token_id": pad_id,
    }
    too_long = [e for e in train + val + golden if len(e["input_ids"]) > a.max_positions]
    if too_long:
        sys.exit("error: %d examples are longer than --max-positions %d" % (len(too_long), a.max_positions))
    if a.truth_head and a.truth_weight <= 0:
        sys.exit("error: --truth-head reads the loss of --truth-weight; pass --truth-weight W > 0")
    if not 0 <= a.lm_layer <= a.layers:
        sys.exit("error: --lm-layer %d must be between 1 and --layers %d (0 = the last)" % (a.lm_layer, a.layers))
    if not 0 <= a.truth_layer <= a.layers:
        sys.exit("error: --truth-layer %d must be between 1 and --layers %d (0 = --lm-layer)" % (a.truth_layer, a.layers))
    if a.truth_layer and a.truth_weight <= 0:
        sys.exit("error: --truth-layer places the loss of --truth-weight; pass --truth-weight W > 0")
    model = Qwen2ForProcessRewardModel(cfg)
    if a.init:
        # Continue from an earlier checkpoint (weights only; the optimizer starts fresh).
        with open(os.path.join(a.init, "config.json")) as f:
            old = json.load(f)
        for k in ("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads", "vocab_size"):
            if old[k] != cfg[k]:
                sys.exit("error: --init %s has %s=%s but this run has %s; pass the same model flags" % (a.init, k, old[k], cfg[k]))
        grow = cfg["num_hidden_layers"] - old["num_hidden_layers"]
        if grow < 0:
            sys.exit("error: --init %s has %d layers, more than --layers %d" % (a.init, old["num_hidden_layers"], cfg["num_hidden_layers"]))
        state = read_safetensors(os.path.join(a.init, "model.safetensors"))
        if grow:
            # Extra layers on top start as the identity (zero output projections), so the grown
            # model computes exactly what the checkpoint did until training moves them.
            for k in range(old["num_hidden_layers"], cfg["num_hidden_layers"]):
                layer = model.model.layers[k]
                nn.init.zeros_(layer.self_attn.o_proj.weight)
                nn.init.zeros_(layer.mlp.down_proj.weight)
                state.update({"model.layers.%d.%s" % (k, n): t for n, t in layer.state_dict().items()})
        model.load_state_dict(state)
        print("initialised from %s%s" % (a.init, " with %d new layers on top" % grow if grow else ""), flush=True)
    if a.init_onnx:
        # Byte-level tokens are GPT-2's byte characters; map them back to text to find old rows.
        init_from_onnx(model, a.init_onnx, vocab, "ByteLevel" in json.dumps(tok.get("pre_tokenizer")))
    n_params = sum(p.numel() for p in model.parameters())
    print("model: %d params (%.2f MB fp32); train %d, val %d examples" % (n_params, n_params * 4 / 1e6, len(train), len(val)), flush=True)

    truth_head = None
    if a.truth_head:
        # Training-only readout of the true digit (never saved): the next-token loss keeps the
        # tied embedding for itself. Starts as the tied readout.
        truth_head = nn.Linear(a.hidden, len(vocab), bias=False)
        with torch.no_grad():
            truth_head.weight.copy_(model.model.embed_tokens.weight)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    decay += list(truth_head.parameters()) if truth_head is not None else []
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98)
    )
    steps_per_epoch = len(batches(train, a.batch_tokens, False, None))
    total = a.max_steps or max(1, int(steps_per_epoch * a.epochs))

    def lr_at(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        # Cosine over whichever runs out first, steps or the time budget, so a slow (shared) CPU
        # still ends with a cooled-down model instead of being cut off at a high learning rate.
        by_steps = (step - a.warmup) / max(1, total - a.warmup)
        by_time = (time.time() - start) / (a.max_minutes * 60)
        t = min(1.0, max(by_steps, by_time))
        return a.lr * (a.min_lr_ratio + (1 - a.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))

    if a.qat_block:
        for name, m in model.named_modules():
            if isinstance(m, QatLinear) and m.in_features % a.qat_block:
                sys.exit("error: --qat-block %d does not divide %s's %d inputs" % (a.qat_block, name, m.in_features))
        QatLinear.block = a.qat_block  # validation measures the 4-bit model, the one the app loads
    start = time.time()
    step, tokens, best, best_key, bad_evals = 0, 0, (-1.0, float("inf")), None, 0
    extra = {k: v for k, v in vars(a).items() if k not in ("bench", "smoke")}
    stop = None
    while stop is None:
        for idx in batches(train, a.batch_tokens, True, rng):
            ids, rows, cols, labels, lm, arith = collate(train, idx, pad_id, assistant_id if a.lm_weight > 0 else None)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            def pass_loss():
                hidden, lm_hidden, truth_hidden = model.hidden(ids, a.lm_layer or a.layers, a.truth_layer or a.lm_layer or a.layers)
                step_logits = model.score(hidden[rows, cols])
                loss = F.cross_entropy(step_logits, labels)
                if a.arith_weight > 0 and len(arith[0]):
                    # Dense target: do the digits of a stated result read so far agree with the true one.
                    w = torch.tensor([a.arith_wrong_weight, 1.0])
                    loss = loss + a.arith_weight * F.cross_entropy(model.score(hidden[arith[0], arith[1]]), arith[2], weight=w)
                if a.truth_weight > 0 and bool((arith[3] != -100).any()):
                    # What each digit of a stated result should be, where the model reads that digit
                    # (wrong ones included): the truth and the written digit then meet at one
                    # position, and judging is a comparison there instead of across positions.
                    at = truth_hidden[arith[0], arith[1]]
                    truth_logits = truth_head(at) if truth_head is not None else at @ model.model.embed_tokens.weight.t()
                    loss = loss + a.truth_weight * F.cross_entropy(truth_logits, arith[3], ignore_index=-100)
                if a.lm_weight > 0:
                    # Auxiliary next-token loss on text known to be right (the problem and the steps
                    # before the first error), through the tied embedding: the dense signal teaches
                    # the arithmetic a pretrained base model would bring. Not part of the checkpoint.
                    lm_logits = lm_hidden[:, :-1] @ model.model.embed_tokens.weight.t()
                    loss = loss + a.lm_weight * F.cross_entropy(lm_logits.reshape(-1, lm_logits.shape[-1]), lm.reshape(-1), ignore_index=-100)
                return loss, torch.softmax(step_logits, -1)[:, 1]

            if a.qat_block:
                # Both passes learn the labels and are pulled together, so the float checkpoint
                # (golden.json, fp32 ONNX) and its q4 conversion agree.
                QatLinear.block = 0
                loss_f, p_f = pass_loss()
                QatLinear.block = a.qat_block
                loss_q, p_q = pass_loss()
                loss = 0.5 * (loss_f + loss_q) + a.qat_consistency * ((p_f - p_q) ** 2).mean()
            else:
                loss, _ = pass_loss()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            tokens += ids.numel()
            elapsed = time.time() - start
            if step % 20 == 0 or a.bench:
                print("step %d/%d loss %.4f lr %.2e %.0f tok/s %.1f min" % (step, total, loss.item(), lr_at(step), tokens / elapsed, elapsed / 60), flush=True)
            if a.bench and step >= 15:
                print("bench: %.0f tokens/s (padded) over %d steps" % (tokens / elapsed, step), flush=True)
                return
            if step >= total or elapsed > a.max_minutes * 60:
                stop = "reached %d steps" % total if step >= total else "time budget of %.0f minutes spent" % a.max_minutes
            if step % a.eval_every == 0 or stop:
                vloss, probs = evaluate(model, val, pad_id, a.batch_tokens * 2)
                acc_e, acc_c, f1 = processbench(val, probs)
                # Select on validation loss by default: F1 on a few hundred items jumps around
                # with the 0.5 threshold, while the loss tracks the probabilities themselves.
                key = (-vloss, f1) if a.select == "loss" else (f1, -vloss)
                better = best_key is None or key > best_key
                drift = ""
                if a.qat_block:
                    d = q4_drift(model, golden, a.qat_block)
                    drift = " q4 drift %.4f" % d
                    better = better and (a.max_q4_drift <= 0 or d <= a.max_q4_drift)
                print(
                    "eval step %d: val loss %.4f acc_error %.3f acc_correct %.3f F1 %.3f%s%s [%s]"
                    % (step, vloss, acc_e, acc_c, f1, drift, " (best, saved)" if better else "", by_type(val, probs)),
                    flush=True,
                )
                if better:
                    best, best_key, bad_evals = (f1, vloss), key, 0
                    info = dict(extra, step=step, val_loss=vloss, val_f1=f1, val_acc_error=acc_e, val_acc_correct=acc_c, minutes=elapsed / 60)
                    save_checkpoint(model, a.out, a.tokenizer, golden, info)
                else:
                    bad_evals += 1
                if a.keep_evals:
                    info = dict(extra, step=step, val_loss=vloss, val_f1=f1, val_acc_error=acc_e, val_acc_correct=acc_c, minutes=elapsed / 60)
                    save_checkpoint(model, "%s-%d" % (a.out, step), a.tokenizer, golden, info)
                if bad_evals >= a.patience and not stop:
                    stop = "early stopping: no val %s gain in %d evaluations" % (a.select, a.patience)
            if stop:
                break
    print("%s; best val F1 %.3f (loss %.4f); %.1f min, %.0f tok/s; checkpoint %s" % (stop, best[0], best[1], (time.time() - start) / 60, tokens / (time.time() - start), a.out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
