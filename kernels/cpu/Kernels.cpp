//===- Kernels.cpp - The CPU backend's kernels ----------------------------===//

#include "kernels/cpu/Kernels.h"

#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/GemmBf16.h"
#include "kernels/cpu/GgmlDot.h"
#include "kernels/cpu/SfpVbmi.h"
#include "kernels/cpu/SplitDot.h"
#include "kernels/cpu/Vector.h"
#include "runtime/weights/codecs/Decode.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

namespace gemma::cpu {
namespace {

// A decode buffer per worker thread, reused across kernels.
float *RowBuffer(int64_t cols, int slot = 0) {
  thread_local std::vector<float> buffers[2];
  std::vector<float> &buffer = buffers[slot];
  if (int64_t(buffer.size()) < cols)
    buffer.resize(cols);
  return buffer.data();
}

// A 64-byte aligned buffer of the calling thread (one per `slot`), for
// packed activations.
float *PanelBuffer(int64_t floats, size_t slot) {
  constexpr size_t kAlign = 64; // bytes: the widest vector
  constexpr size_t kSlots = 4;
  thread_local std::vector<float> buffers[kSlots];
  std::vector<float> &buffer = buffers[slot % kSlots];
  if (buffer.size() < size_t(floats) + kAlign / sizeof(float))
    buffer.resize(size_t(floats) + kAlign / sizeof(float));
  const auto at = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<float *>((at + kAlign - 1) / kAlign * kAlign);
}

} // namespace

void WeightView::DecodeRow(int64_t row, float *out) const {
  DecodeRange(type, data, uint64_t(row) * cols, uint64_t(cols), out);
  if (scale != 1.0f)
    for (int64_t i = 0; i < cols; ++i)
      out[i] *= scale;
}

void Embed(const int32_t *ids, int64_t n, const WeightView &table, float scale,
           float *out, int64_t first, int64_t width) {
  if (width < 0)
    width = table.cols - first;
  // A column slice (a Gemma 4 per-layer table) decodes its row whole, then
  // keeps the slice: block types do not decode from arbitrary columns.
  float *full = width == table.cols ? nullptr : RowBuffer(table.cols, 0);
  for (int64_t r = 0; r < n; ++r) {
    float *row = out + r * width;
    if (!full) {
      table.DecodeRow(ids[r], row);
      for (int64_t i = 0; i < width; ++i)
        row[i] *= scale;
      continue;
    }
    table.DecodeRow(ids[r], full);
    for (int64_t i = 0; i < width; ++i)
      row[i] = full[first + i] * scale;
  }
}

void RmsNorm(const float *x, int64_t rows, int64_t width,
             const WeightView *weight, NormKind kind, float epsilon,
             float *out) {
  float *w = RowBuffer(width, 1);
  if (weight)
    weight->DecodeRow(0, w);
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x + r * width;
    float *y = out + r * width;
    const double mean = SumSquares(in, width) / double(width);
    const float inv = float(1.0 / std::sqrt(mean + double(epsilon)));
    switch (kind) {
    case NormKind::kPlusOne:
      for (int64_t i = 0; i < width; ++i)
        y[i] = in[i] * inv * (1.0f + w[i]);
      break;
    case NormKind::kPlain:
      for (int64_t i = 0; i < width; ++i)
        y[i] = in[i] * inv * w[i];
      break;
    case NormKind::kNone:
      for (int64_t i = 0; i < width; ++i)
        y[i] = in[i] * inv;
      break;
    }
  }
}

namespace {

// Weight rows decoded per pass of a prefill matmul: 256 KiB of f32 (within
// L2), then run against every panel of packed activations (Gemm.h).
constexpr int64_t kDecodeFloats = 65536;

int64_t DecodeBlockRows(int64_t cols) {
  return std::max<int64_t>(16, kDecodeFloats / cols);
}

// Decodes `count` consecutive rows from `row` (scale applied) into `out`.
void DecodeRows(const WeightView &w, int64_t row, int64_t count, float *out) {
  DecodeRange(w.type, w.data, uint64_t(row) * w.cols, uint64_t(count * w.cols),
              out);
  if (w.scale != 1.0f)
    for (int64_t i = 0; i < count * w.cols; ++i)
      out[i] *= w.scale;
}

} // namespace

namespace {

// Output index -> weight row through the row ranges (every row when there
// are none), without allocating; each worker walks forward from its chunk.
class RowRuns {
public:
  RowRuns(std::span<const RowRange> ranges, int64_t out)
      : ranges_(ranges), out_(out) {}

  // The weight row of output `o` (non-decreasing across calls) and how many
  // outputs from `o` on read consecutive rows.
  std::pair<int64_t, int64_t> At(int64_t o) {
    if (ranges_.empty())
      return {o, out_ - o};
    while (o >= begin_ + Length(index_))
      begin_ += Length(index_++);
    return {ranges_[index_].begin + (o - begin_), begin_ + Length(index_) - o};
  }

private:
  int64_t Length(size_t i) const { return ranges_[i].end - ranges_[i].begin; }

