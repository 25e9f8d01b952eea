//===- HfCheckpointTest.cpp - HF checkpoints against transformers ---------===//
//
// test/fixtures/hf/<variant>: tiny random checkpoints as transformers'
// save_pretrained writes them, with transformers' logits at every prompt
// position and along its greedy continuation (make_fixtures.py beside them).
// Each is loaded from its directory (config.json + model.safetensors) and:
// - the reference evaluator, token by token and after a prefill chunk,
//   matches every prompt position within 1e-4 of the logit range;
// - its compiled plan on the CPU backend, fusion all and none, matches every
//   prompt position token by token, the prompt's last position after a
//   prefill, and each greedy step, within kBackendTolerance of the range,
//   choosing transformers' id wherever the top-2 gap exceeds that; the
//   same on Vulkan, on the CUDA kernels emulated on the CPU (cuda-sim), and
//   on a CUDA GPU (ten times the tolerance), GPU backends skipping, saying
//   so, where there is no device.
// Variants: Gemma 1 (MQA), 2 (soft-caps), 3 (5:1, linear RoPE), 4 dense,
// K=V, KV sharing, per-layer embeddings + KV sharing, mixture of experts.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/CompilePlan.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "passes/FusionPipeline.h"
#include "runtime/exec/PlanSession.h"
#include "runtime/formats/LoadModel.h"
#include "test/parity/TestBackends.h"
#include "test/unit/TempPath.h"
#include "test/unit/compiler/reference/BuildOptionsFor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gemma {
namespace {

constexpr double kEvaluatorTolerance = 1e-4; // of the logit range
constexpr double kBackendTolerance = 1e-3;   // docs/design.md section 7
constexpr int32_t kPrefill = 8;
// How far llama.cpp's logits on the tiny Gemma 4 GGUFs may lie from ours
// (absolute, on logits within about +-4), measured along its greedy path
// (GreedyIdsMatchLlamaCppBeyondItsNoise prints it): f32 files 0.005-0.013
// (its KV cache is f16); quantized files 0.18-0.65, and 1.04 for the
// mixture of experts in Q4_K_M, as llama.cpp rounds activations to 8 bits
// per block of 32 (these rows are one or two blocks wide) and a rounded
// router may pick other experts.
constexpr double kLlamaCppNoiseF32 = 0.02;
constexpr double kLlamaCppNoiseQuantized = 1.5;

// A variant is a checkpoint directory of test/fixtures/hf, or a GGUF file
// of test/fixtures/gguf-gemma4 ("gemma4-dense.f32.gguf": llama.cpp's
// converter's output for that checkpoint, compared with its logits).
std::string FixtureDir(const std::string &variant) {
  const size_t dot = variant.find('.');
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/hf/" +
         variant.substr(0, dot);
}
std::string ModelPath(const std::string &variant) {
  if (variant.ends_with(".gguf"))
    return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/gguf-gemma4/" +
           variant;
  return FixtureDir(variant);
}

std::vector<int32_t> ReadIds(const std::string &path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<int32_t> ids;
  for (std::string id; std::getline(in, id, ',');)
    ids.push_back(std::stoi(id));
  return ids;
}

// [rows, vocab] little-endian f32.
std::vector<std::vector<float>> ReadRows(const std::string &path,
                                         size_t vocab) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>()};
  EXPECT_EQ(bytes.size() % (vocab * sizeof(float)), 0u) << path;
  std::vector<std::vector<float>> rows(bytes.size() / (vocab * sizeof(float)),
                                       std::vector<float>(vocab));
  for (size_t r = 0; r < rows.size(); ++r)
    std::memcpy(rows[r].data(), bytes.data() + r * vocab * sizeof(float),
                vocab * sizeof(float));
  return rows;
}

double MaxDiff(std::span<const float> a, std::span<const float> b) {
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
  return diff;
}

