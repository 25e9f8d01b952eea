//===- ElementwiseFunctions.h - The elementwise functions, one row each ---===//
//
// Every elementwise function of the model math is one row of a table:
// GEMMA_UNARY_FUNCTIONS (f of a value `x` and the op's one parameter `p`,
// 0 where it has none) and GEMMA_BINARY_FUNCTIONS (f of two values `x` and
// `y`). A row gives its code (stored in plan files: append only), its name
// in C++, its mnemonic (the `gemma` op and the plan's function name) and
// its formula, written once in a subset that three languages read alike:
// `T(c)` for a constant, `Tanh` and `Erf`, and arithmetic. This one file is
//   - host C++ for the reference evaluator (T = double), the CPU kernels
//     and the CUDA emulator (T = float): ApplyUnary<T>, ApplyBinary<T>;
//   - part of the CUDA source NVRTC compiles (kernels/cuda/Kernels.cpp
//     embeds it before the kernels), under __CUDACC_RTC__;
//   - GLSL, included by the Vulkan shaders (glslc defines VULKAN), where
//     ApplyUnary(fn, x, p) and ApplyBinary(fn, x, y) are generated from the
//     same rows.
// The plan runs each table through one kernel (`unary`, `binary`) with the
// row's code. Adding a function: a row here, its `gemma` op (a
// Gemma_UnaryOp or Gemma_BinaryOp in dialects/gemma/GemmaOps.td), and
// tests; every backend then runs it.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMA_KERNELS_COMMON_ELEMENTWISEFUNCTIONS_H
#define GEMMA_KERNELS_COMMON_ELEMENTWISEFUNCTIONS_H

// X(code, Name, mnemonic, formula)
#define GEMMA_UNARY_FUNCTIONS(X)                                               \
  /* GELU, tanh approximation (Gemma's GeGLU gate). */                         \
  X(0, GeluTanh, gelu_tanh,                                                    \
    T(0.5) * x *                                                               \
        (T(1) + Tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x))))  \
  /* Soft-capping at p > 0 (Gemma 2 scores and logits, Gemma 4 logits). */     \
  X(1, Softcap, softcap, p *Tanh(x / p))                                       \
  /* GELU with the error function (vision towers of the SigLIP kind). */       \
  X(2, GeluErf, gelu_erf,                                                      \
    T(0.5) * x * (T(1) + Erf(x * T(0.7071067811865476))))                      \
  /* Times a constant or a learned scalar (Gemma 4's layer scalar). */         \
  X(3, Scale, scale, x *p)                                                     \
  /* SiLU, x sigmoid(x), with sigmoid(x) = (1 + tanh(x / 2)) / 2. */           \
  X(4, Silu, silu, T(0.5) * x * (T(1) + Tanh(T(0.5) * x)))

// X(code, Name, mnemonic, formula)
#define GEMMA_BINARY_FUNCTIONS(X)                                              \
  /* The residual connections. */                                              \
  X(0, Add, add, x + y)                                                        \
  /* The GeGLU gating product. */                                              \
  X(1, Mul, mul, x *y)

#if defined(VULKAN)
// GLSL, which has no erf: Abramowitz and Stegun's formula 7.1.26, absolute
// error below 1.5e-7 (f32's own spacing near 1 is 6e-8), odd by
// construction.
float Tanh(float v) { return tanh(v); }
float Erf(float v) {
  float a = abs(v), t = 1.0 / (1.0 + 0.3275911 * a);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t -
                     0.284496736) *
                        t +
                    0.254829592) *
                   t) *
                      exp(-a * a);
  return sign(v) * y;
}
#define T float
#define GEMMA_ELEMENTWISE_CASE(code, Name, mnemonic, formula)                  \
  if (fn == code)                                                              \
    return formula;
float ApplyUnary(int fn, float x, float p) {
  GEMMA_UNARY_FUNCTIONS(GEMMA_ELEMENTWISE_CASE)
  return x;
}
float ApplyBinary(int fn, float x, float y) {
  GEMMA_BINARY_FUNCTIONS(GEMMA_ELEMENTWISE_CASE)
  return x;
}
#undef GEMMA_ELEMENTWISE_CASE
#undef T
#define GEMMA_UNARY_CODE(code, Name, mnemonic, formula)                        \
  const int kUnary##Name = code;
