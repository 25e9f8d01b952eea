//===- StoredType.cpp - How a tensor's elements are stored ----------------===//

#include "compiler/import/StoredType.h"

namespace gemma {

bool IsValidStoredType(uint32_t value) { return value < 9; }

std::string_view StoredTypeName(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return "f32";
  case StoredType::kBF16:
    return "bf16";
  case StoredType::kSFP:
    return "sfp";
  case StoredType::kNUQ:
    return "nuq";
  case StoredType::kF64:
    return "f64";
  case StoredType::kU32:
    return "u32";
  case StoredType::kU64:
    return "u64";
  case StoredType::kI8:
    return "i8";
  case StoredType::kUnknown:
    break;
  }
  return "unknown";
}

std::optional<StoredType> ParseWeightType(std::string_view name) {
  for (StoredType type : {StoredType::kF32, StoredType::kBF16, StoredType::kSFP,
                          StoredType::kNUQ, StoredType::kI8})
    if (StoredTypeName(type) == name)
      return type;
  return std::nullopt;
}

bool IsWeightType(StoredType type) {
  return type == StoredType::kF32 || type == StoredType::kBF16 ||
         type == StoredType::kSFP || type == StoredType::kNUQ ||
         type == StoredType::kI8;
}

int StoredTypeBits(StoredType type) {
  switch (type) {
  case StoredType::kF32:
  case StoredType::kU32:
    return 32;
  case StoredType::kBF16:
    return 16;
  case StoredType::kSFP:
  case StoredType::kI8:
    return 8;
  case StoredType::kNUQ:
    return 4;
  case StoredType::kF64:
  case StoredType::kU64:
    return 64;
  case StoredType::kUnknown:
    break;
  }
  return 0;
}

uint32_t ElementBytes(StoredType type) {
  return static_cast<uint32_t>((StoredTypeBits(type) + 7) / 8);
}

uint64_t PackedBytes(StoredType type, uint64_t n) {
  switch (type) {
  case StoredType::kF32:
    return 4 * n;
  case StoredType::kBF16:
    return 2 * n;
  case StoredType::kSFP:
    return n;
  case StoredType::kNUQ: // 16 SFP centers per 256 values, then 4-bit indices
    return 16 * ((n + 255) / 256) + (n + 1) / 2;
  case StoredType::kI8: // bf16 inv_scale + bf16 zero point per 128 values
    return 4 * ((n + 127) / 128) + n;
  default:
    return 0;
  }
}

} // namespace gemma
