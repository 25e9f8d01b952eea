//===- ChatTemplateTest.cpp - Prompt wrapping per generation --------------===//

#include "runtime/tokenizer/ChatTemplate.h"

#include "runtime/formats/hf/HfTokenizer.h"
#include "runtime/formats/synth/SynthTokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

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
  // <start_of_turn> is 105 and <end_of_turn> 106 in Gemma 3
  // (docs/gemma-math.md 5.1).
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

TEST(ChatTemplate, GemmaFoldsTheSystemTextIntoTheFirstUserTurn) {
  auto tok = Tokenizer(Generation::kGemma3);
  EXPECT_EQ(WrapFirstTurn(*tok, ChatFormat::kGemma, 2, " Hi ", "Be brief."),
            Cat({{2, 105},
                 Ids(*tok, "user\nBe brief.\n\nHi"),
                 {106},
                 Ids(*tok, "\n"),
                 {105},
                 Ids(*tok, "model\n")}));
}

TEST(ChatTemplate, Gemma4HasASystemTurn) {
  auto tok = Tokenizer(Generation::kGemma4);
  EXPECT_EQ(WrapFirstTurn(*tok, ChatFormat::kGemma4, 2, "Hi", "Be brief."),
            Cat({{2, 105},
                 Ids(*tok, "system\nBe brief."),
                 {106},
                 Ids(*tok, "\n"),
                 {105},
                 Ids(*tok, "user\nHi"),
                 {106},
                 Ids(*tok, "\n"),
                 {105},
                 Ids(*tok, "model\n")}));
}

// A chat keeps its cache: the first turn, the answer's ids as generated
// (its end-of-turn token stopped generation and was never fed), then each
// later turn must be the ids of the whole conversation.
TEST(ChatTemplate, LaterTurnsContinueTheConversation) {
  for (auto [generation, format] :
       {std::pair{Generation::kGemma3, ChatFormat::kGemma},
        std::pair{Generation::kGemma4, ChatFormat::kGemma4},
        std::pair{Generation::kGemma3, ChatFormat::kNone}}) {
    auto tok = Tokenizer(generation);
    std::string error;
    std::vector<int32_t> whole = WrapConversation(*tok, format, 2,
                                                  {{"system", "Sys."},
                                                   {"user", "First question?"},
                                                   {"model", "An answer."},
                                                   {"user", " Second one. "}},
                                                  &error);
    ASSERT_FALSE(whole.empty()) << error;
    EXPECT_EQ(whole,
              Cat({WrapFirstTurn(*tok, format, 2, "First question?", "Sys."),
                   Ids(*tok, "An answer."),
                   WrapLaterTurn(*tok, format, " Second one. ")}))
        << static_cast<int>(format);
  }
}

TEST(ChatTemplate, ConversationsMustAlternateStartingWithTheUser) {
  auto tok = Tokenizer(Generation::kGemma3);
  std::string error;
  EXPECT_TRUE(
      WrapConversation(*tok, ChatFormat::kGemma, 2, {}, &error).empty());
  EXPECT_TRUE(WrapConversation(*tok, ChatFormat::kGemma, 2,
                               {{"model", "I start"}}, &error)
                  .empty());
  EXPECT_TRUE(WrapConversation(*tok, ChatFormat::kGemma, 2,
                               {{"user", "a"}, {"user", "b"}, {"user", "c"}},
                               &error)
                  .empty());
  EXPECT_EQ(error, "roles must alternate user/model after an optional system "
                   "message (message 1 is 'user')");
  EXPECT_TRUE(WrapConversation(*tok, ChatFormat::kGemma, 2,
                               {{"user", "a"}, {"model", "b"}}, &error)
                  .empty());
}

} // namespace
} // namespace gemma

namespace gemma {
namespace {

// transformers' Gemma3Processor on the real Gemma 3 tokenizer
// (test/fixtures/gemma3-tokenizer/make_image_prompts.py): images before the
// text of the first user turn, 256 image tokens each, the ids equal.
TEST(ChatTemplate, ImagesLeadTheUserTurnAsGemma3sProcessorLaysThemOut) {
  const std::string dir =
      std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/gemma3-tokenizer/";
  absl::StatusOr<std::string> proto =
      HfTokenizerFileToSentencePiece(dir + "tokenizer.json");
  ASSERT_TRUE(proto.ok()) << proto.status();
  std::string error;
  auto tok = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  ASSERT_NE(tok, nullptr) << error;
  std::ifstream in(dir + "image_prompts.json");
  const nlohmann::json cases = nlohmann::json::parse(in)["cases"];
  ASSERT_EQ(cases.size(), 3u);
  const ImageMarks marks{"<start_of_image>", "<end_of_image>", 262144, 256};
  for (const auto &c : cases) {
    const std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(WrapFirstTurnWithImages(*tok, ChatFormat::kGemma, 2,
                                      c["text"].get<std::string>(), marks,
                                      c["images"].get<size_t>()),
              want)
        << c["text"];
  }
}

} // namespace
} // namespace gemma
