//===- LoadModel.cpp - Any weight file, by its magic ----------------------===//

#include "compiler/import/LoadModel.h"

#include "compiler/import/SbsModel.h"
#include "compiler/import/SbsWeights.h"
#include "compiler/import/gguf/GgufModel.h"
#include "compiler/import/hf/HfCheckpoint.h"

namespace gemma {

absl::StatusOr<ModelFile> LoadModelFile(const std::string &path) {
  if (IsHfCheckpointPath(path))
    return LoadHfCheckpoint(path);
  if (gguf::HasGgufMagic(path))
    return LoadGgufModel(path);
  return LoadSbsModel(path);
}

absl::StatusOr<ModelFile> LoadModelFileFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name) {
  if (gguf::HasGgufMagic(bytes))
    return LoadGgufModelFromBytes(bytes, name);
  return LoadSbsModelFromBytes(bytes, name);
}

absl::StatusOr<ModelWeights> ModelWeightsOf(const ModelFile &model) {
  if (model.format == "gguf")
    return GgufModelWeights(model);
  if (model.format == "hf")
    return HfModelWeights(model);
  return SbsModelWeights(model);
}

} // namespace gemma
