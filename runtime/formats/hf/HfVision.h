//===- HfVision.h - A Gemma 3 checkpoint's vision tower ---------*- C++ -*-===//
//
// Gemma3ForConditionalGeneration's SigLIP encoder and projector: the shape
// from config.json's `vision_config` and top-level image fields, the
// preprocessing from preprocessor_config.json, the tensors by role.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_HF_HFVISION_H
#define RUNTIME_FORMATS_HF_HFVISION_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/VisionModel.h"

#include "absl/status/statusor.h"

#include <optional>
#include <string>
#include <string_view>

namespace gemma::hf {

// Nothing for a text-only config, or for another generation's tower (Gemma
// 4's is not read yet: its text model still loads), whose reason then goes
// to `*unread` when given. `preprocessor` is the text of
// preprocessor_config.json, or empty when the checkpoint has none (the
// processor's defaults then apply).
absl::StatusOr<std::optional<VisionSpec>>
ParseHfVision(std::string_view config, std::string_view preprocessor,
              uint32_t text_width, const std::string &name,
              std::string *unread = nullptr);

// The tensors of model.vision, every one of them checked for shape; a
// vision or projector tensor no role reads is refused.
absl::StatusOr<VisionWeights> HfVisionWeights(const ModelFile &model);

} // namespace gemma::hf

#endif // RUNTIME_FORMATS_HF_HFVISION_H
