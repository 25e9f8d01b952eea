//===- VisionKernels.h - Executable semantics of the vision ops -*- C++ -*-===//
//
// The image encoders' ops (dialects/gemma/GemmaVisionOps.td) in plain C++,
// with the conventions of Kernels.h: f32 storage, f64 reductions.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_VISIONKERNELS_H
#define COMPILER_REFERENCE_VISIONKERNELS_H

#include "compiler/reference/Kernels.h"

namespace gemma::reference {

// y = (x - mean) / sqrt(variance + epsilon) * w + b over the last dimension.
Tensor LayerNorm(const Tensor &x, const WeightRows &weight,
                 const WeightRows &bias, float epsilon);

// y[n] = x[n] + w[0] (a one-row weight) or x[n] + w[n], x viewed as [N, D].
Tensor AddWeight(const Tensor &x, const WeightRows &weight);

// Unmasked attention of [N, H, D] queries over keys and values of the same
// shape: scores rounded to f32 as gemma.attn_scores does, softmax as
// gemma.softmax, then the weighted sum of values in f64.
absl::StatusOr<Tensor> FullAttention(const Tensor &query, const Tensor &keys,
                                     const Tensor &values, float scale);

// The means of the kernel x kernel tiles of a row-major rows x cols grid of
// [D] vectors: [(rows / k) * (cols / k), D].
Tensor AvgPool(const Tensor &x, int64_t rows, int64_t cols, int64_t kernel);

// y[n] = ids[n] == token ? replacement[n] : x[n].
Tensor ReplaceRows(const Tensor &x, const Tensor &replacement,
                   std::span<const int32_t> ids, int32_t token);

// gemma.image_mask: WindowMask with query n seeing keys up to horizons[n].
// Fails on a horizon before its position.
absl::StatusOr<Tensor> ImageMask(const Tensor &scores,
                                 std::span<const int32_t> positions,
                                 std::span<const int32_t> horizons,
                                 std::optional<int64_t> window);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_VISIONKERNELS_H
