#!/usr/bin/env python3
"""Fine-tune alignstream's own LM (models/lm-austen) into a decoder reward model, as PARGS trains its reward models.

A sequence classifier on the lm-austen backbone (GPT-2 layout: the 4 pre-LayerNorm blocks and the final LayerNorm,
then a bias-free score Linear(192, 1) at every position, as transformers' GPT2ForSequenceClassification), the WHOLE
backbone fine-tuned (embeddings, blocks, final LayerNorm and head) with a Bradley-Terry loss on preference pairs
built from the labelled sentiment sentences:

  --kind partial  (id lm-austen-partial, kind partial-sequence): the PARGS recipe (Rashid et al. 2024): the chosen
                  and the rejected responses truncated to the SAME length l, prompt included, for every
                  l = 1 .. min(len_chosen, len_rejected) response tokens, plus the full pair. One causal forward pass
                  per sequence gives the score of every prefix (the score at position P + l - 1 only sees the prompt
                  and the first l response tokens), so every length costs nothing extra.
  --kind full     (id lm-austen-full, kind full-sequence): the same data, model and schedule, full responses only,
                  so that PARGS (partial model) against ARGS (full model) compares like with like.

Pairs: a positive (chosen) and a negative (rejected) sentence of the SAME style (review, news, narrative, dialogue,
original), sharing one prompt. Sentences are split exactly as the Java heads split them (LabelledSentences.split:
stratified by style and label, java.util.Random(seed) shuffles, reproduced here bit for bit), so held-out sentences
are never trained on by any proxy. Training pairs: each training positive with --negatives random training negatives
of its style, re-drawn every epoch; prompt: none (one pair in three) or one of TRAIN_PROMPTS, short Austen-style
openings like the evaluation's but not the evaluation's own, followed by the sentence as the response (" " + it).
Held-out pairs: each held-out positive with up to --heldout-negatives (3) held-out negatives of its style (seeded), the prompt cycling
through the evaluation prompts (evaluation/src/main/resources/alignstream/eval-prompts.txt) and no prompt.

Tokenisation is lm-austen's byte-level BPE (tokenizer.json; the encoder of ops/train-lm/train_lm.py); prompt and
response are tokenised separately and concatenated, which is what the Java DecoderRewardModel's pair encoding gives
with this tokenizer (its post-processor adds no special tokens). The exported graph is the decoder-with-past layout
DecoderRewardModel loads (inputs input_ids, attention_mask, position_ids, past_key_values.N.key/value; outputs
logits [B,S,1], present.N.key/value), with metadata alignstream.reward.id / version / kind and
alignstream.reward.scored_text = prompt_and_response: the model reads prompt + response.

Usage (Debian's torch; the training loop stops at a 4.5-minute budget, --max-minutes):
  /usr/bin/python3 ops/reward-lm-austen/train.py --kind partial --out models/reward-lm-austen-partial
  /usr/bin/python3 ops/reward-lm-austen/train.py --kind full --out models/reward-lm-austen-full
"""
import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = "original=models/reward-sentiment/sentences.tsv,training/data/sentiment/proxy"
EVAL_PROMPTS = "evaluation/src/main/resources/alignstream/eval-prompts.txt"
# Austen-style openings for training pairs, written for this script; none is an evaluation or sample prompt.
TRAIN_PROMPTS = [
    "Her sister", "The morning was", "Mr. Knightley said", "After dinner", "Captain Wentworth",
    "It had been", "Elinor thought", "The whole party", "Mrs. Jennings", "They walked",
    "Catherine felt", "His letter", "In the evening", "Miss Bates", "The news",
    "Edmund had", "Everybody agreed that", "Jane replied", "The house at Kellynch", "For a moment",
    "Mr. Collins", "Their visit", "She could not help thinking", "At breakfast",
]
BUCKETS = ["1", "2", "3-4", "5-7", "8+", "full"]


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lm = load_module("train_lm", os.path.join(ROOT, "ops", "train-lm", "train_lm.py"))


