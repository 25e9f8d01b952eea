#!/usr/bin/env bash
# Coverage-guided fuzzing of the .sbs, .plan, GGUF, tokenizer.json, .safetensors,
# config.json, PNG and JPEG readers with libFuzzer + ASan
# (clang-22), SECONDS each. Not part of the test suite (which runs the short
# `*-fuzz-smoke` binaries instead).
#
#   scripts/fuzz.sh [SECONDS]      default 60
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}

missing=()
for package in clang-22 libclang-rt-22-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

scripts/setup.sh # the seed files come from the regular build's tools
cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DGEMMA_FUZZ=ON >/dev/null
cmake --build build-fuzz --target sbs-fuzzer plan-fuzzer gguf-fuzzer hf-tokenizer-fuzzer \
  safetensors-fuzzer image-fuzzer

corpus=build-fuzz/corpus/sbs
mkdir -p "$corpus"
cp test/fixtures/gemmacpp-tiny-g3/model.sbs "$corpus/gemmacpp-tiny-g3.sbs"
build/bin/gemma-sbs synth --preset tiny-gemma3 --weight sfp -o "$corpus/tiny-gemma3-sfp.sbs" >/dev/null
build/bin/gemma-sbs synth --preset tiny-gemma4 --weight nuq -o "$corpus/tiny-gemma4-nuq.sbs" >/dev/null
cp test/fuzz/seeds/legacy-v1.sbs "$corpus/"
# allow_user_poisoning=0: see tools/sanitizer/AsanDefaultOptions.cpp.
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/sbs-fuzzer \
  -max_total_time="$seconds" -max_len=1200000 -rss_limit_mb=4096 "$corpus"

plans=build-fuzz/corpus/plan
mkdir -p "$plans"
build/bin/gemma-compile "$corpus/tiny-gemma3-sfp.sbs" -o "$plans/tiny-gemma3.plan" \
  --prefill-buckets 8 >/dev/null
build/bin/gemma-compile "$corpus/tiny-gemma4-nuq.sbs" -o "$plans/tiny-gemma4-none.plan" \
  --fusion none >/dev/null
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/plan-fuzzer \
  -max_total_time="$seconds" -rss_limit_mb=4096 "$plans"

ggufs=build-fuzz/corpus/gguf
mkdir -p "$ggufs"
build/bin/make-gguf-seed "$ggufs/tiny-gemma3.gguf"
cp test/fixtures/gguf-gemma4/gemma4-ple-kvshare.q8_0.gguf \
  test/fixtures/gguf-gemma4/gemma4-moe.q4_k_m.gguf "$ggufs/"
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/gguf-fuzzer \
  -max_total_time="$seconds" -max_len=1600000 -rss_limit_mb=4096 "$ggufs"

tokenizers=build-fuzz/corpus/hf-tokenizer
mkdir -p "$tokenizers"
cp test/fuzz/seeds/tokenizer-small.json "$tokenizers/"
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/hf-tokenizer-fuzzer \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 "$tokenizers"

checkpoints=build-fuzz/corpus/safetensors
mkdir -p "$checkpoints"
cp test/fixtures/hf/gemma1-mqa/model.safetensors "$checkpoints/gemma1.safetensors"
cp test/fixtures/hf/gemma4-keqv/config.json "$checkpoints/gemma4-config.json"
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/safetensors-fuzzer \
  -max_total_time="$seconds" -max_len=400000 -rss_limit_mb=4096 "$checkpoints"

images=build-fuzz/corpus/image
mkdir -p "$images"
cp test/fixtures/images/*.png test/fixtures/images/*.jpg "$images/"
ASAN_OPTIONS=allow_user_poisoning=0 build-fuzz/bin/image-fuzzer \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 "$images"
