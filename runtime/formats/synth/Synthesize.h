//===- Synthesize.h - Write a random-weight model as a .sbs ----*- C++ -*-===//

#ifndef RUNTIME_FORMATS_SYNTH_SYNTHESIZE_H
#define RUNTIME_FORMATS_SYNTH_SYNTHESIZE_H

#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/SbsTensors.h"
#include "runtime/formats/synth/SynthValues.h"
#include "runtime/weights/StoredType.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gemma {

// Called after each chunk: bytes of tensor data written so far, the total,
// and the tensor being written.
using SynthProgress =
    std::function<void(uint64_t done, uint64_t total, const std::string &)>;

// Writes `spec` with deterministic random weights (SynthValues) and the
// synthetic tokenizer as a V2 single-file `.sbs` that gemma.cpp can load
// (Gemma 2/3). Tensors are generated and encoded in chunks, so memory stays
// small whatever the model size; the file appears at `path` only when
// complete (written beside it, then renamed).
// The per-tensor scale the synthesizer gives a tensor: 1 unless SFP or NUQ
// values would exceed SFP's range (then values are stored divided by it,
// as gemma.cpp's exporter does, docs/formats/sbs.md 5.7).
float SynthScale(const TensorSlot &slot, const SynthValues &values);

// The values of one tensor of a file being written: fill(first, out) writes
// flat values [first, first + out.size()) as f32 (before the scale is
// divided out); scale is the per-tensor scale stored beside it (1, or more
// when SFP/NUQ values would exceed SFP's range).
struct TensorFill {
  std::function<void(uint64_t first, std::span<float> out)> fill;
  float scale = 1.0f;
};
// Where a writer gets each tensor's values from.
using TensorSource =
    std::function<absl::StatusOr<TensorFill>(const TensorSlot &slot)>;

// Writes `spec` as a V2 single-file `.sbs` that gemma.cpp can load, with
// `weight` matrices (SbsTensorTable) from `source` and the serialized
// `tokenizer` (or kNoTokenizer). Streaming, in chunks; the file appears at
// `path` only when complete.
absl::Status WriteSbs(const ModelSpec &spec, StoredType weight,
                      const std::string &path, const std::string &tokenizer,
                      const TensorSource &source,
                      const SynthProgress &progress = nullptr);

// gemma.cpp's tokenizer blob for "this file has no tokenizer"
// (docs/formats/sbs.md).
inline constexpr std::string_view kNoTokenizer = "unavailable";

// `tokenizer`, when given, is embedded instead of the synthetic tokenizer (a
// serialized SentencePiece ModelProto, or kNoTokenizer); every id its
// encoder can produce from plain text must lie in the preset's vocabulary.
absl::Status SynthesizeSbs(const ModelSpec &spec, StoredType weight,
                           uint64_t seed, const std::string &path,
                           const SynthProgress &progress = nullptr,
                           const std::optional<std::string> &tokenizer = {});

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_SYNTHESIZE_H
