//===- VulkanBackend.cpp - Plan programs on a Vulkan device ---------------===//

#include "runtime/vulkan/VulkanBackend.h"

#include "compiler/import/codecs/Decode.h"
#include "compiler/import/codecs/Sfp.h"
#include "runtime/vulkan/VulkanDevice.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>

namespace gemma::vulkan {
namespace {

using plan::Call;
using plan::Kernel;

constexpr uint32_t kGroupSize = 64;
constexpr uint32_t kLutWords = 256; // the SFP table at the weights' start

// A weight in the device's weight buffer.
struct Stored {
  StoredType type = StoredType::kUnknown;
  int64_t rows = 0, cols = 0;
  float scale = 1.0f;
  uint32_t wtype = 0;               // the shaders' WTYPE
  std::vector<uint8_t> host_scalar; // the bytes of a [1, 1] tensor
  // Rows [row_begin, row_end) at `word` (32-bit words) of weight buffer
  // `chunk`: one piece, unless the tensor is larger than one buffer can
  // bind (an embedding table on lavapipe).
  struct Piece {
    uint32_t chunk = 0;
    uint64_t word = 0;
    int64_t row_begin = 0, row_end = 0;
  };
  std::vector<Piece> pieces;
};

// The shaders' WTYPE of a stored type (kernels/vulkan/common.glsl's W).
absl::StatusOr<uint32_t> ShaderType(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 0u;
  case StoredType::kBF16:
    return 1u;
  case StoredType::kSFP:
    return 2u;
  case StoredType::kNUQ:
    return 3u;
  case StoredType::kI8:
    return 4u;
  case StoredType::kF16:
    return 5u;
  case StoredType::kQ4_0:
    return 6u;
  case StoredType::kQ4_1:
    return 7u;
  case StoredType::kQ5_0:
    return 8u;
  case StoredType::kQ5_1:
    return 9u;
  case StoredType::kQ8_0:
    return 10u;
  case StoredType::kQ2_K:
    return 11u;
  case StoredType::kQ3_K:
    return 12u;
  case StoredType::kQ4_K:
    return 13u;
  case StoredType::kQ5_K:
    return 14u;
  case StoredType::kQ6_K:
    return 15u;
  default:
    return absl::UnimplementedError(
        fmt::format("{} weights cannot be read by the vulkan backend",
                    StoredTypeName(type)));
  }
}

// Every weight any program has asked for, in device buffers ("chunks") no
// larger than the device's storage-buffer range (lavapipe's is 128 MiB),
// each starting with the SFP table. New weights go to new chunks; nothing
// already uploaded moves.
class WeightStore {
public:
  explicit WeightStore(Device &device) : device_(device) {}

