#!/usr/bin/env python3
"""Writes the shared-past scoring graph (model_shared_past.onnx, see shared_past.py) for a user's own Hugging Face
decoder reward model, from its transformers checkpoint, beside the Optimum `model.onnx` the user already has.

  /usr/bin/python3 ops/lm-fixtures/hf_shared_past.py --from-hf CHECKPOINT_DIR --out MODEL_DIR

CHECKPOINT_DIR is what `save_pretrained` wrote: config.json and the weights as model.safetensors, sharded
model-0000N-of-0000M.safetensors with model.safetensors.index.json, or pytorch_model.bin (sharded likewise). The
safetensors format is read here directly (8-byte little-endian header length, JSON header, raw little-endian
tensors), so no package beyond Debian's python3-torch, python3-numpy and python3-onnx is needed. MODEL_DIR is the
decoder reward model directory alignstream loads (model.onnx, config.json, tokenizer.json): its model.onnx fixes
whether the graph takes position_ids and the cache shape, which must match the checkpoint's config.

Supported (anything else is refused with the reason, before any file is written):
  GPT2ForSequenceClassification  model_type gpt2: transformer.wte / wpe / h.{i}.ln_1 / attn.c_attn / attn.c_proj /
                                 ln_2 / mlp.c_fc / mlp.c_proj / ln_f and score.weight; Conv1D weights stored [in, out]
                                 (transposed here); activation gelu_new (or gelu_pytorch_tanh); n_inner any;
                                 layer_norm_epsilon; scale_attn_weights true and scale_attn_by_inverse_layer_idx false.
  LlamaForSequenceClassification model_type llama or qwen2 (Qwen2ForSequenceClassification): model.embed_tokens /
  Qwen2ForSequenceClassification layers.{i}.input_layernorm / self_attn.{q,k,v,o}_proj / post_attention_layernorm /
                                 mlp.{gate,up,down}_proj / model.norm and score.weight; biases wherever the checkpoint
                                 has them (Qwen2's q/k/v, Llama's attention_bias / mlp_bias); grouped-query attention
                                 (num_key_value_heads), head_dim, rms_norm_eps, rope_theta; rope_scaling none, "linear" or
                                 "llama3"; hidden_act silu; Qwen2 only without sliding-window attention.
  Refused: other families (Mistral, Gemma, Phi, GPT-NeoX, ...: different norms, rotary layouts or windows), rope
  scaling "dynamic" / "yarn" / "longrope" (length-dependent or rescaled attention), more than one label.

Checks, in order; a failure writes nothing (or removes what it wrote):
  1. every tensor the architecture needs is in the checkpoint with the shape config.json implies, and no tensor is
     left over (a left-over tensor means a layout this converter does not know);
  2. torch: the shared-past scorer over one batch-1 past equals the converted model over k copies of it (1e-5 x
     max(1, |score|)), and the converted model's prefix cache extended by a token equals the text from scratch;
  3. the written graph is MODEL_DIR/model_shared_past.onnx.unverified; ONNX Runtime is not in Debian's Python, so
     the check against the user's model.onnx runs in Java (org.alignstream.inference.reward.SharedPastCheck, what
     ops/add-shared-past.sh runs next): tokenwise rounds scored by model.onnx in full and by the new graph over one
     shared prefix must agree within its tolerance, and only then is the file renamed to model_shared_past.onnx.
     Run alone, this script does steps 1-2 and leaves the .unverified file for that check.

Tested (make_hf_reward_fixtures.py --shared-past-only, SharedPastCheckTest): the GPT-2 and Llama (GQA) fixtures saved
under transformers' names convert to graphs byte for byte equal to their direct export, from model.safetensors and
from pytorch_model.bin; the Qwen2 layout's q/k/v biases in torch only (no Qwen2 model.onnx fixture); the refusals.
Not tested against transformers itself (not installable here): rope scaling "linear" / "llama3" follow transformers'
formulas as written above; the Java check is what guards them on a real model.onnx.
"""
import argparse
import importlib.util
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
UNVERIFIED_SUFFIX = ".unverified"
TORCH_TOLERANCE = 1e-5  # relative to max(1, |score|): float32, two summation orders of the same function


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dec = _load("make_hf_decoder_fixtures", "make_hf_decoder_fixtures.py")
sp = _load("shared_past", "shared_past.py")


