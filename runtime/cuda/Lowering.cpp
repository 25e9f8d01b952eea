//===- Lowering.cpp - Plan calls as CUDA kernel launches ------------------===//

#include "runtime/cuda/Lowering.h"

#include "runtime/gpu/RopeTables.h"
#include "runtime/plan/LowerCalls.h"
#include "runtime/weights/codecs/Decode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>

namespace gemma::cuda {

namespace {

using plan::Call;
using plan::Kernel;

// Threads per block: 8 warps, one output row each, for the matmuls; the
// fused attention's chunk of positions; everything else 256.
constexpr int32_t kBlock = 256;
constexpr int32_t kAttentionBlock = 128;
constexpr int32_t kRowsPerMatmulBlock = kBlock / 32;

uint32_t Ceil(int64_t n, int64_t d) { return uint32_t((n + d - 1) / d); }

// Lowers one program's calls to launches (the Sink of lower::LowerCall).
class Lowering {
public:
  using Weight = Stored;

  Lowering(const WeightTable &weights, const plan::Program &program)
      : weights_(weights),
        scratch_base_((program.arena_elements + 63) / 64 * 64) {}

  absl::Status Lower(const Call &call) {
    call_ = call.kernel;
    const size_t before = out.launches.size();
    if (absl::Status s = lower::LowerCall(call, *this); !s.ok())
      return s;
    if (out.launches.size() > before) {
      PendingLaunch &first = out.launches[before];
      first.first = true;
      first.weight_bytes = CallWeightBytes(
          call, [&](const std::string &name) { return Find(name); });
    }
    return absl::OkStatus();
  }

  LoweredProgram out;
  int64_t scratch_elements = 0;
  int64_t scratch_base() const { return scratch_base_; }

  // The primitives (runtime/plan/LowerCalls.h).
  const Stored *Find(const std::string &name) const {
    auto it = weights_.find(name);
    return it == weights_.end() ? nullptr : &it->second;
  }
  const char *backend() const { return "cuda"; }
  static constexpr lower::Caps kCaps = lower::kGpuCaps;
  float Scalar(const Stored &w) const { return gpu::ScalarOf(w); }

  // (The kernels read ids and positions from the program's arguments.)
  absl::Status Embed(const plan::Buffer & /*ids*/, const plan::Buffer &o,
                     int64_t n, int64_t width, int64_t first, float scale,
                     const Stored &table) {
    out.vocab = out.vocab < 0 ? table.rows : std::min(out.vocab, table.rows);
    return Add(Body::kEmbed, {n, width, first, table.cols}, {scale}, {&o},
               &table, Ceil(n * width, kBlock));
  }

  // (Gate and up each one range at most: kGpuCaps.)
  absl::Status Geglu(const plan::Buffer &x, const plan::Buffer &y,
                     const plan::Buffer & /*scratch*/, int64_t n, int64_t in,
                     int64_t width, const Stored &gate,
                     const std::vector<plan::RowRange> &gate_rows,
                     const Stored &up,
                     const std::vector<plan::RowRange> &up_rows) {
    const int64_t gate_row = gate_rows.empty() ? 0 : gate_rows[0].begin,
                  up_row = up_rows.empty() ? 0 : up_rows[0].begin;
    return Add(Body::kMatmulGeglu, {n, in, width, gate_row, up_row}, {},
               {&x, &y}, &gate, Ceil(width, kRowsPerMatmulBlock), kBlock, &up);
  }

  absl::Status Matmul(const plan::Buffer &x, const plan::Buffer &y,
                      const lower::MatmulShape &s, const Stored &w) {
    return Add(Body::kMatmul, gpu::MatmulInts(s), {s.cap}, {&x, &y}, &w,
               Ceil(s.out, kRowsPerMatmulBlock));
  }

  absl::Status Norm(const plan::Buffer &x, const plan::Buffer &y, int64_t rows,
                    int64_t width, int64_t kind, const Stored *w, float eps,
                    const plan::Buffer *residual, const plan::Buffer *sum) {
    std::vector<const plan::Buffer *> ops = {&x, &y};
    if (residual) {
      ops.push_back(residual);
      ops.push_back(sum);
    }
    return Add(Body::kRmsNorm, {width, kind, residual ? 1 : 0, rows}, {eps},
               ops, w, uint32_t(rows));
  }

