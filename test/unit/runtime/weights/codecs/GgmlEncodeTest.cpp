//===- GgmlEncodeTest.cpp - GGML encoders against the decoders ------------===//
//
// The decoders are bit-exact with gguf-py's (GgmlTest), so a block that
// decodes back to its values proves the encoder writes ggml's layout.
// Error bounds are relative RMS over seeded Gaussian rows with outliers;
// they sit about 1.2x above what the encoders reach (Q8_0 0.0099, Q5_0
// 0.080, where gguf-py's reference quantizers reach 0.0103 and 0.081 on
// the same data; Q6_K 0.029, Q4_K 0.099), far under what a wrong nibble
// order or scale packing gives (errors of order 1).
//
//===----------------------------------------------------------------------===//

#include "runtime/weights/codecs/GgmlEncode.h"

#include "runtime/weights/codecs/Ggml.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace gemma {
namespace {

std::vector<float> RoundTrip(StoredType type, const std::vector<float> &x) {
  const uint64_t blocks = x.size() / BlockElements(type);
  std::vector<uint8_t> packed(blocks * BlockBytes(type));
  EXPECT_TRUE(EncodeGgmlBlocks(type, x.data(), blocks, packed.data()).ok());
  std::vector<float> back(x.size());
  DecodeGgmlBlocks(type, packed.data(), blocks, back.data());
  return back;
}

double RelativeRms(const std::vector<float> &x, const std::vector<float> &y) {
  double error = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    error += double(x[i] - y[i]) * (x[i] - y[i]);
    norm += double(x[i]) * x[i];
  }
  return std::sqrt(error / norm);
}

// Weight-like rows: N(0, 0.02) with one value in 64 ten times larger.
std::vector<float> WeightLike(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = normal(rng) * (i % 64 == 17 ? 10.0f : 1.0f);
  return x;
}

TEST(F32ToF16, EveryHalfRoundTripsAndMidpointsRoundToEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = F16ToF32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f))));
      continue;
    }
    ASSERT_EQ(F32ToF16(f), h) << std::hex << h;
    // Between h and the next half away from zero (same sign, finite).
    if ((h & 0x7FFF) >= 0x7BFF)
      continue;
    const float next = F16ToF32(uint16_t(h + 1));
    const float mid = (f + next) / 2; // exact: 12 significant bits
    ASSERT_EQ(F32ToF16(mid), (h & 1) ? h + 1 : h) << std::hex << h;
    ASSERT_EQ(F32ToF16(std::nextafter(mid, next)), h + 1) << std::hex << h;
    ASSERT_EQ(F32ToF16(std::nextafter(mid, f)), h) << std::hex << h;
  }
  EXPECT_EQ(F32ToF16(65519.99f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7C00);
  EXPECT_EQ(F32ToF16(-1e9f), 0xFC00);
  EXPECT_EQ(F32ToF16(0x1p-25f), 0);       // a tie with zero: even
  EXPECT_EQ(F32ToF16(0x1.8p-25f), 1);     // above the tie
  EXPECT_EQ(F32ToF16(-0x1p-24f), 0x8001); // the smallest subnormal
}

struct Bound {
  StoredType type;
  double relative_rms;
};

class GgmlEncode : public ::testing::TestWithParam<Bound> {};

TEST_P(GgmlEncode, RandomRowsDecodeWithinTheTypesError) {
  const std::vector<float> x = WeightLike(256 * 64, 7);
  const double error = RelativeRms(x, RoundTrip(GetParam().type, x));
  EXPECT_LT(error, GetParam().relative_rms);
  EXPECT_GT(error, 0.0) << "a lossy type cannot be exact on random data";
}

TEST_P(GgmlEncode, ZerosStayZeros) {
  const std::vector<float> zeros(256, 0.0f);
  EXPECT_EQ(RoundTrip(GetParam().type, zeros), zeros);
}

TEST_P(GgmlEncode, NonFiniteValuesAreRefused) {
  std::vector<float> x = WeightLike(256, 3);
  x[100] = std::nanf("");
  std::vector<uint8_t> out(BlockBytes(GetParam().type) * 256);
  EXPECT_FALSE(EncodeGgmlBlocks(GetParam().type, x.data(),
                                256 / BlockElements(GetParam().type),
                                out.data())
                   .ok());
}

INSTANTIATE_TEST_SUITE_P(Types, GgmlEncode,
                         ::testing::Values(Bound{StoredType::kF16, 5e-4},
                                           Bound{StoredType::kQ8_0, 1.25e-2},
                                           Bound{StoredType::kQ6_K, 3.5e-2},
                                           Bound{StoredType::kQ5_0, 9.5e-2},
                                           Bound{StoredType::kQ4_K, 1.2e-1}),
                         [](const auto &info) {
                           return std::string(StoredTypeName(info.param.type));
                         });

// Values that are exactly scale * code, with the block's largest magnitude
// on the code range's extra negative end, come back bit for bit.
TEST(GgmlEncodeExact, RepresentableBlocksRoundTripExactly) {
  std::mt19937 rng(11);
  for (auto [type, lo, hi, group] :
       {std::tuple(StoredType::kQ8_0, -127, 127, 32),
        std::tuple(StoredType::kQ5_0, -16, 15, 32),
        std::tuple(StoredType::kQ6_K, -32, 31, 16)}) {
    std::uniform_int_distribution<int> code(lo, hi);
    std::vector<float> x(512);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = 0x1p-7f * float(i % size_t(group) == 5 ? lo : code(rng));
    EXPECT_EQ(RoundTrip(type, x), x) << StoredTypeName(type);
  }
}

TEST(GgmlEncodeExact, Q4KFitsOffsetBlocks) {
  // Every sub-block spans [-offset, -offset + 15 * scale] on the grid.
  std::vector<float> x(256);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> code(0, 15);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0x1p-6f * float(i % 32 == 0   ? 0
                           : i % 32 == 1 ? 15
                                         : code(rng)) -
           0x1p-5f;
  EXPECT_LT(RelativeRms(x, RoundTrip(StoredType::kQ4_K, x)), 1e-3);
}

TEST(GgmlEncodeExact, TypesWithoutAnEncoderAreNamed) {
  float x[32] = {};
  uint8_t out[64];
  absl::Status s = EncodeGgmlBlocks(StoredType::kQ2_K, x, 1, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(s.message().find("q2_k"), std::string::npos) << s.message();
}

} // namespace
} // namespace gemma
