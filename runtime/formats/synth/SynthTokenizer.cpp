//===- SynthTokenizer.cpp - Tokenizers of synthetic models ----------------===//

#include "runtime/formats/synth/SynthTokenizer.h"

#include "runtime/formats/synth/SentencePieceModel.h"

#include "absl/status/status.h"
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

// The base BPE model, trained at build time (runtime/formats/synth/CMakeLists).
extern const unsigned char kSynthBaseModel[];
extern const unsigned long kSynthBaseModel_size;

namespace gemma {
namespace {

// PAD, EOS, BOS and UNK keep the base model's ids 0-3.
constexpr uint32_t kNumReserved = 4;

} // namespace

std::vector<SpecialToken> GemmaSpecialTokens(Generation generation,
                                             uint32_t vocab_size) {
  std::vector<SpecialToken> tokens;
  switch (generation) {
  case Generation::kGemma1:
  case Generation::kGemma2:
    tokens = {{106, "<start_of_turn>"}, {107, "<end_of_turn>"}};
    break;
  case Generation::kGemma3:
    tokens = {{105, "<start_of_turn>"},
              {106, "<end_of_turn>"},
              {255999, "<start_of_image>"},
              {256000, "<end_of_image>"}};
    break;
  case Generation::kGemma4:
    tokens = {
        {98, "<|think|>"},    {100, "<|channel>"},   {101, "<channel|>"},
        {105, "<|turn>"},     {106, "<turn|>"},      {255999, "<|image>"},
        {256000, "<|audio>"}, {258880, "<|image|>"}, {258881, "<|audio|>"},
        {258882, "<image|>"}, {258883, "<audio|>"}};
    break;
  }
  std::erase_if(tokens,
                [&](const SpecialToken &t) { return t.id >= vocab_size; });
  return tokens;
}

uint32_t MinSynthVocab(Generation generation) {
  uint32_t highest_low = 0;
  for (const SpecialToken &t : GemmaSpecialTokens(generation, 1u << 20))
    if (t.id < 1000)
      highest_low = std::max(highest_low, t.id);
  absl::StatusOr<SentencePieceModel> base = ParseSentencePieceModel(
      std::string_view(reinterpret_cast<const char *>(kSynthBaseModel),
                       kSynthBaseModel_size));
  uint32_t learned = base.ok() ? base->pieces.size() - kNumReserved : 0;
  return highest_low + 1 + learned;
}

absl::StatusOr<std::string> BuildSynthTokenizer(Generation generation,
                                                uint32_t vocab_size) {
  absl::StatusOr<SentencePieceModel> base = ParseSentencePieceModel(
      std::string_view(reinterpret_cast<const char *>(kSynthBaseModel),
                       kSynthBaseModel_size));
  if (!base.ok())
    return base.status();
  if (vocab_size < MinSynthVocab(generation))
    return absl::InvalidArgumentError(fmt::format(
        "a synthetic {} tokenizer needs a vocabulary of at "
        "least {} pieces, got {}",
        GenerationName(generation), MinSynthVocab(generation), vocab_size));

  std::vector<SentencePieceEntry> pieces(vocab_size);
  std::vector<bool> taken(vocab_size, false);
  for (uint32_t id = 0; id < kNumReserved; ++id) {
    pieces[id] = base->pieces[id];
    taken[id] = true;
  }
  for (const SpecialToken &t : GemmaSpecialTokens(generation, vocab_size)) {
    pieces[t.id] = {t.piece, 0.0f, PieceType::kUserDefined};
    taken[t.id] = true;
  }
  // Learned and byte pieces fill the free ids after the low special tokens,
  // in the base model's order (BPE merges go by score, not id).
  uint32_t next =
      MinSynthVocab(generation) - (base->pieces.size() - kNumReserved);
  for (size_t i = kNumReserved; i < base->pieces.size(); ++i) {
    while (taken[next])
      ++next;
    pieces[next] = base->pieces[i];
    taken[next] = true;
  }
  uint32_t unused = 0;
  for (uint32_t id = 0; id < vocab_size; ++id)
    if (!taken[id])
      pieces[id] = {fmt::format("<unused{}>", unused++), 0.0f,
                    PieceType::kUserDefined};

  base->pieces = std::move(pieces);
  for (std::string &field : base->other_fields)
    field = StripTrainingPaths(field);
  return SerializeSentencePieceModel(*base);
}

} // namespace gemma