  std::span<const RowRange> ranges_;
  int64_t out_;
  size_t index_ = 0;
  int64_t begin_ = 0;
};

// x . w for a stored row of f32, bf16, SFP or GGML values.
using StoredDot = float (*)(const float *, const uint8_t *, int64_t);

float DotF32(const float *x, const uint8_t *packed, int64_t n) {
  return Dot(x, reinterpret_cast<const float *>(packed), n);
}

// Four consecutive stored rows against one x.
using StoredDot4 = void (*)(const float *, const uint8_t *, int64_t, int64_t,
                            float *);

// Consecutive stored rows against one x in one call.
using StoredDotRows = void (*)(const float *, const uint8_t *, int64_t, int64_t,
                               int64_t, float *);

// How a matvec reads a stored row without a decoded copy.
struct RowDot {
  StoredDot dot = nullptr;   // null: this type is decoded first
  StoredDot4 dot4 = nullptr; // null: one row at a time
  // Puts activations in the order `dot` reads them (null: as they are).
  void (*order)(const float *, int64_t, float *) = nullptr;
  StoredDotRows rows = nullptr; // null: dot4 and dot, called per rows
  // Floats `order` writes per activation (2: the three bf16 planes of
  // SplitActivations, rounded up).
  int64_t ordered_width = 1;
};

// The split-activation dots (SplitDot.h) in RowDot's shapes: the ordered
// activations are the bf16 planes.
void SplitOrder(const float *x, int64_t n, float *out) {
  SplitActivations(x, n, reinterpret_cast<uint16_t *>(out));
}
template <void (*Rows)(const uint16_t *, const uint8_t *, int64_t, int64_t,
                       int64_t, float *)>
struct SplitRowDot {
  static void RowsOf(const float *x, const uint8_t *rows, int64_t row_bytes,
                     int64_t n, int64_t count, float *out) {
    Rows(reinterpret_cast<const uint16_t *>(x), rows, row_bytes, n, count, out);
  }
  static void Four(const float *x, const uint8_t *rows, int64_t row_bytes,
                   int64_t n, float *out) {
    RowsOf(x, rows, row_bytes, n, 4, out);
  }
  static float One(const float *x, const uint8_t *row, int64_t n) {
    float out;
    RowsOf(x, row, 0, n, 1, &out);
    return out;
  }
  static RowDot Get() { return {One, Four, SplitOrder, RowsOf, 2}; }
};

// Where the CPU has AVX512-BF16 and the vector dispatch runs AVX-512 (tests
// force lower targets to check the f32 dots through the same matmuls).
bool UseSplitDot() { return SplitDotSupported() && VectorTargetIsAvx512(); }

// SFP by byte-table lookups where the CPU has VBMI and the vector dispatch
// runs AVX-512 (tests force lower targets to check the arithmetic decoder).
bool UseSfpVbmi() { return SfpVbmiSupported() && VectorTargetIsAvx512(); }

// Rows of `in` values of `type`: block types are read in place only when a
// row is whole blocks (always so in a GGUF file; a flat block tensor viewed
// with other rows is decoded).
RowDot RowDotFor(StoredType type, int64_t in) {
  if (IsGgmlType(type) && in % int64_t(BlockElements(type)) != 0)
    return {};
  switch (type) {
  case StoredType::kSFP:
    // Byte-table decoding where the CPU has VBMI and the vector dispatch
    // runs AVX-512 (tests force lower targets to check the other path).
    if (UseSfpVbmi())
      return {DotSfpVbmi, DotSfp4Vbmi, SfpVbmiActivationOrder};
    return {DotSfp, DotSfp4, SfpActivationOrder};
  case StoredType::kBF16:
    return {DotBf16, DotBf16x4, nullptr};
  case StoredType::kF32:
    return {DotF32, nullptr, nullptr};
  case StoredType::kQ8_0:
    return {DotQ8_0, DotQ8_0x4, nullptr, DotQ8_0Rows};
  case StoredType::kQ5_0:
    if (UseSplitDot())
      return SplitRowDot<DotQ5_0RowsSplit>::Get();
    return {DotQ5_0, DotQ5_0x4, nullptr, DotQ5_0Rows};
  case StoredType::kQ4_K:
    return {DotQ4_K, DotQ4_Kx4, nullptr, DotQ4_KRows};
  case StoredType::kQ6_K:
    if (UseSplitDot())
      return SplitRowDot<DotQ6_KRowsSplit>::Get();
    return {DotQ6_K, DotQ6_Kx4, nullptr, DotQ6_KRows};
  default:
    return {};
  }
}

// `rows` rows of `in` activations as `dot` reads them: x itself or a copy
// in the calling thread's buffer `slot` (valid until its next use).
const float *OrderedActivations(const RowDot &dot, const float *x, int64_t rows,
                                int64_t in, size_t slot = 0) {
  if (!dot.order)
    return x;
  thread_local std::vector<std::vector<float>> buffers;
  if (buffers.size() <= slot)
    buffers.resize(slot + 1);
  std::vector<float> &ordered = buffers[slot];
  const int64_t stride = in * dot.ordered_width;
  if (int64_t(ordered.size()) < rows * stride)
    ordered.resize(size_t(rows * stride));
  for (int64_t r = 0; r < rows; ++r)
    dot.order(x + r * in, in, ordered.data() + r * stride);
  return ordered.data();
}

// How many stored rows from here one RowDotsAt call takes: four where the
// type has a four-row dot and four rows remain, else one.
int64_t RowsPerCall(const RowDot &dot, int64_t remaining) {
  return dot.dot4 && remaining >= 4 ? 4 : 1;
}

// sums[k] = x . row k for k < count = RowsPerCall(...), rows `row_bytes`
// apart.
void RowDotsAt(const RowDot &dot, const float *x, const uint8_t *rows,
               int64_t row_bytes, int64_t in, int64_t count, float *sums) {
  if (count == 4)
    dot.dot4(x, rows, row_bytes, in, sums);
  else
    sums[0] = dot.dot(x, rows, in);
}

// out[k] = x . row k for `count` consecutive stored rows: the type's own
// range function, or its four-row and one-row dots.
void DotRun(const RowDot &dot, const float *x, const uint8_t *rows,
            int64_t row_bytes, int64_t in, int64_t count, float *out) {
  if (dot.rows)
    return dot.rows(x, rows, row_bytes, in, count, out);
  for (int64_t k = 0; k < count;) {
    const int64_t c = RowsPerCall(dot, count - k);
    RowDotsAt(dot, x, rows + k * row_bytes, row_bytes, in, c, out + k);
    k += c;
  }
}

// Weight row `row` of w as f32 (scale applied): the full-vector decoders of
// the real GGUF files' most common types, else the codecs' decoder.
void DecodeRowForGemm(const WeightView &w, int64_t row, float *out) {
  if (w.scale == 1.0f && w.cols % 32 == 0) {
    const uint64_t bytes = PackedBytes(w.type, uint64_t(w.cols));
    if (w.type == StoredType::kQ5_0)
      return DecodeQ5_0Row(w.data + uint64_t(row) * bytes, w.cols, out);
    if (w.type == StoredType::kQ8_0)
      return DecodeQ8_0Row(w.data + uint64_t(row) * bytes, w.cols, out);
    if (w.type == StoredType::kSFP && UseSfpVbmi())
      return DecodeSfpVbmi(w.data + uint64_t(row) * bytes, w.cols, out);
  }
  DecodeRows(w, row, 1, out);
}

// Stored row `row` of `in_h` bf16 or SFP values (rows of in_h) as bf16
// words, exact: SFP values are bf16 values.
void StoredRowToBf16(const WeightView &w, int64_t row, int64_t in_h,
                     uint16_t *out) {
  if (w.type == StoredType::kBF16) {
    std::memcpy(out, w.data + row * in_h * 2, size_t(in_h) * 2);
    return;
  }
  (UseSfpVbmi() ? DecodeSfpToBf16Vbmi : DecodeSfpToBf16)(w.data + row * in_h,
                                                         in_h, out);
}

// GemmRows on decoded f32 rows, or with --prefill-math bf16 the rows
// rounded to bf16 and GemmRowsBf16 (`packed` then holds bf16 pairs).
void GemmDecoded(const float *rows, int64_t stride, int64_t count, int64_t in,
                 const float *packed, bool bf16, int64_t n, float *y,
                 int64_t y_stride, Prefetch next = {}) {
  if (!bf16) {
    GemmRows(rows, stride, count, in, packed, n, y, y_stride, next);
    return;
  }
  const int64_t stride16 = GemmBf16RowStride(in);
  thread_local std::vector<uint16_t> rows16;
  if (int64_t(rows16.size()) < count * stride16)
    rows16.resize(size_t(count * stride16));
  RowsToBf16(rows, count, in, stride, rows16.data(), stride16);
  GemmRowsBf16(rows16.data(), stride16, count, in,
               reinterpret_cast<const uint32_t *>(packed), n, y, y_stride,
               next);
}

// One or two rows of activations (decode) read the stored rows with the
// row dots; three to eight (a server's batched decode) decode each block
// of kBatchBlockRows stored rows to f32 once, in the cache while every
// row's dots read it; more (prefill) go through the GEMM.
constexpr int64_t kMaxRowDotRows = 2;
constexpr int64_t kMaxBatchRows = 8;
constexpr int64_t kBatchBlockRows = 12;
// Stored rows per block of a two-row matvec (64 rows of 640 Q8_0 values
// are 43 KB: within L2 while the second row's dots read them).
constexpr int64_t kTwoRowBlock = 64;

bool BatchRows(int64_t n) { return n > kMaxRowDotRows && n <= kMaxBatchRows; }

// Prefills of at most this many tokens (two bf16 panels) prefetch each next
// block of stored rows during the bf16 GEMM.
constexpr int64_t kPrefetchTokens = 64;

// What a matmul job needs before its threads start: how its rows are read
// (RowDot), its activations in that order (decode) or packed (prefill).
struct PreparedJob {
  RowDot dot;
  const float *xs = nullptr;
  const float *packed = nullptr;
  bool direct = false;
};

// Outputs [begin, end) of one matmul, on the calling thread.
void MatmulRows(const MatmulJob &job, const PreparedJob &prepared, bool bf16,
                int64_t begin, int64_t end) {
  const RowDot &row_dot = prepared.dot;
  const float *xs = prepared.xs, *packed = prepared.packed;
  const WeightView &w = job.w;
  const int64_t n = job.n, in = job.in, out = job.out;
  float *y = job.y;
  RowRuns runs(job.ranges, out);
  const int64_t row_bytes = int64_t(PackedBytes(w.type, uint64_t(in)));
  if (BatchRows(n)) {
    // A few rows (a server's batch). Q8_0 and Q5_0 rows are decoded in
    // registers for every activation row at once (GgmlDot.h: the same
    // sums as the f32 copy below, bit for bit).
    if ((w.type == StoredType::kQ8_0 || w.type == StoredType::kQ5_0) &&
        w.scale == 1.0f && in % 32 == 0) {
      const auto dots =
          w.type == StoredType::kQ8_0 ? DotQ8_0RowsMulti : DotQ5_0RowsMulti;
      for (int64_t o = begin; o < end;) {
        const auto [row, run] = runs.At(o);
        const int64_t count = std::min(run, end - o);
        dots(job.x, n, in, w.data + row * row_bytes, row_bytes, in, count,
             y + o, out);
        o += count;
      }
      return;
    }
    // Other types: each block of stored rows decoded to f32 once, then
    // every activation row's dots with it.
    const int64_t stride = GemmRowStride(in);
    float *rows = RowBuffer(kBatchBlockRows * stride);
    for (int64_t o = begin; o < end;) {
      const auto [row, run] = runs.At(o);
      const int64_t count = std::min({run, end - o, kBatchBlockRows});
      for (int64_t k = 0; k < count; ++k)
        DecodeRowForGemm(w, row + k, rows + k * stride);
      // The next block's stored rows come from memory during the products
      // (decoding them would otherwise wait for each line).
      const uint8_t *next = nullptr;
      int64_t next_bytes = 0;
      if (o + count < end) {
        const auto [next_row, next_run] = runs.At(o + count);
        next = w.data + next_row * row_bytes;
        next_bytes =
            std::min({kBatchBlockRows, next_run, end - o - count}) * row_bytes;
      }
      DotRowsMulti(job.x, n, in, in, rows, stride, count, y + o, out, next,
                   next_bytes);
      o += count;
    }
    return;
  }
  if (n <= kMaxRowDotRows && row_dot.dot) {
    // Two rows (a server's two sequences) take the stored rows in blocks
    // that stay in the cache between them: one pass over memory, not two.
    const int64_t most = n == 1 ? end - begin : kTwoRowBlock;
    for (int64_t o = begin; o < end;) {
      const auto [row, run] = runs.At(o);
      const int64_t count = std::min({run, end - o, most});
      for (int64_t i = 0; i < n; ++i) {
        float *yi = y + i * out + o;
        DotRun(row_dot, xs + i * in * row_dot.ordered_width,
               w.data + row * row_bytes, row_bytes, in, count, yi);
        if (w.scale != 1.0f)
          for (int64_t k = 0; k < count; ++k)
            yi[k] *= w.scale;
      }
      o += count;
    }
    return;
  }
  // Prefill: blocks of weight rows decoded once for every activation row.
  const int64_t block = DecodeBlockRows(in), stride = GemmRowStride(in);
  // With bf16 prefill math, bf16 rows are used where they are stored and
  // SFP rows decoded straight to bf16 (their values are bf16 values).
  const bool bf16_in_place =
      bf16 && w.type == StoredType::kBF16 && w.scale == 1.0f && in % 2 == 0;
  const bool sfp_to_bf16 =
      bf16 && w.type == StoredType::kSFP && w.scale == 1.0f;
  const int64_t stride16 = GemmBf16RowStride(in);
  // A short prompt's GEMM is quick next to reading its stored rows from
  // memory: the next block's bytes are fetched while it runs.
  const bool prefetch = n <= kPrefetchTokens;
  float *rows = RowBuffer(block * stride);
  for (int64_t o = begin; o < end;) {
    const auto [row, run] = runs.At(o);
    const int64_t count = std::min({block, end - o, run});
    Prefetch next;
    if (prefetch && o + count < end) {
      const auto [next_row, next_run] = runs.At(o + count);
      next = {w.data + next_row * row_bytes,
              std::min({block, end - o - count, next_run}) * row_bytes};
    }
    if (bf16_in_place) {
      GemmRowsBf16(reinterpret_cast<const uint16_t *>(w.data) + row * in, in,
                   count, in, reinterpret_cast<const uint32_t *>(packed), n,
                   y + o, out, next);
    } else if (sfp_to_bf16) {
      uint16_t *rows16 = reinterpret_cast<uint16_t *>(rows);
      for (int64_t k = 0; k < count; ++k) {
        StoredRowToBf16(w, row + k, in, rows16 + k * stride16);
        if (in % 2)
          rows16[k * stride16 + in] = 0;
      }
      GemmRowsBf16(rows16, stride16, count, in,
                   reinterpret_cast<const uint32_t *>(packed), n, y + o, out,
                   next);
    } else {
      for (int64_t k = 0; k < count; ++k)
        DecodeRowForGemm(w, row + k, rows + k * stride);
      GemmDecoded(rows, stride, count, in, packed, bf16, n, y + o, out, next);
    }
    o += count;
  }
}

// x [n, in] packed for GemmRows (or, with bf16 prefill math, for
// GemmRowsBf16) into the calling thread's buffer `slot`, the panels shared
// among the pool's threads when there are many.
const float *PackedActivations(ThreadPool &pool, const float *x, int64_t n,
                               int64_t in, size_t slot, bool bf16) {
  const int64_t width = bf16 ? kBf16Tokens : GemmTokenWidth();
  const int64_t panels = (n + width - 1) / width;
  float *packed = PanelBuffer(
      bf16 ? PackedTokensBf16Size(n, in) : PackedTokensSize(n, in), slot);
  auto pack = [&](int64_t begin, int64_t end) {
    if (bf16)
      PackTokensBf16(x, n, in, reinterpret_cast<uint32_t *>(packed), begin,
                     end);
    else
      PackTokens(x, n, in, packed, begin, end);
  };
  if (n * in < (int64_t(1) << 16) || panels == 1)
    pack(0, panels);
  else
    pool.For(panels, pack);
  return packed;
}

// Prepares `jobs` (at most 4) into `prepared`; projections of the same
// activations (q, k, v; gate, up) share one packed copy, or one ordered
// copy where their rows are read in the same order.
void PrepareJobs(ThreadPool &pool, std::span<const MatmulJob> jobs, bool bf16,
                 PreparedJob *prepared) {
  for (size_t j = 0; j < jobs.size(); ++j) {
    const MatmulJob &job = jobs[j];
    PreparedJob &p = prepared[j];
    if (BatchRows(job.n)) {
      p.direct = true; // decoded rows against the activations as they are
      continue;
    }
    p.dot = RowDotFor(job.w.type, job.in);
    p.direct = job.n <= kMaxRowDotRows && p.dot.dot;
    const auto same_x = [&](size_t e) {
      return jobs[e].x == job.x && jobs[e].n == job.n && jobs[e].in == job.in;
    };
    if (p.direct) {
      // (Only the direct dots read ordered activations: a prefill's rows
      // are packed instead.)
      for (size_t e = 0; e < j && !p.xs; ++e)
        if (prepared[e].direct && same_x(e) &&
            prepared[e].dot.order == p.dot.order)
          p.xs = prepared[e].xs;
      if (!p.xs)
        p.xs = OrderedActivations(p.dot, job.x, job.n, job.in, j);
      continue;
    }
    for (size_t e = 0; e < j && !p.packed; ++e)
      if (prepared[e].packed && same_x(e))
        p.packed = prepared[e].packed;
    if (!p.packed)
      p.packed = PackedActivations(pool, job.x, job.n, job.in, j, bf16);
  }
}

} // namespace

