//===- SentencePieceModel.cpp - SentencePiece ModelProto wire format ------===//

#include "runtime/formats/synth/SentencePieceModel.h"

#include "absl/status/status.h"
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace gemma {
namespace {

// Field numbers of sentencepiece_model.proto.
constexpr uint32_t kModelPieces = 1;
constexpr uint32_t kModelTrainerSpec = 2;
constexpr uint32_t kModelNormalizerSpec = 3;
constexpr uint32_t kPieceText = 1;
constexpr uint32_t kPieceScore = 2;
constexpr uint32_t kPieceType = 3;
constexpr uint32_t kTrainerInput = 1;
constexpr uint32_t kTrainerModelPrefix = 2;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kBytes = 2,
  kFixed32 = 5
};

// A cursor over protobuf wire bytes; every read checks the bounds.
class WireReader {
public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool done() const { return pos_ >= bytes_.size(); }
  size_t pos() const { return pos_; }

  std::optional<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size())
        return std::nullopt;
      uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        return value;
    }
    return std::nullopt;
  }

  std::optional<std::string_view> Take(uint64_t n) {
    if (n > bytes_.size() - pos_)
      return std::nullopt;
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  // Skips the value of a field of `wire` type; false on malformed input.
  bool Skip(uint32_t wire) {
    switch (wire) {
    case kVarint:
      return Varint().has_value();
    case kFixed64:
      return Take(8).has_value();
    case kFixed32:
      return Take(4).has_value();
    case kBytes: {
      std::optional<uint64_t> n = Varint();
      return n && Take(*n).has_value();
    }
    default:
      return false;
    }
  }

private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

void PutVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutTag(std::string &out, uint32_t field, WireType wire) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | wire);
}

void PutBytes(std::string &out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, kBytes);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

void PutVarintField(std::string &out, uint32_t field, uint64_t value) {
  PutTag(out, field, kVarint);
  PutVarint(out, value);
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("malformed SentencePiece model: {}", what));
}

absl::StatusOr<SentencePieceEntry> ParsePiece(std::string_view bytes) {
  SentencePieceEntry entry;
  WireReader reader(bytes);
  while (!reader.done()) {
    std::optional<uint64_t> tag = reader.Varint();
    if (!tag)
      return Malformed("truncated piece tag");
    uint32_t field = static_cast<uint32_t>(*tag >> 3);
    uint32_t wire = static_cast<uint32_t>(*tag & 7);
    if (field == kPieceText && wire == kBytes) {
      std::optional<uint64_t> n = reader.Varint();
      std::optional<std::string_view> text = n ? reader.Take(*n) : std::nullopt;
      if (!text)
        return Malformed("truncated piece text");
      entry.piece = std::string(*text);
    } else if (field == kPieceScore && wire == kFixed32) {
      std::optional<std::string_view> raw = reader.Take(4);
      if (!raw)
        return Malformed("truncated piece score");
      uint32_t bits = 0;
      for (int i = 3; i >= 0; --i)
        bits = (bits << 8) | static_cast<uint8_t>((*raw)[i]);
      std::memcpy(&entry.score, &bits, sizeof(bits));
    } else if (field == kPieceType && wire == kVarint) {
      std::optional<uint64_t> type = reader.Varint();
      if (!type || *type < 1 || *type > 6)
        return Malformed("invalid piece type");
      entry.type = static_cast<PieceType>(*type);
    } else if (!reader.Skip(wire)) {
      return Malformed("unknown piece field");
    }
  }
  return entry;
}

// Bytes of a varint.
size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7)
    ++n;
  return n;
}

// The piece as a `pieces` field of the model, appended to `out` directly
// (a vocabulary of 262144 pieces is serialized at every load of a GGUF or
// tokenizer.json model: no temporary string per piece).
void AppendPieceField(std::string &out, const SentencePieceEntry &entry) {
  const bool typed = entry.type != PieceType::kNormal;
  const size_t body = 1 + VarintSize(entry.piece.size()) + entry.piece.size() +
                      5 + (typed ? 1 + VarintSize(uint64_t(entry.type)) : 0);
  PutTag(out, kModelPieces, kBytes);
  PutVarint(out, body);
  PutBytes(out, kPieceText, entry.piece);
  PutTag(out, kPieceScore, kFixed32);
  uint32_t bits = 0;
  std::memcpy(&bits, &entry.score, sizeof(bits));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  // NORMAL is the proto default and is omitted, as SentencePiece writes it.
  if (typed) {
    PutTag(out, kPieceType, kVarint);
    PutVarint(out, static_cast<uint64_t>(entry.type));
  }
}

} // namespace

