//===- PatchesTest.cpp - Pixel values as the rows of a patch matmul -------===//

#include "runtime/image/Patches.h"

#include <gtest/gtest.h>

#include <numeric>

namespace gemma::image {
namespace {

// A 2-channel 4 x 6 image whose value names its place: c * 100 + y * 10 + x.
// Patches of 2: a 2 x 3 grid; patch (gy, gx) holds channel 0's 2 x 2 block,
// then channel 1's, each row by row.
TEST(Patches, RowsFollowTheGridAndTheKernelsOrder) {
  std::vector<float> pixels;
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 6; ++x)
        pixels.push_back(float(c * 100 + y * 10 + x));
  const std::vector<float> rows = UnfoldPatches(pixels, 2, 4, 6, 2);
  ASSERT_EQ(rows.size(), pixels.size());
  // Patch 4 is grid row 1, column 1: pixels y 2..3, x 2..3.
  const std::vector<float> patch(rows.begin() + 4 * 8, rows.begin() + 5 * 8);
  EXPECT_EQ(patch, (std::vector<float>{22, 23, 32, 33, 122, 123, 132, 133}));
  const std::vector<float> first(rows.begin(), rows.begin() + 8);
  EXPECT_EQ(first, (std::vector<float>{0, 1, 10, 11, 100, 101, 110, 111}));
}

} // namespace
} // namespace gemma::image
