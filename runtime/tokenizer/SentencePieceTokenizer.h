//===- SentencePieceTokenizer.h - SentencePiece behind std types -*- C++
//-*-===//

#ifndef RUNTIME_TOKENIZER_SENTENCEPIECETOKENIZER_H
#define RUNTIME_TOKENIZER_SENTENCEPIECETOKENIZER_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gemma {

class SentencePieceTokenizer {
public:
  // Parses a serialized SentencePiece ModelProto (the `tokenizer` blob of a
  // `.sbs`). Returns nullptr with a one-line `*error` on failure.
  static std::unique_ptr<SentencePieceTokenizer>
  FromSerializedProto(std::string_view proto, std::string *error);
  // The same for the raw bytes of a blob.
  static std::unique_ptr<SentencePieceTokenizer>
  FromSerializedProto(std::span<const uint8_t> proto, std::string *error) {
    return FromSerializedProto(
        std::string_view(reinterpret_cast<const char *>(proto.data()),
                         proto.size()),
        error);
  }

  ~SentencePieceTokenizer();

  std::vector<int> Encode(std::string_view text) const;
  std::string Decode(const std::vector<int> &ids) const;
  std::string IdToPiece(int id) const;
  // -1 when the piece is not in the vocabulary.
  int PieceToId(std::string_view piece) const;
  int VocabSize() const;

private:
  struct Impl;
  explicit SentencePieceTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace gemma

#endif // RUNTIME_TOKENIZER_SENTENCEPIECETOKENIZER_H
