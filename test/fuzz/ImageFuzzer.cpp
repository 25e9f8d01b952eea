//===- ImageFuzzer.cpp - Fuzz target: PNG and JPEG input ------------------===//
//
// Every input must either decode or be refused with a status; what decodes
// is resized both ways and turned into pixel values. Nothing may crash,
// hang or read outside the input. Sizes are kept small so that a mutated
// header cannot make one run allocate gigabytes: inputs claiming more than
// 2^22 pixels are skipped after the header (DecodeImage's own limit is
// Pillow's, far above what a fuzzer's memory allows).
//
//===----------------------------------------------------------------------===//

#include "runtime/image/ImageDecode.h"
#include "runtime/image/PixelValues.h"
#include "runtime/image/Resample.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::image::RgbImage> image =
      gemma::image::DecodeImage({data, size}, "fuzz.img");
  if (!image.ok() || image->width * image->height > (int64_t(1) << 22))
    return 0;
  using gemma::image::Filter;
  (void)gemma::image::Resize(*image, 13, 7, Filter::kBilinear);
  (void)gemma::image::Resize(*image, 5, 17, Filter::kBicubic);
  gemma::image::ImageProcessing processing;
  processing.width = 8;
  processing.height = 8;
  volatile float sink = gemma::image::PixelValues(*image, processing)[0];
  (void)sink;
  return 0;
}
