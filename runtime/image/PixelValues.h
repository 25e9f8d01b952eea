//===- PixelValues.h - An image as a vision tower's input -------*- C++ -*-===//
//
// What transformers' PIL image processors (Gemma3ImageProcessorPil) make of
// an RGB image without pan-and-scan: a resize to the configured size with
// Pillow's filter, then x * rescale computed in double and stored as f32,
// then (x - mean) / std in f32, channels first. Each step in the same
// order and precision, so the values are bit-identical to the processor's.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_PIXELVALUES_H
#define RUNTIME_IMAGE_PIXELVALUES_H

#include "runtime/image/Image.h"
#include "runtime/image/Resample.h"

#include <array>
#include <vector>

namespace gemma::image {

// A processor's settings (preprocessor_config.json).
struct ImageProcessing {
  int64_t width = 896, height = 896; // Gemma 3's released size
  Filter filter = Filter::kBilinear;
  double rescale = 1.0 / 255.0;
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> std = {0.5f, 0.5f, 0.5f};
};

// 3 x height x width values: R's plane, then G's, then B's.
std::vector<float> PixelValues(const RgbImage &image,
                               const ImageProcessing &processing);

} // namespace gemma::image

#endif // RUNTIME_IMAGE_PIXELVALUES_H
