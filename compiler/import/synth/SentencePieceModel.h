//===- SentencePieceModel.h - SentencePiece ModelProto wire format -*- C++
//-*-===//
//
// Debian's libsentencepiece-dev ships no protobuf headers for ModelProto, so
// the few fields we rewrite (the piece table) are read and written here at
// the protobuf wire level; every other field is carried through verbatim.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_IMPORT_SYNTH_SENTENCEPIECEMODEL_H
#define COMPILER_IMPORT_SYNTH_SENTENCEPIECEMODEL_H

#include "absl/status/statusor.h"

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

// Returns `trainer_spec` (a serialized TrainerSpec record of field 2) without
// the fields that record where and when it was trained (input files, model
// prefix), so the same corpus gives the same bytes on every machine.
std::string StripTrainingPaths(std::string_view trainer_spec_record);

} // namespace gemma

#endif // COMPILER_IMPORT_SYNTH_SENTENCEPIECEMODEL_H
