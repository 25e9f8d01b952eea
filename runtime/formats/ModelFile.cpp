//===- ModelFile.cpp - A weight file, whatever its format -----------------===//

#include "runtime/formats/ModelFile.h"

#include <cstring>

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

absl::StatusOr<std::vector<uint8_t>> TransposedBytes(const WeightTensor &t) {
  const uint64_t size = PackedBytes(t.type, 1);
  if (size == 0 ||
      PackedBytes(t.type, t.rows * t.cols) != size * t.rows * t.cols ||
      t.bytes.size() != size * t.rows * t.cols)
    return absl::InvalidArgumentError(fmt::format(
        "tensor '{}' is not stored as plain numbers, so it cannot be "
        "transposed",
        t.name));
  std::vector<uint8_t> bytes(t.bytes.size());
  for (uint64_t r = 0; r < t.rows; ++r)
    for (uint64_t c = 0; c < t.cols; ++c)
      std::memcpy(bytes.data() + (c * t.rows + r) * size,
                  t.bytes.data() + (r * t.cols + c) * size, size);
  return bytes;
}

} // namespace gemma
