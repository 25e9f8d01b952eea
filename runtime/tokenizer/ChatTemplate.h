//===- ChatTemplate.h - Prompt wrapping per Gemma generation ----*- C++ -*-===//
//
// docs/gemma-math.md 5.2 / 5.3, and the Jinja `chat_template` Hugging Face
// ships with each generation: the conversation is rendered as text and encoded
// once after BOS, as apply_chat_template does. (gemma.cpp tokenizes the
// template pieces apart; that differs only where a text starts or ends with a
// newline beside a mark, since "\n" runs are pieces of their own.)
//
//   Gemma 1-3:  [BOS] <start_of_turn>user\n SYSTEM\n\n TEXT <end_of_turn>\n
//               <start_of_turn>model\n ANSWER <end_of_turn>\n ...
//               <start_of_turn>model\n
//               (no system role: the system text opens the first user turn)
//   Gemma 4:    [BOS] <|turn>system\n SYSTEM <turn|>\n <|turn>user\n TEXT
//               <turn|>\n <|turn>model\n ANSWER <turn|>\n ... <|turn>model\n
//   none (pretrained, or raw):  [BOS] SYSTEM\n\n TEXT ANSWER \nTEXT ...
//
// User and model texts are trimmed of surrounding whitespace, as the
// templates' `| trim` does; the system text is not, nor is anything in the
// "none" format.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_TOKENIZER_CHATTEMPLATE_H
#define RUNTIME_TOKENIZER_CHATTEMPLATE_H

#include "runtime/formats/ModelSpec.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemma {

struct ChatMessage {
  // "system" (first message only), "user", or "model" ("assistant" too).
  std::string role;
  std::string content;
};

// "gemma", "gemma4" or "none" (the names ModelSpec prints).
std::optional<ChatFormat> ParseChatFormat(std::string_view name);

// The ids of a whole conversation ending with the cue for the model's next
// answer. Roles must alternate user/model after an optional system message,
// starting and ending with a user turn; otherwise empty with `*error` set.
std::vector<int32_t> WrapConversation(const SentencePieceTokenizer &tokenizer,
                                      ChatFormat format, int32_t bos_id,
                                      const std::vector<ChatMessage> &messages,
                                      std::string *error);

// The ids of a first user turn (position 0) in `format`, with an optional
// system text.
std::vector<int32_t> WrapFirstTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, int32_t bos_id,
                                   std::string_view text,
                                   std::string_view system = {});

// How a prompt spells an image (Gemma 3: "<start_of_image>", then
// soft_tokens image tokens, then "<end_of_image>").
struct ImageMarks {
  std::string begin, end;
  int32_t image_token = -1;
  int64_t soft_tokens = 0;
};

// WrapFirstTurn with `images` images at the start of the user turn, as
// Gemma 3's chat template places image entries before the text and its
// processor expands each to "\n\n" begin, the image tokens, end "\n\n".
std::vector<int32_t> WrapFirstTurnWithImages(
    const SentencePieceTokenizer &tokenizer, ChatFormat format, int32_t bos_id,
    std::string_view text, const ImageMarks &marks, size_t images);

// The ids of a later user turn when the cache already holds the previous
// turns and the model's answer (without its end-of-turn token, which
// stopped generation and was never fed): closes the answer, then the turn.
std::vector<int32_t> WrapLaterTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, std::string_view text);

} // namespace gemma

#endif // RUNTIME_TOKENIZER_CHATTEMPLATE_H
