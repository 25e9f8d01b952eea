#!/usr/bin/env bash
# The main job as far as it exists today: install and build, then run Gemma
# models end to end with the reference evaluator.
#   1. gemma.cpp's own test model (test/fixtures/gemmacpp-tiny-g3): our
#      tokens next to the ones gemma.cpp generated.
#   2. A gemma3-270m-shaped model with random SFP weights: its gemma IR, a
#      greedy run on a chat prompt, and the CPU backend's prefill/decode
#      speed beside the reference evaluator's.
# The real Gemma 3 270M (GGUF) becomes the default model with the GGUF
# reader; the fast CPU path with gemma-compile/gemma-exec.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
bin=build/bin
fixture=test/fixtures/gemmacpp-tiny-g3

echo "== gemma.cpp's test model, greedy, 16 tokens"
echo "gemma.cpp:  $(grep '^step' $fixture/gemmacpp-steps.txt | awk '{printf "%s ", $6}')"
echo "gemma-ref:  $($bin/gemma-ref $fixture/model.sbs --prompt-ids "$(cat $fixture/prompt.ids)" \
  --max-tokens 16 --ignore-eos)"

model=build/demo/gemma3-270m-sfp.sbs
mkdir -p build/demo
if [[ ! -f $model ]]; then
  echo "== synthesizing $model (random weights, real shapes)"
  $bin/gemma-sbs synth --preset gemma3-270m --weight sfp -o "$model"
fi
echo "== its gemma IR (first layer of @prefill_32)"
$bin/gemma-compile "$model" --emit=gemma --prefill-buckets 32 --decode-buckets 1 |
  sed -n '/func.func @prefill_32/,/@pre_att_ns_1/p' | cut -c1-160
echo "== greedy generation with the reference evaluator (random weights: the text is noise)"
$bin/gemma-ref "$model" --prompt "Why is the sky blue?" --max-tokens 4 --print-ids
echo "== the CPU backend (fused kernels, all cores) beside the reference evaluator"
$bin/bench-cpu-decode "$model" --prompt-len 32 --tokens 16 --reference
