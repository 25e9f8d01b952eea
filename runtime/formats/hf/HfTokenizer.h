//===- HfTokenizer.h - Hugging Face tokenizer.json as SentencePiece -*- C++
//-*-===//
//
// Gemma's Hugging Face checkpoints carry their vocabulary as `tokenizer.json`
// (a BPE model with merge ranks, byte fallback and "added tokens"); the
// runtime tokenizes with SentencePiece. The conversion keeps the ids and
// reproduces the Hugging Face encoder:
//   - every added token becomes a user-defined piece, matched in the raw text
//     before anything else, as Hugging Face matches added tokens ("<unk>"
//     included: with byte fallback SentencePiece's unknown piece is an extra
//     one past the vocabulary, which nothing produces);
//   - a normal piece's score is minus the rank of the first merge that makes
//     it, so SentencePiece's "merge the best-scoring adjacent pair" follows
//     the merge list (its converters list every split of every piece, ordered
//     by the piece's score);
//   - `<0xNN>` pieces are byte pieces, used for characters outside the
//     vocabulary.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_HF_HFTOKENIZER_H
#define RUNTIME_FORMATS_HF_HFTOKENIZER_H

#include "absl/status/statusor.h"

#include <string>
#include <string_view>

namespace gemma {

// The serialized SentencePiece ModelProto for the text of a tokenizer.json.
// Tokenizers it cannot reproduce exactly (another model type, normalizer or
// pre-tokenizer) are refused naming what differs.
absl::StatusOr<std::string> HfTokenizerToSentencePiece(std::string_view json);

// The same for a file; errors start with its path.
absl::StatusOr<std::string>
HfTokenizerFileToSentencePiece(const std::string &path);

} // namespace gemma

#endif // RUNTIME_FORMATS_HF_HFTOKENIZER_H
