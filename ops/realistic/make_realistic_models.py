#!/usr/bin/env python3
"""Random-weight models of a realistic size for `ops/bench.sh --sections realistic` (docs/BENCHMARKS.md).

The bundled models are tiny (2.6 M parameters); this script writes models of the size users serve, in the layouts
Hugging Face / Optimum export them, so that the benchmark measures the hot path on real model work. The weights are
random (seeded; HF GPT-2's initialisation: normal(0, 0.02), residual projections scaled by 1/sqrt(2 * layers)) and are
never committed (about 0.8 GB in all); the benchmark runs this script when OUT lacks the files or they were written by
another version of this script or of the fixture module it imports (OUT/STAMP holds their sha-256).

  OUT/lm/      a GPT-2-small-shaped decoder (12 layers, d 768, 12 heads, vocabulary 50,257, context 1024, about
               124 M parameters, tied input/output embeddings) in the Optimum >= 1.14 with-past layout: inputs
               input_ids, past_key_values.N.key/value, attention_mask, position_ids; outputs logits and
               present.N.key/value. With config.json (GPT2LMHeadModel) and tokenizer.json.
  OUT/reward/  a decoder reward model of DistilGPT2 shape (6 layers, d 768, 12 heads, same vocabulary):
               HF's GPT2ForSequenceClassification (num_labels 1) in the decoder-with-past layout alignstream's
               DecoderRewardModel reads (the layout of ops/lm-fixtures/make_hf_reward_fixtures.py): inputs input_ids,
               past_key_values.N.key/value, attention_mask, position_ids; outputs logits [batch, sequence, 1] (the
               bias-free score head at EVERY position, before pooling; the caller reads each row's last non-padding
               token, as transformers pools) and present.N.key/value. A past of length 0 scores a text from scratch;
               a past lets a caller encode a shared prefix once and score one-token extensions from it.
               With config.json (GPT2ForSequenceClassification, pad_token_id 50256) and tokenizer.json, and
               model_shared_past.onnx: the same weights as the graph whose k rows attend to ONE batch-1 past
               (ops/lm-fixtures/shared_past.py), DecoderRewardModel's path for a tokenwise round.

The tokenizer: the bundled lm-austen byte-level BPE (its 4,095 tokens and merges, trained on Jane Austen) with the
vocabulary filled up to GPT-2's 50,257 ids: ids 4,095..50,255 are extra tokens, each the concatenation of two Austen
word tokens (never produced by encoding, since no merge makes them, but decodable), and <|endoftext|> is id 50,256 as
in GPT-2. So every id the decoder can emit decodes to text and the scorer sees texts as long as a real decoder's.
Each directory also holds reference.json: token ids of one prompt and torch's last-position logits (first 16 of the
LM; the reward model's score), for checking what ONNX Runtime computes.

Usage: /usr/bin/python3 ops/realistic/make_realistic_models.py [--out ops/.run/realistic]  (2-3 minutes on 2 cores)
       ... --shared-past-only: rebuild only the reward model from its seed, check it against reward/reference.json
       and write reward/model_shared_past.onnx and STAMP (for a directory written before that file existed).
"""
import argparse
import hashlib
import importlib.util
import json
import math
import os
import shutil
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "ops", "lm-fixtures", "make_hf_decoder_fixtures.py")
SHARED_PAST = os.path.join(ROOT, "ops", "lm-fixtures", "shared_past.py")
BASE_TOKENIZER = os.path.join(ROOT, "models", "lm-austen", "tokenizer.json")
VOCAB, CTX, D, HEADS = 50257, 1024, 768, 12
LM_LAYERS, RM_LAYERS = 12, 6
EOS = "<|endoftext|>"
REFERENCE_PROMPT = "It is a truth universally acknowledged"


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_fixture_module():
    return load_module("fixtures", FIXTURES)


def stamp():
    """sha-256 of this script, the fixture module, the base tokenizer and the shared-past module: what the files written
    here depend on (RealisticModels.INPUTS, same order)."""
    h = hashlib.sha256()
    for path in (os.path.abspath(__file__), FIXTURES, BASE_TOKENIZER, SHARED_PAST):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------- tokenizer
