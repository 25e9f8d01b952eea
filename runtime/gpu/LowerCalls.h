//===- LowerCalls.h - Plan calls as GPU kernel primitives -------*- C++ -*-===//
//
// What every GPU backend's lowering shares: a plan call checked and broken
// into the primitives each backend has a kernel for (embed, matmul with row
// ranges or head-major, RMSNorm with the residual form, elementwise, RoPE,
// KV writes, attention fused or in parts, mixture of experts). The fused
// calls (GeGLU, norm + matmul, QKV + norms + RoPE + KV writes) decompose
// here, so a backend adds a kernel, not a copy of this. The backend's Sink:
//
//   using Weight = ...;   // rows, cols, type, scale, host_scalar
//   const Weight *Find(const std::string &name) const;
//   const char *backend() const;                 // for messages
//   absl::Status Embed(out, n, width, first, scale, const Weight &table);
//   absl::Status Matmul(x, y, const MatmulShape &, const Weight &);
//   absl::Status Norm(x, y, rows, width, kind, const Weight *, eps,
//                     const plan::Buffer *residual, const plan::Buffer *sum);
//   absl::Status Elementwise(op, n, factor, a, b, out);  // Op below
//   absl::Status Rope(x, y, n, heads, dim, base, scale, fraction);
//   absl::Status KvWrite(cache, x, batch, slots, width, n);
//   absl::Status AttnScores(q, keys, scores, ints[6], scale);
//   absl::Status AttnValues(probs, values, out, ints[7]);
//   absl::Status Attention(q, keys, values, out, ints[8], scale, cap);
//   absl::Status WindowMask(x, y, rows, heads, slots, window);
//   absl::Status Softmax(x, y, rows, width);
//   absl::Status Moe(x, router_logits, y, const MoeShape &, scale, gate_up,
//                    down);
//   absl::Status Geglu(x, y, n, in, width, gate, gate_row, up, up_row);
//   absl::Status QkvPost(q, k, v, k_cache, v_cache, const QkvPostShape &,
//                        q_norm, k_norm, eps, rope base, scale, fraction);
//                        // both optional: fewer launches where they exist
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_GPU_LOWERCALLS_H
#define RUNTIME_GPU_LOWERCALLS_H

#include "runtime/plan/PlanProgram.h"
#include "runtime/weights/codecs/Decode.h"

#include "absl/status/status.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