  absl::Status Ensure(const std::vector<std::string> &names,
                      const WeightSource &source) {
    const uint64_t limit =
        std::min<uint64_t>(device_.max_storage_range(), uint64_t(1) << 30);
    std::vector<std::pair<std::string, StoredTensor>> fresh;
    for (const std::string &name : names) {
      if (name.empty() || stored_.contains(name) ||
          std::any_of(fresh.begin(), fresh.end(),
                      [&](const auto &f) { return f.first == name; }))
        continue;
      absl::StatusOr<StoredTensor> t = source(name);
      if (!t.ok())
        return t.status();
      absl::StatusOr<uint32_t> wtype = ShaderType(t->type);
      if (!wtype.ok())
        return absl::Status(wtype.status().code(),
                            fmt::format("weight '{}': {}", name,
                                        std::string(wtype.status().message())));
      Stored st;
      st.type = t->type;
      st.rows = t->rows;
      st.cols = t->cols;
      st.scale = t->scale;
      st.wtype = *wtype;
      if (t->rows * t->cols == 1)
        st.host_scalar.assign(t->bytes.begin(), t->bytes.end());
      // Rows per piece: as many as fit one buffer after the SFP table.
      const uint64_t row_bytes = PackedBytes(t->type, uint64_t(t->cols));
      const uint64_t room = limit - kLutWords * 4 - 16;
      const int64_t per_piece =
          int64_t(room / std::max<uint64_t>(row_bytes, 1));
      if (per_piece < 1 ||
          (per_piece < t->rows &&
           (t->type == StoredType::kNUQ || t->type == StoredType::kI8)))
        return absl::UnimplementedError(fmt::format(
            "not supported yet: weight '{}' ({:.1f} MB) is larger than this "
            "device's largest storage buffer ({:.1f} MB)",
            name, double(t->bytes.size()) / 1e6, double(limit) / 1e6));
      for (int64_t r = 0; r < t->rows; r += per_piece)
        st.pieces.push_back({0, 0, r, std::min(t->rows, r + per_piece)});
      stored_[name] = std::move(st);
      fresh.emplace_back(name, *t);
    }
    if (fresh.empty() && !chunks_.empty())
      return absl::OkStatus();
    // Pack the new pieces into new buffers, in order.
    std::vector<uint64_t> chunk_words;
    uint64_t words = kLutWords;
    const uint32_t first_chunk = uint32_t(chunks_.size());
    for (const auto &[name, t] : fresh) {
      Stored &st = stored_[name];
      const uint64_t row_bytes = PackedBytes(t.type, uint64_t(t.cols));
      for (Stored::Piece &piece : st.pieces) {
        const uint64_t bytes =
            row_bytes * uint64_t(piece.row_end - piece.row_begin);
        const uint64_t need = (bytes + 15) / 16 * 4;
        if ((words + need) * 4 > limit) {
          chunk_words.push_back(words);
          words = kLutWords;
        }
        piece.chunk = first_chunk + uint32_t(chunk_words.size());
        piece.word = words;
        words += need;
      }
    }
    chunk_words.push_back(words);
    uint32_t lut[kLutWords];
    for (uint32_t code = 0; code < kLutWords; ++code) {
      const float v = SfpDecode(uint8_t(code));
      std::memcpy(&lut[code], &v, 4);
    }
    for (uint64_t size : chunk_words) {
      absl::StatusOr<std::unique_ptr<Buffer>> chunk =
          device_.NewBuffer(size * 4, false);
      if (!chunk.ok())
        return chunk.status();
      if (absl::Status s = device_.Upload(**chunk, 0, lut, sizeof(lut));
          !s.ok())
        return s;
      chunks_.push_back(*std::move(chunk));
    }
    for (const auto &[name, t] : fresh) {
      const Stored &st = stored_[name];
      const uint64_t row_bytes = PackedBytes(t.type, uint64_t(t.cols));
      for (const Stored::Piece &piece : st.pieces)
        if (absl::Status s = device_.Upload(
                *chunks_[piece.chunk], piece.word * 4,
                t.bytes.data() + uint64_t(piece.row_begin) * row_bytes,
                uint64_t(piece.row_end - piece.row_begin) * row_bytes);
            !s.ok())
          return s;
    }
    return absl::OkStatus();
  }