void Matmuls(ThreadPool &pool, std::span<const MatmulJob> jobs) {
  constexpr size_t kMaxJobs = 4;
  if (jobs.size() > kMaxJobs)
    std::abort(); // a caller's bug: the executor issues at most three
  const bool bf16 = PrefillBf16();
  PreparedJob prepared[kMaxJobs];
  PrepareJobs(pool, jobs, bf16, prepared);
  int64_t total = 0;
  bool direct = true;
  for (size_t j = 0; j < jobs.size(); ++j) {
    total += jobs[j].out;
    direct = direct && prepared[j].direct;
  }
  pool.For(
      total,
      [&](int64_t begin, int64_t end) {
        // The global output range, cut at the jobs' boundaries.
        int64_t first = 0;
        for (size_t j = 0; j < jobs.size(); ++j) {
          const int64_t b = std::max(begin, first),
                        e = std::min(end, first + jobs[j].out);
          if (b < e)
            MatmulRows(jobs[j], prepared[j], bf16, b - first, e - first);
          first += jobs[j].out;
        }
      },
      /*grain=*/direct ? 64 : 16);
}

void Geglu(ThreadPool &pool, const float *x, int64_t n, int64_t in,
           const WeightView &gate, std::span<const RowRange> gate_rows,
           const WeightView &up, std::span<const RowRange> up_rows,
           int64_t width, float *y, float *u) {
  const MatmulJob jobs[] = {{x, n, in, gate, gate_rows, width, y},
                            {x, n, in, up, up_rows, width, u}};
  const bool bf16 = PrefillBf16();
  PreparedJob prepared[2];
  PrepareJobs(pool, jobs, bf16, prepared);
  // Each thread takes the same columns of gate and up, then applies
  // gelu(g) * u to them while they are in its cache: no second pass, no
  // second barrier.
  pool.For(
      width,
      [&](int64_t begin, int64_t end) {
        MatmulRows(jobs[0], prepared[0], bf16, begin, end);
        MatmulRows(jobs[1], prepared[1], bf16, begin, end);
        for (int64_t i = 0; i < n; ++i) {
          float *g = y + i * width + begin;
          GeluTanhVector(g, end - begin, g);
          Mul(g, u + i * width + begin, end - begin, g);
        }
      },
      /*grain=*/prepared[0].direct && prepared[1].direct ? 64 : 16);
}

