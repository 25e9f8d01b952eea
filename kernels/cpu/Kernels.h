//===- Kernels.h - The CPU backend's kernels --------------------*- C++ -*-===//
//
// One function per op of the plan, fused and unfused, on raw f32 buffers
// with their shapes as arguments (the plan's static parameters). Weights
// stay in their stored type and are decoded row by row inside the kernels;
// no f32 copy of a matrix is made. Each kernel is checked against the
// reference evaluator (compiler/reference) on random inputs.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_KERNELS_H
#define KERNELS_CPU_KERNELS_H

#include "kernels/common/ElementwiseFunctions.h"
#include "kernels/cpu/ThreadPool.h"
#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <span>

namespace gemma::cpu {

// A stored [rows, cols] weight, viewed in place.
struct WeightView {
  StoredType type = StoredType::kUnknown;
  const uint8_t *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  float scale = 1.0f;

  // Decodes row `row` (scale applied) into `out[cols]`.
  void DecodeRow(int64_t row, float *out) const;
};

enum class NormKind { kNone, kPlusOne, kPlain };

struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
};

// out[n] = table[ids[n]] * scale; ids must be in range (checked by the
// caller).
void Embed(const int32_t *ids, int64_t n, const WeightView &table, float scale,
           float *out, int64_t first = 0, int64_t width = -1);

// RMSNorm of `rows` rows of `width` (in place allowed).
void RmsNorm(const float *x, int64_t rows, int64_t width,
             const WeightView *weight, NormKind kind, float epsilon,
             float *out);

// y[n, o] = x[n, :] . w[row(o), :], row(o) from the concatenated ranges (all
// rows when empty). Parallel over output rows; each weight row is decoded
// once for all n.
void Matmul(ThreadPool &pool, const float *x, int64_t n, int64_t in,
            const WeightView &w, std::span<const RowRange> ranges, int64_t out,
            float *y);

// Several matmuls in one parallel loop (one barrier): the projections that
// read the same activations (q, k, v; gate and up). At most 4 jobs.
struct MatmulJob {
  const float *x = nullptr;
  int64_t n = 0, in = 0;
  WeightView w;
  std::span<const RowRange> ranges;
  int64_t out = 0;
  float *y = nullptr;
};
void Matmuls(ThreadPool &pool, std::span<const MatmulJob> jobs);

// The GeGLU feed-forward's first half: y[n, width] = gelu_tanh(x . gate)
// * (x . up) (row ranges as in Matmul), `u` [n, width] scratch for x . up.
// Each thread computes the same columns of both and combines them.
void Geglu(ThreadPool &pool, const float *x, int64_t n, int64_t in,
           const WeightView &gate, std::span<const RowRange> gate_rows,
           const WeightView &up, std::span<const RowRange> up_rows,
           int64_t width, float *y, float *u);

// Gemma 4's routed experts (gemma.moe_experts, docs/gemma-math.md 4.6): each
// row of x [n, d] goes through its top_k experts by logits [n, experts],
// weighted by the softmax renormalized over them times expert_scale[e]. gate_up
// is [experts * 2 ff, d] (gate rows, then up rows, per expert), down [experts *
// d, ff]. Rows routed to one expert run as one matmul.
void MoeExperts(ThreadPool &pool, const float *x, const float *logits,
                int64_t n, int64_t d, int64_t experts, int64_t ff,
                int64_t top_k, const WeightView &expert_scale,
                const WeightView &gate_up, const WeightView &down, float *y);

// Head-major weight [heads * out, in_h]: y[n, o] = sum_h x[n, h, :] .
// w[h * out + o, :].
void MatmulHeads(ThreadPool &pool, const float *x, int64_t n, int64_t heads,
                 int64_t in_h, const WeightView &w, int64_t out, float *y);

// Half-split RoPE of [n, heads, dim] in place (docs/gemma-math.md 3.1, 3.3).
void Rope(float *x, int64_t n, int64_t heads, int64_t dim,
          const int32_t *positions, double base, double linear_scale,
          double fraction);

// Writes row r of x [n, kv * dim] to slot positions[r] mod slots of
// sequence (batch == 1 ? 0 : r) in cache [batch, slots, kv, dim].
void KvWrite(float *cache, int64_t batch, int64_t slots, int64_t width,
             const float *x, int64_t n, const int32_t *positions);

// Fused attention: for each row n and head h, the softmax over the
// unmasked positions of scale * q . k (soft-capped when cap > 0), times the
// values; keys [batch, slots, kv, dim], values [batch, slots, kv, vdim];
// window 0 = causal only. Only the kept positions are visited, and only one
// (row, head)'s scores are held at a time, never a [rows, heads, slots]
// score tensor.
struct AttentionShape {
  int64_t rows = 0, heads = 0, dim = 0;
  int64_t batch = 0, slots = 0, kv_heads = 0, value_dim = 0;
};
void Attention(ThreadPool &pool, const AttentionShape &shape, const float *q,
               const float *keys, const float *values, const int32_t *positions,
               float scale, float cap, int64_t window, float *out);

// The unfused attention ops (for plans compiled without the attention
// fusion): scores [rows, heads, slots] = scale * q . k; the mask sets
// slots outside the causal window to -inf (window 0: causal only); softmax
// over the last dimension; out = probs . values.
void AttnScores(ThreadPool &pool, const AttentionShape &shape, const float *q,
                const float *keys, float scale, float *scores);
void WindowMask(float *scores, int64_t rows, int64_t heads, int64_t slots,
                const int32_t *positions, int64_t window);
void Softmax(const float *x, int64_t rows, int64_t width, float *out);
void AttnValues(ThreadPool &pool, const AttentionShape &shape,
                const float *probs, const float *values, float *out);

// Elementwise (in place allowed).
void GeluTanh(const float *x, int64_t n, float *out);
void Add(const float *a, const float *b, int64_t n, float *out);
void Mul(const float *a, const float *b, int64_t n, float *out);
void Scale(const float *x, int64_t n, float factor, float *out);
void Softcap(const float *x, int64_t n, float cap, float *out);
// A row of the unary function table (kernels/common/ElementwiseFunctions.h).
void Unary(UnaryFn fn, const float *x, int64_t n, float parameter, float *out);
// A row of the binary function table.
void Binary(BinaryFn fn, const float *a, const float *b, int64_t n, float *out);

// logits[n, v] = x[n] . table[v] for v < vocab, capped when cap > 0.
void Logits(ThreadPool &pool, const float *x, int64_t n, int64_t width,
            const WeightView &table, int64_t vocab, float cap, float *out);

} // namespace gemma::cpu

#endif // KERNELS_CPU_KERNELS_H
