//===- ApiTest.cpp - gemma-serve's requests and streamed text -------------===//
//
// The HTTP-free half of the server: request bodies read into what the
// engine runs (OpenAI's fields, llama.cpp's extras, each bad field a 400
// naming it), and the text of generated ids as it may be streamed: never a
// piece a later id changes, never the start of a stop string, nothing from
// a stop string on.
//
//===----------------------------------------------------------------------===//

#include "tools/gemma-serve/Api.h"

#include "runtime/formats/LoadModel.h"
#include "runtime/formats/synth/SynthTokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace gemma::serve {
namespace {

const ServedModel kModel{"tiny", 256, 2048};

std::unique_ptr<SentencePieceTokenizer> Tokenizer() {
  absl::StatusOr<std::string> proto =
      BuildSynthTokenizer(Generation::kGemma3, 2048);
  EXPECT_TRUE(proto.ok()) << proto.status();
  std::string error;
  auto tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  EXPECT_NE(tokenizer, nullptr) << error;
  return tokenizer;
}

ApiError ErrorOf(std::string_view body, bool chat = true) {
  auto parsed = ParseCompletion(body, chat, kModel, 1);
  EXPECT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
  return std::holds_alternative<ApiError>(parsed) ? std::get<ApiError>(parsed)
                                                  : ApiError{};
}

TEST(ServeApi, ReadsOpenAisAndLlamaCppsFields) {
  auto parsed = ParseCompletion(
      R"({"model": "tiny", "messages": [{"role": "developer", "content":
          "Be brief."}, {"role": "user", "content": [{"type": "text",
          "text": "Hi"}, {"type": "text", "text": " there"}]}],
          "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9,
          "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 42,
          "stop": ["\n\n", "END"], "stream": true,
          "stream_options": {"include_usage": true}, "ignore_eos": true,
          "user": "ignored", "unknown_field": {"ignored": 1}})",
      /*chat=*/true, kModel, 1);
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(parsed));
  const CompletionParams &p = std::get<CompletionParams>(parsed);
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[0].role, "system");
  EXPECT_EQ(p.messages[1].content, "Hi there");
  EXPECT_EQ(p.max_tokens, 7);
  EXPECT_FLOAT_EQ(p.sampling.temperature, 0.5f);
  EXPECT_EQ(p.sampling.top_k, 40);
  EXPECT_EQ(p.sampling.seed, 42u);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_TRUE(p.stream && p.include_usage && p.ignore_eos);

  auto ids = ParseCompletion(R"({"prompt": [2, 10, 11]})", false, kModel, 9);
  ASSERT_TRUE(std::holds_alternative<CompletionParams>(ids));
  EXPECT_TRUE(std::get<CompletionParams>(ids).prompt_is_ids);
  EXPECT_EQ(std::get<CompletionParams>(ids).sampling.seed, 9u);
  EXPECT_FLOAT_EQ(std::get<CompletionParams>(ids).sampling.temperature, 1.0f);
}

TEST(ServeApi, EachBadFieldIsA400NamingIt) {
  EXPECT_EQ(ErrorOf("{oops").message, "the request body is not valid JSON");
  EXPECT_EQ(ErrorOf("[1]").message, "the request body must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"messages": []})").param, "messages");
  EXPECT_EQ(
      ErrorOf(R"({"messages": [{"role": "robot", "content": "x"}]})").param,
      "messages[0].role");
  EXPECT_EQ(ErrorOf(R"({"messages": [{"role": "user", "content": [{"type":
                "image_url"}]}]})")
                .param,
            "messages[0].content");
  const std::string ok = R"("messages": [{"role": "user", "content": "x"}])";
  for (const char *field :
       {R"("max_tokens": 0)", R"("max_tokens": 257)", R"("max_tokens": 1.5)",
        R"("temperature": -1)", R"("temperature": "hot")", R"("top_p": 0)",
        R"("top_k": -1)", R"("seed": "x")", R"("stop": [1])",
        R"("stop": ["a", "b", "c", "d", "e"])", R"("stream": "yes")",
        R"("n": 2)", R"("presence_penalty": 0.5)", R"("logprobs": 3)",
        R"("top_logprobs": 2)", R"("logprobs": true, "top_logprobs": 21)",
        R"("tools": [])", R"("response_format": {"type": "json_object"})"}) {
    const ApiError e = ErrorOf("{" + ok + ", " + field + "}");
    EXPECT_EQ(e.status, 400) << field;
    EXPECT_FALSE(e.param.empty()) << field;
    EXPECT_NE(std::string(field).find(e.param), std::string::npos)
        << field << ": " << e.param;
  }
  const ApiError model = ErrorOf("{" + ok + R"(, "model": "gpt-4"})");
  EXPECT_EQ(model.status, 404);
  EXPECT_EQ(model.code, "model_not_found");
  EXPECT_EQ(ErrorOf(R"({"prompt": [5000]})", false).param, "prompt");
  const std::string body =
      ErrorBody({400, "bad", "invalid_request_error", "", "stop"});
  EXPECT_EQ(nlohmann::json::parse(body)["error"]["param"], "stop");
  EXPECT_TRUE(nlohmann::json::parse(body)["error"]["code"].is_null());
}

