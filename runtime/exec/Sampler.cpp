//===- Sampler.cpp - The next token from logits ---------------------------===//

#include "runtime/exec/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gemma {

std::string SamplingOptions::Check() const {
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return "--temperature must be a finite number >= 0";
  if (top_k < 0)
    return "--top-k must be >= 0 (0: all ids)";
  if (!(top_p > 0 && top_p <= 1))
    return "--top-p must be in (0, 1]";
  if (!(min_p >= 0 && min_p <= 1))
    return "--min-p must be in [0, 1]";
  if (!(repetition_penalty > 0) || !std::isfinite(repetition_penalty))
    return "--repeat-penalty must be a finite number > 0 (1: none)";
  return {};
}

int32_t Sampler::Next(std::span<const float> logits,
                      std::span<const int32_t> recent) {
  if (options_.repetition_penalty != 1.0f && !recent.empty()) {
    penalized_.assign(logits.begin(), logits.end());
    // Once per id, however often it occurs.
    std::vector<int32_t> unique(recent.begin(), recent.end());
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (int32_t id : unique) {
      if (id < 0 || size_t(id) >= penalized_.size())
        continue;
      float &v = penalized_[id];
      v = v > 0 ? v / options_.repetition_penalty
                : v * options_.repetition_penalty;
    }
    logits = penalized_;
  }
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
  return Draw(ids, [&](size_t i) { return logits[size_t(ids[i])]; });
}

int32_t Sampler::NextFromTop(std::span<const int32_t> ids,
                             std::span<const float> logits) {
  if (ids.empty())
    return 0;
  return Draw(ids, [&](size_t i) { return logits[i]; });
}

template <typename LogitOf>
int32_t Sampler::Draw(std::span<const int32_t> ids, LogitOf logit_of) {
  const size_t k = ids.size();
  std::vector<double> p(k);
  const double top = logit_of(0);
  double sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += p[i] = std::exp((logit_of(i) - top) / options_.temperature);
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
  // Min-p: p[0] is the likeliest (exp(0) = 1 before normalizing).
  if (options_.min_p > 0.0f)
    while (keep > 1 && p[keep - 1] < options_.min_p * p[0])
      --keep;
  std::discrete_distribution<size_t> pick(p.begin(), p.begin() + long(keep));
  return ids[pick(rng_)];
}

} // namespace gemma