double Range(const std::vector<std::vector<float>> &rows) {
  double range = 0;
  for (const auto &row : rows)
    for (float v : row)
      range = std::max(range, double(std::fabs(v)));
  return range;
}

// The best id's lead over the second.
double TopGap(const std::vector<float> &row) {
  std::vector<float> sorted(row);
  std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(),
                    std::greater<>());
  return double(sorted[0]) - double(sorted[1]);
}

struct Fixture {
  ModelFile model;
  ModelWeights weights;
  std::vector<int32_t> prompt, steps;
  std::vector<std::vector<float>> prompt_logits, step_logits;
  double range = 0;
};

// The model at `path` and its weight roles into `f`.
void LoadModel(const std::string &path, Fixture &f) {
  absl::StatusOr<ModelFile> model = LoadModelFile(path);
  ASSERT_TRUE(model.ok()) << model.status();
  f.model = *std::move(model);
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(f.model);
  ASSERT_TRUE(weights.ok()) << weights.status();
  f.weights = *std::move(weights);
}

void Load(const std::string &variant, Fixture &f) {
  const std::string dir = FixtureDir(variant);
  ASSERT_NO_FATAL_FAILURE(LoadModel(ModelPath(variant), f));
  const size_t vocab = f.model.spec.vocab_size;
  f.prompt = ReadIds(dir + "/prompt.ids");
  f.steps = ReadIds(dir + "/steps.ids");
  f.prompt_logits = ReadRows(dir + "/logits.bin", vocab);
  f.step_logits = ReadRows(dir + "/steps.bin", vocab);
  ASSERT_EQ(f.prompt_logits.size(), f.prompt.size());
  ASSERT_EQ(f.step_logits.size(), f.steps.size());
  f.range = std::max(Range(f.prompt_logits), Range(f.step_logits));
}

class HfCheckpoint : public ::testing::TestWithParam<const char *> {};

std::string ParamName(const ::testing::TestParamInfo<const char *> &info) {
  std::string name = info.param;
  if (name.ends_with(".gguf"))
    name.resize(name.size() - 5);
  for (char &c : name)
    if (c == '-' || c == '.')
      c = '_';
  return name;
}

