//===- Decode.h - Decode stored weights to f32 -----------------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_CODECS_DECODE_H
#define RUNTIME_FORMATS_CODECS_DECODE_H

#include "runtime/weights/StoredType.h"

#include <cstdint>

namespace gemma {

// Decodes flat elements [first, first + count) of a packed tensor of `type`
// (f32, bf16, sfp, nuq, i8 or a GGML type, where `first` and `count` are
// whole blocks) into `out`, without the per-tensor scale.
// `packed` points at the tensor's first byte. bf16 and SFP are vectorised
// for the best instruction set of the running CPU (Highway dynamic
// dispatch); NUQ and I8 decode value by value.
void DecodeRange(StoredType type, const uint8_t *packed, uint64_t first,
                 uint64_t count, float *out);

// The plain scalar reference DecodeRange is tested against.
void DecodeRangeScalar(StoredType type, const uint8_t *packed, uint64_t first,
                       uint64_t count, float *out);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_DECODE_H
