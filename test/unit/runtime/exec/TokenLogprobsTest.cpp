//===- TokenLogprobsTest.cpp - log softmax of a step's logits -------------===//

#include "runtime/exec/TokenLogprobs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace gemma {
namespace {

TEST(TokenLogprobs, LogSoftmaxAndTheLikeliestFirst) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f};
  const double z = std::log(std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0));
  const TokenLogprobs lp = LogprobsOf(logits, 2, 3);
  EXPECT_EQ(lp.token, 2);
  EXPECT_NEAR(lp.logprob, 2.0 - z, 1e-6);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].first, 1); // equal logits: the lower id first
  EXPECT_EQ(lp.top[1].first, 3);
  EXPECT_EQ(lp.top[2].first, 2);
  EXPECT_NEAR(lp.top[0].second, 3.0 - z, 1e-6);
  EXPECT_TRUE(LogprobsOf(logits, 0, 0).top.empty());
  EXPECT_EQ(LogprobsOf(logits, 0, 99).top.size(), 4u);
}

// A vocabulary of Gemma's size with large logits: the probabilities still
// sum to 1 (the sum runs in double, from the maximum).
TEST(TokenLogprobs, AWholeVocabularySumsToOne) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(40.0f, 8.0f);
  std::vector<float> logits(262144);
  for (float &l : logits)
    l = normal(rng);
  double total = 0;
  for (size_t i = 0; i < logits.size(); i += 997) {
    const TokenLogprobs lp = LogprobsOf(logits, int32_t(i), 0);
    EXPECT_LE(lp.logprob, 0.0f);
  }
  const TokenLogprobs all = LogprobsOf(logits, 0, int(logits.size()));
  for (const auto &[id, logprob] : all.top)
    total += std::exp(double(logprob));
  EXPECT_NEAR(total, 1.0, 1e-4);
}

} // namespace
} // namespace gemma
