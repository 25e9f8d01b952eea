//===- ChatTemplate.cpp - Prompt wrapping per Gemma generation ------------===//

#include "runtime/tokenizer/ChatTemplate.h"

namespace gemma {

std::vector<int32_t> WrapFirstTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, int32_t bos_id,
                                   std::string_view text) {
  std::vector<int32_t> ids = {bos_id};
  auto append = [&](std::string_view piece) {
    for (int id : tokenizer.Encode(piece))
      ids.push_back(id);
  };
  switch (format) {
  case ChatFormat::kNone:
    append(text);
    break;
  case ChatFormat::kGemma:
    append("<start_of_turn>user\n");
    append(text);
    append("<end_of_turn>\n");
    append("<start_of_turn>model\n");
    break;
  case ChatFormat::kGemma4:
    append("<|turn>user\n");
    append(text);
    append("<turn|>\n");
    append("<|turn>model\n");
    break;
  }
  return ids;
}

} // namespace gemma
