//===- ChatTemplate.h - Prompt wrapping per Gemma generation ----*- C++ -*-===//
//
// GEMMA.md 5.2 / 5.3. The template pieces are tokenized apart from the user
// text and the id lists concatenated (gemma.cpp's way), so no token spans a
// boundary between template and text.
//
//   Gemma 1-3:  [BOS] <start_of_turn>user\n TEXT <end_of_turn>\n
//               <start_of_turn>model\n
//   Gemma 4:    [BOS] <|turn>user\n TEXT <turn|>\n <|turn>model\n
//   none (pretrained, or raw):  [BOS] TEXT
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_CHATTEMPLATE_H
#define RUNTIME_TOKENIZER_CHATTEMPLATE_H

#include "compiler/import/ModelSpec.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <string_view>
#include <vector>

namespace gemma {

// The ids of a first user turn (position 0) in `format`.
std::vector<int32_t> WrapFirstTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, int32_t bos_id,
                                   std::string_view text);

} // namespace gemma

#endif // RUNTIME_TOKENIZER_CHATTEMPLATE_H