absl::StatusOr<SentencePieceModel>
ParseSentencePieceModel(std::string_view bytes) {
  SentencePieceModel model;
  WireReader reader(bytes);
  while (!reader.done()) {
    size_t start = reader.pos();
    std::optional<uint64_t> tag = reader.Varint();
    if (!tag)
      return Malformed("truncated field tag");
    uint32_t field = static_cast<uint32_t>(*tag >> 3);
    uint32_t wire = static_cast<uint32_t>(*tag & 7);
    if (field == kModelPieces && wire == kBytes) {
      std::optional<uint64_t> n = reader.Varint();
      std::optional<std::string_view> body = n ? reader.Take(*n) : std::nullopt;
      if (!body)
        return Malformed("truncated piece");
      absl::StatusOr<SentencePieceEntry> piece = ParsePiece(*body);
      if (!piece.ok())
        return piece.status();
      model.pieces.push_back(*std::move(piece));
      continue;
    }
    if (!reader.Skip(wire))
      return Malformed(fmt::format("bad field {}", field));
    model.other_fields.emplace_back(bytes.substr(start, reader.pos() - start));
  }
  if (model.pieces.empty())
    return Malformed("no pieces");
  return model;
}

std::string SerializeSentencePieceModel(const SentencePieceModel &model) {
  std::string out;
  size_t size = 0;
  for (const SentencePieceEntry &entry : model.pieces)
    size += entry.piece.size() + 16;
  out.reserve(size);
  for (const SentencePieceEntry &entry : model.pieces)
    AppendPieceField(out, entry);
  for (const std::string &field : model.other_fields)
    out.append(field);
  return out;
}

std::string SerializeBpeModel(SentencePieceModel model,
                              const BpeModelOptions &options) {
  bool has_bytes = false;
  std::vector<size_t> spaced; // user-defined pieces spelled with a space
  for (size_t i = 0; i < model.pieces.size(); ++i) {
    const SentencePieceEntry &e = model.pieces[i];
    has_bytes |= e.type == PieceType::kByte;
    if (e.type == PieceType::kUserDefined &&
        e.piece.find(' ') != std::string::npos)
      spaced.push_back(i);
  }
  // Such a piece is spelled with U+2581 for its spaces, unless that
  // spelling is another piece's. The few escaped spellings are looked up
  // while every piece is read once (a set of all 262144 spellings measured
  // a tenth of a load).
  if (!spaced.empty()) {
    std::vector<std::pair<size_t, std::string>> escaped;
    std::unordered_map<std::string_view, bool> taken; // spelling -> a piece's
    for (size_t i : spaced) {
      std::string spelling;
      for (char c : model.pieces[i].piece)
        spelling += c == ' ' ? std::string("\xe2\x96\x81") : std::string(1, c);
      escaped.emplace_back(i, std::move(spelling));
    }
    for (const auto &[i, spelling] : escaped)
      taken.emplace(spelling, false);
    for (const SentencePieceEntry &e : model.pieces)
      if (auto at = taken.find(e.piece); at != taken.end())
        at->second = true;
    for (auto &[i, spelling] : escaped)
      if (!taken.at(spelling))
        model.pieces[i].piece = spelling;
  }
  std::string trainer;
  PutVarintField(trainer, 3, 2);                   // model_type: BPE
  PutVarintField(trainer, 4, model.pieces.size()); // vocab_size
  PutVarintField(trainer, 22, 0);                  // split_by_whitespace
  PutVarintField(trainer, 24, 0);                  // treat_whitespace_as_suffix
  PutVarintField(trainer, 26, 1); // allow_whitespace_only_pieces
  PutVarintField(trainer, 35, has_bytes ? 1 : 0); // byte_fallback
  PutVarintField(trainer, 40, options.unk_id);
  PutVarintField(trainer, 41, options.bos_id);
  PutVarintField(trainer, 42, options.eos_id);
  PutVarintField(trainer, 43, options.pad_id);
  std::string normalizer;
  PutBytes(normalizer, 1, "identity");
  PutVarintField(normalizer, 3, options.add_dummy_prefix ? 1 : 0);
  PutVarintField(normalizer, 4, 0); // remove_extra_whitespaces
  PutVarintField(normalizer, 5, 1); // escape_whitespaces
  std::string record;
  PutBytes(record, kModelTrainerSpec, trainer);
  model.other_fields.push_back(record);
  record.clear();
  PutBytes(record, kModelNormalizerSpec, normalizer);
  model.other_fields.push_back(record);
  return SerializeSentencePieceModel(model);
}

