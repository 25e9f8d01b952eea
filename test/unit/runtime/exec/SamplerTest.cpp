//===- SamplerTest.cpp - Sampling filters, checked statistically ----------===//
//
// Random logits (never flat), many draws, stated tolerances: each filter
// keeps exactly the ids it should, and among those the draws follow the
// softmax of logits / temperature.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/Sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace gemma {
namespace {

std::vector<float> RandomLogits(size_t n, uint64_t seed, float spread = 3.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> logits(n);
  for (float &v : logits)
    v = normal(rng);
  return logits;
}

// Ids sorted by decreasing logit.
std::vector<int32_t> Ranked(const std::vector<float> &logits) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  return ids;
}

std::vector<double> Softmax(const std::vector<float> &logits, float t) {
  const float top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    sum += p[i] = std::exp((logits[i] - top) / t);
  for (double &v : p)
    v /= sum;
  return p;
}

std::map<int32_t, int> Draw(SamplingOptions options,
                            const std::vector<float> &logits, int n,
                            std::span<const int32_t> recent = {}) {
  Sampler sampler(options);
  std::map<int32_t, int> counts;
  for (int i = 0; i < n; ++i)
    ++counts[sampler.Next(logits, recent)];
  return counts;
}

TEST(Sampler, TemperatureZeroIsTheLowestIdAmongTheMaxima) {
  std::vector<float> logits = RandomLogits(1000, 1);
  logits[700] = logits[300] = 100.0f;
  Sampler sampler({.temperature = 0.0f, .top_k = 5, .min_p = 0.5f});
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(sampler.Next(logits), 300);
}

TEST(Sampler, TopKNeverLeavesTheKBest) {
  const std::vector<float> logits = RandomLogits(2000, 2);
  const std::vector<int32_t> ranked = Ranked(logits);
  const std::set<int32_t> best(ranked.begin(), ranked.begin() + 7);
  auto counts =
      Draw({.temperature = 5.0f, .top_k = 7, .seed = 3}, logits, 20000);
  for (const auto &[id, n] : counts)
    EXPECT_TRUE(best.contains(id)) << id;
  // A high temperature spreads the draws over all seven.
  EXPECT_EQ(counts.size(), 7u);
}

TEST(Sampler, DrawsFollowTheSoftmaxWithinFourSigma) {
  const std::vector<float> logits = RandomLogits(50, 4, 1.0f);
  const float t = 0.7f;
  const int n = 100000;
  const std::vector<double> p = Softmax(logits, t);
  auto counts = Draw({.temperature = t, .seed = 5}, logits, n);
  for (size_t id = 0; id < logits.size(); ++id) {
    const double expected = n * p[id];
    const double sigma = std::sqrt(n * p[id] * (1 - p[id]));
    EXPECT_NEAR(counts[int32_t(id)], expected, 4 * sigma + 1) << id;
  }
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingTheMass) {
  const std::vector<float> logits = RandomLogits(500, 6);
  const float t = 1.0f, top_p = 0.8f;
  const std::vector<double> p = Softmax(logits, t);
  const std::vector<int32_t> ranked = Ranked(logits);
  size_t keep = 0;
  for (double mass = 0; mass < top_p; ++keep)
    mass += p[ranked[keep]];
  const std::set<int32_t> allowed(ranked.begin(), ranked.begin() + keep);
  auto counts =
      Draw({.temperature = t, .top_p = top_p, .seed = 7}, logits, 30000);
  for (const auto &[id, n] : counts)
    EXPECT_TRUE(allowed.contains(id)) << id;
  // The last id of the prefix is reachable.
  EXPECT_GT(counts[ranked[keep - 1]], 0);
}

TEST(Sampler, MinPDropsIdsLessLikelyThanAFractionOfTheBest) {
  const std::vector<float> logits = RandomLogits(500, 8);
  const float t = 1.5f, min_p = 0.1f;
  const std::vector<double> p = Softmax(logits, t);
  const double best = *std::max_element(p.begin(), p.end());
  auto counts =
      Draw({.temperature = t, .min_p = min_p, .seed = 9}, logits, 30000);
  size_t allowed = 0;
  for (size_t id = 0; id < p.size(); ++id)
    if (p[id] >= min_p * best)
      ++allowed;
  ASSERT_GT(allowed, 2u);
  for (const auto &[id, n] : counts)
    EXPECT_GE(p[id], min_p * best) << id;
  EXPECT_EQ(counts.size(), allowed);
}

TEST(Sampler, TheSameSeedGivesTheSameIdsAndAnotherSeedOthers) {
  const std::vector<float> logits = RandomLogits(1000, 10, 1.0f);
  auto run = [&](uint64_t seed) {
    Sampler sampler({.temperature = 1.0f,
                     .top_k = 100,
                     .top_p = 0.95f,
                     .min_p = 0.01f,
                     .seed = seed});
    std::vector<int32_t> ids;
    for (int i = 0; i < 50; ++i)
      ids.push_back(sampler.Next(logits));
    return ids;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(Sampler, RepetitionPenaltyDemotesRecentIdsOnce) {
  std::vector<float> logits = RandomLogits(100, 11);
  // Every other id well below the two that matter here.
  for (float &v : logits)
    v = -std::abs(v) - 1.0f;
  const std::vector<int32_t> ranked = Ranked(logits);
  // The best id, positive, loses to the second after dividing by 10; a
  // repeated occurrence in `recent` does not penalize it twice.
  logits[ranked[0]] = 8.0f;
  logits[ranked[1]] = 5.0f;
  const std::vector<int32_t> recent = {ranked[0], ranked[0], ranked[0]};
  Sampler greedy({.repetition_penalty = 10.0f});
  EXPECT_EQ(greedy.Next(logits, recent), ranked[1]);
  logits[ranked[1]] = 0.7f; // 8 / 10 = 0.8 still wins: divided once
  EXPECT_EQ(greedy.Next(logits, recent), ranked[0]);
  // A negative logit is multiplied (pushed further down).
  std::vector<float> negative = {-1.0f, -1.5f};
  Sampler mild({.repetition_penalty = 2.0f});
  const std::vector<int32_t> first = {0};
  EXPECT_EQ(mild.Next(negative, first), 1);
}

TEST(Sampler, OptionsOutOfRangeAreNamed) {
  EXPECT_EQ(SamplingOptions{}.Check(), "");
  EXPECT_EQ(SamplingOptions{.temperature = -1}.Check(),
            "--temperature must be a finite number >= 0");
  EXPECT_EQ(SamplingOptions{.top_p = 0}.Check(), "--top-p must be in (0, 1]");
  EXPECT_EQ(SamplingOptions{.min_p = 1.5f}.Check(),
            "--min-p must be in [0, 1]");
  EXPECT_EQ(SamplingOptions{.repetition_penalty = 0}.Check(),
            "--repeat-penalty must be a finite number > 0 (1: none)");
}

} // namespace
} // namespace gemma
