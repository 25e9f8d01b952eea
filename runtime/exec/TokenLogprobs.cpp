//===- TokenLogprobs.cpp - A generated token's log-probability ------------===//

#include "runtime/exec/TokenLogprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gemma {

TokenLogprobs LogprobsOf(std::span<const float> logits, int32_t token,
                         int top) {
  TokenLogprobs out;
  out.token = token;
  if (logits.empty())
    return out;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits)
    sum += std::exp(double(l) - double(max));
  const double log_z = double(max) + std::log(sum);
  out.logprob = float(double(logits[size_t(token)]) - log_z);
  const size_t k = std::min(size_t(std::max(top, 0)), logits.size());
  if (k == 0)
    return out;
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const auto likelier = [&](int32_t a, int32_t b) {
    return logits[size_t(a)] > logits[size_t(b)] ||
           (logits[size_t(a)] == logits[size_t(b)] && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + long(k), ids.end(), likelier);
  for (size_t i = 0; i < k; ++i)
    out.top.emplace_back(ids[i], float(double(logits[size_t(ids[i])]) - log_z));
  return out;
}

} // namespace gemma
