//===- I8.cpp - gemma.cpp's 8-bit integers with a per-group affine map ----===//

#include "runtime/weights/codecs/I8.h"

#include "runtime/weights/codecs/Bf16.h"

#include <algorithm>
#include <cmath>

namespace gemma {
namespace {

void EncodeGroup(std::span<const float> values, uint8_t *out) {
  auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  const float lo = *lo_it, hi = *hi_it;
  float range = hi - lo;
  if (range == 0.0f)
    range = 1.0f;
  const float scale = 255.0f / range;
  const float zero_point = std::trunc(-scale * lo - 128.0f);
  const uint16_t inv_scale_bits = F32ToBf16(1.0f / scale);
  const uint16_t zero_point_bits = F32ToBf16(zero_point);
  out[0] = static_cast<uint8_t>(inv_scale_bits);
  out[1] = static_cast<uint8_t>(inv_scale_bits >> 8);
  out[2] = static_cast<uint8_t>(zero_point_bits);
  out[3] = static_cast<uint8_t>(zero_point_bits >> 8);
  const float s = Bf16ToF32(F32ToBf16(scale));
  const float zp = Bf16ToF32(zero_point_bits);
  for (size_t i = 0; i < values.size(); ++i) {
    // nearbyint rounds half to even in the default rounding mode.
    float q = std::nearbyint(s * values[i] + zp);
    q = std::clamp(q, -128.0f, 127.0f);
    out[4 + i] = static_cast<uint8_t>(static_cast<int8_t>(q));
  }
}

} // namespace

void I8Encode(std::span<const float> values, std::span<uint8_t> out) {
  for (uint64_t start = 0; start < values.size(); start += kI8GroupSize) {
    uint64_t count = std::min<uint64_t>(kI8GroupSize, values.size() - start);
    EncodeGroup(values.subspan(start, count),
                out.data() + start / kI8GroupSize * kI8GroupBytes);
  }
}

float I8Decode(const uint8_t *packed, uint64_t i) {
  const uint8_t *group = packed + i / kI8GroupSize * kI8GroupBytes;
  const float inv_scale =
      Bf16ToF32(static_cast<uint16_t>(group[0] | (group[1] << 8)));
  const float zero_point =
      Bf16ToF32(static_cast<uint16_t>(group[2] | (group[3] << 8)));
  const auto q = static_cast<int8_t>(group[4 + i % kI8GroupSize]);
  return inv_scale * static_cast<float>(q) - zero_point * inv_scale;
}

} // namespace gemma
