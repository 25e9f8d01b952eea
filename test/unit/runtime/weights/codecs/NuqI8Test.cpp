//===- NuqI8Test.cpp - NUQ and I8 layouts and round trips -----------------===//

#include "runtime/weights/StoredType.h"
#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/I8.h"
#include "runtime/weights/codecs/Nuq.h"
#include "runtime/weights/codecs/Sfp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace gemma {
namespace {

std::vector<float> RandomValues(size_t n, float half_width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-half_width, half_width);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

TEST(Nuq, PackedSizesFollowSbs) {
  // docs/formats/sbs.md 8.3: a NUQ 640x2048 tensor is 0x000b4000 bytes, I8
  // 0x0014a000.
  EXPECT_EQ(PackedBytes(StoredType::kNUQ, 640 * 2048), 0x000b4000u);
  EXPECT_EQ(PackedBytes(StoredType::kI8, 640 * 2048), 0x0014a000u);
  EXPECT_EQ(PackedBytes(StoredType::kNUQ, 257), 16u * 2 + 129);
  EXPECT_EQ(PackedBytes(StoredType::kI8, 129), 4u * 2 + 129);
}

TEST(Nuq, FewDistinctValuesRoundTripExactlyWithUnusedClustersFirst) {
  // Three SFP-exact values: 13 unused clusters (zeros) then 3 centers.
  std::vector<float> values(kNuqGroupSize);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = i % 3 == 0 ? -0.5f : i % 3 == 1 ? 0.25f : 1.5f;
  std::vector<uint8_t> packed(PackedBytes(StoredType::kNUQ, values.size()));
  NuqEncode(values, packed);
  for (size_t c = 0; c < 13; ++c)
    EXPECT_EQ(packed[c], 0) << c;
  EXPECT_EQ(SfpDecode(packed[13]), -0.5f);
  EXPECT_EQ(SfpDecode(packed[14]), 0.25f);
  EXPECT_EQ(SfpDecode(packed[15]), 1.5f);
  // Value 0 (even) is the low nibble of byte 16, value 1 the high nibble.
  EXPECT_EQ(packed[16], 13 | (14 << 4));
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(NuqDecode(packed.data(), i), values[i]) << i;
}

TEST(Nuq, RandomValuesDecodeCloseToTheirCluster) {
  // 16 optimal clusters of 256 uniform values on [-1, 1] are about 2/16
  // wide, so a value lies within about 1/16 of its center; SFP rounding of a
  // center near 1 moves it by up to 1/16 more (3 mantissa bits): 0.13.
  std::vector<float> values = RandomValues(10 * kNuqGroupSize + 77, 1.0f, 7);
  std::vector<uint8_t> packed(PackedBytes(StoredType::kNUQ, values.size()));
  NuqEncode(values, packed);
  double sum_sq = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    float error = NuqDecode(packed.data(), i) - values[i];
    ASSERT_LT(std::fabs(error), 0.13f) << i;
    sum_sq += error * error;
  }
  EXPECT_LT(std::sqrt(sum_sq / values.size()), 0.04);
}

TEST(Nuq, ChunkedEncodingEqualsWholeAndPartialGroupsZeroTheirTail) {
  std::vector<float> values = RandomValues(3 * kNuqGroupSize + 5, 1.5f, 11);
  std::vector<uint8_t> whole(PackedBytes(StoredType::kNUQ, values.size()));
  NuqEncode(values, whole);
  std::vector<uint8_t> chunked(whole.size(), 0xAA);
  std::span<const float> all(values);
  NuqEncode(all.subspan(0, 2 * kNuqGroupSize),
            std::span(chunked).subspan(0, 2 * kNuqGroupBytes));
  NuqEncode(all.subspan(2 * kNuqGroupSize),
            std::span(chunked).subspan(2 * kNuqGroupBytes));
  EXPECT_EQ(chunked, whole);
  // The last group holds 5 values: 16 + 3 bytes, the unused nibble is 0.
  EXPECT_EQ(whole.size(), 3 * kNuqGroupBytes + 16 + 3);
  EXPECT_EQ(whole.back() >> 4, 0);
}

TEST(I8, HandComputedGroup) {
  // lo = -1, hi = 1: s = 127.5, zp = trunc(127.5 - 128) = 0.
  std::vector<float> values = {-1.0f, 0.0f, 1.0f, 0.5f};
  std::vector<uint8_t> packed(PackedBytes(StoredType::kI8, values.size()));
  I8Encode(values, packed);
  EXPECT_EQ(Bf16ToF32(packed[0] | (packed[1] << 8)),
            Bf16ToF32(F32ToBf16(1.0f / 127.5f)));
  EXPECT_EQ(Bf16ToF32(packed[2] | (packed[3] << 8)), 0.0f);
  // bf16(127.5) = 127.5: q = round_half_even(127.5 * x).
  EXPECT_EQ(static_cast<int8_t>(packed[4]), -128);
  EXPECT_EQ(static_cast<int8_t>(packed[5]), 0);
  EXPECT_EQ(static_cast<int8_t>(packed[6]), 127); // 127.5 saturates
  EXPECT_EQ(static_cast<int8_t>(packed[7]), 64);  // 63.75 rounds to 64
}

TEST(I8, RandomValuesRoundTripWithinHalfAStep) {
  std::vector<float> values = RandomValues(5 * kI8GroupSize + 3, 3.0f, 5);
  std::vector<uint8_t> packed(PackedBytes(StoredType::kI8, values.size()));
  I8Encode(values, packed);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint8_t *group = packed.data() + i / kI8GroupSize * kI8GroupBytes;
    float step = Bf16ToF32(group[0] | (group[1] << 8));
    // Half a step, plus the bf16 rounding of scale and zero point (each at
    // most 2^-8 relative) over the group's range of ~255 steps.
    ASSERT_LT(std::fabs(I8Decode(packed.data(), i) - values[i]),
              step * (0.5f + 2.0f))
        << i;
  }
}

TEST(I8, ConstantGroupUsesARangeOfOne) {
  std::vector<float> values(kI8GroupSize, 0.75f);
  std::vector<uint8_t> packed(PackedBytes(StoredType::kI8, values.size()));
  I8Encode(values, packed);
  EXPECT_EQ(Bf16ToF32(packed[0] | (packed[1] << 8)),
            Bf16ToF32(F32ToBf16(1.0f / 255.0f)));
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_NEAR(I8Decode(packed.data(), i), 0.75f, 0.01f);
}

TEST(I8, ChunkedEncodingEqualsWhole) {
  std::vector<float> values = RandomValues(3 * kI8GroupSize + 9, 2.0f, 3);
  std::vector<uint8_t> whole(PackedBytes(StoredType::kI8, values.size()));
  I8Encode(values, whole);
  std::vector<uint8_t> chunked(whole.size());
  std::span<const float> all(values);
  I8Encode(all.subspan(0, kI8GroupSize),
           std::span(chunked).subspan(0, kI8GroupBytes));
  I8Encode(all.subspan(kI8GroupSize),
           std::span(chunked).subspan(kI8GroupBytes));
  EXPECT_EQ(chunked, whole);
}

} // namespace
} // namespace gemma
