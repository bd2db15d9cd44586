#!/usr/bin/env python3
"""Which alignstream ONNX graphs run on ONNX Runtime's CUDA provider, node by node, and how fast.

Runs on a GPU machine with Python, PyTorch, onnx and onnxruntime-gpu (not part of the build; the Java scorer needs the
640 MB onnxruntime_gpu jar, see README "Models"). For each graph it opens a session with
[CUDAExecutionProvider, CPUExecutionProvider], runs it once with ONNX Runtime's profiler on and reads from the
profile which provider ran each node; then it times the graph on CUDA and on the CPU provider alone.

Graphs:
  - models/lm-austen/model.onnx: the bundled 2.6 M-parameter decoder with past key values (fp32);
  - models/reward-*/head.onnx: the bundled linear reward heads;
  - --minilm FILE: the bundled int8 MiniLM encoder (all-minilm-l6-v2-q.onnx from the langchain4j jar: the scorer's
    default backbone, dynamically quantised: DynamicQuantizeLinear / MatInteger nodes);
  - a MiniLM-L6-shaped BERT encoder with random weights exported here in fp32, and the same graph quantised
    dynamically to int8 with onnxruntime.quantization, to compare the two exports on the same shapes;
  - a GPT-2-small-shaped decoder (12 layers, d 768, vocabulary 50,257, about 124 M parameters, random weights) in
    the Hugging Face / Optimum with-past layout, built with the plain-torch GPT-2 of
    ops/lm-fixtures/make_hf_decoder_fixtures.py (the realistic-size model of the serving issue).

Writes $OUT/cuda_placement.json and prints one line per graph:
  graph NAME nodes=N cuda=C cpu=P cpu_ops=[...] cuda_ms=X cpu_ms=Y
Usage: python3 ops/gpu/cuda_placement.py [--minilm ops/.run/gpu/all-minilm-l6-v2-q.onnx] [--out DIR]
"""
import argparse
import glob
import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CPU = ["CPUExecutionProvider"]
# without a CUDA build of ONNX Runtime (onnxruntime-gpu) every graph runs on the CPU provider and the placement
# table says so; the script still checks that every graph builds and runs
CUDA = (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in ort.get_available_providers() else []) + CPU


def feeds(session, batch, seq, past):
    """Inputs for every graph input: token ids 1..9, masks of ones, positions after the past, pasts of zeros."""
    out = {}
    for i in session.get_inputs():
        name, shape = i.name, []
        for n, dim in enumerate(i.shape):
            if isinstance(dim, int):
                shape.append(dim)
            elif n == 0:
                shape.append(batch)
            elif "past_sequence_length + sequence_length" in str(dim) or name == "attention_mask" and past:
                shape.append(past + seq)
            elif "past" in str(dim):
                shape.append(past)
            else:
                shape.append(seq)
        if name.startswith("past_key_values"):
            shape[2] = past
        kind = i.type
        if "int64" in kind:
            if name == "position_ids":
                arr = np.tile(np.arange(past, past + seq, dtype=np.int64), (batch, 1))
            elif "mask" in name:
                arr = np.ones(shape, dtype=np.int64)
            elif "token_type" in name:
                arr = np.zeros(shape, dtype=np.int64)
            else:
                arr = np.random.default_rng(0).integers(1, 10, size=shape, dtype=np.int64)
        elif "bool" in kind:
            arr = np.ones(shape, dtype=bool)
        elif "float16" in kind:
            arr = np.zeros(shape, dtype=np.float16)
        else:
            arr = np.zeros(shape, dtype=np.float32)
        out[name] = arr
    return out


def placement(path, batch, seq, past):
    """Per provider: node count and the op types it ran, from one profiled CUDA-session run."""
    so = ort.SessionOptions()
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tempfile.gettempdir(), "ort_profile")
    s = ort.InferenceSession(path, so, providers=CUDA)
    s.run(None, feeds(s, batch, seq, past))
    prof = s.end_profiling()
    with open(prof) as f:
        events = json.load(f)
    by_provider = {}
    seen = set()
    for e in events:
        if e.get("cat") != "Node" or "args" not in e or "provider" not in e["args"]:
            continue
        node = e["name"].rsplit("_kernel_time", 1)[0]
        if node in seen:
            continue
        seen.add(node)
        p = e["args"]["provider"]
        entry = by_provider.setdefault(p, {"nodes": 0, "ops": {}})
        entry["nodes"] += 1
        op = e["args"].get("op_name", "?")
        entry["ops"][op] = entry["ops"].get(op, 0) + 1
    return s.get_providers(), by_provider


def time_ms(path, providers, batch, seq, past, reps=20):
    """Median ms per run. On CUDA the inputs and outputs stay on the device (I/O binding), as a server keeps its KV
    cache there; on the CPU provider numpy arrays are fed as the Java code feeds them."""
    s = ort.InferenceSession(path, providers=providers)
    f = feeds(s, batch, seq, past)
    run = lambda: s.run(None, f)
    if providers[0] == "CUDAExecutionProvider":
        binding = s.io_binding()
        for name, arr in f.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(arr, "cuda", 0))
        for o in s.get_outputs():
            binding.bind_output(o.name, "cuda", 0)

        def run():
            s.run_with_iobinding(binding)
    for _ in range(3):
        run()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def load_fixture_module():
    path = os.path.join(ROOT, "ops", "lm-fixtures", "make_hf_decoder_fixtures.py")
    spec = importlib.util.spec_from_file_location("fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_export(module, args, path, input_names, output_names, axes, opset=17):
    import torch
    try:
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True, dynamo=False)
    except TypeError:  # a torch without the dynamo argument: the TorchScript exporter is the only one
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)


