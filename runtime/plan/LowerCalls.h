//===- LowerCalls.h - Plan calls as each backend's primitives ---*- C++ -*-===//
//
// What every backend's binding of a plan program shares: a plan call
// checked and broken into the primitives a backend has a kernel for
// (embed, matmul with row ranges or head-major, RMSNorm with the residual
// form, elementwise, RoPE, KV writes, attention fused or in parts, mixture
// of experts). The fused calls (GeGLU, norm + matmul, QKV + norms + RoPE +
// KV writes) run whole where the backend has their kernel and fit its
// limits, and decompose here otherwise: this is the one place that
// decides, and each check and its message is written once. The CPU,
// Vulkan and CUDA backends are Sinks:
//
//   using Weight = ...;   // rows, cols, type, scale
//   static constexpr Caps kCaps;                 // its kernels' limits
//   const Weight *Find(const std::string &name); // or StatusOr<const Weight*>
//   float Scalar(const Weight &);                // a [1, 1] weight's value
//   const char *backend() const;                 // for messages
//   absl::Status Embed(ids, out, n, width, first, scale, const Weight &table);
//   absl::Status Matmul(x, y, const MatmulShape &, const Weight &);
//   absl::Status Norm(x, y, rows, width, kind, const Weight *, eps,
//                     const plan::Buffer *residual, const plan::Buffer *sum);
//   absl::Status Elementwise(op, n, factor, a, b, out);  // Op below
//   absl::Status Rope(x, positions, y, n, heads, dim, base, scale, fraction);
//   absl::Status KvWrite(cache, x, positions, batch, slots, width, n);
//   absl::Status AttnScores(q, keys, scores, shape[6], scale);
//   absl::Status AttnValues(probs, values, out, shape[7]);
//   absl::Status Attention(q, keys, values, positions, out,
//                          shape and window[8], scale, cap);
//   absl::Status WindowMask(x, positions, y, rows, heads, slots, window);
//   absl::Status Softmax(x, y, rows, width);
//   absl::Status Moe(x, router_logits, y, const MoeShape &, scale, gate_up,
//                    down);
//     or the three steps of one and its scratch:
//   plan::Buffer Scratch(offset, elements);  // past the program's arena
//   absl::Status MoeRoute(router_logits, ids, weights, shape, scale);
//   absl::Status MoeUp(x, ids, hidden, shape, gate_up);
//   absl::Status MoeDown(hidden, ids, weights, y, shape, down);
//   absl::Status Geglu(x, y, scratch, n, in, width, gate, gate_rows, up,
//                      up_rows);
//   absl::Status QkvPost(q, k, v, k_cache, v_cache, positions,
//                        const QkvPostShape &, q_norm, k_norm, eps,
//                        rope base, scale, fraction);
//                        // both optional: fewer launches where they exist
// (The GPU kernels read token ids and positions from the program's own
// arguments and ignore the `ids` and `positions` buffers; the CPU reads
// them.)
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_LOWERCALLS_H
#define RUNTIME_PLAN_LOWERCALLS_H

#include "kernels/common/ElementwiseFunctions.h"
#include "runtime/plan/KernelParams.h"
#include "runtime/plan/PlanProgram.h"
#include "runtime/plan/WeightChecks.h"

#include "absl/status/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

