//===- SentencePieceTokenizer.cpp - SentencePiece behind std types --------===//

#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <sentencepiece_processor.h>

namespace gemma {

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer>
SentencePieceTokenizer::FromSerializedProto(std::string_view proto,
                                            std::string *error) {
  auto impl = std::make_unique<Impl>();
  sentencepiece::util::Status status =
      impl->processor.LoadFromSerializedProto(proto);
  if (!status.ok()) {
    *error = "invalid SentencePiece model (" + std::to_string(proto.size()) +
             " bytes): " + status.ToString();
    return nullptr;
  }
  return std::unique_ptr<SentencePieceTokenizer>(
      new SentencePieceTokenizer(std::move(impl)));
}

std::vector<int> SentencePieceTokenizer::Encode(std::string_view text) const {
  std::vector<int> ids;
  impl_->processor.Encode(text, &ids).IgnoreError();
  return ids;
}

std::string SentencePieceTokenizer::Decode(const std::vector<int> &ids) const {
  std::string text;
  impl_->processor.Decode(ids, &text).IgnoreError();
  return text;
}

std::string SentencePieceTokenizer::IdToPiece(int id) const {
  return impl_->processor.IdToPiece(id);
}

int SentencePieceTokenizer::PieceToId(std::string_view piece) const {
  int id = impl_->processor.PieceToId(piece);
  // SentencePiece maps unknown pieces to <unk>; report absence instead.
  if (id == impl_->processor.unk_id() &&
      piece != impl_->processor.IdToPiece(id))
    return -1;
  return id;
}

int SentencePieceTokenizer::VocabSize() const {
  return impl_->processor.GetPieceSize();
}

} // namespace gemma
