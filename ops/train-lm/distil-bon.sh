#!/usr/bin/env bash
# Builds models/lm-austen-bon16, the Transfer Q* baseline model ρ_BL: lm-austen fine-tuned on the pipeline's own
# Best-of-16 outputs under the default sentiment reward (see models/lm-austen-bon16/MODEL_CARD.md).
#   1. prompts   openings of Austen paragraphs: training prompts, and held-out prompts for the evaluation
#   2. data      Java BestOfNDistillationData: 16 samples of lm-austen per prompt, scored, best kept (JSONL)
#   3. train     distil_bon.py: lm-austen's weights from its ONNX, fine-tuned on prompt + best continuation, exported
#   4. evaluate  plain samples (N=1) of lm-austen and of the new model on the held-out prompts, reward of each;
#                the figures go into training.json
# Needs: apt-get install -y python3-torch python3-onnx libopenblas0-pthread r-cran-janeaustenr r-base-core
# Usage: ops/train-lm/distil-bon.sh [--n-train 4000] [--n-eval 400] [--epochs 3] [--lr 1e-4] [--threads 1]
# About 30 minutes on one core of the 2-core build machine (step 2 is most of it). Work files in $WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
N_TRAIN=4000 N_EVAL=400 EPOCHS=3 LR=1e-4 THREADS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --n-train) N_TRAIN=$2; shift 2 ;;
    --n-eval) N_EVAL=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --lr) LR=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=${WORK:-/tmp/alignstream-bon}
OUT=models/lm-austen-bon16
PY=/usr/bin/python3
mkdir -p "$WORK"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1

$PY ops/train-lm/distil_bon.py prompts --train-out "$WORK/train-prompts.txt" --eval-out "$WORK/eval-prompts.txt" \
  --n-train "$N_TRAIN" --n-eval "$N_EVAL"

mvn -B -o -q -pl training -am package -DskipTests
CP="training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*"
bon() { java -Dai.djl.offline=true -cp "$CP" org.alignstream.training.lm.BestOfNDistillationData --threads "$THREADS" "$@"; }

bon --prompts "$WORK/train-prompts.txt" --out "$WORK/bon16-train.jsonl" --n 16

$PY ops/train-lm/distil_bon.py train --data "$WORK/bon16-train.jsonl" --base models/lm-austen --out "$OUT" \
  --epochs "$EPOCHS" --lr "$LR" --threads "$THREADS"

bon --prompts "$WORK/eval-prompts.txt" --out "$WORK/eval-lm-austen-n1.jsonl" --n 1
bon --prompts "$WORK/eval-prompts.txt" --out "$WORK/eval-bon16-n1.jsonl" --n 1 --model "$OUT"
bon --prompts "$WORK/eval-prompts.txt" --out "$WORK/eval-lm-austen-n8.jsonl" --n 8 --seed 100001
bon --prompts "$WORK/eval-prompts.txt" --out "$WORK/eval-bon16-n8.jsonl" --n 8 --seed 100001 --model "$OUT"
bon --prompts "$WORK/eval-prompts.txt" --out "$WORK/eval-lm-austen-bon16.jsonl" --n 16
$PY ops/train-lm/distil_bon.py report --before "$WORK/eval-lm-austen-n1.jsonl" --after "$WORK/eval-bon16-n1.jsonl" \
  --before-many "$WORK/eval-lm-austen-n8.jsonl" --after-many "$WORK/eval-bon16-n8.jsonl" \
  --bon "$WORK/eval-lm-austen-bon16.jsonl" --training-json "$OUT/training.json"
