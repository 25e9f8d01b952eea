//===- Kernels.cpp - Executable semantics of the gemma ops ----------------===//

#include "compiler/reference/Kernels.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace gemma::reference {

Tensor Tensor::Zeros(std::vector<int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.assign(t.NumElements(), 0.0f);
  return t;
}

int64_t Tensor::NumElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

int64_t Tensor::RowWidth() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

namespace {

// GELU with the tanh approximation, in f64.
double GeluTanhOf(double t) {
  return ApplyUnary<double>(UnaryFn::kGeluTanh, t, 0.0);
}

double Dot(const float *a, const float *b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return sum;
}

// The sequence of a [B, S, K, D] cache that row n of an op reads or writes.
int64_t SequenceOf(int64_t row, int64_t sequences) {
  return sequences == 1 ? 0 : row;
}

template <class F> Tensor Map(const Tensor &x, F f) {
  Tensor y = x;
  for (float &v : y.data)
    v = f(v);
  return y;
}

} // namespace

absl::StatusOr<Tensor> Embed(std::span<const int32_t> ids,
                             const WeightRows &table, float scale,
                             int64_t first, int64_t width) {
  if (width < 0)
    width = table.cols - first;
  if (first < 0 || first + width > table.cols)
    return absl::InvalidArgumentError(
        fmt::format("columns [{}, {}) of a table {} wide", first, first + width,
                    table.cols));
  Tensor x = Tensor::Zeros({static_cast<int64_t>(ids.size()), width});
  std::vector<float> full(static_cast<size_t>(table.cols));
  for (size_t n = 0; n < ids.size(); ++n) {
    if (ids[n] < 0 || ids[n] >= table.rows)
      return absl::OutOfRangeError(
          fmt::format("token id {} at row {} is outside the vocabulary of {}",
                      ids[n], n, table.rows));
    table.decode(ids[n], full.data());
    float *row = x.Row(static_cast<int64_t>(n));
    for (int64_t i = 0; i < width; ++i)
      row[i] = full[size_t(first + i)] * scale;
  }
  return x;
}

Tensor RmsNorm(const Tensor &x, const WeightRows *weight, NormWeight kind,
               float epsilon) {
  const int64_t width = x.shape.back();
  std::vector<float> w(width, 0.0f);
  if (weight)
    weight->decode(0, w.data());
  Tensor y = x;
  for (int64_t start = 0; start < x.NumElements(); start += width) {
    const float *in = x.data.data() + start;
    double mean_square = Dot(in, in, width) / static_cast<double>(width);
    double r = 1.0 / std::sqrt(mean_square + static_cast<double>(epsilon));
    float *out = y.data.data() + start;
    for (int64_t i = 0; i < width; ++i) {
      double factor = kind == NormWeight::kPlusOne ? 1.0 + w[i]
                      : kind == NormWeight::kPlain ? w[i]
                                                   : 1.0;
      out[i] = static_cast<float>(in[i] * r * factor);
    }
  }
  return y;
}

Tensor Matmul(const Tensor &x, const WeightRows &w,
              std::span<const RowRange> ranges,
              std::vector<int64_t> result_shape) {
  Tensor y = Tensor::Zeros(std::move(result_shape));
  const int64_t rows = x.shape[0], in = x.RowWidth(), out = y.RowWidth();
  std::vector<int64_t> weight_rows;
  for (const RowRange &range : ranges)
    for (int64_t r = range.begin; r < range.end; ++r)
      weight_rows.push_back(r);
  if (ranges.empty())
    for (int64_t r = 0; r < out; ++r)
      weight_rows.push_back(r);
  std::vector<float> weight_row(w.cols);
  for (int64_t o = 0; o < out; ++o) {
    w.decode(weight_rows[o], weight_row.data());
    for (int64_t n = 0; n < rows; ++n)
      y.Row(n)[o] = static_cast<float>(Dot(x.Row(n), weight_row.data(), in));
  }
  return y;
}

Tensor MatmulHeads(const Tensor &x, const WeightRows &w,
                   std::vector<int64_t> result_shape) {
  Tensor y = Tensor::Zeros(std::move(result_shape));
  const int64_t rows = x.shape[0], heads = x.shape[1], in = x.shape[2];
  const int64_t out = y.RowWidth();
  std::vector<float> weight_row(w.cols);
  std::vector<double> sums(rows);
  for (int64_t o = 0; o < out; ++o) {
    std::fill(sums.begin(), sums.end(), 0.0);
    // One f64 sum over all heads, as if the blocks were one [out, H * in]
    // matrix (gemma.cpp's att_w).
    for (int64_t h = 0; h < heads; ++h) {
      w.decode(h * out + o, weight_row.data());
      for (int64_t n = 0; n < rows; ++n)
        sums[n] += Dot(x.Row(n) + h * in, weight_row.data(), in);
    }
    for (int64_t n = 0; n < rows; ++n)
      y.Row(n)[o] = static_cast<float>(sums[n]);
  }
  return y;
}

