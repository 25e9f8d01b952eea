//===- ConvertGguf.h - A loaded model as a llama.cpp GGUF -------*- C++ -*-===//
//
// Writes a Gemma model loaded from any format as the GGUF that llama.cpp's
// converter would write (Gemma 4: ConvertGemma4Gguf.h; Gemma 1-3 here: its
// tensor names, the [d, H * hd]
// output projection, norms stored as 1 + w, llama.cpp's hyperparameter and
// tokenizer keys), its matrices encoded as `weight`: f32, bf16, f16, q8_0,
// q5_0, q4_k or q6_k. A K-quant needs rows of whole 256-value blocks; rows
// that are not fall back as llama.cpp's quantizer does (q4_k to q5_0, q6_k
// to q8_0; f16 when not even 32 divides them). With q4_k the tied
// embedding is q6_k, as in llama.cpp's Q4_K mixes. Norms stay f32.
//
// What llama.cpp would compute differently is refused by name rather than
// written: Gemma 1-3 layers that differ in shape, a query scale llama.cpp
// does not derive, proportional RoPE or another Gemma 4 feature on an
// earlier generation.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_GGUF_CONVERTGGUF_H
#define RUNTIME_FORMATS_GGUF_CONVERTGGUF_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/gguf/GgufWriter.h"

namespace gemma {

// Whether ConvertToGguf can store matrices as `type`.
bool IsGgufWeightType(StoredType type);

absl::Status
ConvertToGguf(const ModelFile &model, const ModelWeights &weights,
              StoredType weight, const std::string &path,
              const gguf::GgufWriter::Progress &progress = nullptr);

} // namespace gemma

#endif // RUNTIME_FORMATS_GGUF_CONVERTGGUF_H