// Chat asks for logprobs with a flag and a count of alternatives, the
// completions with the count alone; none asked: -1.
TEST(ServeApi, ReadsLogprobsInBothForms) {
  const auto logprobs = [&](const std::string &body, bool chat) {
    auto parsed = ParseCompletion(body, chat, kModel, 1);
    EXPECT_TRUE(std::holds_alternative<CompletionParams>(parsed)) << body;
    return std::holds_alternative<CompletionParams>(parsed)
               ? std::get<CompletionParams>(parsed).logprobs
               : -2;
  };
  const std::string chat = R"("messages": [{"role": "user", "content": "x"}])";
  EXPECT_EQ(logprobs("{" + chat + "}", true), -1);
  EXPECT_EQ(logprobs("{" + chat + R"(, "logprobs": false})", true), -1);
  EXPECT_EQ(logprobs("{" + chat + R"(, "logprobs": true})", true), 0);
  EXPECT_EQ(
      logprobs("{" + chat + R"(, "logprobs": true, "top_logprobs": 5})", true),
      5);
  EXPECT_EQ(logprobs(R"({"prompt": "x", "logprobs": 2})", false), 2);
  EXPECT_EQ(logprobs(R"({"prompt": "x", "logprobs": null})", false), -1);
  EXPECT_EQ(ErrorOf(R"({"prompt": "x", "echo": true})", false).param, "echo");
}

// A token's text in logprobs: spaces for the word marker, a byte piece's
// byte, nothing for a control token or an id past the vocabulary.
TEST(ServeApi, TokenPieceTextIsWhatTheReplyHolds) {
  std::unique_ptr<SentencePieceTokenizer> tok = Tokenizer();
  const std::vector<int> ids = tok->Encode("The quick fox");
  std::string joined;
  for (int id : ids)
    joined += TokenPieceText(*tok, id);
  EXPECT_EQ(joined, tok->Decode(ids));
  const int byte = tok->PieceToId("<0x41>");
  ASSERT_GE(byte, 0);
  EXPECT_EQ(TokenPieceText(*tok, byte), "A");
  EXPECT_EQ(TokenPieceText(*tok, 1), tok->Decode({1})); // <eos>: ""
  EXPECT_EQ(TokenPieceText(*tok, 1), "");
  EXPECT_EQ(TokenPieceText(*tok, tok->VocabSize() + 5), "");
}

// The text of some ids, streamed id by id, equals their decoding at the
// end, and no piece is taken back.
TEST(ServeApi, StreamedTextIsTheDecodedText) {
  std::unique_ptr<SentencePieceTokenizer> tok = Tokenizer();
  std::vector<int> ids = tok->Encode("The quick brown fox jumps over it.");
  TextStream stream(*tok, {});
  std::string streamed;
  for (int id : ids)
    streamed += stream.Add(int32_t(id));
  streamed += stream.Finish();
  EXPECT_EQ(streamed, tok->Decode(ids));
  EXPECT_FALSE(stream.stopped());
}

// Characters of several bytes, which the real Gemma 3 vocabulary spells
// partly with byte pieces (an emoji is four of them), and a long reply:
// streamed id by id they equal the whole decoding, no character is handed
// out in halves, and each id decodes only the few since the last complete
// character. (The synthetic vocabulary has no byte pieces.)
TEST(ServeApi, StreamedTextKeepsMultiByteCharactersWhole) {
  const char *env = std::getenv("GEMMA_REAL_MODEL");
  const std::string path =
      env ? env : GEMMA_SOURCE_DIR "/build/models/gemma-3-270m-q4_k_m.gguf";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "no real model at " << path
                 << " (scripts/setup.sh assembles it)";
  absl::StatusOr<ModelFile> model = LoadModelFile(path);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE(model->tokenizer);
  std::string error;
  auto tok = SentencePieceTokenizer::FromSerializedProto(
      std::string(reinterpret_cast<const char *>(model->tokenizer->data()),
                  model->tokenizer->size()),
      &error);
  ASSERT_NE(tok, nullptr) << error;
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "na\u00efve caf\u00e9 \u2014 \u65e5\u672c\u8a9e \U0001F600 "
            "\U0001F9EC\u0301 x\U000E0100 ";
  std::vector<int> ids = tok->Encode(text);
  ASSERT_GT(ids.size(), 400u);
  TextStream stream(*tok, {});
  std::string streamed;
  for (int id : ids) {
    const std::string piece = stream.Add(int32_t(id));
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos)
        << "a character handed out in halves";
    streamed += piece;
  }
  streamed += stream.Finish();
  EXPECT_EQ(streamed, tok->Decode(ids));
  EXPECT_EQ(streamed, text);
}

// A stop string ends the text before it, even across ids; what could be
// its start is held back, then let go when it is not.
TEST(ServeApi, AStopStringEndsTheTextBeforeIt) {
  std::unique_ptr<SentencePieceTokenizer> tok = Tokenizer();
  const std::string text = "one two three four five";
  std::vector<int> ids = tok->Encode(text);
  TextStream stream(*tok, {"three f"});
  std::string streamed;
  for (int id : ids) {
    const std::string piece = stream.Add(int32_t(id));
    // Nothing handed out reaches into the stop string.
    EXPECT_EQ((streamed + piece).find("three"), std::string::npos);
    streamed += piece;
  }
  streamed += stream.Finish();
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(streamed, "one two ");

  TextStream no_match(*tok, {"three x"});
  std::string all;
  for (int id : ids)
    all += no_match.Add(int32_t(id));
  all += no_match.Finish();
  EXPECT_FALSE(no_match.stopped());
  EXPECT_EQ(all, tok->Decode(ids));
}

} // namespace
} // namespace gemma::serve
