//===- Sfp.cpp - gemma.cpp's switched floating point (1 byte) -------------===//

#include "runtime/weights/codecs/Sfp.h"

#include "runtime/weights/codecs/Bf16.h"

#include <cassert>

namespace gemma {

uint8_t SfpEncodeBf16(uint16_t h) {
  // The steps of docs/formats/sbs.md 5.4.
  const uint32_t sign = h & 0x8000u;
  uint32_t exponent = (h >> 7) & 0xFFu;
  const uint32_t m6 = (h & 0x7Fu) >> 1; // the lowest mantissa bit is ignored
  assert(exponent < 128 && "SFP input must be below 2 in magnitude");
  const bool big = exponent > 119 || (exponent == 119 && m6 >= 0x3C);
  uint32_t t = big ? 2 * m6 : m6;
  const uint32_t carry = big ? 0x80u : 0x40u;
  // Round half to even on the 4 dropped bits.
  t = t + 7 + ((t >> 4) & 1);
  if (t & carry) {
    exponent += 1;
    t &= ~carry;
  }
  if (exponent < 104)
    return 0; // also for negative inputs: no -0
  uint32_t m = t >> 4;
  if (exponent == 104 && m == 0)
    m = 1; // 1.0 * 2^-23 would otherwise encode as zero
  if (exponent >= 120)
    return static_cast<uint8_t>((sign >> 8) | ((exponent - 112) << 3) | m);
  return static_cast<uint8_t>((sign >> 8) | ((exponent - 104) << 2) | m);
}

uint8_t SfpEncode(float value) {
  return SfpEncodeBf16(F32ToBf16Truncate(value));
}

uint16_t SfpDecodeBf16(uint8_t code) {
  const uint32_t sign = static_cast<uint32_t>(code & 0x80u) << 8;
  const uint32_t e = code & 0x7Fu;
  if (e == 0)
    return static_cast<uint16_t>(sign);
  if (e < 64)
    return static_cast<uint16_t>(sign | (0x3400u + (e << 5)));
  return static_cast<uint16_t>(sign | (0x3800u + (e << 4)));
}

float SfpDecode(uint8_t code) { return Bf16ToF32(SfpDecodeBf16(code)); }

} // namespace gemma