class ConversionError(Exception):
    """The checkpoint cannot be converted; the message says why and what is supported."""


# ------------------------------------------------------------------------------------------------ safetensors
_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": None, "I64": np.int64,
              "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """{name: float32 or integer torch tensor} from a .safetensors file (format: u64 little-endian header size N, N
    bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw data,
    little-endian, offsets relative to its start). bfloat16 is widened to float32 by shifting its 16 bits up."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > 100_000_000:
            raise ConversionError("%s: safetensors header of %d bytes; not a safetensors file?" % (path, n))
        header = json.loads(f.read(n).decode("utf-8"))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)  # mapped: only the float32 copies take memory
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _ST_DTYPES:
            raise ConversionError("%s: tensor %s has dtype %s, which this converter does not read" % (path, name, dtype))
        raw = data[begin:end]
        if dtype == "BF16":
            a = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = raw.view(np.dtype(_ST_DTYPES[dtype]).newbyteorder("<"))
        a = np.array(a.reshape(shape), dtype=np.float32 if a.dtype.kind == "f" else a.dtype.newbyteorder("="))
        out[name] = torch.from_numpy(a)
    return out


def write_safetensors(path, tensors):
    """Writes {name: tensor} as float32 safetensors (what save_pretrained writes for a float32 model)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().contiguous().to(torch.float32).numpy().astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_checkpoint(directory):
    """The state dict of a save_pretrained directory (safetensors preferred, sharded or not), as float32 tensors."""
    def shards(index):
        with open(os.path.join(directory, index)) as f:
            return sorted(set(json.load(f)["weight_map"].values()))

    if os.path.isfile(os.path.join(directory, "model.safetensors")):
        files = ["model.safetensors"]
    elif os.path.isfile(os.path.join(directory, "model.safetensors.index.json")):
        files = shards("model.safetensors.index.json")
    elif os.path.isfile(os.path.join(directory, "pytorch_model.bin")):
        files = ["pytorch_model.bin"]
    elif os.path.isfile(os.path.join(directory, "pytorch_model.bin.index.json")):
        files = shards("pytorch_model.bin.index.json")
    else:
        raise ConversionError("%s holds no model.safetensors, pytorch_model.bin or their .index.json: not a "
                              "save_pretrained checkpoint" % directory)
    state = {}
    for name in files:
        path = os.path.join(directory, name)
        if name.endswith(".safetensors"):
            state.update(read_safetensors(path))
        else:
            loaded = torch.load(path, map_location="cpu")
            state.update({k: (v.float() if v.is_floating_point() else v) for k, v in loaded.items()})
    return state


# ------------------------------------------------------------------------------------------------ the model
class Classifier(nn.Module):
    """*ForSequenceClassification before pooling over one of make_hf_decoder_fixtures' backbones: logits [B, S, 1]
    (the bias-free score head at every position) and the presents; the interface shared_past.check expects."""

    def __init__(self, backbone, d):
        super().__init__()
        self.backbone = backbone
        self.layers, self.cache_heads, self.head_dim = backbone.layers, backbone.cache_heads, backbone.head_dim
        self.score = nn.Linear(d, 1, bias=False)

    def forward(self, input_ids, attention_mask, position_ids=None, past=None):
        hidden, presents = self.backbone.hidden(input_ids, attention_mask, position_ids, past)
        return self.score(hidden), presents


class _Weights:
    """The checkpoint's tensors, taken one by one with their expected shapes; what is left over is reported."""

    IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")  # buffers, not weights

    def __init__(self, state):
        self.state = {k: v for k, v in state.items() if not k.endswith(self.IGNORED_SUFFIXES)}
        self.used = set()

    def has(self, name):
        return name in self.state

    def take(self, name, shape):
        if name not in self.state:
            raise ConversionError("the checkpoint has no tensor %s (expected shape %s)" % (name, list(shape)))
        t = self.state[name]
        if list(t.shape) != list(shape):
            raise ConversionError("tensor %s has shape %s, config.json implies %s" % (name, list(t.shape), list(shape)))
        self.used.add(name)
        return t.to(torch.float32)

    def check_all_used(self):
        left = sorted(set(self.state) - self.used)
        if left:
            raise ConversionError("%d checkpoint tensors have no place in the supported layout (a variant this "
                                  "converter does not know): %s" % (len(left), ", ".join(left[:8])))


