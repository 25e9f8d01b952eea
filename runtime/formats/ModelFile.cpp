//===- ModelFile.cpp - A weight file, whatever its format -----------------===//

#include "runtime/formats/ModelFile.h"

#include <fmt/format.h>

namespace gemma {

std::string Fingerprint(std::span<const uint8_t> bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (uint8_t b : bytes)
    h = (h ^ b) * 0x100000001B3ull;
  return fmt::format("{:016x}", h);
}

std::map<std::string, TensorInfo> TensorInfos(const ModelFile &model) {
  std::map<std::string, TensorInfo> infos;
  for (const auto &[name, tensor] : model.tensors)
    infos[name] = {tensor.type, tensor.rows, tensor.cols, tensor.scale};
  return infos;
}

} // namespace gemma