namespace gemma::gpu {

// The elementwise kernels' OP (kernels/vulkan/elementwise.comp,
// kernels/cuda/elementwise.cuh); kOpUnary + f applies row f of the unary
// function table (kernels/common/UnaryFunctions.h) with FACTOR as its
// parameter.
enum Op : int64_t {
  kOpAdd = 0,
  kOpMul = 1,
  kOpScale = 2,
  kOpGeluMul = 3,
  kOpCopy = 4,
  kOpUnary = 16,
};

// The widest value head and the most experts per token the kernels take.
constexpr int64_t kMaxValueDim = 512;
constexpr int64_t kMaxExpertsPerToken = 16;

// y[n, o] = x[n, :] . w[row(o), :]: rows through up to four ranges (all
// rows when `ranges` is 0), or head-major when `heads` > 0; `cap` > 0
// soft-caps.
struct MatmulShape {
  int64_t n = 0, in = 0, out = 0, heads = 0, ranges = 0;
  std::array<int64_t, 4> begins{}, ends{};
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

// The RoPE tables of a program's parameter buffer: per (base, scale,
// fraction, dim), the inverse frequency of each turned pair over the
// linear scale as two floats hi + lo (the kernels form angles in
// double-float from them). Each table once, where it was first asked for.
class RopeTables {
public:
  // The table's offset in `params` (appended on first use); `pairs` the
  // pairs it turns.
  int64_t Find(double base, double scale, double fraction, int64_t dim,
               std::vector<float> &params, int64_t &pairs) {
    pairs = int64_t(std::floor(fraction * double(dim) / 2.0));
    const auto key = std::make_tuple(base, scale, fraction, dim);
    auto it = offsets_.find(key);
    if (it == offsets_.end()) {
      it = offsets_.emplace(key, int64_t(params.size())).first;
      for (int64_t i = 0; i < pairs; ++i) {
        const double inv =
            1.0 / std::pow(base, 2.0 * double(i) / double(dim)) / scale;
        const float hi = float(inv);
        params.push_back(hi);
        params.push_back(float(inv - double(hi)));
      }
    }
    return it->second;
  }

private:
  std::map<std::tuple<double, double, double, int64_t>, int64_t> offsets_;
};

namespace detail {

template <class Sink>
absl::Status WeightOf(Sink &sink, const plan::Call &call, size_t i,
                      bool required, const typename Sink::Weight *&out) {
  out = nullptr;
  if (call.weights[i].empty())
    return required ? absl::InvalidArgumentError("a required weight is missing")
                    : absl::OkStatus();
  out = sink.Find(call.weights[i]);
  if (!out)
    return absl::InternalError(
        fmt::format("weight '{}' was not uploaded", call.weights[i]));
  return absl::OkStatus();
}

// Matmul of x [n, in] by rows of w (ranges from ints[at]) into y [n, out].
template <class Sink>
absl::Status
Matmul(Sink &sink, const plan::Buffer &x, const plan::Buffer &y, int64_t n,
       int64_t in, int64_t out, const typename Sink::Weight &w,
       const std::vector<int64_t> &ints, size_t at, float cap = 0.0f) {
  MatmulShape s;
  s.n = n;
  s.in = in;
  s.out = out;
  s.ranges = ints[at];
  s.cap = cap;
  if (s.ranges > 4)
    return absl::UnimplementedError(
        "not supported yet: more than 4 row ranges in one matmul");
  if (w.cols != in)
    return absl::InvalidArgumentError(fmt::format(
        "a weight of {} columns where the call reads {}", w.cols, in));
  // Without ranges the rows are 0..out; with them, the furthest end.
  int64_t selected = 0, end = s.ranges > 0 ? 0 : out;
  for (int64_t r = 0; r < s.ranges; ++r) {
    s.begins[size_t(r)] = ints[at + 1 + 2 * size_t(r)];
    s.ends[size_t(r)] = ints[at + 2 + 2 * size_t(r)];
    selected += s.ends[size_t(r)] - s.begins[size_t(r)];
    end = std::max(end, s.ends[size_t(r)]);
  }
  if ((s.ranges > 0 && selected != out) || end > w.rows)
    return absl::InvalidArgumentError("row ranges that do not fit the weight");
  return sink.Matmul(x, y, s, w);
}

template <class Sink>
absl::Status Norm(Sink &sink, const plan::Buffer &x, const plan::Buffer &y,
                  int64_t rows, int64_t width, int64_t kind,
                  const typename Sink::Weight *w, float eps) {
  if (kind != 0 && (!w || w->rows * w->cols != width))
    return absl::InvalidArgumentError(fmt::format(
        "a norm of width {} without a weight of that width", width));
  return sink.Norm(x, y, rows, width, w ? kind : 0, w, eps, nullptr, nullptr);
}

} // namespace detail

#define GEMMA_GPU_TRY(expr)                                                    \
  if (absl::Status gemma_gpu_status = (expr); !gemma_gpu_status.ok())          \
  return gemma_gpu_status

// A geglu call: one GeGLU launch where the backend has the kernel and the
// rows fit it, else the two matmuls and gelu(g) * u.
template <class Sink>
absl::Status LowerGeglu(const plan::Call &call, Sink &sink) {
  using Weight = typename Sink::Weight;
  const std::vector<plan::Buffer> &b = call.buffers;
  const std::vector<int64_t> &i = call.ints;
  const Weight *w0 = nullptr, *w1 = nullptr;
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 0, true, w0));
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 1, true, w1));
  const int64_t n = i[0], in = i[1], width = i[2];
  const size_t up_at = 3 + 1 + 2 * size_t(i[3]);
  // A backend with a GeGLU kernel takes gate and up rows of one stored
  // type, each at most one range, in one launch.
  if constexpr (requires {
                  sink.Geglu(b[0], b[1], n, in, width, *w0, n, *w1, n);
                }) {
    const int64_t gate_ranges = i[3], up_ranges = i[up_at];
    const int64_t gate = gate_ranges == 1 ? i[4] : 0;
    const int64_t up = up_ranges == 1 ? i[up_at + 1] : 0;
    if (gate_ranges <= 1 && up_ranges <= 1 && w0->type == w1->type &&
        w0->cols == in && w1->cols == in && gate + width <= w0->rows &&
        up + width <= w1->rows && (gate_ranges == 0 || i[5] - i[4] == width) &&
        (up_ranges == 0 || i[up_at + 2] - i[up_at + 1] == width))
      return sink.Geglu(b[0], b[1], n, in, width, *w0, gate, *w1, up);
  }
  GEMMA_GPU_TRY(detail::Matmul(sink, b[0], b[1], n, in, width, *w0, i, 3));
  GEMMA_GPU_TRY(detail::Matmul(sink, b[0], b[2], n, in, width, *w1, i, up_at));
  return sink.Elementwise(kOpGeluMul, n * width, 0.0f, b[1], b[2], b[1]);
}

