//===- SentencePieceModel.h - SentencePiece ModelProto wire format -*- C++
//-*-===//
//
// Debian's libsentencepiece-dev ships no protobuf headers for ModelProto, so
// the few fields we rewrite (the piece table) are read and written here at
// the protobuf wire level; every other field is carried through verbatim.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SYNTH_SENTENCEPIECEMODEL_H
#define RUNTIME_FORMATS_SYNTH_SENTENCEPIECEMODEL_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemma {

// SentencePiece::Type of sentencepiece_model.proto.
enum class PieceType : int {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct SentencePieceEntry {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::kNormal;
};

struct SentencePieceModel {
  std::vector<SentencePieceEntry> pieces;
  // Serialized fields other than `pieces` (trainer and normalizer specs ...),
  // each as its complete wire record (tag included), in file order.
  std::vector<std::string> other_fields;
};

absl::StatusOr<SentencePieceModel>
ParseSentencePieceModel(std::string_view bytes);

std::string SerializeSentencePieceModel(const SentencePieceModel &model);

// How a converted BPE vocabulary (GGUF's or Hugging Face's) tokenizes: the
// converters' common ground, written as the trainer and normalizer specs.
struct BpeModelOptions {
  uint64_t unk_id = 3, bos_id = 2, eos_id = 1, pad_id = 0;
  // Prepend U+2581 to the text (Gemma 1/2 style); Gemma 3 does not.
  bool add_dummy_prefix = false;
};

// Serializes `model` (pieces only) as a BPE ModelProto: no whitespace
// pre-split (runs of spaces are pieces), identity normalization with spaces
// escaped to U+2581, byte fallback when the vocabulary has byte pieces.
// User-defined pieces spelled with plain spaces are respelled with U+2581
// (unless that spelling is taken): SentencePiece escapes spaces before it
// matches them, while llama.cpp and Hugging Face match them in the raw text.
std::string SerializeBpeModel(SentencePieceModel model,
                              const BpeModelOptions &options);

// Scores normal pieces for SentencePiece's BPE from a merge list (Hugging
// Face's tokenizer.json, GGUF's tokenizer.ggml.merges): `merged[r]` is the
// piece merge r makes, and SentencePiece applies the highest score first,
// so a piece scores -(its first merge's rank). Pieces no merge makes (single
// characters) score below every merge.
void ScoreByMergeRank(std::vector<SentencePieceEntry> &pieces,
                      const std::vector<std::string> &merged);

// What `normalizer_spec` says about spaces (proto defaults when a field is
// absent: a dummy prefix, extra whitespace removed).
struct NormalizerOptions {
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
};
NormalizerOptions ReadNormalizerOptions(const SentencePieceModel &model);

// Returns `trainer_spec` (a serialized TrainerSpec record of field 2) without
// the fields that record where and when it was trained (input files, model
// prefix), so the same corpus gives the same bytes on every machine.
std::string StripTrainingPaths(std::string_view trainer_spec_record);

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_SENTENCEPIECEMODEL_H