void Matmul(ThreadPool &pool, const float *x, int64_t n, int64_t in,
            const WeightView &w, std::span<const RowRange> ranges, int64_t out,
            float *y) {
  const MatmulJob job{x, n, in, w, ranges, out, y};
  Matmuls(pool, {&job, 1});
}

void MatmulHeads(ThreadPool &pool, const float *x, int64_t n, int64_t heads,
                 int64_t in_h, const WeightView &w, int64_t out, float *y) {
  const RowDot row_dot = RowDotFor(w.type, in_h);
  if (n <= kMaxRowDotRows && row_dot.dot) {
    const float *xs = OrderedActivations(row_dot, x, n * heads, in_h);
    const int64_t bytes_per_row = int64_t(PackedBytes(w.type, uint64_t(in_h)));
    pool.For(
        out,
        [&](int64_t begin, int64_t end) {
          for (int64_t o = begin; o < end;) {
            const int64_t count = RowsPerCall(row_dot, end - o);
            for (int64_t i = 0; i < n; ++i) {
              float sum[4] = {0.0f, 0.0f, 0.0f, 0.0f};
              for (int64_t h = 0; h < heads; ++h) {
                float part[4];
                RowDotsAt(row_dot,
                          xs + (i * heads + h) * in_h * row_dot.ordered_width,
                          w.data + (h * out + o) * bytes_per_row, bytes_per_row,
                          in_h, count, part);
                for (int64_t k = 0; k < count; ++k)
                  sum[k] += part[k];
              }
              for (int64_t k = 0; k < count; ++k)
                y[i * out + o + k] = sum[k] * w.scale;
            }
            o += count;
          }
        },
        /*grain=*/64);
    return;
  }
  // Output o's rows of every head, side by side, are one row of
  // heads * in_h values against x's [heads * in_h] rows: a plain matmul.
  const int64_t width = heads * in_h;
  const int64_t block = DecodeBlockRows(width), stride = GemmRowStride(width);
  const bool bf16 = PrefillBf16();
  // With bf16 prefill math, bf16 and SFP head rows go to bf16 directly (as
  // MatmulRows reads them): not through f32 and back.
  const bool heads16 =
      bf16 && w.scale == 1.0f && in_h % 2 == 0 &&
      (w.type == StoredType::kBF16 || w.type == StoredType::kSFP);
  const int64_t stride16 = GemmBf16RowStride(width);
  const float *packed = PackedActivations(pool, x, n, width, 0, bf16);
  pool.For(
      out,
      [&](int64_t begin, int64_t end) {
        float *rows = RowBuffer(block * stride);
        uint16_t *rows16 = reinterpret_cast<uint16_t *>(rows);
        for (int64_t o = begin; o < end; o += block) {
          const int64_t count = std::min(block, end - o);
          if (heads16) {
            for (int64_t k = 0; k < count; ++k)
              for (int64_t h = 0; h < heads; ++h)
                StoredRowToBf16(w, h * out + o + k, in_h,
                                rows16 + k * stride16 + h * in_h);
            GemmRowsBf16(rows16, stride16, count, width,
                         reinterpret_cast<const uint32_t *>(packed), n, y + o,
                         out);
            continue;
          }
          for (int64_t k = 0; k < count; ++k)
            for (int64_t h = 0; h < heads; ++h)
              DecodeRows(w, h * out + o + k, 1, rows + k * stride + h * in_h);
          GemmDecoded(rows, stride, count, width, packed, bf16, n, y + o, out);
        }
      },
      /*grain=*/16);
}