GEMMA_UNARY_FUNCTIONS(GEMMA_UNARY_CODE)
#undef GEMMA_UNARY_CODE
#define GEMMA_BINARY_CODE(code, Name, mnemonic, formula)                       \
  const int kBinary##Name = code;
GEMMA_BINARY_FUNCTIONS(GEMMA_BINARY_CODE)
#undef GEMMA_BINARY_CODE

#else // C++: host, and the CUDA device code NVRTC compiles

#if defined(__CUDACC_RTC__)
#define GEMMA_UNARY_INLINE __device__ __forceinline__
#else
#include <cmath>
#define GEMMA_UNARY_INLINE inline
#endif

namespace gemma {

enum class UnaryFn : int {
#define GEMMA_UNARY_ENUM(code, Name, mnemonic, formula) k##Name = code,
  GEMMA_UNARY_FUNCTIONS(GEMMA_UNARY_ENUM)
#undef GEMMA_UNARY_ENUM
};

#define GEMMA_UNARY_COUNT(code, Name, mnemonic, formula) +1
inline constexpr int kUnaryFnCount = 0 GEMMA_UNARY_FUNCTIONS(GEMMA_UNARY_COUNT);
#undef GEMMA_UNARY_COUNT

enum class BinaryFn : int {
#define GEMMA_BINARY_ENUM(code, Name, mnemonic, formula) k##Name = code,
  GEMMA_BINARY_FUNCTIONS(GEMMA_BINARY_ENUM)
#undef GEMMA_BINARY_ENUM
};

#define GEMMA_BINARY_COUNT(code, Name, mnemonic, formula) +1
inline constexpr int kBinaryFnCount =
    0 GEMMA_BINARY_FUNCTIONS(GEMMA_BINARY_COUNT);
#undef GEMMA_BINARY_COUNT

namespace unary_detail {
#if defined(__CUDACC_RTC__)
GEMMA_UNARY_INLINE float Tanh(float v) { return tanhf(v); }
GEMMA_UNARY_INLINE float Erf(float v) { return erff(v); }
#else
template <class V> inline V Tanh(V v) { return std::tanh(v); }
template <class V> inline V Erf(V v) { return std::erf(v); }
#endif
} // namespace unary_detail

// The function `fn` of x with parameter p (ApplyUnary) or of x and y
// (ApplyBinary), in T's arithmetic; x itself for a code no row has (plans
// are validated before they run).
#define GEMMA_ELEMENTWISE_CASE(code, Name, mnemonic, formula)                  \
  if (int(fn) == code)                                                         \
    return formula;
template <class T> GEMMA_UNARY_INLINE T ApplyUnary(UnaryFn fn, T x, T p) {
  using unary_detail::Erf;
  using unary_detail::Tanh;
  GEMMA_UNARY_FUNCTIONS(GEMMA_ELEMENTWISE_CASE)
  return x;
}
template <class T> GEMMA_UNARY_INLINE T ApplyBinary(BinaryFn fn, T x, T y) {
  GEMMA_BINARY_FUNCTIONS(GEMMA_ELEMENTWISE_CASE)
  return x;
}
#undef GEMMA_ELEMENTWISE_CASE

#if !defined(__CUDACC_RTC__)
// The mnemonic of unary or binary function `fn` ("gelu_tanh", "add"), or
// nullptr for a code no row has.
#define GEMMA_ELEMENTWISE_NAME(code, Name, mnemonic, formula)                  \
  if (fn == code)                                                              \
    return #mnemonic;
inline const char *UnaryFnName(int fn) {
  GEMMA_UNARY_FUNCTIONS(GEMMA_ELEMENTWISE_NAME)
  return nullptr;
}
inline const char *BinaryFnName(int fn) {
  GEMMA_BINARY_FUNCTIONS(GEMMA_ELEMENTWISE_NAME)
  return nullptr;
}
#undef GEMMA_ELEMENTWISE_NAME
#endif

} // namespace gemma

#undef GEMMA_UNARY_INLINE
#endif // VULKAN

#endif // GEMMA_KERNELS_COMMON_ELEMENTWISEFUNCTIONS_H
