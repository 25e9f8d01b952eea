//===- GemmaCppFixtureTest.cpp - The evaluator on gemma.cpp's own model ---===//
//
// test/fixtures/gemmacpp-tiny-g3: a bf16 model written by gemma.cpp, its
// greedy run, and an independent float64 forward pass teacher-forced on
// gemma.cpp's tokens. Our evaluator must give gemma.cpp's tokens and the
// float64 logits to 1e-4 (the fixture's README).
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Generate.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/SbsWeights.h"

#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace gemma::reference {
namespace {

const std::string kFixture =
    std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/gemmacpp-tiny-g3/";

struct Step {
  int32_t argmax = 0;
  double max = 0, gap = 0, sum = 0;
  std::vector<double> first;
};

// "npstep 0 pos 32 argmax 2754 max 0.635017 gap 0.104898 sum -10.99 first: ..."
std::vector<Step> ReadSteps() {
  std::ifstream in(kFixture + "float64-steps.txt");
  std::vector<Step> steps;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string tag, key;
    int step = 0, pos = 0;
    words >> tag;
    if (tag != "npstep")
      continue;
    Step s;
    words >> step >> key >> pos >> key >> s.argmax >> key >> s.max >> key >>
        s.gap >> key >> s.sum >> key;
    double v = 0;
    while (words >> v)
      s.first.push_back(v);
    steps.push_back(s);
  }
  return steps;
}

std::vector<int32_t> ReadPrompt() {
  std::ifstream in(kFixture + "prompt.ids");
  std::vector<int32_t> ids;
  std::string id;
  while (std::getline(in, id, ','))
    ids.push_back(std::stoi(id));
  return ids;
}

TEST(GemmaCppFixture, MatchesFloat64LogitsAndGemmaCppTokens) {
  const std::vector<Step> steps = ReadSteps();
  const std::vector<int32_t> prompt = ReadPrompt();
  ASSERT_EQ(steps.size(), 16u);
  ASSERT_EQ(prompt.size(), 32u);

  absl::StatusOr<ModelFile> model = LoadSbsModel(kFixture + "model.sbs");
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<ModelWeights> weights = SbsModelWeights(*model);
  ASSERT_TRUE(weights.ok()) << weights.status();
  absl::StatusOr<std::unique_ptr<ModelRunner>> runner =
      ModelRunner::Create(model->spec, *weights, StoredWeightProvider(*model),
                          BuildOptionsFor(64, {31}, {1}));
  ASSERT_TRUE(runner.ok()) << runner.status();

  std::vector<Tensor> logits;
  GreedyOptions greedy;
  greedy.max_tokens = 16;
  greedy.ignore_eos = true;
  greedy.on_logits = [&](int64_t, const Tensor &step) {
    logits.push_back(step);
  };
  absl::StatusOr<GreedyResult> result =
      GenerateGreedy(**runner, prompt, greedy);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(logits.size(), 16u);
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    const Step &want = steps[i];
    // The fixture's float64 pass is teacher-forced on gemma.cpp's tokens;
    // ours feeds its own, so they must agree (every gap is > 1e-2).
    EXPECT_EQ(result->tokens[i], want.argmax);
    const std::vector<float> &got = logits[i].data;
    double max = got[0], sum = 0;
    for (float v : got) {
      max = std::max(max, double(v));
      sum += v;
    }
    EXPECT_NEAR(max, want.max, 1e-4);
    EXPECT_NEAR(sum, want.sum, 1e-2); // 8192 logits
    ASSERT_EQ(want.first.size(), 8u);
    for (size_t j = 0; j < 8; ++j)
      EXPECT_NEAR(got[j], want.first[j], 1e-4) << "logit " << j;
  }
}

} // namespace
} // namespace gemma::reference