def full_vocabulary():
    """(token -> id with EOS = VOCAB - 1, merges): lm-austen's BPE with extra decodable tokens up to VOCAB ids."""
    with open(BASE_TOKENIZER, encoding="utf-8") as f:
        base = json.load(f)
    vocab = dict(base["model"]["vocab"])
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in base["model"]["merges"]]
    if max(vocab.values()) != len(vocab) - 1:
        raise SystemExit("%s: expected ids 0..%d" % (BASE_TOKENIZER, len(vocab) - 1))
    words = [t for t, i in sorted(vocab.items(), key=lambda kv: kv[1]) if i >= 256 and t[1:].isalpha()]
    token_to_id = dict(vocab)
    for a in words:  # deterministic: word tokens in id order, each followed by each other
        for b in words:
            if len(token_to_id) == VOCAB - 1:
                break
            t = a + b
            if t not in token_to_id:
                token_to_id[t] = len(token_to_id)
        if len(token_to_id) == VOCAB - 1:
            break
    if len(token_to_id) != VOCAB - 1:
        raise SystemExit("could not fill the vocabulary: %d tokens" % len(token_to_id))
    token_to_id[EOS] = VOCAB - 1
    return token_to_id, merges


# --------------------------------------------------------------------------------------------- models
def hf_init(module, layers):
    """transformers' GPT-2 initialisation: weights normal(0, 0.02), biases 0, LayerNorm 1/0, residual projections
    normal(0, 0.02 / sqrt(2 * layers))."""
    for name, p in module.named_parameters():
        if name.endswith("bias"):
            nn.init.zeros_(p)
        elif ".ln_" in name or name.startswith("ln_") or "ln_f" in name:
            nn.init.ones_(p)
        elif name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight"):
            nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers))
        else:
            nn.init.normal_(p, std=0.02)


class Gpt2Reward(nn.Module):
    """GPT2ForSequenceClassification before pooling: the fixture module's GPT-2 blocks, ln_f, then a bias-free score
    head at every position (logits [B, S, 1]); transformers' reward is the score at the last non-padding token."""

    def __init__(self, fx, layers):
        super().__init__()
        self.fx = fx
        self.transformer = fx.Gpt2(VOCAB, CTX, D, layers, HEADS)
        self.score = nn.Linear(D, 1, bias=False)
        self.layers, self.cache_heads, self.head_dim = layers, HEADS, D // HEADS

    def forward(self, input_ids, attention_mask, position_ids=None, past=None):
        t = self.transformer
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2] if past is not None else 0
        if position_ids is None:
            position_ids = (torch.arange(s) + past_len).unsqueeze(0)
        bias = self.fx.attention_bias(attention_mask, s, past_len)
        x = t.wte(input_ids) + t.wpe(position_ids)
        presents = []
        for n, block in enumerate(t.h):
            pk, pv = past[n] if past is not None else (None, None)
            x, k, v = block(x, bias, pk, pv)
            presents.append((k, v))
        return self.score(t.ln_f(x)), presents  # [B, S, 1]


def export(fx, model, path, names, logits_axes):
    """torch.onnx.export with Optimum's dynamic axis names (the fixture module's, logits' axes given here)."""
    b, s, p = 2, 2, 3
    dummies = {"input_ids": torch.randint(0, VOCAB - 1, (b, s)),
               "attention_mask": torch.ones(b, s + p, dtype=torch.long),
               "position_ids": torch.arange(p, p + s).unsqueeze(0).expand(b, s).contiguous()}
    for name in fx.past_names(model.layers):
        dummies[name] = torch.randn(b, model.cache_heads, p, model.head_dim)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": logits_axes}
    for name in fx.past_names(model.layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in fx.present_names(model.layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    with torch.no_grad():
        torch.onnx.export(fx.ExportWrapper(model, names).eval(), tuple(dummies[n] for n in names), path,
                          input_names=names, output_names=["logits"] + fx.present_names(model.layers),
                          dynamic_axes=axes, opset_version=fx.OPSET, do_constant_folding=True)


def gpt2_config(architecture, layers, extra):
    config = {"architectures": [architecture], "model_type": "gpt2", "vocab_size": VOCAB, "n_positions": CTX,
              "n_ctx": CTX, "n_embd": D, "n_layer": layers, "n_head": HEADS, "activation_function": "gelu_new",
              "layer_norm_epsilon": 1e-05, "bos_token_id": VOCAB - 1, "eos_token_id": VOCAB - 1, "use_cache": True,
              "torch_dtype": "float32", "alignstream_note": "random weights (ops/realistic/make_realistic_models.py)"}
    config.update(extra)
    return config


@torch.no_grad()
def reference(fx, model, tokenizer_ids, lm):
    """torch's output for the reference prompt read at once, checked against a prefill + one cached step."""
    ids = [VOCAB - 1] + tokenizer_ids
    n = len(ids)
    full = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.long), torch.arange(n).unsqueeze(0))[0]
    _, past = model(torch.tensor([ids[:-1]]), torch.ones(1, n - 1, dtype=torch.long),
                    torch.arange(n - 1).unsqueeze(0))
    step = model(torch.tensor([ids[-1:]]), torch.ones(1, n, dtype=torch.long), torch.tensor([[n - 1]]), past)[0]
    last_full = full[0, -1]  # the LM's logits or the reward model's score at the last token
    last_step = step[0, -1]
    if not torch.allclose(last_full, last_step, atol=1e-4):
        raise SystemExit("cached step differs from full recomputation by %g" % (last_full - last_step).abs().max())
    out = {"prompt": REFERENCE_PROMPT, "input_ids": ids}
    if lm:
        out["last_logits_head"] = [round(v, 6) for v in last_full[:16].tolist()]
        out["argmax"] = int(last_full.argmax())
    else:
        out["score"] = round(float(last_full[0]), 6)
    return out


