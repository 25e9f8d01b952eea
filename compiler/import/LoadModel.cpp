//===- LoadModel.cpp - Any weight file, by its magic ----------------------===//

#include "compiler/import/LoadModel.h"

#include "compiler/import/SbsModel.h"
#include "compiler/import/SbsWeights.h"
#include "compiler/import/gguf/GgufModel.h"

#include <cstring>
#include <fstream>

namespace gemma {
namespace {

bool IsGguf(std::span<const uint8_t> head) {
  return head.size() >= 4 && std::memcmp(head.data(), gguf::kMagic, 4) == 0;
}

} // namespace

absl::StatusOr<ModelFile> LoadModelFile(const std::string &path) {
  char head[4] = {};
  std::ifstream(path, std::ios::binary).read(head, 4);
  if (IsGguf(std::span(reinterpret_cast<const uint8_t *>(head), 4)))
    return LoadGgufModel(path);
  return LoadSbsModel(path);
}

absl::StatusOr<ModelFile> LoadModelFileFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name) {
  if (IsGguf(bytes))
    return LoadGgufModelFromBytes(bytes, name);
  return LoadSbsModelFromBytes(bytes, name);
}

absl::StatusOr<ModelWeights> ModelWeightsOf(const ModelFile &model) {
  if (model.format == "gguf")
    return GgufModelWeights(model);
  return SbsModelWeights(model);
}

} // namespace gemma
