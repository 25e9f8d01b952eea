//===- Generate.cpp - Greedy generation with the reference evaluator ------===//

#include "compiler/reference/Generate.h"

#include <fmt/format.h>

#include <algorithm>

namespace gemma::reference {

absl::StatusOr<GreedyResult> GenerateGreedy(ModelRunner &runner,
                                            std::span<const int32_t> prompt,
                                            const GreedyOptions &options) {
  const uint32_t context = runner.layout().context;
  if (prompt.empty())
    return absl::InvalidArgumentError("the prompt has no tokens");
  if (prompt.size() > context)
    return absl::OutOfRangeError(
        fmt::format("the prompt has {} tokens, more than the context of {} "
                    "positions",
                    prompt.size(), context));
  KvCaches caches = runner.EmptyCaches(1);
  if (options.soft) {
    const int64_t rows = int64_t(prompt.size()) - 1;
    if (rows < 1 || options.soft->shape.size() != 2 ||
        options.soft->shape[0] != int64_t(prompt.size()))
      return absl::InvalidArgumentError(
          "an image prompt needs a soft-token row for each prompt token");
    if (prompt.back() == runner.layout().image_token)
      return absl::InvalidArgumentError(
          "the prompt ends in an image token: its image must come before "
          "the last token");
    Tensor soft = Tensor::Zeros({rows, options.soft->shape[1]});
    std::copy_n(options.soft->data.begin(), soft.data.size(),
                soft.data.begin());
    absl::StatusOr<Tensor> logits =
        runner.PrefillImages(prompt.first(size_t(rows)), 0, soft, caches);
    if (!logits.ok())
      return logits.status();
  } else if (prompt.size() > 1) {
    if (absl::Status s =
            runner.Prefill(prompt.first(prompt.size() - 1), 0, caches);
        !s.ok())
      return s;
  }

  GreedyResult result;
  const std::vector<int32_t> &eos = runner.spec().eos_ids;
  int32_t token = prompt.back();
  int32_t position = int32_t(prompt.size()) - 1;
  for (int64_t step = 0; step < options.max_tokens; ++step, ++position) {
    if (uint32_t(position) >= context) {
      result.hit_context = true;
      break;
    }
    int32_t ids[1] = {token}, positions[1] = {position};
    absl::StatusOr<Tensor> logits = runner.Decode(ids, positions, caches);
    if (!logits.ok())
      return logits.status();
    if (options.on_logits)
      options.on_logits(step, *logits);
    token = Argmax(*logits).front();
    if (!options.ignore_eos &&
        std::find(eos.begin(), eos.end(), token) != eos.end()) {
      result.hit_eos = true;
      break;
    }
    result.tokens.push_back(token);
  }
  return result;
}

} // namespace gemma::reference
