//===- Encode.h - Encode f32 values into a stored type ---------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_CODECS_ENCODE_H
#define RUNTIME_FORMATS_CODECS_ENCODE_H

#include "runtime/weights/StoredType.h"

#include "absl/status/status.h"

#include <cstdint>
#include <span>

namespace gemma {

// Encodes `values` as `type` (f32, bf16 round-to-nearest-even, sfp, nuq, i8)
// into `out`, which must hold exactly PackedBytes(type, values.size()).
// SFP and NUQ values must already be within +-1.875 (see Scale.h). For
// chunked encoding, NUQ chunks must start at multiples of 256 values and I8
// chunks at multiples of 128.
absl::Status EncodeTensor(StoredType type, std::span<const float> values,
                          std::span<uint8_t> out);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_ENCODE_H