def gpt2_small(out_dir):
    """GPT-2-small shape, random weights, Optimum with-past layout (input_ids, past..., attention_mask)."""
    import torch
    fx = load_fixture_module()
    torch.manual_seed(7)
    layers, d, heads, vocab, ctx = 12, 768, 12, 50257, 1024
    model = fx.Gpt2(vocab, ctx, d, layers, heads).eval()
    names = ["input_ids"] + fx.past_names(layers) + ["attention_mask"]
    b, s, p = 2, 2, 3
    dummies = {"input_ids": torch.randint(0, vocab, (b, s)), "attention_mask": torch.ones(b, s + p, dtype=torch.long)}
    for name in fx.past_names(layers):
        dummies[name] = torch.randn(b, heads, p, d // heads)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for name in fx.past_names(layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in fx.present_names(layers):
        axes[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    path = os.path.join(out_dir, "gpt2-small-with-past.onnx")
    with torch.no_grad():
        torch_export(fx.ExportWrapper(model, names).eval(), tuple(dummies[n] for n in names), path, names,
                     ["logits"] + fx.present_names(layers), axes)
    return path


def minilm_fp32_and_int8(out_dir):
    """A MiniLM-L6-shaped BERT (random weights) in fp32, and the same graph dynamically quantised to int8."""
    import torch
    from transformers import BertConfig, BertModel
    from onnxruntime.quantization import QuantType, quantize_dynamic
    torch.manual_seed(3)
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512)
    model = BertModel(config).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    ids = torch.randint(1, 100, (2, 16))
    fp32 = os.path.join(out_dir, "minilm-shaped-fp32.onnx")
    axes = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")}
    with torch.no_grad():
        torch_export(Wrapper(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), fp32,
                     ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"], axes)
    int8 = os.path.join(out_dir, "minilm-shaped-int8.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
    return fp32, int8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm", default=os.path.join(ROOT, "ops", ".run", "gpu", "all-minilm-l6-v2-q.onnx"))
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    results = {"onnxruntime": ort.__version__, "providers": ort.get_available_providers(), "graphs": {}}
    print("onnxruntime", ort.__version__, "providers", results["providers"], flush=True)
    if "CUDAExecutionProvider" not in results["providers"]:
        print("no CUDAExecutionProvider here", flush=True)
    work = tempfile.mkdtemp()
    # name -> (path or builder, batch, seq, past)
    graphs = [("lm-austen (bundled, fp32, with past)", lambda: os.path.join(ROOT, "models/lm-austen/model.onnx"), 16, 1, 100)]
    for head in sorted(glob.glob(os.path.join(ROOT, "models", "reward-*", "head.onnx"))):
        graphs.append(("%s head (bundled)" % os.path.basename(os.path.dirname(head)), lambda h=head: h, 16, 1, 0))
    graphs.append(("all-minilm-l6-v2-q (bundled scorer encoder, int8)", lambda: args.minilm, 16, 32, 0))
    minilm = {}

    def shaped(kind):
        if not minilm:
            minilm["fp32"], minilm["int8"] = minilm_fp32_and_int8(work)
        return minilm[kind]
    graphs.append(("MiniLM-L6 shape, fp32 export", lambda: shaped("fp32"), 16, 32, 0))
    graphs.append(("MiniLM-L6 shape, dynamic int8 export", lambda: shaped("int8"), 16, 32, 0))
    gpt2 = {}

    def big():
        if not gpt2:
            gpt2["path"] = gpt2_small(work)
        return gpt2["path"]
    graphs.append(("GPT-2-small shape (124 M, fp32, with past), 1 token after 256", big, 1, 1, 256))
    graphs.append(("GPT-2-small shape, 16 rows x 1 token after 256", big, 16, 1, 256))
    for name, path_of, batch, seq, past in graphs:
        entry = {"batch": batch, "seq": seq, "past": past}
        try:
            t = time.time()
            path = path_of()
            entry["build_s"] = round(time.time() - t, 1)
            entry["bytes"] = os.path.getsize(path)
            providers, by_provider = placement(path, batch, seq, past)
            entry["session_providers"] = providers
            entry["placement"] = by_provider
            entry["cuda_ms"] = time_ms(path, CUDA, batch, seq, past)
            entry["cpu_ms"] = time_ms(path, CPU, batch, seq, past, reps=5)
            cpu_ops = sorted(by_provider.get("CPUExecutionProvider", {}).get("ops", {}).items())
            print("graph %s nodes=%d cuda=%d cpu=%d cpu_ops=%s cuda_ms=%.2f cpu_ms=%.2f" % (
                name, sum(v["nodes"] for v in by_provider.values()),
                by_provider.get("CUDAExecutionProvider", {}).get("nodes", 0),
                by_provider.get("CPUExecutionProvider", {}).get("nodes", 0), cpu_ops, entry["cuda_ms"],
                entry["cpu_ms"]), flush=True)
        except Exception as e:  # one graph failing must not hide the others' results
            entry["error"] = "%s: %s" % (type(e).__name__, e)
            entry["trace"] = traceback.format_exc()[-2000:]
            print("graph %s error %s" % (name, entry["error"]), flush=True)
        results["graphs"][name] = entry
        with open(os.path.join(args.out, "cuda_placement.json"), "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
