//===- WholeModelTest.cpp - Built models run by the reference evaluator ---===//
//
// Synthetic tiny models of every generation, with prompts longer than their
// sliding window: a prefill chunk followed by decode steps must give the
// logits of decoding every token one at a time, and a batch of sequences
// at different positions must give what each sequence gives alone.
//
//===----------------------------------------------------------------------===//

#include "compiler/builder/ModelBuilder.h"
#include "compiler/reference/Generate.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "passes/FusionPipeline.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/Synthesize.h"

#include "dialects/gemma/GemmaOps.h"

#include "test/unit/TinyModel.h"

#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <ostream>

#include <cmath>
#include <random>

namespace gemma::reference {
namespace {

using testing::LoadedModel;
using testing::RandomIds;

LoadedModel Synthesize(const std::string &preset, StoredType weight) {
  return testing::SynthesizeTiny(preset, weight);
}

std::unique_ptr<ModelRunner> Runner(const LoadedModel &loaded,
                                    BuildOptions options) {
  absl::StatusOr<std::unique_ptr<ModelRunner>> runner =
      ModelRunner::Create(loaded.model.spec, loaded.weights,
                          StoredWeightProvider(loaded.model), options);
  EXPECT_TRUE(runner.ok()) << runner.status();
  return runner.ok() ? *std::move(runner) : nullptr;
}

// max |a - b| / max |b|, over all elements.
double RelativeDifference(const Tensor &a, const Tensor &b) {
  EXPECT_EQ(a.shape, b.shape);
  double diff = 0, range = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a.data[i] - b.data[i])));
    range = std::max(range, double(std::fabs(b.data[i])));
  }
  return diff / range;
}

Tensor Row(const Tensor &logits, int64_t row) {
  Tensor one = Tensor::Zeros({1, logits.shape[1]});
  std::copy(logits.Row(row), logits.Row(row) + logits.shape[1],
            one.data.begin());
  return one;
}

struct Case {
  const char *preset;
  StoredType weight;
};

// Readable, stable test names in CTest (not the struct's bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.preset << "/" << StoredTypeName(c.weight);
}

class WholeModel : public ::testing::TestWithParam<Case> {};

// Window 8 in every tiny preset; 20 tokens pass it twice.
constexpr int64_t kPrefill = 12;
constexpr int64_t kTokens = 20;

TEST_P(WholeModel, PrefillThenDecodeMatchesDecodingTokenByToken) {
  LoadedModel loaded = Synthesize(GetParam().preset, GetParam().weight);
  std::unique_ptr<ModelRunner> runner =
      Runner(loaded, BuildOptionsFor(64, {kPrefill}, {1}));
  ASSERT_NE(runner, nullptr);
  const std::vector<int32_t> ids =
      RandomIds(kTokens, loaded.model.spec.vocab_size, 5);

  KvCaches one_by_one = runner->EmptyCaches(1);
  std::vector<Tensor> expected;
  for (int32_t p = 0; p < kTokens; ++p) {
    absl::StatusOr<Tensor> logits =
        runner->Decode({&ids[p], 1}, {&p, 1}, one_by_one);
    ASSERT_TRUE(logits.ok()) << logits.status();
    expected.push_back(*std::move(logits));
  }

  KvCaches chunked = runner->EmptyCaches(1);
  ASSERT_TRUE(runner->Prefill(std::span(ids).first(kPrefill), 0, chunked).ok());
  for (int32_t p = kPrefill; p < kTokens; ++p) {
    absl::StatusOr<Tensor> logits =
        runner->Decode({&ids[p], 1}, {&p, 1}, chunked);
    ASSERT_TRUE(logits.ok()) << logits.status();
    EXPECT_LE(RelativeDifference(*logits, expected[p]), 1e-5) << "pos " << p;
  }
  // The logits are not degenerate: they differ between positions.
  EXPECT_GT(RelativeDifference(expected[kTokens - 1], expected[kTokens - 2]),
            1e-3);
}

TEST_P(WholeModel, BatchDecodeMatchesEachSequenceAlone) {
  LoadedModel loaded = Synthesize(GetParam().preset, GetParam().weight);
  std::unique_ptr<ModelRunner> runner =
      Runner(loaded, BuildOptionsFor(64, {}, {1, 4}));
  ASSERT_NE(runner, nullptr);
  // Four sequences of different lengths (3, 9, 14, 17 tokens so far).
  const int32_t lengths[4] = {3, 9, 14, 17};
  std::vector<KvCaches> alone;
  std::vector<int32_t> next_ids, positions;
  for (int s = 0; s < 4; ++s) {
    const std::vector<int32_t> ids =
        RandomIds(lengths[s] + 1, loaded.model.spec.vocab_size, 100 + s);
    KvCaches caches = runner->EmptyCaches(1);
    for (int32_t p = 0; p < lengths[s]; ++p)
      ASSERT_TRUE(runner->Decode({&ids[p], 1}, {&p, 1}, caches).ok());
    alone.push_back(std::move(caches));
    next_ids.push_back(ids[lengths[s]]);
    positions.push_back(lengths[s]);
  }
  KvCaches batch = StackCaches(alone);
  absl::StatusOr<Tensor> together = runner->Decode(next_ids, positions, batch);
  ASSERT_TRUE(together.ok()) << together.status();
  for (int s = 0; s < 4; ++s) {
    absl::StatusOr<Tensor> single =
        runner->Decode({&next_ids[s], 1}, {&positions[s], 1}, alone[s]);
    ASSERT_TRUE(single.ok()) << single.status();
    EXPECT_LE(RelativeDifference(Row(*together, s), *single), 1e-6)
        << "sequence " << s;
    KvCaches back = SequenceOf(batch, s);
    for (size_t i = 0; i < back.size(); ++i)
      EXPECT_EQ(back[i].data, alone[s][i].data) << "sequence " << s;
  }
}