// A qkv_rope call: the three projections, then the norms, RoPE and both
// cache writes as one launch where the backend has the kernel, or one by one.
template <class Sink>
absl::Status LowerQkvRope(const plan::Call &call, Sink &sink) {
  const typename Sink::Weight *wq, *wk, *wv, *qn, *kn;
  const std::vector<plan::Buffer> &b = call.buffers;
  const std::vector<int64_t> &i = call.ints;
  const std::vector<double> &r = call.reals;
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 0, true, wq));
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 1, true, wk));
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 2, false, wv));
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 3, false, qn));
  GEMMA_GPU_TRY(detail::WeightOf(sink, call, 4, false, kn));
  const int64_t n = i[0], d = i[1], heads = i[2], dim = i[3];
  const int64_t kb = i[4], ks = i[5], kh = i[6];
  const int64_t vb = i[7], vs = i[8], vh = i[9], vd = i[10];
  const int64_t kind = i[11];
  const bool value_norm = i[12] != 0;
  const size_t k_at = 13 + 1 + 2 * size_t(i[13]);
  const size_t v_at = k_at + 1 + 2 * size_t(i[k_at]);
  const float eps = float(r[0]);
  GEMMA_GPU_TRY(
      detail::Matmul(sink, b[0], b[4], n, d, heads * dim, *wq, i, 13));
  GEMMA_GPU_TRY(detail::Matmul(sink, b[0], b[5], n, d, kh * dim, *wk, i, k_at));
  if (wv) {
    GEMMA_GPU_TRY(
        detail::Matmul(sink, b[0], b[6], n, d, vh * vd, *wv, i, v_at));
  } else {
    GEMMA_GPU_TRY(
        sink.Elementwise(kOpCopy, n * kh * dim, 0.0f, b[5], b[5], b[6]));
  }
  // (Both QK-norm weights or neither: plan::ValidateCall.)
  const bool norms = qn || kn || kind != 0;
  // A backend with the whole tail as one kernel: norms of one stored
  // type (and the right width), heads no wider than its kernels take.
  if constexpr (requires {
                  sink.QkvPost(b[4], b[5], b[6], b[2], b[3], QkvPostShape{}, qn,
                               kn, eps, r[1], r[2], r[3]);
                }) {
    const bool weights_fit =
        !norms || kind == 0 ||
        (qn->rows * qn->cols == dim && kn->rows * kn->cols == dim);
    if (weights_fit && (!norms || qn->type == kn->type) &&
        dim <= kMaxValueDim && vd <= kMaxValueDim)
      return sink.QkvPost(b[4], b[5], b[6], b[2], b[3],
                          {n, heads, dim, kh, vh, vd, norms ? kind : -1,
                           value_norm ? 1 : 0, kb, ks, vb, vs},
                          qn, kn, eps, r[1], r[2], r[3]);
  }
  if (norms) {
    GEMMA_GPU_TRY(
        detail::Norm(sink, b[4], b[4], n * heads, dim, kind, qn, eps));
    GEMMA_GPU_TRY(detail::Norm(sink, b[5], b[5], n * kh, dim, kind, kn, eps));
  }
  if (value_norm)
    GEMMA_GPU_TRY(detail::Norm(sink, b[6], b[6], n * vh, vd, 0, nullptr, eps));
  GEMMA_GPU_TRY(sink.Rope(b[4], b[4], n, heads, dim, r[1], r[2], r[3]));
  GEMMA_GPU_TRY(sink.Rope(b[5], b[5], n, kh, dim, r[1], r[2], r[3]));
  GEMMA_GPU_TRY(sink.KvWrite(b[2], b[5], kb, ks, kh * dim, n));
  return sink.KvWrite(b[3], b[6], vb, vs, vh * vd, n);
}

