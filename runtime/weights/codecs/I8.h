//===- I8.h - gemma.cpp's 8-bit integers with a per-group affine map -*- C++
//-*-===//
//
// docs/formats/sbs.md section 5.6. Groups of 128 flat values; group g starts at
// byte 132 * g with a bf16 inverse scale, a bf16 zero point and 128 int8
// values.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_I8_H
#define RUNTIME_FORMATS_CODECS_I8_H

#include <cstdint>
#include <span>

namespace gemma {

constexpr uint64_t kI8GroupSize = 128;
constexpr uint64_t kI8GroupBytes = 4 + kI8GroupSize;

// Encodes as gemma.cpp does; chunks whose sizes (all but the last) are
// multiples of 128 give the same bytes as one call.
void I8Encode(std::span<const float> values, std::span<uint8_t> out);

// x = inv_scale * q - zero_point * inv_scale, from the bf16-widened values.
float I8Decode(const uint8_t *packed, uint64_t i);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_I8_H