NormalizerOptions ReadNormalizerOptions(const SentencePieceModel &model) {
  NormalizerOptions options;
  for (const std::string &record : model.other_fields) {
    WireReader outer(record);
    std::optional<uint64_t> tag = outer.Varint();
    std::optional<uint64_t> n = outer.Varint();
    std::optional<std::string_view> body = n ? outer.Take(*n) : std::nullopt;
    if (!tag || *tag != (kModelNormalizerSpec << 3 | kBytes) || !body)
      continue;
    WireReader reader(*body);
    while (!reader.done()) {
      std::optional<uint64_t> field_tag = reader.Varint();
      if (!field_tag)
        break;
      const uint32_t wire = static_cast<uint32_t>(*field_tag & 7);
      const uint64_t field = *field_tag >> 3;
      if (wire == kVarint && (field == 3 || field == 4)) {
        std::optional<uint64_t> value = reader.Varint();
        if (!value)
          break;
        (field == 3 ? options.add_dummy_prefix
                    : options.remove_extra_whitespaces) = *value != 0;
      } else if (!reader.Skip(wire)) {
        break;
      }
    }
  }
  return options;
}

std::string StripTrainingPaths(std::string_view record) {
  WireReader outer(record);
  std::optional<uint64_t> tag = outer.Varint();
  std::optional<uint64_t> n = outer.Varint();
  std::optional<std::string_view> body = n ? outer.Take(*n) : std::nullopt;
  if (!tag || (*tag >> 3) != kModelTrainerSpec || !body)
    return std::string(record);
  std::string kept;
  WireReader reader(*body);
  while (!reader.done()) {
    size_t start = reader.pos();
    std::optional<uint64_t> field_tag = reader.Varint();
    if (!field_tag || !reader.Skip(static_cast<uint32_t>(*field_tag & 7)))
      return std::string(record);
    uint32_t field = static_cast<uint32_t>(*field_tag >> 3);
    if (field != kTrainerInput && field != kTrainerModelPrefix)
      kept.append(body->substr(start, reader.pos() - start));
  }
  std::string out;
  PutBytes(out, kModelTrainerSpec, kept);
  return out;
}

void ScoreByMergeRank(std::vector<SentencePieceEntry> &pieces,
                      const std::vector<std::string> &merged) {
  std::unordered_map<std::string, size_t> normal_ids;
  for (size_t id = 0; id < pieces.size(); ++id)
    if (pieces[id].type == PieceType::kNormal)
      normal_ids.emplace(pieces[id].piece, id);
  const float unmade = -std::numeric_limits<float>::max();
  for (SentencePieceEntry &e : pieces)
    if (e.type == PieceType::kNormal)
      e.score = unmade;
  for (size_t rank = 0; rank < merged.size(); ++rank) {
    // Merges into other pieces (added tokens) never apply: those are
    // matched first.
    auto it = normal_ids.find(merged[rank]);
    if (it != normal_ids.end()) {
      float &score = pieces[it->second].score;
      score = std::max(score, -static_cast<float>(rank));
    }
  }
  for (SentencePieceEntry &e : pieces)
    if (e.type == PieceType::kNormal && e.score == unmade)
      e.score = -static_cast<float>(merged.size());
}

} // namespace gemma