template <class Sink>
absl::Status LowerCall(const plan::Call &call, Sink &sink) {
  using Weight = typename Sink::Weight;
  const std::vector<plan::Buffer> &b = call.buffers;
  const std::vector<int64_t> &i = call.ints;
  const std::vector<double> &r = call.reals;
  auto weight = [&](size_t at, bool required, const Weight *&w) {
    return detail::WeightOf(sink, call, at, required, w);
  };
  const Weight *w0 = nullptr, *w1 = nullptr;
  switch (call.kernel) {
  case plan::Kernel::kEmbed: {
    GEMMA_GPU_TRY(weight(0, true, w0));
    const int64_t first = i.size() > 2 ? i[2] : 0;
    if (first + i[1] > w0->cols)
      return absl::InvalidArgumentError("an embedding slice past the table");
    return sink.Embed(b[1], i[0], i[1], first, float(r[0]), *w0);
  }
  case plan::Kernel::kRmsNorm:
    GEMMA_GPU_TRY(weight(0, false, w0));
    return detail::Norm(sink, b[0], b[1], i[0], i[1], i[2], w0, float(r[0]));
  case plan::Kernel::kResidualNorm:
    GEMMA_GPU_TRY(weight(0, false, w0));
    if (w0 && w0->rows * w0->cols != i[1])
      return absl::InvalidArgumentError("a norm weight of another width");
    // x + r into `sum` (b[2]), normed into y (b[3]).
    return sink.Norm(b[0], b[3], i[0], i[1], w0 ? i[2] : 0, w0, float(r[0]),
                     &b[1], &b[2]);
  case plan::Kernel::kMatmul:
    GEMMA_GPU_TRY(weight(0, true, w0));
    return detail::Matmul(sink, b[0], b[1], i[0], i[1], i[2], *w0, i, 3);
  case plan::Kernel::kMatmulHeads: {
    GEMMA_GPU_TRY(weight(0, true, w0));
    MatmulShape s;
    s.n = i[0];
    s.heads = i[1];
    s.in = i[2];
    s.out = i[3];
    if (w0->cols != s.in || w0->rows != s.heads * s.out)
      return absl::InvalidArgumentError("a head-major matrix of another shape");
    return sink.Matmul(b[0], b[1], s, *w0);
  }
  case plan::Kernel::kScale: {
    GEMMA_GPU_TRY(weight(0, false, w0));
    float factor = float(r[0]);
    if (w0) {
      if (w0->host_scalar.empty())
        return absl::InvalidArgumentError("a scale weight that is no scalar");
      DecodeRange(w0->type, w0->host_scalar.data(), 0, 1, &factor);
      factor *= w0->scale;
    }
    return sink.Elementwise(kOpScale, i[0], factor, b[0], b[0], b[1]);
  }
  case plan::Kernel::kRope:
    return sink.Rope(b[0], b[2], i[0], i[1], i[2], r[0], r[1], r[2]);
  case plan::Kernel::kKvWrite:
    return sink.KvWrite(b[2], b[0], i[0], i[1], i[2], i[3]);
  case plan::Kernel::kAttnScores:
    return sink.AttnScores(b[0], b[1], b[2],
                           {i[0], i[1], i[2], i[3], i[4], i[5]}, float(r[0]));
  case plan::Kernel::kAttnValues:
    return sink.AttnValues(b[0], b[1], b[2],
                           {i[0], i[1], i[2], i[3], i[4], i[5], i[6]});
  case plan::Kernel::kAttention:
    if (i[6] > kMaxValueDim)
      return absl::UnimplementedError(
          fmt::format("not supported yet: value heads wider than {} on {}",
                      kMaxValueDim, sink.backend()));
    return sink.Attention(b[0], b[1], b[2], b[4],
                          {i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]},
                          float(r[0]), float(r[1]));
  case plan::Kernel::kWindowMask:
    return sink.WindowMask(b[0], b[2], i[0], i[1], i[2], i[3]);
  case plan::Kernel::kSoftmax:
    return sink.Softmax(b[0], b[1], i[0], i[1]);
  case plan::Kernel::kUnary:
    return sink.Elementwise(kOpUnary + i[1], i[0], float(r[0]), b[0], b[0],
                            b[1]);
  case plan::Kernel::kAdd:
    return sink.Elementwise(kOpAdd, i[0], 0.0f, b[0], b[1], b[2]);
  case plan::Kernel::kMul:
    return sink.Elementwise(kOpMul, i[0], 0.0f, b[0], b[1], b[2]);
  case plan::Kernel::kLogits:
    GEMMA_GPU_TRY(weight(0, true, w0));
    if (i[2] > w0->rows)
      return absl::InvalidArgumentError("logits past the embedding table");
    return detail::Matmul(sink, b[0], b[1], i[0], i[1], i[2], *w0, {0}, 0,
                          float(r[0]));
  case plan::Kernel::kGeglu:
    return LowerGeglu(call, sink);
  case plan::Kernel::kQkvRope:
    return LowerQkvRope(call, sink);
  case plan::Kernel::kNormMatmul: {
    GEMMA_GPU_TRY(weight(0, false, w0));
    GEMMA_GPU_TRY(weight(1, true, w1));
    const int64_t n = i[0], in = i[1], out = i[2], width = i[3];
    GEMMA_GPU_TRY(detail::Norm(sink, b[0], b[2], n * in / width, width, i[4],
                               w0, float(r[0])));
    return detail::Matmul(sink, b[2], b[1], n, in, out, *w1, i, 5);
  }
  case plan::Kernel::kMoeExperts: {
    const Weight *scale, *gate_up, *down;
    GEMMA_GPU_TRY(weight(0, true, scale));
    GEMMA_GPU_TRY(weight(1, true, gate_up));
    GEMMA_GPU_TRY(weight(2, true, down));
    const MoeShape s{i[0], i[1], i[2], i[3], i[4]};
    if (scale->rows * scale->cols != s.experts ||
        gate_up->rows != 2 * s.experts * s.ff || gate_up->cols != s.d ||
        down->rows != s.experts * s.d || down->cols != s.ff)
      return absl::InvalidArgumentError("the expert weights' shapes");
    if (s.k < 1 || s.k > kMaxExpertsPerToken || s.k > s.experts)
      return absl::UnimplementedError(
          fmt::format("not supported yet: more than {} experts per token on {}",
                      kMaxExpertsPerToken, sink.backend()));
    return sink.Moe(b[0], b[1], b[2], s, *scale, *gate_up, *down);
  }
  }
  return absl::InvalidArgumentError("unknown kernel");
}

#undef GEMMA_GPU_TRY

} // namespace gemma::gpu

#endif // RUNTIME_GPU_LOWERCALLS_H
