//===- ImageDecode.h - PNG and JPEG files to RGB ----------------*- C++ -*-===//
//
// Decodes a PNG (libpng) or JPEG (libjpeg-turbo) file to 8-bit RGB exactly
// as transformers' image processors see it after Pillow opens it and
// convert_to_rgb runs (docs/images.md):
//  - 8-bit gray, RGB and palette images map as Pillow's convert("RGB");
//    1, 2 and 4-bit gray scale up to 0-255 (x255, x85, x17);
//  - 16-bit RGB keeps each sample's high byte (Pillow's "RGB;16B"), and
//    16-bit gray is clipped to 255 (Pillow opens it as "I;16", whose
//    convert("RGB") clips rather than scales);
//  - an alpha channel, or a tRNS transparency (a palette's alphas, or the
//    one transparent gray or RGB value), is composited onto white with
//    Pillow's alpha_composite integer arithmetic;
//  - JPEG: YCbCr and RGB decoded to RGB (accurate integer IDCT and fancy
//    upsampling, libjpeg's defaults, as Pillow decodes), gray replicated.
// CMYK JPEGs and files past kMaxImagePixels are refused by name; so is any
// file that is not a whole, valid PNG or JPEG. EXIF orientation is not
// applied (the processors do not apply it either).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IMAGE_IMAGEDECODE_H
#define RUNTIME_IMAGE_IMAGEDECODE_H

#include "runtime/image/Image.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <span>
#include <string>

namespace gemma::image {

// Pillow's decompression-bomb limit (twice its warning threshold): a file
// claiming more pixels is refused before anything is allocated.
inline constexpr int64_t kMaxImagePixels =
    2 * (int64_t(1024) * 1024 * 1024 / 4 / 3);

// `bytes` as RGB; errors name `name` (the file) and the problem.
absl::StatusOr<RgbImage> DecodeImage(std::span<const uint8_t> bytes,
                                     const std::string &name);

// The file at `path` read and decoded.
absl::StatusOr<RgbImage> ReadImageFile(const std::string &path);

} // namespace gemma::image

#endif // RUNTIME_IMAGE_IMAGEDECODE_H
