//===- Lowering.cpp - Plan calls as CUDA kernel launches ------------------===//

#include "runtime/cuda/Lowering.h"

#include "compiler/import/codecs/Decode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace gemma::cuda {

absl::StatusOr<int32_t> KernelWeightType(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 0;
  case StoredType::kBF16:
    return 1;
  case StoredType::kSFP:
    return 2;
  case StoredType::kNUQ:
    return 3;
  case StoredType::kI8:
    return 4;
  case StoredType::kF16:
    return 5;
  case StoredType::kQ4_0:
    return 6;
  case StoredType::kQ4_1:
    return 7;
  case StoredType::kQ5_0:
    return 8;
  case StoredType::kQ5_1:
    return 9;
  case StoredType::kQ8_0:
    return 10;
  case StoredType::kQ2_K:
    return 11;
  case StoredType::kQ3_K:
    return 12;
  case StoredType::kQ4_K:
    return 13;
  case StoredType::kQ5_K:
    return 14;
  case StoredType::kQ6_K:
    return 15;
  default:
    return absl::UnimplementedError(fmt::format(
        "{} weights cannot be read by the cuda backend", StoredTypeName(type)));
  }
}

namespace {

using plan::Call;
using plan::Kernel;

// Threads per block: 8 warps, one output row each, for the matmuls; the
// fused attention's chunk of positions; everything else 256.
constexpr int32_t kBlock = 256;
constexpr int32_t kAttentionBlock = 128;
constexpr int32_t kRowsPerMatmulBlock = kBlock / 32;

uint32_t Ceil(int64_t n, int64_t d) { return uint32_t((n + d - 1) / d); }

class Lowering {
public:
  Lowering(const WeightTable &weights, const plan::Program &program)
      : weights_(weights),
        scratch_base_((program.arena_elements + 63) / 64 * 64) {}

  absl::Status Lower(const Call &call) {
    call_ = call.kernel;
    const size_t before = out.launches.size();
    if (absl::Status s = LowerCall(call); !s.ok())
      return s;
    if (out.launches.size() > before) {
      PendingLaunch &first = out.launches[before];
      first.first = true;
      // Each distinct weight once; an embedding reads one row per id.
      std::vector<std::string> seen;
      for (const std::string &name : call.weights) {
        auto it = name.empty() ? weights_.end() : weights_.find(name);
        if (it == weights_.end() ||
            std::find(seen.begin(), seen.end(), name) != seen.end())
          continue;
        seen.push_back(name);
        const Stored &w = it->second;
        const uint64_t row = PackedBytes(w.type, uint64_t(w.cols));
        first.weight_bytes += call.kernel == Kernel::kEmbed
                                  ? uint64_t(call.ints[0]) * row
                                  : uint64_t(w.rows) * row;
      }
    }
    return absl::OkStatus();
  }

  LoweredProgram out;
  int64_t scratch_elements = 0;
  int64_t scratch_base() const { return scratch_base_; }

private:
  absl::Status Add(Body body, std::vector<int64_t> ints,
                   std::vector<float> floats,
                   std::vector<const plan::Buffer *> ops, const Stored *w,
                   uint32_t blocks, int32_t block = kBlock) {
    KernelShape shape;
    shape.body = body;
    shape.block = block;
    if (ints.size() > shape.ints.size() || floats.size() > shape.floats.size())
      return absl::InternalError("too many kernel constants");
    for (size_t i = 0; i < ints.size(); ++i) {
      if (ints[i] < INT32_MIN || ints[i] > INT32_MAX)
        return absl::UnimplementedError(fmt::format(
            "not supported yet: a {} shape past 32 bits ({})", BodyName(body),
            ints[i]));
      shape.ints[i] = int32_t(ints[i]);
    }
    for (size_t i = 0; i < floats.size(); ++i) {
      if (!std::isfinite(floats[i]))
        return absl::InvalidArgumentError(fmt::format(
            "a {} call with a parameter that is not finite", BodyName(body)));
      shape.floats[i] = floats[i];
    }
    PendingLaunch launch;
    for (const plan::Buffer *b : ops) {
      if (b->arg == 0 || b->arg == 1)
        return absl::InvalidArgumentError(
            "an id or position buffer where the kernel reads f32");
      launch.operands.push_back(*b);
    }
    if (w) {
      shape.wtype = w->wtype;
      launch.weight = w->pointer;
      launch.wscale = w->scale;
    }
    auto [it, fresh] =
        shape_index_.emplace(shape, uint32_t(out.shapes.size()));
    if (fresh)
      out.shapes.push_back(shape);
    launch.kernel = it->second;
    launch.blocks = blocks;
    launch.call = call_;
    if (blocks > 0)
      out.launches.push_back(std::move(launch));
    return absl::OkStatus();
  }

