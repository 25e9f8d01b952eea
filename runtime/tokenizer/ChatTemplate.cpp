//===- ChatTemplate.cpp - Prompt wrapping per Gemma generation ------------===//

#include "runtime/tokenizer/ChatTemplate.h"

namespace gemma {
namespace {

// The Jinja chat templates put `message['content'] | trim`: Python's
// whitespace stripped from both ends.
std::string_view Trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos)
    return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

} // namespace

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
    append(Trimmed(text));
    append("<end_of_turn>\n");
    append("<start_of_turn>model\n");
    break;
  case ChatFormat::kGemma4:
    append("<|turn>user\n");
    append(Trimmed(text));
    append("<turn|>\n");
    append("<|turn>model\n");
    break;
  }
  return ids;
}

} // namespace gemma
