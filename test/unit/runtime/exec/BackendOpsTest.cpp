//===- BackendOpsTest.cpp - Each plan kernel on each backend, on its own --===//
//
// The `BackendOps` suite: one plan kernel at a time, on every backend
// present (cpu, vulkan, the CUDA kernels emulated on the CPU, a CUDA GPU;
// the ones without their device skip, saying why), against the reference
// evaluator's kernel on random inputs of odd sizes. A wrong kernel fails
// here with its name, the backend and the shape, not as a logit mismatch
// far downstream in the whole-model parity tests.
//
// Inputs reach a program only through weights, so each case embeds a random
// f32 "weight" into the arena (the embed kernel copies a row exactly: scale
// 1) and runs the kernel under test on it.
//
// EveryKernelIsCheckedHere keeps the suite whole: a kernel added to
// plan::Kernel must get a case here, or be named in kNotCheckedYet.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Kernels.h"
#include "kernels/common/UnaryFunctions.h"
#include "runtime/exec/Backends.h"
#include "test/parity/TestBackends.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

namespace gemma {
namespace {

namespace ref = reference;

// Sizes of a vector and of a GPU workgroup's tail: one, odd, several
// groups with a remainder.
constexpr int64_t kSizes[] = {1, 7, 33, 1000, 4099};

std::vector<float> Random(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = normal(rng);
  return v;
}

// A program of one token row: its `width` f32 inputs (a weight of one
// row, embedded into the arena's first `width` elements), then `call`,
// whose result is the arena range [width, width + out). (One row: a
// program's result is [rows, out] logits to the CUDA backend.)
plan::Program OneCall(int64_t width, plan::Call call, int64_t out) {
  plan::Program program;
  program.name = "one-call";
  program.arg_elements = {1, 1};
  program.arena_elements = width + out;
  plan::Call embed;
  embed.kernel = plan::Kernel::kEmbed;
  embed.buffers = {{0, 0, 1}, {-1, 0, width}};
  embed.weights = {"x"};
  embed.ints = {1, width};
  embed.reals = {1.0};
  program.calls = {embed, std::move(call)};
  program.outputs = {{-1, width, out}};
  return program;
}

// The arena range of the n inputs from `at` of OneCall, and its result.
plan::Buffer Input(int64_t at, int64_t n) { return {-1, at, n}; }
plan::Buffer Result(int64_t width, int64_t out) { return {-1, width, out}; }

class BackendOps : public ::testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    if (std::optional<std::string> missing =
            testing::MissingBackend(GetParam()))
      GTEST_SKIP() << *missing;
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        CreateBackend(GetParam(), 1);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
  }

  // `program` (a OneCall) run over the inputs `x`, its embedding renamed:
  // GPU backends keep uploaded weights by name, so each run's input gets a
  // name of its own.
  absl::StatusOr<std::vector<float>> Run(plan::Program program,
                                         const std::vector<float> &x) {
    const int64_t rows = 1;
    const std::string name = "x" + std::to_string(runs_++);
    program.calls[0].weights = {name};
    const std::span<const uint8_t> bytes(
        reinterpret_cast<const uint8_t *>(x.data()), x.size() * sizeof(float));
    const int64_t cols = int64_t(x.size()) / rows;
    absl::StatusOr<std::unique_ptr<BackendProgram>> bound = backend_->Compile(
        program, [&](const std::string &) -> absl::StatusOr<StoredTensor> {
          return StoredTensor{StoredType::kF32, bytes, rows, cols, 1.0f};
        });
    if (!bound.ok())
      return bound.status();
    std::vector<int32_t> ids(static_cast<size_t>(rows));
    std::iota(ids.begin(), ids.end(), 0);
    std::unique_ptr<KvCaches> caches = backend_->NewCaches({});
    return (*bound)->Run(ids, ids, *caches);
  }

  // got against want within tolerance * max(1, |want|), the first few
  // misses reported with the kernel, the backend and the shape.
  void ExpectClose(const std::vector<float> &got,
                   const std::vector<float> &want, double tolerance,
                   const std::string &kernel, int64_t n) {
    ASSERT_EQ(got.size(), want.size())
        << kernel << " on " << GetParam() << ", " << n << " elements";
    int bad = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double bound =
          tolerance * std::max(1.0, std::fabs(double(want[i])));
      if (!(std::fabs(double(got[i]) - want[i]) <= bound) && bad++ < 3)
        ADD_FAILURE() << kernel << " on " << GetParam() << ", " << n
                      << " elements: value " << i << " is " << got[i]
                      << ", the reference evaluator's " << want[i]
                      << " (tolerance " << bound << ")";
    }
  }

  std::unique_ptr<Backend> backend_;
  int runs_ = 0;
};