TEST_P(HfCheckpoint, EvaluatorMatchesTransformers) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(Load(GetParam(), f));
  absl::StatusOr<std::unique_ptr<reference::ModelRunner>> runner =
      reference::ModelRunner::Create(f.model.spec, f.weights,
                                     reference::StoredWeightProvider(f.model),
                                     BuildOptionsFor(64, {kPrefill}, {1}));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto check = [&](const reference::Tensor &logits, size_t p) {
    EXPECT_LE(MaxDiff(logits.data, f.prompt_logits[p]),
              kEvaluatorTolerance * f.range)
        << "position " << p;
  };
  reference::KvCaches caches = (*runner)->EmptyCaches(1);
  for (int32_t p = 0; p < int32_t(f.prompt.size()); ++p) {
    absl::StatusOr<reference::Tensor> logits =
        (*runner)->Decode({&f.prompt[p], 1}, {&p, 1}, caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    check(*logits, p);
  }
  caches = (*runner)->EmptyCaches(1);
  ASSERT_TRUE(
      (*runner)->Prefill(std::span(f.prompt).first(kPrefill), 0, caches).ok());
  for (int32_t p = kPrefill; p < int32_t(f.prompt.size()); ++p) {
    absl::StatusOr<reference::Tensor> logits =
        (*runner)->Decode({&f.prompt[p], 1}, {&p, 1}, caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    check(*logits, p);
  }
}

// The plans of fixture `name`, fused and unfused, on `backend`: decode one
// token at a time over the prompt, then prefill and greedy steps, against
// the fixture's logits (transformers', or the evaluator's for a quantized
// file).
void BackendMatchesLogits(const char *name, const Fixture &f,
                          const std::string &backend) {
  for (bool fused : {true, false}) {
    SCOPED_TRACE(fused ? "fusion all" : "fusion none");
    plan::CompileOptions options;
    // cuda-sim runs plans compiled for cuda.
    options.backend = backend;
    if (backend == "cuda-sim")
      options.backend.assign("cuda");
    options.build = BuildOptionsFor(64, {4, kPrefill}, {1});
    if (fused)
      options.fusions = FusionNames();
    const std::string path = testing::TempPath(
        std::string(name) + (fused ? "-fused.plan" : "-unfused.plan"));
    absl::StatusOr<plan::PlanFile> file =
        plan::CompilePlan(f.model, f.weights, options, ModelPath(name), path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(plan::WritePlan(*file, path).ok());
    absl::StatusOr<std::unique_ptr<PlanSession>> session =
        PlanSession::Open(path, 2, false, backend);
    ASSERT_TRUE(session.ok()) << session.status();
    // A GPU's own math library and fused multiply-adds: ten times more.
    const double tolerance =
        (backend == "cuda" ? 10 : 1) * kBackendTolerance * f.range;

    // Decode one token at a time over the whole prompt.
    std::unique_ptr<KvCaches> caches = (*session)->NewCaches();
    for (size_t p = 0; p < f.prompt.size(); ++p) {
      absl::StatusOr<std::vector<float>> logits =
          (*session)->Decode(f.prompt[p], int32_t(p), *caches);
      ASSERT_TRUE(logits.ok()) << logits.status();
      EXPECT_LE(MaxDiff(*logits, f.prompt_logits[p]), tolerance)
          << "position " << p;
    }
    // Prefill all but the last, then the greedy continuation.
    caches = (*session)->NewCaches();
    const size_t n = f.prompt.size();
    ASSERT_TRUE(
        (*session)->Prefill(std::span(f.prompt).first(n - 1), 0, *caches).ok());
    // steps.bin row s is the logits that chose steps[s] (row 0: the
    // prompt's last position again).
    int32_t token = f.prompt.back();
    for (size_t s = 0; s < f.steps.size(); ++s) {
      absl::StatusOr<std::vector<float>> logits =
          (*session)->Decode(token, int32_t(n - 1 + s), *caches);
      ASSERT_TRUE(logits.ok()) << logits.status();
      EXPECT_LE(MaxDiff(*logits, f.step_logits[s]), tolerance) << "step " << s;
      const int32_t chosen = int32_t(
          std::max_element(logits->begin(), logits->end()) - logits->begin());
      if (TopGap(f.step_logits[s]) > tolerance) {
        EXPECT_EQ(chosen, f.steps[s]) << "step " << s;
      }
      // Feed transformers' choice so one near-tie cannot derail the rest.
      token = f.steps[s];
    }
  }
}

void BackendMatchesTransformers(const char *name, const std::string &backend) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(Load(name, f));
  BackendMatchesLogits(name, f, backend);
}

TEST_P(HfCheckpoint, CpuBackendMatchesTransformersFusedAndUnfused) {
  BackendMatchesTransformers(GetParam(), "cpu");
}

TEST_P(HfCheckpoint, VulkanBackendMatchesTransformersFusedAndUnfused) {
  if (std::optional<std::string> missing = testing::MissingBackend("vulkan"))
    GTEST_SKIP() << *missing;
  BackendMatchesTransformers(GetParam(), "vulkan");
}

// The CUDA kernels on the CPU (no GPU needed), then on a GPU when there is
// one.
TEST_P(HfCheckpoint, CudaKernelsEmulatedMatchTransformersFusedAndUnfused) {
  BackendMatchesTransformers(GetParam(), "cuda-sim");
}

TEST_P(HfCheckpoint, CudaBackendMatchesTransformersFusedAndUnfused) {
  if (std::optional<std::string> missing = testing::MissingBackend("cuda"))
    GTEST_SKIP() << *missing;
  BackendMatchesTransformers(GetParam(), "cuda");
}

INSTANTIATE_TEST_SUITE_P(Transformers, HfCheckpoint,
                         ::testing::Values("gemma1-mqa", "gemma2", "gemma3",
                                           "gemma4-dense", "gemma4-keqv",
                                           "gemma4-kvshare",
                                           "gemma4-ple-kvshare", "gemma4-moe"),
                         ParamName);
INSTANTIATE_TEST_SUITE_P(LlamaCppGguf, HfCheckpoint,
                         ::testing::Values("gemma4-dense.f32.gguf",
                                           "gemma4-keqv.f32.gguf",
                                           "gemma4-kvshare.f32.gguf",
                                           "gemma4-ple-kvshare.f32.gguf",
                                           "gemma4-moe.f32.gguf"),
                         ParamName);

// llama.cpp's GGUFs of the same checkpoints, quantized (q8_0 by its
// converter, Q4_K_M by its quantizer, which falls back to Q5_0, Q8_0 and F16
// on rows this narrow): their reference is our evaluator on the dequantized
// weights, and llama.cpp's own greedy ids (`<file>.llama.ids`, with the
// logits that chose them in `.llama.bin`; make_fixtures.py in
// test/fixtures/gguf-gemma4).

// The fixture of a GGUF with the evaluator's logits in place of
// transformers': every prompt position, then greedy steps (row 0 the
// prompt's last position again, as steps.bin).
void LoadEvaluated(const std::string &file, Fixture &f) {
  ASSERT_NO_FATAL_FAILURE(LoadModel(ModelPath(file), f));
  f.prompt = ReadIds(FixtureDir(file) + "/prompt.ids");
  absl::StatusOr<std::unique_ptr<reference::ModelRunner>> runner =
      reference::ModelRunner::Create(f.model.spec, f.weights,
                                     reference::StoredWeightProvider(f.model),
                                     BuildOptionsFor(64, {kPrefill}, {1}));
  ASSERT_TRUE(runner.ok()) << runner.status();
  reference::KvCaches caches = (*runner)->EmptyCaches(1);
  auto decode = [&](int32_t id, int32_t p) -> std::vector<float> {
    absl::StatusOr<reference::Tensor> logits =
        (*runner)->Decode({&id, 1}, {&p, 1}, caches);
    EXPECT_TRUE(logits.ok()) << logits.status();
    return logits.ok() ? logits->data : std::vector<float>();
  };
  for (size_t p = 0; p < f.prompt.size(); ++p)
    f.prompt_logits.push_back(decode(f.prompt[p], int32_t(p)));
  f.step_logits.push_back(f.prompt_logits.back());
  for (int s = 0; s < 8; ++s) {
    const std::vector<float> &row = f.step_logits.back();
    f.steps.push_back(
        int32_t(std::max_element(row.begin(), row.end()) - row.begin()));
    if (s + 1 < 8)
      f.step_logits.push_back(decode(
          f.steps.back(), int32_t(f.prompt.size() + f.step_logits.size() - 1)));
  }
  f.range = std::max(Range(f.prompt_logits), Range(f.step_logits));
}

class GgufGemma4 : public ::testing::TestWithParam<const char *> {};

void EvaluatorMatches(const char *file, const std::string &backend) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(LoadEvaluated(file, f));
  BackendMatchesLogits(file, f, backend);
}

