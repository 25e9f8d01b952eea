//===- StoredType.cpp - How a tensor's elements are stored ----------------===//

#include "runtime/weights/StoredType.h"

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

// gguf-py's GGML_QUANT_SIZES, by GGML type id: every type ggml defines,
// decodable or not (a GGUF reader sizes every tensor with it).
struct GgmlRow {
  uint32_t id;
  GgmlTypeInfo info;
};
constexpr GgmlRow kGgmlTypes[] = {
    {0, {"F32", 1, 4}},         {1, {"F16", 1, 2}},
    {2, {"Q4_0", 32, 18}},      {3, {"Q4_1", 32, 20}},
    {6, {"Q5_0", 32, 22}},      {7, {"Q5_1", 32, 24}},
    {8, {"Q8_0", 32, 34}},      {9, {"Q8_1", 32, 40}},
    {10, {"Q2_K", 256, 84}},    {11, {"Q3_K", 256, 110}},
    {12, {"Q4_K", 256, 144}},   {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}},   {15, {"Q8_K", 256, 292}},
    {16, {"IQ2_XXS", 256, 66}}, {17, {"IQ2_XS", 256, 74}},
    {18, {"IQ3_XXS", 256, 98}}, {19, {"IQ1_S", 256, 50}},
    {20, {"IQ4_NL", 32, 18}},   {21, {"IQ3_S", 256, 110}},
    {22, {"IQ2_S", 256, 82}},   {23, {"IQ4_XS", 256, 136}},
    {24, {"I8", 1, 1}},         {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},        {27, {"I64", 1, 8}},
    {28, {"F64", 1, 8}},        {29, {"IQ1_M", 256, 56}},
    {30, {"BF16", 1, 2}},       {34, {"TQ1_0", 256, 54}},
    {35, {"TQ2_0", 256, 66}},   {39, {"MXFP4", 32, 17}},
    {40, {"NVFP4", 64, 36}},    {41, {"Q1_0", 128, 18}},
};

// The GGML types we decode are StoredType 100 + their GGML id, with the
// bits per value gemma.cpp-style type choice counts.
struct Decodable {
  StoredType type;
  int bits;
};
constexpr Decodable kDecodable[] = {
    {StoredType::kF16, 16}, {StoredType::kQ4_0, 4}, {StoredType::kQ4_1, 5},
    {StoredType::kQ5_0, 5}, {StoredType::kQ5_1, 6}, {StoredType::kQ8_0, 8},
    {StoredType::kQ2_K, 2}, {StoredType::kQ3_K, 3}, {StoredType::kQ4_K, 4},
    {StoredType::kQ5_K, 5}, {StoredType::kQ6_K, 6},
};

const Decodable *DecodableOf(StoredType type) {
  for (const Decodable &d : kDecodable)
    if (d.type == type)
      return &d;
  return nullptr;
}

const GgmlTypeInfo *GgmlInfoOf(StoredType type) {
  return DecodableOf(type) ? GgmlTypeOf(static_cast<uint32_t>(type) - 100)
                           : nullptr;
}

} // namespace

const GgmlTypeInfo *GgmlTypeOf(uint32_t id) {
  for (const GgmlRow &row : kGgmlTypes)
    if (row.id == id)
      return &row.info;
  return nullptr;
}

bool IsGgmlType(StoredType type) { return DecodableOf(type) != nullptr; }

uint32_t BlockElements(StoredType type) {
  const GgmlTypeInfo *info = GgmlInfoOf(type);
  return info ? info->block_elements : 1;
}

uint32_t BlockBytes(StoredType type) {
  const GgmlTypeInfo *info = GgmlInfoOf(type);
  return info ? info->block_bytes : ElementBytes(type);
}

std::optional<StoredType> FromGgmlType(uint32_t ggml) {
  if (ggml == 0)
    return StoredType::kF32;
  if (ggml == 30)
    return StoredType::kBF16;
  const StoredType type = static_cast<StoredType>(100 + ggml);
  if (ggml < 100 && DecodableOf(type))
    return type;
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
  const Decodable *d = DecodableOf(type);
  return d ? d->bits : 0;
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
  const GgmlTypeInfo *info = GgmlInfoOf(type);
  return info ? n / info->block_elements * info->block_bytes : 0;
}

} // namespace gemma
