#!/usr/bin/env bash
# Fails when runtime/, kernels/ or dialects/ include a compiler/ header:
# dependencies point from the compiler to the runtime, never back
# (docs/design.md section 5.1). The weight-file formats and the .plan
# container are the runtime's (runtime/formats, runtime/plan); the compiler
# uses them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hits=$(grep -rn --include='*.h' --include='*.cpp' --include='*.cuh' \
         --include='*.td' --include='*.inc' '#include "compiler/' \
         runtime kernels dialects || true)
if [[ -n $hits ]]; then
  while IFS= read -r hit; do
    echo "${hit%%:*} includes $(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$hit"): runtime/, kernels/ and dialects/ must not include compiler/ (move what they need into runtime/)" >&2
  done <<<"$hits"
  exit 1
fi
echo "runtime/, kernels/ and dialects/ include no compiler/ header"