  absl::Status Elementwise(int64_t op, int64_t n, float factor,
                           const plan::Buffer &a, const plan::Buffer &b,
                           const plan::Buffer &o) {
    return Add(Body::kElementwise, {op, n}, {factor}, {&a, &b, &o}, nullptr,
               Ceil(n, kBlock));
  }

  absl::Status Rope(const plan::Buffer &x, const plan::Buffer & /*positions*/,
                    const plan::Buffer &y, int64_t n, int64_t heads,
                    int64_t dim, double base, double scale, double fraction) {
    int64_t pairs = 0;
    const int64_t table =
        rope_tables_.Find(base, scale, fraction, dim, out.params, pairs);
    return Add(Body::kRope, {n, heads, dim, pairs, table}, {}, {&x, &y},
               nullptr, Ceil(n * heads * (dim / 2), kBlock));
  }

  absl::Status QkvPost(const plan::Buffer &q, const plan::Buffer &k,
                       const plan::Buffer &v, const plan::Buffer &k_cache,
                       const plan::Buffer &v_cache,
                       const plan::Buffer & /*positions*/,
                       const lower::QkvPostShape &s, const Stored *q_norm,
                       const Stored *k_norm, float eps, double base,
                       double scale, double fraction) {
    int64_t pairs = 0;
    const int64_t table =
        rope_tables_.Find(base, scale, fraction, s.dim, out.params, pairs);
    return Add(Body::kQkvPost,
               {s.n, s.heads, s.dim, s.kh, s.vh, s.vd, s.kind, s.value_norm,
                pairs, table, s.kb, s.ks, s.vb, s.vs},
               {eps}, {&q, &k, &v, &k_cache, &v_cache}, q_norm,
               uint32_t(s.n * (s.heads + s.kh + s.vh)), kAttentionBlock,
               k_norm);
  }

  absl::Status KvWrite(const plan::Buffer &cache, const plan::Buffer &x,
                       const plan::Buffer & /*positions*/, int64_t batch,
                       int64_t slots, int64_t width, int64_t n) {
    return Add(Body::kKvWrite, {batch, slots, width, n}, {}, {&cache, &x},
               nullptr, Ceil(n * width, kBlock));
  }

  absl::Status AttnScores(const plan::Buffer &q, const plan::Buffer &keys,
                          const plan::Buffer &scores,
                          const std::array<int64_t, 6> &i, float scale) {
    return Add(Body::kAttnScores, {i.begin(), i.end()}, {scale},
               {&q, &keys, &scores}, nullptr, Ceil(i[0] * i[1] * i[4], kBlock));
  }

  absl::Status AttnValues(const plan::Buffer &probs, const plan::Buffer &values,
                          const plan::Buffer &o,
                          const std::array<int64_t, 7> &i) {
    return Add(Body::kAttnValues, {i.begin(), i.end()}, {},
               {&probs, &values, &o}, nullptr,
               Ceil(i[0] * i[1] * i[6], kBlock));
  }

  absl::Status Attention(const plan::Buffer &q, const plan::Buffer &keys,
                         const plan::Buffer &values,
                         const plan::Buffer & /*positions*/,
                         const plan::Buffer &o, const std::array<int64_t, 8> &i,
                         float scale, float cap) {
    const int64_t items = i[0] * i[1], slots = i[4], vdim = i[6];
    const int64_t splits = AttentionSplits(items, slots);
    if (splits <= 1)
      return Add(Body::kAttention, {i.begin(), i.end()}, {scale, cap},
                 {&q, &keys, &values, &o}, nullptr, uint32_t(items),
                 kAttentionBlock);
    // Each share's max, denominator and values in scratch past the arena.
    const plan::Buffer parts = Scratch(0, items * splits * (2 + vdim));
    std::vector<int64_t> shape(i.begin(), i.end());
    shape.push_back(splits);
    if (absl::Status s = Add(Body::kAttentionSplit, shape, {scale, cap},
                             {&q, &keys, &values, &parts}, nullptr,
                             uint32_t(items * splits), kAttentionBlock);
        !s.ok())
      return s;
    return Add(Body::kAttentionCombine, shape, {}, {&parts, &o}, nullptr,
               uint32_t(items), kAttentionBlock);
  }

