//===- TokenLogprobs.h - A generated token's log-probability ----*- C++ -*-===//
//
// What OpenAI's `logprobs` report: the log-probability of each generated
// token under the model's distribution (the log-softmax of its final
// logits, before temperature, penalties or truncation change the draw),
// and the likeliest alternatives at that step.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_TOKENLOGPROBS_H
#define RUNTIME_EXEC_TOKENLOGPROBS_H

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace gemma {

struct TokenLogprobs {
  int32_t token = 0;
  float logprob = 0;
  // The `top` likeliest ids with their log-probabilities, likeliest first
  // (a lower id first among equal logits).
  std::vector<std::pair<int32_t, float>> top;
};

// log softmax(logits)[token] (sums in double, so a 262144-entry vocabulary
// loses nothing to f32 rounding) and the `top` likeliest entries.
TokenLogprobs LogprobsOf(std::span<const float> logits, int32_t token, int top);

} // namespace gemma

#endif // RUNTIME_EXEC_TOKENLOGPROBS_H
