//===- Ggml.h - llama.cpp's GGML weight types -------------------*- C++ -*-===//
//
// Scalar, readable decoders of the block types GGUF files store (the
// layouts of ggml-common.h; docs/formats/ggml-types.md writes them out).
// They define the values: the CPU kernels' vectorised decoders and every
// backend are tested against them, and they against the `gguf` Python
// package's own dequantization.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_GGML_H
#define RUNTIME_FORMATS_CODECS_GGML_H

#include "runtime/weights/StoredType.h"

#include <cstdint>
#include <cstring>

namespace gemma {

// IEEE binary16 to f32, exact (subnormals, infinities and NaN included).
// Inline: every GGML block starts with one, in the kernels' inner loops.
inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | mantissa << 13;
  } else if (exponent != 0) {
    bits = sign | (exponent + 112) << 23 | mantissa << 13;
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: mantissa * 2^-24, exact in f32.
    const float value = float(mantissa) * 0x1p-24f;
    std::memcpy(&bits, &value, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// The little-endian half at `p` (every GGML block's scale fields).
inline float F16At(const uint8_t *p) {
  return F16ToF32(uint16_t(p[0] | p[1] << 8));
}

// The 6-bit scale and min of sub-block j (of 8) of a Q4_K or Q5_K block,
// packed in its 12 scale bytes `s`.
inline void ScaleMinK4(int j, const uint8_t *s, int *scale, int *min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = (s[j + 4] & 0xF) | (s[j - 4] >> 6) << 4;
    *min = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
  }
}

// Decodes `blocks` consecutive blocks of GGML type `type` (IsGgmlType)
// from `packed` into `out` (blocks * BlockElements(type) values).
void DecodeGgmlBlocks(StoredType type, const uint8_t *packed, uint64_t blocks,
                      float *out);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_GGML_H
