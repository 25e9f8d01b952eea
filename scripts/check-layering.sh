#!/usr/bin/env bash
# Fails when runtime/, kernels/ or dialects/ include a compiler/ header that
# is not on the list below: dependencies point from the compiler to the
# runtime, never back (docs/design.md section 5.1). The list holds what is
# still to move (the weight-file readers and the .plan container, which the
# runtime's PlanSession reads); it may only shrink.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
allowed=(
  'runtime/exec/PlanSession.cpp:compiler/import/LoadModel.h'
  'runtime/exec/PlanSession.cpp:compiler/import/MappedFile.h'
  'runtime/exec/PlanSession.h:compiler/import/SbsModel.h'
  'runtime/exec/PlanSession.h:compiler/plan/PlanFile.h'
  'runtime/tokenizer/ChatTemplate.h:compiler/import/ModelSpec.h'
)
status=0
while IFS= read -r hit; do
  file=${hit%%:*}
  header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${hit#*:}")
  if [[ ! " ${allowed[*]} " == *" $file:$header "* ]]; then
    echo "$file includes $header: runtime/, kernels/ and dialects/ must not include compiler/ (move what they need into runtime/)" >&2
    status=1
  fi
done < <(grep -rn --include='*.h' --include='*.cpp' --include='*.cuh' \
           --include='*.td' --include='*.inc' '#include "compiler/' \
           runtime kernels dialects | sed -E 's/^([^:]+):[0-9]+:/\1:/')
[[ $status == 0 ]] && echo "runtime/, kernels/ and dialects/ include no compiler/ header beyond the ${#allowed[@]} listed"
exit $status