# ------------------------------------------------------------------------------ java.util.Random, bit for bit
class JavaRandom:
    """java.util.Random's 48-bit LCG, nextInt(bound) and Collections.shuffle, so that the split here is the Java one."""
    MULT, ADD, MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1

    def __init__(self, seed):
        self.seed = (seed ^ self.MULT) & self.MASK

    def next(self, bits):
        self.seed = (self.seed * self.MULT + self.ADD) & self.MASK
        r = self.seed >> (48 - bits)
        return r - (1 << bits) if r >= (1 << (bits - 1)) and bits == 32 else r

    def next_int(self, bound):
        if (bound & -bound) == bound:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def shuffle(self, items):
        for i in range(len(items), 1, -1):
            j = self.next_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]


def java_round(x):
    return int(math.floor(x + 0.5))


# --------------------------------------------------------------------------------------------- data
def load_tsv(path, style):
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f.read().split("\n")):
            if not line.strip() or (i == 0 and line.startswith("label\t")):
                continue
            label, sentence = line.split("\t")
            assert label in ("0", "1") and sentence.strip(), "%s line %d" % (path, i + 1)
            rows.append((style, int(label), sentence.strip()))
    return rows


def load_spec(spec, base):
    """LabelledSentences.load(spec, base): files, style=file, or directories whose *.tsv files are styles."""
    rows = []
    for entry in [e.strip() for e in spec.split(",") if e.strip()]:
        style, _, path = entry.partition("=") if "=" in entry else (None, None, entry)
        path = os.path.join(base, path.strip())
        if os.path.isdir(path):
            for name in sorted(n for n in os.listdir(path) if n.endswith(".tsv")):
                rows += load_tsv(os.path.join(path, name), name[:-4])
        else:
            rows += load_tsv(path, style.strip() if style else os.path.basename(path)[:-4])
    return rows


