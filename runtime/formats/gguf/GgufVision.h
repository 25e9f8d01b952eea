//===- GgufVision.h - llama.cpp's mmproj file for Gemma 3 -------*- C++ -*-===//
//
// The vision tower and projector as llama.cpp's `convert_hf_to_gguf.py
// --mmproj` writes them for Gemma 3 (general.architecture "clip",
// clip.projector_type "gemma3"), added beside a text model
// (docs/vision.md).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GGUFVISION_H
#define RUNTIME_FORMATS_GGUF_GGUFVISION_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/VisionModel.h"
#include "runtime/formats/gguf/GgufFile.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <string>

namespace gemma {

// Reads the mmproj at `path` into `model`: its tensors (named as in the
// file, v.* and mm.*), the tower's spec with model.vision_format "mmproj".
// The image tokens come from the model's own vision config if it has one,
// else from its tokenizer's <start_of_image>, <end_of_image> and
// <image_soft_token>. Refuses, naming the problem, a file that is not a
// Gemma 3 mmproj, or whose projector's width is not the text model's.
absl::Status AddMmproj(const std::string &path, ModelFile &model);
// The same for an opened file (its bytes must outlive the model).
absl::Status AddMmproj(gguf::GgufFile file, ModelFile &model);

// The mmproj tensors by role, every one checked for shape.
absl::StatusOr<VisionWeights> MmprojVisionWeights(const ModelFile &model);

} // namespace gemma

#endif // RUNTIME_FORMATS_GGUF_GGUFVISION_H
