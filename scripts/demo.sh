#!/usr/bin/env bash
# The main job: install and build, then compile a Gemma model into a .plan
# and run it with gemma-exec on the CPU.
#   1. gemma.cpp's own test model (test/fixtures/gemmacpp-tiny-g3): our
#      tokens next to the ones gemma.cpp generated.
#   2. A gemma3-270m-shaped model with random SFP weights (synthesized once,
#      then cached): compiled, then run on a chat prompt with streaming text
#      and prefill/decode speed. The weights are random, so is the text.
# The real Gemma 3 270M (GGUF) becomes the default model with the GGUF
# reader; a real gemma.cpp .sbs from Kaggle runs the same way:
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

model=build/demo/gemma3-270m-sfp.sbs
if [[ ! -f $model ]]; then
  echo "== synthesizing $model (random weights, real shapes)"
  $bin/gemma-sbs synth --preset gemma3-270m --weight sfp -o "$model"
fi
echo "== compiling it"
$bin/gemma-compile "$model" -o build/demo/gemma3-270m-sfp.plan --context 4096
echo "== gemma-exec on a chat prompt (random weights: the text is noise)"
$bin/gemma-exec build/demo/gemma3-270m-sfp.plan --prompt "Why is the sky blue?" \
  --max-tokens 32 --ignore-eos
