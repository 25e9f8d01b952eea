//===- Api.h - OpenAI's completion requests and responses -------*- C++ -*-===//
//
// The HTTP-free half of gemma-serve: a request body read and checked into
// what the engine runs, and the JSON the clients expect back (OpenAI's
// chat.completion and text_completion objects, their streamed chunks and
// its error shape). Unknown fields are ignored, as OpenAI's own server
// does; a known field of the wrong type or out of range is a 400 naming
// it.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_SERVE_API_H
#define TOOLS_GEMMA_SERVE_API_H

#include "runtime/exec/BatchEngine.h"
#include "runtime/exec/Sampler.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "tools/common/TextStream.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gemma::serve {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string code;  // "" for none
  std::string param; // the field at fault, "" for none
};

// j as text; bytes that are no UTF-8 (generated text can end inside a
// character, a model name can be any bytes) go out as U+FFFD rather than
// failing the response.
std::string Dump(const nlohmann::json &j);

// {"error": {"message", "type", "param", "code"}}, and as text.
nlohmann::json ErrorJson(const ApiError &error);
std::string ErrorBody(const ApiError &error);

// What a completion request asks for.
struct CompletionParams {
  bool chat = false;
  std::vector<ChatMessage> messages; // chat
  std::string prompt;                // completions: text
  std::vector<int32_t> prompt_ids;   // completions: ids instead of text
  bool prompt_is_ids = false;
  std::optional<int> max_tokens; // none: to the end of the context
  SamplingOptions sampling;
  bool ignore_eos = false;
  bool stream = false;
  bool include_usage = false;
  std::vector<std::string> stop;
  // Alternatives per token to report with each token's log-probability;
  // -1: no logprobs (chat: logprobs + top_logprobs; completions: logprobs).
  int logprobs = -1;
};

// The server's facts a request is checked against.
struct ServedModel {
  std::string id;       // the name clients ask for
  uint32_t context = 0; // positions
  uint32_t vocab = 0;
};

// Reads a /v1/chat/completions (chat) or /v1/completions body. `seed`
// gives the sampler's seed when the request names none.
std::variant<CompletionParams, ApiError>
ParseCompletion(std::string_view body, bool chat, const ServedModel &model,
                uint64_t seed);

// OpenAI's finish_reason: "length" for max_tokens or the end of the
// context, else "stop" (the model's end of turn, a stop string).
const char *FinishName(FinishReason reason);

nlohmann::json Usage(const GenerationResult &result);

// A token's text as a reply would carry it (its bytes; a byte-fallback
// token alone may be part of a character).
using TokenText = std::function<std::string(int32_t)>;

// A token's own bytes in a reply: its piece with SentencePiece's word
// marker (U+2581) as a space, a byte piece (<0xNN>) as its byte, a control
// token (which the reply's decoding leaves out) and an id past the
// vocabulary (logits may be wider) as nothing.
std::string TokenPieceText(const SentencePieceTokenizer &tokenizer, int32_t id);

// Characters of UTF-8 text: its bytes that start one.
size_t CodePoints(std::string_view text);

// The `logprobs` of a choice for `tokens` (null when the request asked for
// none): chat's {"content": [{token, logprob, bytes, top_logprobs}]}, or
// the completions' parallel lists with text offsets counted from `offset`
// (the characters of the reply before these tokens).
nlohmann::json LogprobsJson(const CompletionParams &params,
                            std::span<const TokenLogprobs> tokens,
                            const TokenText &text_of, size_t offset = 0);

// The whole answer (stream false).
nlohmann::json CompletionBody(const CompletionParams &params,
                              const std::string &id, const std::string &model,
                              int64_t created, const std::string &text,
                              const char *finish,
                              const GenerationResult &result,
                              const nlohmann::json &logprobs = nullptr);

// One streamed chunk: `text` (a delta), or the closing chunk with `finish`
// (and usage when given); `logprobs` those of the tokens the chunk carries.
nlohmann::json ChunkBody(const CompletionParams &params, const std::string &id,
                         const std::string &model, int64_t created,
                         const std::string &text, const char *finish,
                         const GenerationResult *usage,
                         const nlohmann::json &logprobs = nullptr);

} // namespace gemma::serve

#endif // TOOLS_GEMMA_SERVE_API_H
