//===- PlanParityTest.cpp - .plan files against the reference evaluator ---===//
//
// End to end: tiny presets of every generation, weight types f32, bf16,
// SFP, NUQ and I8, fusions all and none, compiled into a .plan on disk, opened
// by the runtime (PlanSession: file checks, weights by reference, bucket
// programs), and run on a prompt longer than the window through chunked and
// padded prefill and decode, on the CPU and on Vulkan (lavapipe in CI; skipped,
// saying so, without a Vulkan device). Logits within 1e-3 of the reference
// evaluator's (docs/design.md 7; 1e-2 on a GPU), and the same greedy token
// wherever the reference's top two logits are further apart than that.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/CompilePlan.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "passes/FusionPipeline.h"
#include "runtime/exec/PlanSession.h"

#include "test/parity/TestBackends.h"
#include "test/unit/TinyModel.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <ostream>

#include <cmath>

namespace gemma {
namespace {

// A GPU's own math library and fused multiply-adds get the 1e-2;
// the CPU, lavapipe and the CUDA kernels emulated on the CPU 1e-3.
double ToleranceFor(const std::string &backend) {
  return backend == "cuda" ? 1e-2 : 1e-3;
}

struct Case {
  const char *preset;
  StoredType weight;
  bool fused;
  const char *backend;
};

// Readable, stable test names in CTest (not the struct's bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.preset << "/" << StoredTypeName(c.weight)
      << (c.fused ? "/fused" : "/unfused") << "/" << c.backend;
}

class PlanParity : public ::testing::TestWithParam<Case> {};

// The tiny model compiled into a .plan on disk (its weights read from
// `sbs`) and opened by the runtime, as gemma-compile and gemma-exec do.
absl::StatusOr<std::unique_ptr<PlanSession>>
CompileAndOpen(const testing::LoadedModel &loaded,
               const plan::CompileOptions &options, const std::string &sbs,
               const std::string &path, const std::string &backend = "") {
  absl::StatusOr<plan::PlanFile> file =
      plan::CompilePlan(loaded.model, loaded.weights, options, sbs, path);
  if (!file.ok())
    return file.status();
  if (absl::Status s = plan::WritePlan(*file, path); !s.ok())
    return s;
  return PlanSession::Open(path, 2, false, backend);
}

TEST_P(PlanParity, PlanLogitsMatchTheReferenceEvaluator) {
  if (std::optional<std::string> missing =
          testing::MissingBackend(GetParam().backend))
    GTEST_SKIP() << *missing;
  testing::LoadedModel loaded =
      testing::SynthesizeTiny(GetParam().preset, GetParam().weight);
  const std::string sbs =
      testing::TempPath(std::string(GetParam().preset) + ".sbs");
  const std::string path = testing::TempPath("model.plan");
  // Buckets 4 and 8 with a 13-token prefill: 8, 4, then 1 padded to 4.
  const std::string backend = GetParam().backend;
  // The emulated CUDA kernels, fused, split decode attention over positions
  // (on these short caches only when told to).
  struct SplitAttention {
    explicit SplitAttention(bool on) {
      if (on)
        setenv("GEMMA_CUDA_ATTENTION_SPLITS", "3", 1);
    }
    ~SplitAttention() { unsetenv("GEMMA_CUDA_ATTENTION_SPLITS"); }
  } split(backend == "cuda-sim" && GetParam().fused);
  const double kTolerance = ToleranceFor(backend);
  plan::CompileOptions options;
  // cuda-sim runs a plan compiled for cuda.
  options.backend = backend;
  if (backend == "cuda-sim")
    options.backend.assign("cuda");
  options.build = BuildOptionsFor(48, {4, 8}, {1});
  if (GetParam().fused)
    options.fusions = FusionNames();
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      CompileAndOpen(loaded, options, sbs, path, backend);
  ASSERT_TRUE(session.ok()) << session.status();

  absl::StatusOr<std::unique_ptr<reference::ModelRunner>> ref =
      reference::ModelRunner::Create(
          loaded.model.spec, loaded.weights,
          reference::StoredWeightProvider(loaded.model),
          BuildOptionsFor(48, {13}, {1}));
  ASSERT_TRUE(ref.ok()) << ref.status();

  const std::vector<int32_t> ids =
      testing::RandomIds(24, loaded.model.spec.vocab_size, 77);
  const size_t prefill = 13;
  std::unique_ptr<KvCaches> caches = (*session)->NewCaches();
  reference::KvCaches ref_caches = (*ref)->EmptyCaches(1);
  ASSERT_TRUE(
      (*session)->Prefill(std::span(ids).first(prefill), 0, *caches).ok());
  ASSERT_TRUE(
      (*ref)->Prefill(std::span(ids).first(prefill), 0, ref_caches).ok());
  for (int32_t p = int32_t(prefill); p < int32_t(ids.size()); ++p) {
    absl::StatusOr<std::vector<float>> got =
        (*session)->Decode(ids[p], p, *caches);
    absl::StatusOr<reference::Tensor> want =
        (*ref)->Decode({&ids[p], 1}, {&p, 1}, ref_caches);
    ASSERT_TRUE(got.ok() && want.ok()) << got.status();
    double diff = 0;
    for (size_t v = 0; v < got->size(); ++v)
      diff = std::max(diff, double(std::fabs((*got)[v] - want->data[v])));
    EXPECT_LE(diff, kTolerance) << "position " << p;
    std::vector<float> sorted = want->data;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(),
                      std::greater<float>());
    if (sorted[0] - sorted[1] > kTolerance) {
      EXPECT_EQ(std::max_element(got->begin(), got->end()) - got->begin(),
                std::max_element(want->data.begin(), want->data.end()) -
                    want->data.begin())
          << "position " << p;
    }
  }
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const char *preset :
       {"tiny-gemma1", "tiny-gemma2", "tiny-gemma3", "tiny-gemma4"})
    for (StoredType weight :
         {StoredType::kF32, StoredType::kBF16, StoredType::kSFP,
          StoredType::kNUQ, StoredType::kI8})
      for (bool fused : {false, true})
        for (const char *backend : {"cpu", "vulkan", "cuda-sim", "cuda"})
          cases.push_back({preset, weight, fused, backend});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(TinyPresets, PlanParity, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           std::string name =
                               std::string(info.param.preset) + "_" +
                               std::string(StoredTypeName(info.param.weight)) +
                               (info.param.fused ? "_fused" : "_unfused") +
                               (std::string(info.param.backend) == "cpu"
                                    ? ""
                                    : "_" + std::string(info.param.backend));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Ctrl-C in a chat stops a prefill after a chunk (PlanSession::Prefill's
// progress callback). What was written must be a consistent prefix: the
// rest of the prompt prefilled afterwards gives the logits of one
// uninterrupted prefill, though the sliding-window layers' rings (8
// positions on tiny-gemma3) have wrapped in between.
// gemma-compile does not link the backends, so it keeps its own list of
// targets; this binary links both and keeps the two equal.
TEST(BackendRegistry, CompileTargetsAreTheRegistrysPlanTargets) {
  EXPECT_EQ(plan::CompileTargets(), PlanTargets());
}

TEST(PlanSessionPrefill, AStoppedPrefillKeepsAConsistentPrefix) {
  testing::LoadedModel loaded =
      testing::SynthesizeTiny("tiny-gemma3", StoredType::kSFP);
  const std::string sbs = testing::TempPath("tiny-gemma3.sbs");
  const std::string path = testing::TempPath("stopped.plan");
  plan::CompileOptions options;
  options.build = BuildOptionsFor(48, {4, 8}, {1});
  options.fusions = FusionNames();
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      CompileAndOpen(loaded, options, sbs, path);
  ASSERT_TRUE(session.ok()) << session.status();
  const std::vector<int32_t> ids =
      testing::RandomIds(30, loaded.model.spec.vocab_size, 5);
  const std::span<const int32_t> prompt = std::span(ids).first(29);

  std::unique_ptr<KvCaches> whole = (*session)->NewCaches();
  ASSERT_TRUE((*session)->Prefill(prompt, 0, *whole).ok());
  absl::StatusOr<std::vector<float>> want =
      (*session)->Decode(ids[29], 29, *whole);
  ASSERT_TRUE(want.ok()) << want.status();

  std::unique_ptr<KvCaches> stopped = (*session)->NewCaches();
  std::vector<size_t> seen;
  size_t done = 0;
  absl::Status status = (*session)->Prefill(
      prompt, 0, *stopped,
      [&](size_t written, size_t total) {
        EXPECT_EQ(total, prompt.size());
        seen.push_back(written);
        return written < 16; // stop after two chunks of 8
      },
      &done);
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_EQ(done, 16u);
  EXPECT_EQ(seen, (std::vector<size_t>{8, 16}));
  ASSERT_TRUE(
      (*session)->Prefill(prompt.subspan(done), int32_t(done), *stopped).ok());
  absl::StatusOr<std::vector<float>> got =
      (*session)->Decode(ids[29], 29, *stopped);
  ASSERT_TRUE(got.ok()) << got.status();
  double diff = 0;
  for (size_t v = 0; v < got->size(); ++v)
    diff = std::max(diff, double(std::fabs((*got)[v] - (*want)[v])));
  EXPECT_LE(diff, 1e-4);
}

} // namespace
} // namespace gemma
