#!/usr/bin/env bash
# Adds the shared-past scoring graph (model_shared_past.onnx) to a decoder reward model directory from the model's
# transformers checkpoint: GPT2ForSequenceClassification, LlamaForSequenceClassification or
# Qwen2ForSequenceClassification (ops/lm-fixtures/hf_shared_past.py says what is supported and refused).
#
#   ops/add-shared-past.sh CHECKPOINT_DIR MODEL_DIR [--tolerance X]
#
# CHECKPOINT_DIR: what save_pretrained wrote (config.json + model.safetensors or pytorch_model.bin, sharded or not).
# MODEL_DIR: the reward model directory alignstream loads (model.onnx exported from that checkpoint, config.json,
# tokenizer.json). Step 1 (Debian's python3-torch, python3-onnx, python3-numpy) converts the weights, checks the
# shared-past scorer against the plain model in torch and writes MODEL_DIR/model_shared_past.onnx.unverified; step 2
# (Java, SharedPastCheck) scores tokenwise rounds with it and each text in full with MODEL_DIR/model.onnx and renames
# it to model_shared_past.onnx only if they agree within X x max(1, |score|) (default 1e-4); otherwise it is deleted
# and the directory is left as it was. Exit status 0 installed, 1 refused by the check, 2 refused by the converter.
set -euo pipefail
if [ $# -lt 2 ]; then sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
checkpoint=$(realpath "$1"); model_dir=$(realpath "$2"); shift 2
cd "$(dirname "$0")/.."
source ops/lib.sh
/usr/bin/python3 ops/lm-fixtures/hf_shared_past.py --from-hf "$checkpoint" --out "$model_dir"
build_classpath clients
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.inference.reward.SharedPastCheck "$model_dir" "$@"
