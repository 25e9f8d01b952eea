//===- AsanDefaultOptions.cpp - ASan defaults for sanitizer builds --------===//
//
// Linked into every executable of a GEMMA_SANITIZE build. Our instrumented
// code and Debian's uninstrumented LLVM/MLIR libraries share inline
// BumpPtrAllocator code that poisons slab memory only on the instrumented
// side, which ASan then reports as use-after-poison inside MLIR itself.
// Ignoring manual (un)poisoning keeps every real ASan check.
//
// Leak suppressions: Mesa's lavapipe (the Vulkan device of CI) runs shaders
// it JIT-compiles with LLVM, and that code reallocs buffers it never frees
// (128 bytes per device). The stack cannot be unwound through JIT code to
// name lavapipe, so the suppression names the allocator: our code never
// calls realloc (containers and new do not), so only C libraries' leaks
// are hidden. NVRTC keeps allocations of its own until the process exits.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" const char *__lsan_default_suppressions() {
  return "leak:__interceptor_realloc\n"
         // NVRTC's own allocations, kept until exit (runtime/cuda/Nvrtc.cpp).
         "leak:libnvrtc\n";
}