def _set(param, value):
    with torch.no_grad():
        param.copy_(value)


def _linear(weights, name, d_in, d_out, transposed=False):
    """nn.Linear(d_in, d_out) from `name`.weight (Conv1D: stored [in, out]) and `name`.bias if the checkpoint has it."""
    bias = weights.has(name + ".bias")
    layer = nn.Linear(d_in, d_out, bias=bias)
    w = weights.take(name + ".weight", (d_in, d_out) if transposed else (d_out, d_in))
    _set(layer.weight, w.t() if transposed else w)
    if bias:
        _set(layer.bias, weights.take(name + ".bias", (d_out,)))
    return layer


def _labels(config):
    n = len(config["id2label"]) if "id2label" in config else config.get("num_labels", 2)
    if n != 1:
        raise ConversionError("config.json gives %d labels; a reward model has exactly one" % n)


def gpt2_from_hf(config, state):
    """GPT2ForSequenceClassification -> Classifier over make_hf_decoder_fixtures.Gpt2."""
    _labels(config)
    act = config.get("activation_function", "gelu_new")
    if act not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ConversionError("GPT-2 activation_function %r: only the tanh GELU (gelu_new, gelu_pytorch_tanh) is "
                              "supported" % act)
    if not config.get("scale_attn_weights", True) or config.get("scale_attn_by_inverse_layer_idx", False):
        raise ConversionError("GPT-2 with scale_attn_weights false or scale_attn_by_inverse_layer_idx true is not "
                              "supported (attention scaled by 1/sqrt(head_dim) only)")
    d, layers, heads, ctx = config["n_embd"], config["n_layer"], config["n_head"], config["n_positions"]
    vocab = config["vocab_size"]
    inner = config.get("n_inner") or 4 * d
    eps = config.get("layer_norm_epsilon", 1e-5)
    w = _Weights(state)
    p = "transformer." if any(k.startswith("transformer.") for k in w.state) else ""
    backbone = dec.Gpt2(vocab, ctx, d, layers, heads)
    _set(backbone.wte.weight, w.take(p + "wte.weight", (vocab, d)))
    _set(backbone.wpe.weight, w.take(p + "wpe.weight", (ctx, d)))

    def norm(module, name):
        module.eps = eps
        _set(module.weight, w.take(name + ".weight", (d,)))
        _set(module.bias, w.take(name + ".bias", (d,)))

    for i, block in enumerate(backbone.h):
        h = "%sh.%d." % (p, i)
        norm(block.ln_1, h + "ln_1")
        block.c_attn = _linear(w, h + "attn.c_attn", d, 3 * d, transposed=True)
        block.c_proj = _linear(w, h + "attn.c_proj", d, d, transposed=True)
        norm(block.ln_2, h + "ln_2")
        block.c_fc = _linear(w, h + "mlp.c_fc", d, inner, transposed=True)
        block.mlp_proj = _linear(w, h + "mlp.c_proj", inner, d, transposed=True)
    norm(backbone.ln_f, p + "ln_f")
    model = Classifier(backbone, d)
    _set(model.score.weight, w.take("score.weight", (1, d)))
    w.check_all_used()
    return model.eval(), vocab


def _llama3_inv_freq(inv_freq, scaling, head_dim):
    """transformers' _compute_llama3_parameters: long wavelengths divided by `factor`, short ones kept, smoothed."""
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    old = scaling["original_max_position_embeddings"]
    low_wl, high_wl = old / low, old / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_wl) & (wavelen <= low_wl)
    return torch.where(medium, smoothed, scaled)


