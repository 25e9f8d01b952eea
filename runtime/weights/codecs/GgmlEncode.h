//===- GgmlEncode.h - f32 values into llama.cpp's block types ---*- C++ -*-===//
//
// The encoders behind `gemma-compile --weight-type q8_0|q5_0|q4_k|q6_k|f16`:
// each writes the block layout Ggml.h decodes (ggml-common.h's structs), so
// llama.cpp and the `gguf` Python package read our GGUF files. They are our
// own fits, not llama.cpp's quantizers: symmetric types pick the scale that
// maps the block's largest magnitude to the end of the code range, then try a
// few nearby scales and keep the one with the least squared error; Q4_K fits
// every 32-value sub-block's scale and offset by least squares over a few
// rounds. Every scale is rounded to f16 before the codes are chosen against
// it, so the codes fit the scale the decoder will see.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_GGMLENCODE_H
#define RUNTIME_FORMATS_CODECS_GGMLENCODE_H

#include "runtime/weights/StoredType.h"

#include "absl/status/status.h"

#include <cstdint>

namespace gemma {

// IEEE binary16 nearest to `value` (ties to even; overflow to infinity).
uint16_t F32ToF16(float value);

// Whether EncodeGgmlBlocks writes `type`: F16, Q8_0, Q5_0, Q4_K, Q6_K.
bool CanEncodeGgml(StoredType type);

// Encodes `blocks` blocks of `type` (blocks * BlockElements(type) values
// from `values`) into `out` (blocks * BlockBytes(type) bytes). Values must
// be finite.
absl::Status EncodeGgmlBlocks(StoredType type, const float *values,
                              uint64_t blocks, uint8_t *out);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_GGMLENCODE_H
