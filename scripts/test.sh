#!/usr/bin/env bash
# Installs, builds and runs every test (lit and GoogleTest through CTest).
# Exits non-zero on any failure.
#
#   scripts/test.sh          Release build in build/
#   scripts/test.sh --asan   the same suite under ASan+UBSan in build-asan/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh "$@"
build_dir=${BUILD_DIR:-build}
if [[ " $* " == *" --asan "* ]]; then build_dir=${BUILD_DIR:-build-asan}; fi
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
