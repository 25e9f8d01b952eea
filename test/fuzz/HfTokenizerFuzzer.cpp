//===- HfTokenizerFuzzer.cpp - Fuzz target: tokenizer.json ----------------===//
//
// Every input must either convert to a SentencePiece model or be refused
// with a status; a converted model must load in SentencePiece and encode a
// text mixing added tokens, bytes outside the vocabulary and spaces.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/hf/HfTokenizer.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<std::string> proto = gemma::HfTokenizerToSentencePiece(
      std::string_view(reinterpret_cast<const char *>(data), size));
  if (!proto.ok())
    return 0;
  std::string error;
  auto tokenizer =
      gemma::SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  if (tokenizer) {
    std::vector<int> ids = tokenizer->Encode("hello <tag> wörld\n\n\t x");
    (void)tokenizer->Decode(ids);
  }
  return 0;
}
