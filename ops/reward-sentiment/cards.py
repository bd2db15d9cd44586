#!/usr/bin/env python3
"""Fills the figure tables of the reward-model cards from their training.json (so a retrained model's card cannot
keep stale figures): every block between `<!-- figures:KIND -->` and `<!-- /figures -->` in
models/<dir>/MODEL_CARD.md is replaced by the tables of that kind, rendered from models/<dir>/training.json.
The prose around the blocks is written by hand and must be re-read after a retrain.

Usage (from the repository root, after training): /usr/bin/python3 ops/reward-sentiment/cards.py [DIR ...]
(default: every model directory whose card has a figures block).
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK = re.compile(r"<!-- figures:([a-z-]+) -->\n.*?<!-- /figures -->", re.S)


def pct(x):
    return "n/a" if x is None else "%.3f" % x


def num(n):
    return "{:,}".format(n)


def by_style_table(title, by_style, extra=None):
    """| style | sentences | correct | accuracy | (+ one column per extra {name: by_style})."""
    extra = extra or {}
    head = "| %s | sentences | accuracy |" % title + "".join(" %s |" % k for k in extra)
    rows = [head, "|" + " --- |" * (3 + len(extra))]
    total_n = sum(v["sentences"] for v in by_style.values())
    total_c = sum(v["correct"] for v in by_style.values())
    for style, v in by_style.items():
        rows.append("| %s | %s | %s (%d/%d) |" % (style, num(v["sentences"]), pct(v["accuracy"]), v["correct"],
                                                  v["sentences"])
                    + "".join(" %s |" % pct(e[style]["accuracy"]) for e in extra.values()))
    rows.append("| **all** | %s | **%s** (%d/%d) |" % (num(total_n), pct(total_c / total_n), total_c, total_n)
                + "".join(" %s |" % pct(sum(e[s]["correct"] for s in e) / sum(e[s]["sentences"] for s in e))
                          for e in extra.values()))
    return "\n".join(rows)


def head_figures(j):
    out = []
    out.append("Data: %s sentences (%s); split %s train / %s held out; trained on %s sentences%s." % (
        num(j["sentences"]), ", ".join("%s %s" % (s, num(n)) for s, n in j["sentences_by_style"].items()),
        num(j.get("split_train_size", j["train_size"])), num(j["heldout_size"]), num(j["train_size"]),
        (", %d labels flipped (%.0f %%)" % (j["labels_flipped"], 100 * j["label_noise"])) if "label_noise" in j else ""))
    if "train_by_style" in j:
        out.append("Training sentences by style: %s." % ", ".join("%s %d" % kv for kv in j["train_by_style"].items()))
    out.append("L2 chosen by %d-fold CV: **%g** (CV accuracy %s); train accuracy %s%s; L-BFGS %s iterations." % (
        j["cv_folds"], j["chosen_l2"], pct(j["cv_accuracy_by_l2"][next(k for k in j["cv_accuracy_by_l2"]
                                                                        if abs(float(k) - j["chosen_l2"]) < 1e-12)]),
        pct(j["train_accuracy"]),
        (" against the noisy labels, %s against the true ones" % pct(j["train_accuracy_clean_labels"]))
        if "train_accuracy_clean_labels" in j else "", j["lbfgs_iterations"]))
    out.append("")
    out.append("Held-out accuracy by style (positive iff reward >= 0):")
    out.append("")
    out.append(by_style_table("style (held out)", j["heldout_by_style"]))
    if "eval_set" in j:
        e = j["eval_set"]
        out.append("")
        out.append("Accuracy on the **gold set** (`%s`, %s sentences written independently of the proxy data, never"
                   " trained on by this model):" % (e["data"], num(e["sentences"])))
        out.append("")
        out.append(by_style_table("style (gold set)", e["by_style"]))
    agreements = {k[len("heldout_agreement_with_"):]: v for k, v in j.items() if k.startswith("heldout_agreement_with_")}
    if agreements:
        out.append("")
        out.append("Agreement with each proxy on this model's %s held-out sentences (`heldout_agreement_with_*`):"
                   % num(j["heldout_size"]))
        out.append("")
        out.append("| proxy | proxy's accuracy here | Spearman | pairwise order agreement | Spearman within positives |"
                   " Spearman within negatives | same sign |")
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        for rid, a in agreements.items():
            # a Bradley-Terry decoder reward has no calibrated zero: its sign means nothing
            signless = rid.startswith("lm-austen")
            out.append("| `%s` | %s | %s | %s | %s | %s | %s |" % (
                rid, "n/a (no zero)" if signless else pct(a["other_correct"] / a["sentences"]), pct(a["spearman"]),
                pct(a["pairwise_order_agreement"]), pct(a["spearman_within_positive"]),
                pct(a["spearman_within_negative"]), "n/a" if signless else pct(a["sign_agreement"])))
    return "\n".join(out)


def partial_figures(j):
    labels = {"1": "1", "2": "2", "3-4": "3-4", "1-4": "1-4 (short)", "5-7": "5-7", "8+": "8+",
              "all-prefixes": "all prefixes", "full": "full sentences"}
    p, f = j["heldout_prefix_pair_accuracy"], j["compared_heldout_prefix_pair_accuracy"]
    out = ["| words | pairs | `%s` | `%s` (full-sequence) |" % (j["reward_id"], j["compared_reward_id"]),
           "| --- | --- | --- | --- |"]
    for key in ["1", "2", "3-4", "1-4", "5-7", "8+", "all-prefixes", "full"]:
        a, b = p[key]["accuracy"], f[key]["accuracy"]
        fmt_a = "**%s**" % pct(a) if a >= b else pct(a)
        fmt_b = "**%s**" % pct(b) if b > a else pct(b)
        out.append("| %s | %s | %s | %s |" % (labels[key], num(p[key]["pairs"]), fmt_a, fmt_b))
    out.append("")
    out.append("Full-sentence sign accuracy (positive iff `r >= 0`): held out **%s (%d/%d)** for this head, %s (%d/%d)"
               " for `%s`; train %s. Held out by style:" % (
                   pct(j["heldout_accuracy"]), j["heldout_correct"], j["heldout_size"],
                   pct(j["compared_heldout_correct"] / j["heldout_size"]), j["compared_heldout_correct"],
                   j["heldout_size"], j["compared_reward_id"], pct(j["train_accuracy"])))
    out.append("")
    out.append(by_style_table("style (held out)", j["heldout_by_style"]))
    out.append("")
    out.append("Data: %s sentences (%s), %s train / %s held out; %s training comparisons over %s prefix texts, %s"
               " held-out comparisons over %s prefix texts; L2 by %d-fold CV over sentences: **%g**." % (
                   num(j["sentences"]), ", ".join("%s %s" % (s, num(n)) for s, n in j["sentences_by_style"].items()),
                   num(j["train_size"]), num(j["heldout_size"]), num(j["train_pair_count"]),
                   num(j["train_prefix_texts"]), num(j["heldout_pair_count"]), num(j["heldout_prefix_texts"]),
                   j["cv_folds"], j["chosen_l2"]))
    return "\n".join(out)


def lm_figures(j, other=None):
    h = j["heldout"]
    out = ["Held-out pair accuracy (chosen = the positive sentence scores strictly higher), full responses, by style:",
           ""]
    cols = ["style", "pairs", "`%s`" % j["reward_id"]] + (["`%s`" % other["reward_id"]] if other else [])
    out.append("| " + " | ".join(cols) + " |")
    out.append("|" + " --- |" * len(cols))
    order = [s for s in j["sentences_by_style"] if s in h["by_style"]]  # the data's style order
    for style, t in ((s, h["by_style"][s]) for s in order):
        row = [style, num(t["pairs"]), pct(t["accuracy"])]
        if other:
            row.append(pct(other["heldout"]["by_style"][style]["accuracy"]))
        out.append("| " + " | ".join(row) + " |")
    t = h["full_pairs"]
    out.append("| **all** | %s | **%s** |" % (num(t["pairs"]), pct(t["accuracy"]))
               + (" %s |" % pct(other["heldout"]["full_pairs"]["accuracy"]) if other else ""))
    out.append("")
    out.append("By response prefix length in tokens (both responses truncated to the same length, prompt included;"
               " identical prefixes left out):")
    out.append("")
    out.append("| response tokens | pairs | `%s` |" % j["reward_id"] + (" `%s` |" % other["reward_id"] if other else ""))
    out.append("| --- | --- | --- |" + (" --- |" if other else ""))
    names = {"1-4": "1-4 (short)", "all-prefixes": "all prefixes", "full": "full responses"}
    for key in ["1", "2", "3-4", "1-4", "5-7", "8+", "all-prefixes", "full"]:
        t = h["by_prefix_tokens"][key]
        out.append("| %s | %s | %s |" % (names.get(key, key), num(t["pairs"]), pct(t["accuracy"]))
                   + (" %s |" % pct(other["heldout"]["by_prefix_tokens"][key]["accuracy"]) if other else ""))
    out.append("")
    out.append("Training: %d steps of %s (%d epochs started), %.0f s of training on %d threads (%.0f s in all);"
               " train loss %.3f over the first 25 steps, %.3f over the last 25%s." % (
                   j["steps"], j["optimizer"], j["epochs_started"], j["train_seconds"], j["threads"], j["seconds"],
                   j["train_loss_first_25"], j["train_loss_last_25"],
                   (" (stopped early: %s, of a %d-step schedule)" % (j["stop_rule"], j["steps_planned"]))
                   if j["stopped_early"] else ""))
    out.append("Data: %s sentences (%s), %s train / %s held out (the Java heads' split), %s held-out pairs." % (
        num(j["sentences"]), ", ".join("%s %s" % (s, num(n)) for s, n in j["sentences_by_style"].items()),
        num(j["train_size"]), num(j["heldout_size"]), num(j["heldout_pair_count"])))
    return "\n".join(out)


def render(model_dir):
    card_path = os.path.join(ROOT, "models", model_dir, "MODEL_CARD.md")
    with open(card_path, encoding="utf-8") as f:
        card = f.read()
    with open(os.path.join(ROOT, "models", model_dir, "training.json"), encoding="utf-8") as f:
        j = json.load(f)

    def block(m):
        kind = m.group(1)
        if kind == "head":
            body = head_figures(j)
        elif kind == "partial":
            body = partial_figures(j)
        elif kind == "lm":
            other_dir = "reward-lm-austen-full" if model_dir.endswith("partial") else "reward-lm-austen-partial"
            other_path = os.path.join(ROOT, "models", other_dir, "training.json")
            other = json.load(open(other_path, encoding="utf-8")) if os.path.exists(other_path) else None
            body = lm_figures(j, other)
        else:
            raise SystemExit("unknown figures block '%s' in %s" % (kind, card_path))
        return "<!-- figures:%s -->\n%s\n<!-- /figures -->" % (kind, body)

    new = BLOCK.sub(block, card)
    with open(card_path, "w", encoding="utf-8") as f:
        f.write(new)
    print("rendered", card_path)


def main():
    dirs = sys.argv[1:] or sorted(d for d in os.listdir(os.path.join(ROOT, "models"))
                                  if os.path.exists(os.path.join(ROOT, "models", d, "MODEL_CARD.md"))
                                  and "<!-- figures:" in open(os.path.join(ROOT, "models", d, "MODEL_CARD.md")).read())
    for d in dirs:
        render(d)


if __name__ == "__main__":
    main()