def llama_from_hf(config, state):
    """Llama/Qwen2ForSequenceClassification -> Classifier over make_hf_decoder_fixtures.Llama."""
    _labels(config)
    mt = config.get("model_type")
    if config.get("hidden_act", "silu") != "silu":
        raise ConversionError("hidden_act %r: only silu (SwiGLU) is supported" % config.get("hidden_act"))
    if mt == "qwen2" and config.get("use_sliding_window", False):
        raise ConversionError("Qwen2 with use_sliding_window true is not supported (the graph attends to the whole "
                              "prefix)")
    d, layers, heads = config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or d // heads
    inter, vocab = config["intermediate_size"], config["vocab_size"]
    theta = float(config.get("rope_theta", 10000.0))
    if heads % kv_heads:
        raise ConversionError("num_attention_heads %d is not a multiple of num_key_value_heads %d" % (heads, kv_heads))
    backbone = dec.Llama(vocab, d, layers, heads, kv_heads, head_dim, inter, theta)
    scaling = config.get("rope_scaling")
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "linear":
        backbone.inv_freq = backbone.inv_freq / scaling["factor"]
    elif kind == "llama3":
        backbone.inv_freq = _llama3_inv_freq(backbone.inv_freq, scaling, head_dim)
    elif kind != "default":
        raise ConversionError("rope_scaling type %r is not supported (none, linear and llama3 are)" % kind)
    eps = config.get("rms_norm_eps", 1e-6)
    w = _Weights(state)
    p = "model."

    def norm(module, name):
        module.eps = eps
        _set(module.weight, w.take(name + ".weight", (d,)))

    _set(backbone.embed_tokens.weight, w.take(p + "embed_tokens.weight", (vocab, d)))
    for i, layer in enumerate(backbone.blocks):
        h = "%slayers.%d." % (p, i)
        norm(layer.input_layernorm, h + "input_layernorm")
        layer.q_proj = _linear(w, h + "self_attn.q_proj", d, heads * head_dim)
        layer.k_proj = _linear(w, h + "self_attn.k_proj", d, kv_heads * head_dim)
        layer.v_proj = _linear(w, h + "self_attn.v_proj", d, kv_heads * head_dim)
        layer.o_proj = _linear(w, h + "self_attn.o_proj", heads * head_dim, d)
        norm(layer.post_attention_layernorm, h + "post_attention_layernorm")
        layer.gate_proj = _linear(w, h + "mlp.gate_proj", d, inter)
        layer.up_proj = _linear(w, h + "mlp.up_proj", d, inter)
        layer.down_proj = _linear(w, h + "mlp.down_proj", inter, d)
    norm(backbone.norm, p + "norm")
    model = Classifier(backbone, d)
    _set(model.score.weight, w.take("score.weight", (1, d)))
    w.check_all_used()
    return model.eval(), vocab


CONVERTERS = {"gpt2": gpt2_from_hf, "llama": llama_from_hf, "qwen2": llama_from_hf}


def from_hf(checkpoint_dir):
    """(Classifier, vocab, config) from a save_pretrained directory; ConversionError if unsupported."""
    with open(os.path.join(checkpoint_dir, "config.json")) as f:
        config = json.load(f)
    mt = config.get("model_type")
    if mt not in CONVERTERS:
        raise ConversionError("model_type %r (%s) is not supported; supported: %s" % (
            mt, config.get("architectures"), ", ".join(sorted(CONVERTERS))))
    arch = (config.get("architectures") or ["?"])[0]
    if not arch.endswith("ForSequenceClassification"):
        raise ConversionError("architectures %s: a reward model is a *ForSequenceClassification" % arch)
    model, vocab = CONVERTERS[mt](config, read_checkpoint(checkpoint_dir))
    return model, vocab, config


# ------------------------------------------------------------------------------------------------ the export
def onnx_layout(model_dir):
    """(uses_position_ids, layers, kv_heads, head_dim) of MODEL_DIR/model.onnx's inputs (weights not loaded)."""
    import onnx
    path = os.path.join(model_dir, "model.onnx")
    if not os.path.isfile(path):
        raise ConversionError("%s has no model.onnx: export the reward model first (README, decoder reward models)"
                              % model_dir)
    graph = onnx.load(path, load_external_data=False).graph
    inputs = {i.name: [dim.dim_value if dim.HasField("dim_value") else -1 for dim in i.type.tensor_type.shape.dim]
              for i in graph.input}
    keys = sorted(n for n in inputs if n.startswith("past_key_values.") and n.endswith(".key"))
    if not keys:
        raise ConversionError("%s takes no past_key_values.N.key: not the decoder-with-past layout" % path)
    shape = inputs["past_key_values.0.key"]
    return "position_ids" in inputs, len(keys), shape[1], shape[3]


