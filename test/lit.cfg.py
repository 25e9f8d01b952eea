# lit configuration for the gemma compiler's IR and tool tests.

import os

import lit.formats

config.name = "gemma"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "unit", "CMakeLists.txt", "chat_pty.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gemma_obj_root, "test")

# Our tools first, then FileCheck, not and split-file from LLVM 22 (Debian
# keeps them in /usr/lib/llvm-22/bin, which is not on PATH).
config.environment["PATH"] = os.pathsep.join(
    [config.gemma_tools_dir, config.llvm_tools_dir, config.environment["PATH"]]
)
config.substitutions.append(("%gemma_src_root", config.gemma_src_root))
# gemma-exec compiles a weight file into the user's cache: the tests' own
# cache is in the build tree, never the user's.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.gemma_obj_root, "test", "xdg-cache")
config.substitutions.append(("%gemma_lib_dir", config.gemma_lib_dir))

# `REQUIRES: nvrtc`: the build found the CUDA toolkit, so NVRTC loads here.
if config.gemma_have_nvrtc:
    config.available_features.add("nvrtc")

# `REQUIRES: vulkan` tests run where gemma-exec finds a Vulkan device
# (lavapipe from mesa-vulkan-drivers counts); elsewhere lit reports them
# UNSUPPORTED.
import subprocess

try:
    probe = subprocess.run(["vulkaninfo", "--summary"], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode == 0 and "deviceName" in probe.stdout:
        config.available_features.add("vulkan")
except (OSError, subprocess.TimeoutExpired):
    pass

# `REQUIRES: real-model`: scripts/setup.sh assembled the real Gemma 3 270M
# GGUF (a base model: no chat template) at build/models; %real_model names it.
real_model = os.path.join(config.gemma_src_root, "build", "models",
                          "gemma-3-270m-q4_k_m.gguf")
if os.path.exists(real_model):
    config.available_features.add("real-model")
    config.substitutions.append(("%real_model", real_model))