namespace {

// cos and sin of every (row, pair) angle of one Rope call. Every layer of a
// step rotates q and k at the same positions with one of two or three
// RoPE settings, so the angles (one double pow, cos and sin each) are
// computed once per step and setting, and kept for the next call.
class RopeAngles {
public:
  const float *For(const int32_t *positions, int64_t n, int64_t dim,
                   int64_t pairs, double base, double linear_scale) {
    for (Entry &e : entries_)
      if (e.dim == dim && e.pairs == pairs && e.base == base &&
          e.linear_scale == linear_scale && e.positions.size() == size_t(n) &&
          std::equal(positions, positions + n, e.positions.begin()))
        return e.cos_sin.data();
    Entry &e = entries_[next_];
    next_ = (next_ + 1) % kEntries;
    e.dim = dim;
    e.pairs = pairs;
    e.base = base;
    e.linear_scale = linear_scale;
    e.positions.assign(positions, positions + n);
    e.cos_sin.resize(size_t(2 * n * pairs));
    std::vector<double> inv_freqs(static_cast<size_t>(pairs));
    for (int64_t i = 0; i < pairs; ++i)
      inv_freqs[size_t(i)] = 1.0 / std::pow(base, 2.0 * i / dim);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < pairs; ++i) {
        const double theta = positions[r] * inv_freqs[size_t(i)] / linear_scale;
        e.cos_sin[size_t(2 * r * pairs + i)] = float(std::cos(theta));
        e.cos_sin[size_t((2 * r + 1) * pairs + i)] = float(std::sin(theta));
      }
    return e.cos_sin.data();
  }

private:
  struct Entry {
    int64_t dim = -1, pairs = 0;
    double base = 0, linear_scale = 0;
    std::vector<int32_t> positions;
    std::vector<float> cos_sin; // per row: pairs cosines, then pairs sines
  };
  static constexpr size_t kEntries = 4;
  Entry entries_[kEntries];
  size_t next_ = 0;
};

} // namespace

