//===- Sampler.cpp - The next token from logits ---------------------------===//

#include "runtime/exec/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace gemma {

int32_t Sampler::Next(std::span<const float> logits) {
  if (options_.temperature <= 0.0f)
    return int32_t(std::max_element(logits.begin(), logits.end()) -
                   logits.begin());
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t k = options_.top_k > 0
                       ? std::min(size_t(options_.top_k), logits.size())
                       : logits.size();
  std::partial_sort(
      ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
      });
  ids.resize(k);
  std::vector<double> p(k);
  const double top = logits[ids[0]];
  double sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += p[i] = std::exp((logits[ids[i]] - top) / options_.temperature);
  // Nucleus: the smallest prefix whose probability reaches top_p.
  size_t keep = k;
  if (options_.top_p < 1.0f) {
    double mass = 0;
    for (size_t i = 0; i < k; ++i) {
      mass += p[i] / sum;
      if (mass >= options_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  std::discrete_distribution<size_t> pick(p.begin(), p.begin() + keep);
  return ids[pick(rng_)];
}

} // namespace gemma
