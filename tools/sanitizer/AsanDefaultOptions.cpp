//===- AsanDefaultOptions.cpp - ASan defaults for sanitizer builds --------===//
//
// Linked into every executable of a GEMMA_SANITIZE build. Our instrumented
// code and Debian's uninstrumented LLVM/MLIR libraries share inline
// BumpPtrAllocator code that poisons slab memory only on the instrumented
// side, which ASan then reports as use-after-poison inside MLIR itself.
// Ignoring manual (un)poisoning keeps every real ASan check.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