void Rope(float *x, int64_t n, int64_t heads, int64_t dim,
          const int32_t *positions, double base, double linear_scale,
          double fraction) {
  const int64_t half = dim / 2;
  const auto pairs = static_cast<int64_t>(std::floor(fraction * dim / 2.0));
  thread_local RopeAngles angles;
  const float *cos_sin =
      angles.For(positions, n, dim, pairs, base, linear_scale);
  for (int64_t r = 0; r < n; ++r) {
    const float *c = cos_sin + 2 * r * pairs, *s = c + pairs;
    for (int64_t h = 0; h < heads; ++h) {
      float *v = x + (r * heads + h) * dim;
      for (int64_t i = 0; i < pairs; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * c[i] - b * s[i];
        v[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

void KvWrite(float *cache, int64_t batch, int64_t slots, int64_t width,
             const float *x, int64_t n, const int32_t *positions) {
  for (int64_t r = 0; r < n; ++r) {
    const int64_t b = batch == 1 ? 0 : r;
    const int64_t slot = positions[r] % slots;
    std::memcpy(cache + (b * slots + slot) * width, x + r * width,
                size_t(width) * sizeof(float));
  }
}

namespace {

// One work item of Attention: the heads of kv head g of row r over the
// positions [t0, t1) of the `count` kept ones (from `first`). With `norm`
// the outputs are final; without, each head's output is left unnormalized
// (sum of exp(z - max) v) with its max and sum, for a later combine.
struct AttentionItem {
  int64_t r, g, first, count, t0, t1;
};

void AttendItem(const AttentionShape &s, const AttentionItem &it,
                const float *q, const float *keys, const float *values,
                float scale, float cap, bool norm, float *o, float *maxes,
                float *sums) {
  const int64_t group = s.heads / s.kv_heads;
  const int64_t key_stride = s.kv_heads * s.dim;
  const int64_t value_stride = s.kv_heads * s.value_dim;
  const int64_t b = s.batch == 1 ? 0 : it.r;
  const int64_t n = it.t1 - it.t0;
  const float *query = q + (it.r * s.heads + it.g * group) * s.dim;
  std::fill(o, o + group * s.value_dim, 0.0f);
  if (n <= 0) {
    std::fill(maxes, maxes + group, -std::numeric_limits<float>::infinity());
    std::fill(sums, sums + group, 0.0f);
    return;
  }
  // Scores of this item's positions, their exponentials, then the
  // weighted values: only this item's scores are ever stored.
  thread_local std::vector<float> scores;
  thread_local std::vector<const float *> rows;
  if (int64_t(scores.size()) < group * n)
    scores.resize(size_t(group * n));
  if (int64_t(rows.size()) < n)
    rows.resize(size_t(n));
  for (int64_t t = 0; t < n; ++t) {
    const int64_t slot = (it.first + it.t0 + t) % s.slots;
    rows[size_t(t)] = keys + (b * s.slots + slot) * key_stride + it.g * s.dim;
  }
  float *z = scores.data();
  DotHeadsKeys(query, s.dim, group, rows.data(), n, s.dim, z, n);
  for (int64_t i = 0; i < group * n; ++i)
    z[i] *= scale;
  if (cap > 0)
    Softcap(z, group * n, cap, z);
  ExpRows(z, group, n, maxes, sums);
  // The kept slots are contiguous in the ring but for one wrap.
  const int64_t first_slot = (it.first + it.t0) % s.slots;
  const int64_t before_wrap = std::min(n, s.slots - first_slot);
  const float *v = values + b * s.slots * value_stride + it.g * s.value_dim;
  WeightedRowSums(z, n, group, before_wrap, v + first_slot * value_stride,
                  value_stride, s.value_dim, o, s.value_dim);
  if (before_wrap < n)
    WeightedRowSums(z + before_wrap, n, group, n - before_wrap, v, value_stride,
                    s.value_dim, o, s.value_dim);
  if (norm)
    for (int64_t h = 0; h < group; ++h)
      Scale(o + h * s.value_dim, s.value_dim, 1.0f / sums[h],
            o + h * s.value_dim);
}

// A prefill block: rows [r0, r1) of one sequence (batch 1) and KV head g,
// whose kept positions lie within one span of the ring no longer than it.
// Their query vectors (rows x heads of the group) are one packed panel; the
// scores of the whole span are one GEMM with the keys as its rows
// (Gemm.h), masked per row to its window; the values are summed for all of
// them in one pass over the span's value rows. Keys and values are read
// once per block, not once per row. Returns false (nothing written) where
// the rows' spans do not fit the ring: the caller takes them one by one.
// The i-th of n work items in the order 0, n-1, 1, n-2, ...: causal rows
// grow in cost with their position, and the pool gives each thread a
// contiguous range of items, which this interleaves short with long.
int64_t Zigzag(int64_t i, int64_t n) {
  return i % 2 == 0 ? i / 2 : n - 1 - i / 2;
}

bool AttendBlock(const AttentionShape &s, const float *q, const float *keys,
                 const float *values, const int32_t *positions, float scale,
                 float cap, int64_t window, int64_t r0, int64_t r1, int64_t g,
                 float *out) {
  const int64_t group = s.heads / s.kv_heads;
  const int64_t key_stride = s.kv_heads * s.dim;
  const int64_t value_stride = s.kv_heads * s.value_dim;
  auto first_of = [&](int64_t r) {
    const int64_t p = positions[r];
    int64_t first = std::max<int64_t>(0, p - s.slots + 1);
    if (window > 0)
      first = std::max(first, p - window + 1);
    return first;
  };
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = -1;
  for (int64_t r = r0; r < r1; ++r)
    if (positions[r] >= 0) {
      lo = std::min(lo, first_of(r));
      hi = std::max<int64_t>(hi, positions[r]);
    }
  const int64_t m = (r1 - r0) * group;
  if (hi < 0) { // every row padding: no position kept
    for (int64_t r = r0; r < r1; ++r)
      std::fill_n(out + (r * s.heads + g * group) * s.value_dim,
                  group * s.value_dim, 0.0f);
    return true;
  }
  const int64_t span = hi - lo + 1;
  if (span > s.slots)
    return false;
  // Query vectors of the block, contiguous, then packed.
  thread_local std::vector<float> queries, outs, z;
  queries.resize(size_t(m * s.dim));
  for (int64_t r = r0; r < r1; ++r)
    std::copy_n(q + (r * s.heads + g * group) * s.dim, group * s.dim,
                queries.data() + (r - r0) * group * s.dim);
  float *packed = PanelBuffer(PackedTokensSize(m, s.dim), 3);
  const int64_t width = GemmTokenWidth();
  PackTokens(queries.data(), m, s.dim, packed, 0, (m + width - 1) / width);
  // Scores of the span, in at most two pieces (the ring's wrap).
  z.resize(size_t(m * span));
  const int64_t first_slot = lo % s.slots;
  const int64_t before_wrap = std::min(span, s.slots - first_slot);
  const float *k = keys + g * s.dim;
  GemmRows(k + first_slot * key_stride, key_stride, before_wrap, s.dim, packed,
           m, z.data(), span);
  if (before_wrap < span)
    GemmRows(k, key_stride, span - before_wrap, s.dim, packed, m,
             z.data() + before_wrap, span);
  // Each query row's window: scale, cap, exponentials; zeros elsewhere.
  thread_local std::vector<float> sums;
  sums.resize(size_t(m));
  for (int64_t i = 0; i < m; ++i) {
    const int64_t r = r0 + i / group;
    float *zi = z.data() + i * span;
    const int64_t a = positions[r] >= 0 ? first_of(r) - lo : span,
                  b = positions[r] >= 0 ? positions[r] - lo + 1 : span;
    std::fill(zi, zi + a, 0.0f);
    std::fill(zi + std::max(a, b), zi + span, 0.0f);
    if (a >= b) {
      sums[size_t(i)] = 0;
      continue;
    }
    for (int64_t t = a; t < b; ++t)
      zi[t] *= scale;
    if (cap > 0)
      Softcap(zi + a, b - a, cap, zi + a);
    float max;
    ExpRows(zi + a, 1, b - a, &max, &sums[size_t(i)]);
  }
  outs.assign(size_t(m * s.value_dim), 0.0f);
  const float *v = values + g * s.value_dim;
  WeightedRowSums(z.data(), span, m, before_wrap, v + first_slot * value_stride,
                  value_stride, s.value_dim, outs.data(), s.value_dim);
  if (before_wrap < span)
    WeightedRowSums(z.data() + before_wrap, span, m, span - before_wrap, v,
                    value_stride, s.value_dim, outs.data(), s.value_dim);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t r = r0 + i / group, h = i % group;
    float *o = out + (r * s.heads + g * group + h) * s.value_dim;
    const float inv = sums[size_t(i)] > 0 ? 1.0f / sums[size_t(i)] : 0.0f;
    Scale(outs.data() + i * s.value_dim, s.value_dim, inv, o);
  }
  return true;
}

} // namespace

void Attention(ThreadPool &pool, const AttentionShape &s, const float *q,
               const float *keys, const float *values, const int32_t *positions,
               float scale, float cap, int64_t window, float *out) {
  const int64_t group = s.heads / s.kv_heads;
  // The query heads that share a KV head are one work item and read its
  // keys and values once. Where rows x KV heads would leave threads idle
  // (decode of one sequence), each item's positions are split among
  // threads and the partial softmaxes combined (flash-decoding).
  const int64_t pairs = s.rows * s.kv_heads;
  const int64_t chunks =
      pairs >= pool.threads() ? 1 : (pool.threads() + pairs - 1) / pairs;
  // The positions the mask keeps, each in its ring slot; walking them (not
  // every slot of a long global cache) makes decode cost grow with the
  // context, not with the cache size.
  auto item_at = [&](int64_t item) {
    AttentionItem it;
    it.r = item / (s.kv_heads * chunks);
    it.g = item / chunks % s.kv_heads;
    const int64_t c = item % chunks;
    const int64_t p = positions[it.r];
    it.first = std::max<int64_t>(0, p - s.slots + 1);
    if (window > 0)
      it.first = std::max(it.first, p - window + 1);
    it.count = std::max<int64_t>(0, p - it.first + 1);
    it.t0 = it.count * c / chunks;
    it.t1 = it.count * (c + 1) / chunks;
    return it;
  };
  const int64_t items = pairs * chunks;
  // Prefill of one sequence: blocks of rows whose query vectors fill a
  // packed panel (8 rows of 4 heads on AVX-512).
  const int64_t block_rows = std::max<int64_t>(1, GemmTokenWidth() / group);
  if (chunks == 1 && s.batch == 1 && s.rows >= 2 * block_rows) {
    const int64_t blocks = (s.rows + block_rows - 1) / block_rows;
    pool.For(blocks * s.kv_heads, [&](int64_t begin, int64_t end) {
      thread_local std::vector<float> stats;
      stats.resize(size_t(2 * group));
      for (int64_t item = begin; item < end; ++item) {
        const int64_t r0 = Zigzag(item / s.kv_heads, blocks) * block_rows,
                      r1 = std::min(s.rows, r0 + block_rows),
                      g = item % s.kv_heads;
        if (AttendBlock(s, q, keys, values, positions, scale, cap, window, r0,
                        r1, g, out))
          continue;
        for (int64_t r = r0; r < r1; ++r) {
          const AttentionItem it = item_at(r * s.kv_heads + g);
          AttendItem(s, it, q, keys, values, scale, cap, /*norm=*/true,
                     out + (r * s.heads + g * group) * s.value_dim,
                     stats.data(), stats.data() + group);
        }
      }
    });
    return;
  }
  if (chunks == 1) {
    pool.For(items, [&](int64_t begin, int64_t end) {
      thread_local std::vector<float> stats;
      stats.resize(size_t(2 * group));
      for (int64_t item = begin; item < end; ++item) {
        const AttentionItem it = item_at(
            Zigzag(item / s.kv_heads, s.rows) * s.kv_heads + item % s.kv_heads);
        AttendItem(s, it, q, keys, values, scale, cap, /*norm=*/true,
                   out + (it.r * s.heads + it.g * group) * s.value_dim,
                   stats.data(), stats.data() + group);
      }
    });
    return;
  }
  // Per item and head: value_dim unnormalized outputs, the max, the sum.
  const int64_t per = group * (s.value_dim + 2);
  // The calling thread's buffer, named by pointer: inside the workers'
  // lambda a thread_local would be each worker's own.
  thread_local std::vector<float> partial_buffer;
  partial_buffer.resize(size_t(items * per));
  float *const partial = partial_buffer.data();
  pool.For(items, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      float *part = partial + item * per;
      AttendItem(s, item_at(item), q, keys, values, scale, cap,
                 /*norm=*/false, part, part + group * s.value_dim,
                 part + group * s.value_dim + group);
    }
  });
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t r = pair / s.kv_heads, g = pair % s.kv_heads;
    for (int64_t h = 0; h < group; ++h) {
      float *o = out + (r * s.heads + g * group + h) * s.value_dim;
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < chunks; ++c) {
        const float *part = partial + (pair * chunks + c) * per;
        max = std::max(max, part[group * s.value_dim + h]);
      }
      std::fill(o, o + s.value_dim, 0.0f);
      if (max == -std::numeric_limits<float>::infinity())
        continue; // no position kept (a padded row)
      float sum = 0.0f;
      for (int64_t c = 0; c < chunks; ++c) {
        const float *part = partial + (pair * chunks + c) * per;
        const float m = part[group * s.value_dim + h];
        if (m == -std::numeric_limits<float>::infinity())
          continue;
        const float w = std::exp(m - max);
        sum += w * part[group * s.value_dim + group + h];
        AddScaled(w, part + h * s.value_dim, o, s.value_dim);
      }
      Scale(o, s.value_dim, 1.0f / sum, o);
    }
  }
}

