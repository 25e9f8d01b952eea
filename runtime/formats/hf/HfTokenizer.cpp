//===- HfTokenizer.cpp - Hugging Face tokenizer.json as SentencePiece -----===//

#include "runtime/formats/hf/HfTokenizer.h"

#include "runtime/formats/MappedFile.h"
#include "runtime/formats/synth/SentencePieceModel.h"

#include "absl/status/status.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <utility>
#include <vector>

namespace gemma {
namespace {

using nlohmann::json;

constexpr std::string_view kSpaceMark = "\xe2\x96\x81"; // U+2581

absl::Status Refuse(std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("tokenizer.json: {}", what));
}

std::string TypeOf(const json &node) {
  if (node.is_object() && node.contains("type") && node["type"].is_string())
    return node["type"].get<std::string>();
  return node.dump().substr(0, 60);
}

bool IsStringPattern(const json &pattern, std::string_view text) {
  return pattern.is_object() && pattern.contains("String") &&
         pattern["String"].is_string() &&
         pattern["String"].get<std::string>() == text;
}

// The normalizer must be what SentencePiece's identity normalization with
// escaped spaces does: spaces become U+2581, optionally one prepended.
// Returns whether a U+2581 is prepended.
absl::StatusOr<bool> CheckNormalizer(const json &normalizer) {
  if (normalizer.is_null())
    return Refuse("a null normalizer keeps spaces as spaces; only Gemma's "
                  "(spaces replaced by U+2581) is supported");
  auto is_space_replace = [](const json &n) {
    return TypeOf(n) == "Replace" && n.contains("pattern") &&
           IsStringPattern(n["pattern"], " ") && n.contains("content") &&
           n["content"] == std::string(kSpaceMark);
  };
  if (is_space_replace(normalizer))
    return false;
  if (TypeOf(normalizer) == "Sequence" && normalizer.contains("normalizers") &&
      normalizer["normalizers"].is_array()) {
    const json &steps = normalizer["normalizers"];
    if (steps.size() == 1 && is_space_replace(steps[0]))
      return false;
    if (steps.size() == 2 && TypeOf(steps[0]) == "Prepend" &&
        steps[0].contains("prepend") &&
        steps[0]["prepend"] == std::string(kSpaceMark) &&
        is_space_replace(steps[1]))
      return true;
  }
  return Refuse(fmt::format("normalizer '{}' is not supported (only spaces "
                            "replaced by U+2581, optionally one prepended)",
                            TypeOf(normalizer)));
}

// Pre-tokenizers that do nothing after that normalization (no spaces are
// left to split at) are accepted; anything else would change the pieces.
absl::Status CheckPreTokenizer(const json &pre) {
  if (pre.is_null())
    return absl::OkStatus();
  if (TypeOf(pre) == "Split" && pre.contains("pattern") &&
      IsStringPattern(pre["pattern"], " "))
    return absl::OkStatus();
  return Refuse(fmt::format("pre_tokenizer '{}' is not supported (Gemma's "
                            "tokenizers have none, or a split at spaces)",
                            TypeOf(pre)));
}

absl::Status CheckBpeModel(const json &model) {
  if (!model.is_object() || TypeOf(model) != "BPE")
    return Refuse(fmt::format("model type '{}' is not supported (only BPE)",
                              TypeOf(model)));
  for (const char *field :
       {"continuing_subword_prefix", "end_of_word_suffix", "dropout"})
    if (model.contains(field) && !model[field].is_null())
      return Refuse(fmt::format("BPE '{}' is not supported", field));
  if (model.value("ignore_merges", false))
    return Refuse("BPE 'ignore_merges' is not supported");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    return Refuse("model.vocab must be an object of piece -> id");
  if (!model.contains("merges") || !model["merges"].is_array())
    return Refuse("model.merges must be an array");
  return absl::OkStatus();
}

// A merge is ["a", "b"] (current files) or "a b" (older ones).
std::optional<std::string> MergedPiece(const json &merge) {
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
      merge[1].is_string())
    return merge[0].get<std::string>() + merge[1].get<std::string>();
  if (merge.is_string()) {
    std::string text = merge.get<std::string>();
    size_t space = text.find(' ');
    if (space == std::string::npos ||
        text.find(' ', space + 1) != std::string::npos)
      return std::nullopt;
    return text.substr(0, space) + text.substr(space + 1);
  }
  return std::nullopt;
}

bool IsBytePiece(std::string_view piece) {
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  };
  return piece.size() == 6 && piece.substr(0, 3) == "<0x" && hex(piece[3]) &&
         hex(piece[4]) && piece[5] == '>';
}

// The id of the added token or vocabulary piece spelled `piece`, if any.
std::optional<uint64_t> IdOf(const std::vector<SentencePieceEntry> &pieces,
                             const std::vector<bool> &present,
                             std::string_view piece) {
  for (size_t id = 0; id < pieces.size(); ++id)
    if (present[id] && pieces[id].piece == piece)
      return id;
  return std::nullopt;
}

