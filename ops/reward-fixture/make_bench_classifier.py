#!/usr/bin/python3
"""Builds an fp32 BERT-style sequence classifier of MiniLM-L6's shape (6 layers, hidden 384, 12 heads, FFN 1536) with
random weights, for benchmarks of the scorer with a batch-invariant (fp32, no dynamic quantisation) reward model.
Its rewards mean nothing; its cost per text is close to MiniLM's. Uses the tiny fixture's 90-word tokenizer (an
unknown word is one [UNK] token, so a text is about as many tokens as words).

Writes model.onnx and tokenizer.json into the directory given (default /tmp/alignstream-bench-fp32):
  /usr/bin/python3 ops/reward-fixture/make_bench_classifier.py [DIR]
then run the scorer with --reward-model-dir DIR (ops/bench.sh --stage-arg=--reward-model-dir=DIR).
"""
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_classifier import VOCAB, encode_single, pad, tokenizer_json  # noqa: E402

D, HEADS, LAYERS, FFN, MAX_POS = 384, 12, 6, 1536, 128


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.o = nn.Linear(D, D)
        self.ln1 = nn.LayerNorm(D)
        self.ff1 = nn.Linear(D, FFN)
        self.ff2 = nn.Linear(FFN, D)
        self.ln2 = nn.LayerNorm(D)

    def forward(self, h, bias):
        b, t, _ = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, HEADS, D // HEADS).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(D // HEADS) + bias
        a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, D)
        h = self.ln1(h + self.o(a))
        return self.ln2(h + self.ff2(torch.nn.functional.gelu(self.ff1(h))))


class BenchClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(len(VOCAB), D)
        self.pos = nn.Embedding(MAX_POS, D)
        self.typ = nn.Embedding(2, D)
        self.ln = nn.LayerNorm(D)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.pool = nn.Linear(D, D)
        self.cls = nn.Linear(D, 1)

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1
        h = self.ln(self.tok(input_ids) + self.pos(positions) + self.typ(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
        for layer in self.layers:
            h = layer(h, bias)
        return self.cls(torch.tanh(self.pool(h[:, 0])))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/alignstream-bench-fp32"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20261130)
    model = BenchClassifier()
    for p in model.parameters():
        nn.init.normal_(p, std=0.02)
    model.eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    torch.onnx.export(model, pad([encode_single("a good movie")]), os.path.join(out, "model.onnx"), input_names=names,
                      output_names=["logits"], dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
