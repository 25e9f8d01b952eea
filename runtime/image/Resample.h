//===- Resample.h - Pillow's resize of 8-bit RGB images ---------*- C++ -*-===//
//
// Image.resize((width, height), BILINEAR or BICUBIC) as Pillow computes it
// on 8-bit images, byte for byte: a separable convolution whose support
// widens with the reduction (antialiasing), the coefficients of each
// output pixel normalized in double and then held as fixed-point integers
// with 22 fraction bits, a horizontal pass (rounded and clipped to 8 bits)
// over the rows the vertical pass needs, then the vertical pass. Being
// integer arithmetic after the coefficients, it is deterministic, which is
// what lets the image processors be matched exactly (docs/images.md).
// This is Pillow 12.0-12.1; later versions run the vertical pass first in
// some cases, where the rounding of the intermediate image differs.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_RESAMPLE_H
#define RUNTIME_IMAGE_RESAMPLE_H

#include "runtime/image/Image.h"

namespace gemma::image {

enum class Filter {
  kBilinear, // triangle, support 1 (Gemma 3's processors)
  kBicubic,  // Keys cubic with a = -0.5, support 2 (Gemma 4's)
};

// `in` resized to width x height (both >= 1; `in` not empty).
RgbImage Resize(const RgbImage &in, int64_t width, int64_t height,
                Filter filter);

} // namespace gemma::image

#endif // RUNTIME_IMAGE_RESAMPLE_H
