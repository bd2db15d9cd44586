#!/usr/bin/python3
"""Builds the tiny BERT-style sequence-classification reward model used by the inference tests.

Writes, under inference/src/test/resources/reward-fixture/:
  tiny-classifier/model.onnx       inputs input_ids, attention_mask, token_type_ids -> logits [B, 1]
  tiny-classifier/tokenizer.json   a BERT WordPiece tokenizer.json over a 90-token vocabulary
  no-token-types.onnx              same architecture without the token_type_ids input
  two-logits.onnx                  same architecture with 2 logits (must be rejected)
  expected-single.tsv / expected-pair.tsv / expected-no-token-types.tsv
      logit <TAB> token ids <TAB> text(s), computed here by an independent Python tokenizer
      (lower-case, split on whitespace and punctuation, whole-word vocabulary lookup) and torch.

Run with Debian's torch:  /usr/bin/python3 ops/reward-fixture/make_tiny_classifier.py
"""
import json
import math
import os
import re

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "inference", "src", "test", "resources", "reward-fixture")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = (". , ! ? ' the a an is was this that it i you we they he she movie film book story food service "
         "day weather team product answer was were be been very really so not too quite good great excellent "
         "wonderful lovely happy love like enjoyed bad terrible awful horrible sad hate boring dull poor "
         "worst best fine okay and but or with without of to in on for my your our tell me about how what "
         "write please review").split()
VOCAB = {tok: i for i, tok in enumerate(SPECIALS + list(dict.fromkeys(WORDS)))}
CLS, SEP = VOCAB["[CLS]"], VOCAB["[SEP]"]
MAX_POS = 128
D = 16


def tokenize(text):
    words = re.findall(r"\w+|[^\w\s]", text.lower())
    return [VOCAB.get(w, VOCAB["[UNK]"]) for w in words]


def encode_single(text):
    ids = [CLS] + tokenize(text) + [SEP]
    return ids, [0] * len(ids)


def encode_pair(a, b):
    ta, tb = tokenize(a), tokenize(b)
    ids = [CLS] + ta + [SEP] + tb + [SEP]
    return ids, [0] * (len(ta) + 2) + [1] * (len(tb) + 1)


def pad(rows):
    width = max(len(r[0]) for r in rows)
    ids = [r[0] + [0] * (width - len(r[0])) for r in rows]
    types = [r[1] + [0] * (width - len(r[1])) for r in rows]
    mask = [[1] * len(r[0]) + [0] * (width - len(r[0])) for r in rows]
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(types)


class TinyClassifier(nn.Module):
    """Embeddings + one self-attention block + tanh pooler over [CLS] + linear classifier."""

    def __init__(self, n_logits=1, use_types=True):
        super().__init__()
        self.use_types = use_types
        self.tok = nn.Embedding(len(VOCAB), D)
        self.pos = nn.Embedding(MAX_POS, D)
        self.typ = nn.Embedding(2, D)
        self.ln1 = nn.LayerNorm(D)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ln2 = nn.LayerNorm(D)
        self.pool = nn.Linear(D, D)
        self.cls = nn.Linear(D, n_logits)

    def body(self, input_ids, attention_mask, token_type_ids):
        positions = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1
        h = self.tok(input_ids) + self.pos(positions)
        if token_type_ids is not None:
            h = h + self.typ(token_type_ids)
        h = self.ln1(h)
        scores = self.q(h) @ self.k(h).transpose(1, 2) / math.sqrt(D)
        scores = scores + (1.0 - attention_mask[:, None, :].to(h.dtype)) * -10000.0
        h = self.ln2(h + self.o(torch.softmax(scores, dim=-1) @ self.v(h)))
        return self.cls(torch.tanh(self.pool(h[:, 0])))


class WithTypes(TinyClassifier):
    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.body(input_ids, attention_mask, token_type_ids)


class WithoutTypes(TinyClassifier):
    def forward(self, input_ids, attention_mask):
        return self.body(input_ids, attention_mask, None)


def export(model, path, with_types):
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if with_types else [])
    example = pad([encode_single("a good movie")])
    args = example if with_types else example[:2]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    torch.onnx.export(model, args, path, input_names=names, output_names=["logits"], dynamic_axes=axes,
                      opset_version=14, do_constant_folding=True)


def tokenizer_json():
    special = lambda tok: {"id": VOCAB[tok], "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                           "normalized": False, "special": True}
    tmpl = lambda tok, t: {"SpecialToken": {"id": tok, "type_id": t}}
    seq = lambda s, t: {"Sequence": {"id": s, "type_id": t}}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(t) for t in SPECIALS],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [tmpl("[CLS]", 0), seq("A", 0), tmpl("[SEP]", 0)],
            "pair": [tmpl("[CLS]", 0), seq("A", 0), tmpl("[SEP]", 0), seq("B", 1), tmpl("[SEP]", 1)],
            "special_tokens": {t: {"id": t, "ids": [VOCAB[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": VOCAB},
    }


PROMPT = "Tell me about the movie."
RESPONSES = [
    "It was a wonderful, happy film!",
    "Terrible and boring.",
    "The service was okay but the food was really bad",
    "I love it",
    "Quixotic zebras",  # out-of-vocabulary words -> [UNK]
    "",
]


def record(path, model, rows, texts):
    ids, mask, types = pad(rows)
    with torch.no_grad():
        logits = model(ids, mask, types) if isinstance(model, WithTypes) else model(ids, mask)
    with open(path, "w", encoding="utf-8") as f:
        for (row_ids, _), logit, text in zip(rows, logits[:, 0].tolist(), texts):
            f.write("%.8f\t%s\t%s\n" % (logit, " ".join(map(str, row_ids)), text))


def main():
    torch.manual_seed(20261101)
    os.makedirs(os.path.join(OUT, "tiny-classifier"), exist_ok=True)
    models = {"main": WithTypes(), "no_types": WithoutTypes(), "two": WithTypes(n_logits=2)}
    for m in models.values():
        for p in m.parameters():  # larger weights than the default init so that scores spread out
            nn.init.normal_(p, std=0.5)
        m.eval()
    export(models["main"], os.path.join(OUT, "tiny-classifier", "model.onnx"), True)
    export(models["no_types"], os.path.join(OUT, "no-token-types.onnx"), False)
    export(models["two"], os.path.join(OUT, "two-logits.onnx"), True)
    with open(os.path.join(OUT, "tiny-classifier", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, indent=1)
    record(os.path.join(OUT, "expected-single.tsv"), models["main"], [encode_single(r) for r in RESPONSES], RESPONSES)
    record(os.path.join(OUT, "expected-pair.tsv"), models["main"], [encode_pair(PROMPT, r) for r in RESPONSES],
           [PROMPT + "\t" + r for r in RESPONSES])
    record(os.path.join(OUT, "expected-no-token-types.tsv"), models["no_types"],
           [encode_single(r) for r in RESPONSES], RESPONSES)


if __name__ == "__main__":
    main()
