//===- Ggml.h - llama.cpp's GGML weight types ---------------------*- C++
//-*-===//
//
// Scalar, readable decoders of the block types GGUF files store (the
// layouts of ggml-common.h; docs/formats/ggml-types.md writes them out).
// They define the values: the CPU kernels' vectorised decoders and every
// backend are tested against them, and they against the `gguf` Python
// package's own dequantization.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_IMPORT_CODECS_GGML_H
#define COMPILER_IMPORT_CODECS_GGML_H

#include "compiler/import/StoredType.h"

#include <cstdint>

namespace gemma {

// IEEE binary16 to f32, exact (subnormals, infinities and NaN included).
float F16ToF32(uint16_t bits);

// Decodes `blocks` consecutive blocks of GGML type `type` (IsGgmlType)
// from `packed` into `out` (blocks * BlockElements(type) values).
void DecodeGgmlBlocks(StoredType type, const uint8_t *packed, uint64_t blocks,
                      float *out);

} // namespace gemma

#endif // COMPILER_IMPORT_CODECS_GGML_H
