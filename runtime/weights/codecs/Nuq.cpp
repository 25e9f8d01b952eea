//===- Nuq.cpp - gemma.cpp's non-uniform quantization ---------------------===//

#include "runtime/weights/codecs/Nuq.h"

#include "runtime/weights/codecs/Sfp.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <vector>

namespace gemma {
namespace {

// Optimal partition of sorted values into k contiguous clusters under L2:
// D[c][j] = min_i D[c-1][i] + cost(i, j). The optimal split point is
// monotone in j, so each layer is solved by divide and conquer in
// O(n log n) instead of O(n^2).
class KMeans1D {
public:
  explicit KMeans1D(const std::vector<float> &sorted)
      : n_(sorted.size()), s1_(n_ + 1, 0.0), s2_(n_ + 1, 0.0) {
    for (size_t i = 0; i < n_; ++i) {
      s1_[i + 1] = s1_[i] + sorted[i];
      s2_[i + 1] = s2_[i] + static_cast<double>(sorted[i]) * sorted[i];
    }
  }

  // Squared deviation of values [i, j) from their mean.
  double Cost(size_t i, size_t j) const {
    double sum = s1_[j] - s1_[i];
    return (s2_[j] - s2_[i]) - sum * sum / static_cast<double>(j - i);
  }

  double Mean(size_t i, size_t j) const {
    return (s1_[j] - s1_[i]) / static_cast<double>(j - i);
  }

  // Returns the cluster boundaries: cluster c is [bounds[c], bounds[c+1]).
  std::vector<size_t> Solve(size_t k) {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> prev(n_ + 1, inf), cur(n_ + 1, inf);
    std::vector<std::vector<size_t>> split(k, std::vector<size_t>(n_ + 1, 0));
    for (size_t j = 1; j <= n_; ++j)
      prev[j] = Cost(0, j);
    for (size_t c = 1; c < k; ++c) {
      std::fill(cur.begin(), cur.end(), inf);
      Layer(c, c + 1, n_, c, n_ - 1, prev, cur, split[c]);
      std::swap(prev, cur);
    }
    std::vector<size_t> bounds(k + 1, 0);
    bounds[k] = n_;
    for (size_t c = k - 1; c > 0; --c)
      bounds[c] = split[c][bounds[c + 1]];
    return bounds;
  }

private:
  // Fills cur[j] for j in [lo, hi], knowing the optimal split lies in
  // [opt_lo, opt_hi].
  void Layer(size_t c, size_t lo, size_t hi, size_t opt_lo, size_t opt_hi,
             const std::vector<double> &prev, std::vector<double> &cur,
             std::vector<size_t> &split) {
    if (lo > hi)
      return;
    size_t mid = lo + (hi - lo) / 2;
    size_t best = opt_lo;
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t i = opt_lo; i <= std::min(opt_hi, mid - 1); ++i) {
      double cost = prev[i] + Cost(i, mid);
      if (cost < best_cost) {
        best_cost = cost;
        best = i;
      }
    }
    cur[mid] = best_cost;
    split[mid] = best;
    if (mid > lo)
      Layer(c, lo, mid - 1, opt_lo, best, prev, cur, split);
    Layer(c, mid + 1, hi, best, opt_hi, prev, cur, split);
  }

  size_t n_;
  std::vector<double> s1_, s2_;
};

void EncodeGroup(std::span<const float> values, uint8_t *out) {
  const size_t count = values.size();
  // Pad a partial group with its own maximum.
  std::vector<float> group(values.begin(), values.end());
  group.resize(kNuqGroupSize, *std::max_element(values.begin(), values.end()));

  std::vector<uint32_t> order(kNuqGroupSize);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return group[a] < group[b]; });
  std::vector<float> sorted(kNuqGroupSize);
  for (size_t i = 0; i < kNuqGroupSize; ++i)
    sorted[i] = group[order[i]];

  size_t distinct = 1;
  for (size_t i = 1; i < kNuqGroupSize; ++i)
    distinct += sorted[i] != sorted[i - 1];
  const size_t k = std::min<size_t>(kNuqClusters, distinct);
  KMeans1D kmeans(sorted);
  std::vector<size_t> bounds = kmeans.Solve(k);

  // Unused clusters come first as zeros; used ones ascend after them.
  std::array<uint8_t, kNuqClusters> table{};
  std::array<uint8_t, kNuqGroupSize> index{};
  const size_t first = kNuqClusters - k;
  for (size_t c = 0; c < k; ++c) {
    table[first + c] =
        SfpEncode(static_cast<float>(kmeans.Mean(bounds[c], bounds[c + 1])));
    for (size_t i = bounds[c]; i < bounds[c + 1]; ++i)
      index[order[i]] = static_cast<uint8_t>(first + c);
  }
  std::copy(table.begin(), table.end(), out);
  uint8_t *nibbles = out + kNuqClusters;
  for (size_t j = 0; j < count; j += 2) {
    uint8_t hi = j + 1 < count ? index[j + 1] : 0;
    nibbles[j / 2] = static_cast<uint8_t>(index[j] | (hi << 4));
  }
}

} // namespace

void NuqEncode(std::span<const float> values, std::span<uint8_t> out) {
  for (uint64_t start = 0; start < values.size(); start += kNuqGroupSize) {
    uint64_t count = std::min<uint64_t>(kNuqGroupSize, values.size() - start);
    EncodeGroup(values.subspan(start, count),
                out.data() + start / kNuqGroupSize * kNuqGroupBytes);
  }
}

float NuqDecode(const uint8_t *packed, uint64_t i) {
  const uint8_t *group = packed + i / kNuqGroupSize * kNuqGroupBytes;
  const uint64_t j = i % kNuqGroupSize;
  const uint8_t byte = group[kNuqClusters + j / 2];
  const uint8_t nibble = j % 2 == 0 ? byte & 0x0F : byte >> 4;
  return SfpDecode(group[nibble]);
}

} // namespace gemma
