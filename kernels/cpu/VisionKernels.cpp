//===- VisionKernels.cpp - The image encoder's CPU kernels ----------------===//

#include "kernels/cpu/VisionKernels.h"

#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Vector.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

namespace gemma::cpu {
namespace {

// Query rows per attention block: two panels of the widest target, so the
// block's scores (64 x 4096 f32, 1 MiB at SigLIP's size) stay in L2.
constexpr int64_t kQueryBlock = 64;

struct AlignedFree {
  void operator()(float *p) const { std::free(p); }
};
using Floats = std::unique_ptr<float[], AlignedFree>;

Floats AlignedFloats(int64_t n) {
  const size_t bytes =
      (size_t(std::max<int64_t>(n, 1)) * sizeof(float) + 63) / 64 * 64;
  return Floats(static_cast<float *>(std::aligned_alloc(64, bytes)));
}

std::vector<float> Decoded(const WeightView &w, int64_t row) {
  std::vector<float> out(size_t(w.cols));
  w.DecodeRow(row, out.data());
  return out;
}

} // namespace

void LayerNorm(const float *x, int64_t rows, int64_t width,
               const WeightView &weight, const WeightView &bias, float epsilon,
               float *out) {
  const std::vector<float> w = Decoded(weight, 0), b = Decoded(bias, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x + r * width;
    float *y = out + r * width;
    float sum = 0.0f;
    for (int64_t i = 0; i < width; ++i)
      sum += in[i];
    const float mean = sum / float(width);
    float squares = 0.0f;
    for (int64_t i = 0; i < width; ++i)
      squares += (in[i] - mean) * (in[i] - mean);
    const float inv = 1.0f / std::sqrt(squares / float(width) + epsilon);
    for (int64_t i = 0; i < width; ++i)
      y[i] = (in[i] - mean) * inv * w[size_t(i)] + b[size_t(i)];
  }
}

void AddWeight(const float *x, int64_t rows, int64_t width,
               const WeightView &weight, float *out) {
  std::vector<float> w(static_cast<size_t>(width));
  for (int64_t r = 0; r < rows; ++r) {
    if (r == 0 || weight.rows > 1)
      weight.DecodeRow(weight.rows > 1 ? r : 0, w.data());
    for (int64_t i = 0; i < width; ++i)
      out[r * width + i] = x[r * width + i] + w[size_t(i)];
  }
}

void FullAttention(ThreadPool &pool, const float *q, const float *k,
                   const float *v, int64_t n, int64_t heads, int64_t dim,
                   float scale, float *out) {
  const int64_t stride = heads * dim;
  const int64_t blocks = (n + kQueryBlock - 1) / kQueryBlock;
  // Each head's keys (scaled) and values as GEMM "weight" rows: keys
  // [n, dim] contiguous, values transposed to [dim, n].
  const int64_t kstride = GemmRowStride(dim), vstride = GemmRowStride(n);
  Floats keys = AlignedFloats(n * kstride),
         values = AlignedFloats(dim * vstride);
  for (int64_t h = 0; h < heads; ++h) {
    pool.For(n, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        for (int64_t d = 0; d < dim; ++d) {
          keys[m * kstride + d] = k[m * stride + h * dim + d] * scale;
          values[d * vstride + m] = v[m * stride + h * dim + d];
        }
    });
    pool.For(blocks, [&](int64_t first, int64_t last) {
      const int64_t sstride = GemmRowStride(n);
      Floats query = AlignedFloats(kQueryBlock * dim);
      Floats packed = AlignedFloats(std::max(PackedTokensSize(kQueryBlock, dim),
                                             PackedTokensSize(kQueryBlock, n)));
      Floats scores = AlignedFloats(kQueryBlock * sstride);
      Floats probs = AlignedFloats(kQueryBlock * n);
      Floats result = AlignedFloats(kQueryBlock * dim);
      for (int64_t block = first; block < last; ++block) {
        const int64_t row = block * kQueryBlock;
        const int64_t rows = std::min(kQueryBlock, n - row);
        for (int64_t r = 0; r < rows; ++r)
          std::copy_n(q + (row + r) * stride + h * dim, dim,
                      query.get() + r * dim);
        const int64_t panels = (rows + GemmTokenWidth() - 1) / GemmTokenWidth();
        PackTokens(query.get(), rows, dim, packed.get(), 0, panels);
        // scores[r, m] = q_r . (scale k_m)
        GemmRows(keys.get(), kstride, n, dim, packed.get(), rows, scores.get(),
                 sstride);
        // The vectorized softmax of Vector.h (a scalar exp here took most
        // of the time: 4096 of them per row).
        for (int64_t r = 0; r < rows; ++r)
          SoftmaxRows(scores.get() + r * sstride, 1, n, probs.get() + r * n);
        PackTokens(probs.get(), rows, n, packed.get(), 0, panels);
        // result[r, d] = p_r . values[:, d]
        GemmRows(values.get(), vstride, dim, n, packed.get(), rows,
                 result.get(), dim);
        for (int64_t r = 0; r < rows; ++r)
          std::copy_n(result.get() + r * dim, dim,
                      out + (row + r) * stride + h * dim);
      }
    });
  }
}

void AvgPool(const float *x, int64_t rows, int64_t cols, int64_t kernel,
             int64_t width, float *out) {
  const int64_t out_rows = rows / kernel, out_cols = cols / kernel;
  const float inv = 1.0f / float(kernel * kernel);
  for (int64_t i = 0; i < out_rows; ++i)
    for (int64_t j = 0; j < out_cols; ++j) {
      float *y = out + (i * out_cols + j) * width;
      std::fill(y, y + width, 0.0f);
      for (int64_t a = 0; a < kernel; ++a)
        for (int64_t b = 0; b < kernel; ++b) {
          const float *in =
              x + ((i * kernel + a) * cols + j * kernel + b) * width;
          for (int64_t d = 0; d < width; ++d)
            y[d] += in[d];
        }
      for (int64_t d = 0; d < width; ++d)
        y[d] *= inv;
    }
}

} // namespace gemma::cpu
