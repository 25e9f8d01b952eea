//===- Gemma4PatchesTest.cpp - Gemma 4's image input against transformers -===//

#include "runtime/image/Gemma4Patches.h"
#include "runtime/image/ImageDecode.h"

#include "test/unit/runtime/image/Fixtures.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>

namespace gemma::image {
namespace {

using testing::Decoded;
using testing::Manifest;

std::string Sha256Hex(const void *data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// The processor's size rule on 85 sizes and budgets: square, landscape,
// portrait, tiny, and aspect ratios so extreme that one side rounds to
// nothing (then one pooled patch high or wide, the other side from the
// ratio, capped).
TEST(Gemma4Patches, ResizeRuleMatchesTheProcessor) {
  ASSERT_GE(Manifest()["gemma4_sizes"].size(), 80u);
  for (const auto &c : Manifest()["gemma4_sizes"]) {
    const int64_t h = c["height"], w = c["width"];
    SCOPED_TRACE(fmt::format("{}x{} budget {}", w, h,
                             c["max_soft_tokens"].get<int64_t>()));
    Gemma4Processing p;
    p.max_soft_tokens = c["max_soft_tokens"];
    absl::StatusOr<std::pair<int64_t, int64_t>> size = Gemma4Size(h, w, p);
    if (c.contains("error")) {
      EXPECT_FALSE(size.ok());
      continue;
    }
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(size->first, c["to_height"].get<int64_t>());
    EXPECT_EQ(size->second, c["to_width"].get<int64_t>());
  }
  Gemma4Processing odd;
  odd.max_soft_tokens = 100;
  EXPECT_EQ(Gemma4Size(10, 10, odd).status().message(),
            "max_soft_tokens must be 70, 140, 280, 560 or 1120, not 100");
}

// Gemma4ImageProcessorPil's pixel_values (every f32 bit, through their
// SHA-256), positions and soft-token counts, from the files: decoding,
// compositing, the bicubic resize, the rescale and the patch layout.
TEST(Gemma4Patches, MatchGemma4PilProcessorBitForBit) {
  ASSERT_GE(Manifest()["gemma4"].size(), 4u);
  for (const auto &c : Manifest()["gemma4"]) {
    const std::string name = c["image"];
    SCOPED_TRACE(name);
    const RgbImage image = Decoded(name);
    ASSERT_GT(image.width, 0);
    Gemma4Processing p;
    p.max_soft_tokens = c["max_soft_tokens"];
    absl::StatusOr<Gemma4Patches> patches = MakeGemma4Patches(image, p);
    ASSERT_TRUE(patches.ok()) << patches.status();
    EXPECT_EQ(patches->height, c["height"].get<int64_t>());
    EXPECT_EQ(patches->width, c["width"].get<int64_t>());
    EXPECT_EQ(patches->soft_tokens, c["soft_tokens"].get<int64_t>());
    const int64_t rows = c["rows"], row_values = c["row_values"];
    ASSERT_EQ(int64_t(patches->values.size()), rows * row_values);
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(patches->values[size_t(i)],
                c["first_values"][size_t(i)].get<float>())
          << "value " << i;
    const int64_t real = c["real_rows"];
    for (int64_t r = 0; r < rows; ++r) {
      const int32_t x = patches->positions[size_t(2 * r)],
                    y = patches->positions[size_t(2 * r + 1)];
      if (r < real) {
        ASSERT_EQ(x, c["positions"][size_t(r)][0].get<int32_t>()) << r;
        ASSERT_EQ(y, c["positions"][size_t(r)][1].get<int32_t>()) << r;
      } else {
        ASSERT_EQ(x, -1) << r;
        ASSERT_EQ(y, -1) << r;
      }
    }
    EXPECT_EQ(Sha256Hex(patches->values.data(), patches->values.size() * 4),
              c["sha256"].get<std::string>());
  }
}

} // namespace
} // namespace gemma::image
