#!/usr/bin/env python3
"""Tiny decoder fixtures in the ONNX layouts that real Hugging Face / Optimum exports use.

alignstream's `CausalLm` loader must read real exports, not only the model that `ops/train-lm/train_lm.py`
writes. No model hub is reachable here, so this script builds tiny random decoders (seeded weights) that
reproduce those exports' graph interfaces and writes one directory per layout:

  gpt2-style/      GPT-2 as exported by Optimum < 1.14: inputs input_ids, past_key_values.N.key/value,
                   attention_mask and NO position_ids; the graph derives positions itself from the past length,
                   as transformers' GPT2Model does when position_ids is None (arange(past, past + S)).
  merged-decoder/  Optimum's decoder_model_merged.onnx: the export without past (decoder_model.onnx) and the
                   export with past (decoder_with_past_model.onnx) joined under one ONNX `If` node driven by a
                   bool[1] input `use_cache_branch`, as optimum.onnx.merge_decoders does. With false the no-past
                   branch runs and the past inputs are ignored (ORTModelForCausalLM feeds a dummy past then);
                   with true the past is used. This one also takes position_ids (Optimum >= 1.14 layout).
  llama-style/     Llama: RMSNorm, rotary positions from position_ids, SwiGLU, untied head, grouped-query
                   attention (4 query heads, 2 key/value heads) and head_dim 8 != hidden_size / heads = 4, so
                   the cache shape can only be read from the graph's inputs, not computed from config.json.

Each directory holds model.onnx, an HF-style config.json, a tokenizer.json (GPT-2 byte-level BPE for the GPT
variants, a Llama-2-style sentencepiece BPE with byte fallback and a <s> template for llama-style) and
reference.json: for fixed prompts the token ids, torch's last-position logits and greedy ids computed by full
recomputation (no cache).

Usage (Debian's torch 1.13 and python3-onnx):
  /usr/bin/python3 ops/lm-fixtures/make_hf_decoder_fixtures.py [--out inference/src/test/resources/lm-fixtures]
"""
import argparse
import collections
import hashlib
import importlib.util
import json
import math
import os
import re
import tempfile

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OPSET = 14
GREEDY_STEPS = 10
MIN_GREEDY_MARGIN = 1e-3  # greedy ids must not hinge on float rounding between torch and ONNX Runtime

CORPUS = (
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want "
    "of a wife. However little known the feelings or views of such a man may be on his first entering a "
    "neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered "
    "the rightful property of some one or other of their daughters. My dear Mr. Bennet, said his lady to him one "
    "day, have you heard that Netherfield Park is let at last? Mr. Bennet replied that he had not. But it is, "
    "returned she; for Mrs. Long has just been here, and she told me all about it."
)
PROMPTS = ["It is a truth universally", "She was"]