// Every row of the unary function table, on inputs that reach far into
// each function's tails (N(0, 4); soft-capping at 5). The reference
// evaluates the formula in f64; backends in f32 with their own tanh and
// erf (libm, Highway's vector tanh within 4 ulp of it, CUDA's, GLSL's tanh
// and a 1.5e-7 erf): within 2e-6 of max(1, |value|).
TEST_P(BackendOps, UnaryFunctionsMatchTheReferenceEvaluator) {
  for (int code = 0; code < kUnaryFnCount; ++code) {
    const UnaryFn fn = UnaryFn(code);
    const float parameter = fn == UnaryFn::kSoftcap ? 5.0f : 0.0f;
    const std::string kernel = fmt::format("unary({})", UnaryFnName(code));
    for (int64_t n : kSizes) {
      const std::vector<float> x = Random(n, uint32_t(17 * code + n), 4.0f);
      plan::Call call;
      call.kernel = plan::Kernel::kUnary;
      call.buffers = {Input(0, n), Result(n, n)};
      call.ints = {n, code};
      call.reals = {parameter};
      absl::StatusOr<std::vector<float>> got = Run(OneCall(n, call, n), x);
      ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ", " << n
                            << " elements: " << got.status();
      const ref::Tensor want = ref::Unary({{n}, x}, fn, parameter);
      ExpectClose(*got, want.data, 2e-6, kernel, n);
    }
  }
}

// add and mul of two random rows: one f32 rounding each, exact on every
// backend (a device must not contract them with anything).
TEST_P(BackendOps, AddAndMulMatchTheReferenceEvaluator) {
  for (plan::Kernel k : {plan::Kernel::kAdd, plan::Kernel::kMul}) {
    for (int64_t n : kSizes) {
      const std::vector<float> x = Random(2 * n, uint32_t(n + 5), 2.0f);
      plan::Call call;
      call.kernel = k;
      call.buffers = {Input(0, n), Input(n, n), Result(2 * n, n)};
      call.ints = {n};
      absl::StatusOr<std::vector<float>> got = Run(OneCall(2 * n, call, n), x);
      ASSERT_TRUE(got.ok()) << plan::KernelName(k) << " on " << GetParam()
                            << ", " << n << " elements: " << got.status();
      const ref::Tensor a{{n}, {x.begin(), x.begin() + n}},
          b{{n}, {x.begin() + n, x.end()}};
      const ref::Tensor want =
          k == plan::Kernel::kAdd ? ref::Add(a, b) : ref::Mul(a, b);
      ExpectClose(*got, want.data, 0.0, plan::KernelName(k), n);
    }
  }
}

// scale by a static factor (no weight): one f32 rounding, exact.
TEST_P(BackendOps, ScaleMatchesTheReferenceEvaluator) {
  for (int64_t n : kSizes) {
    const std::vector<float> x = Random(n, uint32_t(n + 11), 2.0f);
    plan::Call call;
    call.kernel = plan::Kernel::kScale;
    call.buffers = {Input(0, n), Result(n, n)};
    call.weights = {""};
    call.ints = {n};
    call.reals = {0.0625 * 3};
    absl::StatusOr<std::vector<float>> got = Run(OneCall(n, call, n), x);
    ASSERT_TRUE(got.ok()) << "scale on " << GetParam() << ", " << n
                          << " elements: " << got.status();
    const ref::Tensor want = ref::ScaleBy({{n}, x}, float(0.0625 * 3));
    ExpectClose(*got, want.data, 0.0, "scale", n);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendOps,
                         ::testing::Values("cpu", "vulkan", "cuda-sim", "cuda"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           std::string name = i.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The kernels the cases above check, and the ones still checked only
// through whole programs (test/parity, the GPU decoders' tests). A new
// kernel goes into one of the two lists, so it cannot be added unchecked
// without saying so.
TEST(BackendOps, EveryKernelIsCheckedHere) {
  const std::set<plan::Kernel> kChecked = {
      plan::Kernel::kUnary, plan::Kernel::kAdd, plan::Kernel::kMul,
      plan::Kernel::kScale, plan::Kernel::kEmbed};
  const std::set<plan::Kernel> kNotCheckedYet = {
      plan::Kernel::kRmsNorm,      plan::Kernel::kMatmul,
      plan::Kernel::kMatmulHeads,  plan::Kernel::kRope,
      plan::Kernel::kKvWrite,      plan::Kernel::kAttnScores,
      plan::Kernel::kWindowMask,   plan::Kernel::kSoftmax,
      plan::Kernel::kAttnValues,   plan::Kernel::kLogits,
      plan::Kernel::kAttention,    plan::Kernel::kGeglu,
      plan::Kernel::kResidualNorm, plan::Kernel::kNormMatmul,
      plan::Kernel::kQkvRope,      plan::Kernel::kMoeExperts};
  for (uint32_t k = 0; k < plan::kKernelCount; ++k) {
    const plan::Kernel kernel = plan::Kernel(k);
    EXPECT_NE(kChecked.count(kernel), kNotCheckedYet.count(kernel))
        << plan::KernelName(kernel)
        << ": add a BackendOps case for it (or, for now, name it in "
           "kNotCheckedYet)";
  }
}

} // namespace
} // namespace gemma
