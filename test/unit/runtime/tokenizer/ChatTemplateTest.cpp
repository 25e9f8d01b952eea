//===- ChatTemplateTest.cpp - Prompt wrapping per generation --------------===//

#include "runtime/tokenizer/ChatTemplate.h"

#include "compiler/import/synth/SynthTokenizer.h"

#include <gtest/gtest.h>

namespace gemma {
namespace {

std::unique_ptr<SentencePieceTokenizer> Tokenizer(Generation generation) {
  absl::StatusOr<std::string> proto = BuildSynthTokenizer(generation, 2048);
  EXPECT_TRUE(proto.ok()) << proto.status();
  std::string error;
  auto tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  EXPECT_NE(tokenizer, nullptr) << error;
  return tokenizer;
}

std::vector<int32_t> Ids(const SentencePieceTokenizer &tokenizer,
                         std::string_view text) {
  std::vector<int> ids = tokenizer.Encode(text);
  return {ids.begin(), ids.end()};
}

// Concatenation of id lists.
std::vector<int32_t> Cat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> all;
  for (const auto &part : parts)
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

TEST(ChatTemplate, Gemma3TurnsAreSpecialTokensAroundSeparatelyTokenizedText) {
  auto tok = Tokenizer(Generation::kGemma3);
  std::vector<int32_t> ids =
      WrapFirstTurn(*tok, ChatFormat::kGemma, 2, "Why is the sky blue?");
  // <start_of_turn> is 105 and <end_of_turn> 106 in Gemma 3 (GEMMA.md 5.1).
  EXPECT_EQ(ids, Cat({{2, 105},
                      Ids(*tok, "user\n"),
                      Ids(*tok, "Why is the sky blue?"),
                      {106},
                      Ids(*tok, "\n"),
                      {105},
                      Ids(*tok, "model\n")}));
}

TEST(ChatTemplate, Gemma4UsesTurnTokens) {
  auto tok = Tokenizer(Generation::kGemma4);
  std::vector<int32_t> ids = WrapFirstTurn(*tok, ChatFormat::kGemma4, 2, "Hi");
  // <|turn> is 105, <turn|> 106.
  EXPECT_EQ(ids, Cat({{2, 105},
                      Ids(*tok, "user\n"),
                      Ids(*tok, "Hi"),
                      {106},
                      Ids(*tok, "\n"),
                      {105},
                      Ids(*tok, "model\n")}));
}

TEST(ChatTemplate, PretrainedAndRawPromptsAreBosAndText) {
  auto tok = Tokenizer(Generation::kGemma2);
  EXPECT_EQ(WrapFirstTurn(*tok, ChatFormat::kNone, 2, "Hello"),
            Cat({{2}, Ids(*tok, "Hello")}));
}

} // namespace
} // namespace gemma
