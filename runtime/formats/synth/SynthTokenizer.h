//===- SynthTokenizer.h - Tokenizers of synthetic models -------*- C++ -*-===//
//
// A synthetic model carries a real SentencePiece BPE tokenizer: a small model
// trained at build time on text the repository ships, laid out so that the
// generation's control tokens sit at their real ids and padded with
// `<unusedN>` pieces to the preset's vocabulary, so every id decodes.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SYNTH_SYNTHTOKENIZER_H
#define RUNTIME_FORMATS_SYNTH_SYNTHTOKENIZER_H

#include "runtime/formats/Generation.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

struct SpecialToken {
  uint32_t id;
  std::string piece;
};

// The turn and media tokens of `generation` (docs/gemma-math.md section 5.1)
// that fit in `vocab_size`; PAD/EOS/BOS/UNK (0-3) are not listed.
std::vector<SpecialToken> GemmaSpecialTokens(Generation generation,
                                             uint32_t vocab_size);

// The serialized SentencePiece ModelProto of a synthetic model with
// `vocab_size` pieces. Deterministic: the same on every machine.
absl::StatusOr<std::string> BuildSynthTokenizer(Generation generation,
                                                uint32_t vocab_size);

// The smallest vocabulary BuildSynthTokenizer accepts for `generation`.
uint32_t MinSynthVocab(Generation generation);

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_SYNTHTOKENIZER_H
