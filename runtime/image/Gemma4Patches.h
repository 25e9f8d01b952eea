//===- Gemma4Patches.h - Gemma 4's image input ------------------*- C++ -*-===//
//
// What transformers' Gemma4ImageProcessorPil makes of an RGB image: a
// resize that keeps the aspect ratio (Pillow's BICUBIC) to the largest size
// whose sides are multiples of pooling x patch and whose patches fit the
// soft-token budget, x / 255 (computed in double, stored as f32; no
// normalization), cut into patch x patch squares (each one's values row by
// row, RGB interleaved), padded with zero patches to the budget, and each
// patch's (x, y) position in the grid (-1, -1 for padding).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_GEMMA4PATCHES_H
#define RUNTIME_IMAGE_GEMMA4PATCHES_H

#include "runtime/image/Image.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace gemma::image {

struct Gemma4Processing {
  int64_t patch_size = 16;
  int64_t max_soft_tokens = 280; // 70, 140, 280, 560 or 1120
  int64_t pooling = 3;           // pooling kernel size
};

struct Gemma4Patches {
  int64_t height = 0, width = 0; // the resized image
  int64_t soft_tokens = 0;       // patches / pooling^2
  // max_soft_tokens * pooling^2 rows of patch^2 * 3 values.
  std::vector<float> values;
  std::vector<int32_t> positions; // (x, y) per row
};

// The resized (height, width) for an image of that size, or the
// processor's refusal (a side that would round to nothing, a budget
// exceeded).
absl::StatusOr<std::pair<int64_t, int64_t>>
Gemma4Size(int64_t height, int64_t width, const Gemma4Processing &processing);

absl::StatusOr<Gemma4Patches>
MakeGemma4Patches(const RgbImage &image, const Gemma4Processing &processing);

} // namespace gemma::image

#endif // RUNTIME_IMAGE_GEMMA4PATCHES_H