def load_train_lm():
    spec = importlib.util.spec_from_file_location("train_lm", os.path.join(ROOT, "ops", "train-lm", "train_lm.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ tokenizers
class Gpt2Tokenizer:
    """GPT-2-style byte-level BPE with <|endoftext|> as the last id (train_lm.py's tokenizer code)."""

    def __init__(self, vocab_size):
        tl = load_train_lm()
        self.tl = tl
        self.token_to_id, self.merges = tl.train_bpe([CORPUS], vocab_size)
        self.encoder = tl.BpeEncoder(self.token_to_id, self.merges)
        self.vocab_size = len(self.token_to_id)
        self.eos_id = self.token_to_id[tl.EOS]

    def encode(self, text):  # HF GPT-2 adds no BOS
        return self.encoder.encode(text)

    def write(self, path):
        self.tl.write_tokenizer_json(path, self.token_to_id, self.merges)


class LlamaTokenizer:
    """A Llama-2-style tokenizer.json: <unk>/<s>/</s> = 0/1/2, byte tokens <0x00>..<0xFF>, sentencepiece BPE over
    '\u2581'-prefixed words with byte fallback, a template adding <s>, and the matching decoder."""

    SPACE = "\u2581"

    def __init__(self, vocab_size):
        words = collections.Counter(re.findall(self.SPACE + "[^" + self.SPACE + "]*", self.normalize(CORPUS)))
        chars = sorted({c for w in words for c in w})
        vocab = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + chars
        seqs = {w: list(w) for w in words}
        merges = []
        while len(vocab) < vocab_size:
            pairs = collections.Counter()
            for w, n in words.items():
                s = seqs[w]
                for a, b in zip(s, s[1:]):
                    pairs[(a, b)] += n
            if not pairs:
                break
            best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
            merges.append(best)
            vocab.append(best[0] + best[1])
            for w in seqs:
                s, out, j = seqs[w], [], 0
                while j < len(s):
                    if j + 1 < len(s) and (s[j], s[j + 1]) == best:
                        out.append(s[j] + s[j + 1])
                        j += 2
                    else:
                        out.append(s[j])
                        j += 1
                seqs[w] = out
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.merges = merges
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.vocab_size = len(vocab)
        self.bos_id, self.eos_id = 1, 2

    def normalize(self, text):
        return self.SPACE + text.replace(" ", self.SPACE)

    def encode(self, text):  # what HF's LlamaTokenizerFast gives: <s> + pieces, unknown chars as bytes
        syms = list(self.normalize(text))
        while len(syms) > 1:
            rank, k = min((self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(syms, syms[1:])))
            if rank == 1 << 30:
                break
            syms[k:k + 2] = [syms[k] + syms[k + 1]]
        ids = [self.bos_id]
        for s in syms:
            if s in self.vocab:
                ids.append(self.vocab[s])
            else:
                ids.extend(self.vocab["<0x%02X>" % b] for b in s.encode("utf-8"))
        return ids

    def write(self, path):
        special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": False, "special": True} for i, t in enumerate(["<unk>", "<s>", "</s>"])]
        tok = {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": self.SPACE},
                {"type": "Replace", "pattern": {"String": " "}, "content": self.SPACE}]},
            "pre_tokenizer": None,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": self.SPACE}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                      "vocab": self.vocab, "merges": ["%s %s" % m for m in self.merges]},
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------- masks
def attention_bias(attention_mask, s, past_len):
    """Causal + padding mask as an additive bias [B,1,S,total]; total = attention_mask width = past + S."""
    total = attention_mask.shape[1]
    i = torch.arange(s).unsqueeze(1) + past_len
    j = torch.arange(total).unsqueeze(0)
    keep = (j <= i).unsqueeze(0).unsqueeze(0) & (attention_mask[:, None, None, :] > 0)
    return (~keep).to(torch.float32) * torch.finfo(torch.float32).min


# ----------------------------------------------------------------------------------------- GPT-2 model
class Gpt2Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, bias, past_k, past_v):
        b, s, d = x.shape
        h, hd = self.heads, d // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (t.view(b, s, h, hd).transpose(1, 2) for t in (q, k, v))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(hd) + bias, dim=-1)
        x = x + self.c_proj((att @ v).transpose(1, 2).reshape(b, s, d))
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x, k, v


