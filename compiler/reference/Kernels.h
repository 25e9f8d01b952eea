//===- Kernels.h - Executable semantics of the gemma ops -------*- C++ -*-===//
//
// The specification of every `gemma` op in plain C++: f32 storage, f64
// accumulation for every reduction (dot products, norms, softmax sums),
// double-precision transcendental functions. Readable first; no fast paths.
// Every kernel and backend is judged against these functions.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_KERNELS_H
#define COMPILER_REFERENCE_KERNELS_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/common/ElementwiseFunctions.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace gemma::reference {

// A dense row-major f32 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  static Tensor Zeros(std::vector<int64_t> shape);
  int64_t NumElements() const;
  // Elements per index of the first dimension.
  int64_t RowWidth() const;
  float *Row(int64_t i) { return data.data() + i * RowWidth(); }
  const float *Row(int64_t i) const { return data.data() + i * RowWidth(); }
};

// A stored weight as the kernels see it: its 2-D shape and a decoder of one
// row to f32 with the per-tensor scale applied (the codecs live behind it).
struct WeightRows {
  int64_t rows = 0;
  int64_t cols = 0;
  std::function<void(int64_t row, float *out)> decode;
};

// How an RMSNorm applies its weight w (docs/gemma-math.md 2.2).
enum class NormWeight { kNone, kPlusOne, kPlain };

// x = table[ids[n]][first, first + width) * scale (width -1: the whole
// row). Fails on an id outside the table.
absl::StatusOr<Tensor> Embed(std::span<const int32_t> ids,
                             const WeightRows &table, float scale,
                             int64_t first = 0, int64_t width = -1);

// y = x * r * (1 + w) | x * r * w | x * r over the last dimension, with
// r = 1 / sqrt(mean(x^2) + epsilon).
Tensor RmsNorm(const Tensor &x, const WeightRows *weight, NormWeight kind,
               float epsilon);

// A half-open range [begin, end) of weight rows.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
};

// result[n, o] = sum_i x[n, i] * w[row(o), i], with x viewed as [N, in],
// the result shaped `result_shape` ([N, ...] of out elements) and row(o) the
// o-th row of the concatenated `ranges` (all rows when empty).
Tensor Matmul(const Tensor &x, const WeightRows &w,
              std::span<const RowRange> ranges,
              std::vector<int64_t> result_shape);

// The head-major form: x is [N, H, in_h], w is [H * out, in_h] and
// result[n, o] = sum_h sum_i x[n, h, i] * w[h * out + o, i].
Tensor MatmulHeads(const Tensor &x, const WeightRows &w,
                   std::vector<int64_t> result_shape);

// Half-split RoPE on [N, heads, D] at absolute positions
// (docs/gemma-math.md 3.1, 3.3).
Tensor Rope(const Tensor &x, std::span<const int32_t> positions, double base,
            double linear_scale, double fraction);

// Stores row n of [N, K, D] at slot positions[n] mod S of sequence b(n) in a
// [B, S, K, D] cache (B = 1: every row; B = N: row n in sequence n).
Tensor KvWrite(const Tensor &cache, const Tensor &x,
               std::span<const int32_t> positions);

// scores[n, h, s] = scale * q[n, h] . keys[b(n), s, h / (H / K)].
Tensor AttnScores(const Tensor &q, const Tensor &keys, float scale);

Tensor Softcap(const Tensor &x, float cap);

// Masks slot s of query n to -inf unless its key position
// j = p - ((p - s) mod S) satisfies 0 <= j <= p and, with a window W,
// j > p - W.
Tensor WindowMask(const Tensor &scores, std::span<const int32_t> positions,
                  std::optional<int64_t> window);

// Softmax over the last dimension. Fails on a row with no finite entry.
absl::StatusOr<Tensor> Softmax(const Tensor &x);

// out[n, h, d] = sum_s probs[n, h, s] * values[b(n), s, h / (H / K), d].
Tensor AttnValues(const Tensor &probs, const Tensor &values);

Tensor GeluTanh(const Tensor &x);
// A row of the unary function table, in f64, rounded to f32.
Tensor Unary(const Tensor &x, UnaryFn fn, float parameter);
// A row of the binary function table, in f64 then rounded.
Tensor Binary(const Tensor &a, const Tensor &b, BinaryFn fn);
Tensor Add(const Tensor &a, const Tensor &b);
Tensor Mul(const Tensor &a, const Tensor &b);
Tensor ScaleBy(const Tensor &x, float factor);

// The routed experts of a Gemma 4 MoE layer (gemma.moe_experts,
// docs/gemma-math.md 4.6): each row of `input` [N, d] through its top_k experts
// by `logits` [N, E], weighted by renormalized softmax probabilities times
// expert_scale.
Tensor MoeExperts(const Tensor &input, const Tensor &logits,
                  const WeightRows &expert_scale, const WeightRows &gate_up,
                  const WeightRows &down, int64_t top_k);

// The top_k indices of `row` by value, larger first, ties to the lower
// index (the order torch.topk gives).
std::vector<int64_t> TopK(std::span<const float> row, int64_t top_k);

// logits[n, v] = x[n] . table[v] for v < vocab.
Tensor Logits(const Tensor &x, const WeightRows &table, int64_t vocab);

// The lowest index of the maximum of each row.
std::vector<int32_t> Argmax(const Tensor &x);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_KERNELS_H
