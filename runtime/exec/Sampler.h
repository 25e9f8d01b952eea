//===- Sampler.h - The next token from logits -------------------*- C++ -*-===//
//
// Greedy (temperature 0, the default: the lowest id among the maxima, as
// the reference evaluator), or sampling from softmax(logits / temperature)
// restricted to the top-k ids and then to the smallest prefix of them whose
// probability reaches top-p, with a seeded generator (the same seed gives
// the same tokens).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_SAMPLER_H
#define RUNTIME_EXEC_SAMPLER_H

#include <cstdint>
#include <random>
#include <span>

namespace gemma {

struct SamplingOptions {
  float temperature = 0.0f;
  int top_k = 0;      // 0: all ids
  float top_p = 1.0f; // 1: no nucleus cut
  uint64_t seed = 0;
};

class Sampler {
public:
  explicit Sampler(SamplingOptions options)
      : options_(options), rng_(options.seed) {}
  int32_t Next(std::span<const float> logits);

private:
  SamplingOptions options_;
  std::mt19937_64 rng_;
};

} // namespace gemma

#endif // RUNTIME_EXEC_SAMPLER_H