def data_hash(rows):
    """SentimentHeadTrainer.dataHash: SHA-256 prefix of style TAB label TAB sentence lines."""
    text = "".join("%s\t%d\t%s\n" % r for r in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def split(rows, seed, train_fraction=0.8):
    """LabelledSentences.split: per style (first appearance) and label (0, 1) shuffle and cut, then shuffle both."""
    rnd = JavaRandom(seed)
    styles = list(dict.fromkeys(r[0] for r in rows))
    train, held = [], []
    for style in styles:
        for label in (0, 1):
            idx = [i for i, r in enumerate(rows) if r[0] == style and r[1] == label]
            rnd.shuffle(idx)
            cut = java_round(train_fraction * len(idx))
            train += idx[:cut]
            held += idx[cut:]
    rnd.shuffle(train)
    rnd.shuffle(held)
    return [rows[i] for i in train], [rows[i] for i in held]


def read_prompts(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]


class Tokenizer:
    """lm-austen's tokenizer.json through train_lm.py's byte-level BPE encoder."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            tok = json.load(f)
        vocab = dict(tok["model"]["vocab"])
        for added in tok["added_tokens"]:
            vocab[added["content"]] = added["id"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tok["model"]["merges"]]
        self.enc = lm.BpeEncoder(vocab, merges)

    def encode(self, text):
        return self.enc.encode(text)

    def pair(self, prompt, response):
        """(prompt ids, response ids): each text tokenised on its own, as the Java pair encoding does."""
        return self.encode(prompt), self.encode(response)


def response_text(prompt, sentence):
    """The response as a continuation of the prompt: a leading space after a non-empty prompt, as a decoder writes it."""
    return (" " + sentence) if prompt else sentence


def pairs_by_style(rows, negatives, rnd):
    """(positive, negative) row pairs: each positive with up to `negatives` distinct negatives of its style."""
    out = []
    for style in dict.fromkeys(r[0] for r in rows):
        pos = [r for r in rows if r[0] == style and r[1] == 1]
        neg = [r for r in rows if r[0] == style and r[1] == 0]
        for p in pos:
            for n in rnd.sample(neg, min(negatives, len(neg))):
                out.append((style, p[2], n[2]))
    return out


# -------------------------------------------------------------------------------------------- model
class RewardLm(nn.Module):
    """GPT2ForSequenceClassification on the lm-austen backbone, before pooling: scores [B,S,1] and the presents."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.cfg = backbone.cfg  # layers, heads, vocab, d: what train_lm.py's exporter reads
        d = backbone.cfg["d"]
        self.score = nn.Linear(d, 1, bias=False)
        nn.init.normal_(self.score.weight, std=0.02)

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        g = self.backbone
        s = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - s
        i = torch.arange(s).unsqueeze(1) + past_len
        j = torch.arange(total).unsqueeze(0)
        keep = (j <= i).unsqueeze(0).unsqueeze(0) & (attention_mask[:, None, None, :] > 0)
        bias = (~keep).to(torch.float32) * -1e9
        x = g.drop(g.tok(input_ids) + g.pos(position_ids))
        presents = []
        for n, blk in enumerate(g.blocks):
            pk, pv = past[n] if past is not None else (None, None)
            x, k, v = blk(x, bias, pk, pv)
            presents.append((k, v))
        return self.score(g.ln(x)), presents


def load_backbone(lm_dir, dropout):
    """lm-austen's weights, read from its model.onnx: named initialisers for embeddings, LayerNorms and biases; each
    Linear's weight is the (transposed) MatMul initialiser whose output the Add with that Linear's bias consumes."""
    with open(os.path.join(lm_dir, "config.json")) as f:
        cfg = json.load(f)
    model = lm.Gpt(cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"], dropout)
    graph = onnx.load(os.path.join(lm_dir, "model.onnx")).graph
    inits = {i.name: torch.tensor(onnx.numpy_helper.to_array(i).copy()) for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    state = {}
    for name, tensor in inits.items():
        if name.startswith("model."):
            state[name[len("model."):]] = tensor
    for node in graph.node:
        if node.op_type != "Add":
            continue
        bias = [x for x in node.input if x.startswith("model.blocks.") and x.endswith(".bias")]
        if not bias:
            continue
        other = [x for x in node.input if x != bias[0]][0]
        mm = producer.get(other)
        if mm is None or mm.op_type != "MatMul":
            continue
        weight = [x for x in mm.input if x in inits and not x.startswith("model.")]
        if weight:
            state[bias[0][len("model."):-len(".bias")] + ".weight"] = inits[weight[0]].t().contiguous()
    missing = set(model.state_dict()) - set(state)
    assert not missing, "weights not found in %s: %s" % (lm_dir, sorted(missing))
    model.load_state_dict(state)
    return model, cfg


@torch.no_grad()
def check_backbone(model, tokenizer, lm_dir):
    """The loaded backbone reproduces lm-austen's reference logits (reference.json, computed when it was trained)."""
    model.eval()
    with open(os.path.join(lm_dir, "reference.json")) as f:
        refs = json.load(f)["references"]
    for ref in refs:
        ids = tokenizer.encode(ref["prompt"])
        assert ids == ref["input_ids"], (ids, ref["input_ids"])
        logits = lm.forward_full(model, torch.tensor([ids]))[0, -1]
        diff = (logits[:8] - torch.tensor(ref["last_logits_first8"])).abs().max().item()
        assert diff < 1e-3, "backbone logits differ from reference.json by %g" % diff
    model.train()


def batch_tensors(seqs):
    """Right-padded ids, mask and positions for full sequences (causal: real tokens never see the padding)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), 0, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    pos = torch.arange(width).unsqueeze(0).expand(len(seqs), width).contiguous()
    return ids, mask, pos


def encode_pair(tokenizer, prompt, chosen, rejected, ctx):
    p = tokenizer.encode(prompt)
    c = tokenizer.encode(response_text(prompt, chosen))
    r = tokenizer.encode(response_text(prompt, rejected))
    if len(p) + max(len(c), len(r)) > ctx:
        return None
    return p, c, r


def pair_losses(scores_c, scores_r, items, kind):
    """Bradley-Terry loss per pair: full pair only (full) or the mean over the equal-length prefixes and the full pair
    (partial). scores_*: [B,S] per-position scores; items: (prompt ids, chosen ids, rejected ids)."""
    losses = []
    for b, (p, c, r) in enumerate(items):
        P = len(p)
        full = scores_c[b, P + len(c) - 1] - scores_r[b, P + len(r) - 1]
        if kind == "full":
            losses.append(-F.logsigmoid(full))
            continue
        m = min(len(c), len(r))
        f = 0  # leading response tokens the two share: those prefixes are the same text and carry no preference
        while f < m and c[f] == r[f]:
            f += 1
        diffs = scores_c[b, P + f:P + m] - scores_r[b, P + f:P + m]
        losses.append(torch.cat([-F.logsigmoid(diffs), -F.logsigmoid(full).unsqueeze(0)]).mean())
    return torch.stack(losses)


def bucket(tokens):
    return str(tokens) if tokens <= 2 else "3-4" if tokens <= 4 else "5-7" if tokens <= 7 else "8+"


@torch.no_grad()
def evaluate(model, pairs, batch=32):
    """Held-out pair accuracy (chosen strictly higher): full responses per style, and by response prefix length in
    tokens (equal-length truncations, prompt included), over all styles."""
    model.eval()
    by_style, by_bucket = {}, {b: [0, 0] for b in BUCKETS}
    for k in range(0, len(pairs), batch):
        chunk = pairs[k:k + batch]
        seq_c = [p + c for _, p, c, r in chunk]
        seq_r = [p + r for _, p, c, r in chunk]
        sc = model(*batch_tensors(seq_c))[0][..., 0]
        sr = model(*batch_tensors(seq_r))[0][..., 0]
        for b, (style, p, c, r) in enumerate(chunk):
            P = len(p)
            ok = float(sc[b, P + len(c) - 1]) > float(sr[b, P + len(r) - 1])
            s = by_style.setdefault(style, [0, 0])
            s[0] += 1
            s[1] += ok
            by_bucket["full"][0] += 1
            by_bucket["full"][1] += ok
            for l in range(1, min(len(c), len(r)) + 1):
                if c[:l] == r[:l]:
                    continue  # the same text carries no preference
                t = by_bucket[bucket(l)]
                t[0] += 1
                t[1] += float(sc[b, P + l - 1]) > float(sr[b, P + l - 1])
    model.train()
    table = lambda t: {"pairs": t[0], "correct": t[1], "accuracy": t[1] / t[0] if t[0] else None}
    short = [sum(by_bucket[b][i] for b in ("1", "2", "3-4")) for i in (0, 1)]
    prefixes = [sum(by_bucket[b][i] for b in ("1", "2", "3-4", "5-7", "8+")) for i in (0, 1)]
    total = [sum(v[i] for v in by_style.values()) for i in (0, 1)]
    out_bucket = {b: table(by_bucket[b]) for b in BUCKETS}
    out_bucket["1-4"] = table(short)
    out_bucket["all-prefixes"] = table(prefixes)
    return {"full_pairs": table(total), "by_style": {s: table(v) for s, v in by_style.items()},
            "by_prefix_tokens": out_bucket}


# ------------------------------------------------------------------------------------------- export
def export(model, path, metadata):
    """Decoder-with-past layout (see the module docstring) through train_lm.py's exporter, the score head's output in
    the logits' place, then the alignstream metadata properties."""
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "model.onnx")
        lm.export_onnx(model, raw)
        graph = onnx.load(raw)
    del graph.metadata_props[:]
    for k, v in metadata.items():
        graph.metadata_props.add(key=k, value=v)
    onnx.save(graph, path)


@torch.no_grad()
def check_cache(model, ids):
    """The torch model itself: prefix cache + the last token scores as the whole text does (what the export keeps)."""
    model.eval()
    n = len(ids)
    full = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.long), torch.arange(n).unsqueeze(0))[0][0, -1, 0]
    _, past = model(torch.tensor([ids[:-1]]), torch.ones(1, n - 1, dtype=torch.long),
                    torch.arange(n - 1).unsqueeze(0))
    step = model(torch.tensor([ids[-1:]]), torch.ones(1, n, dtype=torch.long), torch.tensor([[n - 1]]), past)[0][0, -1, 0]
    assert abs(float(full) - float(step)) < 1e-4, (float(full), float(step))


