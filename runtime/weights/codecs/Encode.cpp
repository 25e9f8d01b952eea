//===- Encode.cpp - Encode f32 values into a stored type ------------------===//

#include "runtime/weights/codecs/Encode.h"

#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/I8.h"
#include "runtime/weights/codecs/Nuq.h"
#include "runtime/weights/codecs/Sfp.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace gemma {
namespace {

absl::Status CheckSfpRange(std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!(std::fabs(values[i]) <= kSfpMax))
      return absl::InvalidArgumentError(fmt::format(
          "value {} at index {} is outside SFP's range of +-1.875 (scale the "
          "tensor first)",
          values[i], i));
  return absl::OkStatus();
}

} // namespace

absl::Status EncodeTensor(StoredType type, std::span<const float> values,
                          std::span<uint8_t> out) {
  if (!IsWeightType(type))
    return absl::InvalidArgumentError(
        fmt::format("cannot encode weights as {}", StoredTypeName(type)));
  const uint64_t expected = PackedBytes(type, values.size());
  if (out.size() != expected)
    return absl::InvalidArgumentError(
        fmt::format("{} values of {} take {} bytes, the output holds {}",
                    values.size(), StoredTypeName(type), expected, out.size()));
  switch (type) {
  case StoredType::kF32:
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t bits = 0;
      std::memcpy(&bits, &values[i], sizeof(bits));
      for (int b = 0; b < 4; ++b)
        out[4 * i + b] = static_cast<uint8_t>(bits >> (8 * b));
    }
    break;
  case StoredType::kBF16:
    for (size_t i = 0; i < values.size(); ++i) {
      uint16_t bits = F32ToBf16(values[i]);
      out[2 * i] = static_cast<uint8_t>(bits);
      out[2 * i + 1] = static_cast<uint8_t>(bits >> 8);
    }
    break;
  case StoredType::kSFP:
    if (absl::Status status = CheckSfpRange(values); !status.ok())
      return status;
    for (size_t i = 0; i < values.size(); ++i)
      out[i] = SfpEncode(values[i]);
    break;
  case StoredType::kNUQ:
    if (absl::Status status = CheckSfpRange(values); !status.ok())
      return status;
    NuqEncode(values, out);
    break;
  case StoredType::kI8:
    I8Encode(values, out);
    break;
  default:
    break;
  }
  return absl::OkStatus();
}

} // namespace gemma
