//===- VisionKernelsTest.cpp - Hand-computed cases of the vision kernels --===//

#include "compiler/reference/VisionKernels.h"

#include "test/unit/compiler/reference/HandTensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gemma::reference {
namespace {

// Row (1, 2, 3, 6): mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
TEST(VisionKernels, LayerNormUsesThePopulationVarianceThenWeightAndBias) {
  const Tensor x = Make({1, 4}, {1, 2, 3, 6});
  const Tensor y = LayerNorm(x, Rows(1, 4, {1, 2, 0.5f, -1}),
                             Rows(1, 4, {0.25f, 0, -1, 2}), 0.5f);
  const double r = 1.0 / std::sqrt(3.5 + 0.5);
  const double want[4] = {-2 * r * 1 + 0.25, -1 * r * 2, 0 * r * 0.5 - 1,
                          3 * r * -1 + 2};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y.data[i], want[i], 1e-6) << i;
}

TEST(VisionKernels, AddWeightBroadcastsOneRowOrAddsRowByRow) {
  const Tensor x = Make({2, 1, 2}, {1, 2, 3, 4});
  EXPECT_EQ(AddWeight(x, Rows(1, 2, {10, 20})).data,
            (std::vector<float>{11, 22, 13, 24}));
  EXPECT_EQ(AddWeight(x, Rows(2, 2, {10, 20, 30, 40})).data,
            (std::vector<float>{11, 22, 33, 44}));
}

// Two rows, one head of width 1: scores scale * q_n k_m; every row sees both
// keys (no causal mask: row 0 weighs row 1's value too).
TEST(VisionKernels, FullAttentionLetsEveryRowSeeEveryRow) {
  const Tensor q = Make({2, 1, 1}, {1, 2});
  const Tensor k = Make({2, 1, 1}, {0.5f, -1});
  const Tensor v = Make({2, 1, 1}, {3, 7});
  absl::StatusOr<Tensor> out = FullAttention(q, k, v, 0.5f);
  ASSERT_TRUE(out.ok()) << out.status();
  for (int n = 0; n < 2; ++n) {
    const double s0 = 0.5 * q.data[n] * 0.5, s1 = 0.5 * q.data[n] * -1;
    const double p0 = std::exp(s0) / (std::exp(s0) + std::exp(s1));
    EXPECT_NEAR(out->data[n], p0 * 3 + (1 - p0) * 7, 1e-6) << n;
  }
}

// A 2 x 4 grid of one-value rows pooled with k = 2: two tokens.
TEST(VisionKernels, AvgPoolTakesTheMeanOfEachTile) {
  const Tensor x = Make({8, 1}, {1, 2, 3, 4, 5, 6, 7, 9});
  const Tensor y = AvgPool(x, 2, 4, 2);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(y.data, (std::vector<float>{(1 + 2 + 5 + 6) / 4.0f,
                                        (3 + 4 + 7 + 9) / 4.0f}));
}

TEST(VisionKernels, ReplaceRowsTakesTheRowsOfOneToken) {
  const Tensor x = Make({3, 2}, {1, 2, 3, 4, 5, 6});
  const Tensor soft = Make({3, 2}, {-1, -2, -3, -4, -5, -6});
  EXPECT_EQ(ReplaceRows(x, soft, std::vector<int32_t>{9, 7, 9}, 9).data,
            (std::vector<float>{-1, -2, 3, 4, -5, -6}));
}

// A ring of 4 slots after a chunk at positions 3..6 (slot s holds position
// 4 + s for s < 3, 3 for s = 3), window 2. Text row at 4 (horizon 4): slots
// of positions 3 and 4. Image row at 5 with horizon 6: positions 4 to 6,
// the one ahead (6, slot 2) included, position 3 outside the window.
TEST(VisionKernels, ImageMaskSeesAheadToTheHorizonAndBehindByTheWindow) {
  const Tensor scores = Make({2, 1, 4}, {1, 1, 1, 1, 2, 2, 2, 2});
  absl::StatusOr<Tensor> m = ImageMask(scores, std::vector<int32_t>{4, 5},
                                       std::vector<int32_t>{4, 6}, int64_t{2});
  ASSERT_TRUE(m.ok()) << m.status();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(m->data, (std::vector<float>{1, -inf, -inf, 1, 2, 2, 2, -inf}));
  // Horizons equal to the positions: exactly the window mask.
  absl::StatusOr<Tensor> causal =
      ImageMask(scores, std::vector<int32_t>{4, 5}, std::vector<int32_t>{4, 5},
                int64_t{2});
  ASSERT_TRUE(causal.ok());
  EXPECT_EQ(causal->data,
            WindowMask(scores, std::vector<int32_t>{4, 5}, int64_t{2}).data);
  EXPECT_EQ(ImageMask(scores, std::vector<int32_t>{4, 5},
                      std::vector<int32_t>{4, 4}, std::nullopt)
                .status()
                .message(),
            "row 1 sees up to position 4, before its own position 5");
}

} // namespace
} // namespace gemma::reference
