//===- FilePickTest.cpp - Which files --hf-repo fetches -------------------===//

#include "tools/gemma-fetch/FilePick.h"

#include <gtest/gtest.h>

namespace gemma::fetch {
namespace {

const std::vector<std::string> kGgufRepo = {
    "README.md",
    "gemma-3-1b-it-BF16.gguf",
    "gemma-3-1b-it-Q4_K_M.gguf",
    "gemma-3-1b-it-Q4_K_S.gguf",
    "gemma-3-1b-it-Q8_0.gguf",
    "gemma-3-1b-it-IQ4_XS.gguf",
    "mmproj-model-f16.gguf",
};

std::vector<std::string> Files(const std::vector<std::string> &repo,
                               const std::string &quant,
                               const std::string &file = "") {
  absl::StatusOr<Pick> pick = PickFiles(repo, "org/repo", quant, file);
  EXPECT_TRUE(pick.ok()) << pick.status();
  return pick.ok() ? pick->files : std::vector<std::string>{};
}

std::string Error(const std::vector<std::string> &repo,
                  const std::string &quant, const std::string &file = "") {
  absl::StatusOr<Pick> pick = PickFiles(repo, "org/repo", quant, file);
  EXPECT_FALSE(pick.ok());
  return std::string(pick.status().message());
}

TEST(FilePick, QuantNamesAreRead) {
  EXPECT_EQ(QuantOf("gemma-3-1b-it-Q4_K_M.gguf"), "Q4_K_M");
  EXPECT_EQ(QuantOf("dir/gemma-3-1b-it-iq4_xs.gguf"), "IQ4_XS");
  EXPECT_EQ(QuantOf("gemma-3-1b-it.BF16.gguf"), "BF16");
  EXPECT_EQ(QuantOf("m-Q8_0-00002-of-00003.gguf"), "Q8_0");
  EXPECT_EQ(QuantOf("gemma-3-1b-it.gguf"), "");
}

TEST(FilePick, DefaultIsQ4KMThenQ8ThenTheOnlyOne) {
  EXPECT_EQ(Files(kGgufRepo, ""),
            std::vector<std::string>{"gemma-3-1b-it-Q4_K_M.gguf"});
  EXPECT_EQ(Files({"a-Q8_0.gguf", "a-F16.gguf"}, ""),
            std::vector<std::string>{"a-Q8_0.gguf"});
  // A vision projector is never the model.
  EXPECT_EQ(Files({"mmproj-F16.gguf", "model-F16.gguf"}, ""),
            std::vector<std::string>{"model-F16.gguf"});
  EXPECT_NE(Error({"a-F16.gguf", "a-F32.gguf"}, "").find("F16, F32"),
            std::string::npos);
}

TEST(FilePick, QuantMatchesAWholeWordInAnyCase) {
  EXPECT_EQ(Files(kGgufRepo, "q4_k_s"),
            std::vector<std::string>{"gemma-3-1b-it-Q4_K_S.gguf"});
  EXPECT_EQ(Files(kGgufRepo, "bf16"),
            std::vector<std::string>{"gemma-3-1b-it-BF16.gguf"});
  const std::string error = Error(kGgufRepo, "Q4_K");
  EXPECT_NE(error.find("carries the quantization Q4_K"), std::string::npos)
      << error;
  EXPECT_NE(error.find("BF16, IQ4_XS, Q4_K_M, Q4_K_S, Q8_0"), std::string::npos)
      << error;
  EXPECT_NE(Error({"a/x-Q8_0.gguf", "b/x-Q8_0.gguf"}, "Q8_0")
                .find("matches several files"),
            std::string::npos);
}

TEST(FilePick, SplitGgufBringsEveryPart) {
  const std::vector<std::string> repo = {
      "m-Q8_0-00002-of-00003.gguf", "m-Q8_0-00001-of-00003.gguf",
      "m-Q8_0-00003-of-00003.gguf", "m-Q4_K_M.gguf"};
  const std::vector<std::string> parts = {"m-Q8_0-00001-of-00003.gguf",
                                          "m-Q8_0-00002-of-00003.gguf",
                                          "m-Q8_0-00003-of-00003.gguf"};
  EXPECT_EQ(Files(repo, "Q8_0"), parts);
  EXPECT_EQ(Files(repo, "", "m-Q8_0-00003-of-00003.gguf"), parts);
  absl::StatusOr<Pick> pick = PickFiles(repo, "org/repo", "Q8_0", "");
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->main_file, parts.front());
  // Later parts without their first, and a part count of zero.
  EXPECT_NE(Error({"m-Q8_0-00002-of-00002.gguf"}, "").find("no whole GGUF"),
            std::string::npos);
  EXPECT_NE(Error({"m-Q8_0-00001-of-00000.gguf"}, "").find("not a valid"),
            std::string::npos);
  EXPECT_NE(Error({"m-Q8_0-00001-of-00002.gguf"}, "")
                .find("part "
                      "m-Q8_0-00002-of-"
                      "00002.gguf is "
                      "missing"),
            std::string::npos);
}

TEST(FilePick, CheckpointRepoGivesItsFolder) {
  const std::vector<std::string> repo = {
      ".gitattributes",        "README.md",
      "config.json",           "tokenizer.json",
      "tokenizer_config.json", "model.safetensors",
      "original/params.json",  "chat_template.jinja"};
  absl::StatusOr<Pick> pick = PickFiles(repo, "org/repo", "", "");
  ASSERT_TRUE(pick.ok()) << pick.status();
  EXPECT_EQ(pick->main_file, "");
  EXPECT_EQ(pick->files,
            (std::vector<std::string>{
                "config.json", "tokenizer.json", "tokenizer_config.json",
                "model.safetensors", "chat_template.jinja"}));
  EXPECT_NE(Error({"README.md"}, "")
                .find("neither a GGUF file nor "
                      "safetensors"),
            std::string::npos);
  EXPECT_NE(Error(repo, "Q4_K_M").find("holds no GGUF file"),
            std::string::npos);
  EXPECT_NE(Error(repo, "", "nope.bin").find("has no file nope.bin"),
            std::string::npos);
}

} // namespace
} // namespace gemma::fetch