  absl::StatusOr<const Stored *> Weight(const Call &call, size_t i,
                                        bool required) {
    if (call.weights[i].empty()) {
      if (required)
        return absl::InvalidArgumentError("a required weight is missing");
      return static_cast<const Stored *>(nullptr);
    }
    auto it = weights_.find(call.weights[i]);
    if (it == weights_.end())
      return absl::InternalError(
          fmt::format("weight '{}' was not uploaded", call.weights[i]));
    return &it->second;
  }

  // Matmul of x [n, in] by rows of w (ranges from ints[at]) into y [n, out].
  absl::Status AddMatmul(const plan::Buffer &x, const plan::Buffer &y,
                         int64_t n, int64_t in, int64_t out_rows,
                         const Stored &w, const std::vector<int64_t> &ints,
                         size_t at, float cap = 0.0f) {
    const int64_t count = ints[at];
    if (count > 4)
      return absl::UnimplementedError(
          "not supported yet: more than 4 row ranges in one matmul");
    if (w.cols != in)
      return absl::InvalidArgumentError(fmt::format(
          "a weight of {} columns where the call reads {}", w.cols, in));
    std::vector<int64_t> s = {n, in, out_rows, 0, count};
    int64_t selected = 0, end = count > 0 ? 0 : out_rows;
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t b = r < count ? ints[at + 1 + 2 * r] : 0;
      const int64_t e = r < count ? ints[at + 2 + 2 * r] : 0;
      s.push_back(b);
      s.push_back(e);
      selected += e - b;
      end = std::max(end, e);
    }
    s.push_back(0); // I13: y's row stride (0: OUT)
    if ((count > 0 && selected != out_rows) || end > w.rows)
      return absl::InvalidArgumentError(
          "row ranges that do not fit the weight");
    return Add(Body::kMatmul, s, {cap}, {&x, &y}, &w,
               Ceil(out_rows, kRowsPerMatmulBlock));
  }

  absl::Status AddNorm(const plan::Buffer &x, const plan::Buffer &y,
                       int64_t rows, int64_t width, int64_t kind,
                       const Stored *w, float eps) {
    if (kind != 0 && (!w || w->rows * w->cols != width))
      return absl::InvalidArgumentError(fmt::format(
          "a norm of width {} without a weight of that width", width));
    return Add(Body::kRmsNorm, {width, w ? kind : 0, 0, rows}, {eps}, {&x, &y},
               w, uint32_t(rows));
  }

  absl::Status AddElementwise(int64_t op, int64_t n, float factor,
                              const plan::Buffer &a, const plan::Buffer &b,
                              const plan::Buffer &o) {
    return Add(Body::kElementwise, {op, n}, {factor}, {&a, &b, &o}, nullptr,
               Ceil(n, kBlock));
  }