  absl::Status WindowMask(const plan::Buffer &x,
                          const plan::Buffer & /*positions*/,
                          const plan::Buffer &y, int64_t rows, int64_t heads,
                          int64_t slots, int64_t window) {
    return Add(Body::kWindowMask, {rows, heads, slots, window}, {}, {&x, &y},
               nullptr, Ceil(rows * heads * slots, kBlock));
  }

  absl::Status Softmax(const plan::Buffer &x, const plan::Buffer &y,
                       int64_t rows, int64_t width) {
    return Add(Body::kSoftmax, {width, rows}, {}, {&x, &y}, nullptr,
               uint32_t(rows));
  }

  plan::Buffer Scratch(int64_t offset, int64_t elements) {
    scratch_elements = std::max(scratch_elements, offset + elements);
    return {-1, scratch_base_ + offset, elements};
  }

  absl::Status MoeRoute(const plan::Buffer &logits, const plan::Buffer &ids,
                        const plan::Buffer &routed, const lower::MoeShape &s,
                        const Stored &scale) {
    return Add(Body::kMoeRoute, {s.n, s.experts, s.k}, {},
               {&logits, &ids, &routed}, &scale, Ceil(s.n, kBlock));
  }
  absl::Status MoeUp(const plan::Buffer &x, const plan::Buffer &ids,
                     const plan::Buffer &hidden, const lower::MoeShape &s,
                     const Stored &gate_up) {
    return Add(Body::kMoeUp, {s.n, s.d, s.experts, s.ff, s.k}, {},
               {&x, &ids, &hidden}, &gate_up,
               Ceil(s.n * s.k * s.ff, kRowsPerMatmulBlock));
  }
  absl::Status MoeDown(const plan::Buffer &hidden, const plan::Buffer &ids,
                       const plan::Buffer &routed, const plan::Buffer &y,
                       const lower::MoeShape &s, const Stored &down) {
    return Add(Body::kMoeDown, {s.n, s.d, s.experts, s.ff, s.k}, {},
               {&hidden, &ids, &routed, &y}, &down,
               Ceil(s.n * s.d, kRowsPerMatmulBlock));
  }

private:
  // How many shares of the positions decode attention splits into: enough
  // blocks to fill a GPU (about 128) when rows x heads alone are few, each
  // share at least 256 of the cache's slots; 1 (the fused kernel) for
  // prefill and short caches. GEMMA_CUDA_ATTENTION_SPLITS=N forces N (the
  // parity tests use it on their short caches).
  static int64_t AttentionSplits(int64_t items, int64_t slots) {
    if (const char *v = std::getenv("GEMMA_CUDA_ATTENTION_SPLITS"); v && *v)
      return std::clamp<int64_t>(std::atoll(v), 1, 64);
    const int64_t want = (128 + items - 1) / items;
    const int64_t most = (slots + 255) / 256;
    return std::clamp<int64_t>(std::min(want, most), 1, 64);
  }

  absl::Status Add(Body body, std::vector<int64_t> ints,
                   std::vector<float> floats,
                   std::vector<const plan::Buffer *> ops, const Stored *w,
                   uint32_t blocks, int32_t block = kBlock,
                   const Stored *w2 = nullptr) {
    KernelShape shape;
    shape.body = body;
    shape.block = block;
    if (ints.size() > shape.ints.size() || floats.size() > shape.floats.size())
      return absl::InternalError("too many kernel constants");
    for (size_t i = 0; i < ints.size(); ++i) {
      if (ints[i] < INT32_MIN || ints[i] > INT32_MAX)
        return absl::UnimplementedError(
            fmt::format("not supported yet: a {} shape past 32 bits ({})",
                        BodyName(body), ints[i]));
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
    if (w2) {
      launch.weight2 = w2->pointer;
      launch.wscale2 = w2->scale;
    }
    auto [it, fresh] = shape_index_.emplace(shape, uint32_t(out.shapes.size()));
    if (fresh)
      out.shapes.push_back(shape);
    launch.kernel = it->second;
    launch.blocks = blocks;
    launch.call = call_;
    if (blocks > 0)
      out.launches.push_back(std::move(launch));
    return absl::OkStatus();
  }

  const WeightTable &weights_;
  Kernel call_ = Kernel::kEmbed;
  int64_t scratch_base_ = 0;
  std::map<KernelShape, uint32_t> shape_index_;
  gpu::RopeTables rope_tables_;
};

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
