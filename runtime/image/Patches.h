//===- Patches.h - An image's pixel values as patch rows --------*- C++ -*-===//
//
// A ViT's patch embedding is a convolution with kernel = stride = patch; the
// same sums are a matmul of its [out, channels * p * p] kernel with one row
// per patch. This lays the pixel values out as those rows.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_PATCHES_H
#define RUNTIME_IMAGE_PATCHES_H

#include <cstdint>
#include <span>
#include <vector>

namespace gemma::image {

// `pixels`: channels x height x width, channels first (PixelValues). The
// result has (height / patch) * (width / patch) rows, row-major over the
// patch grid; row r holds its patch's values channel by channel, each
// channel row by row. height and width are multiples of patch.
std::vector<float> UnfoldPatches(std::span<const float> pixels,
                                 int64_t channels, int64_t height,
                                 int64_t width, int64_t patch);

} // namespace gemma::image

#endif // RUNTIME_IMAGE_PATCHES_H