  const Stored *Find(const std::string &name) const {
    auto it = stored_.find(name);
    return it == stored_.end() ? nullptr : &it->second;
  }
  size_t chunks() const { return chunks_.size(); }
  const Buffer *chunk(size_t i) const { return chunks_[i].get(); }

private:
  Device &device_;
  std::map<std::string, Stored> stored_;
  std::vector<std::unique_ptr<Buffer>> chunks_;
};

// Per plan kernel, while profiling is on: calls, device seconds (from
// timestamps around each dispatch) and the weight bytes the calls read.
struct KernelTimes {
  std::array<uint64_t, plan::kKernelCount> calls{};
  std::array<double, plan::kKernelCount> seconds{};
  std::array<uint64_t, plan::kKernelCount> weight_bytes{};
};

struct VulkanCaches : KvCaches {
  uint64_t id = 0;
  std::vector<int64_t> elements;
  std::unique_ptr<Buffer> buffer;
};

struct PushConstants {
  uint32_t off[6] = {};
  uint32_t wbase = 0;
  float wscale = 1.0f;
};

struct Dispatch {
  VkPipeline pipeline = VK_NULL_HANDLE;
  PushConstants push;
  uint32_t groups = 0;
  uint32_t chunk = 0;             // the weight buffer bound while it runs
  Kernel kernel = Kernel::kEmbed; // the plan call it belongs to (--profile)
  bool first = false;             // the call's first dispatch
  uint64_t weight_bytes = 0;      // what the call reads (on `first`)
};

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
    int64_t selected = 0, end = out;
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t b = r < count ? ints[at + 1 + 2 * r] : 0;
      const int64_t e = r < count ? ints[at + 2 + 2 * r] : 0;
      s.push_back(b);
      s.push_back(e);
      selected += e - b;
      end = r == 0 && count > 0 ? e : std::max(end, e);
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

class VulkanProgram : public BackendProgram {
public:
  static absl::StatusOr<std::unique_ptr<VulkanProgram>>
  Create(Device &device, WeightStore &weights, const plan::Program &program,
         KernelTimes *const &profile) {
    std::unique_ptr<VulkanProgram> p(
        new VulkanProgram(device, weights, profile));
    Lowering lowering(device, weights, program);
    for (size_t c = 0; c < program.calls.size(); ++c)
      if (absl::Status s = lowering.Lower(program.calls[c]); !s.ok())
        return absl::Status(
            s.code(), fmt::format("{}: call {} ({}): {}", program.name, c,
                                  plan::KernelName(program.calls[c].kernel),
                                  std::string(s.message())));
    p->dispatches_ = std::move(lowering.dispatches);
    p->vocab_ = lowering.vocab;
    p->arg_elements_ = program.arg_elements;
    for (const plan::Buffer &out : program.outputs)
      if (out.arg < 0) {
        p->output_ = out;
        p->has_output_ = true;
        break;
      }
    int64_t arena = lowering.arena_elements();
    if (p->has_output_ && program.arg_elements[0] > 0 &&
        p->output_.elements % program.arg_elements[0] == 0) {
      const int64_t rows = program.arg_elements[0];
      p->chosen_ = {-1, (arena + 3) / 4 * 4, rows};
      arena = p->chosen_.offset + rows;
      absl::StatusOr<Dispatch> argmax = lowering.Argmax(
          p->output_, p->chosen_, rows, p->output_.elements / rows);
      if (!argmax.ok())
        return argmax.status();
      p->argmax_ = *argmax;
      p->has_argmax_ = true;
    }
    auto buffer = [&](int64_t elements, bool host) {
      return device.NewBuffer(uint64_t(std::max<int64_t>(elements, 1)) * 4,
                              host, true);
    };
    std::vector<float> params = lowering.params;
    if (params.empty())
      params.push_back(0.0f);
    for (auto [slot, elements, host] :
         {std::tuple(&p->arena_, arena, false),
          std::tuple(&p->ids_, program.arg_elements[0], true),
          std::tuple(&p->positions_, program.arg_elements[1], true),
          std::tuple(&p->params_, int64_t(params.size()), false),
          std::tuple(&p->readback_,
                     p->has_output_ ? p->output_.elements : int64_t(1), true),
          std::tuple(&p->chosen_readback_, program.arg_elements[0], true)}) {
      absl::StatusOr<std::unique_ptr<Buffer>> made = buffer(elements, host);
      if (!made.ok())
        return made.status();
      *slot = *std::move(made);
    }
    if (absl::Status s =
            device.Upload(*p->params_, 0, params.data(), params.size() * 4);
        !s.ok())
      return s;
    return p;
  }

  ~VulkanProgram() override {
    Forget();
    device_.DestroyQueryPool(queries_);
  }

  absl::StatusOr<std::vector<float>> Run(std::span<const int32_t> ids,
                                         std::span<const int32_t> positions,
                                         KvCaches &kv) override {
    if (absl::Status s = Execute(ids, positions, kv, false); !s.ok())
      return s;
    if (!has_output_)
      return std::vector<float>();
    const float *data = static_cast<const float *>(readback_->mapped());
    return std::vector<float>(data, data + output_.elements);
  }

  absl::StatusOr<std::vector<int32_t>>
  RunArgmax(std::span<const int32_t> ids, std::span<const int32_t> positions,
            KvCaches &kv) override {
    if (!has_argmax_)
      return BackendProgram::RunArgmax(ids, positions, kv);
    if (absl::Status s = Execute(ids, positions, kv, true); !s.ok())
      return s;
    const int32_t *data =
        static_cast<const int32_t *>(chosen_readback_->mapped());
    return std::vector<int32_t>(data, data + chosen_.elements);
  }

