"""The "shared-past" scoring graph of a decoder reward model (DecoderRewardModel's fast path for tokenwise rounds).

A tokenwise round scores k texts that extend one prefix by a token or two each. With the plain decoder-with-past
export (model.onnx) every row needs its own past, so the caller copies the prefix's keys and values k times and
ONNX Runtime concatenates and attends over k copies: O(k * prefix) memory traffic per round. The graph written here
takes ONE batch-1 past and lets all k rows attend to it: per layer the k rows' queries are stacked into one
[1, heads, k * S, headDim] matrix and multiplied with the batch-1 past keys (one GEMM per head, M = k * S), the
scores over the past and over the rows' own new tokens share one softmax, and the two value products are summed.
Same function as model.onnx over a repeated past, with a different float summation order (the attention-weighted
sum is split in two).

  inputs : input_ids [k, S] int64, attention_mask [k, P + S] int64 (the first P columns 1: the past is one real
           prefix), position_ids [k, S] int64 (only if model.onnx has it), past_key_values.N.key|value
           [1, kvHeads, P, headDim] float32 (batch fixed at 1)
  outputs: logits [k, S, 1] float32 (the score head at every position; no presents)

The file is model_shared_past.onnx beside model.onnx, written from the same torch weights. Backbones: the GPT-2 and
Llama classes of make_hf_decoder_fixtures.py (GPT-2: ln_1 / c_attn / c_proj / ln_2 / c_fc / mlp_proj, named as HF's
GPT2 modules except mlp_proj = HF's mlp.c_proj; Llama: HF's names, grouped-query attention).
Used by make_hf_reward_fixtures.py (the test fixtures), ops/realistic/make_realistic_models.py and hf_shared_past.py
(a user's transformers checkpoint -> these classes -> this graph; ops/add-shared-past.sh).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

FILE_NAME = "model_shared_past.onnx"


def _shared_attention(q, k_new, v_new, past_k, past_v, bias, head_dim, rep):
    """Attention of k rows over one batch-1 past plus each row's own new keys.

    q [b, H, s, hd]; k_new, v_new [b, KV, s, hd]; past_k, past_v [1, KV, P, hd]; bias [b, 1, s, P + s] (additive,
    causal + padding, as attention_bias builds it); H = KV * rep (query head h reads KV head h // rep, as repeat_kv).
    Returns [b, H, s, hd]."""
    b, h, s, hd = q.shape
    kv = past_k.shape[1]
    p = past_k.shape[2]
    # queries grouped by the KV head they read, all rows stacked: [1, KV, b * rep * s, hd]
    qg = q.reshape(b, kv, rep * s, hd).transpose(0, 1).reshape(1, kv, -1, hd)
    sp = (qg @ past_k.transpose(-2, -1))  # [1, KV, b * rep * s, P]: one GEMM per KV head over the shared past
    sp = sp.reshape(kv, b, rep * s, p).transpose(0, 1).reshape(b, h, s, p)
    if rep > 1:
        k_new = k_new[:, :, None, :, :].expand(b, kv, rep, s, hd).reshape(b, h, s, hd)
        v_new = v_new[:, :, None, :, :].expand(b, kv, rep, s, hd).reshape(b, h, s, hd)
    sn = q @ k_new.transpose(-2, -1)  # [b, H, s, s]
    att = torch.softmax(torch.cat([sp, sn], dim=-1) / math.sqrt(head_dim) + bias, dim=-1)
    ap, an = att[..., :p], att[..., p:]
    apg = ap.reshape(b, kv, rep * s, p).transpose(0, 1).reshape(1, kv, -1, p)
    op = (apg @ past_v).reshape(kv, b, rep * s, hd).transpose(0, 1).reshape(b, h, s, hd)
    return op + an @ v_new


def _gpt2_block(block, x, bias, pk, pv):
    b, s, d = x.shape
    h = block.heads
    hd = d // h
    q, k, v = block.c_attn(block.ln_1(x)).split(d, dim=2)
    q, k, v = (t.view(b, s, h, hd).transpose(1, 2) for t in (q, k, v))
    a = _shared_attention(q, k, v, pk, pv, bias, hd, 1)
    x = x + block.c_proj(a.transpose(1, 2).reshape(b, s, d))
    return x + block.mlp_proj(F.gelu(block.c_fc(block.ln_2(x)), approximate="tanh"))


def rotate_half(x):
    """transformers' rotate_half (as make_hf_decoder_fixtures.rotate_half)."""
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def _llama_layer(layer, x, cos, sin, bias, pk, pv):
    b, s, _ = x.shape
    hx = layer.input_layernorm(x)
    q = layer.q_proj(hx).view(b, s, layer.heads, layer.head_dim).transpose(1, 2)
    k = layer.k_proj(hx).view(b, s, layer.kv_heads, layer.head_dim).transpose(1, 2)
    v = layer.v_proj(hx).view(b, s, layer.kv_heads, layer.head_dim).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    a = _shared_attention(q, k, v, pk, pv, bias, layer.head_dim, layer.heads // layer.kv_heads)
    x = x + layer.o_proj(a.transpose(1, 2).reshape(b, s, layer.heads * layer.head_dim))
    hx = layer.post_attention_layernorm(x)
    return x + layer.down_proj(F.silu(layer.gate_proj(hx)) * layer.up_proj(hx))


class SharedPastScorer(nn.Module):
    """The score head over a GPT-2 or Llama backbone (make_hf_decoder_fixtures' classes) whose k rows read one
    batch-1 past. forward(input_ids, attention_mask, position_ids or None, past) -> logits [k, S, 1]."""

    def __init__(self, fx, backbone, score):
        super().__init__()
        self.fx, self.backbone, self.score = fx, backbone, score
        self.layers = backbone.layers
        self.llama = hasattr(backbone, "blocks")

    def forward(self, input_ids, attention_mask, position_ids, past):
        bb = self.backbone
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        bias = self.fx.attention_bias(attention_mask, s, past_len)
        if self.llama:
            freqs = position_ids.unsqueeze(-1).float() * bb.inv_freq
            emb = torch.cat([freqs, freqs], dim=-1)
            cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
            x = bb.embed_tokens(input_ids)
            for n, layer in enumerate(bb.blocks):
                x = _llama_layer(layer, x, cos, sin, bias, past[n][0], past[n][1])
            return self.score(bb.norm(x))
        if position_ids is None:  # GPT-2 exports without position_ids: positions continue from the past length
            position_ids = (torch.arange(s) + past_len).unsqueeze(0)
        x = bb.wte(input_ids) + bb.wpe(position_ids)
        for n, block in enumerate(bb.h):
            x = _gpt2_block(block, x, bias, past[n][0], past[n][1])
        return self.score(bb.ln_f(x))


class _Wrapper(nn.Module):
    def __init__(self, scorer, names):
        super().__init__()
        self.scorer, self.names = scorer, names

    def forward(self, *args):
        a = dict(zip(self.names, args))
        past = [(a["past_key_values.%d.key" % n], a["past_key_values.%d.value" % n]) for n in range(self.scorer.layers)]
        return self.scorer(a["input_ids"], a["attention_mask"], a.get("position_ids"), past)


def export(fx, backbone, score, path, uses_position_ids, cache_heads, head_dim, vocab):
    """Writes the shared-past graph of (backbone, score) to `path` (opset fx.OPSET, Optimum's axis names)."""
    scorer = SharedPastScorer(fx, backbone, score).eval()
    layers = backbone.layers
    names = ["input_ids"] + fx.past_names(layers) + ["attention_mask"] + (["position_ids"] if uses_position_ids else [])
    b, s, p = 3, 2, 4
    dummies = {"input_ids": torch.randint(0, vocab - 1, (b, s)),
               "attention_mask": torch.ones(b, p + s, dtype=torch.long),
               "position_ids": torch.arange(p, p + s).unsqueeze(0).expand(b, s).contiguous()}
    for name in fx.past_names(layers):
        dummies[name] = torch.randn(1, cache_heads, p, head_dim)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for name in fx.past_names(layers):
        axes[name] = {2: "past_sequence_length"}  # batch stays 1: the one shared past
    with torch.no_grad():
        torch.onnx.export(_Wrapper(scorer, names).eval(), tuple(dummies[n] for n in names), path,
                          input_names=names, output_names=["logits"], dynamic_axes=axes,
                          opset_version=fx.OPSET, do_constant_folding=True)
    return scorer


@torch.no_grad()
def check(fx, model, scorer, ids, endings, uses_position_ids, tolerance=1e-5):
    """torch: the shared-past scorer on one-token extensions of `ids` equals the plain model over k copies of the
    past (what DecoderRewardModel did before). Returns the largest difference."""
    n = len(ids)
    pos = torch.arange(n).unsqueeze(0) if uses_position_ids else None
    _, past = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.long), pos)
    k = len(endings)
    x = torch.tensor([[t] for t in endings])
    mask = torch.ones(k, n + 1, dtype=torch.long)
    positions = torch.full((k, 1), n, dtype=torch.long) if uses_position_ids else None
    repeated = [(pk.expand(k, -1, -1, -1).contiguous(), pv.expand(k, -1, -1, -1).contiguous()) for pk, pv in past]
    plain = model(x, mask, positions, repeated)[0]
    shared = scorer(x, mask, positions, past)
    worst = float((plain - shared).abs().max())
    assert worst < tolerance, "shared-past scores differ from the plain graph's by %g" % worst
    return worst
