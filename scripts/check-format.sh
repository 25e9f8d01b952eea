#!/usr/bin/env bash
# Fails when a C++ file of the tree is not formatted by the given clang-format
# (the CTest test `clang-format` runs this with clang-format-22).
set -euo pipefail
clang_format=${1:-clang-format-22}
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h' '*.cc')
else
  mapfile -t files < <(find . -path ./build -prune -o -path './build-*' -prune -o \
    \( -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) -print)
fi
((${#files[@]})) || { echo "check-format.sh: no C++ files found" >&2; exit 1; }
"$clang_format" --dry-run --Werror "${files[@]}"
echo "check-format.sh: ${#files[@]} files formatted"