  absl::Status AddRope(const plan::Buffer &x, const plan::Buffer &y, int64_t n,
                       int64_t heads, int64_t dim, double base, double scale,
                       double fraction) {
    const int64_t pairs = int64_t(std::floor(fraction * double(dim) / 2.0));
    const auto key = std::make_tuple(base, scale, fraction, dim);
    auto it = rope_tables_.find(key);
    if (it == rope_tables_.end()) {
      it = rope_tables_.emplace(key, int64_t(out.params.size())).first;
      for (int64_t i = 0; i < pairs; ++i) {
        const double inv =
            1.0 / std::pow(base, 2.0 * double(i) / double(dim)) / scale;
        const float hi = float(inv);
        out.params.push_back(hi);
        out.params.push_back(float(inv - double(hi)));
      }
    }
    return Add(Body::kRope, {n, heads, dim, pairs, it->second}, {}, {&x, &y},
               nullptr, Ceil(n * heads * (dim / 2), kBlock));
  }

  absl::Status AddKvWrite(const plan::Buffer &cache, const plan::Buffer &x,
                          int64_t batch, int64_t slots, int64_t width,
                          int64_t n) {
    return Add(Body::kKvWrite, {batch, slots, width, n}, {}, {&cache, &x},
               nullptr, Ceil(n * width, kBlock));
  }

  absl::Status LowerCall(const Call &call);

  const WeightTable &weights_;
  Kernel call_ = Kernel::kEmbed;
  int64_t scratch_base_ = 0;
  std::map<KernelShape, uint32_t> shape_index_;
  std::map<std::tuple<double, double, double, int64_t>, int64_t> rope_tables_;
};

