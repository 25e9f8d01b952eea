//===- KernelsTest.cpp - Hand-computed cases of the reference kernels -----===//

#include "compiler/reference/Kernels.h"

#include "test/unit/compiler/reference/HandTensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace gemma::reference {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(Kernels, EmbedScalesRowsAndRejectsIdsOutsideTheTable) {
  WeightRows table = Rows(3, 2, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<Tensor> x = Embed(std::vector<int32_t>{2, 0}, table, 25.25f);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->data,
            (std::vector<float>{5 * 25.25f, 6 * 25.25f, 25.25f, 2 * 25.25f}));
  absl::StatusOr<Tensor> bad = Embed(std::vector<int32_t>{3}, table, 1.0f);
  EXPECT_EQ(bad.status().message(),
            "token id 3 at row 0 is outside the vocabulary of 3");
}

TEST(Kernels, EmbedReadsAColumnSlice) {
  WeightRows table = Rows(2, 4, {1, 2, 3, 4, 5, 6, 7, 8});
  absl::StatusOr<Tensor> x =
      Embed(std::vector<int32_t>{1, 0}, table, 2.0f, 1, 2);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(x->data, (std::vector<float>{12, 14, 4, 6}));
  EXPECT_FALSE(Embed(std::vector<int32_t>{0}, table, 1.0f, 3, 2).ok());
}

TEST(Kernels, TopKBreaksTiesToTheLowerIndex) {
  const std::vector<float> row = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  EXPECT_EQ(TopK(row, 3), (std::vector<int64_t>{1, 3, 4}));
}

// Two experts of width 1 on d = 1: expert e computes
// down_e * gelu(gate_e u) * up_e u; the top one of three by logit.
TEST(Kernels, MoeExpertsWeighsTheChosenExperts) {
  Tensor u = Make({1, 1}, {2.0f});
  Tensor logits = Make({1, 3}, {0.0f, 1.0f, 1.0f});
  WeightRows scale = Rows(1, 3, {1.0f, 0.5f, 3.0f});
  // gate_up rows per expert: gate, up.
  WeightRows gate_up = Rows(6, 1, {1, 1, 1, 2, 1, 3});
  WeightRows down = Rows(3, 1, {1, 1, 1});
  Tensor y = MoeExperts(u, logits, scale, gate_up, down, 2);
  const double gelu2 =
      0.5 * 2 *
      (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (2 + 0.044715 * 8)));
  // Experts 1 and 2 tie on logit: each gets half, times its scale.
  EXPECT_NEAR(y.data[0], 0.5 * 0.5 * gelu2 * 4 + 0.5 * 3.0 * gelu2 * 6, 1e-5);
}

TEST(Kernels, RmsNormConventions) {
  Tensor x = Make({1, 2}, {3, 4}); // mean square 12.5
  WeightRows w = Rows(1, 2, {0.5f, -1.0f});
  float r = static_cast<float>(1.0 / std::sqrt(12.5 + 1e-6));
  Tensor plus_one = RmsNorm(x, &w, NormWeight::kPlusOne, 1e-6f);
  EXPECT_FLOAT_EQ(plus_one.data[0], 3 * r * 1.5f);
  EXPECT_FLOAT_EQ(plus_one.data[1], 0.0f);
  Tensor plain = RmsNorm(x, &w, NormWeight::kPlain, 1e-6f);
  EXPECT_FLOAT_EQ(plain.data[0], 3 * r * 0.5f);
  EXPECT_FLOAT_EQ(plain.data[1], -4 * r);
  Tensor none = RmsNorm(x, nullptr, NormWeight::kNone, 1e-6f);
  EXPECT_FLOAT_EQ(none.data[1], 4 * r);
}

TEST(Kernels, RmsNormIsPerHeadOnThreeDimensionalInputs) {
  Tensor x = Make({1, 2, 2}, {1, 1, 2, 2});
  Tensor y = RmsNorm(x, nullptr, NormWeight::kNone, 0.0f);
  for (float v : y.data)
    EXPECT_FLOAT_EQ(v, 1.0f);
}

TEST(Kernels, MatmulUsesTheRowRangeAndFlattensHeads) {
  // w is [4, 2]; rows 2..3 are [[1, 0], [1, 1]].
  WeightRows w = Rows(4, 2, {9, 9, 9, 9, 1, 0, 1, 1});
  Tensor x = Make({1, 2}, {2, 3});
  std::vector<RowRange> rows = {{2, 4}};
  Tensor y = Matmul(x, w, rows, {1, 2, 1});
  EXPECT_EQ(y.data, (std::vector<float>{2, 5}));
  // A [1, 2, 1] head-split input is viewed as [1, 2].
  Tensor z = Matmul(Make({1, 2, 1}, {2, 3}), w, rows, {1, 2});
  EXPECT_EQ(z.data, (std::vector<float>{2, 5}));
}