  // Writes ids and positions, (re)records when the caches or profiling
  // changed, submits and waits.
  absl::Status Execute(std::span<const int32_t> ids,
                       std::span<const int32_t> positions, KvCaches &kv,
                       bool argmax) {
    auto &caches = static_cast<VulkanCaches &>(kv);
    if (int64_t(ids.size()) != arg_elements_[0] ||
        int64_t(positions.size()) != arg_elements_[1])
      return absl::InvalidArgumentError(
          fmt::format("{} ids and {} positions for a program of {}", ids.size(),
                      positions.size(), arg_elements_[0]));
    if (!std::equal(arg_elements_.begin() + 2, arg_elements_.end(),
                    caches.elements.begin(), caches.elements.end()))
      return absl::InvalidArgumentError(
          "KV caches of another layout than the program's");
    for (int32_t id : ids)
      if (id < 0 || (vocab_ >= 0 && id >= vocab_))
        return absl::OutOfRangeError(fmt::format(
            "token id {} is outside the vocabulary of {}", id, vocab_));
    std::memcpy(ids_->mapped(), ids.data(), ids.size() * 4);
    std::memcpy(positions_->mapped(), positions.data(), positions.size() * 4);
    const bool timed = profile_ != nullptr && device_.timestamp_period() > 0;
    Recording &rec = recordings_[argmax ? 1 : 0];
    if (rec.caches != caches.id || rec.timed != timed || !rec.cb)
      if (absl::Status s = Record(rec, caches, timed, argmax); !s.ok())
        return s;
    if (absl::Status s = device_.Run(rec.cb); !s.ok())
      return s;
    if (timed) {
      std::vector<uint64_t> ticks;
      const size_t count = dispatches_.size() + (argmax ? 1 : 0);
      if (absl::Status s =
              device_.ReadTimestamps(queries_, uint32_t(count + 1), ticks);
          !s.ok())
        return s;
      for (size_t d = 0; d < count; ++d) {
        const Dispatch &dispatch =
            d < dispatches_.size() ? dispatches_[d] : argmax_;
        const size_t k = static_cast<size_t>(dispatch.kernel);
        profile_->seconds[k] +=
            double(ticks[d + 1] - ticks[d]) * device_.timestamp_period();
        if (dispatch.first) {
          ++profile_->calls[k];
          profile_->weight_bytes[k] += dispatch.weight_bytes;
        }
      }
    }
    return absl::OkStatus();
  }

private:
  VulkanProgram(Device &device, WeightStore &weights,
                KernelTimes *const &profile)
      : device_(device), weights_(weights), profile_(profile) {}

  // One recorded command buffer per mode (logits back, or the device's
  // greedy pick) and the cache set and profiling it was recorded for.
  struct Recording {
    VkCommandBuffer cb = VK_NULL_HANDLE;
    std::vector<VkDescriptorSet> sets;
    uint64_t caches = 0;
    bool timed = false;
  };

  void Forget(Recording &rec) {
    if (rec.cb)
      device_.FreeCommandBuffer(rec.cb);
    rec.cb = VK_NULL_HANDLE;
    device_.FreeDescriptorSets(rec.sets);
    rec.sets.clear();
  }
  void Forget() {
    for (Recording &rec : recordings_)
      Forget(rec);
  }

  // Records every dispatch, with a barrier after each, and the copy of the
  // result into the host-visible readback buffer. One descriptor set per
  // weight chunk, bound when the chunk changes.
  absl::Status Record(Recording &rec, const VulkanCaches &caches, bool timed,
                      bool argmax) {
    Forget(rec);
    if (timed && !queries_)
      queries_ = device_.NewQueryPool(uint32_t(dispatches_.size() + 2));
    timed = timed && queries_;
    std::vector<VkDescriptorSet> &sets_ = rec.sets;
    for (size_t c = 0; c < weights_.chunks(); ++c) {
      absl::StatusOr<VkDescriptorSet> set = device_.NewDescriptorSet(
          {arena_.get(), ids_.get(), positions_.get(), weights_.chunk(c),
           caches.buffer.get(), params_.get()});
      if (!set.ok())
        return set.status();
      sets_.push_back(*set);
    }
    absl::StatusOr<VkCommandBuffer> cb = device_.NewCommandBuffer();
    if (!cb.ok())
      return cb.status();
    rec.cb = *cb;
    VkMemoryBarrier barrier{};
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
                            VK_ACCESS_SHADER_WRITE_BIT |
                            VK_ACCESS_TRANSFER_READ_BIT;
    uint32_t bound = UINT32_MAX;
    if (timed) {
      vkCmdResetQueryPool(*cb, queries_, 0, uint32_t(dispatches_.size() + 2));
      vkCmdWriteTimestamp(*cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_,
                          0);
    }
    uint32_t query = 1;
    std::vector<const Dispatch *> all;
    for (const Dispatch &d : dispatches_)
      all.push_back(&d);
    if (argmax)
      all.push_back(&argmax_);
    for (const Dispatch *dp : all) {
      const Dispatch &d = *dp;
      if (d.chunk != bound) {
        vkCmdBindDescriptorSets(*cb, VK_PIPELINE_BIND_POINT_COMPUTE,
                                device_.pipeline_layout(), 0, 1,
                                &sets_[d.chunk], 0, nullptr);
        bound = d.chunk;
      }
      vkCmdBindPipeline(*cb, VK_PIPELINE_BIND_POINT_COMPUTE, d.pipeline);
      vkCmdPushConstants(*cb, device_.pipeline_layout(),
                         VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PushConstants),
                         &d.push);
      const uint32_t x = std::min<uint32_t>(d.groups, 65535);
      vkCmdDispatch(*cb, x, (d.groups + x - 1) / x, 1);
      vkCmdPipelineBarrier(*cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                           0, 1, &barrier, 0, nullptr, 0, nullptr);
      if (timed)
        vkCmdWriteTimestamp(*cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_,
                            query++);
    }
    if (argmax) {
      VkBufferCopy region{uint64_t(chosen_.offset) * 4, 0,
                          uint64_t(chosen_.elements) * 4};
      vkCmdCopyBuffer(*cb, arena_->handle(), chosen_readback_->handle(), 1,
                      &region);
    } else if (has_output_) {
      VkBufferCopy region{uint64_t(output_.offset) * 4, 0,
                          uint64_t(output_.elements) * 4};
      vkCmdCopyBuffer(*cb, arena_->handle(), readback_->handle(), 1, &region);
    }
    if (VkResult r = vkEndCommandBuffer(*cb); r != VK_SUCCESS)
      return absl::InternalError("vkEndCommandBuffer failed");
    rec.caches = caches.id;
    rec.timed = timed;
    return absl::OkStatus();
  }

