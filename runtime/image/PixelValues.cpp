//===- PixelValues.cpp - An image as a vision tower's input ---------------===//

#include "runtime/image/PixelValues.h"

#include <cstddef>

namespace gemma::image {

std::vector<float> PixelValues(const RgbImage &image,
                               const ImageProcessing &processing) {
  const RgbImage sized =
      Resize(image, processing.width, processing.height, processing.filter);
  const int64_t plane = sized.width * sized.height;
  std::vector<float> values(size_t(3 * plane));
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      // numpy: uint8 -> float64, times the scale, -> float32; then float32
      // arithmetic with float32 mean and std.
      const float scaled =
          float(double(sized.pixels[size_t(3 * i + c)]) * processing.rescale);
      values[size_t(c * plane + i)] =
          (scaled - processing.mean[size_t(c)]) / processing.std[size_t(c)];
    }
  return values;
}

} // namespace gemma::image
