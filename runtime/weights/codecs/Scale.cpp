//===- Scale.cpp - The per-tensor scale of SFP and NUQ tensors ------------===//

#include "runtime/weights/codecs/Scale.h"

#include "runtime/weights/codecs/Sfp.h"

#include <algorithm>
#include <cmath>

namespace gemma {

float ScaleForSfp(std::span<const float> values) {
  float max_abs = 0.0f;
  for (float v : values)
    max_abs = std::max(max_abs, std::fabs(v));
  return max_abs <= kSfpMax ? 1.0f : max_abs / kSfpMax;
}

void ApplyInverseScale(std::span<float> values, float scale) {
  const auto inverse = static_cast<float>(1.0 / static_cast<double>(scale));
  for (float &v : values)
    v = std::copysign(std::min(kSfpMax, std::fabs(v * inverse)), v);
}

} // namespace gemma
