//===- GgufModel.h - GGUF files as models -----------------------*- C++ -*-===//
//
// llama.cpp's `gemma`, `gemma2`, `gemma3` and `gemma4` (Gemma4GgufSpec) GGUF
// files (text part) read as
// a ModelFile: hyperparameters from the metadata, tensors in place, the
// tokenizer rebuilt as a SentencePiece model from the vocabulary arrays.
// Conventions of llama.cpp's converter that differ from ours are undone
// here, once (docs/gemma-math.md 6-7): norm weights are stored as 1 + w, so the
// spec says kPlain; the embedding multiplier is sqrtf(d) as llama.cpp and
// Hugging Face compute it in f32.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GGUFMODEL_H
#define RUNTIME_FORMATS_GGUF_GGUFMODEL_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/gguf/GgufFile.h"
#include "runtime/formats/synth/SentencePieceModel.h"

namespace gemma {

// One line naming the file and the key or tensor on failure: unknown
// architecture, missing or mistyped hyperparameter, a tensor of a type we
// do not decode, a shape the hyperparameters contradict.
absl::StatusOr<ModelFile> LoadGgufModel(const std::string &path);
// `bytes` must outlive the model.
absl::StatusOr<ModelFile> LoadGgufModelFromBytes(std::span<const uint8_t> bytes,
                                                 const std::string &name);

// Roles of llama.cpp's tensor names (token_embd, blk.N.attn_q, ...).
absl::StatusOr<ModelWeights> GgufModelWeights(const ModelFile &model);

// OK when `model` has tensor `name` of [rows, cols]; else one line naming
// the file and tensor: missing, or its shape and the one the
// hyperparameters imply.
absl::Status RequireGgufTensor(const ModelFile &model, const std::string &name,
                               uint64_t rows, uint64_t cols);

// The tokens and types of `file`'s vocabulary as SentencePiece pieces
// (scores left 0) with the special ids. Control tokens other than the
// sequence markers become user-defined, as llama.cpp and Hugging Face match
// them in the text. With `unknown_in_vocab`, tokenizer.ggml.unknown_token_id
// names SentencePiece's one unknown piece; without, the vocabulary has none
// and its unknown-typed tokens are matched in the text too.
struct GgufVocabulary {
  std::vector<SentencePieceEntry> pieces;
  BpeModelOptions options;
};
absl::StatusOr<GgufVocabulary> ReadGgufVocabulary(const gguf::GgufFile &file,
                                                  bool unknown_in_vocab);

// The vocabulary arrays of `file` as a serialized SentencePiece ModelProto
// (BPE with byte fallback, no normalization but whitespace as U+2581, no
// dummy prefix unless the file asks for it).
absl::StatusOr<std::string> GgufTokenizerProto(const gguf::GgufFile &file);

} // namespace gemma

#endif // RUNTIME_FORMATS_GGUF_GGUFMODEL_H
