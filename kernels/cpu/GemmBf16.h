//===- GemmBf16.h - The opt-in bf16 prefill matmul --------------*- C++ -*-===//
//
// The prefill GEMM of Gemm.h with activations and weights rounded to bf16
// (round to nearest even) and multiplied by AVX512-BF16's dot-product
// instruction: two bf16 products per f32 lane per instruction, twice the
// f32 FMA rate, accumulated in f32. This is what gemma.cpp does on CPUs
// with AVX512-BF16 (Zen 4, Sapphire Rapids); it rounds every activation
// to 8 significant bits, so it is never the default: `gemma-exec
// --prefill-math bf16` asks for it, decode stays f32 (it is bound by
// memory, not arithmetic), and docs/cpu-precision.md gives its measured
// agreement with the exact path.
//
// Layouts: activations packed in panels of 32 tokens, k-major, two
// consecutive k of one token in one 32-bit lane (the instruction's pairs);
// weights as bf16 rows (a row's consecutive k are its pairs).
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_GEMMBF16_H
#define KERNELS_CPU_GEMMBF16_H

#include "kernels/cpu/Gemm.h"

#include <cstdint>

namespace gemma::cpu {

// Whether this CPU has AVX512-BF16 (and AVX512-BW/VL): the bf16 GEMM runs.
bool Bf16GemmSupported();

// Process-wide choice of the prefill matmuls' arithmetic (false: f32, the
// default). Setting true where !Bf16GemmSupported() is ignored.
void SetPrefillBf16(bool on);
bool PrefillBf16();

constexpr int64_t kBf16Tokens = 32; // tokens per packed panel

// uint32 lanes PackTokensBf16 writes for n rows of k values.
int64_t PackedTokensBf16Size(int64_t n, int64_t k);

// Panels [first, last) of x [n, k] rounded to bf16: lane (p, t / 2, m)
// holds x[p * 32 + m, t] (low half) and x[p * 32 + m, t + 1] (high half),
// zero past row n or column k. `packed` is aligned to 64 bytes.
void PackTokensBf16(const float *x, int64_t n, int64_t k, uint32_t *packed,
                    int64_t first_panel, int64_t last_panel);

// The functions below run only where Bf16GemmSupported().

// Rounds `count` rows of k f32 values (`in_stride` apart) to bf16 rows
// `out_stride` apart (at least k rounded up to 32, e.g. GemmBf16RowStride),
// zeros from k to that multiple of 32.
void RowsToBf16(const float *in, int64_t count, int64_t k, int64_t in_stride,
                uint16_t *out, int64_t out_stride);

// The row stride (in bf16 values) for rows of k values: even, and a cache
// line past a multiple of 4 KiB (rows of 4 KiB multiples share L1 sets).
inline int64_t GemmBf16RowStride(int64_t k) { return (k + 1) / 2 * 2 + 32; }

// y[i * y_stride + j] = bf16(x_i) . w_j for i < n, j < count: w bf16 rows
// `w_stride` values apart (even), x packed by PackTokensBf16.
void GemmRowsBf16(const uint16_t *w, int64_t w_stride, int64_t count, int64_t k,
                  const uint32_t *packed, int64_t n, float *y, int64_t y_stride,
                  Prefetch next = {});

} // namespace gemma::cpu

#endif // KERNELS_CPU_GEMMBF16_H
