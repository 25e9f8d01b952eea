#!/usr/bin/env bash
# Fails when a function in the product's code (compiler/, runtime/,
# kernels/, passes/, dialects/, tools/) is longer than 150 lines: long
# functions were where the plan contract's hand-written slot positions hid.
# Uses lizard from the venv scripts/setup.sh makes (scripts/requirements.txt);
# the CUDA (.cuh) and GLSL (.comp) kernels are named explicitly, as lizard
# does not pick those extensions when it walks a folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lizard=.venv/bin/lizard
if [[ ! -x $lizard ]]; then
  echo "check-function-length: $lizard is missing: run scripts/setup.sh" >&2
  exit 1
fi
mapfile -t kernels < <(find kernels -name '*.cuh' -o -name '*.comp' | sort)
# Only length counts here: complexity and argument counts are not limited.
if ! "$lizard" --length 150 --CCN 1000000 --arguments 1000 --warnings_only \
     compiler runtime kernels passes dialects tools "${kernels[@]}" >&2; then
  echo "check-function-length: the functions above are longer than 150 lines: split them" >&2
  exit 1
fi
echo "no function is longer than 150 lines"
