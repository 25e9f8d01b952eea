//===- Gemma4Patches.cpp - Gemma 4's image input --------------------------===//

#include "runtime/image/Gemma4Patches.h"

#include "runtime/image/Resample.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace gemma::image {

absl::StatusOr<std::pair<int64_t, int64_t>>
Gemma4Size(int64_t height, int64_t width, const Gemma4Processing &p) {
  static constexpr int64_t kBudgets[] = {70, 140, 280, 560, 1120};
  if (std::find(std::begin(kBudgets), std::end(kBudgets), p.max_soft_tokens) ==
      std::end(kBudgets))
    return absl::InvalidArgumentError(
        fmt::format("max_soft_tokens must be 70, 140, 280, 560 or 1120, not {}",
                    p.max_soft_tokens));
  const int64_t max_patches = p.max_soft_tokens * p.pooling * p.pooling;
  // The processor's arithmetic, in Python's doubles.
  const double total = double(height * width);
  const double target = double(max_patches * p.patch_size * p.patch_size);
  const double factor = std::sqrt(target / total);
  const int64_t side = p.pooling * p.patch_size;
  int64_t h =
      int64_t(std::floor(factor * double(height) / double(side))) * side;
  int64_t w = int64_t(std::floor(factor * double(width) / double(side))) * side;
  if (h == 0 && w == 0)
    return absl::InvalidArgumentError(fmt::format(
        "a {}x{} image would be resized to nothing", width, height));
  const int64_t longest = (max_patches / (p.pooling * p.pooling)) * side;
  if (h == 0) {
    h = side;
    w = std::min(int64_t(std::floor(double(width) / double(height))) * side,
                 longest);
  } else if (w == 0) {
    w = side;
    h = std::min(int64_t(std::floor(double(height) / double(width))) * side,
                 longest);
  }
  if (h * w > int64_t(target))
    return absl::InvalidArgumentError(
        fmt::format("a {}x{} image resized to {}x{} exceeds {} patches of {}",
                    width, height, w, h, max_patches, p.patch_size));
  return std::pair{h, w};
}

absl::StatusOr<Gemma4Patches> MakeGemma4Patches(const RgbImage &image,
                                                const Gemma4Processing &p) {
  absl::StatusOr<std::pair<int64_t, int64_t>> size =
      Gemma4Size(image.height, image.width, p);
  if (!size.ok())
    return size.status();
  const auto [height, width] = *size;
  const RgbImage sized = Resize(image, width, height, Filter::kBicubic);
  const int64_t ps = p.patch_size, grid_w = width / ps, grid_h = height / ps;
  const int64_t rows = p.max_soft_tokens * p.pooling * p.pooling;
  const int64_t row_values = ps * ps * 3;
  Gemma4Patches out;
  out.height = height;
  out.width = width;
  out.soft_tokens = grid_w * grid_h / (p.pooling * p.pooling);
  out.values.assign(size_t(rows * row_values), 0.0f);
  out.positions.assign(size_t(rows * 2), -1);
  constexpr double kRescale = 1.0 / 255.0;
  for (int64_t gy = 0; gy < grid_h; ++gy)
    for (int64_t gx = 0; gx < grid_w; ++gx) {
      const int64_t patch = gy * grid_w + gx;
      float *dst = out.values.data() + patch * row_values;
      for (int64_t r = 0; r < ps; ++r) {
        const uint8_t *src = sized.Row(gy * ps + r) + gx * ps * 3;
        for (int64_t v = 0; v < ps * 3; ++v)
          *dst++ = float(double(src[v]) * kRescale);
      }
      out.positions[size_t(2 * patch)] = int32_t(gx);
      out.positions[size_t(2 * patch + 1)] = int32_t(gy);
    }
  return out;
}

} // namespace gemma::image