absl::StatusOr<std::string> Convert(const json &root) {
  if (!root.is_object() || !root.contains("model"))
    return Refuse("no 'model' object");
  const json &model = root["model"];
  if (absl::Status s = CheckBpeModel(model); !s.ok())
    return s;
  absl::StatusOr<bool> dummy_prefix =
      CheckNormalizer(root.value("normalizer", json()));
  if (!dummy_prefix.ok())
    return dummy_prefix.status();
  if (absl::Status s = CheckPreTokenizer(root.value("pre_tokenizer", json()));
      !s.ok())
    return s;

  // Ids: the vocabulary's and the added tokens' (which may lie past it).
  constexpr uint64_t kMaxPieces = uint64_t(1) << 24; // scores stay exact
  std::vector<SentencePieceEntry> pieces;
  std::vector<bool> present;
  auto place = [&](uint64_t id, const std::string &piece,
                   PieceType type) -> absl::Status {
    if (id >= kMaxPieces)
      return Refuse(fmt::format("id {} of '{}' is too large", id, piece));
    if (id >= pieces.size()) {
      pieces.resize(id + 1);
      present.resize(id + 1);
    }
    if (present[id] && pieces[id].piece != piece)
      return Refuse(fmt::format("id {} is both '{}' and '{}'", id,
                                pieces[id].piece, piece));
    pieces[id].piece = piece;
    pieces[id].type = type;
    present[id] = true;
    return absl::OkStatus();
  };
  const bool byte_fallback = model.value("byte_fallback", false);
  int byte_pieces = 0;
  for (const auto &[piece, id] : model["vocab"].items()) {
    if (!id.is_number_unsigned())
      return Refuse(fmt::format("vocab id of '{}' is not a non-negative "
                                "integer",
                                piece));
    const bool byte = byte_fallback && IsBytePiece(piece);
    byte_pieces += byte;
    if (absl::Status s = place(id.get<uint64_t>(), piece,
                               byte ? PieceType::kByte : PieceType::kNormal);
        !s.ok())
      return s;
  }
  // SentencePiece falls back to bytes only with the whole set.
  if (byte_fallback && byte_pieces != 256)
    return Refuse(fmt::format("byte_fallback needs all 256 <0xNN> pieces "
                              "(the vocabulary has {})",
                              byte_pieces));
  if (root.contains("added_tokens")) {
    if (!root["added_tokens"].is_array())
      return Refuse("'added_tokens' must be an array");
    for (const json &token : root["added_tokens"]) {
      if (!token.is_object() || !token.contains("id") ||
          !token["id"].is_number_unsigned() || !token.contains("content") ||
          !token["content"].is_string())
        return Refuse("an added token lacks an integer 'id' or a 'content'");
      const std::string content = token["content"].get<std::string>();
      for (const char *flag : {"lstrip", "rstrip", "single_word"})
        if (token.value(flag, false))
          return Refuse(fmt::format("added token '{}' has '{}', which is not "
                                    "supported",
                                    content, flag));
      if (absl::Status s = place(token["id"].get<uint64_t>(), content,
                                 PieceType::kUserDefined);
          !s.ok())
        return s;
    }
  }
  for (size_t id = 0; id < pieces.size(); ++id)
    if (!present[id])
      return Refuse(fmt::format("id {} has no piece (ids must be dense)", id));

  BpeModelOptions options;
  options.add_dummy_prefix = *dummy_prefix;
  // SentencePiece needs exactly one unknown piece and never matches it in
  // the text, while Hugging Face matches "<unk>" like any added token. With
  // byte fallback the unknown piece is never produced, so it gets an id of
  // its own past the vocabulary and "<unk>" stays an ordinary added token.
  std::string unk = model.value("unk_token", json()).is_string()
                        ? model["unk_token"].get<std::string>()
                        : std::string("<unk>");
  std::optional<uint64_t> unk_id = IdOf(pieces, present, unk);
  if (byte_fallback || !unk_id) {
    if (!byte_fallback)
      return Refuse(fmt::format("the unknown token '{}' is not in the "
                                "vocabulary and there is no byte fallback",
                                unk));
    options.unk_id = pieces.size();
    pieces.push_back({.piece = "<unk:sentencepiece>",
                      .score = 0.0f,
                      .type = PieceType::kUnknown});
    present.push_back(true);
  } else {
    options.unk_id = *unk_id;
    pieces[*unk_id].type = PieceType::kUnknown;
  }
  // The sequence markers keep Gemma's ids when present.
  auto special = [&](std::string_view piece, uint64_t fallback) {
    return IdOf(pieces, present, piece).value_or(fallback);
  };
  options.bos_id = special("<bos>", options.bos_id);
  options.eos_id = special("<eos>", options.eos_id);
  options.pad_id = special("<pad>", options.pad_id);

  const json &merges = model["merges"];
  if (merges.size() >= kMaxPieces * 4)
    return Refuse(fmt::format("{} merges is too many", merges.size()));
  std::vector<std::string> merged;
  merged.reserve(merges.size());
  for (const json &merge : merges) {
    std::optional<std::string> piece = MergedPiece(merge);
    if (!piece)
      return Refuse(
          fmt::format("merge {} is not a pair of pieces", merged.size()));
    merged.push_back(*std::move(piece));
  }
  ScoreByMergeRank(pieces, merged);

  SentencePieceModel sp;
  sp.pieces = std::move(pieces);
  return SerializeBpeModel(std::move(sp), options);
}

} // namespace

absl::StatusOr<std::string> HfTokenizerToSentencePiece(std::string_view text) {
  // nlohmann reports malformed JSON, numbers out of range and fields of the
  // wrong type by exceptions; each becomes the one-line refusal.
  try {
    return Convert(json::parse(text.begin(), text.end()));
  } catch (const json::parse_error &e) {
    return Refuse(fmt::format("not valid JSON (byte {})", e.byte));
  } catch (const json::exception &e) {
    return Refuse(e.what());
  }
}

absl::StatusOr<std::string>
HfTokenizerFileToSentencePiece(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> file =
      MappedFile::Open(path);
  if (!file.ok())
    return file.status();
  std::span<const uint8_t> bytes = (*file)->bytes();
  absl::StatusOr<std::string> proto =
      HfTokenizerToSentencePiece(std::string_view(
          reinterpret_cast<const char *>(bytes.data()), bytes.size()));
  if (!proto.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", path, std::string(proto.status().message())));
  return proto;
}

} // namespace gemma
