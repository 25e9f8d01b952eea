//===- Lowering.cpp - Plan calls as Vulkan dispatches ---------------------===//

#include "runtime/vulkan/Lowering.h"

#include "compiler/import/codecs/Decode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>

namespace gemma::vulkan {
namespace {

using plan::Call;
using plan::Kernel;

constexpr uint32_t kGroupSize = 64;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

uint32_t Ceil(int64_t n, int64_t d) { return uint32_t((n + d - 1) / d); }

// Lowers one program's calls to dispatches.
class Lowering {
public:
  Lowering(Device &device, const WeightStore &weights,
           const plan::Program &program)
      : device_(device), weights_(weights),
        scratch_base_((program.arena_elements + 3) / 4 * 4) {
    int64_t at = 0;
    for (size_t a = 2; a < program.arg_elements.size(); ++a) {
      cache_offsets_.push_back(at);
      at += program.arg_elements[a];
    }
  }

  absl::Status Lower(const Call &call) {
    kernel_ = call.kernel;
    const size_t before = dispatches.size();
    if (absl::Status s = LowerCall(call); !s.ok())
      return s;
    if (dispatches.size() > before) {
      dispatches[before].first = true;
      // Each distinct weight once; an embedding reads one row per id.
      std::vector<std::string> seen;
      for (const std::string &name : call.weights) {
        const Stored *w = name.empty() ? nullptr : weights_.Find(name);
        if (!w || std::find(seen.begin(), seen.end(), name) != seen.end())
          continue;
        seen.push_back(name);
        const uint64_t row = PackedBytes(w->type, uint64_t(w->cols));
        dispatches[before].weight_bytes += call.kernel == Kernel::kEmbed
                                               ? uint64_t(call.ints[0]) * row
                                               : uint64_t(w->rows) * row;
      }
    }
    return absl::OkStatus();
  }

  std::vector<Dispatch> dispatches;
  std::vector<float> params;
  int64_t vocab = -1; // rows of the embedding table the ids index
  // Arena elements the dispatches use past the program's own (MoE routing
  // and hidden activations); every call may reuse them.
  int64_t scratch_elements = 0;
  int64_t arena_elements() const { return scratch_base_ + scratch_elements; }

  // The device-side greedy pick over `logits` [rows, width], into
  // `chosen` (rows elements of the arena): one dispatch, kept apart from
  // the program's.
  absl::StatusOr<Dispatch> Argmax(const plan::Buffer &logits,
                                  const plan::Buffer &chosen, int64_t rows,
                                  int64_t width) {
    kernel_ = Kernel::kLogits;
    if (absl::Status s = Add(Shader::kArgmax, {rows, width}, {},
                             {&logits, &chosen}, nullptr, uint32_t(rows));
        !s.ok())
      return s;
    Dispatch d = dispatches.back();
    dispatches.pop_back();
    return d;
  }

private:
  struct Operand {
    const plan::Buffer *buffer;
  };
  // One dispatch of `shader` with shape constants `ints`, `floats`,
  // f32 operands `ops` (operand k = ops[k]) and optional weight `w`.
  absl::Status Add(Shader shader, std::vector<int64_t> ints,
                   std::vector<float> floats,
                   std::vector<const plan::Buffer *> ops, const Stored *w,
                   uint32_t groups, size_t piece = 0,
                   uint32_t extra_offset = 0) {
    Specialization spec;
    spec[0] = kGroupSize;
    if (shader == Shader::kMatmul || shader == Shader::kMoeUp ||
        shader == Shader::kMoeDown) {
      spec[0] = std::max(kGroupSize, device_.subgroup_size());
      spec[3] = spec[0] / device_.subgroup_size(); // ROWS_PER_GROUP
    }
    PushConstants push;
    uint32_t mask = 0;
    for (size_t k = 0; k < ops.size(); ++k) {
      const plan::Buffer &b = *ops[k];
      if (b.arg >= 2) {
        mask |= 1u << k;
        push.off[k] = uint32_t(cache_offsets_[size_t(b.arg - 2)] + b.offset);
      } else if (b.arg < 0) {
        push.off[k] = uint32_t(b.offset);
      } else {
        return absl::InvalidArgumentError(
            "an id or position buffer where the kernel reads f32");
      }
    }
    spec[1] = mask;
    if (w && w->pieces.size() > 1 && shader != Shader::kEmbed &&
        shader != Shader::kMatmul)
      return absl::UnimplementedError(
          fmt::format("not supported yet: a weight split over buffers in {}",
                      ShaderName(shader)));
    // A dispatch over one piece of a split tensor writes its part of the
    // output: `extra_offset` moves the last operand.
    push.off[ops.size() - 1] += extra_offset;
    uint32_t chunk = 0;
    if (w) {
      spec[2] = w->wtype;
      push.wbase = uint32_t(w->pieces[piece].word);
      push.wscale = w->scale;
      chunk = w->pieces[piece].chunk;
    }
    for (size_t i = 0; i < ints.size(); ++i)
      spec[10 + uint32_t(i)] = uint32_t(int32_t(ints[i]));
    for (size_t i = 0; i < floats.size(); ++i)
      spec[30 + uint32_t(i)] = Bits(floats[i]);
    absl::StatusOr<VkPipeline> pipeline = device_.Pipeline(shader, spec);
    if (!pipeline.ok())
      return pipeline.status();
    if (groups > 0)
      dispatches.push_back({*pipeline, push, groups, chunk, kernel_});
    return absl::OkStatus();
  }

