//===- SplitDot.h - Exact decode dots on AVX512-BF16 ------------*- C++ -*-===//
//
// A decode step's matvecs over GGML block rows are bound by turning stored
// bits into f32 lanes, not by memory: a Q5_0 value costs a widening, a
// conversion and an FMA per 16 values. VDPBF16PS multiplies 32 bf16 pairs
// per instruction with f32 accumulation, and every GGML quant (q in
// [-32, 31] for Q5_0 and Q6_K, [0, 15] for Q4_K) is exact in bf16; the
// activations are not, so each f32 activation is split into three bf16
// parts whose sum is exactly that activation:
//
//   hi = x truncated to bf16, mid = (x - hi) truncated, lo = x - hi - mid
//
// (x - hi has at most 16 significant bits, x - hi - mid at most 8; each
// subtraction is exact). q * part is exact in f32, so x . row is computed
// from the exact f32 activations with f32 accumulation, as in the f32
// kernels (GgmlDot.h), only in another order: three products per value
// instead of one, at 32 values per instruction. Activations below 2^-110
// lose their low part (the instruction reads bf16 subnormals as zero), and
// an infinite activation gives NaN where the f32 kernels give an infinity.
//
// Built for AVX512-BF16 with intrinsics (Highway 1.0.3 has no op for the
// instruction) and reached only after a CPUID check: SplitDotSupported().
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_SPLITDOT_H
#define KERNELS_CPU_SPLITDOT_H

#include <cstdint>

namespace gemma::cpu {

// Whether this CPU has AVX512-BF16 (with F, BW, VL and F16C).
bool SplitDotSupported();

// The functions below run only where SplitDotSupported().

// The three bf16 planes of n activations (n a multiple of 32): hi in
// planes[0, n), mid in [n, 2n), lo in [2n, 3n).
void SplitActivations(const float *x, int64_t n, uint16_t *planes);

// out[k] = x . row k for `count` consecutive rows `row_bytes` apart, x
// given as its SplitActivations planes, n values per row (whole blocks).
void DotQ5_0RowsSplit(const uint16_t *planes, const uint8_t *rows,
                      int64_t row_bytes, int64_t n, int64_t count, float *out);
void DotQ6_KRowsSplit(const uint16_t *planes, const uint8_t *rows,
                      int64_t row_bytes, int64_t n, int64_t count, float *out);

} // namespace gemma::cpu

#endif // KERNELS_CPU_SPLITDOT_H
