//===- Sfp.h - gemma.cpp's switched floating point (1 byte) ----*- C++ -*-===//
//
// docs/formats/sbs.md section 5.4. Bit 7 is the sign; the 7 magnitude bits
// switch between a "large" range [2^-7, 1.875] with 3 mantissa bits and a
// "small" range with 2 mantissa bits down to 1.25 * 2^-23. 255 values, all
// exact in bf16.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_SFP_H
#define RUNTIME_FORMATS_CODECS_SFP_H

#include <cstdint>

namespace gemma {

// The largest magnitude SFP represents.
constexpr float kSfpMax = 1.875f;

// Encodes a bf16 value bit-exactly as gemma.cpp does. Precondition:
// |value| < 2 (gemma.cpp aborts otherwise; callers scale tensors first).
uint8_t SfpEncodeBf16(uint16_t bf16_bits);

// Truncates to bf16 first, as gemma.cpp's f32 path does.
uint8_t SfpEncode(float value);

// The bf16 bits of a code (0x80, which encoders never produce, is -0).
uint16_t SfpDecodeBf16(uint8_t code);

float SfpDecode(uint8_t code);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_SFP_H