class Gpt2(nn.Module):
    def __init__(self, vocab, ctx, d, layers, heads):
        super().__init__()
        self.layers, self.cache_heads, self.head_dim = layers, heads, d // heads
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([Gpt2Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        nn.init.normal_(self.wte.weight, std=0.5)  # large enough that greedy arg-maxes have clear margins
        nn.init.normal_(self.wpe.weight, std=0.3)

    def hidden(self, input_ids, attention_mask, position_ids=None, past=None):
        """GPT2Model: the final hidden states [B,S,d] (after ln_f) and the presents."""
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2] if past is not None else 0
        if position_ids is None:  # transformers' GPT2Model: positions continue from the past length
            position_ids = (torch.arange(s) + past_len).unsqueeze(0)
        bias = attention_bias(attention_mask, s, past_len)
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for n, block in enumerate(self.h):
            pk, pv = past[n] if past is not None else (None, None)
            x, k, v = block(x, bias, pk, pv)
            presents.append((k, v))
        return self.ln_f(x), presents

    def forward(self, input_ids, attention_mask, position_ids=None, past=None):
        x, presents = self.hidden(input_ids, attention_mask, position_ids, past)
        return x @ self.wte.weight.t(), presents


# ----------------------------------------------------------------------------------------- Llama model
class RmsNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, d, heads, kv_heads, head_dim, inter):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.input_layernorm = RmsNorm(d)
        self.q_proj = nn.Linear(d, heads * head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(heads * head_dim, d, bias=False)
        self.post_attention_layernorm = RmsNorm(d)
        self.gate_proj = nn.Linear(d, inter, bias=False)
        self.up_proj = nn.Linear(d, inter, bias=False)
        self.down_proj = nn.Linear(inter, d, bias=False)

    def repeat_kv(self, t):
        """transformers' repeat_kv: [B, KV, T, D] -> [B, KV * rep, T, D], each KV head serving rep query heads."""
        b, kv, length, hd = t.shape
        rep = self.heads // self.kv_heads
        return t[:, :, None, :, :].expand(b, kv, rep, length, hd).reshape(b, kv * rep, length, hd)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        b, s, _ = x.shape
        hx = self.input_layernorm(x)
        q = self.q_proj(hx).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(hx).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(hx).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        kr, vr = self.repeat_kv(k), self.repeat_kv(v)
        att = torch.softmax((q @ kr.transpose(-2, -1)) / math.sqrt(self.head_dim) + bias, dim=-1)
        x = x + self.o_proj((att @ vr).transpose(1, 2).reshape(b, s, self.heads * self.head_dim))
        hx = self.post_attention_layernorm(x)
        x = x + self.down_proj(F.silu(self.gate_proj(hx)) * self.up_proj(hx))
        return x, k, v


class Llama(nn.Module):
    def __init__(self, vocab, d, layers, heads, kv_heads, head_dim, inter, theta=10000.0):
        super().__init__()
        self.layers, self.cache_heads, self.head_dim = layers, kv_heads, head_dim  # the cache holds the KV heads
        self.embed_tokens = nn.Embedding(vocab, d)
        nn.init.normal_(self.embed_tokens.weight, std=1.0)
        self.blocks = nn.ModuleList([LlamaLayer(d, heads, kv_heads, head_dim, inter) for _ in range(layers)])
        self.norm = RmsNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        nn.init.normal_(self.lm_head.weight, std=0.6)
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim))

    def hidden(self, input_ids, attention_mask, position_ids, past=None):
        """LlamaModel: the final hidden states [B,S,d] (after the last RMSNorm) and the presents."""
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2] if past is not None else 0
        bias = attention_bias(attention_mask, s, past_len)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        x = self.embed_tokens(input_ids)
        presents = []
        for n, block in enumerate(self.blocks):
            pk, pv = past[n] if past is not None else (None, None)
            x, k, v = block(x, cos, sin, bias, pk, pv)
            presents.append((k, v))
        return self.norm(x), presents

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        x, presents = self.hidden(input_ids, attention_mask, position_ids, past)
        return self.lm_head(x), presents