namespace gemma::lower {

// The elementwise kernels' OP (kernels/vulkan/elementwise.comp,
// kernels/cuda/elementwise.cuh): kOpBinary + f and kOpUnary + f apply row
// f of the binary or unary function table
// (kernels/common/ElementwiseFunctions.h), FACTOR the unary parameter; the
// two others serve the fused calls split here.
enum Op : int64_t {
  kOpGeluMul = 1, // gelu_tanh(a) * b
  kOpCopy = 2,
  kOpBinary = 8,
  kOpUnary = 16,
};
static_assert(kOpBinary + kBinaryFnCount <= kOpUnary,
              "the binary functions' codes reach the unary ones");

// What a backend's kernels take, where they have limits (0: none). The
// fused calls run whole only where the backend's kernels fit them.
struct Caps {
  int64_t max_value_dim = 0;             // attention and QKV value heads
  int64_t max_experts_per_token = 0;     // MoE
  int64_t max_row_ranges = 0;            // a matmul's row ranges
  bool geglu_one_type_one_range = false; // gate and up: one stored type,
                                         // each at most one range of rows
};

// The GPU kernels' limits (Vulkan and CUDA share them).
inline constexpr Caps kGpuCaps{.max_value_dim = 512,
                               .max_experts_per_token = 16,
                               .max_row_ranges = 4,
                               .geglu_one_type_one_range = true};

// y[n, o] = x[n, :] . w[row(o), :]: rows through `rows` (all rows when
// empty), or head-major when `heads` > 0; `cap` > 0 soft-caps.
struct MatmulShape {
  int64_t n = 0, in = 0, out = 0, heads = 0;
  std::vector<plan::RowRange> rows;
  float cap = 0.0f;
};

struct MoeShape {
  int64_t n = 0, d = 0, experts = 0, ff = 0, k = 0;
};

// What follows the Q, K, V projections of a qkv_rope call: q [n, heads,
// dim], k [n, kh, dim], v [n, vh, vd]; q and k RMS-normed (`kind`, -1 for
// no norm), v too when `value_norm`, q and k RoPE'd, k and v written into
// their caches ([kb, ks, ...], [vb, vs, ...]).
struct QkvPostShape {
  int64_t n = 0, heads = 0, dim = 0, kh = 0, vh = 0, vd = 0, kind = -1,
          value_norm = 0, kb = 0, ks = 0, vb = 0, vs = 0;
};

#define GEMMA_LOWER_TRY(expr)                                                  \
  if (absl::Status gemma_lower_status = (expr); !gemma_lower_status.ok())      \
  return gemma_lower_status

namespace detail {

template <class Sink>
absl::Status WeightOf(Sink &sink, const plan::Call &call, size_t i,
                      bool required, const typename Sink::Weight *&out) {
  out = nullptr;
  const std::string &name = call.weights[i];
  if (name.empty())
    return required ? absl::InvalidArgumentError("a required weight is missing")
                    : absl::OkStatus();
  // A Sink that reads weights from a file says why one is missing.
  if constexpr (requires { sink.Find(name).status(); }) {
    auto found = sink.Find(name);
    if (!found.ok())
      return found.status();
    out = *found;
  } else {
    out = sink.Find(name);
    if (!out)
      return absl::InternalError(
          fmt::format("weight '{}' was not uploaded", name));
  }
  return absl::OkStatus();
}

// Matmul of x [n, in] by rows of w (`ranges`, or rows 0..out) into
// y [n, out].
template <class Sink>
absl::Status Matmul(Sink &sink, const plan::Buffer &x, const plan::Buffer &y,
                    int64_t n, int64_t in, int64_t out, const std::string &name,
                    const typename Sink::Weight &w,
                    const std::vector<plan::RowRange> &ranges,
                    float cap = 0.0f) {
  GEMMA_LOWER_TRY(plan::CheckProjection(name, w, ranges, in, out));
  MatmulShape s;
  s.n = n;
  s.in = in;
  s.out = out;
  s.rows = ranges;
  s.cap = cap;
  constexpr int64_t kMaxRanges = Sink::kCaps.max_row_ranges;
  if (kMaxRanges > 0 && int64_t(ranges.size()) > kMaxRanges)
    return absl::UnimplementedError(
        fmt::format("not supported yet: more than {} row ranges in one "
                    "matmul on {}",
                    kMaxRanges, sink.backend()));
  return sink.Matmul(x, y, s, w);
}

// RMSNorm of x into y; with `residual`, of x + residual, the sum kept in
// `sum`. (A weighted norm names its weight: plan::ValidateCall.)
template <class Sink>
absl::Status Norm(Sink &sink, const plan::Buffer &x, const plan::Buffer &y,
                  int64_t rows, int64_t width, int64_t kind,
                  const std::string &name, const typename Sink::Weight *w,
                  float eps, const plan::Buffer *residual = nullptr,
                  const plan::Buffer *sum = nullptr) {
  if (w)
    GEMMA_LOWER_TRY(plan::CheckNormWeight(name, *w, width));
  return sink.Norm(x, y, rows, width, w ? kind : 0, w, eps, residual, sum);
}

} // namespace detail

// A geglu call: one GeGLU launch where the backend has the kernel and the
// rows fit it, else the two matmuls and gelu(g) * u.
template <class Sink>
absl::Status LowerGeglu(const plan::Call &call, const plan::GegluParams &p,
                        Sink &sink) {
  using Weight = typename Sink::Weight;
  const std::vector<plan::Buffer> &b = call.buffers;
  const Weight *w0 = nullptr, *w1 = nullptr;
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 0, true, w0));
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 1, true, w1));
  const int64_t n = p.n, in = p.in, width = p.width;
  // A backend with a GeGLU kernel runs the call whole where its kernel
  // takes the rows (the GPU kernels: gate and up of one stored type, each
  // at most one range).
  if constexpr (requires {
                  sink.Geglu(b[0], b[1], b[2], n, in, width, *w0, p.gate_rows,
                             *w1, p.up_rows);
                }) {
    constexpr Caps caps = Sink::kCaps;
    GEMMA_LOWER_TRY(
        plan::CheckProjection(call.weights[0], *w0, p.gate_rows, in, width));
    GEMMA_LOWER_TRY(
        plan::CheckProjection(call.weights[1], *w1, p.up_rows, in, width));
    const bool fits = !caps.geglu_one_type_one_range ||
                      (w0->type == w1->type && p.gate_rows.size() <= 1 &&
                       p.up_rows.size() <= 1);
    if (fits)
      return sink.Geglu(b[0], b[1], b[2], n, in, width, *w0, p.gate_rows, *w1,
                        p.up_rows);
  }
  GEMMA_LOWER_TRY(detail::Matmul(sink, b[0], b[1], n, in, width,
                                 call.weights[0], *w0, p.gate_rows));
  GEMMA_LOWER_TRY(detail::Matmul(sink, b[0], b[2], n, in, width,
                                 call.weights[1], *w1, p.up_rows));
  return sink.Elementwise(kOpGeluMul, n * width, 0.0f, b[1], b[2], b[1]);
}

