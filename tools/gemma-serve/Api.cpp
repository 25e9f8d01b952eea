//===- Api.cpp - OpenAI's completion requests and responses ---------------===//

#include "tools/gemma-serve/Api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace gemma::serve {
namespace {

using nlohmann::json;

ApiError Bad(const std::string &param, const std::string &message) {
  return {400, message, "invalid_request_error", "", param};
}

// The field's value when present and not null, else nullptr.
const json *Field(const json &body, const char *name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::optional<ApiError> ReadNumber(const json &body, const char *name,
                                   double lo, double hi, float &out) {
  const json *v = Field(body, name);
  if (!v)
    return std::nullopt;
  if (!v->is_number())
    return Bad(name, fmt::format("'{}' must be a number", name));
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    return Bad(
        name, fmt::format("'{}' must be in [{}, {}], got {}", name, lo, hi, x));
  out = float(x);
  return std::nullopt;
}

std::optional<ApiError> ReadInt(const json &body, const char *name, int64_t lo,
                                int64_t hi, std::optional<int64_t> &out) {
  const json *v = Field(body, name);
  if (!v)
    return std::nullopt;
  if (!v->is_number_integer())
    return Bad(name, fmt::format("'{}' must be an integer", name));
  const int64_t x =
      v->is_number_unsigned()
          ? int64_t(std::min<uint64_t>(v->get<uint64_t>(), uint64_t(INT64_MAX)))
          : v->get<int64_t>();
  if (x < lo || x > hi)
    return Bad(
        name, fmt::format("'{}' must be in [{}, {}], got {}", name, lo, hi, x));
  out = x;
  return std::nullopt;
}

std::optional<ApiError> ReadBool(const json &body, const char *name,
                                 bool &out) {
  const json *v = Field(body, name);
  if (!v)
    return std::nullopt;
  if (!v->is_boolean())
    return Bad(name, fmt::format("'{}' must be true or false", name));
  out = v->get<bool>();
  return std::nullopt;
}

// A message's content: a string, or OpenAI's array of text parts.
std::optional<ApiError> ReadContent(const json &content, size_t index,
                                    std::string &out) {
  const std::string param = fmt::format("messages[{}].content", index);
  if (content.is_string()) {
    out = content.get<std::string>();
    return std::nullopt;
  }
  if (!content.is_array())
    return Bad(param, fmt::format("'{}' must be a string or an array of text "
                                  "parts",
                                  param));
  out.clear();
  for (const json &part : content) {
    if (!part.is_object() || part.value("type", "") != "text" ||
        !part.contains("text") || !part["text"].is_string())
      return Bad(param, fmt::format("'{}' holds a part that is not text (only "
                                    "text is supported)",
                                    param));
    out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<ApiError> ReadMessages(const json &body,
                                     CompletionParams &params) {
  const json *messages = Field(body, "messages");
  if (!messages || !messages->is_array() || messages->empty())
    return Bad("messages", "'messages' must be a non-empty array");
  for (size_t i = 0; i < messages->size(); ++i) {
    const json &m = (*messages)[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return Bad(fmt::format("messages[{}]", i),
                 fmt::format("messages[{}] must be an object with a string "
                             "'role'",
                             i));
    std::string role = m["role"].get<std::string>();
    if (role == "developer")
      role = "system";
    if (role == "assistant")
      role = "model";
    if (role != "system" && role != "user" && role != "model")
      return Bad(fmt::format("messages[{}].role", i),
                 fmt::format("messages[{}].role '{}' is not system, "
                             "developer, user or assistant",
                             i, role));
    ChatMessage message{role, ""};
    const json *content = Field(m, "content");
    if (!content)
      return Bad(fmt::format("messages[{}].content", i),
                 fmt::format("messages[{}] has no content", i));
    if (std::optional<ApiError> e = ReadContent(*content, i, message.content))
      return e;
    params.messages.push_back(std::move(message));
  }
  return std::nullopt;
}

std::optional<ApiError> ReadPrompt(const json &body, const ServedModel &model,
                                   CompletionParams &params) {
  const json *prompt = Field(body, "prompt");
  if (!prompt)
    return Bad("prompt", "'prompt' is required");
  // One prompt: a string, an array of one string, or an array of ids.
  const json *one = prompt;
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string())
    one = &(*prompt)[0];
  if (one->is_string()) {
    params.prompt = one->get<std::string>();
    return std::nullopt;
  }
  if (one->is_array() && !one->empty() &&
      std::all_of(one->begin(), one->end(),
                  [](const json &v) { return v.is_number_integer(); })) {
    for (const json &v : *one) {
      const int64_t id = v.get<int64_t>();
      if (id < 0 || id >= int64_t(model.vocab))
        return Bad("prompt", fmt::format("token id {} is outside the "
                                         "vocabulary of {}",
                                         id, model.vocab));
      params.prompt_ids.push_back(int32_t(id));
    }
    params.prompt_is_ids = true;
    return std::nullopt;
  }
  return Bad("prompt", "'prompt' must be a string or an array of token ids "
                       "(one prompt per request)");
}

std::optional<ApiError> ReadStop(const json &body, CompletionParams &params) {
  const json *stop = Field(body, "stop");
  if (!stop)
    return std::nullopt;
  if (stop->is_string()) {
    params.stop.push_back(stop->get<std::string>());
  } else if (stop->is_array() && stop->size() <= 4) {
    for (const json &s : *stop) {
      if (!s.is_string())
        return Bad("stop", "'stop' must be a string or up to 4 strings");
      params.stop.push_back(s.get<std::string>());
    }
  } else {
    return Bad("stop", "'stop' must be a string or up to 4 strings");
  }
  for (const std::string &s : params.stop)
    if (s.empty())
      return Bad("stop", "a 'stop' string is empty");
  return std::nullopt;
}

// Fields whose non-default values this server does not implement.
std::optional<ApiError> RefuseUnsupported(const json &body) {
  std::optional<int64_t> n;
  if (std::optional<ApiError> e = ReadInt(body, "n", 1, 128, n))
    return e;
  if (n && *n != 1)
    return Bad("n", "not supported yet: 'n' other than 1 (send the request "
                    "again for another answer)");
  for (const char *name : {"presence_penalty", "frequency_penalty"}) {
    float v = 0;
    if (std::optional<ApiError> e = ReadNumber(body, name, -2, 2, v))
      return e;
    if (v != 0)
      return Bad(name, fmt::format("not supported yet: '{}' (llama.cpp's "
                                   "'repeat_penalty' is)",
                                   name));
  }
  if (const json *v = Field(body, "echo")) {
    if (!v->is_boolean())
      return Bad("echo", "'echo' must be true or false");
    if (v->get<bool>())
      return Bad("echo", "not supported yet: 'echo' (the prompt's own "
                         "log-probabilities)");
  }
  for (const char *name : {"tools", "functions", "suffix", "logit_bias"})
    if (Field(body, name))
      return Bad(name, fmt::format("not supported yet: '{}'", name));
  if (const json *format = Field(body, "response_format"))
    if (!format->is_object() || format->value("type", "text") != "text")
      return Bad("response_format", "not supported yet: a response_format "
                                    "other than text");
  return std::nullopt;
}

// Chat: logprobs true|false with top_logprobs 0-20; completions: logprobs
// 0-20, the alternatives per token (OpenAI allows 5 there; llama.cpp more).
std::optional<ApiError> ReadLogprobs(const json &body, bool chat,
                                     CompletionParams &params) {
  constexpr int64_t kMaxTop = 20;
  std::optional<int64_t> top;
  if (!chat) {
    if (std::optional<ApiError> e = ReadInt(body, "logprobs", 0, kMaxTop, top))
      return e;
    params.logprobs = top ? int(*top) : -1;
    return std::nullopt;
  }
  bool wanted = false;
  if (std::optional<ApiError> e = ReadBool(body, "logprobs", wanted))
    return e;
  if (std::optional<ApiError> e =
          ReadInt(body, "top_logprobs", 0, kMaxTop, top))
    return e;
  if (top && !wanted)
    return Bad("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  params.logprobs = wanted ? int(top.value_or(0)) : -1;
  return std::nullopt;
}

std::optional<ApiError> ReadSampling(const json &body, uint64_t seed,
                                     CompletionParams &params) {
  SamplingOptions &s = params.sampling;
  s.temperature = 1.0f; // OpenAI's default
  s.seed = seed;
  if (std::optional<ApiError> e =
          ReadNumber(body, "temperature", 0, 2, s.temperature))
    return e;
  if (std::optional<ApiError> e = ReadNumber(body, "top_p", 0, 1, s.top_p))
    return e;
  if (s.top_p <= 0)
    return Bad("top_p", "'top_p' must be in (0, 1]");
  if (std::optional<ApiError> e = ReadNumber(body, "min_p", 0, 1, s.min_p))
    return e;
  if (std::optional<ApiError> e =
          ReadNumber(body, "repeat_penalty", 0, 100, s.repetition_penalty))
    return e;
  if (s.repetition_penalty <= 0)
    return Bad("repeat_penalty", "'repeat_penalty' must be > 0 (1: none)");
  std::optional<int64_t> top_k, request_seed;
  if (std::optional<ApiError> e = ReadInt(body, "top_k", 0, INT32_MAX, top_k))
    return e;
  if (top_k)
    s.top_k = int(*top_k);
  if (std::optional<ApiError> e =
          ReadInt(body, "seed", INT64_MIN, INT64_MAX, request_seed))
    return e;
  if (request_seed)
    s.seed = uint64_t(*request_seed);
  return std::nullopt;
}

} // namespace

std::string Dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

nlohmann::json ErrorJson(const ApiError &error) {
  json e = {{"message", error.message}, {"type", error.type}};
  e["param"] = error.param.empty() ? json(nullptr) : json(error.param);
  e["code"] = error.code.empty() ? json(nullptr) : json(error.code);
  return json({{"error", e}});
}

std::string ErrorBody(const ApiError &error) { return Dump(ErrorJson(error)); }

std::variant<CompletionParams, ApiError>
ParseCompletion(std::string_view text, bool chat, const ServedModel &model,
                uint64_t seed) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return Bad("", "the request body is not valid JSON");
  if (!body.is_object())
    return Bad("", "the request body must be a JSON object");
  CompletionParams params;
  params.chat = chat;
  if (const json *name = Field(body, "model")) {
    if (!name->is_string())
      return Bad("model", "'model' must be a string");
    if (name->get<std::string>() != model.id)
      return ApiError{404,
                      fmt::format("the model '{}' does not exist: this server "
                                  "runs '{}'",
                                  name->get<std::string>(), model.id),
                      "invalid_request_error", "model_not_found", "model"};
  }
  if (std::optional<ApiError> e =
          chat ? ReadMessages(body, params) : ReadPrompt(body, model, params))
    return *e;
  std::optional<int64_t> max_tokens;
  for (const char *name : {"max_tokens", "max_completion_tokens", "n_predict"})
    if (std::optional<ApiError> e =
            ReadInt(body, name, 1, int64_t(model.context), max_tokens))
      return *e;
  if (max_tokens)
    params.max_tokens = int(*max_tokens);
  for (std::optional<ApiError> e :
       {ReadSampling(body, seed, params), ReadStop(body, params),
        RefuseUnsupported(body), ReadLogprobs(body, chat, params),
        ReadBool(body, "ignore_eos", params.ignore_eos),
        ReadBool(body, "stream", params.stream)})
    if (e)
      return *e;
  if (const json *options = Field(body, "stream_options")) {
    if (!options->is_object())
      return Bad("stream_options", "'stream_options' must be an object");
    if (std::optional<ApiError> e =
            ReadBool(*options, "include_usage", params.include_usage))
      return *e;
  }
  return params;
}

const char *FinishName(FinishReason reason) {
  return reason == FinishReason::kLength ? "length" : "stop";
}

nlohmann::json Usage(const GenerationResult &result) {
  return {{"prompt_tokens", result.prompt_tokens},
          {"completion_tokens", result.completion_tokens},
          {"total_tokens", result.prompt_tokens + result.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", result.cached_tokens}}}};
}

namespace {

json TokenBytes(const std::string &text) {
  json bytes = json::array();
  for (unsigned char c : text)
    bytes.push_back(int(c));
  return bytes;
}

// Chat's form: {"content": [{token, logprob, bytes, top_logprobs}, ...]}.
json ChatLogprobs(std::span<const TokenLogprobs> tokens,
                  const TokenText &text_of) {
  json content = json::array();
  for (const TokenLogprobs &t : tokens) {
    const std::string text = text_of(t.token);
    json top = json::array();
    for (const auto &[id, logprob] : t.top) {
      const std::string alternative = text_of(id);
      top.push_back({{"token", alternative},
                     {"logprob", logprob},
                     {"bytes", TokenBytes(alternative)}});
    }
    content.push_back({{"token", text},
                       {"logprob", t.logprob},
                       {"bytes", TokenBytes(text)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}};
}

// The completions' (legacy) form: parallel lists, with each token's offset
// in characters (code points, counted at their first byte) into the
// reply, from `offset`.
json CompletionLogprobs(std::span<const TokenLogprobs> tokens,
                        const TokenText &text_of, size_t offset) {
  json texts = json::array(), logprobs = json::array(), tops = json::array(),
       offsets = json::array();
  for (const TokenLogprobs &t : tokens) {
    const std::string text = text_of(t.token);
    texts.push_back(text);
    logprobs.push_back(t.logprob);
    offsets.push_back(offset);
    offset += CodePoints(text);
    json top = json::object();
    for (const auto &[id, logprob] : t.top)
      top.emplace(text_of(id), logprob); // two ids of one text: the likelier
    tops.push_back(top);
  }
  return {{"tokens", texts},
          {"token_logprobs", logprobs},
          {"top_logprobs", tops},
          {"text_offset", offsets}};
}

} // namespace

std::string TokenPieceText(const SentencePieceTokenizer &tokenizer,
                           int32_t id) {
  // (Logits may be wider than the vocabulary: padded embedding rows.)
  if (id < 0 || id >= tokenizer.VocabSize())
    return "";
  const std::string piece = tokenizer.IdToPiece(id);
  // A control token (<eos>, an end of turn) writes nothing into the reply,
  // as the decoding of the reply leaves it out.
  if (piece.size() > 2 && piece.front() == '<' && piece.back() == '>' &&
      !piece.starts_with("<0x") && tokenizer.Decode({id}).empty())
    return "";
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.back() == '>' &&
      std::isxdigit(static_cast<unsigned char>(piece[3])) &&
      std::isxdigit(static_cast<unsigned char>(piece[4])))
    return std::string(1, char(std::stoi(piece.substr(3, 2), nullptr, 16)));
  const std::string_view marker = "\xe2\x96\x81"; // U+2581
  std::string text;
  for (size_t at = 0; at < piece.size();) {
    if (std::string_view(piece).substr(at).starts_with(marker)) {
      text += ' ';
      at += marker.size();
    } else {
      text += piece[at++];
    }
  }
  return text;
}

size_t CodePoints(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text)
    count += (c & 0xc0) != 0x80;
  return count;
}

nlohmann::json LogprobsJson(const CompletionParams &params,
                            std::span<const TokenLogprobs> tokens,
                            const TokenText &text_of, size_t offset) {
  if (params.logprobs < 0)
    return nullptr;
  return params.chat ? ChatLogprobs(tokens, text_of)
                     : CompletionLogprobs(tokens, text_of, offset);
}

nlohmann::json CompletionBody(const CompletionParams &params,
                              const std::string &id, const std::string &model,
                              int64_t created, const std::string &text,
                              const char *finish,
                              const GenerationResult &result,
                              const nlohmann::json &logprobs) {
  json choice = {{"index", 0}, {"finish_reason", finish}};
  if (params.chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  choice["logprobs"] = logprobs;
  return {{"id", id},
          {"object", params.chat ? "chat.completion" : "text_completion"},
          {"created", created},
          {"model", model},
          {"choices", json::array({choice})},
          {"usage", Usage(result)}};
}

nlohmann::json ChunkBody(const CompletionParams &params, const std::string &id,
                         const std::string &model, int64_t created,
                         const std::string &text, const char *finish,
                         const GenerationResult *usage,
                         const nlohmann::json &logprobs) {
  json choice = {{"index", 0}};
  choice["finish_reason"] = finish ? json(finish) : json(nullptr);
  if (params.chat) {
    choice["delta"] = json::object();
    if (!finish)
      choice["delta"]["content"] = text;
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = logprobs;
  json chunk = {
      {"id", id},
      {"object", params.chat ? "chat.completion.chunk" : "text_completion"},
      {"created", created},
      {"model", model},
      {"choices", json::array({choice})}};
  if (usage)
    chunk["usage"] = Usage(*usage);
  return chunk;
}

} // namespace gemma::serve