TEST_P(WholeModel, GreedyGenerationDoesNotCollapse) {
  LoadedModel loaded = Synthesize(GetParam().preset, GetParam().weight);
  std::unique_ptr<ModelRunner> runner =
      Runner(loaded, BuildOptionsFor(64, {9}, {1}));
  ASSERT_NE(runner, nullptr);
  const std::vector<int32_t> prompt =
      RandomIds(10, loaded.model.spec.vocab_size, 7);
  GreedyOptions greedy;
  greedy.max_tokens = 16;
  greedy.ignore_eos = true;
  absl::StatusOr<GreedyResult> result = GenerateGreedy(*runner, prompt, greedy);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->tokens.size(), 16u);
  std::set<int32_t> distinct(result->tokens.begin(), result->tokens.end());
  EXPECT_GE(distinct.size(), 4u);
}

TEST_P(WholeModel, FusedModuleGivesTheSameLogits) {
  LoadedModel loaded = Synthesize(GetParam().preset, GetParam().weight);
  const BuildOptions options = BuildOptionsFor(64, {kPrefill}, {1});
  std::unique_ptr<ModelRunner> unfused = Runner(loaded, options);
  absl::StatusOr<std::unique_ptr<ModelRunner>> fused = ModelRunner::Create(
      loaded.model.spec, loaded.weights, StoredWeightProvider(loaded.model),
      options, FusionNames());
  ASSERT_TRUE(fused.ok()) << fused.status();
  // Every layer's attention and MLP were fused, in both functions (prefill
  // has no last-layer attention output or MLP: nothing reads them).
  int attention = 0, qkv = 0, geglu = 0, residual = 0, unfused_ops = 0;
  (*fused)->module()->walk([&](mlir::Operation *op) {
    attention += mlir::isa<ir::FusedAttentionOp>(op);
    qkv += mlir::isa<ir::FusedQkvRopeOp>(op);
    geglu += mlir::isa<ir::FusedGegluOp>(op);
    residual += mlir::isa<ir::FusedResidualNormOp>(op);
    unfused_ops += mlir::isa<ir::SoftmaxOp, ir::GeluTanhOp>(op);
  });
  const int layers = int(loaded.model.spec.num_layers());
  EXPECT_EQ(attention, 2 * layers - 1);
  EXPECT_EQ(geglu, 2 * layers - 1);
  EXPECT_EQ(qkv, 2 * layers - 1); // prefill's last layer has no query
  EXPECT_GE(residual, 2 * layers - 1);
  EXPECT_EQ(unfused_ops, 0);

  const std::vector<int32_t> ids =
      RandomIds(kTokens, loaded.model.spec.vocab_size, 9);
  KvCaches a = unfused->EmptyCaches(1), b = (*fused)->EmptyCaches(1);
  ASSERT_TRUE(unfused->Prefill(std::span(ids).first(kPrefill), 0, a).ok());
  ASSERT_TRUE((*fused)->Prefill(std::span(ids).first(kPrefill), 0, b).ok());
  for (int32_t p = kPrefill; p < kTokens; ++p) {
    absl::StatusOr<Tensor> x = unfused->Decode({&ids[p], 1}, {&p, 1}, a);
    absl::StatusOr<Tensor> y = (*fused)->Decode({&ids[p], 1}, {&p, 1}, b);
    ASSERT_TRUE(x.ok() && y.ok());
    // The same kernels in the same order: bit-identical.
    EXPECT_EQ(x->data, y->data) << "position " << p;
  }
}

INSTANTIATE_TEST_SUITE_P(
    TinyPresets, WholeModel,
    ::testing::Values(Case{"tiny-gemma1", StoredType::kBF16},
                      Case{"tiny-gemma2", StoredType::kSFP},
                      Case{"tiny-gemma3", StoredType::kSFP},
                      Case{"tiny-gemma3", StoredType::kNUQ},
                      Case{"tiny-gemma4", StoredType::kSFP}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = std::string(info.param.preset) + "_" +
                         std::string(StoredTypeName(info.param.weight));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

} // namespace
} // namespace gemma::reference