void AttnScores(ThreadPool &pool, const AttentionShape &s, const float *q,
                const float *keys, float scale, float *scores) {
  const int64_t group = s.heads / s.kv_heads;
  pool.For(s.rows * s.heads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / s.heads, h = item % s.heads, g = h / group;
      const int64_t b = s.batch == 1 ? 0 : r;
      const float *query = q + item * s.dim;
      float *z = scores + item * s.slots;
      for (int64_t slot = 0; slot < s.slots; ++slot)
        z[slot] =
            scale * Dot(query,
                        keys + ((b * s.slots + slot) * s.kv_heads + g) * s.dim,
                        s.dim);
    }
  });
}

void WindowMask(float *scores, int64_t rows, int64_t heads, int64_t slots,
                const int32_t *positions, int64_t window) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t p = positions[r];
    for (int64_t slot = 0; slot < slots; ++slot) {
      const int64_t j = p - (((p - slot) % slots) + slots) % slots;
      if (j >= 0 && j <= p && (window <= 0 || j > p - window))
        continue;
      for (int64_t h = 0; h < heads; ++h)
        scores[(r * heads + h) * slots + slot] =
            -std::numeric_limits<float>::infinity();
    }
  }
}

void Softmax(const float *x, int64_t rows, int64_t width, float *out) {
  SoftmaxRows(x, rows, width, out);
}

