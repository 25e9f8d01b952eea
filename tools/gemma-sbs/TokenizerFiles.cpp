//===- TokenizerFiles.cpp - Tokenizers from any file that holds one -------===//

#include "tools/gemma-sbs/TokenizerFiles.h"

#include "runtime/formats/LoadModel.h"
#include "runtime/formats/MappedFile.h"
#include "runtime/formats/gguf/GgufFile.h"
#include "runtime/formats/hf/HfTokenizer.h"
#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "tools/common/Errors.h"
#include "tools/common/IntList.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace gemma {
namespace {

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-sbs", message);
}

bool LooksLikeJson(std::span<const uint8_t> bytes) {
  for (uint8_t c : bytes) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    return c == '{';
  }
  return false;
}

std::unique_ptr<SentencePieceTokenizer> Open(const std::string &path,
                                             std::string *error) {
  absl::StatusOr<std::string> proto = LoadTokenizerProto(path);
  if (!proto.ok()) {
    *error = std::string(proto.status().message());
    return nullptr;
  }
  std::unique_ptr<SentencePieceTokenizer> tokenizer =
      SentencePieceTokenizer::FromSerializedProto(*proto, error);
  if (!tokenizer)
    *error = fmt::format("{}: {}", path, *error);
  return tokenizer;
}

} // namespace

absl::StatusOr<std::string> LoadTokenizerProto(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> file =
      MappedFile::Open(path);
  if (!file.ok())
    return file.status();
  std::span<const uint8_t> bytes = (*file)->bytes();
  if (LooksLikeJson(bytes))
    return HfTokenizerFileToSentencePiece(path);
  uint32_t magic = 0;
  if (bytes.size() >= sizeof(magic))
    std::memcpy(&magic, bytes.data(), sizeof(magic));
  const bool sbs_magic = magic == sbs::kBlobMagic;
  if (gguf::HasGgufMagic(bytes) || sbs_magic) {
    absl::StatusOr<ModelFile> model = LoadModelFile(path);
    if (!model.ok())
      return model.status();
    if (!model->tokenizer)
      return absl::InvalidArgumentError(
          fmt::format("{}: the weight file has no tokenizer", path));
    return std::string(reinterpret_cast<const char *>(model->tokenizer->data()),
                       model->tokenizer->size());
  }
  return std::string(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
}

int EncodeCommand(const std::string &path, const std::string &text, bool jsonl,
                  const std::string &chat) {
  std::string error;
  std::unique_ptr<SentencePieceTokenizer> tokenizer = Open(path, &error);
  if (!tokenizer)
    return Fail(error);
  std::optional<ChatFormat> format;
  if (!chat.empty()) {
    format = ParseChatFormat(chat);
    if (!format)
      return Fail(fmt::format("--chat: unknown format '{}' (expected gemma, "
                              "gemma4 or none)",
                              chat));
  }
  const int bos = std::max(tokenizer->PieceToId("<bos>"), 0);
  // A text, or with --chat a JSON array of {"role", "content"} messages.
  auto ids_of = [&](const nlohmann::json &value,
                    std::string *why) -> std::optional<std::vector<int32_t>> {
    if (!format) {
      if (!value.is_string()) {
        *why = "expected a JSON string";
        return std::nullopt;
      }
      std::vector<int> ids = tokenizer->Encode(value.get<std::string>());
      return std::vector<int32_t>(ids.begin(), ids.end());
    }
    std::vector<ChatMessage> messages;
    for (const nlohmann::json &m :
         value.is_array() ? value : nlohmann::json::array()) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          !m.contains("content") || !m["content"].is_string()) {
        *why = "expected {\"role\": ..., \"content\": ...} messages";
        return std::nullopt;
      }
      messages.push_back(
          {m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    std::vector<int32_t> ids =
        WrapConversation(*tokenizer, *format, bos, messages, why);
    if (ids.empty())
      return std::nullopt;
    return ids;
  };
  if (!jsonl) {
    nlohmann::json value = text;
    if (format) {
      value = nlohmann::json::parse(text, nullptr, false);
      if (value.is_discarded())
        return Fail("--chat: the text must be a JSON array of messages");
    }
    std::optional<std::vector<int32_t>> ids = ids_of(value, &error);
    if (!ids)
      return Fail(error);
    std::printf("%s\n", FormatIds(*ids).c_str());
    return 0;
  }
  std::string line;
  for (int n = 1; std::getline(std::cin, line); ++n) {
    nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
    std::optional<std::vector<int32_t>> ids = ids_of(value, &error);
    if (!ids)
      return Fail(fmt::format("stdin line {}: {}", n, error));
    std::printf("%s\n", nlohmann::json(*ids).dump().c_str());
  }
  return 0;
}

int DecodeCommand(const std::string &path, const std::string &ids, bool jsonl) {
  std::string error;
  std::unique_ptr<SentencePieceTokenizer> tokenizer = Open(path, &error);
  if (!tokenizer)
    return Fail(error);
  const uint32_t vocab = static_cast<uint32_t>(tokenizer->VocabSize());
  if (!jsonl) {
    absl::StatusOr<std::vector<int32_t>> parsed =
        ParseTokenIds(ids, vocab, "ids");
    if (!parsed.ok())
      return Fail(std::string(parsed.status().message()));
    std::string text =
        tokenizer->Decode(std::vector<int>(parsed->begin(), parsed->end()));
    std::printf("%s\n", text.c_str());
    return 0;
  }
  std::string line;
  for (int n = 1; std::getline(std::cin, line); ++n) {
    nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
    std::vector<int> list;
    bool ok = value.is_array();
    for (const nlohmann::json &id : ok ? value : nlohmann::json::array()) {
      ok = ok && id.is_number_integer() && id.get<int64_t>() >= 0 &&
           id.get<int64_t>() < vocab;
      if (ok)
        list.push_back(id.get<int>());
    }
    if (!ok)
      return Fail(fmt::format("stdin line {}: expected a JSON array of ids in "
                              "0..{}",
                              n, vocab - 1));
    std::printf("%s\n", nlohmann::json(tokenizer->Decode(list)).dump().c_str());
  }
  return 0;
}

} // namespace gemma
