//===- Scale.h - The per-tensor scale of SFP and NUQ tensors ---*- C++ -*-===//
//
// docs/formats/sbs.md section 5.7: true value = decoded value * scale.
// Exporters pick scale = max|x| / 1.875 when values exceed SFP's range, else 1.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_SCALE_H
#define RUNTIME_FORMATS_CODECS_SCALE_H

#include <span>

namespace gemma {

float ScaleForSfp(std::span<const float> values);

// x = copysign(min(1.875, |x * (1 / scale)|), x), with 1 / scale computed in
// double and rounded to float (gemma.cpp's ScaleWeights).
void ApplyInverseScale(std::span<float> values, float scale);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_SCALE_H