absl::Status Lowering::LowerCall(const Call &call) {
  const std::vector<plan::Buffer> &b = call.buffers;
  const std::vector<int64_t> &i = call.ints;
  const std::vector<double> &r = call.reals;
  switch (call.kernel) {
  case Kernel::kEmbed: {
    absl::StatusOr<const Stored *> table = Weight(call, 0, true);
    if (!table.ok())
      return table.status();
    const int64_t n = i[0], width = i[1], first = i.size() > 2 ? i[2] : 0;
    if (first + width > (*table)->cols)
      return absl::InvalidArgumentError("an embedding slice past the table");
    out.vocab =
        out.vocab < 0 ? (*table)->rows : std::min(out.vocab, (*table)->rows);
    return Add(Body::kEmbed, {n, width, first, (*table)->cols}, {float(r[0])},
               {&b[1]}, *table, Ceil(n * width, kBlock));
  }
  case Kernel::kRmsNorm: {
    absl::StatusOr<const Stored *> w = Weight(call, 0, false);
    if (!w.ok())
      return w.status();
    return AddNorm(b[0], b[1], i[0], i[1], i[2], *w, float(r[0]));
  }
  case Kernel::kResidualNorm: {
    absl::StatusOr<const Stored *> w = Weight(call, 0, false);
    if (!w.ok())
      return w.status();
    if (i[2] != 0 && (!*w || (*w)->rows * (*w)->cols != i[1]))
      return absl::InvalidArgumentError("a weighted norm without its weight");
    return Add(Body::kRmsNorm, {i[1], *w ? i[2] : 0, 1, i[0]}, {float(r[0])},
               {&b[0], &b[3], &b[1], &b[2]}, *w, uint32_t(i[0]));
  }
  case Kernel::kMatmul: {
    absl::StatusOr<const Stored *> w = Weight(call, 0, true);
    if (!w.ok())
      return w.status();
    return AddMatmul(b[0], b[1], i[0], i[1], i[2], **w, i, 3);
  }
  case Kernel::kMatmulHeads: {
    absl::StatusOr<const Stored *> w = Weight(call, 0, true);
    if (!w.ok())
      return w.status();
    const int64_t n = i[0], heads = i[1], in_h = i[2], out_rows = i[3];
    if ((*w)->cols != in_h || (*w)->rows != heads * out_rows)
      return absl::InvalidArgumentError("a head-major matrix of another shape");
    return Add(Body::kMatmul,
               {n, in_h, out_rows, heads, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
               {0.0f}, {&b[0], &b[1]}, *w,
               Ceil(out_rows, kRowsPerMatmulBlock));
  }
  case Kernel::kScale: {
    absl::StatusOr<const Stored *> w = Weight(call, 0, false);
    if (!w.ok())
      return w.status();
    float factor = float(r[0]);
    if (*w) {
      if ((*w)->host_scalar.empty())
        return absl::InvalidArgumentError("a scale weight that is no scalar");
      DecodeRange((*w)->type, (*w)->host_scalar.data(), 0, 1, &factor);
      factor *= (*w)->scale;
    }
    return AddElementwise(2, i[0], factor, b[0], b[0], b[1]);
  }
  case Kernel::kRope:
    return AddRope(b[0], b[2], i[0], i[1], i[2], r[0], r[1], r[2]);
  case Kernel::kKvWrite:
    return AddKvWrite(b[2], b[0], i[0], i[1], i[2], i[3]);
  case Kernel::kAttnScores:
    return Add(Body::kAttnScores, {i[0], i[1], i[2], i[3], i[4], i[5]},
               {float(r[0])}, {&b[0], &b[1], &b[2]}, nullptr,
               Ceil(i[0] * i[1] * i[4], kBlock));
  case Kernel::kAttnValues:
    return Add(Body::kAttnValues, {i[0], i[1], i[2], i[3], i[4], i[5], i[6]},
               {}, {&b[0], &b[1], &b[2]}, nullptr,
               Ceil(i[0] * i[1] * i[6], kBlock));
  case Kernel::kAttention: {
    if (i[6] > int64_t(4 * kAttentionBlock))
      return absl::UnimplementedError(
          "not supported yet: value heads wider than 512 on cuda");
    if (i[5] <= 0 || i[1] % i[5] != 0)
      return absl::InvalidArgumentError(
          "an attention geometry without whole query groups");
    return Add(Body::kAttention,
               {i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]},
               {float(r[0]), float(r[1])}, {&b[0], &b[1], &b[2], &b[4]},
               nullptr, uint32_t(i[0] * i[1]), kAttentionBlock);
  }
  case Kernel::kWindowMask:
    return Add(Body::kWindowMask, {i[0], i[1], i[2], i[3]}, {}, {&b[0], &b[2]},
               nullptr, Ceil(i[0] * i[1] * i[2], kBlock));
  case Kernel::kSoftmax:
    return Add(Body::kSoftmax, {i[1], i[0]}, {}, {&b[0], &b[1]}, nullptr,
               uint32_t(i[0]));
  case Kernel::kSoftcap:
    return AddElementwise(3, i[0], float(r[0]), b[0], b[0], b[1]);
  case Kernel::kGeluTanh:
    return AddElementwise(4, i[0], 0.0f, b[0], b[0], b[1]);
  case Kernel::kAdd:
    return AddElementwise(0, i[0], 0.0f, b[0], b[1], b[2]);
  case Kernel::kMul:
    return AddElementwise(1, i[0], 0.0f, b[0], b[1], b[2]);
  case Kernel::kLogits: {
    absl::StatusOr<const Stored *> table = Weight(call, 0, true);
    if (!table.ok())
      return table.status();
    if (i[2] > (*table)->rows)
      return absl::InvalidArgumentError("logits past the embedding table");
    return AddMatmul(b[0], b[1], i[0], i[1], i[2], **table, {0}, 0,
                     float(r[0]));
  }
  case Kernel::kGeglu: {
    absl::StatusOr<const Stored *> gate = Weight(call, 0, true),
                                   up = Weight(call, 1, true);
    if (!gate.ok())
      return gate.status();
    if (!up.ok())
      return up.status();
    const int64_t n = i[0], in = i[1], width = i[2];
    const size_t up_at = 3 + 1 + 2 * size_t(i[3]);
    if (absl::Status s = AddMatmul(b[0], b[1], n, in, width, **gate, i, 3);
        !s.ok())
      return s;
    if (absl::Status s = AddMatmul(b[0], b[2], n, in, width, **up, i, up_at);
        !s.ok())
      return s;
    return AddElementwise(5, n * width, 0.0f, b[1], b[2], b[1]);
  }
  case Kernel::kNormMatmul: {
    absl::StatusOr<const Stored *> norm = Weight(call, 0, false),
                                   w = Weight(call, 1, true);
    if (!norm.ok())
      return norm.status();
    if (!w.ok())
      return w.status();
    const int64_t n = i[0], in = i[1], out_rows = i[2], width = i[3];
    if (absl::Status s = AddNorm(b[0], b[2], n * in / width, width, i[4], *norm,
                                 float(r[0]));
        !s.ok())
      return s;
    return AddMatmul(b[2], b[1], n, in, out_rows, **w, i, 5);
  }
  case Kernel::kQkvRope: {
    absl::StatusOr<const Stored *> wq = Weight(call, 0, true),
                                   wk = Weight(call, 1, true),
                                   wv = Weight(call, 2, false),
                                   qn = Weight(call, 3, false),
                                   kn = Weight(call, 4, false);
    for (const auto *w : {&wq, &wk, &wv, &qn, &kn})
      if (!w->ok())
        return w->status();
    const int64_t n = i[0], d = i[1], heads = i[2], dim = i[3];
    const int64_t kb = i[4], ks = i[5], kh = i[6];
    const int64_t vb = i[7], vs = i[8], vh = i[9], vd = i[10];
    const int64_t kind = i[11];
    const bool value_norm = i[12] != 0;
    const size_t k_at = 13 + 1 + 2 * size_t(i[13]);
    const size_t v_at = k_at + 1 + 2 * size_t(i[k_at]);
    const float eps = float(r[0]);
    if (absl::Status s = AddMatmul(b[0], b[4], n, d, heads * dim, **wq, i, 13);
        !s.ok())
      return s;
    if (absl::Status s = AddMatmul(b[0], b[5], n, d, kh * dim, **wk, i, k_at);
        !s.ok())
      return s;
    if (*wv) {
      if (absl::Status s = AddMatmul(b[0], b[6], n, d, vh * vd, **wv, i, v_at);
          !s.ok())
        return s;
    } else if (vh * vd != kh * dim) {
      return absl::InvalidArgumentError("K=V with values wider than keys");
    } else if (absl::Status s =
                   AddElementwise(6, n * kh * dim, 0.0f, b[5], b[5], b[6]);
               !s.ok()) {
      return s;
    }
    if (*qn || *kn || kind != 0) {
      if (!*qn || !*kn)
        return absl::InvalidArgumentError("a QK-norm without both weights");
      if (absl::Status s = AddNorm(b[4], b[4], n * heads, dim, kind, *qn, eps);
          !s.ok())
        return s;
      if (absl::Status s = AddNorm(b[5], b[5], n * kh, dim, kind, *kn, eps);
          !s.ok())
        return s;
    }
    if (value_norm)
      if (absl::Status s = AddNorm(b[6], b[6], n * vh, vd, 0, nullptr, eps);
          !s.ok())
        return s;
    if (absl::Status s = AddRope(b[4], b[4], n, heads, dim, r[1], r[2], r[3]);
        !s.ok())
      return s;
    if (absl::Status s = AddRope(b[5], b[5], n, kh, dim, r[1], r[2], r[3]);
        !s.ok())
      return s;
    if (absl::Status s = AddKvWrite(b[2], b[5], kb, ks, kh * dim, n); !s.ok())
      return s;
    return AddKvWrite(b[3], b[6], vb, vs, vh * vd, n);
  }
  case Kernel::kMoeExperts: {
    absl::StatusOr<const Stored *> scale = Weight(call, 0, true),
                                   gate_up = Weight(call, 1, true),
                                   down = Weight(call, 2, true);
    for (const auto *w : {&scale, &gate_up, &down})
      if (!w->ok())
        return w->status();
    const int64_t n = i[0], d = i[1], experts = i[2], ff = i[3], k = i[4];
    if ((*scale)->rows * (*scale)->cols != experts ||
        (*gate_up)->rows != 2 * experts * ff || (*gate_up)->cols != d ||
        (*down)->rows != experts * d || (*down)->cols != ff)
      return absl::InvalidArgumentError("the expert weights' shapes");
    if (k < 1 || k > 16 || k > experts)
      return absl::UnimplementedError(
          "not supported yet: more than 16 experts per token on cuda");
    // Scratch past the arena: expert ids and weights [n, k], then the
    // experts' hidden activations [n * k, ff].
    const plan::Buffer ids{-1, scratch_base_, n * k},
        routed{-1, scratch_base_ + n * k, n * k},
        hidden{-1, scratch_base_ + 2 * n * k, n * k * ff};
    scratch_elements = std::max(scratch_elements, 2 * n * k + n * k * ff);
    const std::vector<int64_t> shape = {n, d, experts, ff, k};
    if (absl::Status s = Add(Body::kMoeRoute, {n, experts, k}, {},
                             {&b[1], &ids, &routed}, *scale, Ceil(n, kBlock));
        !s.ok())
      return s;
    if (absl::Status s = Add(Body::kMoeUp, shape, {}, {&b[0], &ids, &hidden},
                             *gate_up, Ceil(n * k * ff, kRowsPerMatmulBlock));
        !s.ok())
      return s;
    return Add(Body::kMoeDown, shape, {}, {&hidden, &ids, &routed, &b[2]},
               *down, Ceil(n * d, kRowsPerMatmulBlock));
  }
  }
  return absl::InvalidArgumentError("unknown kernel");
}

} // namespace