Tensor Rope(const Tensor &x, std::span<const int32_t> positions, double base,
            double linear_scale, double fraction) {
  const int64_t heads = x.shape[1], dim = x.shape[2], half = dim / 2;
  const auto pairs = static_cast<int64_t>(std::floor(fraction * dim / 2.0));
  Tensor y = x;
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    for (int64_t i = 0; i < pairs; ++i) {
      // The exponent's denominator is the full head dimension, also when
      // only a fraction rotates (docs/gemma-math.md 3.3).
      double inv_freq = 1.0 / std::pow(base, 2.0 * i / dim);
      double theta = positions[n] * inv_freq / linear_scale;
      double c = std::cos(theta), s = std::sin(theta);
      for (int64_t h = 0; h < heads; ++h) {
        float *v = y.Row(n) + h * dim;
        double a = v[i], b = v[i + half];
        v[i] = static_cast<float>(a * c - b * s);
        v[i + half] = static_cast<float>(b * c + a * s);
      }
    }
  }
  return y;
}

Tensor KvWrite(const Tensor &cache, const Tensor &x,
               std::span<const int32_t> positions) {
  Tensor out = cache;
  const int64_t sequences = cache.shape[0], slots = cache.shape[1];
  const int64_t width = x.RowWidth(); // K * D
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    int64_t slot = positions[n] % slots;
    int64_t b = SequenceOf(n, sequences);
    std::copy_n(x.Row(n), width, out.data.data() + (b * slots + slot) * width);
  }
  return out;
}

Tensor AttnScores(const Tensor &q, const Tensor &keys, float scale) {
  const int64_t rows = q.shape[0], heads = q.shape[1], dim = q.shape[2];
  const int64_t sequences = keys.shape[0], slots = keys.shape[1],
                kv_heads = keys.shape[2];
  const int64_t group = heads / kv_heads;
  Tensor scores = Tensor::Zeros({rows, heads, slots});
  for (int64_t n = 0; n < rows; ++n) {
    int64_t b = SequenceOf(n, sequences);
    for (int64_t h = 0; h < heads; ++h) {
      const float *qh = q.Row(n) + h * dim;
      for (int64_t s = 0; s < slots; ++s) {
        const float *k =
            keys.data.data() + ((b * slots + s) * kv_heads + h / group) * dim;
        scores.Row(n)[h * slots + s] =
            static_cast<float>(scale * Dot(qh, k, dim));
      }
    }
  }
  return scores;
}

Tensor Softcap(const Tensor &x, float cap) {
  return Unary(x, UnaryFn::kSoftcap, cap);
}

Tensor WindowMask(const Tensor &scores, std::span<const int32_t> positions,
                  std::optional<int64_t> window) {
  const int64_t heads = scores.shape[1], slots = scores.shape[2];
  Tensor out = scores;
  for (int64_t n = 0; n < scores.shape[0]; ++n) {
    const int64_t p = positions[n];
    for (int64_t s = 0; s < slots; ++s) {
      // The latest position written to slot s (ring buffers included).
      int64_t j = p - (((p - s) % slots) + slots) % slots;
      bool keep = j >= 0 && j <= p && (!window || j > p - *window);
      if (keep)
        continue;
      for (int64_t h = 0; h < heads; ++h)
        out.Row(n)[h * slots + s] = -std::numeric_limits<float>::infinity();
    }
  }
  return out;
}

absl::StatusOr<Tensor> Softmax(const Tensor &x) {
  const int64_t width = x.shape.back();
  Tensor y = x;
  for (int64_t start = 0; start < x.NumElements(); start += width) {
    const float *in = x.data.data() + start;
    double max = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < width; ++i)
      max = std::max(max, static_cast<double>(in[i]));
    if (!std::isfinite(max))
      return absl::InvalidArgumentError(
          "softmax over a row with no finite score (every key masked)");
    double sum = 0.0;
    for (int64_t i = 0; i < width; ++i)
      sum += std::exp(in[i] - max);
    for (int64_t i = 0; i < width; ++i)
      y.data[start + i] = static_cast<float>(std::exp(in[i] - max) / sum);
  }
  return y;
}

Tensor AttnValues(const Tensor &probs, const Tensor &values) {
  const int64_t rows = probs.shape[0], heads = probs.shape[1],
                slots = probs.shape[2];
  const int64_t sequences = values.shape[0], kv_heads = values.shape[2],
                dim = values.shape[3];
  const int64_t group = heads / kv_heads;
  Tensor out = Tensor::Zeros({rows, heads, dim});
  std::vector<double> acc(dim);
  for (int64_t n = 0; n < rows; ++n) {
    int64_t b = SequenceOf(n, sequences);
    for (int64_t h = 0; h < heads; ++h) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float *p = probs.Row(n) + h * slots;
      for (int64_t s = 0; s < slots; ++s) {
        if (p[s] == 0.0f)
          continue;
        const float *v =
            values.data.data() + ((b * slots + s) * kv_heads + h / group) * dim;
        for (int64_t d = 0; d < dim; ++d)
          acc[d] += static_cast<double>(p[s]) * v[d];
      }
      for (int64_t d = 0; d < dim; ++d)
        out.Row(n)[h * dim + d] = static_cast<float>(acc[d]);
    }
  }
  return out;
}

