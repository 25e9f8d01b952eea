//===- VisionKernels.cpp - Executable semantics of the vision ops ---------===//

#include "compiler/reference/VisionKernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace gemma::reference {

Tensor LayerNorm(const Tensor &x, const WeightRows &weight,
                 const WeightRows &bias, float epsilon) {
  const int64_t width = x.shape.back();
  std::vector<float> w(width), b(width);
  weight.decode(0, w.data());
  bias.decode(0, b.data());
  Tensor y = x;
  for (int64_t start = 0; start < x.NumElements(); start += width) {
    const float *in = x.data.data() + start;
    double sum = 0.0;
    for (int64_t i = 0; i < width; ++i)
      sum += in[i];
    const double mean = sum / double(width);
    double squares = 0.0;
    for (int64_t i = 0; i < width; ++i)
      squares += (in[i] - mean) * (in[i] - mean);
    const double r = 1.0 / std::sqrt(squares / double(width) + double(epsilon));
    float *out = y.data.data() + start;
    for (int64_t i = 0; i < width; ++i)
      out[i] = float((in[i] - mean) * r * double(w[i]) + double(b[i]));
  }
  return y;
}

Tensor AddWeight(const Tensor &x, const WeightRows &weight) {
  Tensor y = x;
  const int64_t rows = x.shape[0], width = x.RowWidth();
  std::vector<float> w(width);
  for (int64_t n = 0; n < rows; ++n) {
    if (n == 0 || weight.rows > 1)
      weight.decode(weight.rows > 1 ? n : 0, w.data());
    float *row = y.Row(n);
    for (int64_t i = 0; i < width; ++i)
      row[i] = float(double(row[i]) + double(w[i]));
  }
  return y;
}

absl::StatusOr<Tensor> FullAttention(const Tensor &query, const Tensor &keys,
                                     const Tensor &values, float scale) {
  const int64_t rows = query.shape[0], heads = query.shape[1],
                dim = query.shape[2];
  Tensor out = Tensor::Zeros({rows, heads, dim});
  Tensor scores = Tensor::Zeros({rows, heads, rows});
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t h = 0; h < heads; ++h) {
      const float *q = query.Row(n) + h * dim;
      for (int64_t m = 0; m < rows; ++m) {
        const float *k = keys.Row(m) + h * dim;
        double dot = 0.0;
        for (int64_t d = 0; d < dim; ++d)
          dot += double(q[d]) * double(k[d]);
        scores.Row(n)[h * rows + m] = float(double(scale) * dot);
      }
    }
  absl::StatusOr<Tensor> probs = Softmax(scores);
  if (!probs.ok())
    return probs.status();
  std::vector<double> acc(dim);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t h = 0; h < heads; ++h) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float *p = probs->Row(n) + h * rows;
      for (int64_t m = 0; m < rows; ++m) {
        const float *v = values.Row(m) + h * dim;
        for (int64_t d = 0; d < dim; ++d)
          acc[d] += double(p[m]) * double(v[d]);
      }
      for (int64_t d = 0; d < dim; ++d)
        out.Row(n)[h * dim + d] = float(acc[d]);
    }
  return out;
}

Tensor AvgPool(const Tensor &x, int64_t rows, int64_t cols, int64_t kernel) {
  const int64_t width = x.RowWidth();
  const int64_t out_rows = rows / kernel, out_cols = cols / kernel;
  Tensor y = Tensor::Zeros({out_rows * out_cols, width});
  std::vector<double> acc(width);
  for (int64_t i = 0; i < out_rows; ++i)
    for (int64_t j = 0; j < out_cols; ++j) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t a = 0; a < kernel; ++a)
        for (int64_t b = 0; b < kernel; ++b) {
          const float *in = x.Row((i * kernel + a) * cols + j * kernel + b);
          for (int64_t d = 0; d < width; ++d)
            acc[d] += in[d];
        }
      float *out = y.Row(i * out_cols + j);
      for (int64_t d = 0; d < width; ++d)
        out[d] = float(acc[d] / double(kernel * kernel));
    }
  return y;
}

Tensor ReplaceRows(const Tensor &x, const Tensor &replacement,
                   std::span<const int32_t> ids, int32_t token) {
  Tensor y = x;
  const int64_t width = x.RowWidth();
  for (int64_t n = 0; n < x.shape[0]; ++n)
    if (ids[size_t(n)] == token)
      std::copy_n(replacement.Row(n), width, y.Row(n));
  return y;
}

absl::StatusOr<Tensor> ImageMask(const Tensor &scores,
                                 std::span<const int32_t> positions,
                                 std::span<const int32_t> horizons,
                                 std::optional<int64_t> window) {
  const int64_t heads = scores.shape[1], slots = scores.shape[2];
  Tensor out = scores;
  for (int64_t n = 0; n < scores.shape[0]; ++n) {
    const int64_t p = positions[size_t(n)], h = horizons[size_t(n)];
    if (h < p)
      return absl::InvalidArgumentError(fmt::format(
          "row {} sees up to position {}, before its own position {}", n, h,
          p));
    for (int64_t s = 0; s < slots; ++s) {
      // The latest position up to h written to slot s.
      const int64_t j = h - (((h - s) % slots) + slots) % slots;
      const bool keep = j >= 0 && j <= h && (!window || j > p - *window);
      if (keep)
        continue;
      for (int64_t k = 0; k < heads; ++k)
        out.Row(n)[k * slots + s] = -std::numeric_limits<float>::infinity();
    }
  }
  return out;
}

} // namespace gemma::reference
