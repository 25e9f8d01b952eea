//===- CpuModelTest.cpp - The CPU backend against the reference evaluator -===//
//
// Tiny presets of every generation, fusions all and none, prompts longer
// than the window: the CPU programs' logits within 1e-3 (docs/design.md 7) of
// the reference evaluator's, through a prefill chunk and decode steps, and
// for a batch of sequences at different positions.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/CpuModel.h"

#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "passes/FusionPipeline.h"

#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <ostream>

#include <cmath>

namespace gemma::cpu {
namespace {

constexpr double kTolerance = 1e-3;
constexpr int64_t kPrefill = 12;
constexpr int32_t kTokens = 20;

double MaxDifference(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
  return diff;
}

struct Case {
  const char *preset;
  StoredType weight;
  bool fused;
};

// Readable, stable test names in CTest (not the struct's bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.preset << "/" << StoredTypeName(c.weight)
      << (c.fused ? "/fused" : "/unfused");
}

class CpuModelParity : public ::testing::TestWithParam<Case> {
protected:
  void SetUp() override {
    loaded_ = testing::SynthesizeTiny(GetParam().preset, GetParam().weight);
    const BuildOptions options = BuildOptionsFor(64, {kPrefill}, {1, 4});
    absl::StatusOr<std::unique_ptr<reference::ModelRunner>> ref =
        reference::ModelRunner::Create(
            loaded_.model.spec, loaded_.weights,
            reference::StoredWeightProvider(loaded_.model), options);
    ASSERT_TRUE(ref.ok()) << ref.status();
    ref_ = *std::move(ref);
    absl::StatusOr<std::unique_ptr<CpuModel>> cpu = CpuModel::Create(
        loaded_.model, loaded_.weights, options,
        GetParam().fused ? FusionNames() : std::vector<std::string>{}, 2);
    ASSERT_TRUE(cpu.ok()) << cpu.status();
    cpu_ = *std::move(cpu);
  }

  testing::LoadedModel loaded_;
  std::unique_ptr<reference::ModelRunner> ref_;
  std::unique_ptr<CpuModel> cpu_;
};

TEST_P(CpuModelParity, PrefillThenDecodeMatchesTheReference) {
  const std::vector<int32_t> ids =
      testing::RandomIds(kTokens, loaded_.model.spec.vocab_size, 21);
  reference::KvCaches ref_caches = ref_->EmptyCaches(1);
  CpuCaches cpu_caches = cpu_->EmptyCaches(1);
  auto chunk = std::span(ids).first(kPrefill);
  ASSERT_TRUE(ref_->Prefill(chunk, 0, ref_caches).ok());
  ASSERT_TRUE(cpu_->Prefill(chunk, 0, cpu_caches).ok());
  for (int32_t p = kPrefill; p < kTokens; ++p) {
    absl::StatusOr<reference::Tensor> want =
        ref_->Decode({&ids[p], 1}, {&p, 1}, ref_caches);
    absl::StatusOr<std::vector<float>> got =
        cpu_->Decode({&ids[p], 1}, {&p, 1}, cpu_caches);
    ASSERT_TRUE(want.ok() && got.ok()) << got.status();
    EXPECT_LE(MaxDifference(*got, want->data), kTolerance) << "position " << p;
    // Greedy picks agree where the top two logits are further apart.
    std::vector<float> sorted = want->data;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(),
                      std::greater<float>());
    if (sorted[0] - sorted[1] > 2 * kTolerance) {
      EXPECT_EQ(std::max_element(got->begin(), got->end()) - got->begin(),
                std::max_element(want->data.begin(), want->data.end()) -
                    want->data.begin())
          << "position " << p;
    }
  }
}

TEST_P(CpuModelParity, BatchDecodeMatchesTheReference) {
  const int32_t lengths[4] = {2, 9, 13, 17};
  std::vector<reference::KvCaches> alone;
  std::vector<int32_t> next, positions;
  for (int s = 0; s < 4; ++s) {
    const std::vector<int32_t> ids = testing::RandomIds(
        lengths[s] + 1, loaded_.model.spec.vocab_size, 40 + s);
    reference::KvCaches caches = ref_->EmptyCaches(1);
    for (int32_t p = 0; p < lengths[s]; ++p)
      ASSERT_TRUE(ref_->Decode({&ids[p], 1}, {&p, 1}, caches).ok());
    alone.push_back(std::move(caches));
    next.push_back(ids[lengths[s]]);
    positions.push_back(lengths[s]);
  }
  reference::KvCaches ref_batch = reference::StackCaches(alone);
  CpuCaches cpu_batch;
  for (const reference::Tensor &t : ref_batch)
    cpu_batch.push_back(t.data);
  absl::StatusOr<reference::Tensor> want =
      ref_->Decode(next, positions, ref_batch);
  absl::StatusOr<std::vector<float>> got =
      cpu_->Decode(next, positions, cpu_batch);
  ASSERT_TRUE(want.ok() && got.ok()) << got.status();
  EXPECT_LE(MaxDifference(*got, want->data), kTolerance);
  for (size_t i = 0; i < cpu_batch.size(); ++i)
    EXPECT_LE(MaxDifference(cpu_batch[i], ref_batch[i].data), kTolerance)
        << "cache " << i;
}

INSTANTIATE_TEST_SUITE_P(
    TinyPresets, CpuModelParity,
    ::testing::Values(Case{"tiny-gemma1", StoredType::kBF16, false},
                      Case{"tiny-gemma1", StoredType::kF32, true},
                      Case{"tiny-gemma2", StoredType::kSFP, false},
                      Case{"tiny-gemma2", StoredType::kSFP, true},
                      Case{"tiny-gemma3", StoredType::kSFP, true},
                      Case{"tiny-gemma3", StoredType::kNUQ, false},
                      Case{"tiny-gemma3", StoredType::kBF16, true},
                      Case{"tiny-gemma4", StoredType::kSFP, false},
                      Case{"tiny-gemma4", StoredType::kSFP, true}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = std::string(info.param.preset) + "_" +
                         std::string(StoredTypeName(info.param.weight)) +
                         (info.param.fused ? "_fused" : "_unfused");
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(CpuModel, ATokenOutsideTheVocabularyIsAnErrorNotACrash) {
  testing::LoadedModel loaded =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kSFP);
  absl::StatusOr<std::unique_ptr<CpuModel>> cpu =
      CpuModel::Create(loaded.model, loaded.weights,
                       BuildOptionsFor(64, {}, {1}), FusionNames(), 1);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  CpuCaches caches = (*cpu)->EmptyCaches(1);
  int32_t id = 5000, pos = 0;
  absl::StatusOr<std::vector<float>> logits =
      (*cpu)->Decode({&id, 1}, {&pos, 1}, caches);
  ASSERT_FALSE(logits.ok());
  EXPECT_EQ(logits.status().message(),
            "token id 5000 is outside the vocabulary of 2048");
}

} // namespace
} // namespace gemma::cpu
