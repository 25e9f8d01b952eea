//===- Generate.h - Greedy generation with the reference evaluator -*- C++
//-*-===//
//
// docs/gemma-math.md 5.2: the prompt's tokens 0..n-2 are prefilled; the last
// prompt token is the first decode input, at position n-1; each step feeds the
// argmax of the previous logits. Generation stops at an eos id (not
// returned) unless told to ignore it, after max_tokens, or at the end of
// the context.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_GENERATE_H
#define COMPILER_REFERENCE_GENERATE_H

#include "compiler/reference/ModelRunner.h"

#include <functional>

namespace gemma::reference {

struct GreedyOptions {
  int64_t max_tokens = 16;
  bool ignore_eos = false;
  // Called with the logits [1, vocab] of every decode step.
  std::function<void(int64_t step, const Tensor &logits)> on_logits;
  // An image prompt's soft tokens at their rows [prompt, d]
  // (ImagePrompt.h): the prompt less its last token is then prefilled as
  // one @prefill_image_T chunk, which needs that bucket.
  const Tensor *soft = nullptr;
};

struct GreedyResult {
  std::vector<int32_t> tokens;
  bool hit_eos = false;
  bool hit_context = false;
};

absl::StatusOr<GreedyResult> GenerateGreedy(ModelRunner &runner,
                                            std::span<const int32_t> prompt,
                                            const GreedyOptions &options);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_GENERATE_H