  // Workgroups of the matmul shader for `out` rows: one subgroup per row.
  uint32_t MatmulGroups(int64_t out) const {
    const uint32_t size = std::max(kGroupSize, device_.subgroup_size());
    return Ceil(out, size / device_.subgroup_size());
  }

  absl::StatusOr<const Stored *> Weight(const Call &call, size_t i,
                                        bool required) {
    if (call.weights[i].empty()) {
      if (required)
        return absl::InvalidArgumentError("a required weight is missing");
      return static_cast<const Stored *>(nullptr);
    }
    const Stored *w = weights_.Find(call.weights[i]);
    if (!w)
      return absl::InternalError(
          fmt::format("weight '{}' was not uploaded", call.weights[i]));
    return w;
  }

  // Matmul of x [n, in] by rows of w (ranges from ints[at]) into y [n, out].
  absl::Status AddMatmul(const plan::Buffer &x, const plan::Buffer &y,
                         int64_t n, int64_t in, int64_t out, const Stored &w,
                         const std::vector<int64_t> &ints, size_t at,
                         float cap = 0.0f) {
    const int64_t count = ints[at];
    if (count > 4)
      return absl::UnimplementedError(
          "not supported yet: more than 4 row ranges in one matmul");
    if (w.cols != in)
      return absl::InvalidArgumentError(fmt::format(
          "a weight of {} columns where the call reads {}", w.cols, in));
    std::vector<int64_t> s = {n, in, out, 0, count};
    // Without ranges the rows are 0..out; with them, the furthest end.
    int64_t selected = 0, end = count > 0 ? 0 : out;
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t b = r < count ? ints[at + 1 + 2 * r] : 0;
      const int64_t e = r < count ? ints[at + 2 + 2 * r] : 0;
      s.push_back(b);
      s.push_back(e);
      selected += e - b;
      end = std::max(end, e);
    }
    s.push_back(0); // I13: y's row stride (0: OUT)
    if ((count > 0 && selected != out) || end > w.rows)
      return absl::InvalidArgumentError(
          "row ranges that do not fit the weight");
    if (w.pieces.size() == 1)
      return Add(Shader::kMatmul, s, {cap}, {&x, &y}, &w, MatmulGroups(out));
    // A table split over several buffers (the logits): one dispatch per
    // piece, each writing its columns of y's rows.
    if (count > 0)
      return absl::UnimplementedError(
          "not supported yet: row ranges of a weight split over buffers");
    for (size_t p = 0; p < w.pieces.size(); ++p) {
      const Stored::Piece &piece = w.pieces[p];
      const int64_t rows = std::min(piece.row_end, out) - piece.row_begin;
      if (rows <= 0)
        break;
      std::vector<int64_t> part = s;
      part[2] = rows;
      part[13] = out; // I13: y's row stride
      if (absl::Status st =
              Add(Shader::kMatmul, part, {cap}, {&x, &y}, &w,
                  MatmulGroups(rows), p, uint32_t(piece.row_begin));
          !st.ok())
        return st;
    }
    return absl::OkStatus();
  }

