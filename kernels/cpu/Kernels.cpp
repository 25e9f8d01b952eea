//===- Kernels.cpp - The CPU backend's kernels ----------------------------===//

#include "kernels/cpu/Kernels.h"

#include "compiler/import/codecs/Decode.h"
#include "kernels/cpu/Vector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
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

} // namespace

void WeightView::DecodeRow(int64_t row, float *out) const {
  DecodeRange(type, data, uint64_t(row) * cols, uint64_t(cols), out);
  if (scale != 1.0f)
    for (int64_t i = 0; i < cols; ++i)
      out[i] *= scale;
}

void Embed(const int32_t *ids, int64_t n, const WeightView &table, float scale,
           float *out) {
  for (int64_t r = 0; r < n; ++r) {
    float *row = out + r * table.cols;
    table.DecodeRow(ids[r], row);
    for (int64_t i = 0; i < table.cols; ++i)
      row[i] *= scale;
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

// Weight rows decoded per call: enough to amortize the dispatch, few enough
// (32 KiB of f32) to stay in L1/L2 for the dot products that follow.
constexpr int64_t kDecodeFloats = 8192;

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

// x . w for a stored row of f32, bf16 or SFP values.
using StoredDot = float (*)(const float *, const uint8_t *, int64_t);

float DotF32(const float *x, const uint8_t *packed, int64_t n) {
  return Dot(x, reinterpret_cast<const float *>(packed), n);
}

} // namespace

void Matmul(ThreadPool &pool, const float *x, int64_t n, int64_t in,
            const WeightView &w, std::span<const RowRange> ranges, int64_t out,
            float *y) {
  // One or two rows of activations (decode): dot products straight from the
  // stored rows, no decoded copy.
  const StoredDot stored_dot = w.type == StoredType::kSFP    ? DotSfp
                               : w.type == StoredType::kBF16 ? DotBf16
                               : w.type == StoredType::kF32  ? DotF32
                               : w.type == StoredType::kQ8_0 ? DotQ8_0
                               : w.type == StoredType::kQ5_0 ? DotQ5_0
                                                             : nullptr;
  if (n <= 2 && stored_dot) {
    const int64_t bytes_per_row = int64_t(PackedBytes(w.type, uint64_t(in)));
    pool.For(
        out,
        [&](int64_t begin, int64_t end) {
          RowRuns runs(ranges, out);
          for (int64_t o = begin; o < end; ++o) {
            const uint8_t *packed = w.data + runs.At(o).first * bytes_per_row;
            for (int64_t i = 0; i < n; ++i)
              y[i * out + o] = stored_dot(x + i * in, packed, in) * w.scale;
          }
        },
        /*grain=*/64);
    return;
  }
  const int64_t block = std::max<int64_t>(1, kDecodeFloats / in);
  pool.For(
      out,
      [&](int64_t begin, int64_t end) {
        float *rows = RowBuffer(block * in);
        RowRuns runs(ranges, out);
        for (int64_t o = begin; o < end;) {
          const auto [row, run] = runs.At(o);
          const int64_t count = std::min({block, end - o, run});
          DecodeRows(w, row, count, rows);
          // 4 x 4 tiles of (activation row, weight row), then the edges.
          const int64_t n4 = n / 4 * 4, count4 = count / 4 * 4;
          for (int64_t k = 0; k < count4; k += 4)
            for (int64_t i = 0; i < n4; i += 4)
              Dot4x4(x + i * in, in, rows + k * in, in, in, y + i * out + o + k,
                     out);
          for (int64_t k = 0; k < count; ++k)
            for (int64_t i = k < count4 ? n4 : 0; i < n; ++i)
              y[i * out + o + k] = Dot(x + i * in, rows + k * in, in);
          o += count;
        }
      },
      /*grain=*/16);
}

void MatmulHeads(ThreadPool &pool, const float *x, int64_t n, int64_t heads,
                 int64_t in_h, const WeightView &w, int64_t out, float *y) {
  const int64_t block = std::max<int64_t>(1, kDecodeFloats / in_h);
  pool.For(
      out,
      [&](int64_t begin, int64_t end) {
        float *rows = RowBuffer(block * in_h);
        for (int64_t o = begin; o < end; o += block) {
          const int64_t count = std::min(block, end - o);
          for (int64_t k = 0; k < count; ++k)
            for (int64_t i = 0; i < n; ++i)
              y[i * out + o + k] = 0.0f;
          for (int64_t h = 0; h < heads; ++h) {
            DecodeRows(w, h * out + o, count, rows);
            for (int64_t k = 0; k < count; ++k)
              for (int64_t i = 0; i < n; ++i)
                y[i * out + o + k] +=
                    Dot(x + (i * heads + h) * in_h, rows + k * in_h, in_h);
          }
        }
      },
      /*grain=*/16);
}

void Rope(float *x, int64_t n, int64_t heads, int64_t dim,
          const int32_t *positions, double base, double linear_scale,
          double fraction) {
  const int64_t half = dim / 2;
  const auto pairs = static_cast<int64_t>(std::floor(fraction * dim / 2.0));
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < pairs; ++i) {
      const double inv_freq = 1.0 / std::pow(base, 2.0 * i / dim);
      const double theta = positions[r] * inv_freq / linear_scale;
      const float c = float(std::cos(theta)), s = float(std::sin(theta));
      for (int64_t h = 0; h < heads; ++h) {
        float *v = x + (r * heads + h) * dim;
        const float a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
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

void Attention(ThreadPool &pool, const AttentionShape &s, const float *q,
               const float *keys, const float *values, const int32_t *positions,
               float scale, float cap, int64_t window, float *out) {
  const int64_t group = s.heads / s.kv_heads;
  const int64_t key_stride = s.kv_heads * s.dim;
  const int64_t value_stride = s.kv_heads * s.value_dim;
  pool.For(s.rows * s.heads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / s.heads, h = item % s.heads, g = h / group;
      const int64_t b = s.batch == 1 ? 0 : r;
      const int64_t p = positions[r];
      const float *query = q + (r * s.heads + h) * s.dim;
      float *o = out + (r * s.heads + h) * s.value_dim;
      std::fill(o, o + s.value_dim, 0.0f);
      // Online softmax: running max m and normalizer l.
      float m = -std::numeric_limits<float>::infinity(), l = 0.0f;
      for (int64_t slot = 0; slot < s.slots; ++slot) {
        const int64_t j = p - (((p - slot) % s.slots) + s.slots) % s.slots;
        if (j < 0 || j > p || (window > 0 && j <= p - window))
          continue;
        const float *k = keys + (b * s.slots + slot) * key_stride + g * s.dim;
        float z = scale * Dot(query, k, s.dim);
        if (cap > 0)
          z = cap * std::tanh(z / cap);
        const float *v =
            values + (b * s.slots + slot) * value_stride + g * s.value_dim;
        if (z > m) {
          const float rescale = std::exp(m - z);
          for (int64_t i = 0; i < s.value_dim; ++i)
            o[i] *= rescale;
          l *= rescale;
          m = z;
        }
        const float e = std::exp(z - m);
        l += e;
        AddScaled(e, v, o, s.value_dim);
      }
      const float inv = l > 0 ? 1.0f / l : 0.0f;
      for (int64_t i = 0; i < s.value_dim; ++i)
        o[i] *= inv;
    }
  });
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
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x + r * width;
    float *y = out + r * width;
    const float max = *std::max_element(in, in + width);
    float sum = 0.0f;
    for (int64_t i = 0; i < width; ++i) {
      y[i] = std::exp(in[i] - max);
      sum += y[i];
    }
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < width; ++i)
      y[i] *= inv;
  }
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
  const float k = float(std::sqrt(2.0 / std::numbers::pi));
  for (int64_t i = 0; i < n; ++i) {
    const float t = x[i];
    out[i] = 0.5f * t * (1.0f + std::tanh(k * (t + 0.044715f * t * t * t)));
  }
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
    out[i] = cap * std::tanh(x[i] / cap);
}

void Logits(ThreadPool &pool, const float *x, int64_t n, int64_t width,
            const WeightView &table, int64_t vocab, float cap, float *out) {
  Matmul(pool, x, n, width, table, {}, vocab, out);
  if (cap > 0)
    Softcap(out, n * vocab, cap, out);
}

} // namespace gemma::cpu
