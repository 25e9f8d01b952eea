//===- LoadModel.h - Any weight file, by its magic -------------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_LOADMODEL_H
#define RUNTIME_FORMATS_LOADMODEL_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"

#include "absl/status/statusor.h"

#include <optional>
#include <string>

namespace gemma {

// Opens a GGUF file (magic "GGUF") or a gemma.cpp `.sbs`, whatever its
// extension.
absl::StatusOr<ModelFile> LoadModelFile(const std::string &path);

// Where `path` is a file of none of the formats LoadModelFile reads, what
// it starts with, for a message: `it starts with "GEMMAPLN" (a compiled
// .plan: run it with gemma-exec)`; nullopt for a file of a known format
// (whose reader reports any damage) or one that cannot be opened.
std::optional<std::string> UnknownFormatHint(const std::string &path);
// The same for a file held in memory; `bytes` must outlive the model.
absl::StatusOr<ModelFile> LoadModelFileFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name);

// The roles of the model's tensors, by its format's naming.
absl::StatusOr<ModelWeights> ModelWeightsOf(const ModelFile &model);

// The roles of the model's vision tower, by where it came from
// (model.vision_format): an image-text checkpoint or an mmproj file.
absl::StatusOr<VisionWeights> VisionWeightsOf(const ModelFile &model);

} // namespace gemma

#endif // RUNTIME_FORMATS_LOADMODEL_H