// A qkv_rope call: the three projections, then the norms, RoPE and both
// cache writes as one launch where the backend has the kernel, or one by one.
template <class Sink>
absl::Status LowerQkvRope(const plan::Call &call, const plan::QkvRopeParams &p,
                          Sink &sink) {
  const typename Sink::Weight *wq, *wk, *wv, *qn, *kn;
  const std::vector<plan::Buffer> &b = call.buffers;
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 0, true, wq));
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 1, true, wk));
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 2, false, wv));
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 3, false, qn));
  GEMMA_LOWER_TRY(detail::WeightOf(sink, call, 4, false, kn));
  const int64_t n = p.n, d = p.d, heads = p.heads, dim = p.dim;
  const int64_t kh = p.kv_heads, vh = p.v_heads, vd = p.v_dim;
  const int64_t kind = p.kind;
  const float eps = float(p.eps);
  GEMMA_LOWER_TRY(detail::Matmul(sink, b[0], b[4], n, d, heads * dim,
                                 call.weights[0], *wq, p.q_rows));
  GEMMA_LOWER_TRY(detail::Matmul(sink, b[0], b[5], n, d, kh * dim,
                                 call.weights[1], *wk, p.k_rows));
  if (wv) {
    GEMMA_LOWER_TRY(detail::Matmul(sink, b[0], b[6], n, d, vh * vd,
                                   call.weights[2], *wv, p.v_rows));
  } else {
    GEMMA_LOWER_TRY(
        sink.Elementwise(kOpCopy, n * kh * dim, 0.0f, b[5], b[5], b[6]));
  }
  // (Both QK-norm weights or neither: plan::ValidateCall.)
  const bool norms = qn || kn || kind != 0;
  // A backend with the whole tail as one kernel: norms of one stored
  // type (and the right width), heads no wider than its kernels take.
  if constexpr (requires {
                  sink.QkvPost(b[4], b[5], b[6], b[2], b[3], b[1],
                               QkvPostShape{}, qn, kn, eps, p.base, p.scale,
                               p.fraction);
                }) {
    constexpr int64_t kMaxDim = Sink::kCaps.max_value_dim;
    if (qn)
      GEMMA_LOWER_TRY(plan::CheckNormWeight(call.weights[3], *qn, dim));
    if (kn)
      GEMMA_LOWER_TRY(plan::CheckNormWeight(call.weights[4], *kn, dim));
    if ((!norms || kind == 0 || qn->type == kn->type) &&
        (kMaxDim == 0 || (dim <= kMaxDim && vd <= kMaxDim)))
      return sink.QkvPost(b[4], b[5], b[6], b[2], b[3], b[1],
                          {n, heads, dim, kh, vh, vd, norms ? kind : -1,
                           p.value_norm != 0 ? 1 : 0, p.k_batch, p.k_slots,
                           p.v_batch, p.v_slots},
                          qn, kn, eps, p.base, p.scale, p.fraction);
  }
  if (norms) {
    GEMMA_LOWER_TRY(detail::Norm(sink, b[4], b[4], n * heads, dim, kind,
                                 call.weights[3], qn, eps));
    GEMMA_LOWER_TRY(detail::Norm(sink, b[5], b[5], n * kh, dim, kind,
                                 call.weights[4], kn, eps));
  }
  if (p.value_norm != 0)
    GEMMA_LOWER_TRY(
        detail::Norm(sink, b[6], b[6], n * vh, vd, 0, "", nullptr, eps));
  GEMMA_LOWER_TRY(
      sink.Rope(b[4], b[1], b[4], n, heads, dim, p.base, p.scale, p.fraction));
  GEMMA_LOWER_TRY(
      sink.Rope(b[5], b[1], b[5], n, kh, dim, p.base, p.scale, p.fraction));
  GEMMA_LOWER_TRY(
      sink.KvWrite(b[2], b[5], b[1], p.k_batch, p.k_slots, kh * dim, n));
  return sink.KvWrite(b[3], b[6], b[1], p.v_batch, p.v_slots, vh * vd, n);
}

