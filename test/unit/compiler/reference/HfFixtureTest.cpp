//===- HfFixtureTest.cpp - The evaluator against Hugging Face transformers ===//
//
// test/fixtures/hf-tiny/<preset>: random tiny Gemma 2, 3 and 4 models with
// the shapes of our tiny presets, exported in gemma.cpp's layouts, and the
// logits transformers computes for every prompt position (make_fixtures.py
// beside them). Decoding the prompt token by token, or after a prefill
// chunk, must reproduce them: max |difference| <= 1e-4 of the logit range.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/synth/Presets.h"

#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace gemma::reference {
namespace {

std::string FixtureDir(const std::string &preset) {
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/hf-tiny/" + preset +
         "/";
}

std::vector<uint8_t> ReadBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class HfFixture : public ::testing::TestWithParam<const char *> {};

TEST_P(HfFixture, TokenByTokenDecodeMatchesTransformersLogits) {
  const std::string dir = FixtureDir(GetParam());
  // The fixture's tensors as an f32 model of the preset's spec.
  const std::vector<uint8_t> blob = ReadBytes(dir + "weights.bin");
  ModelFile model;
  model.spec = *PresetSpec(GetParam());
  std::ifstream index(dir + "weights.txt");
  std::string name;
  uint64_t rows = 0, cols = 0, offset = 0;
  while (index >> name >> rows >> cols) {
    const uint64_t bytes = rows * cols * sizeof(float);
    ASSERT_LE(offset + bytes, blob.size()) << name;
    model.tensors[name] = {name, StoredType::kF32,
                           rows, cols,
                           1.0f, std::span(blob).subspan(offset, bytes)};
    offset += bytes;
  }
  ASSERT_EQ(offset, blob.size());
  absl::StatusOr<ModelWeights> weights = SbsModelWeights(model);
  ASSERT_TRUE(weights.ok()) << weights.status();

  std::vector<int32_t> ids;
  std::ifstream prompt(dir + "prompt.ids");
  for (std::string id; std::getline(prompt, id, ',');)
    ids.push_back(std::stoi(id));
  const std::vector<uint8_t> expected_bytes = ReadBytes(dir + "logits.bin");
  const int64_t vocab = model.spec.vocab_size;
  ASSERT_EQ(expected_bytes.size(), ids.size() * vocab * sizeof(float));
  std::vector<float> expected(ids.size() * vocab);
  std::memcpy(expected.data(), expected_bytes.data(), expected_bytes.size());

  // A prefill bucket of 12 makes the sliding layers' ring 8 + 12 - 1 slots,
  // so the window mask, not the ring size, bounds what a query sees.
  constexpr int32_t kPrefill = 12;
  absl::StatusOr<std::unique_ptr<ModelRunner>> runner =
      ModelRunner::Create(model.spec, *weights, StoredWeightProvider(model),
                          BuildOptionsFor(32, {kPrefill}, {1}));
  ASSERT_TRUE(runner.ok()) << runner.status();
  double range = 0;
  for (float v : expected)
    range = std::max(range, double(std::fabs(v)));
  auto check = [&](const Tensor &logits, int32_t p) {
    double diff = 0;
    for (int64_t v = 0; v < vocab; ++v)
      diff = std::max(
          diff, double(std::fabs(logits.data[v] - expected[p * vocab + v])));
    EXPECT_LE(diff, 1e-4 * range) << "position " << p;
  };

  // Token by token from position 0.
  KvCaches caches = (*runner)->EmptyCaches(1);
  for (int32_t p = 0; p < int32_t(ids.size()); ++p) {
    absl::StatusOr<Tensor> logits =
        (*runner)->Decode({&ids[p], 1}, {&p, 1}, caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    check(*logits, p);
  }
  // A prefill chunk, then token by token.
  caches = (*runner)->EmptyCaches(1);
  ASSERT_TRUE(
      (*runner)->Prefill(std::span(ids).first(kPrefill), 0, caches).ok());
  for (int32_t p = kPrefill; p < int32_t(ids.size()); ++p) {
    absl::StatusOr<Tensor> logits =
        (*runner)->Decode({&ids[p], 1}, {&p, 1}, caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    check(*logits, p);
  }
}

INSTANTIATE_TEST_SUITE_P(Transformers, HfFixture,
                         ::testing::Values("tiny-gemma2", "tiny-gemma3",
                                           "tiny-gemma4"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           std::string name = i.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

} // namespace
} // namespace gemma::reference
