//===- ConvertGemma4Gguf.h - Gemma 4 as llama.cpp's gemma4 GGUF -*- C++ -*-===//
//
// A loaded Gemma 4 model written as llama.cpp's converter writes one (its
// `gemma4` architecture; docs/formats/gguf-gemma4.md): the keys and tensor
// names Gemma4Gguf.h reads, per-layer arrays where layers differ, the
// proportional RoPE of global layers as a `rope_freqs` tensor, experts as
// 3-D tensors, the router kept f32, the tokenizer as BPE pieces with the
// merges that reproduce SentencePiece's choices. What llama.cpp's gemma4
// keys cannot say (heads differing per layer, sliding layers with partial
// rotation, KV sharing other than from the last layer of each kind) is
// refused by name.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_CONVERTGEMMA4GGUF_H
#define RUNTIME_FORMATS_GGUF_CONVERTGEMMA4GGUF_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/gguf/GgufWriter.h"

namespace gemma {

// Adds the metadata and tensors of Gemma 4 `model` to `writer`, matrices
// stored as `weight` (with llama.cpp's fallbacks for narrow rows).
absl::Status AddGemma4(gguf::GgufWriter &writer, const ModelFile &model,
                       const ModelWeights &weights, StoredType weight);

} // namespace gemma

#endif // RUNTIME_FORMATS_GGUF_CONVERTGEMMA4GGUF_H
