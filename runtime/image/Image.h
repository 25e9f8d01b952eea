//===- Image.h - An 8-bit RGB image -----------------------------*- C++ -*-===//
//
// What the image front end hands on: 8-bit RGB pixels, row after row, three
// bytes a pixel. Every decoder converts to it as Pillow's convert("RGB")
// and transformers' convert_to_rgb do, and the resampler reads and writes
// it, so that each step can be checked byte for byte against Pillow.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_IMAGE_H
#define RUNTIME_IMAGE_IMAGE_H

#include <cstdint>
#include <vector>

namespace gemma::image {

struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels; // height * width * 3: R, G, B

  const uint8_t *Row(int64_t y) const { return pixels.data() + y * width * 3; }
  uint8_t *Row(int64_t y) { return pixels.data() + y * width * 3; }
};

} // namespace gemma::image

#endif // RUNTIME_IMAGE_IMAGE_H
