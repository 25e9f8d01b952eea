//===- Lowering.cpp - Plan calls as Vulkan dispatches ---------------------===//

#include "runtime/vulkan/Lowering.h"

#include "runtime/gpu/RopeTables.h"
#include "runtime/plan/LowerCalls.h"
#include "runtime/weights/codecs/Decode.h"

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
// Lowers one program's calls to dispatches (the Sink of lower::LowerCall).
class Lowering {
public:
  using Weight = Stored;

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
    if (absl::Status s = lower::LowerCall(call, *this); !s.ok())
      return s;
    if (dispatches.size() > before) {
      dispatches[before].first = true;
      dispatches[before].weight_bytes = CallWeightBytes(
          call, [&](const std::string &name) { return weights_.Find(name); });
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
      spec[2] = uint32_t(w->wtype);
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

public:
  // The primitives (runtime/plan/LowerCalls.h).
  const Stored *Find(const std::string &name) const {
    return weights_.Find(name);
  }
  const char *backend() const { return "vulkan"; }
  static constexpr lower::Caps kCaps = lower::kGpuCaps;
  float Scalar(const Stored &w) const { return gpu::ScalarOf(w); }

  // (The shaders read ids and positions from the program's arguments.)
  absl::Status Embed(const plan::Buffer & /*ids*/, const plan::Buffer &out,
                     int64_t n, int64_t width, int64_t first, float scale,
                     const Stored &table) {
    vocab = vocab < 0 ? table.rows : std::min(vocab, table.rows);
    // One dispatch per piece of a split table; each embeds the ids that
    // fall in its rows.
    for (size_t p = 0; p < table.pieces.size(); ++p) {
      const Stored::Piece &piece = table.pieces[p];
      if (absl::Status s =
              Add(Shader::kEmbed,
                  {n, width, first, table.cols, piece.row_begin, piece.row_end},
                  {scale}, {&out}, &table, Ceil(n * width, kGroupSize), p);
          !s.ok())
        return s;
    }
    return absl::OkStatus();
  }

  absl::Status Matmul(const plan::Buffer &x, const plan::Buffer &y,
                      const lower::MatmulShape &m, const Stored &w) {
    const std::vector<int64_t> s = gpu::MatmulInts(m);
    if (w.pieces.size() == 1)
      return Add(Shader::kMatmul, s, {m.cap}, {&x, &y}, &w,
                 MatmulGroups(m.out));
    // A table split over several buffers (the logits): one dispatch per
    // piece, each writing its columns of y's rows.
    if (m.heads > 0)
      return absl::UnimplementedError(
          "not supported yet: a head-major matrix split over buffers");
    if (!m.rows.empty())
      return absl::UnimplementedError(
          "not supported yet: row ranges of a weight split over buffers");
    for (size_t p = 0; p < w.pieces.size(); ++p) {
      const Stored::Piece &piece = w.pieces[p];
      const int64_t rows = std::min(piece.row_end, m.out) - piece.row_begin;
      if (rows <= 0)
        break;
      std::vector<int64_t> part = s;
      part[2] = rows;
      part[13] = m.out; // I13: y's row stride
      if (absl::Status st =
              Add(Shader::kMatmul, part, {m.cap}, {&x, &y}, &w,
                  MatmulGroups(rows), p, uint32_t(piece.row_begin));
          !st.ok())
        return st;
    }
    return absl::OkStatus();
  }

  absl::Status Norm(const plan::Buffer &x, const plan::Buffer &y, int64_t rows,
                    int64_t width, int64_t kind, const Stored *w, float eps,
                    const plan::Buffer *residual, const plan::Buffer *sum) {
    std::vector<const plan::Buffer *> ops = {&x, &y};
    if (residual) {
      ops.push_back(residual);
      ops.push_back(sum);
    }
    return Add(Shader::kRmsNorm, {width, kind, residual ? 1 : 0, rows}, {eps},
               ops, w, uint32_t(rows));
  }

  absl::Status Elementwise(int64_t op, int64_t n, float factor,
                           const plan::Buffer &a, const plan::Buffer &b,
                           const plan::Buffer &out) {
    return Add(Shader::kElementwise, {op, n}, {factor}, {&a, &b, &out}, nullptr,
               Ceil(n, kGroupSize));
  }

  absl::Status Rope(const plan::Buffer &x, const plan::Buffer & /*positions*/,
                    const plan::Buffer &y, int64_t n, int64_t heads,
                    int64_t dim, double base, double scale, double fraction) {
    int64_t pairs = 0;
    const int64_t table =
        rope_tables_.Find(base, scale, fraction, dim, params, pairs);
    return Add(Shader::kRope, {n, heads, dim, pairs, table}, {}, {&x, &y},
               nullptr, Ceil(n * heads * (dim / 2), kGroupSize));
  }

  absl::Status KvWrite(const plan::Buffer &cache, const plan::Buffer &x,
                       const plan::Buffer & /*positions*/, int64_t batch,
                       int64_t slots, int64_t width, int64_t n) {
    return Add(Shader::kKvWrite, {batch, slots, width, n}, {}, {&cache, &x},
               nullptr, Ceil(n * width, kGroupSize));
  }

  absl::Status AttnScores(const plan::Buffer &q, const plan::Buffer &keys,
                          const plan::Buffer &scores,
                          const std::array<int64_t, 6> &i, float scale) {
    return Add(Shader::kAttnScores, {i.begin(), i.end()}, {scale},
               {&q, &keys, &scores}, nullptr,
               Ceil(i[0] * i[1] * i[4], kGroupSize));
  }

  absl::Status AttnValues(const plan::Buffer &probs, const plan::Buffer &values,
                          const plan::Buffer &out,
                          const std::array<int64_t, 7> &i) {
    return Add(Shader::kAttnValues, {i.begin(), i.end()}, {},
               {&probs, &values, &out}, nullptr,
               Ceil(i[0] * i[1] * i[6], kGroupSize));
  }

  absl::Status Attention(const plan::Buffer &q, const plan::Buffer &keys,
                         const plan::Buffer &values,
                         const plan::Buffer & /*positions*/,
                         const plan::Buffer &out,
                         const std::array<int64_t, 8> &i, float scale,
                         float cap) {
    return Add(Shader::kAttention, {i.begin(), i.end()}, {scale, cap},
               {&q, &keys, &values, &out}, nullptr, uint32_t(i[0] * i[1]));
  }

  absl::Status WindowMask(const plan::Buffer &x,
                          const plan::Buffer & /*positions*/,
                          const plan::Buffer &y, int64_t rows, int64_t heads,
                          int64_t slots, int64_t window) {
    return Add(Shader::kWindowMask, {rows, heads, slots, window}, {}, {&x, &y},
               nullptr, Ceil(rows * heads * slots, kGroupSize));
  }

  absl::Status Softmax(const plan::Buffer &x, const plan::Buffer &y,
                       int64_t rows, int64_t width) {
    return Add(Shader::kSoftmax, {width, rows}, {}, {&x, &y}, nullptr,
               uint32_t(rows));
  }

  plan::Buffer Scratch(int64_t offset, int64_t elements) {
    scratch_elements = std::max(scratch_elements, offset + elements);
    return {-1, scratch_base_ + offset, elements};
  }

  absl::Status MoeRoute(const plan::Buffer &logits, const plan::Buffer &ids,
                        const plan::Buffer &routed, const lower::MoeShape &m,
                        const Stored &scale) {
    return Add(Shader::kMoeRoute, {m.n, m.experts, m.k}, {},
               {&logits, &ids, &routed}, &scale, Ceil(m.n, kGroupSize));
  }
  absl::Status MoeUp(const plan::Buffer &x, const plan::Buffer &ids,
                     const plan::Buffer &hidden, const lower::MoeShape &m,
                     const Stored &gate_up) {
    return Add(Shader::kMoeUp, {m.n, m.d, m.experts, m.ff, m.k}, {},
               {&x, &ids, &hidden}, &gate_up, MatmulGroups(m.n * m.k * m.ff));
  }
  absl::Status MoeDown(const plan::Buffer &hidden, const plan::Buffer &ids,
                       const plan::Buffer &routed, const plan::Buffer &y,
                       const lower::MoeShape &m, const Stored &down) {
    return Add(Shader::kMoeDown, {m.n, m.d, m.experts, m.ff, m.k}, {},
               {&hidden, &ids, &routed, &y}, &down, MatmulGroups(m.n * m.d));
  }

private:
  Device &device_;
  const WeightStore &weights_;
  Kernel kernel_ = Kernel::kEmbed;
  int64_t scratch_base_ = 0;
  std::vector<int64_t> cache_offsets_;
  gpu::RopeTables rope_tables_;
};

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
