//===- Gemma4Gguf.h - llama.cpp's gemma4 GGUF files -------------*- C++ -*-===//
//
// What llama.cpp's converter writes for a Gemma 4 text model (its `gemma4`
// architecture; docs/formats/gguf-gemma4.md) read into our ModelSpec and
// weight roles: per-layer head geometry (sliding and global head dims, KV
// head counts), the sliding pattern as a bool array, proportional RoPE as a
// `rope_freqs` tensor of 1s and 1e30s, KV sharing, per-layer embeddings,
// mixture of experts, layer output scales. Norm weights are stored plain
// (no 1 + w), as Gemma 4 itself computes them. Every tensor of the file
// must have a role: one we cannot place is refused by name.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GEMMA4GGUF_H
#define RUNTIME_FORMATS_GGUF_GEMMA4GGUF_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/gguf/GgufFile.h"

namespace gemma {

// The spec of a `gemma4` file (name, vocabulary and token ids are the
// caller's); one line naming the file and the key or tensor on failure.
absl::StatusOr<ModelSpec> Gemma4GgufSpec(const gguf::GgufFile &file);

// Roles of the `gemma4` tensor names, shapes checked against the spec.
absl::StatusOr<ModelWeights> Gemma4GgufWeights(const ModelFile &model);

// The `gemma4` tokenizer (Hugging Face's BPE pieces with their merges, as
// llama.cpp stores them) as a serialized SentencePiece BPE model.
absl::StatusOr<std::string>
Gemma4GgufTokenizerProto(const gguf::GgufFile &file);

} // namespace gemma

#endif // RUNTIME_FORMATS_GGUF_GEMMA4GGUF_H
