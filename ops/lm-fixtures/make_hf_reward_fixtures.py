#!/usr/bin/env python3
"""Tiny decoder reward-model fixtures: Hugging Face `*ForSequenceClassification` on a GPT-2 or Llama backbone, in the
ONNX layout alignstream's `DecoderRewardModel` reads (decoder with past key values, per-position scores).

transformers' GPT2ForSequenceClassification / LlamaForSequenceClassification run the decoder (GPT2Model /
LlamaModel), apply a bias-free `score = Linear(hidden_size, num_labels)` to EVERY position's final hidden state, and
then pool: the reward is the score at the last non-padding token. Optimum's text-classification export keeps that
pooling inside the graph and has no past key values, so a prefix cannot be reused. The layout written here is the
decoder-with-past export Optimum uses for causal LMs with the head swapped: the graph outputs the unpooled scores
`logits [batch, sequence, 1]` (num_labels = 1) and `present.N.key/value`, and the caller reads the score at each
row's last real token. The backbones are the ones of make_hf_decoder_fixtures.py (same classes, same interfaces):

  gpt2-reward/   GPT2ForSequenceClassification, inputs input_ids, past_key_values.N.key/value, attention_mask and
                 NO position_ids (Optimum < 1.14 layout: positions continue from the past length), so batches are
                 right-padded as Hugging Face's GPT-2 tokenizer pads; pad_token_id = eos_token_id.
  llama-reward/  LlamaForSequenceClassification with grouped-query attention (4 query / 2 key-value heads,
                 head_dim 8), inputs input_ids, past..., attention_mask, position_ids: batches are left-padded with
                 position_ids = cumsum(attention_mask) - 1 as transformers computes them.

Each directory holds model.onnx, config.json (architectures, id2label with one label, pad_token_id), tokenizer.json
and reference.json: for fixed texts the token ids (special tokens added, as the tokenizer's template does) and
torch's score at the last token, computed in float32 from scratch, one text at a time, without padding.

With --bench DIR it also writes (not for committing) a larger random GPT-2-layout reward model of the same layout,
for measuring prefix-shared scoring (DecoderRewardModel's prefix cache) against scoring every text in full.

Each directory also holds model_shared_past.onnx (ops/lm-fixtures/shared_past.py): the same weights as a graph whose k
rows attend to one batch-1 past, DecoderRewardModel's fast path for a tokenwise round; --shared-past-only rebuilds the
models from their seeds, checks them against reference.json and writes only those files. These graphs are written
the way a user's are: the weights saved as a transformers checkpoint under Hugging Face's names, converted by
hf_shared_past.py (asserted byte for byte equal to the direct export; the converter's refusals checked too);
--hf-checkpoints DIR keeps those checkpoints, the input of ops/add-shared-past.sh.

Usage (Debian's torch 1.13 and python3-onnx):
  /usr/bin/python3 ops/lm-fixtures/make_hf_reward_fixtures.py [--out inference/src/test/resources/reward-decoder-fixtures]
  /usr/bin/python3 ops/lm-fixtures/make_hf_reward_fixtures.py --shared-past-only [--hf-checkpoints /tmp/hf-ckpt]
  /usr/bin/python3 ops/lm-fixtures/make_hf_reward_fixtures.py --bench /tmp/gpt2-reward-bench [--bench-d 384]
"""
import argparse
import importlib.util
import json
import os
import shutil
import tempfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_decoder_fixtures():
    spec = importlib.util.spec_from_file_location("make_hf_decoder_fixtures",
                                                  os.path.join(HERE, "make_hf_decoder_fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dec = load_decoder_fixtures()

TEXTS = [
    "It is a truth universally acknowledged",
    "She was",
    "My dear Mr. Bennet, said his lady to him one day, have you heard that Netherfield Park is let at last?",
    "a",
    "However little known the feelings or views of such a man may be",
]


class SequenceClassifier(nn.Module):
    """*ForSequenceClassification before pooling: the backbone's final hidden states through a bias-free
    `score` Linear(d, 1) at every position, giving logits [B, S, 1], and the backbone's presents."""

    def __init__(self, backbone, d):
        super().__init__()
        self.backbone = backbone
        self.layers, self.cache_heads, self.head_dim = backbone.layers, backbone.cache_heads, backbone.head_dim
        self.score = nn.Linear(d, 1, bias=False)
        nn.init.normal_(self.score.weight, std=0.5)

    def forward(self, input_ids, attention_mask, position_ids=None, past=None):
        hidden, presents = self.backbone.hidden(input_ids, attention_mask, position_ids, past)
        return self.score(hidden), presents


@torch.no_grad()
def score_from_scratch(model, ids, uses_position_ids):
    """The reward as transformers computes it for one unpadded text: the score at the last token."""
    x = torch.tensor([ids])
    positions = torch.arange(len(ids)).unsqueeze(0) if uses_position_ids else None
    return float(model(x, torch.ones(1, len(ids), dtype=torch.long), positions)[0][0, -1, 0])


@torch.no_grad()
def check_prefix_cache(model, ids, uses_position_ids):
    """The torch model itself: the prefix's cache plus the last token scores as the whole text does."""
    n = len(ids)
    pos = torch.arange(n - 1).unsqueeze(0) if uses_position_ids else None
    _, past = model(torch.tensor([ids[:-1]]), torch.ones(1, n - 1, dtype=torch.long), pos)
    step = model(torch.tensor([ids[-1:]]), torch.ones(1, n, dtype=torch.long),
                 torch.tensor([[n - 1]]) if uses_position_ids else None, past)[0][0, -1, 0]
    full = score_from_scratch(model, ids, uses_position_ids)
    assert abs(float(step) - full) < 1e-5, (float(step), full)


def write_fixture(out, name, onnx_model, config, tokenizer, model, uses_position_ids, layout, texts=TEXTS):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    dec.onnx.save(onnx_model, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tokenizer.write(os.path.join(d, "tokenizer.json"))
    refs = []
    for text in texts:
        ids = tokenizer.encode(text)
        if len(ids) > 1:
            check_prefix_cache(model, ids, uses_position_ids)
        refs.append({"text": text, "input_ids": ids, "score": round(score_from_scratch(model, ids, uses_position_ids), 7)})
    ref = {"layout": layout, "inputs": [i.name for i in onnx_model.graph.input],
           "outputs": [o.name for o in onnx_model.graph.output], "references": refs}
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print("%-14s %8d bytes  inputs %s" % (name, os.path.getsize(os.path.join(d, "model.onnx")), ref["inputs"]))


def gpt2_config(tokenizer, ctx, d, layers, heads):
    config = dec.gpt2_config(tokenizer, ctx, d, layers, heads)
    config.update({"architectures": ["GPT2ForSequenceClassification"], "id2label": {"0": "LABEL_0"},
                   "label2id": {"LABEL_0": 0}, "pad_token_id": tokenizer.eos_id})
    return config


def gpt2_reward(tmp, tokenizer, ctx, d, layers, heads, seed):
    """A GPT-2 reward model exported without position_ids (right padding)."""
    torch.manual_seed(seed)
    model = SequenceClassifier(dec.Gpt2(tokenizer.vocab_size, ctx, d, layers, heads), d).eval()
    names = ["input_ids"] + dec.past_names(layers) + ["attention_mask"]
    return model, dec.export(model, os.path.join(tmp, "gpt2-reward.onnx"), names, tokenizer.vocab_size)


def load_shared_past():
    spec = importlib.util.spec_from_file_location("shared_past", os.path.join(HERE, "shared_past.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sp = load_shared_past()
SHARED_PAST_PREFIX = "It is a truth universally acknowledged, that a single man"


def llama_config(llama_tok, ctx, d, layers, heads, kv_heads, head_dim, inter):
    return {"architectures": ["LlamaForSequenceClassification"], "model_type": "llama",
            "vocab_size": llama_tok.vocab_size, "hidden_size": d, "intermediate_size": inter,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
            "head_dim": head_dim, "max_position_embeddings": ctx, "rms_norm_eps": 1e-06,
            "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
            "bos_token_id": llama_tok.bos_id, "eos_token_id": llama_tok.eos_id, "pad_token_id": 0,
            "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}, "use_cache": True,
            "torch_dtype": "float32"}


def load_converter():
    spec = importlib.util.spec_from_file_location("hf_shared_past", os.path.join(HERE, "hf_shared_past.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hf_state_dict(model):
    """The fixture's weights under transformers' parameter names, as save_pretrained would store them for
    GPT2ForSequenceClassification (Conv1D weights [in, out], the causal-mask buffer attn.bias of older checkpoints)
    or LlamaForSequenceClassification."""
    bb, sd = model.backbone, {"score.weight": model.score.weight}
    if hasattr(bb, "wte"):
        sd.update({"transformer.wte.weight": bb.wte.weight, "transformer.wpe.weight": bb.wpe.weight,
                   "transformer.ln_f.weight": bb.ln_f.weight, "transformer.ln_f.bias": bb.ln_f.bias})
        for i, b in enumerate(bb.h):
            h = "transformer.h.%d." % i
            for ours, theirs in (("ln_1", "ln_1"), ("ln_2", "ln_2")):
                sd[h + theirs + ".weight"], sd[h + theirs + ".bias"] = getattr(b, ours).weight, getattr(b, ours).bias
            for ours, theirs in (("c_attn", "attn.c_attn"), ("c_proj", "attn.c_proj"), ("c_fc", "mlp.c_fc"),
                                 ("mlp_proj", "mlp.c_proj")):
                sd[h + theirs + ".weight"] = getattr(b, ours).weight.t()  # Conv1D stores [in, out]
                sd[h + theirs + ".bias"] = getattr(b, ours).bias
            n = bb.wpe.num_embeddings
            sd[h + "attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)  # a buffer the converter skips
        return sd
    sd.update({"model.embed_tokens.weight": bb.embed_tokens.weight, "model.norm.weight": bb.norm.weight})
    for i, layer in enumerate(bb.blocks):
        h = "model.layers.%d." % i
        for name in ("input_layernorm", "post_attention_layernorm"):
            sd[h + name + ".weight"] = getattr(layer, name).weight
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            sd[h + "self_attn." + name + ".weight"] = getattr(layer, name).weight
        for name in ("gate_proj", "up_proj", "down_proj"):
            sd[h + "mlp." + name + ".weight"] = getattr(layer, name).weight
    return sd


def write_shared_past(out, name, model, tokenizer, uses_position_ids):
    """out/name/model_shared_past.onnx written the way a user gets it (hf_shared_past.py): the fixture's weights saved
    as a transformers checkpoint (model.safetensors under HF names + the fixture's config.json), converted back and
    exported. Asserts that the converted graph is byte for byte the one exported from the fixture's own modules
    (shared_past.py), which is also checked in torch against the plain model over k copies of a prefix's past."""
    conv = load_converter()
    target = os.path.join(out, name, sp.FILE_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "checkpoint")
        os.makedirs(ckpt)
        conv.write_safetensors(os.path.join(ckpt, "model.safetensors"), hf_state_dict(model))
        ckpt_bytes = os.path.getsize(os.path.join(ckpt, "model.safetensors"))
        with open(os.path.join(out, name, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(ckpt, "config.json"), "w") as f:
            json.dump(config, f)
        if HF_CHECKPOINTS:  # kept for trying ops/add-shared-past.sh by hand
            shutil.copytree(ckpt, os.path.join(HF_CHECKPOINTS, name), dirs_exist_ok=True)
        direct = os.path.join(tmp, "direct.onnx")
        scorer = sp.export(dec, model.backbone, model.score, direct, uses_position_ids, model.cache_heads,
                           model.head_dim, tokenizer.vocab_size)
        ids = tokenizer.encode(SHARED_PAST_PREFIX)
        worst = sp.check(dec, model, scorer, ids, list(range(3, 13)), uses_position_ids)
        converted, rel = conv.convert(ckpt, os.path.join(out, name))
        with open(direct, "rb") as a, open(converted, "rb") as b:
            same = a.read() == b.read()
        if not same:
            os.remove(converted)
            raise AssertionError(name + ": the graph converted from the HF checkpoint differs from the direct export")
        os.replace(converted, target)
        check_converter(conv, ckpt, os.path.join(out, name), direct, config)
        if config.get("model_type") == "llama":
            check_qwen2_biases(conv, model, config, tokenizer)
    print("%-14s %s %8d bytes, torch max |diff| vs repeated past %.1e; from an HF checkpoint (%d-byte safetensors): "
          "identical bytes, converter self-check %.1e" % (name, sp.FILE_NAME, os.path.getsize(target), worst,
                                                          ckpt_bytes, rel))


HF_CHECKPOINTS = None  # --hf-checkpoints DIR


def check_converter(conv, ckpt, model_dir, direct, config):
    """The converter's other input and its refusals: the same checkpoint as pytorch_model.bin converts to the same
    graph; a missing tensor, a left-over tensor, a wrong shape, an
    unsupported family or rope scaling, and two labels are refused before any file is written."""
    state = conv.read_checkpoint(ckpt)
    with tempfile.TemporaryDirectory() as tmp:
        def attempt(mutate_state=None, mutate_config=None, as_bin=False):
            d = tempfile.mkdtemp(dir=tmp)
            st = dict(state)
            cf = json.loads(json.dumps(config))
            if mutate_state:
                mutate_state(st)
            if mutate_config:
                mutate_config(cf)
            if as_bin:
                torch.save(st, os.path.join(d, "pytorch_model.bin"))
            else:
                conv.write_safetensors(os.path.join(d, "model.safetensors"), st)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cf, f)
            return conv.convert(d, model_dir, out_name="converter-check.onnx")[0]

        path = attempt(as_bin=True)
        with open(path, "rb") as a, open(direct, "rb") as b:
            assert a.read() == b.read(), "pytorch_model.bin converts to another graph"
        os.remove(path)
        some = sorted(k for k in state if k.endswith(".weight") and state[k].dim() == 2 and "score" not in k)[0]
        refusals = {
            "missing tensor": (lambda st: st.pop(some), None),
            "left-over tensor": (lambda st: st.__setitem__("transformer.h.0.attn.extra.weight", torch.zeros(2)), None),
            "wrong shape": (lambda st: st.__setitem__(some, st[some].t().contiguous()[:, :-1]), None),
            "unsupported family": (None, lambda cf: cf.__setitem__("model_type", "gemma")),
            "two labels": (None, lambda cf: cf.__setitem__("id2label", {"0": "a", "1": "b"})),
        }
        if config.get("model_type") == "llama":
            refusals["dynamic rope scaling"] = (None, lambda cf: cf.__setitem__("rope_scaling",
                                                                                {"type": "dynamic", "factor": 2.0}))
        else:
            refusals["exact GELU"] = (None, lambda cf: cf.__setitem__("activation_function", "gelu"))
        for what, (ms, mc) in refusals.items():
            try:
                attempt(ms, mc)
            except conv.ConversionError:
                continue
            raise AssertionError("the converter accepted a checkpoint with a " + what)
        assert not os.path.exists(os.path.join(model_dir, "converter-check.onnx"))


@torch.no_grad()
def check_qwen2_biases(conv, model, config, tokenizer):
    """Qwen2 is the Llama layout with biases on q/k/v_proj: the Llama fixture with random q/k/v biases, saved under
    HF names as a Qwen2ForSequenceClassification checkpoint, converts to a model whose scores equal the biased
    source model's (torch, no ONNX Runtime here: no Qwen2 model.onnx fixture exists); sliding-window Qwen2 is refused."""
    import copy
    source = copy.deepcopy(model).eval()
    g = torch.Generator().manual_seed(7)
    for layer in source.backbone.blocks:
        for name in ("q_proj", "k_proj", "v_proj"):
            old = getattr(layer, name)
            new = nn.Linear(old.in_features, old.out_features, bias=True)
            new.weight.copy_(old.weight)
            new.bias.copy_(torch.randn(old.out_features, generator=g))
            setattr(layer, name, new)
    sd = hf_state_dict(source)
    for i, layer in enumerate(source.backbone.blocks):
        for name in ("q_proj", "k_proj", "v_proj"):
            sd["model.layers.%d.self_attn.%s.bias" % (i, name)] = getattr(layer, name).bias
    cf = dict(config, model_type="qwen2", architectures=["Qwen2ForSequenceClassification"], use_sliding_window=False)
    with tempfile.TemporaryDirectory() as d:
        conv.write_safetensors(os.path.join(d, "model.safetensors"), sd)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cf, f)
        converted = conv.from_hf(d)[0]
        worst = 0.0
        for text in TEXTS:
            ids = tokenizer.encode(text)
            a, b = score_from_scratch(source, ids, True), score_from_scratch(converted, ids, True)
            worst = max(worst, abs(a - b))
        assert worst < 1e-6, "Qwen2 conversion scores differ by %g" % worst
        assert abs(score_from_scratch(source, tokenizer.encode(TEXTS[0]), True)
                   - score_from_scratch(model, tokenizer.encode(TEXTS[0]), True)) > 1e-3, "the biases change nothing"
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(dict(cf, use_sliding_window=True), f)
        try:
            conv.from_hf(d)
            raise AssertionError("sliding-window Qwen2 was accepted")
        except conv.ConversionError:
            pass
    print("%-14s Qwen2 layout (q/k/v biases) from an HF checkpoint: torch scores equal the source's, max |diff| %.1e"
          % ("", worst))


def check_same_weights(out, name, model, tokenizer, uses_position_ids):
    """The rebuilt model scores the committed reference texts as reference.json says (same seed, same weights)."""
    with open(os.path.join(out, name, "reference.json")) as f:
        refs = json.load(f)["references"]
    for r in refs:
        got = score_from_scratch(model, tokenizer.encode(r["text"]), uses_position_ids)
        assert abs(got - r["score"]) < 1e-6, (name, r["text"], got, r["score"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "inference", "src", "test", "resources",
                                                  "reward-decoder-fixtures"))
    ap.add_argument("--bench", help="also write a larger GPT-2-layout reward model here (not for committing)")
    ap.add_argument("--bench-d", type=int, default=384)
    ap.add_argument("--bench-layers", type=int, default=6)
    ap.add_argument("--bench-heads", type=int, default=6)
    ap.add_argument("--shared-past-only", action="store_true",
                    help="rebuild the fixtures' models (same seeds, checked against reference.json) and write only "
                         "their " + sp.FILE_NAME)
    ap.add_argument("--hf-checkpoints", metavar="DIR",
                    help="also keep the fixtures' weights as transformers checkpoints in DIR/<name> (model.safetensors "
                         "+ config.json), the input of ops/add-shared-past.sh")
    args = ap.parse_args()
    global HF_CHECKPOINTS
    HF_CHECKPOINTS = args.hf_checkpoints
    torch.set_num_threads(2)
    gpt2_tok = dec.Gpt2Tokenizer(300)
    with tempfile.TemporaryDirectory() as tmp:
        if args.bench:
            d, layers, heads, ctx = args.bench_d, args.bench_layers, args.bench_heads, 512
            model, exported = gpt2_reward(tmp, gpt2_tok, ctx, d, layers, heads, 77)
            write_fixture(os.path.dirname(os.path.abspath(args.bench)), os.path.basename(os.path.abspath(args.bench)),
                          exported, gpt2_config(gpt2_tok, ctx, d, layers, heads), gpt2_tok, model, False,
                          "GPT2ForSequenceClassification %d layers, d %d (benchmark)" % (layers, d))
            write_shared_past(os.path.dirname(os.path.abspath(args.bench)),
                              os.path.basename(os.path.abspath(args.bench)), model, gpt2_tok, False)
            return
        ctx, d, layers = 128, 16, 2
        if args.shared_past_only:
            torch.manual_seed(44)
            model = SequenceClassifier(dec.Gpt2(gpt2_tok.vocab_size, ctx, d, layers, 2), d).eval()
            check_same_weights(args.out, "gpt2-reward", model, gpt2_tok, False)
        else:
            model, exported = gpt2_reward(tmp, gpt2_tok, ctx, d, layers, 2, 44)
            write_fixture(args.out, "gpt2-reward", exported, gpt2_config(gpt2_tok, ctx, d, layers, 2), gpt2_tok,
                          model, False,
                          "GPT2ForSequenceClassification with past, logits [B,S,1], no position_ids (right padding)")
        write_shared_past(args.out, "gpt2-reward", model, gpt2_tok, False)

        llama_tok = dec.LlamaTokenizer(330)
        torch.manual_seed(55)
        heads, kv_heads, head_dim, inter = 4, 2, 8, 32
        llama = dec.Llama(llama_tok.vocab_size, d, layers, heads, kv_heads, head_dim, inter)
        model = SequenceClassifier(llama, d).eval()
        if args.shared_past_only:
            check_same_weights(args.out, "llama-reward", model, llama_tok, True)
        else:
            exported = dec.export(model, os.path.join(tmp, "llama-reward.onnx"),
                                  ["input_ids"] + dec.past_names(layers) + ["attention_mask", "position_ids"],
                                  llama_tok.vocab_size)
            write_fixture(args.out, "llama-reward", exported,
                          llama_config(llama_tok, ctx, d, layers, heads, kv_heads, head_dim, inter), llama_tok, model,
                          True, "LlamaForSequenceClassification with past, GQA 4/2 heads, head_dim 8, logits [B,S,1], "
                          "position_ids (left padding)")
        write_shared_past(args.out, "llama-reward", model, llama_tok, True)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(args.out) for f in fs)
    print("total %d bytes in %s" % (total, args.out))
    assert total < 700_000, "reward fixtures must stay below 700 KB"


if __name__ == "__main__":
    main()
