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
  case StoredType::kF16:
    return "f16";
  case StoredType::kQ4_0:
    return "q4_0";
  case StoredType::kQ4_1:
    return "q4_1";
  case StoredType::kQ5_0:
    return "q5_0";
  case StoredType::kQ5_1:
    return "q5_1";
  case StoredType::kQ8_0:
    return "q8_0";
  case StoredType::kQ2_K:
    return "q2_k";
  case StoredType::kQ3_K:
    return "q3_k";
  case StoredType::kQ4_K:
    return "q4_k";
  case StoredType::kQ5_K:
    return "q5_k";
  case StoredType::kQ6_K:
    return "q6_k";
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
         type == StoredType::kI8 || IsGgmlType(type);
}

namespace {

struct GgmlLayout {
  StoredType type;
  uint32_t ggml, elements, bytes, bits;
};
// ggml-common.h's block structs (GGML_QUANT_SIZES in gguf-py).
constexpr GgmlLayout kGgml[] = {
    {StoredType::kF16, 1, 1, 2, 16},      {StoredType::kQ4_0, 2, 32, 18, 4},
    {StoredType::kQ4_1, 3, 32, 20, 5},    {StoredType::kQ5_0, 6, 32, 22, 5},
    {StoredType::kQ5_1, 7, 32, 24, 6},    {StoredType::kQ8_0, 8, 32, 34, 8},
    {StoredType::kQ2_K, 10, 256, 84, 2},  {StoredType::kQ3_K, 11, 256, 110, 3},
    {StoredType::kQ4_K, 12, 256, 144, 4}, {StoredType::kQ5_K, 13, 256, 176, 5},
    {StoredType::kQ6_K, 14, 256, 210, 6},
};

const GgmlLayout *GgmlLayoutOf(StoredType type) {
  for (const GgmlLayout &l : kGgml)
    if (l.type == type)
      return &l;
  return nullptr;
}

} // namespace

bool IsGgmlType(StoredType type) { return GgmlLayoutOf(type) != nullptr; }

uint32_t BlockElements(StoredType type) {
  const GgmlLayout *l = GgmlLayoutOf(type);
  return l ? l->elements : 1;
}

uint32_t BlockBytes(StoredType type) {
  const GgmlLayout *l = GgmlLayoutOf(type);
  return l ? l->bytes : ElementBytes(type);
}

std::optional<StoredType> FromGgmlType(uint32_t ggml) {
  if (ggml == 0)
    return StoredType::kF32;
  if (ggml == 30)
    return StoredType::kBF16;
  for (const GgmlLayout &l : kGgml)
    if (l.ggml == ggml)
      return l.type;
  return std::nullopt;
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
  default:
    break;
  }
  const GgmlLayout *l = GgmlLayoutOf(type);
  return l ? int(l->bits) : 0;
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
    break;
  }
  const GgmlLayout *l = GgmlLayoutOf(type);
  return l ? n / l->elements * l->bytes : 0;
}

} // namespace gemma