absl::StatusOr<LoweredProgram> LowerProgram(const WeightTable &weights,
                                            const plan::Program &program) {
  Lowering lowering(weights, program);
  for (size_t c = 0; c < program.calls.size(); ++c)
    if (absl::Status s = lowering.Lower(program.calls[c]); !s.ok())
      return absl::Status(s.code(),
                          fmt::format("{}: call {} ({}): {}", program.name, c,
                                      plan::KernelName(program.calls[c].kernel),
                                      std::string(s.message())));
  LoweredProgram lowered = std::move(lowering.out);
  int64_t end = lowering.scratch_base() + lowering.scratch_elements;
  for (const plan::Buffer &o : program.outputs)
    if (o.arg < 0) {
      lowered.output = o;
      break;
    }
  const int64_t rows = program.arg_elements[0];
  if (lowered.output && rows > 0 && lowered.output->elements % rows == 0) {
    end = (end + 63) / 64 * 64;
    lowered.topk_ids = {-1, end, rows * kMaxDeviceTopK};
    lowered.topk_values = {-1, end + rows * kMaxDeviceTopK,
                           rows * kMaxDeviceTopK};
    end += 2 * rows * kMaxDeviceTopK;
  }
  lowered.arena_elements = end;
  return lowered;
}

std::pair<KernelShape, PendingLaunch> TopKLaunch(const LoweredProgram &lowered,
                                                 int64_t rows, int k) {
  KernelShape shape;
  shape.body = Body::kTopK;
  shape.block = kBlock;
  shape.ints[0] = int32_t(rows);
  shape.ints[1] = int32_t(lowered.output->elements / rows);
  shape.ints[2] = k;
  PendingLaunch launch;
  launch.blocks = uint32_t(rows);
  launch.call = Kernel::kLogits;
  // Ids and logits [rows, k], packed at the start of their regions.
  launch.operands = {*lowered.output,
                     {-1, lowered.topk_ids.offset, rows * k},
                     {-1, lowered.topk_values.offset, rows * k}};
  return {shape, launch};
}

} // namespace gemma::cuda