TEST_P(GgufGemma4, CpuBackendMatchesTheEvaluatorFusedAndUnfused) {
  EvaluatorMatches(GetParam(), "cpu");
}

TEST_P(GgufGemma4, VulkanBackendMatchesTheEvaluatorFusedAndUnfused) {
  if (std::optional<std::string> missing = testing::MissingBackend("vulkan"))
    GTEST_SKIP() << *missing;
  EvaluatorMatches(GetParam(), "vulkan");
}

TEST_P(GgufGemma4, CudaKernelsEmulatedMatchTheEvaluatorFusedAndUnfused) {
  EvaluatorMatches(GetParam(), "cuda-sim");
}

TEST_P(GgufGemma4, CudaBackendMatchesTheEvaluatorFusedAndUnfused) {
  if (std::optional<std::string> missing = testing::MissingBackend("cuda"))
    GTEST_SKIP() << *missing;
  EvaluatorMatches(GetParam(), "cuda");
}

// Along llama.cpp's own greedy path (its ids fed back), our logits stay
// within its noise bound of llama.cpp's, and our id is llama.cpp's wherever
// its top-2 gap exceeds that bound.
TEST_P(GgufGemma4, GreedyIdsMatchLlamaCppBeyondItsNoise) {
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(LoadEvaluated(GetParam(), f));
  const std::string path = ModelPath(GetParam()),
                    stem = path.substr(0, path.size() - 5); // less ".gguf"
  const std::vector<int32_t> ids = ReadIds(stem + ".llama.ids");
  const std::vector<std::vector<float>> rows =
      ReadRows(stem + ".llama.bin", f.model.spec.vocab_size);
  ASSERT_EQ(rows.size(), ids.size());
  const std::string plan = testing::TempPath(std::string(GetParam()) + ".plan");
  plan::CompileOptions options;
  options.build = BuildOptionsFor(64, {4, kPrefill}, {1});
  options.fusions = FusionNames();
  absl::StatusOr<plan::PlanFile> file = plan::CompilePlan(
      f.model, f.weights, options, ModelPath(GetParam()), plan);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(plan::WritePlan(*file, plan).ok());
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      PlanSession::Open(plan, 2, false, "cpu");
  ASSERT_TRUE(session.ok()) << session.status();
  std::unique_ptr<KvCaches> caches = (*session)->NewCaches();
  const size_t n = f.prompt.size();
  ASSERT_TRUE(
      (*session)->Prefill(std::span(f.prompt).first(n - 1), 0, *caches).ok());
  const double bound =
      std::string_view(GetParam()).find(".f32.") != std::string_view::npos
          ? kLlamaCppNoiseF32
          : kLlamaCppNoiseQuantized;
  int32_t token = f.prompt.back();
  double noise = 0;
  for (size_t s = 0; s < ids.size(); ++s) {
    absl::StatusOr<std::vector<float>> logits =
        (*session)->Decode(token, int32_t(n - 1 + s), *caches);
    ASSERT_TRUE(logits.ok()) << logits.status();
    noise = std::max(noise, MaxDiff(*logits, rows[s]));
    const int32_t chosen = int32_t(
        std::max_element(logits->begin(), logits->end()) - logits->begin());
    if (TopGap(rows[s]) > bound) {
      EXPECT_EQ(chosen, ids[s]) << "step " << s;
    }
    token = ids[s];
  }
  EXPECT_LE(noise, bound);
  std::printf("%s: largest |ours - llama.cpp| %.5f\n", GetParam(), noise);
}

INSTANTIATE_TEST_SUITE_P(
    LlamaCpp, GgufGemma4,
    ::testing::Values("gemma4-dense.q8_0.gguf", "gemma4-keqv.q8_0.gguf",
                      "gemma4-kvshare.q8_0.gguf",
                      "gemma4-ple-kvshare.q8_0.gguf", "gemma4-moe.q8_0.gguf",
                      "gemma4-dense.q4_k_m.gguf", "gemma4-keqv.q4_k_m.gguf",
                      "gemma4-kvshare.q4_k_m.gguf",
                      "gemma4-ple-kvshare.q4_k_m.gguf",
                      "gemma4-moe.q4_k_m.gguf", "gemma4-dense.f32.gguf",
                      "gemma4-keqv.f32.gguf", "gemma4-kvshare.f32.gguf",
                      "gemma4-ple-kvshare.f32.gguf", "gemma4-moe.f32.gguf"),
    ParamName);

} // namespace
} // namespace gemma