void AttnValues(ThreadPool &pool, const AttentionShape &s, const float *probs,
                const float *values, float *out) {
  const int64_t group = s.heads / s.kv_heads;
  pool.For(s.rows * s.heads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / s.heads, h = item % s.heads, g = h / group;
      const int64_t b = s.batch == 1 ? 0 : r;
      float *o = out + item * s.value_dim;
      std::fill(o, o + s.value_dim, 0.0f);
      const float *p = probs + item * s.slots;
      for (int64_t slot = 0; slot < s.slots; ++slot)
        if (p[slot] != 0.0f)
          AddScaled(p[slot],
                    values +
                        ((b * s.slots + slot) * s.kv_heads + g) * s.value_dim,
                    o, s.value_dim);
    }
  });
}

void GeluTanh(const float *x, int64_t n, float *out) {
  GeluTanhVector(x, n, out);
}

void Add(const float *a, const float *b, int64_t n, float *out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = a[i] + b[i];
}

void Mul(const float *a, const float *b, int64_t n, float *out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = a[i] * b[i];
}

void Scale(const float *x, int64_t n, float factor, float *out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = x[i] * factor;
}

void Softcap(const float *x, int64_t n, float cap, float *out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = ApplyUnary<float>(UnaryFn::kSoftcap, x[i], cap);
}

void Unary(UnaryFn fn, const float *x, int64_t n, float parameter, float *out) {
  // GELU feeds every MLP: its vector form (Vector.cpp) computes the same
  // formula with Highway's tanh. The rest take the table's formula as is.
  if (fn == UnaryFn::kGeluTanh)
    return GeluTanh(x, n, out);
  if (fn == UnaryFn::kScale)
    return Scale(x, n, parameter, out);
  for (int64_t i = 0; i < n; ++i)
    out[i] = ApplyUnary<float>(fn, x[i], parameter);
}

void Binary(BinaryFn fn, const float *a, const float *b, int64_t n,
            float *out) {
  if (fn == BinaryFn::kAdd)
    return Add(a, b, n, out);
  if (fn == BinaryFn::kMul)
    return Mul(a, b, n, out);
  for (int64_t i = 0; i < n; ++i)
    out[i] = ApplyBinary<float>(fn, a[i], b[i]);
}

void Logits(ThreadPool &pool, const float *x, int64_t n, int64_t width,
            const WeightView &table, int64_t vocab, float cap, float *out) {
  Matmul(pool, x, n, width, table, {}, vocab, out);
  if (cap > 0)
    Softcap(out, n * vocab, cap, out);
}

void MoeExperts(ThreadPool &pool, const float *x, const float *logits,
                int64_t n, int64_t d, int64_t experts, int64_t ff,
                int64_t top_k, const WeightView &expert_scale,
                const WeightView &gate_up, const WeightView &down, float *y) {
  std::vector<float> scales(static_cast<size_t>(experts));
  expert_scale.DecodeRow(0, scales.data());
  // Route: which rows go to which expert, with what weight.
  std::vector<std::vector<std::pair<int64_t, float>>> routed(
      static_cast<size_t>(experts));
  std::vector<int64_t> order(static_cast<size_t>(experts));
  std::vector<double> p(static_cast<size_t>(experts));
  for (int64_t r = 0; r < n; ++r) {
    const float *l = logits + r * experts;
    const float top = *std::max_element(l, l + experts);
    for (int64_t e = 0; e < experts; ++e)
      p[e] = std::exp(double(l[e]) - double(top));
    std::iota(order.begin(), order.end(), 0);
    // The top_k by logit (the softmax keeps the order), ties to the lower
    // index; their softmax renormalized over them needs no global sum.
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                      [&](int64_t a, int64_t b) {
                        return l[a] > l[b] || (l[a] == l[b] && a < b);
                      });
    double chosen = 0;
    for (int64_t k = 0; k < top_k; ++k)
      chosen += p[order[k]];
    for (int64_t k = 0; k < top_k; ++k) {
      const int64_t e = order[k];
      routed[e].push_back({r, float(p[e] / chosen * scales[e])});
    }
  }
  std::fill(y, y + n * d, 0.0f);
  std::vector<float> in, gate, up, out;
  for (int64_t e = 0; e < experts; ++e) {
    const auto &rows = routed[e];
    if (rows.empty())
      continue;
    const int64_t m = int64_t(rows.size());
    in.resize(size_t(m * d));
    for (int64_t k = 0; k < m; ++k)
      std::copy_n(x + rows[k].first * d, d, in.data() + k * d);
    gate.resize(size_t(m * ff));
    up.resize(size_t(m * ff));
    out.resize(size_t(m * d));
    const RowRange gate_rows[] = {{2 * e * ff, 2 * e * ff + ff}};
    const RowRange up_rows[] = {{2 * e * ff + ff, 2 * e * ff + 2 * ff}};
    const RowRange down_rows[] = {{e * d, e * d + d}};
    const MatmulJob first[] = {
        {in.data(), m, d, gate_up, gate_rows, ff, gate.data()},
        {in.data(), m, d, gate_up, up_rows, ff, up.data()}};
    Matmuls(pool, first);
    GeluTanh(gate.data(), m * ff, gate.data());
    Mul(gate.data(), up.data(), m * ff, gate.data());
    const MatmulJob second[] = {
        {gate.data(), m, ff, down, down_rows, d, out.data()}};
    Matmuls(pool, second);
    for (int64_t k = 0; k < m; ++k) {
      float *row = y + rows[k].first * d;
      const float w = rows[k].second;
      for (int64_t i = 0; i < d; ++i)
        row[i] += w * out[size_t(k * d + i)];
    }
  }
}

} // namespace gemma::cpu