def write_dir(out, name, fx, model, names, logits_axes, config, tokenizer_json, ref):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    t = time.time()
    export(fx, model, os.path.join(d, "model.onnx"), names, logits_axes)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shutil.copyfile(tokenizer_json, os.path.join(d, "tokenizer.json"))
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    params = sum(p.numel() for p in model.parameters())
    print("%-7s %6.1f M parameters, model.onnx %5d MB, exported in %.0f s" % (
        name, params / 1e6, os.path.getsize(os.path.join(d, "model.onnx")) >> 20, time.time() - t), flush=True)


def reward_model(fx):
    torch.manual_seed(82)
    rm = Gpt2Reward(fx, RM_LAYERS).eval()
    hf_init(rm, RM_LAYERS)
    return rm


def write_shared_past(fx, rm, out, prompt_ids):
    """reward/model_shared_past.onnx from rm's weights, checked in torch against k copies of a prefix's past."""
    sp = load_module("shared_past", SHARED_PAST)
    t = time.time()
    path = os.path.join(out, "reward", sp.FILE_NAME)
    scorer = sp.export(fx, rm.transformer, rm.score, path, True, HEADS, D // HEADS, VOCAB)
    worst = sp.check(fx, rm, scorer, [VOCAB - 1] + prompt_ids * 4, list(range(100, 110)), True)
    print("reward  %s %5d MB, exported in %.0f s, torch max |diff| vs repeated past %.1e" % (
        sp.FILE_NAME, os.path.getsize(path) >> 20, time.time() - t, worst), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "ops", ".run", "realistic"))
    ap.add_argument("--shared-past-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    fx = load_fixture_module()
    out = args.out
    if args.shared_past_only:
        with open(os.path.join(out, "reward", "reference.json")) as f:
            ref = json.load(f)
        rm = reward_model(fx)
        got = reference(fx, rm, ref["input_ids"][1:], False)["score"]
        if abs(got - ref["score"]) > 1e-5:
            raise SystemExit("the rebuilt reward model scores %g, reference.json %g: write everything" % (got, ref["score"]))
        write_shared_past(fx, rm, out, ref["input_ids"][1:])
        with open(os.path.join(out, "STAMP"), "w") as f:
            f.write(stamp() + "\n")
        print("wrote %s (stamp %s)" % (os.path.join(out, "reward"), stamp()[:12]))
        return 0
    os.makedirs(out, exist_ok=True)
    stamp_path = os.path.join(out, "STAMP")
    if os.path.exists(stamp_path):
        os.remove(stamp_path)  # a run that fails half-way leaves no stamp: the benchmark writes the models again

    token_to_id, merges = full_vocabulary()
    tok_path = os.path.join(out, "tokenizer.json")
    fx.load_train_lm().write_tokenizer_json(tok_path, token_to_id, merges)
    encoder = fx.load_train_lm().BpeEncoder(token_to_id, merges)
    prompt_ids = encoder.encode(REFERENCE_PROMPT)
    names = ["input_ids"] + fx.past_names(LM_LAYERS) + ["attention_mask", "position_ids"]

    torch.manual_seed(124)
    lm = fx.Gpt2(VOCAB, CTX, D, LM_LAYERS, HEADS).eval()
    hf_init(lm, LM_LAYERS)
    write_dir(out, "lm", fx, lm, names, {0: "batch_size", 1: "sequence_length"},
              gpt2_config("GPT2LMHeadModel", LM_LAYERS, {}), tok_path, reference(fx, lm, prompt_ids, True))
    del lm

    rm = reward_model(fx)
    rm_names = ["input_ids"] + fx.past_names(RM_LAYERS) + ["attention_mask", "position_ids"]
    write_dir(out, "reward", fx, rm, rm_names, {0: "batch_size", 1: "sequence_length"},
              gpt2_config("GPT2ForSequenceClassification", RM_LAYERS,
                          {"num_labels": 1, "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0},
                           "pad_token_id": VOCAB - 1, "problem_type": "regression"}),
              tok_path, reference(fx, rm, prompt_ids, False))
    write_shared_past(fx, rm, out, prompt_ids)
    with open(stamp_path, "w") as f:
        f.write(stamp() + "\n")
    print("wrote %s (stamp %s)" % (out, stamp()[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