std::vector<int64_t> TopK(std::span<const float> row, int64_t top_k) {
  std::vector<int64_t> order(row.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return row[a] > row[b]; });
  order.resize(static_cast<size_t>(top_k));
  return order;
}

Tensor MoeExperts(const Tensor &input, const Tensor &logits,
                  const WeightRows &expert_scale, const WeightRows &gate_up,
                  const WeightRows &down, int64_t top_k) {
  const int64_t rows = input.shape[0], d = input.shape[1];
  const int64_t experts = logits.shape[1];
  const int64_t ff = gate_up.rows / (2 * experts);
  std::vector<float> scales(static_cast<size_t>(experts));
  expert_scale.decode(0, scales.data());
  Tensor y = Tensor::Zeros({rows, d});
  std::vector<float> w(static_cast<size_t>(std::max(d, ff)));
  std::vector<double> hidden(static_cast<size_t>(ff));
  for (int64_t n = 0; n < rows; ++n) {
    std::span<const float> l(logits.Row(n), static_cast<size_t>(experts));
    // Softmax in f64; renormalized over the chosen experts.
    const double top = *std::max_element(l.begin(), l.end());
    std::vector<double> p(static_cast<size_t>(experts));
    double sum = 0;
    for (int64_t e = 0; e < experts; ++e)
      sum += p[e] = std::exp(double(l[e]) - top);
    const std::vector<int64_t> chosen = TopK(l, top_k);
    double chosen_sum = 0;
    for (int64_t e : chosen)
      chosen_sum += p[e] / sum;
    const float *u = input.Row(n);
    std::vector<double> out(static_cast<size_t>(d), 0.0);
    for (int64_t e : chosen) {
      const double weight = p[e] / sum / chosen_sum * scales[e];
      for (int64_t f = 0; f < ff; ++f) {
        gate_up.decode(2 * e * ff + f, w.data());
        const double gate = Dot(u, w.data(), d);
        gate_up.decode(2 * e * ff + ff + f, w.data());
        const double up = Dot(u, w.data(), d);
        hidden[f] = GeluTanhOf(gate) * up;
      }
      for (int64_t o = 0; o < d; ++o) {
        down.decode(e * d + o, w.data());
        double acc = 0;
        for (int64_t f = 0; f < ff; ++f)
          acc += hidden[f] * double(w[f]);
        out[o] += weight * acc;
      }
    }
    for (int64_t o = 0; o < d; ++o)
      y.Row(n)[o] = static_cast<float>(out[o]);
  }
  return y;
}

Tensor GeluTanh(const Tensor &x) { return Unary(x, UnaryFn::kGeluTanh, 0.0f); }

Tensor Unary(const Tensor &x, UnaryFn fn, float parameter) {
  return Map(x, [fn, parameter](float v) {
    return static_cast<float>(ApplyUnary<double>(fn, v, parameter));
  });
}

Tensor Binary(const Tensor &a, const Tensor &b, BinaryFn fn) {
  Tensor y = a;
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = static_cast<float>(
        ApplyBinary<double>(fn, double(a.data[i]), double(b.data[i])));
  return y;
}

Tensor Add(const Tensor &a, const Tensor &b) {
  Tensor y = a;
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = a.data[i] + b.data[i];
  return y;
}

Tensor Mul(const Tensor &a, const Tensor &b) {
  Tensor y = a;
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = a.data[i] * b.data[i];
  return y;
}

Tensor ScaleBy(const Tensor &x, float factor) {
  return Map(x, [factor](float v) { return v * factor; });
}

Tensor Logits(const Tensor &x, const WeightRows &table, int64_t vocab) {
  const int64_t rows = x.shape[0];
  Tensor logits = Tensor::Zeros({rows, vocab});
  std::vector<float> row(table.cols);
  for (int64_t v = 0; v < vocab; ++v) {
    table.decode(v, row.data());
    for (int64_t n = 0; n < rows; ++n)
      logits.Row(n)[v] =
          static_cast<float>(Dot(x.Row(n), row.data(), table.cols));
  }
  return logits;
}

std::vector<int32_t> Argmax(const Tensor &x) {
  const int64_t width = x.shape.back();
  std::vector<int32_t> ids(x.shape[0]);
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    const float *row = x.Row(n);
    int64_t best = 0;
    for (int64_t i = 1; i < width; ++i)
      if (row[i] > row[best])
        best = i;
    ids[n] = static_cast<int32_t>(best);
  }
  return ids;
}

} // namespace gemma::reference
