//===- LoadModel.cpp - Any weight file, by its magic ----------------------===//

#include "runtime/formats/LoadModel.h"

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/gguf/GgufModel.h"
#include "runtime/formats/gguf/GgufVision.h"
#include "runtime/formats/hf/HfCheckpoint.h"
#include "runtime/formats/hf/HfVision.h"
#include "runtime/formats/sbs/BlobStore.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>

namespace gemma {

std::optional<std::string> UnknownFormatHint(const std::string &path) {
  if (IsHfCheckpointPath(path) || gguf::HasGgufMagic(path))
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt; // the format's reader says why it cannot open it
  char head[8] = {};
  in.read(head, sizeof head);
  const std::streamsize got = in.gcount();
  uint32_t front = 0, back = 0;
  std::memcpy(&front, head, size_t(std::min<std::streamsize>(got, 4)));
  in.clear();
  in.seekg(-16, std::ios::end);
  if (in)
    in.read(reinterpret_cast<char *>(&back), 4);
  if (front == sbs::kBlobMagic || back == sbs::kBlobMagic)
    return std::nullopt;
  if (got == 0)
    return "it is empty";
  std::string shown;
  for (std::streamsize i = 0; i < got; ++i) {
    const unsigned char c = static_cast<unsigned char>(head[i]);
    shown += c >= 0x20 && c < 0x7f ? std::string(1, char(c))
                                   : fmt::format("\\x{:02x}", c);
  }
  const bool plan = got == 8 && std::memcmp(head, "GEMMAPLN", 8) == 0;
  return fmt::format(
      "it starts with \"{}\"{}", shown,
      plan ? " (a compiled .plan: run it with gemma-exec)"
           : " (a damaged or truncated weight file, or another kind of file)");
}

absl::StatusOr<ModelFile> LoadModelFile(const std::string &path) {
  if (IsHfCheckpointPath(path))
    return LoadHfCheckpoint(path);
  if (gguf::HasGgufMagic(path))
    return LoadGgufModel(path);
  if (std::optional<std::string> hint = UnknownFormatHint(path))
    return absl::InvalidArgumentError(
        fmt::format("{}: not a GGUF, a gemma.cpp .sbs or a Hugging Face "
                    "checkpoint directory: {}",
                    path, *hint));
  return LoadSbsModel(path);
}

absl::StatusOr<ModelFile> LoadModelFileFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name) {
  if (gguf::HasGgufMagic(bytes))
    return LoadGgufModelFromBytes(bytes, name);
  return LoadSbsModelFromBytes(bytes, name);
}

absl::StatusOr<VisionWeights> VisionWeightsOf(const ModelFile &model) {
  if (!model.vision_error.empty())
    return absl::InvalidArgumentError(model.vision_error);
  if (model.vision_format == "hf")
    return hf::HfVisionWeights(model);
  if (model.vision_format == "mmproj")
    return MmprojVisionWeights(model);
  return absl::InvalidArgumentError(fmt::format(
      "{} has no vision tower: images need an image-text checkpoint or an "
      "mmproj file",
      model.source));
}

absl::StatusOr<ModelWeights> ModelWeightsOf(const ModelFile &model) {
  if (model.format == "gguf")
    return GgufModelWeights(model);
  if (model.format == "hf")
    return HfModelWeights(model);
  return SbsModelWeights(model);
}

} // namespace gemma