  Device &device_;
  WeightStore &weights_;
  std::vector<Dispatch> dispatches_;
  std::vector<int64_t> arg_elements_;
  int64_t vocab_ = -1;
  plan::Buffer output_;
  bool has_output_ = false;
  std::unique_ptr<Buffer> arena_, ids_, positions_, params_, readback_;
  Recording recordings_[2];
  Dispatch argmax_;
  bool has_argmax_ = false;
  plan::Buffer chosen_; // the argmax's ids, in the arena
  std::unique_ptr<Buffer> chosen_readback_;
  KernelTimes *const &profile_;
  VkQueryPool queries_ = VK_NULL_HANDLE;
};

class VulkanBackend : public Backend {
public:
  explicit VulkanBackend(std::unique_ptr<Device> device)
      : device_(std::move(device)), weights_(*device_) {}

  std::string name() const override { return "vulkan"; }
  std::string Describe() const override { return device_->Describe(); }

  std::unique_ptr<KvCaches>
  NewCaches(std::span<const int64_t> elements) override {
    auto caches = std::make_unique<VulkanCaches>();
    caches->id = ++next_caches_id_;
    caches->elements.assign(elements.begin(), elements.end());
    int64_t total = 0;
    for (int64_t n : elements)
      total += n;
    absl::StatusOr<std::unique_ptr<Buffer>> buffer = device_->NewBuffer(
        uint64_t(std::max<int64_t>(total, 1)) * 4, false, true);
    if (!buffer.ok())
      throw std::bad_alloc();
    caches->buffer = *std::move(buffer);
    return caches;
  }

  absl::StatusOr<std::unique_ptr<BackendProgram>>
  Compile(const plan::Program &program, const WeightSource &weights) override {
    if (absl::Status s = plan::ValidateProgram(program); !s.ok())
      return s;
    std::vector<std::string> names;
    for (const Call &call : program.calls)
      names.insert(names.end(), call.weights.begin(), call.weights.end());
    if (absl::Status s = weights_.Ensure(names, weights); !s.ok())
      return absl::Status(s.code(), fmt::format("{}: {}", program.name,
                                                std::string(s.message())));
    absl::StatusOr<std::unique_ptr<VulkanProgram>> bound =
        VulkanProgram::Create(*device_, weights_, program, profiling_);
    if (!bound.ok())
      return bound.status();
    return std::unique_ptr<BackendProgram>(*std::move(bound));
  }

  void SetProfiling(bool on) override {
    profile_ = KernelTimes();
    profiling_ = on ? &profile_ : nullptr;
  }
  std::vector<KernelProfile> Profile() const override {
    return SortedKernelProfiles(profile_.calls, profile_.seconds,
                                profile_.weight_bytes);
  }

private:
  std::unique_ptr<Device> device_;
  WeightStore weights_;
  uint64_t next_caches_id_ = 0;
  KernelTimes profile_;
  KernelTimes *profiling_ = nullptr;
};

} // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateVulkanBackend(int device) {
  absl::StatusOr<std::unique_ptr<Device>> created = Device::Create(device);
  if (!created.ok())
    return created.status();
  return std::unique_ptr<Backend>(
      std::make_unique<VulkanBackend>(*std::move(created)));
}

} // namespace gemma::vulkan
