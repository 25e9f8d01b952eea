//===- Bf16.h - bfloat16 conversions ---------------------------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_CODECS_BF16_H
#define RUNTIME_FORMATS_CODECS_BF16_H

#include <cstdint>

namespace gemma {

// Round to nearest, ties to even (gemma.cpp's encoder, Highway's
// OrderedDemote2To). NaNs stay NaNs (quiet).
uint16_t F32ToBf16(float value);

// The upper 16 bits, no rounding (what gemma.cpp's SFP encoder starts from).
uint16_t F32ToBf16Truncate(float value);

float Bf16ToF32(uint16_t bits);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_BF16_H
