//===- Bf16SfpTest.cpp - bf16 and SFP, exhaustively -----------------------===//

#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/Sfp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace gemma {
namespace {

float FromBits(uint32_t bits) {
  float f = 0.0f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(F32ToBf16(FromBits(0x3F808000u)), 0x3F80); // tie, even stays
  EXPECT_EQ(F32ToBf16(FromBits(0x3F818000u)), 0x3F82); // tie, odd rounds up
  EXPECT_EQ(F32ToBf16(FromBits(0x3F808001u)), 0x3F81); // above the tie
  EXPECT_EQ(F32ToBf16(FromBits(0xBF80FFFFu)), 0xBF81);
  EXPECT_EQ(F32ToBf16Truncate(FromBits(0x3F80FFFFu)), 0x3F80);
  EXPECT_EQ(F32ToBf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::nanf("")))));
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(FromBits(0x7F800001u)))));
}

TEST(Bf16, EveryPatternRoundTrips) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = Bf16ToF32(static_cast<uint16_t>(b));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(F32ToBf16(f), b) << std::hex << b;
  }
}

// |value| of a code by docs/formats/sbs.md 5.4's formulas.
double SfpFormula(uint8_t code) {
  const int e = code & 0x7F;
  if (e == 0)
    return 0.0;
  if (e >= 64)
    return std::ldexp(1.0 + (e & 7) / 8.0, ((e >> 3) & 7) - 7);
  return std::ldexp(1.0 + (e & 3) / 4.0, (e >> 2) - 23);
}

TEST(Sfp, DecodeMatchesTheFormulaForAllCodes) {
  for (int code = 0; code < 256; ++code) {
    double expected = SfpFormula(static_cast<uint8_t>(code));
    if (code & 0x80)
      expected = -expected;
    EXPECT_EQ(SfpDecode(static_cast<uint8_t>(code)), expected) << code;
  }
  EXPECT_EQ(SfpDecode(0x7F), kSfpMax);
  EXPECT_EQ(SfpDecode(0x40), 1.0f / 128);  // the first "large" value
  EXPECT_EQ(SfpDecode(0x3F), 1.75f / 256); // the last "small" value
}

TEST(Sfp, EveryCodeRoundTripsAndNegativeZeroIsNeverProduced) {
  for (int code = 0; code < 256; ++code) {
    if (code == 0x80)
      continue;
    EXPECT_EQ(SfpEncode(SfpDecode(static_cast<uint8_t>(code))), code) << code;
  }
  EXPECT_EQ(SfpEncode(-0.0f), 0);
  EXPECT_EQ(SfpEncode(-1e-30f), 0);
}

// An encoder written from the value side: the bf16 input without its lowest
// mantissa bit; 0 when that rounds (to the 2 mantissa bits of the small
// range, ties to even) below 2^-23, i.e. below 1.875 * 2^-24; else the
// nearest nonzero SFP value with ties going to the even mantissa.
uint8_t ReferenceEncode(uint16_t bf16) {
  const uint16_t cleared = bf16 & 0xFFFE;
  const double x = std::fabs(Bf16ToF32(cleared));
  const uint8_t sign = (bf16 & 0x8000) ? 0x80 : 0;
  if (x < std::ldexp(1.875, -24))
    return 0;
  uint8_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (int e = 1; e < 128; ++e) {
    double distance = std::fabs(SfpFormula(static_cast<uint8_t>(e)) - x);
    bool even = (e & 1) == 0; // the mantissa field's lowest bit
    if (distance < best_distance ||
        (distance == best_distance && even && (best & 1))) {
      best = static_cast<uint8_t>(e);
      best_distance = distance;
    }
  }
  return sign | best;
}

TEST(Sfp, EncoderMatchesAValueSideReferenceOnAllBf16Inputs) {
  int checked = 0;
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float x = Bf16ToF32(static_cast<uint16_t>(b));
    if (!(std::fabs(x) <= kSfpMax))
      continue;
    ASSERT_EQ(SfpEncodeBf16(static_cast<uint16_t>(b)),
              ReferenceEncode(static_cast<uint16_t>(b)))
        << std::hex << b << " = " << x;
    ++checked;
  }
  EXPECT_GT(checked, 30000);
}

TEST(Sfp, SwitchesRangesAtSbsThresholds) {
  // docs/formats/sbs.md 5.4: from 1.1111b * 2^-8 = 0.007568359375 the encoder
  // takes the large path; 0.00732421875 (1.875 * 2^-8) takes the small path but
  // its rounding carries into 2^-7, the first large value; 1.75 * 2^-8 is the
  // largest small value.
  EXPECT_EQ(SfpEncode(0.007568359375f), 0x40);
  EXPECT_EQ(SfpEncode(0.00732421875f), 0x40);
  EXPECT_EQ(SfpEncode(0.0068359375f), 0x3F);
  // 1.0 * 2^-23 encodes as 1.25 * 2^-23, not zero.
  EXPECT_EQ(SfpDecode(SfpEncode(std::ldexp(1.0f, -23))),
            std::ldexp(1.25f, -23));
  EXPECT_EQ(SfpEncode(std::ldexp(1.0f, -24)), 0);
}

} // namespace
} // namespace gemma
