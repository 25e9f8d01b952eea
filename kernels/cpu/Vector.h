//===- Vector.h - SIMD primitives of the CPU kernels ------------*- C++ -*-===//
//
// Highway dynamic dispatch: the best target of the running CPU is chosen at
// the first call (AVX-512, AVX2, SSE4, ...).
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_VECTOR_H
#define KERNELS_CPU_VECTOR_H

#include <cstdint>

namespace gemma::cpu {

// sum_i a[i] * b[i] with f32 lanes and several accumulators.
float Dot(const float *a, const float *b, int64_t n);

// x . w for a stored bf16 or SFP row w of n values, decoded in registers.
// DotSfp reads x in the order SfpActivationOrder writes it (the order its
// in-register decode produces weights in; it depends on the vector target),
// so a matvec reorders its activations once, not per row.
float DotBf16(const float *x, const uint8_t *packed, int64_t n);
float DotSfp(const float *x_ordered, const uint8_t *packed, int64_t n);
// DotBf16 of four rows `row_bytes` apart: out[r] = x . row r.
void DotBf16x4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out);
void SfpActivationOrder(const float *x, int64_t n, float *x_ordered);
// DotSfp of four rows `row_bytes` apart: out[r] = x . row r.
void DotSfp4(const float *x_ordered, const uint8_t *rows, int64_t row_bytes,
             int64_t n, float *out);

// y[i] += alpha * x[i].
void AddScaled(float alpha, const float *x, float *y, int64_t n);

// sum_i x[i]^2, accumulated in f64 (norms are sensitive to it).
double SumSquares(const float *x, int64_t n);

// For each of `heads` outputs (out_stride apart) and i < n:
// out_h[i] += sum_t weights[h * w_stride + t] * rows[t * stride + i], the
// probability-weighted sum of value rows, each row read once for all heads.
void WeightedRowSums(const float *weights, int64_t w_stride, int64_t heads,
                     int64_t count, const float *rows, int64_t stride,
                     int64_t n, float *out, int64_t out_stride);

// out[h * out_stride + t] = q_h . keys[t] for `heads` query rows q_stride
// apart and `count` key rows of `dim` values (anywhere: a ring's slots).
void DotHeadsKeys(const float *q, int64_t q_stride, int64_t heads,
                  const float *const *keys, int64_t count, int64_t dim,
                  float *out, int64_t out_stride);

// x <- exp(x - max) over each of `rows` rows of `width`, with each row's
// max and the sum of its exponentials.
void ExpRows(float *x, int64_t rows, int64_t width, float *maxes, float *sums);

// Softmax over each of `rows` rows of `width` (in place allowed).
void SoftmaxRows(const float *x, int64_t rows, int64_t width, float *out);

// y[i * y_stride + j] = x_i . w_j for n <= 8 activation rows (x_stride
// apart) and `count` f32 weight rows (w_stride apart) of `in` values: each
// weight vector is read once for every row (a server's batched decode).
// f32 products and sums, in lanes then across them.
// `next_bytes` bytes at `next` (the stored rows the caller decodes next)
// are prefetched meanwhile, a line per step, so memory works while the
// arithmetic runs.
void DotRowsMulti(const float *x, int64_t n, int64_t x_stride, int64_t in,
                  const float *w, int64_t w_stride, int64_t count, float *y,
                  int64_t y_stride, const uint8_t *next = nullptr,
                  int64_t next_bytes = 0);

// The tanh approximation of GELU, elementwise (in place allowed).
void GeluTanhVector(const float *x, int64_t n, float *out);

// SFP codes to the bf16 bits of their values (exact).
void DecodeSfpToBf16(const uint8_t *codes, int64_t n, uint16_t *out);

// Runs `iters` rounds of independent FMAs on full vectors; returns the
// flops done (time it for the core's arithmetic peak).
double FmaPeakLoop(int64_t iters);

// The Highway target the dispatch chose, e.g. "AVX2".
const char *VectorTarget();

// Whether that target is one of the AVX-512 ones. (The dispatch's cached
// choice: hwy::SupportedTargets() detects the CPU anew on every call, and
// its CPUID instructions trap to the hypervisor in a virtual machine, about
// 20 us a call, measured.)
bool VectorTargetIsAvx512();

} // namespace gemma::cpu

#endif // KERNELS_CPU_VECTOR_H
