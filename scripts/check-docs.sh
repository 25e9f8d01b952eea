#!/usr/bin/env bash
# Fails when a committed generated document differs from the build's copy.
#   check-docs.sh GENERATED COMMITTED
set -euo pipefail
generated=$1 committed=$2
if ! cmp -s "$generated" "$committed"; then
  echo "$committed is stale: run 'cmake --build build --target gemma-docs' and commit it" >&2
  diff -u "$committed" "$generated" | head -40 >&2 || true
  exit 1
fi
echo "$committed matches its generated source"
