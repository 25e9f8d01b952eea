//===- Patches.cpp - An image's pixel values as patch rows ----------------===//

#include "runtime/image/Patches.h"

#include <algorithm>

namespace gemma::image {

std::vector<float> UnfoldPatches(std::span<const float> pixels,
                                 int64_t channels, int64_t height,
                                 int64_t width, int64_t patch) {
  const int64_t rows = height / patch, cols = width / patch;
  std::vector<float> out(size_t(rows * cols * channels * patch * patch));
  float *to = out.data();
  for (int64_t gy = 0; gy < rows; ++gy)
    for (int64_t gx = 0; gx < cols; ++gx)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < patch; ++y) {
          const float *from = pixels.data() +
                              (c * height + gy * patch + y) * width +
                              gx * patch;
          to = std::copy(from, from + patch, to);
        }
  return out;
}

} // namespace gemma::image
