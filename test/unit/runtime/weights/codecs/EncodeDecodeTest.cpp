//===- EncodeDecodeTest.cpp - EncodeTensor and the dispatched decoder -----===//

#include "runtime/weights/codecs/Decode.h"
#include "runtime/weights/codecs/Encode.h"
#include "runtime/weights/codecs/Scale.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace gemma {
namespace {

std::vector<float> RandomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.8f, 1.8f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

const StoredType kWeightTypes[] = {StoredType::kF32, StoredType::kBF16,
                                   StoredType::kSFP, StoredType::kNUQ,
                                   StoredType::kI8};

TEST(DecodeRange, DispatchedEqualsScalarBitForBit) {
  std::vector<float> values = RandomValues(1000, 1);
  for (StoredType type : kWeightTypes) {
    SCOPED_TRACE(StoredTypeName(type));
    std::vector<uint8_t> packed(PackedBytes(type, values.size()));
    ASSERT_TRUE(EncodeTensor(type, values, packed).ok());
    for (auto [first, count] :
         std::vector<std::pair<uint64_t, uint64_t>>{{0, 1000},
                                                    {1, 999},
                                                    {3, 17},
                                                    {250, 13},
                                                    {127, 2},
                                                    {255, 300},
                                                    {999, 1},
                                                    {0, 0},
                                                    {511, 64}}) {
      std::vector<float> fast(count + 1, -7.0f), slow(count + 1, -7.0f);
      DecodeRange(type, packed.data(), first, count, fast.data());
      DecodeRangeScalar(type, packed.data(), first, count, slow.data());
      ASSERT_EQ(std::memcmp(fast.data(), slow.data(), fast.size() * 4), 0)
          << first << " " << count;
      EXPECT_EQ(fast[count], -7.0f); // nothing written past the range
    }
  }
}

TEST(DecodeRange, SfpDecodeCoversEveryCode) {
  std::vector<uint8_t> codes(256);
  for (int i = 0; i < 256; ++i)
    codes[i] = static_cast<uint8_t>(i);
  std::vector<float> fast(256), slow(256);
  DecodeRange(StoredType::kSFP, codes.data(), 0, 256, fast.data());
  DecodeRangeScalar(StoredType::kSFP, codes.data(), 0, 256, slow.data());
  EXPECT_EQ(std::memcmp(fast.data(), slow.data(), 256 * 4), 0);
}

TEST(EncodeTensor, RoundTripsWithinEachTypesPrecision) {
  std::vector<float> values = RandomValues(777, 2);
  // Largest error of a value near 1.8: f32 exact, bf16 2^-8 relative,
  // SFP 2^-4 relative (3 mantissa bits), NUQ and I8 see their own tests.
  for (auto [type, tolerance] : std::vector<std::pair<StoredType, float>>{
           {StoredType::kF32, 0.0f},
           {StoredType::kBF16, 1.8f / 256},
           {StoredType::kSFP, 1.8f / 16}}) {
    std::vector<uint8_t> packed(PackedBytes(type, values.size()));
    ASSERT_TRUE(EncodeTensor(type, values, packed).ok());
    std::vector<float> decoded(values.size());
    DecodeRange(type, packed.data(), 0, values.size(), decoded.data());
    for (size_t i = 0; i < values.size(); ++i)
      ASSERT_LE(std::fabs(decoded[i] - values[i]), tolerance)
          << StoredTypeName(type) << " " << i;
  }
}

TEST(EncodeTensor, ErrorsNameTheProblem) {
  std::vector<float> values = {0.5f, 2.5f};
  std::vector<uint8_t> out(2);
  EXPECT_EQ(EncodeTensor(StoredType::kSFP, values, out).message(),
            "value 2.5 at index 1 is outside SFP's range of +-1.875 (scale the "
            "tensor first)");
  std::vector<uint8_t> small(3);
  EXPECT_EQ(EncodeTensor(StoredType::kBF16, values, small).message(),
            "2 values of bf16 take 4 bytes, the output holds 3");
  EXPECT_EQ(EncodeTensor(StoredType::kF64, values, out).message(),
            "cannot encode weights as f64");
}

TEST(Scale, SfpScaleBringsValuesIntoRange) {
  std::vector<float> values = {3.75f, -1.0f, 0.5f};
  float scale = ScaleForSfp(values);
  EXPECT_EQ(scale, 2.0f);
  ApplyInverseScale(values, scale);
  EXPECT_EQ(values, (std::vector<float>{1.875f, -0.5f, 0.25f}));
  std::vector<float> small = {1.875f, -0.1f};
  EXPECT_EQ(ScaleForSfp(small), 1.0f);
}

} // namespace
} // namespace gemma