  absl::Status AddNorm(const plan::Buffer &x, const plan::Buffer &y,
                       int64_t rows, int64_t width, int64_t kind,
                       const Stored *w, float eps) {
    if (kind != 0 && (!w || w->rows * w->cols != width))
      return absl::InvalidArgumentError(fmt::format(
          "a norm of width {} without a weight of that width", width));
    return Add(Shader::kRmsNorm, {width, w ? kind : 0, 0, rows}, {eps},
               {&x, &y}, w, uint32_t(rows));
  }

  absl::Status AddElementwise(int64_t op, int64_t n, float factor,
                              const plan::Buffer &a, const plan::Buffer &b,
                              const plan::Buffer &out) {
    return Add(Shader::kElementwise, {op, n}, {factor}, {&a, &b, &out}, nullptr,
               Ceil(n, kGroupSize));
  }

  absl::Status AddRope(const plan::Buffer &x, const plan::Buffer &y, int64_t n,
                       int64_t heads, int64_t dim, double base, double scale,
                       double fraction) {
    const int64_t pairs = int64_t(std::floor(fraction * double(dim) / 2.0));
    const auto key = std::make_tuple(base, scale, fraction, dim);
    auto it = rope_tables_.find(key);
    if (it == rope_tables_.end()) {
      it = rope_tables_.emplace(key, int64_t(params.size())).first;
      for (int64_t i = 0; i < pairs; ++i) {
        const double inv =
            1.0 / std::pow(base, 2.0 * double(i) / double(dim)) / scale;
        const float hi = float(inv);
        params.push_back(hi);
        params.push_back(float(inv - double(hi)));
      }
    }
    return Add(Shader::kRope, {n, heads, dim, pairs, it->second}, {}, {&x, &y},
               nullptr, Ceil(n * heads * (dim / 2), kGroupSize));
  }

  absl::Status AddKvWrite(const plan::Buffer &cache, const plan::Buffer &x,
                          int64_t batch, int64_t slots, int64_t width,
                          int64_t n) {
    return Add(Shader::kKvWrite, {batch, slots, width, n}, {}, {&cache, &x},
               nullptr, Ceil(n * width, kGroupSize));
  }

  absl::Status LowerCall(const Call &call);

