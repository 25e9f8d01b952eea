//===- ImagePrompt.h - Images into a prompt's soft tokens -------*- C++ -*-===//
//
// The reference path of an image prompt (docs/vision.md): image files
// decoded and preprocessed as transformers' processor does, encoded by the
// builder's @encode_image, and laid at the rows of the prompt's runs of
// image tokens.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_IMAGEPROMPT_H
#define COMPILER_REFERENCE_IMAGEPROMPT_H

#include "compiler/reference/Kernels.h"
#include "runtime/formats/ModelFile.h"
#include "runtime/image/PixelValues.h"

#include "absl/status/statusor.h"

#include <span>
#include <string>
#include <vector>

namespace gemma::reference {

// The processor settings of the spec's preprocessing.
image::ImageProcessing ImageProcessingOf(const VisionSpec &spec);

// [prompt, text width]: image i's soft tokens at the rows of the prompt's
// i-th run of image tokens, zeros elsewhere. Fails, naming the problem, on
// a model without a vision tower, runs that do not match the images, or a
// file that does not decode.
absl::StatusOr<Tensor> SoftTokensAtRows(const ModelFile &model,
                                        std::span<const int32_t> prompt,
                                        const std::vector<std::string> &images);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_IMAGEPROMPT_H
