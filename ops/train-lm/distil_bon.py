#!/usr/bin/env python3
"""Distil the pipeline's own Best-of-N outputs into a fine-tuned copy of lm-austen: the baseline model rho_BL that
Transfer Q* (Chakraborty et al. 2024) rolls out with ("direct transfer": rho_BL aligned to the target reward).

Sub-commands (ops/train-lm/distil-bon.sh runs them in order, with the Java data step in between):

  prompts  Austen paragraph openings (2-6 words): training prompts from lm-austen's training paragraphs, held-out
           evaluation prompts from its validation paragraphs (same shuffle and split as train_lm.py).
  train    Loads lm-austen's weights from its model.onnx into train_lm.Gpt, checks them against its reference.json,
           fine-tunes on prompt + best-of-N continuation (loss on the continuation only), exports the same ONNX
           layout with KV cache plus tokenizer.json, config.json, reference.json and training.json.
  report   Adds the before/after reward evaluation (JSONL written by the Java BestOfNDistillationData with --n 1)
           to training.json.

Use /usr/bin/python3 (Debian's python3-torch and python3-onnx).
"""
import argparse
import hashlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_lm  # noqa: E402  (model class, corpus, BPE encoder, export and reference code)


# ------------------------------------------------------------------------------------------ prompts
def openings(paragraphs, rnd, limit):
    out, seen = [], set()
    for p in paragraphs:
        words = p.split()
        k = rnd.randint(2, 6)
        if len(words) <= k:
            continue
        prompt = " ".join(words[:k])
        if prompt in seen:
            continue
        seen.add(prompt)
        out.append(prompt)
        if len(out) == limit:
            break
    return out


def cmd_prompts(args):
    paragraphs = train_lm.load_corpus(os.path.join(args.work, "austen.txt"))
    random.Random(args.split_seed).shuffle(paragraphs)  # exactly train_lm.py's shuffle and 5 % split
    n_val = len(paragraphs) // 20
    val_par, train_par = paragraphs[:n_val], paragraphs[n_val:]
    rnd = random.Random(args.seed)
    train_par = list(train_par)
    rnd.shuffle(train_par)
    train_prompts = openings(train_par, rnd, args.n_train)
    eval_prompts = openings(val_par, rnd, args.n_eval)
    for path, prompts, what in ((args.train_out, train_prompts, "training"), (args.eval_out, eval_prompts, "held-out")):
        with open(path, "w", encoding="utf-8") as f:
            f.write("# %d %s prompts: openings (2-6 words) of lm-austen's %s paragraphs (distil_bon.py prompts)\n"
                    % (len(prompts), what, "training" if what == "training" else "validation"))
            for p in prompts:
                f.write(p + "\n")
        print("%s: %d prompts" % (path, len(prompts)))



# -------------------------------------------------------------------------------- lm-austen from ONNX
def load_tokenizer(path):
    """train_lm's BPE encoder and id -> token map rebuilt from a tokenizer.json that train_lm.py wrote."""
    with open(path, encoding="utf-8") as f:
        tok = json.load(f)
    token_to_id = dict(tok["model"]["vocab"])
    for added in tok["added_tokens"]:
        token_to_id[added["content"]] = added["id"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tok["model"]["merges"]]
    enc = train_lm.BpeEncoder(token_to_id, merges)
    return enc, {i: t for t, i in token_to_id.items()}, token_to_id[train_lm.EOS]