TEST(Kernels, MatmulConcatenatesRowRanges) {
  // Rows 0, 3 and 1 of [[1, 0], [0, 1], [5, 5], [1, 1]]: the K rows of two
  // interleaved KV heads are two ranges.
  WeightRows w = Rows(4, 2, {1, 0, 0, 1, 5, 5, 1, 1});
  std::vector<RowRange> rows = {{0, 1}, {3, 4}, {1, 2}};
  Tensor y = Matmul(Make({1, 2}, {2, 3}), w, rows, {1, 3});
  EXPECT_EQ(y.data, (std::vector<float>{2, 5, 3}));
  // Without ranges every row is used in order.
  Tensor all = Matmul(Make({1, 2}, {2, 3}), w, {}, {1, 4});
  EXPECT_EQ(all.data, (std::vector<float>{2, 3, 25, 5}));
}

TEST(Kernels, MatmulHeadsSumsHeadMajorBlocks) {
  // H = 2 heads of width 2, out = 2: w is [[a0], [a1]] with a_h [2, 2].
  WeightRows w = Rows(4, 2, {1, 2, 3, 4, 10, 20, 30, 40});
  // x[0] = head 0 (1, 1), head 1 (1, 0).
  Tensor y = MatmulHeads(Make({1, 2, 2}, {1, 1, 1, 0}), w, {1, 2});
  // o = 0: (1*1 + 1*2) + (1*10) = 13; o = 1: (3 + 4) + 30 = 37.
  EXPECT_EQ(y.data, (std::vector<float>{13, 37}));
}

TEST(Kernels, RopePairsHalvesAndRotatesByPosition) {
  // D = 4: pairs (0, 2) with inv_freq 1 and (1, 3) with inv_freq 1/base^0.5.
  Tensor x = Make({1, 1, 4}, {1, 1, 0, 0});
  Tensor y = Rope(x, std::vector<int32_t>{1}, 100.0, 1.0, 1.0);
  EXPECT_NEAR(y.data[0], std::cos(1.0), 1e-7);
  EXPECT_NEAR(y.data[2], std::sin(1.0), 1e-7);
  EXPECT_NEAR(y.data[1], std::cos(0.1), 1e-7);
  EXPECT_NEAR(y.data[3], std::sin(0.1), 1e-7);
  // Linear scaling divides the angle.
  Tensor scaled = Rope(x, std::vector<int32_t>{8}, 100.0, 8.0, 1.0);
  EXPECT_NEAR(scaled.data[0], std::cos(1.0), 1e-6);
  // Position 0 is the identity.
  EXPECT_EQ(Rope(x, std::vector<int32_t>{0}, 100.0, 1.0, 1.0).data, x.data);
}

TEST(Kernels, ProportionalRopeRotatesOnlyTheFirstPairsOfEachHalf) {
  // D = 16, fraction 0.25: R = 2 pairs, dims 0-1 and 8-9, with the
  // frequencies of a full 16-wide RoPE.
  std::vector<float> ones(16, 1.0f);
  Tensor x = Make({1, 1, 16}, ones);
  Tensor y = Rope(x, std::vector<int32_t>{3}, 10000.0, 1.0, 0.25);
  for (int i = 0; i < 16; ++i) {
    bool rotated = i == 0 || i == 1 || i == 8 || i == 9;
    if (!rotated) {
      EXPECT_EQ(y.data[i], 1.0f) << i;
    }
  }
  double theta1 = 3.0 / std::pow(10000.0, 2.0 / 16);
  EXPECT_NEAR(y.data[1], std::cos(theta1) - std::sin(theta1), 1e-6);
  EXPECT_NEAR(y.data[9], std::cos(theta1) + std::sin(theta1), 1e-6);
}

TEST(Kernels, KvWriteUsesSlotsModuloTheCacheAndOneSequencePerDecodeRow) {
  Tensor cache = Tensor::Zeros({1, 4, 1, 1});
  Tensor x = Make({3, 1, 1}, {10, 11, 12});
  Tensor ring = KvWrite(cache, x, std::vector<int32_t>{3, 4, 5});
  EXPECT_EQ(ring.data, (std::vector<float>{11, 12, 0, 10}));
  Tensor batch = KvWrite(Tensor::Zeros({2, 4, 1, 1}), Make({2, 1, 1}, {7, 8}),
                         std::vector<int32_t>{1, 2});
  EXPECT_EQ(batch.data, (std::vector<float>{0, 7, 0, 0, 0, 0, 8, 0}));
}

TEST(Kernels, GroupedQueryHeadsShareConsecutiveKvHeads) {
  // H = 4, K = 2: heads 0, 1 read KV head 0; heads 2, 3 read KV head 1.
  Tensor q = Make({1, 4, 1}, {1, 1, 1, 1});
  Tensor keys = Make({1, 1, 2, 1}, {2, 3});
  Tensor scores = AttnScores(q, keys, 0.5f);
  EXPECT_EQ(scores.data, (std::vector<float>{1, 1, 1.5f, 1.5f}));
  Tensor probs = Make({1, 4, 1}, {1, 1, 1, 1});
  Tensor out = AttnValues(probs, keys);
  EXPECT_EQ(out.data, (std::vector<float>{2, 2, 3, 3}));
}

