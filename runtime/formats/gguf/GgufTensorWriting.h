//===- GgufTensorWriting.h - Tensors as llama.cpp's converter writes -*- C++
//-*-===//
//
// The pieces ConvertGguf (Gemma 1-3) and ConvertGemma4Gguf share: the file
// type code, llama.cpp's fallback types for rows that are not whole blocks,
// matrices and norms added to a GgufWriter and encoded as they are written.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_GGUFTENSORWRITING_H
#define RUNTIME_FORMATS_GGUF_GGUFTENSORWRITING_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/RoleMatrix.h"
#include "runtime/formats/gguf/GgufWriter.h"
#include "runtime/formats/synth/SentencePieceModel.h"

#include <memory>
#include <optional>

namespace gemma::gguf_out {

// "cannot write this model as GGUF: <what>", as an unimplemented status.
absl::Status Refuse(std::string what);

// llama.cpp's LLAMA_FTYPE for a file whose matrices are mostly `type`.
uint32_t FileType(StoredType type);

// `type` for rows of `cols` values, falling back as llama.cpp's quantizer
// does when the rows are not whole blocks.
StoredType FitRows(StoredType type, uint64_t cols);

// A matrix role as a GGUF tensor of [rows, cols] (or of the dimensions `ne`,
// ggml order, holding the same rows: llama.cpp's 3-D expert tensors).
absl::Status AddMatrix(gguf::GgufWriter &writer, std::string name,
                       std::shared_ptr<RoleMatrix> m, uint64_t rows,
                       uint64_t cols, StoredType type,
                       std::vector<uint64_t> ne = {});

// A norm vector (or any small f32 tensor of `width` values), stored as
// llama.cpp's converter stores it: 1 + w for the norms of models whose
// norms are applied as (1 + w), in f32.
absl::Status AddNorm(gguf::GgufWriter &writer, std::string name,
                     const ModelFile &model, const std::string &tensor,
                     uint64_t width);

// The model's tokenizer for writing, or nullopt after writing the keys that
// let llama.cpp load a model without one (it then runs from token ids).
// Refuses a tokenizer that collapses runs of spaces (`flavour` names
// llama.cpp's tokenizer in the message).
absl::StatusOr<std::optional<SentencePieceModel>>
TokenizerToWrite(gguf::GgufWriter &writer, const ModelFile &model,
                 std::string_view flavour);

// The special-token keys every llama.cpp tokenizer reads (ids < 0 left
// out), BOS added and EOS not, as llama.cpp's converter writes them.
void AddSpecialTokens(gguf::GgufWriter &writer, const ModelSpec &spec,
                      int64_t unk, int64_t pad, bool add_space_prefix);

} // namespace gemma::gguf_out

#endif // RUNTIME_FORMATS_GGUF_GGUFTENSORWRITING_H