namespace detail {

// One overload per kernel (the fused GeGLU and QKV above): the call's
// parameters by name, its buffers in the kernel's order.
template <class Sink>
absl::Status Lower(const plan::EmbedParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *table = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, true, table));
  GEMMA_LOWER_TRY(plan::CheckEmbedTable(call.weights[0], *table, p));
  // Without a first column the whole row; with one, a per-layer slice.
  const int64_t first = p.first_column >= 0 ? p.first_column : 0;
  return sink.Embed(call.buffers[0], call.buffers[1], p.n, p.width, first,
                    float(p.scale), *table);
}
template <class Sink>
absl::Status Lower(const plan::RmsNormParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, false, w));
  return Norm(sink, call.buffers[0], call.buffers[1], p.rows, p.width, p.kind,
              call.weights[0], w, float(p.eps));
}
template <class Sink>
absl::Status Lower(const plan::ResidualNormParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  const typename Sink::Weight *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, false, w));
  // a + b into `sum`, normed into `normed`.
  return Norm(sink, b[0], b[3], p.rows, p.width, p.kind, call.weights[0], w,
              float(p.eps), &b[1], &b[2]);
}
template <class Sink>
absl::Status Lower(const plan::MatmulParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, true, w));
  return Matmul(sink, call.buffers[0], call.buffers[1], p.n, p.in, p.out,
                call.weights[0], *w, p.rows);
}
template <class Sink>
absl::Status Lower(const plan::MatmulHeadsParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, true, w));
  MatmulShape s;
  s.n = p.n;
  s.heads = p.heads;
  s.in = p.in_h;
  s.out = p.out;
  GEMMA_LOWER_TRY(plan::CheckHeadMajor(call.weights[0], *w, p));
  return sink.Matmul(call.buffers[0], call.buffers[1], s, *w);
}
template <class Sink>
absl::Status Lower(const plan::RopeParams &p, const plan::Call &call,
                   Sink &sink) {
  return sink.Rope(call.buffers[0], call.buffers[1], call.buffers[2], p.n,
                   p.heads, p.dim, p.base, p.scale, p.fraction);
}
template <class Sink>
absl::Status Lower(const plan::KvWriteParams &p, const plan::Call &call,
                   Sink &sink) {
  return sink.KvWrite(call.buffers[2], call.buffers[0], call.buffers[1],
                      p.batch, p.slots, p.width, p.n);
}
template <class Sink>
absl::Status Lower(const plan::AttnScoresParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  return sink.AttnScores(b[0], b[1], b[2],
                         {p.rows, p.heads, p.dim, p.batch, p.slots, p.kv_heads},
                         float(p.scale));
}
template <class Sink>
absl::Status Lower(const plan::AttnValuesParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  return sink.AttnValues(
      b[0], b[1], b[2],
      {p.rows, p.heads, p.dim, p.batch, p.slots, p.kv_heads, p.value_dim});
}
template <class Sink>
absl::Status Lower(const plan::AttentionParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  constexpr int64_t kMaxValueDim = Sink::kCaps.max_value_dim;
  if (kMaxValueDim > 0 && p.value_dim > kMaxValueDim)
    return absl::UnimplementedError(
        fmt::format("not supported yet: value heads wider than {} on {}",
                    kMaxValueDim, sink.backend()));
  return sink.Attention(b[0], b[1], b[2], b[3], b[4],
                        {p.rows, p.heads, p.dim, p.batch, p.slots, p.kv_heads,
                         p.value_dim, p.window},
                        float(p.scale), float(p.cap));
}
template <class Sink>
absl::Status Lower(const plan::WindowMaskParams &p, const plan::Call &call,
                   Sink &sink) {
  return sink.WindowMask(call.buffers[0], call.buffers[1], call.buffers[2],
                         p.rows, p.heads, p.slots, p.window);
}
template <class Sink>
absl::Status Lower(const plan::SoftmaxParams &p, const plan::Call &call,
                   Sink &sink) {
  return sink.Softmax(call.buffers[0], call.buffers[1], p.rows, p.width);
}
template <class Sink>
absl::Status Lower(const plan::UnaryParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, false, w));
  float parameter = float(p.parameter);
  if (w) {
    GEMMA_LOWER_TRY(plan::CheckScalar(call.weights[0], *w));
    parameter = sink.Scalar(*w);
  }
  return sink.Elementwise(kOpUnary + p.function, p.elements, parameter,
                          call.buffers[0], call.buffers[0], call.buffers[1]);
}
template <class Sink>
absl::Status Lower(const plan::BinaryParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  return sink.Elementwise(kOpBinary + p.function, p.elements, 0.0f, b[0], b[1],
                          b[2]);
}
template <class Sink>
absl::Status Lower(const plan::LogitsParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *table = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, true, table));
  GEMMA_LOWER_TRY(plan::CheckLogitsTable(call.weights[0], *table, p));
  return Matmul(sink, call.buffers[0], call.buffers[1], p.n, p.width, p.vocab,
                call.weights[0], *table, {}, float(p.cap));
}
template <class Sink>
absl::Status Lower(const plan::GegluParams &p, const plan::Call &call,
                   Sink &sink) {
  return LowerGeglu(call, p, sink);
}
template <class Sink>
absl::Status Lower(const plan::QkvRopeParams &p, const plan::Call &call,
                   Sink &sink) {
  return LowerQkvRope(call, p, sink);
}
template <class Sink>
absl::Status Lower(const plan::NormMatmulParams &p, const plan::Call &call,
                   Sink &sink) {
  const std::vector<plan::Buffer> &b = call.buffers;
  const typename Sink::Weight *norm = nullptr, *w = nullptr;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, false, norm));
  GEMMA_LOWER_TRY(WeightOf(sink, call, 1, true, w));
  GEMMA_LOWER_TRY(Norm(sink, b[0], b[2], p.n * p.in / p.width, p.width, p.kind,
                       call.weights[0], norm, float(p.eps)));
  return Matmul(sink, b[2], b[1], p.n, p.in, p.out, call.weights[1], *w,
                p.rows);
}
template <class Sink>
absl::Status Lower(const plan::MoeExpertsParams &p, const plan::Call &call,
                   Sink &sink) {
  const typename Sink::Weight *scale, *gate_up, *down;
  GEMMA_LOWER_TRY(WeightOf(sink, call, 0, true, scale));
  GEMMA_LOWER_TRY(WeightOf(sink, call, 1, true, gate_up));
  GEMMA_LOWER_TRY(WeightOf(sink, call, 2, true, down));
  const MoeShape s{p.n, p.d, p.experts, p.ff, p.top_k};
  GEMMA_LOWER_TRY(
      plan::CheckExperts(call.weights[1], *scale, *gate_up, *down, p));
  constexpr int64_t kMaxExperts = Sink::kCaps.max_experts_per_token;
  if (kMaxExperts > 0 && s.k > kMaxExperts)
    return absl::UnimplementedError(
        fmt::format("not supported yet: more than {} experts per token on {}",
                    kMaxExperts, sink.backend()));
  const std::vector<plan::Buffer> &b = call.buffers;
  if constexpr (requires {
                  sink.Moe(b[0], b[1], b[2], s, *scale, *gate_up, *down);
                })
    return sink.Moe(b[0], b[1], b[2], s, *scale, *gate_up, *down);
  else {
    // Routing, then the chosen experts' gate/up and down projections,
    // through scratch past the arena: expert ids and weights [n, k], then
    // the experts' hidden activations [n * k, ff].
    const int64_t n = s.n, k = s.k;
    const plan::Buffer ids = sink.Scratch(0, n * k),
                       routed = sink.Scratch(n * k, n * k),
                       hidden = sink.Scratch(2 * n * k, n * k * s.ff);
    GEMMA_LOWER_TRY(sink.MoeRoute(b[1], ids, routed, s, *scale));
    GEMMA_LOWER_TRY(sink.MoeUp(b[0], ids, hidden, s, *gate_up));
    return sink.MoeDown(hidden, ids, routed, b[2], s, *down);
  }
}

} // namespace detail

template <class Sink>
absl::Status LowerCall(const plan::Call &call, Sink &sink) {
  switch (call.kernel) {
#define GEMMA_LOWER_CALL(value, Name, mnemonic)                                \
  case plan::Kernel::k##Name: {                                                \
    absl::StatusOr<plan::Name##Params> p =                                     \
        plan::DecodeParams<plan::Name##Params>(call);                          \
    if (!p.ok())                                                               \
      return p.status();                                                       \
    return detail::Lower(*p, call, sink);                                      \
  }
    GEMMA_PLAN_KERNELS(GEMMA_LOWER_CALL)
#undef GEMMA_LOWER_CALL
  }
  return absl::InvalidArgumentError("unknown kernel");
}

#undef GEMMA_LOWER_TRY

} // namespace gemma::lower

#endif // RUNTIME_PLAN_LOWERCALLS_H
