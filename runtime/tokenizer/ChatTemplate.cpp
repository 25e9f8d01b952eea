//===- ChatTemplate.cpp - Prompt wrapping per Gemma generation ------------===//

#include "runtime/tokenizer/ChatTemplate.h"

#include <optional>
#include <span>

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

struct TurnMarks {
  std::string_view open;  // before the role name
  std::string_view close; // after the text
};

TurnMarks MarksOf(ChatFormat format) {
  if (format == ChatFormat::kGemma4)
    return {"<|turn>", "<turn|>\n"};
  return {"<start_of_turn>", "<end_of_turn>\n"};
}

// Stands for a run of ids in rendered text; a NUL never comes from a
// command line or JSON string the tools accept.
constexpr char kRun = '\0';

// Renders the template as text, then encodes it once: the ids of Hugging
// Face's apply_chat_template, even where a text touches a mark ("\n" runs
// are pieces of their own, so tokenizing the pieces apart can differ).
class Renderer {
public:
  explicit Renderer(const SentencePieceTokenizer &tokenizer)
      : tokenizer_(tokenizer) {}
  void Append(std::string_view text) { text_ += text; }
  // One role's turn: open mark, "role\n", text, close mark.
  void Turn(ChatFormat format, std::string_view role, std::string_view text) {
    const TurnMarks marks = MarksOf(format);
    Append(marks.open);
    Append(role);
    Append("\n");
    Append(text);
    Append(marks.close);
  }
  void Cue(ChatFormat format) {
    Append(MarksOf(format).open);
    Append("model\n");
  }
  std::vector<int32_t> Ids(std::optional<int32_t> bos) const {
    return IdsWithRuns(bos, {});
  }
  // Where the text has kRun, `run` instead. The text is encoded in pieces
  // between them; each kRun sits between two special marks, where Hugging
  // Face's tokenizer splits the text too.
  std::vector<int32_t> IdsWithRuns(std::optional<int32_t> bos,
                                   std::span<const int32_t> run) const {
    std::vector<int32_t> ids;
    if (bos)
      ids.push_back(*bos);
    for (size_t begin = 0;;) {
      const size_t at = text_.find(kRun, begin);
      const std::string_view piece = std::string_view(text_).substr(
          begin, at == std::string::npos ? std::string::npos : at - begin);
      for (int id : tokenizer_.Encode(std::string(piece)))
        ids.push_back(id);
      if (at == std::string::npos)
        return ids;
      ids.insert(ids.end(), run.begin(), run.end());
      begin = at + 1;
    }
  }

private:
  const SentencePieceTokenizer &tokenizer_;
  std::string text_;
};

} // namespace

std::optional<ChatFormat> ParseChatFormat(std::string_view name) {
  if (name == "gemma")
    return ChatFormat::kGemma;
  if (name == "gemma4")
    return ChatFormat::kGemma4;
  if (name == "none")
    return ChatFormat::kNone;
  return std::nullopt;
}

std::vector<int32_t> WrapConversation(const SentencePieceTokenizer &tokenizer,
                                      ChatFormat format, int32_t bos_id,
                                      const std::vector<ChatMessage> &messages,
                                      std::string *error) {
  size_t first = 0;
  std::string_view system;
  if (!messages.empty() && messages[0].role == "system") {
    system = messages[0].content;
    first = 1;
  }
  const size_t turns = messages.size() - first;
  if (turns == 0 || turns % 2 == 0) {
    *error = "a conversation needs user turns and model answers alternating, "
             "starting and ending with a user turn";
    return {};
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const std::string &role = messages[i].role;
    const bool user = (i - first) % 2 == 0;
    if (user ? role != "user" : role != "model" && role != "assistant") {
      *error = "roles must alternate user/model after an optional system "
               "message (message " +
               std::to_string(i) + " is '" + role + "')";
      return {};
    }
  }
  Renderer out(tokenizer);
  for (size_t i = first; i < messages.size(); ++i) {
    const bool user = (i - first) % 2 == 0;
    if (format == ChatFormat::kNone) {
      // Raw text, as given: no template trims it.
      std::string_view text = messages[i].content;
      if (i == first && !system.empty()) {
        out.Append(system);
        out.Append("\n\n");
      }
      // A later user line starts a new line of the document.
      if (i != first && user)
        out.Append("\n");
      out.Append(text);
      continue;
    }
    std::string_view text = Trimmed(messages[i].content);
    if (i == first && format == ChatFormat::kGemma4 && first == 1)
      out.Turn(format, "system", system);
    // Gemma 1-3 have no system role: Hugging Face's template opens the first
    // user turn with the system text and a blank line.
    if (i == first && format == ChatFormat::kGemma && first == 1)
      out.Turn(format, "user",
               std::string(system) + "\n\n" + std::string(text));
    else
      out.Turn(format, user ? "user" : "model", text);
  }
  if (format != ChatFormat::kNone)
    out.Cue(format);
  return out.Ids(bos_id);
}

std::vector<int32_t> WrapFirstTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, int32_t bos_id,
                                   std::string_view text,
                                   std::string_view system) {
  std::vector<ChatMessage> messages;
  if (!system.empty())
    messages.push_back({"system", std::string(system)});
  messages.push_back({"user", std::string(text)});
  std::string error;
  return WrapConversation(tokenizer, format, bos_id, messages, &error);
}

std::vector<int32_t> WrapFirstTurnWithImages(
    const SentencePieceTokenizer &tokenizer, ChatFormat format, int32_t bos_id,
    std::string_view text, const ImageMarks &marks, size_t images) {
  std::string content;
  for (size_t i = 0; i < images; ++i) {
    content += "\n\n";
    content += marks.begin;
    content += kRun;
    content += marks.end;
    content += "\n\n";
  }
  content += format == ChatFormat::kNone ? text : Trimmed(text);
  Renderer out(tokenizer);
  if (format == ChatFormat::kNone) {
    out.Append(content);
  } else {
    out.Turn(format, "user", content);
    out.Cue(format);
  }
  const std::vector<int32_t> run(size_t(marks.soft_tokens), marks.image_token);
  return out.IdsWithRuns(bos_id, run);
}

std::vector<int32_t> WrapLaterTurn(const SentencePieceTokenizer &tokenizer,
                                   ChatFormat format, std::string_view text) {
  Renderer out(tokenizer);
  if (format != ChatFormat::kNone) {
    out.Append(MarksOf(format).close);
    out.Turn(format, "user", Trimmed(text));
    out.Cue(format);
  } else {
    out.Append("\n");
    out.Append(text);
  }
  return out.Ids(std::nullopt);
}

} // namespace gemma