  Device &device_;
  const WeightStore &weights_;
  Kernel kernel_ = Kernel::kEmbed;
  int64_t scratch_base_ = 0;
  std::vector<int64_t> cache_offsets_;
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
    vocab = vocab < 0 ? (*table)->rows : std::min(vocab, (*table)->rows);
    // One dispatch per piece of a split table; each embeds the ids that
    // fall in its rows.
    for (size_t p = 0; p < (*table)->pieces.size(); ++p) {
      const Stored::Piece &piece = (*table)->pieces[p];
      if (absl::Status s = Add(
              Shader::kEmbed,
              {n, width, first, (*table)->cols, piece.row_begin, piece.row_end},
              {float(r[0])}, {&b[1]}, *table, Ceil(n * width, kGroupSize), p);
          !s.ok())
        return s;
    }
    return absl::OkStatus();
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
    return Add(Shader::kRmsNorm, {i[1], *w ? i[2] : 0, 1, i[0]}, {float(r[0])},
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
    const int64_t n = i[0], heads = i[1], in_h = i[2], out = i[3];
    if ((*w)->cols != in_h || (*w)->rows != heads * out)
      return absl::InvalidArgumentError("a head-major matrix of another shape");
    if ((*w)->pieces.size() > 1)
      return absl::UnimplementedError(
          "not supported yet: a head-major matrix split over buffers");
    return Add(Shader::kMatmul,
               {n, in_h, out, heads, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0.0f},
               {&b[0], &b[1]}, *w, MatmulGroups(out));
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
    return Add(Shader::kAttnScores, {i[0], i[1], i[2], i[3], i[4], i[5]},
               {float(r[0])}, {&b[0], &b[1], &b[2]}, nullptr,
               Ceil(i[0] * i[1] * i[4], kGroupSize));
  case Kernel::kAttnValues:
    return Add(Shader::kAttnValues, {i[0], i[1], i[2], i[3], i[4], i[5], i[6]},
               {}, {&b[0], &b[1], &b[2]}, nullptr,
               Ceil(i[0] * i[1] * i[6], kGroupSize));
  case Kernel::kAttention: {
    if (i[6] > int64_t(8 * kGroupSize))
      return absl::UnimplementedError(
          "not supported yet: value heads wider than 512 on vulkan");
    if (i[5] <= 0 || i[1] % i[5] != 0)
      return absl::InvalidArgumentError(
          "an attention geometry without whole query groups");
    return Add(Shader::kAttention,
               {i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]},
               {float(r[0]), float(r[1])}, {&b[0], &b[1], &b[2], &b[4]},
               nullptr, uint32_t(i[0] * i[1]));
  }
  case Kernel::kWindowMask:
    return Add(Shader::kWindowMask, {i[0], i[1], i[2], i[3]}, {},
               {&b[0], &b[2]}, nullptr, Ceil(i[0] * i[1] * i[2], kGroupSize));
  case Kernel::kSoftmax:
    return Add(Shader::kSoftmax, {i[1], i[0]}, {}, {&b[0], &b[1]}, nullptr,
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
    const int64_t n = i[0], in = i[1], out = i[2], width = i[3];
    if (absl::Status s = AddNorm(b[0], b[2], n * in / width, width, i[4], *norm,
                                 float(r[0]));
        !s.ok())
      return s;
    return AddMatmul(b[2], b[1], n, in, out, **w, i, 5);
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
          "not supported yet: more than 16 experts per token on vulkan");
    // Scratch past the arena: expert ids and weights [n, k], then the
    // experts' hidden activations [n * k, ff].
    const plan::Buffer ids{-1, scratch_base_, n * k},
        routed{-1, scratch_base_ + n * k, n * k},
        hidden{-1, scratch_base_ + 2 * n * k, n * k * ff};
    scratch_elements = std::max(scratch_elements, 2 * n * k + n * k * ff);
    const std::vector<int64_t> shape = {n, d, experts, ff, k};
    if (absl::Status s =
            Add(Shader::kMoeRoute, {n, experts, k}, {}, {&b[1], &ids, &routed},
                *scale, Ceil(n, kGroupSize));
        !s.ok())
      return s;
    if (absl::Status s = Add(Shader::kMoeUp, shape, {}, {&b[0], &ids, &hidden},
                             *gate_up, MatmulGroups(n * k * ff));
        !s.ok())
      return s;
    return Add(Shader::kMoeDown, shape, {}, {&hidden, &ids, &routed, &b[2]},
               *down, MatmulGroups(n * d));
  }
  }
  return absl::InvalidArgumentError("unknown kernel");
}

} // namespace

absl::StatusOr<LoweredProgram> LowerProgram(Device &device,
                                            const WeightStore &weights,
                                            const plan::Program &program) {
  Lowering lowering(device, weights, program);
  for (size_t c = 0; c < program.calls.size(); ++c)
    if (absl::Status s = lowering.Lower(program.calls[c]); !s.ok())
      return absl::Status(s.code(),
                          fmt::format("{}: call {} ({}): {}", program.name, c,
                                      plan::KernelName(program.calls[c].kernel),
                                      std::string(s.message())));
  LoweredProgram lowered;
  lowered.dispatches = std::move(lowering.dispatches);
  lowered.params = std::move(lowering.params);
  lowered.vocab = lowering.vocab;
  lowered.arena_elements = lowering.arena_elements();
  for (const plan::Buffer &out : program.outputs)
    if (out.arg < 0) {
      lowered.output = out;
      break;
    }
  const int64_t rows = program.arg_elements[0];
  if (lowered.output && rows > 0 && lowered.output->elements % rows == 0) {
    lowered.chosen = {-1, (lowered.arena_elements + 3) / 4 * 4, rows};
    lowered.arena_elements = lowered.chosen.offset + rows;
    absl::StatusOr<Dispatch> argmax = lowering.Argmax(
        *lowered.output, lowered.chosen, rows, lowered.output->elements / rows);
    if (!argmax.ok())
      return argmax.status();
    lowered.argmax = *argmax;
  }
  return lowered;
}

} // namespace gemma::vulkan
