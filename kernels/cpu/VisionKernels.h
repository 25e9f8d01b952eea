//===- VisionKernels.h - The image encoder's CPU kernels --------*- C++ -*-===//
//
// The ops of dialects/gemma/GemmaVisionOps.td on the CPU, for the plan
// kernels to come (docs/vision.md). The attention runs on the GEMM of
// Gemm.h: a SigLIP layer attends 4096 patches to each other, about 40% of
// the encoder's arithmetic, so it must run at the matmuls' rate.
//
// Numerics: f32 storage and accumulation, like the prefill kernels;
// checked against compiler/reference (f64) within stated tolerances.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_VISIONKERNELS_H
#define KERNELS_CPU_VISIONKERNELS_H

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/ThreadPool.h"

#include <cstdint>

namespace gemma::cpu {

// LayerNorm of `rows` rows of `width` with weight and bias ([width] each),
// in place allowed.
void LayerNorm(const float *x, int64_t rows, int64_t width,
               const WeightView &weight, const WeightView &bias, float epsilon,
               float *out);

// out[n] = x[n] + w[0] (a one-row weight) or x[n] + w[n], rows of `width`;
// in place allowed.
void AddWeight(const float *x, int64_t rows, int64_t width,
               const WeightView &weight, float *out);

// Unmasked attention of [n, heads, dim] queries over keys and values of the
// same shape: for each head, softmax(scale * q k^T) v. Blocks of query rows
// at a time: the scores of a block and a transposed copy of the head's
// values stay in cache, and both products run on the GEMM.
void FullAttention(ThreadPool &pool, const float *q, const float *k,
                   const float *v, int64_t n, int64_t heads, int64_t dim,
                   float scale, float *out);

// The means of the kernel x kernel tiles of a row-major rows x cols grid of
// [width] rows.
void AvgPool(const float *x, int64_t rows, int64_t cols, int64_t kernel,
             int64_t width, float *out);

} // namespace gemma::cpu

#endif // KERNELS_CPU_VISIONKERNELS_H
