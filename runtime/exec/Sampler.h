//===- Sampler.h - The next token from logits -------------------*- C++ -*-===//
//
// In Hugging Face's order of logits processors: the repetition penalty over
// the recent ids (a positive logit divided by it, a negative one multiplied,
// as the CTRL paper and transformers do), then either greedy (temperature 0,
// the default: the lowest id among the maxima, as the reference evaluator) or
// sampling from softmax(logits / temperature) restricted to the top-k ids,
// then to the smallest prefix of them whose probability reaches top-p, then
// to those at least min-p times as likely as the likeliest; a seeded
// generator makes the same seed give the same tokens.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_SAMPLER_H
#define RUNTIME_EXEC_SAMPLER_H

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace gemma {

struct SamplingOptions {
  float temperature = 0.0f;
  int top_k = 0;                   // 0: all ids
  float top_p = 1.0f;              // 1: no nucleus cut
  float min_p = 0.0f;              // 0: no cut
  float repetition_penalty = 1.0f; // 1: none
  uint64_t seed = 0;

  // Empty when valid, else one line naming the bad option.
  std::string Check() const;
};

// How many of the latest ids the repetition penalty looks at (llama.cpp's
// default --repeat-last-n).
inline constexpr size_t kRepetitionWindow = 64;

class Sampler {
public:
  explicit Sampler(SamplingOptions options)
      : options_(options), rng_(options.seed) {}
  // Whether Next is the argmax of the logits as they are (temperature 0,
  // no repetition penalty): a backend may then pick it itself.
  bool greedy() const {
    return options_.temperature <= 0.0f && options_.repetition_penalty == 1.0f;
  }
  // When the draw needs only the top-k candidates (sampling, top-k on, no
  // repetition penalty), k: a backend may then choose them itself and
  // NextFromTop finishes the draw. Else 0.
  int top_candidates() const {
    return options_.temperature > 0.0f && options_.repetition_penalty == 1.0f &&
                   options_.top_k > 0
               ? options_.top_k
               : 0;
  }
  // `recent`: the ids the repetition penalty applies to (each once).
  int32_t Next(std::span<const float> logits,
               std::span<const int32_t> recent = {});
  // Next from the top_candidates() likeliest ids and their logits, in
  // HostTopK's order (runtime/Backend.h): the same draw as Next on all the
  // logits, for the same generator state.
  int32_t NextFromTop(std::span<const int32_t> ids,
                      std::span<const float> logits);

private:
  // The draw from candidates sorted likeliest first (logit(i) of the i-th).
  template <typename LogitOf>
  int32_t Draw(std::span<const int32_t> ids, LogitOf logit_of);

  SamplingOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> penalized_;
};

} // namespace gemma

#endif // RUNTIME_EXEC_SAMPLER_H