TEST(Kernels, SlidingWindowKeepsExactlyWKeysIncludingTheQuery) {
  const int64_t slots = 16, window = 4;
  Tensor scores = Tensor::Zeros({1, 1, slots});
  Tensor masked =
      WindowMask(scores, std::vector<int32_t>{9}, window); // keys 6..9
  for (int64_t s = 0; s < slots; ++s)
    EXPECT_EQ(std::isfinite(masked.data[s]), s >= 6 && s <= 9) << s;
  Tensor causal = WindowMask(scores, std::vector<int32_t>{9}, std::nullopt);
  for (int64_t s = 0; s < slots; ++s)
    EXPECT_EQ(std::isfinite(causal.data[s]), s <= 9) << s;
}

TEST(Kernels, WindowMaskReadsRingBufferSlots) {
  // A 4-slot ring at position 9 holds positions 8 (slot 0), 9 (slot 1),
  // 6 (slot 2), 7 (slot 3); a window of 3 keeps 7, 8, 9.
  Tensor masked =
      WindowMask(Tensor::Zeros({1, 1, 4}), std::vector<int32_t>{9}, 3);
  EXPECT_TRUE(std::isfinite(masked.data[0]));
  EXPECT_TRUE(std::isfinite(masked.data[1]));
  EXPECT_FALSE(std::isfinite(masked.data[2]));
  EXPECT_TRUE(std::isfinite(masked.data[3]));
}

TEST(Kernels, SoftcapThenSoftmax) {
  // Gemma 2 caps before masking: a capped score is always finite.
  Tensor x = Make({1, 3}, {100.0f, 0.0f, -kInf});
  Tensor capped = Softcap(x, 50.0f);
  EXPECT_NEAR(capped.data[0], 50.0 * std::tanh(2.0), 1e-5);
  EXPECT_EQ(capped.data[2], -50.0f);
  capped.data[2] = -kInf; // then the mask
  absl::StatusOr<Tensor> p = Softmax(capped);
  ASSERT_TRUE(p.ok());
  double e = std::exp(-capped.data[0]);
  EXPECT_NEAR(p->data[0], 1.0 / (1.0 + e), 1e-7);
  EXPECT_EQ(p->data[2], 0.0f);
  EXPECT_FALSE(Softmax(Make({1, 2}, {-kInf, -kInf})).ok());
}

TEST(Kernels, GeluUsesTheTanhApproximation) {
  Tensor y = GeluTanh(Make({1, 3}, {0.0f, 1.0f, -2.0f}));
  EXPECT_EQ(y.data[0], 0.0f);
  EXPECT_NEAR(y.data[1], 0.8411920, 1e-6);  // tanh form, not erf's 0.8413447
  EXPECT_NEAR(y.data[2], -0.0454023, 1e-6); // erf form gives -0.0455003
}

// The exact GELU, x Phi(x): Phi(1) = 0.8413447, Phi(-2) = 0.0227501; and
// the unary table's soft-cap is the one the evaluator's Softcap applies.
TEST(Kernels, GeluErfIsXTimesTheNormalCdf) {
  Tensor y = Unary(Make({1, 3}, {0.0f, 1.0f, -2.0f}), UnaryFn::kGeluErf, 0);
  EXPECT_EQ(y.data[0], 0.0f);
  EXPECT_NEAR(y.data[1], 0.8413447, 1e-6);
  EXPECT_NEAR(y.data[2], -0.0455003, 1e-6);
  const Tensor x = Make({1, 2}, {3.0f, -70.0f});
  EXPECT_EQ(Unary(x, UnaryFn::kSoftcap, 30.0f).data, Softcap(x, 30.0f).data);
}

// SiLU is x / (1 + e^-x): silu(1) = 0.7310586, silu(-3) = -0.1422776.
TEST(Kernels, SiluIsXTimesTheSigmoid) {
  Tensor y = Unary(Make({1, 3}, {0.0f, 1.0f, -3.0f}), UnaryFn::kSilu, 0);
  EXPECT_EQ(y.data[0], 0.0f);
  EXPECT_NEAR(y.data[1], 0.7310586, 1e-6);
  EXPECT_NEAR(y.data[2], -0.1422776, 1e-6);
}

TEST(Kernels, LogitsUseTheFirstVocabRowsAndArgmaxPrefersTheLowestId) {
  WeightRows table = Rows(3, 2, {1, 0, 0, 1, 5, 5});
  Tensor logits = Logits(Make({1, 2}, {2, 2}), table, 2);
  EXPECT_EQ(logits.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(logits.data, (std::vector<float>{2, 2}));
  EXPECT_EQ(Argmax(logits), (std::vector<int32_t>{0}));
}

} // namespace
} // namespace gemma::reference
