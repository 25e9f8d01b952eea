//===- SynthTokenizerTest.cpp - Tokenizers of synthetic models ------------===//

#include "runtime/formats/synth/SynthTokenizer.h"
#include "runtime/formats/synth/SentencePieceModel.h"

#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <gtest/gtest.h>

#include <ostream>

#include <memory>
#include <string>

namespace gemma {
namespace {

std::unique_ptr<SentencePieceTokenizer> Load(Generation generation,
                                             uint32_t vocab) {
  absl::StatusOr<std::string> proto = BuildSynthTokenizer(generation, vocab);
  EXPECT_TRUE(proto.ok()) << proto.status();
  if (!proto.ok())
    return nullptr;
  std::string error;
  auto tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  EXPECT_NE(tokenizer, nullptr) << error;
  return tokenizer;
}

struct Case {
  Generation generation;
  uint32_t vocab;
};

// Readable, stable test names in CTest (not the struct's bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << "gemma" << static_cast<int>(c.generation) << "/" << c.vocab;
}

class SynthTokenizerTest : public ::testing::TestWithParam<Case> {};

TEST_P(SynthTokenizerTest, EveryIdDecodesAndSpecialsSitAtTheirIds) {
  auto [generation, vocab] = GetParam();
  std::unique_ptr<SentencePieceTokenizer> tok = Load(generation, vocab);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->VocabSize(), static_cast<int>(vocab));
  EXPECT_EQ(tok->IdToPiece(0), "<pad>");
  EXPECT_EQ(tok->IdToPiece(1), "<eos>");
  EXPECT_EQ(tok->IdToPiece(2), "<bos>");
  EXPECT_EQ(tok->IdToPiece(3), "<unk>");
  for (const SpecialToken &special : GemmaSpecialTokens(generation, vocab))
    EXPECT_EQ(tok->PieceToId(special.piece), static_cast<int>(special.id))
        << special.piece;
  for (uint32_t id = 0; id < vocab; ++id)
    ASSERT_FALSE(tok->IdToPiece(static_cast<int>(id)).empty()) << id;
}

TEST_P(SynthTokenizerTest, TextRoundTripsIncludingBytesOutsideTheCorpus) {
  auto [generation, vocab] = GetParam();
  std::unique_ptr<SentencePieceTokenizer> tok = Load(generation, vocab);
  ASSERT_NE(tok, nullptr);
  for (std::string text :
       {std::string("The sliding window holds exactly W keys."),
        std::string("  two spaces,\ttab,\r\nCRLF, digits 25.25 and 1e-6"),
        std::string("Unicode: \xC3\xA9\xC3\xBC \xE6\x97\xA5\xE6\x9C\xAC "
                    "\xF0\x9F\x99\x82")}) {
    std::vector<int> ids = tok->Encode(text);
    EXPECT_FALSE(ids.empty());
    for (int id : ids)
      EXPECT_LT(id, static_cast<int>(vocab));
    EXPECT_EQ(tok->Decode(ids), text);
  }
}

TEST_P(SynthTokenizerTest, TurnMarkersEncodeAsOneToken) {
  auto [generation, vocab] = GetParam();
  std::unique_ptr<SentencePieceTokenizer> tok = Load(generation, vocab);
  ASSERT_NE(tok, nullptr);
  std::string start =
      generation == Generation::kGemma4 ? "<|turn>" : "<start_of_turn>";
  std::vector<int> ids = tok->Encode(start + "user\n");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), generation <= Generation::kGemma2 ? 106 : 105);
}

INSTANTIATE_TEST_SUITE_P(Presets, SynthTokenizerTest,
                         ::testing::Values(Case{Generation::kGemma1, 2048},
                                           Case{Generation::kGemma2, 4096},
                                           Case{Generation::kGemma3, 2048},
                                           Case{Generation::kGemma3, 262144},
                                           Case{Generation::kGemma4, 2048},
                                           Case{Generation::kGemma4, 262144}),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return std::string(
                                      GenerationName(info.param.generation)) +
                                  "_" + std::to_string(info.param.vocab);
                         });

TEST(SynthTokenizer, IsDeterministic) {
  EXPECT_EQ(*BuildSynthTokenizer(Generation::kGemma3, 2048),
            *BuildSynthTokenizer(Generation::kGemma3, 2048));
}

TEST(SynthTokenizer, RejectsAVocabularyTooSmallForItsPieces) {
  absl::StatusOr<std::string> proto =
      BuildSynthTokenizer(Generation::kGemma3, 300);
  ASSERT_FALSE(proto.ok());
  EXPECT_EQ(proto.status().message(),
            "a synthetic gemma3 tokenizer needs a vocabulary of at least " +
                std::to_string(MinSynthVocab(Generation::kGemma3)) +
                " pieces, got 300");
}

// User-defined pieces spelled with spaces take U+2581 for them unless that
// spelling is another piece's; the model round-trips through the wire
// format with every other piece, score and type as given.
TEST(SentencePieceModel, SpacedUserPiecesAreRespelledUnlessTaken) {
  const std::string kEscaped = "\xe2\x96\x81";
  SentencePieceModel model;
  model.pieces = {{"<unk>", 0.0f, PieceType::kUnknown},
                  {"a b", 0.0f, PieceType::kUserDefined},
                  {"c d", 0.0f, PieceType::kUserDefined},
                  {"c" + kEscaped + "d", -2.5f, PieceType::kNormal},
                  {"  ", 0.0f, PieceType::kUserDefined},
                  {"<0x41>", 0.0f, PieceType::kByte},
                  {"plain", -1.0f, PieceType::kNormal}};
  absl::StatusOr<SentencePieceModel> back =
      ParseSentencePieceModel(SerializeBpeModel(model, {}));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->pieces.size(), model.pieces.size());
  const std::string want[] = {"<unk>",
                              "a" + kEscaped + "b",
                              "c d",
                              "c" + kEscaped + "d",
                              kEscaped + kEscaped,
                              "<0x41>",
                              "plain"};
  for (size_t i = 0; i < model.pieces.size(); ++i) {
    EXPECT_EQ(back->pieces[i].piece, want[i]) << i;
    EXPECT_EQ(back->pieces[i].score, model.pieces[i].score) << i;
    EXPECT_EQ(back->pieces[i].type, model.pieces[i].type) << i;
  }
}

} // namespace
} // namespace gemma