def load_from_onnx(model_dir, dropout):
    """train_lm.Gpt with the weights of model_dir/model.onnx (the torch checkpoint of lm-austen was not kept).

    torch.onnx.export keeps named initializers for embeddings, LayerNorms and biases; constant folding turned every
    Linear weight into an anonymous transposed MatMul initializer. Those are taken in graph order: per block qkv,
    proj, fc, out, then the tied output projection (the token embedding transposed, checked)."""
    import onnx
    from onnx import numpy_helper
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    model = train_lm.Gpt(cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"], dropout)
    graph = onnx.load(os.path.join(model_dir, "model.onnx")).graph
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    state = {}
    for name, t in init.items():
        if name.startswith("model."):
            state[name[len("model."):]] = t
    matmuls = []
    for node in graph.node:
        if node.op_type == "MatMul":
            for inp in node.input:
                if inp in init and not inp.startswith("model.") and inp not in matmuls:
                    matmuls.append(inp)
    n_layer = cfg["n_layer"]
    if len(matmuls) != 4 * n_layer + 1:
        raise SystemExit("expected %d MatMul weights in %s, found %d" % (4 * n_layer + 1, model_dir, len(matmuls)))
    for n in range(n_layer):
        for k, part in enumerate(("qkv", "proj", "fc", "out")):
            state["blocks.%d.%s.weight" % (n, part)] = init[matmuls[4 * n + k]].t().contiguous()
    if not torch.equal(init[matmuls[-1]].t(), state["tok.weight"]):
        raise SystemExit("the last MatMul of %s is not the tied token embedding" % model_dir)
    model.load_state_dict(state, strict=True)
    return model.eval(), cfg


@torch.no_grad()
def check_against_reference(model, enc, model_dir, tol=1e-4):
    """The loaded model must reproduce reference.json (logits of the ONNX export, greedy tokens)."""
    with open(os.path.join(model_dir, "reference.json")) as f:
        refs = json.load(f)["references"]
    model.eval()
    worst = 0.0
    for ref in refs:
        ids = enc.encode(ref["prompt"])
        if ids != ref["input_ids"]:
            raise SystemExit("tokenizer mismatch for %r: %s vs %s" % (ref["prompt"], ids, ref["input_ids"]))
        logits = train_lm.forward_full(model, torch.tensor([ids]))[0, -1]
        worst = max(worst, max(abs(a - b) for a, b in zip(logits[:8].tolist(), ref["last_logits_first8"])),
                    abs(float(logits.max()) - ref["last_logits_max"]))
        if int(torch.argmax(logits)) != ref["last_logits_argmax"]:
            raise SystemExit("argmax mismatch for %r" % ref["prompt"])
        greedy, cur = [], list(ids)
        for _ in range(len(ref["greedy_ids"])):
            nxt = int(torch.argmax(train_lm.forward_full(model, torch.tensor([cur]))[0, -1]))
            greedy.append(nxt)
            cur.append(nxt)
        if greedy != ref["greedy_ids"]:
            raise SystemExit("greedy mismatch for %r: %s vs %s" % (ref["prompt"], greedy, ref["greedy_ids"]))
    if worst > tol:
        raise SystemExit("logits differ from reference.json by %.2e (> %.0e)" % (worst, tol))
    print("loaded weights reproduce %s/reference.json: max |logit diff| %.2e, greedy tokens equal" % (model_dir, worst),
          flush=True)
    return worst


# ------------------------------------------------------------------------------------------ fine-tune
def read_pairs(path):
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                pairs.append(json.loads(line))
    return pairs


def make_batch(rows, pad_id):
    """Right-padded inputs and targets; targets are -100 except on continuation tokens (loss on those only)."""
    seqs = [r["prompt_ids"] + r["best_ids"] for r in rows]
    width = max(len(s) for s in seqs) - 1
    x = torch.full((len(rows), width), pad_id, dtype=torch.long)
    y = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (r, s) in enumerate(zip(rows, seqs)):
        x[i, :len(s) - 1] = torch.tensor(s[:-1])
        p = len(r["prompt_ids"])
        y[i, p - 1:len(s) - 1] = torch.tensor(s[p:])  # position t predicts token t+1
    return x, y


@torch.no_grad()
def continuation_loss(model, rows, pad_id, batch=64):
    """Mean negative log-likelihood per continuation token (nats)."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(rows), batch):
        x, y = make_batch(rows[i:i + batch], pad_id)
        logits = train_lm.forward_full(model, x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100,
                                 reduction="sum").item()
        count += int((y != -100).sum())
    return total / count


def austen_val_tokens(enc, eos_id, work, split_seed):
    paragraphs = train_lm.load_corpus(os.path.join(work, "austen.txt"))
    random.Random(split_seed).shuffle(paragraphs)
    ids = []
    for p in paragraphs[:len(paragraphs) // 20]:
        ids.extend(enc.encode(p))
        ids.append(eos_id)
    return torch.tensor(ids, dtype=torch.long)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cmd_train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    enc, id_to_token, eos_id = load_tokenizer(os.path.join(args.base, "tokenizer.json"))
    model, cfg = load_from_onnx(args.base, args.dropout)
    load_check = check_against_reference(model, enc, args.base)

    pairs = read_pairs(args.data)
    rnd = random.Random(args.seed)
    rnd.shuffle(pairs)
    n_val = max(1, round(len(pairs) * args.val_fraction))
    val, train = pairs[:n_val], pairs[n_val:]
    austen_val = austen_val_tokens(enc, eos_id, args.work, args.split_seed)
    ctx = cfg["n_positions"]
    before_loss = continuation_loss(model, val, eos_id)
    before_train_loss = continuation_loss(model, train, eos_id)
    before_ppl = train_lm.evaluate(model, austen_val, ctx)
    print("data: %d pairs (%d train, %d validation); continuation tokens: %d train, %d validation"
          % (len(pairs), len(train), len(val), sum(len(r["best_ids"]) for r in train),
             sum(len(r["best_ids"]) for r in val)), flush=True)
    print("before: validation loss %.4f (train %.4f), Austen validation perplexity %.2f"
          % (before_loss, before_train_loss, before_ppl), flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    warmup = max(1, total_steps // 20)
    history = []
    best = (before_loss, 0, {k: v.clone() for k, v in model.state_dict().items()})  # (val loss, step, weights)
    step, t_train, out_of_time = 0, time.time(), False

    def validate(epoch, train_loss):
        nonlocal best
        val_loss = continuation_loss(model, val, eos_id)
        history.append({"epoch": epoch, "step": step, "train_loss": round(train_loss, 4), "val_loss": round(val_loss, 4),
                        "minutes": round((time.time() - t_train) / 60, 2)})
        print("epoch %d step %d: train loss %.4f, validation loss %.4f, %.1f min"
              % (epoch, step, train_loss, val_loss, (time.time() - t_train) / 60), flush=True)
        if val_loss < best[0]:
            best = (val_loss, step, {k: v.clone() for k, v in model.state_dict().items()})
        model.train()

    model.train()
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(train)))
        rnd.shuffle(order)
        running, seen = 0.0, 0
        for b in range(steps_per_epoch):
            rows = [train[i] for i in order[b * args.batch:(b + 1) * args.batch]]
            lr = args.lr * min(1.0, (step + 1) / warmup)
            if step >= warmup:
                lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup))))
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = make_batch(rows, eos_id)
            logits = train_lm.forward_full(model, x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            running += loss.item() * len(rows)
            seen += len(rows)
            out_of_time = (time.time() - t_train) > args.minutes * 60
            if step % args.eval_every == 0 or b == steps_per_epoch - 1 or out_of_time:
                validate(epoch, running / seen)
            if out_of_time:
                break
        if out_of_time:
            print("time budget of %.0f min reached" % args.minutes, flush=True)
            break
    train_minutes = (time.time() - t_train) / 60
    if args.keep == "best":
        model.load_state_dict(best[2])
    else:
        best = (None, step, None)
    model.eval()
    after_loss = continuation_loss(model, val, eos_id)
    after_train_loss = continuation_loss(model, train, eos_id)
    after_ppl = train_lm.evaluate(model, austen_val, ctx)
    print("after (step %d kept): validation loss %.4f (train %.4f), Austen validation perplexity %.2f"
          % (best[1], after_loss, after_train_loss, after_ppl), flush=True)

    train_lm.export_onnx(model, os.path.join(args.out, "model.onnx"))
    train_lm.write_config(os.path.join(args.out, "config.json"), model, eos_id)
    shutil.copyfile(os.path.join(args.base, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    reference = train_lm.reference_values(model, enc, id_to_token)
    model.eval()
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2)
    stats = {
        "base_model": os.path.normpath(args.base), "base_model_onnx_sha256": sha256(os.path.join(args.base, "model.onnx")),
        "base_weights_max_abs_logit_diff_vs_reference": float("%.3g" % load_check),
        "parameters": sum(p.numel() for p in model.parameters()),
        "data": {"file": os.path.basename(args.data), "sha256": sha256(args.data), "pairs": len(pairs),
                 "train_pairs": len(train), "val_pairs": len(val),
                 "train_continuation_tokens": sum(len(r["best_ids"]) for r in train),
                 "n": len(pairs[0]["rewards"]),
                 "mean_best_reward": round(statistics.fmean(r["best_reward"] for r in pairs), 4),
                 "mean_reward_of_n": round(statistics.fmean(r["mean_reward"] for r in pairs), 4)},
        "optimizer": {"name": "AdamW", "betas": [0.9, 0.95], "lr": args.lr, "weight_decay": args.weight_decay,
                      "schedule": "linear warm-up %d steps, cosine to 10 %%" % warmup, "batch": args.batch,
                      "dropout": args.dropout, "grad_clip": 1.0, "epochs": args.epochs, "seed": args.seed,
                      "threads": args.threads},
        "steps": step, "kept_step": best[1], "history": history, "train_minutes": round(train_minutes, 2),
        "val_loss_before": round(before_loss, 4), "val_loss_after": round(after_loss, 4),
        "train_loss_before": round(before_train_loss, 4), "train_loss_after": round(after_train_loss, 4),
        "austen_val_perplexity_before": round(before_ppl, 2), "austen_val_perplexity_after": round(after_ppl, 2),
        "total_minutes": round((time.time() - t0) / 60, 2),
        "command": " ".join(["/usr/bin/python3", "ops/train-lm/distil_bon.py"] + sys.argv[1:]),
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))
    for s in reference["samples"]:
        print("sample:", s)


# --------------------------------------------------------------------------------------------- report
def summary(path):
    rows = read_pairs(path)
    r = [row["best_reward"] for row in rows]
    return rows, {"file": os.path.basename(path), "prompts": len(rows), "n": len(rows[0]["rewards"]),
                  "mean_reward": round(statistics.fmean(r), 4),
                  "stderr": round(statistics.stdev(r) / math.sqrt(len(r)), 4),
                  "fraction_positive": round(sum(x > 0 for x in r) / len(r), 4)}


def cmd_report(args):
    before_rows, before = summary(args.before)
    after_rows, after = summary(args.after)
    if [r["prompt"] for r in before_rows] != [r["prompt"] for r in after_rows]:
        raise SystemExit("the two evaluations used different prompts")
    diffs = [a["best_reward"] - b["best_reward"] for a, b in zip(after_rows, before_rows)]
    evaluation = {"what": "mean proxy (sentiment) reward of plain samples: N=1, temperature 1, %s new tokens at most, "
                          "seed 1+i for prompt i, the same held-out prompts for both models" % args.max_new_tokens,
                  "base": before, "distilled": after,
                  "paired_difference": round(statistics.fmean(diffs), 4),
                  "paired_difference_stderr": round(statistics.stdev(diffs) / math.sqrt(len(diffs)), 4),
                  "distilled_wins": round(sum(d > 0 for d in diffs) / len(diffs), 4)}
    if args.before_many and args.after_many:
        many = {}
        for key, path in (("base", args.before_many), ("distilled", args.after_many)):
            rows = read_pairs(path)
            means = [row["mean_reward"] for row in rows]
            many[key] = {"file": os.path.basename(path), "prompts": len(rows), "samples_per_prompt": len(rows[0]["rewards"]),
                         "mean_reward": round(statistics.fmean(means), 4),
                         "stderr_over_prompts": round(statistics.stdev(means) / math.sqrt(len(means)), 4),
                         "mean_best_of_them": round(statistics.fmean(row["best_reward"] for row in rows), 4)}
        evaluation["many_plain_samples_per_prompt"] = many
    if args.bon:
        _, evaluation["base_best_of_16_on_the_same_prompts"] = summary(args.bon)
    with open(args.training_json) as f:
        stats = json.load(f)
    stats["evaluation"] = evaluation
    with open(args.training_json, "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(evaluation, indent=2))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prompts")
    p.add_argument("--train-out", required=True)
    p.add_argument("--eval-out", required=True)
    p.add_argument("--n-train", type=int, default=3000)
    p.add_argument("--n-eval", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--split-seed", type=int, default=1234, help="train_lm.py's --seed (its paragraph split)")
    p.add_argument("--work", default="/tmp/alignstream-lm")
    t = sub.add_parser("train")
    t.add_argument("--data", required=True, help="JSONL from BestOfNDistillationData")
    t.add_argument("--base", default="models/lm-austen")
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--eval-every", type=int, default=30, help="validation every this many steps; the best is kept")
    t.add_argument("--keep", choices=["best", "last"], default="best",
                   help="export the weights with the lowest validation loss, or the last ones")
    t.add_argument("--val-fraction", type=float, default=0.05)
    t.add_argument("--minutes", type=float, default=25.0, help="stop training after this wall time")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=1234)
    t.add_argument("--split-seed", type=int, default=1234, help="train_lm.py's --seed (its paragraph split)")
    t.add_argument("--work", default="/tmp/alignstream-lm")
    r = sub.add_parser("report")
    r.add_argument("--before", required=True, help="--n 1 evaluation JSONL of the base model")
    r.add_argument("--after", required=True, help="--n 1 evaluation JSONL of the distilled model")
    r.add_argument("--bon", help="optional --n 16 JSONL of the base model on the same prompts")
    r.add_argument("--before-many", help="optional --n 8 JSONL of the base model (mean of 8 plain samples a prompt)")
    r.add_argument("--after-many", help="optional --n 8 JSONL of the distilled model")
    r.add_argument("--max-new-tokens", default="32")
    r.add_argument("--training-json", required=True)
    args = ap.parse_args()
    os.makedirs(getattr(args, "work", "/tmp/alignstream-lm"), exist_ok=True)
    {"prompts": cmd_prompts, "train": cmd_train, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
