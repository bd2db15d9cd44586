#!/usr/bin/env python3
"""Train alignstream's default causal language model and export it to ONNX with a KV cache.

Everything here runs offline on Debian packages: the corpus is Jane Austen's six novels from
`r-cran-janeaustenr`, the tokenizer is a byte-level BPE trained by this script and written in
Hugging Face `tokenizer.json` format, the model is a small GPT-style decoder trained with Debian's
`python3-torch`, exported in the Hugging Face / Optimum decoder layout:

  inputs : input_ids [B,S] int64, attention_mask [B,P+S] int64, position_ids [B,S] int64,
           past_key_values.{i}.key / .value [B,H,P,D] float32
  outputs: logits [B,S,V] float32, present.{i}.key / .value [B,H,P+S,D] float32

Usage (see models/lm-austen/MODEL_CARD.md for the exact command that produced the shipped model):
  /usr/bin/python3 ops/train-lm/train_lm.py --out models/lm-austen --minutes 50
"""
import argparse
import collections
import json
import math
import os
import random
import re
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EOS = "<|endoftext|>"
BOOKS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]
# GPT-2 pre-tokenisation, approximated with Python's re (the Java side uses the exact HF ByteLevel split;
# a mismatch would only make merges slightly less effective, never change correctness).
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


# ----------------------------------------------------------------------------------------- corpus
def load_corpus(cache):
    if not os.path.exists(cache):
        script = ("library(janeaustenr); out <- file('%s', 'w'); "
                  "for (b in c(%s)) { writeLines(get(b), out); writeLines(c('', '@@BOOK@@', ''), out) }; close(out)"
                  % (cache, ",".join("'%s'" % b for b in BOOKS)))
        subprocess.run(["Rscript", "-e", script], check=True)
    with open(cache, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    paragraphs, cur = [], []
    for line in lines + [""]:
        s = line.strip()
        if not s:
            if cur:
                paragraphs.append(" ".join(cur))
                cur = []
            continue
        if s == "@@BOOK@@" or re.match(r"^(CHAPTER|VOLUME|Chapter)\b", s) or s.isupper():
            continue
        cur.append(s)
    return [p for p in paragraphs if len(p) > 20]


# ---------------------------------------------------------------------------------- byte-level BPE
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENC = bytes_to_unicode()


def to_symbols(word):
    return tuple(BYTE_ENC[b] for b in word.encode("utf-8"))


def train_bpe(paragraphs, vocab_size):
    counts = collections.Counter()
    for p in paragraphs:
        counts.update(PRETOKENIZE.findall(p))
    words = [list(to_symbols(w)) for w in counts]
    freqs = list(counts.values())
    vocab = sorted(set(BYTE_ENC.values()), key=lambda c: ord(c))
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    merges = []
    target = vocab_size - 1 - len(vocab)  # one id is kept for <|endoftext|>
    while len(merges) < target and pair_counts:
        best = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pair_counts[best] < 2:
            break
        merges.append(best)
        merged = best[0] + best[1]
        vocab.append(merged)
        for i in list(where[best]):
            w = words[i]
            f = freqs[i]
            for a, b in zip(w, w[1:]):
                pair_counts[(a, b)] -= f
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
            j, nw = 0, []
            while j < len(w):
                if j < len(w) - 1 and w[j] == best[0] and w[j + 1] == best[1]:
                    nw.append(merged)
                    j += 2
                else:
                    nw.append(w[j])
                    j += 1
            words[i] = nw
            for a, b in zip(nw, nw[1:]):
                pair_counts[(a, b)] += f
                where[(a, b)].add(i)
        del where[best]
    token_to_id = {t: i for i, t in enumerate(vocab)}
    token_to_id[EOS] = len(vocab)
    return token_to_id, merges


class BpeEncoder:
    def __init__(self, token_to_id, merges):
        self.token_to_id = token_to_id
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.cache = {}

    def encode_word(self, word):
        if word in self.cache:
            return self.cache[word]
        syms = list(to_symbols(word))
        while len(syms) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(syms, syms[1:]))]
            rank, k = min(pairs)
            if rank == 1 << 30:
                break
            syms[k:k + 2] = [syms[k] + syms[k + 1]]
        ids = [self.token_to_id[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for w in PRETOKENIZE.findall(text):
            out.extend(self.encode_word(w))
        return out


def write_tokenizer_json(path, token_to_id, merges):
    eos_id = token_to_id[EOS]
    vocab = {t: i for t, i in token_to_id.items() if t != EOS}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eos_id, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": ["%s %s" % m for m in merges]},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)


# ------------------------------------------------------------------------------------------- model
class Block(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias, past_k=None, past_v=None):
        b, s, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, s, h, d // h).transpose(1, 2)
        k = k.view(b, s, h, d // h).transpose(1, 2)
        v = v.view(b, s, h, d // h).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h)) + bias
        att = self.drop(torch.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.drop(self.proj(y))
        x = x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))
        return x, k, v


class Gpt(nn.Module):
    def __init__(self, vocab, ctx, d, layers, heads, dropout):
        super().__init__()
        self.cfg = dict(vocab=vocab, ctx=ctx, d=d, layers=layers, heads=heads, dropout=dropout)
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)
        self.apply(self._init)
        for blk in self.blocks:  # GPT-2 scaled init of residual projections
            nn.init.normal_(blk.proj.weight, std=0.02 / math.sqrt(2 * layers))
            nn.init.normal_(blk.out.weight, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        """past: list of (k, v) per layer or None. Returns logits and the presents."""
        s = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - s
        # causal + padding mask as an additive bias [B,1,S,total]
        i = torch.arange(s, device=input_ids.device).unsqueeze(1) + past_len
        j = torch.arange(total, device=input_ids.device).unsqueeze(0)
        causal = (j <= i).unsqueeze(0).unsqueeze(0)
        keep = causal & (attention_mask[:, None, None, :] > 0)
        bias = (~keep).to(torch.float32) * -1e9
        x = self.drop(self.tok(input_ids) + self.pos(position_ids))
        presents = []
        for n, blk in enumerate(self.blocks):
            pk, pv = (past[n] if past is not None else (None, None))
            x, k, v = blk(x, bias, pk, pv)
            presents.append((k, v))
        logits = self.ln(x) @ self.tok.weight.t()
        return logits, presents


class OnnxWrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * n], past_flat[2 * n + 1]) for n in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        flat = []
        for k, v in presents:
            flat += [k, v]
        return (logits, *flat)


# ---------------------------------------------------------------------------------------- training
def batches(data, ctx, batch, gen):
    n = data.numel() - ctx - 1
    while True:
        starts = torch.randint(0, n, (batch,), generator=gen)
        x = torch.stack([data[s:s + ctx] for s in starts])
        y = torch.stack([data[s + 1:s + ctx + 1] for s in starts])
        yield x, y


def forward_full(model, x):
    b, s = x.shape
    mask = torch.ones(b, s, dtype=torch.long)
    pos = torch.arange(s).unsqueeze(0).expand(b, s)
    return model(x, mask, pos)[0]


@torch.no_grad()
def evaluate(model, data, ctx, batch=32):
    model.eval()
    total, count = 0.0, 0
    for s in range(0, data.numel() - ctx - 1, ctx * batch):
        xs, ys = [], []
        for b in range(batch):
            o = s + b * ctx
            if o + ctx + 1 > data.numel():
                break
            xs.append(data[o:o + ctx])
            ys.append(data[o + 1:o + ctx + 1])
        if not xs:
            break
        x, y = torch.stack(xs), torch.stack(ys)
        logits = forward_full(model, x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    model.train()
    return math.exp(total / count)


@torch.no_grad()
def sample(model, enc, id_to_token, prompt, n_tokens, temperature, seed):
    gen = torch.Generator().manual_seed(seed)
    ids = enc.encode(prompt)
    model.eval()
    x = torch.tensor([ids])
    past = None
    out = []
    mask_len = x.shape[1]
    pos = torch.arange(x.shape[1]).unsqueeze(0)
    for _ in range(n_tokens):
        logits, past = model(x, torch.ones(1, mask_len, dtype=torch.long), pos, past)
        p = torch.softmax(logits[0, -1] / temperature, dim=-1)
        t = torch.multinomial(p, 1, generator=gen).item()
        if id_to_token[t] == EOS:
            break
        out.append(t)
        x = torch.tensor([[t]])
        pos = torch.tensor([[mask_len]])
        mask_len += 1
    model.train()
    return decode(out, id_to_token)


BYTE_DEC = {v: k for k, v in BYTE_ENC.items()}


def decode(ids, id_to_token):
    return bytes(BYTE_DEC[c] for i in ids for c in id_to_token[i] if id_to_token[i] != EOS).decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------- export
def export_onnx(model, onnx_path):
    """Exports in the Hugging Face / Optimum decoder layout with past key values (see the module docstring)."""
    cfg = model.cfg
    layers, heads, vocab = cfg["layers"], cfg["heads"], cfg["vocab"]
    wrapper = OnnxWrapper(model).eval()
    b, s, p = 2, 3, 4
    h, dh = heads, cfg["d"] // heads
    dummy = (torch.randint(0, vocab, (b, s)), torch.ones(b, p + s, dtype=torch.long),
             torch.arange(p, p + s).unsqueeze(0).expand(b, s).contiguous())
    dummy_past = tuple(torch.zeros(b, h, p, dh) for _ in range(2 * layers))
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in range(layers):
        for kv in ("key", "value"):
            in_names.append("past_key_values.%d.%s" % (n, kv))
            out_names.append("present.%d.%s" % (n, kv))
            axes["past_key_values.%d.%s" % (n, kv)] = {0: "batch_size", 2: "past_sequence_length"}
            axes["present.%d.%s" % (n, kv)] = {0: "batch_size", 2: "total_sequence_length"}
    torch.onnx.export(wrapper, dummy + dummy_past, onnx_path, input_names=in_names, output_names=out_names,
                      dynamic_axes=axes, opset_version=14, do_constant_folding=True)


def write_config(path, model, eos_id):
    cfg = model.cfg
    config = {"model_type": "gpt-alignstream", "vocab_size": cfg["vocab"], "n_positions": cfg["ctx"],
              "n_embd": cfg["d"], "n_layer": cfg["layers"], "n_head": cfg["heads"],
              "head_dim": cfg["d"] // cfg["heads"], "eos_token_id": eos_id, "bos_token_id": eos_id,
              "torch_dtype": "float32"}
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


REFERENCE_PROMPTS = ["It is a truth universally acknowledged", "She was"]
SAMPLE_PROMPTS = ["It is a truth", "Mr. Darcy", "She was", "My dear"]


@torch.no_grad()
def reference_values(model, enc, id_to_token):
    """reference.json: for each reference prompt its ids, the last position's logits and 12 greedy tokens computed
    by full recomputation without a cache (the Java KV-cache path must match), plus four samples at T = 0.8."""
    model.eval()
    refs = []
    for prompt in REFERENCE_PROMPTS:
        ids = enc.encode(prompt)
        x = torch.tensor([ids])
        logits = forward_full(model, x)[0, -1]
        greedy, cur = [], list(ids)
        for _ in range(12):
            nxt = int(torch.argmax(forward_full(model, torch.tensor([cur]))[0, -1]).item())
            greedy.append(nxt)
            cur.append(nxt)
        refs.append({"prompt": prompt, "input_ids": ids, "last_logits_first8": logits[:8].tolist(),
                     "last_logits_argmax": int(torch.argmax(logits).item()),
                     "last_logits_max": float(logits.max().item()),
                     "log_softmax_at_argmax": float(torch.log_softmax(logits, -1).max().item()),
                     "greedy_ids": greedy})
    samples = [sample(model, enc, id_to_token, pr, 40, 0.8, seed) for seed, pr in enumerate(SAMPLE_PROMPTS)]
    return {"references": refs, "samples": samples}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/alignstream-lm")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--d", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--minutes", type=float, default=50.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: time budget only)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)

    t0 = time.time()
    paragraphs = load_corpus(os.path.join(args.work, "austen.txt"))
    rnd = random.Random(args.seed)
    rnd.shuffle(paragraphs)
    n_val = len(paragraphs) // 20
    val_par, train_par = paragraphs[:n_val], paragraphs[n_val:]
    token_to_id, merges = train_bpe(train_par, args.vocab)
    id_to_token = {i: t for t, i in token_to_id.items()}
    write_tokenizer_json(os.path.join(args.out, "tokenizer.json"), token_to_id, merges)
    enc = BpeEncoder(token_to_id, merges)
    eos_id = token_to_id[EOS]

    def encode_all(pars):
        ids = []
        for p in pars:
            ids.extend(enc.encode(p))
            ids.append(eos_id)
        return torch.tensor(ids, dtype=torch.long)

    train, val = encode_all(train_par), encode_all(val_par)
    vocab = len(token_to_id)
    print("corpus: %d paragraphs, train %d tokens, val %d tokens, vocab %d, bpe %.1fs"
          % (len(paragraphs), train.numel(), val.numel(), vocab, time.time() - t0), flush=True)

    model = Gpt(vocab, args.ctx, args.d, args.layers, args.heads, args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    print("model: %d parameters" % n_params, flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    it = batches(train, args.ctx, args.batch, gen)
    budget = args.minutes * 60
    warmup = 200
    total_steps = args.max_steps if args.max_steps else 10 ** 9
    step, t_train = 0, time.time()
    while step < total_steps:
        if step == 30 and not args.max_steps:  # fix the schedule from the measured speed
            per_step = (time.time() - t_train) / 30
            total_steps = max(300, int(budget / per_step))
            print("%.3fs/step -> %d steps in %.0f min" % (per_step, total_steps, args.minutes), flush=True)
        lr = args.lr * min(1.0, (step + 1) / warmup)
        if step >= warmup and total_steps < 10 ** 9:
            lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup))))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = next(it)
        logits = forward_full(model, x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 200 == 0:
            print("step %d loss %.3f lr %.2e elapsed %.0fs" % (step, loss.item(), lr, time.time() - t_train), flush=True)
        if step % 2000 == 0:
            print("  val ppl %.2f | %s" % (evaluate(model, val, args.ctx),
                                          sample(model, enc, id_to_token, "It is a truth", 30, 0.8, 1)), flush=True)
    train_minutes = (time.time() - t_train) / 60
    val_ppl = evaluate(model, val, args.ctx)
    print("final val ppl %.2f after %d steps, %.1f min" % (val_ppl, step, train_minutes), flush=True)
    model.eval()
    torch.save({"cfg": model.cfg, "state": model.state_dict()}, os.path.join(args.work, "model.pt"))

    # ------------------------------------------------------------------------------------ export
    export_onnx(model, os.path.join(args.out, "model.onnx"))
    write_config(os.path.join(args.out, "config.json"), model, eos_id)
    reference = reference_values(model, enc, id_to_token)
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2)
    samples = reference["samples"]
    stats = {"parameters": n_params, "train_tokens": train.numel(), "val_tokens": val.numel(), "steps": step,
             "batch": args.batch, "ctx": args.ctx, "train_minutes": round(train_minutes, 1),
             "val_perplexity": round(val_ppl, 2), "paragraphs": len(paragraphs), "command": " ".join(sys.argv)}
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))
    for s_ in samples:
        print("sample:", s_)


if __name__ == "__main__":
    main()