# -------------------------------------------------------------------------------------------- export
class ExportWrapper(nn.Module):
    """Maps flat ONNX inputs named in `names` onto model(input_ids, attention_mask, position_ids, past)."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *args):
        a = dict(zip(self.names, args))
        past = None
        if "past_key_values.0.key" in a:
            past = [(a["past_key_values.%d.key" % n], a["past_key_values.%d.value" % n])
                    for n in range(self.model.layers)]
        logits, presents = self.model(a["input_ids"], a["attention_mask"], a.get("position_ids"), past)
        return (logits,) + tuple(t for kv in presents for t in kv)


def past_names(layers):
    return ["past_key_values.%d.%s" % (n, kv) for n in range(layers) for kv in ("key", "value")]


def present_names(layers):
    return ["present.%d.%s" % (n, kv) for n in range(layers) for kv in ("key", "value")]


def export(model, path, input_names, vocab):
    """torch.onnx.export with Optimum's dynamic axis names; the traced past has length 3."""
    b, s, p = 2, 2, 3
    with_past = "past_key_values.0.key" in input_names
    total = s + (p if with_past else 0)
    dummies = {"input_ids": torch.randint(0, vocab, (b, s)),
               "attention_mask": torch.ones(b, total, dtype=torch.long),
               "position_ids": torch.arange(total - s, total).unsqueeze(0).expand(b, s).contiguous()}
    for name in past_names(model.layers):
        dummies[name] = torch.randn(b, model.cache_heads, p, model.head_dim)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for name in past_names(model.layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in present_names(model.layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    output_names = ["logits"] + present_names(model.layers)
    torch.onnx.export(ExportWrapper(model, input_names).eval(), tuple(dummies[n] for n in input_names), path,
                      input_names=input_names, output_names=output_names,
                      dynamic_axes={k: v for k, v in axes.items() if k in input_names + output_names},
                      opset_version=OPSET, do_constant_folding=True)
    return onnx.load(path)


def as_branch(model, prefix, canonical):
    """The graph of an exported model as an If branch: no inputs of its own (it reads the outer graph's inputs
    and the shared initializers), every value it computes renamed under `prefix`."""
    g = model.graph
    renamed = {}
    for node in g.node:
        for o in node.output:
            renamed[o] = prefix + o
    nodes = []
    for node in g.node:
        n = onnx.NodeProto()
        n.CopyFrom(node)
        n.name = prefix + (node.name or node.op_type)
        n.input[:] = [renamed.get(i, canonical.get(i, i)) for i in node.input]
        n.output[:] = [renamed[o] for o in node.output]
        nodes.append(n)
    outputs = []
    for out in g.output:
        if out.name not in renamed:  # an output that is an input or initializer needs a node to produce it
            renamed[out.name] = prefix + out.name
            nodes.append(helper.make_node("Identity", [canonical.get(out.name, out.name)], [renamed[out.name]]))
        vi = onnx.ValueInfoProto()
        vi.CopyFrom(out)
        vi.name = renamed[out.name]
        outputs.append(vi)
    return helper.make_graph(nodes, prefix.strip("/"), [], outputs)


def merge_decoders(no_past, with_past):
    """Optimum's decoder_model_merged layout: one If node on `use_cache_branch` (bool[1]); then = with past,
    else = without past. Identical weights of the two exports are stored once in the outer graph."""
    by_digest, initializers, canonicals = {}, [], []
    for model, tag in ((with_past, "wp"), (no_past, "np")):
        canonical = {}
        for init in model.graph.initializer:
            digest = hashlib.sha256(init.SerializeToString().replace(init.name.encode(), b"")).hexdigest()
            digest += ":" + str(init.data_type) + ":" + ",".join(map(str, init.dims))
            if digest not in by_digest:
                t = onnx.TensorProto()
                t.CopyFrom(init)
                t.name = "%s::%s" % (tag, init.name) if any(i.name == init.name for i in initializers) else init.name
                by_digest[digest] = t.name
                initializers.append(t)
            canonical[init.name] = by_digest[digest]
        canonicals.append(canonical)
    then_branch = as_branch(with_past, "with_past/", canonicals[0])
    else_branch = as_branch(no_past, "no_past/", canonicals[1])
    flag = helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    outputs = list(with_past.graph.output)
    if_node = helper.make_node("If", ["use_cache_branch"], [o.name for o in outputs], name="optimum::if",
                               then_branch=then_branch, else_branch=else_branch)
    graph = helper.make_graph([if_node], "merged_decoder", list(with_past.graph.input) + [flag], outputs,
                              initializer=initializers)
    merged = helper.make_model(graph, opset_imports=list(with_past.opset_import), producer_name="alignstream")
    merged.ir_version = with_past.ir_version
    onnx.checker.check_model(merged)
    return merged


# ----------------------------------------------------------------------------------------- references
@torch.no_grad()
def full_logits(model, ids, uses_position_ids):
    x = torch.tensor([ids])
    positions = torch.arange(len(ids)).unsqueeze(0) if uses_position_ids else None
    return model(x, torch.ones(1, len(ids), dtype=torch.long), positions)[0][0, -1]


@torch.no_grad()
def check_cache_consistency(model, ids, uses_position_ids):
    """The torch model itself: prefill + one cached step equals full recomputation."""
    n = len(ids)
    pos = torch.arange(n - 1).unsqueeze(0) if uses_position_ids else None
    _, past = model(torch.tensor([ids[:-1]]), torch.ones(1, n - 1, dtype=torch.long), pos)
    step = model(torch.tensor([ids[-1:]]), torch.ones(1, n, dtype=torch.long),
                 torch.tensor([[n - 1]]) if uses_position_ids else None, past)[0][0, -1]
    full = full_logits(model, ids, uses_position_ids)
    assert torch.allclose(step, full, atol=1e-5), (step - full).abs().max()


@torch.no_grad()
def references(model, tokenizer, uses_position_ids):
    refs = []
    for prompt in PROMPTS:
        ids = tokenizer.encode(prompt)
        logits = full_logits(model, ids, uses_position_ids)
        check_cache_consistency(model, ids, uses_position_ids)
        greedy, cur = [], list(ids)
        for _ in range(GREEDY_STEPS):  # full recomputation, no cache: the Java KV-cache path must match it
            step = full_logits(model, cur, uses_position_ids)
            top = torch.topk(step, 2).values
            if top[0] - top[1] < MIN_GREEDY_MARGIN:
                raise SystemExit("greedy step of %r has a near tie (%.2e): change the seed" % (prompt, top[0] - top[1]))
            greedy.append(int(torch.argmax(step)))
            cur.append(greedy[-1])
        refs.append({"prompt": prompt, "input_ids": ids, "last_logits": [round(v, 7) for v in logits.tolist()],
                     "greedy_ids": greedy})
    return refs


def write_fixture(out, name, onnx_model, config, tokenizer, model, uses_position_ids, layout):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(onnx_model, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tokenizer.write(os.path.join(d, "tokenizer.json"))
    ref = {"layout": layout, "inputs": [i.name for i in onnx_model.graph.input],
           "references": references(model, tokenizer, uses_position_ids)}
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print("%-15s %7d bytes  inputs %s" % (name, os.path.getsize(os.path.join(d, "model.onnx")), ref["inputs"]))


def gpt2_config(tokenizer, ctx, d, layers, heads):
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": tokenizer.vocab_size,
            "n_positions": ctx, "n_ctx": ctx, "n_embd": d, "n_layer": layers, "n_head": heads,
            "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05, "bos_token_id": tokenizer.eos_id,
            "eos_token_id": tokenizer.eos_id, "use_cache": True, "torch_dtype": "float32"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "inference", "src", "test", "resources", "lm-fixtures"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    ctx, d, layers = 64, 16, 2

    gpt2_tok = Gpt2Tokenizer(300)
    with tempfile.TemporaryDirectory() as tmp:
        # a. GPT-2, Optimum < 1.14: input_ids, past..., attention_mask; positions computed inside the graph
        torch.manual_seed(11)
        gpt2 = Gpt2(gpt2_tok.vocab_size, ctx, d, layers, 2).eval()
        names = ["input_ids"] + past_names(layers) + ["attention_mask"]
        model = export(gpt2, os.path.join(tmp, "gpt2.onnx"), names, gpt2_tok.vocab_size)
        write_fixture(args.out, "gpt2-style", model, gpt2_config(gpt2_tok, ctx, d, layers, 2), gpt2_tok, gpt2,
                      False, "GPT-2 decoder with past, no position_ids input (Optimum < 1.14)")

        # b. Optimum decoder_model_merged: decoder_model + decoder_with_past_model under one If node
        torch.manual_seed(22)
        gpt2m = Gpt2(gpt2_tok.vocab_size, ctx, d, layers, 2).eval()
        no_past = export(gpt2m, os.path.join(tmp, "decoder_model.onnx"),
                         ["input_ids", "attention_mask", "position_ids"], gpt2_tok.vocab_size)
        with_past = export(gpt2m, os.path.join(tmp, "decoder_with_past_model.onnx"),
                           ["input_ids"] + past_names(layers) + ["attention_mask", "position_ids"],
                           gpt2_tok.vocab_size)
        write_fixture(args.out, "merged-decoder", merge_decoders(no_past, with_past),
                      gpt2_config(gpt2_tok, ctx, d, layers, 2), gpt2_tok, gpt2m, True,
                      "Optimum decoder_model_merged: If on use_cache_branch bool[1]")

        # c. Llama with grouped-query attention and head_dim != hidden_size / num_attention_heads
        llama_tok = LlamaTokenizer(330)
        torch.manual_seed(33)
        heads, kv_heads, head_dim, inter = 4, 2, 8, 32
        llama = Llama(llama_tok.vocab_size, d, layers, heads, kv_heads, head_dim, inter).eval()
        model = export(llama, os.path.join(tmp, "llama.onnx"),
                       ["input_ids"] + past_names(layers) + ["attention_mask", "position_ids"],
                       llama_tok.vocab_size)
        config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": llama_tok.vocab_size,
                  "hidden_size": d, "intermediate_size": inter, "num_hidden_layers": layers,
                  "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": head_dim,
                  "max_position_embeddings": ctx, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
                  "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": llama_tok.bos_id,
                  "eos_token_id": llama_tok.eos_id, "use_cache": True, "torch_dtype": "float32"}
        write_fixture(args.out, "llama-style", model, config, llama_tok, llama, True,
                      "Llama decoder with past, GQA 4/2 heads, head_dim 8")
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(args.out) for f in fs)
    print("total %d bytes in %s" % (total, args.out))
    assert total < 2_000_000, "fixtures must stay below 2 MB"


if __name__ == "__main__":
    main()