@torch.no_grad()
def self_check(model, vocab, uses_position_ids, seed=1):
    """Step 2 of the module comment on seeded random token ids: the largest relative difference seen."""
    g = torch.Generator().manual_seed(seed)
    n = min(24, model.backbone.wpe.num_embeddings - 2) if hasattr(model.backbone, "wpe") else 24
    ids = torch.randint(0, vocab, (n,), generator=g).tolist()
    endings = torch.randint(0, vocab, (6,), generator=g).tolist()
    scorer = sp.SharedPastScorer(dec, model.backbone, model.score).eval()
    scale = max(1.0, float(model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.long),
                                 torch.arange(n).unsqueeze(0) if uses_position_ids else None)[0].abs().max()))
    worst = sp.check(dec, model, scorer, ids, endings, uses_position_ids, tolerance=TORCH_TOLERANCE * scale)
    # the prefix cache extended by one token scores as the whole text does (the converted plain model is coherent)
    pos = torch.arange(n - 1).unsqueeze(0) if uses_position_ids else None
    _, past = model(torch.tensor([ids[:-1]]), torch.ones(1, n - 1, dtype=torch.long), pos)
    step = model(torch.tensor([ids[-1:]]), torch.ones(1, n, dtype=torch.long),
                 torch.tensor([[n - 1]]) if uses_position_ids else None, past)[0][0, -1, 0]
    full = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.long),
                 torch.arange(n).unsqueeze(0) if uses_position_ids else None)[0][0, -1, 0]
    if abs(float(step - full)) > TORCH_TOLERANCE * scale:
        raise ConversionError("the converted model's cached step differs from its full pass by %g" % float(step - full))
    return max(worst, abs(float(step - full))) / scale


def convert(checkpoint_dir, model_dir, out_name=sp.FILE_NAME + UNVERIFIED_SUFFIX):
    """Steps 1-2, then writes MODEL_DIR/out_name. Returns (path, torch worst relative difference)."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model, vocab, config = from_hf(checkpoint_dir)
    uses_position_ids, layers, kv_heads, head_dim = onnx_layout(model_dir)
    if (layers, kv_heads, head_dim) != (model.layers, model.cache_heads, model.head_dim):
        raise ConversionError("%s/model.onnx has %d layers, past of %d heads x %d, the checkpoint %d layers, %d x %d: "
                              "not the same model" % (model_dir, layers, kv_heads, head_dim, model.layers,
                                                      model.cache_heads, model.head_dim))
    if not uses_position_ids and config.get("model_type") != "gpt2":
        raise ConversionError("%s/model.onnx takes no position_ids; for Llama-shaped models the graph needs them"
                              % model_dir)
    worst = self_check(model, vocab, uses_position_ids)
    path = os.path.join(model_dir, out_name)
    try:
        sp.export(dec, model.backbone, model.score, path, uses_position_ids, model.cache_heads, model.head_dim, vocab)
    except Exception:
        if os.path.exists(path):
            os.remove(path)
        raise
    return path, worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from-hf", required=True, metavar="CHECKPOINT_DIR", help="save_pretrained directory")
    ap.add_argument("--out", required=True, metavar="MODEL_DIR", help="the reward model directory with model.onnx")
    args = ap.parse_args()
    try:
        path, worst = convert(args.from_hf, args.out)
    except ConversionError as e:
        print("hf_shared_past: refused: %s" % e, file=sys.stderr)
        sys.exit(2)
    print("hf_shared_past: wrote %s (%d bytes); torch: shared past vs k copies, max relative |diff| %.1e; next: "
          "the Java check against model.onnx renames it to %s" % (path, os.path.getsize(path), worst, sp.FILE_NAME))


if __name__ == "__main__":
    main()