REFERENCE_TEXTS = [  # (prompt, response): references the Java loader test re-scores through ONNX Runtime
    ("", "What a wonderful day, I am so happy!"),
    ("", "This is awful, I hate it."),
    ("She was", " delighted with the kindness of her friends."),
    ("She was", " miserable and could not forgive him."),
    ("My dear Emma,", " I have never been so pleased in all my life."),
]


@torch.no_grad()
def reference_scores(model, tokenizer):
    model.eval()
    out = []
    for prompt, response in REFERENCE_TEXTS:
        p, r = tokenizer.pair(prompt, response)
        ids = p + r
        score = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long),
                      torch.arange(len(ids)).unsqueeze(0))[0][0, -1, 0]
        out.append({"prompt": prompt, "response": response, "input_ids": ids, "score": round(float(score), 6)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["partial", "full"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=DEFAULT_DATA, help="data spec, as the Java trainers' --data")
    ap.add_argument("--lm", default="models/lm-austen")
    ap.add_argument("--version", default="1")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--batch", type=int, default=16, help="pairs per step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--negatives", type=int, default=4, help="negatives per training positive")
    ap.add_argument("--heldout-negatives", type=int, default=3)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=4.5, help="stop training early past this (recorded)")
    ap.add_argument("--stop-step", type=int, default=0,
                    help="stop after this many steps of the --steps schedule (0: run it all); to repeat a run that a"
                         " time budget stopped, e.g. the partial model's, step for step")
    args = ap.parse_args()
    os.chdir(ROOT)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    reward_id = "lm-austen-" + args.kind
    kind = "partial-sequence" if args.kind == "partial" else "full-sequence"

    tokenizer = Tokenizer(os.path.join(args.lm, "tokenizer.json"))
    backbone, cfg = load_backbone(args.lm, args.dropout)
    check_backbone(backbone, tokenizer, args.lm)
    model = RewardLm(backbone)
    ctx = cfg["n_positions"]

    rows = load_spec(args.data, ROOT)
    train_rows, held_rows = split(rows, args.seed)
    eval_prompts = read_prompts(EVAL_PROMPTS)
    assert not set(TRAIN_PROMPTS) & set(eval_prompts)
    held_rnd = random.Random(args.seed + 1)
    held_pairs = []
    for k, (style, c, r) in enumerate(pairs_by_style(held_rows, args.heldout_negatives, held_rnd)):
        prompt = (eval_prompts + [""])[k % (len(eval_prompts) + 1)]
        enc = encode_pair(tokenizer, prompt, c, r, ctx)
        if enc:
            held_pairs.append((style,) + enc)

    rnd = random.Random(args.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, args.steps // 10)
    queue, epoch, losses, step = [], 0, [], 0
    t_train = time.time()
    stopped_early = False
    model.train()
    while step < args.steps:
        if len(queue) < args.batch:  # a new epoch: fresh negatives and prompts for every positive
            epoch += 1
            for style, c, r in pairs_by_style(train_rows, args.negatives, rnd):
                prompt = "" if rnd.random() < 1 / 3 else rnd.choice(TRAIN_PROMPTS)
                enc = encode_pair(tokenizer, prompt, c, r, ctx)
                if enc:
                    queue.append(enc)
            rnd.shuffle(queue)
            # batches of similar length (less padding): sort windows of 8 batches by length, then shuffle the batches
            window = 8 * args.batch
            batches = []
            for w in range(0, len(queue), window):
                part = sorted(queue[w:w + window], key=lambda it: len(it[0]) + max(len(it[1]), len(it[2])))
                batches += [part[k:k + args.batch] for k in range(0, len(part), args.batch)]
            rnd.shuffle(batches)
            queue = [it for b in batches for it in b]
        items, queue = queue[:args.batch], queue[args.batch:]
        lr = args.lr * min(1.0, (step + 1) / warmup) * (1 - step / args.steps if step >= warmup else 1)
        for g in opt.param_groups:
            g["lr"] = lr
        sc = model(*batch_tensors([p + c for p, c, r in items]))[0][..., 0]
        sr = model(*batch_tensors([p + r for p, c, r in items]))[0][..., 0]
        loss = pair_losses(sc, sr, items, args.kind).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 25 == 0:
            print("step %d loss %.4f (mean of last 25 %.4f) lr %.2e %.0fs" % (step, loss.item(),
                  sum(losses[-25:]) / 25, lr, time.time() - t_train), flush=True)
        if args.stop_step and step >= args.stop_step:
            stopped_early = True
            print("stopped at step %d (--stop-step)" % step, flush=True)
            break
        if time.time() - t_train > args.max_minutes * 60:
            stopped_early = True
            print("time budget reached at step %d" % step, flush=True)
            break
    train_seconds = time.time() - t_train

    result = evaluate(model, held_pairs)
    print(json.dumps(result, indent=1))
    os.makedirs(args.out, exist_ok=True)
    metadata = {"alignstream.reward.id": reward_id, "alignstream.reward.version": args.version,
                "alignstream.reward.kind": kind, "alignstream.reward.scored_text": "prompt_and_response"}
    export(model, os.path.join(args.out, "model.onnx"), metadata)
    check_cache(model, held_pairs[0][1] + held_pairs[0][2])
    shutil.copy(os.path.join(args.lm, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    config = {"architectures": ["GPT2ForSequenceClassification"], "model_type": "gpt-alignstream",
              "vocab_size": cfg["vocab_size"], "n_positions": ctx, "n_embd": cfg["n_embd"],
              "n_layer": cfg["n_layer"], "n_head": cfg["n_head"], "head_dim": cfg["head_dim"],
              "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}, "pad_token_id": cfg["eos_token_id"],
              "eos_token_id": cfg["eos_token_id"], "bos_token_id": cfg["bos_token_id"], "torch_dtype": "float32"}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"references": reference_scores(model, tokenizer)}, f, indent=1)
        f.write("\n")
    styles = list(dict.fromkeys(r[0] for r in rows))
    report = {
        "reward_id": reward_id, "version": args.version, "kind": kind, "scored_text": "prompt_and_response",
        "backbone": "lm-austen (models/lm-austen/model.onnx weights, all fine-tuned)",
        "parameters": sum(p.numel() for p in model.parameters()),
        "data": ",".join((e.split("=")[0] + "=" if "=" in e else "") + os.path.relpath(
            os.path.join(ROOT, e.split("=")[-1]), os.path.abspath(args.out)) for e in args.data.split(",")),
        "data_sha256_prefix": data_hash(rows), "sentences": len(rows),
        "sentences_by_style": {s: sum(1 for r in rows if r[0] == s) for s in styles},
        "seed": args.seed, "train_fraction": 0.8,
        "split": "LabelledSentences.split reproduced (stratified by style and label, java.util.Random(seed))",
        "train_size": len(train_rows), "heldout_size": len(held_rows),
        "heldout_sha256_prefix": data_hash(held_rows),
        "loss": ("Bradley-Terry on the full pair only" if args.kind == "full" else
                 "Bradley-Terry, per pair the mean over the equal-length truncations l = 1..min(len) response tokens"
                 " (prompt included) and the full pair"),
        "train_pairs": "per epoch each training positive with %d random training negatives of its style; prompt"
                       " none (p = 1/3) or one of %d training openings (TRAIN_PROMPTS)" % (args.negatives,
                                                                                          len(TRAIN_PROMPTS)),
        "heldout_pairs": "each held-out positive with up to %d held-out negatives of its style (random.Random(seed+1));"
                         " prompt cycling through the %d evaluation prompts and none" % (args.heldout_negatives,
                                                                                        len(eval_prompts)),
        "heldout_pair_count": len(held_pairs),
        "optimizer": "AdamW lr %g (warm-up %d steps, then linear decay to 0), weight decay 0.01, batch %d pairs,"
                     " dropout %g, gradient clip 1.0" % (args.lr, warmup, args.batch, args.dropout),
        "steps": step, "steps_planned": args.steps, "stopped_early": stopped_early,
        "stop_rule": "--stop-step %d" % args.stop_step if args.stop_step else "time budget %g min" % args.max_minutes,
        "epochs_started": epoch,
        "train_loss_first_25": sum(losses[:25]) / min(25, len(losses)),
        "train_loss_last_25": sum(losses[-25:]) / min(25, len(losses)),
        "train_seconds": round(train_seconds, 1), "threads": args.threads,
        "heldout": result,
        "trained_on": time.strftime("%Y-%m-%d", time.gmtime()),
        "seconds": round(time.time() - t0, 1),
        "command": "ops/reward-lm-austen/train.sh " + args.kind + " (/usr/bin/python3 " + " ".join(sys.argv) + ")",
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print("wrote %s (%d bytes) in %.0fs" % (args.out, os.path.getsize(os.path.join(args.out, "model.onnx")),
                                          time.time() - t0))


if __name__ == "__main__":
    main()
