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
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <tuple>

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

// A program over `rows` token rows (ids and positions 0..rows-1): their
// inputs, `width` f32 values each (rows of the weight "x", embedded into
// the arena's first rows * width elements), then `call`, whose result is
// the arena range [rows * width, rows * width + out). (A program's result
// is [rows, out / rows] logits to the CUDA backend: out is a multiple of
// rows.)
plan::Program OneCall(int64_t width, plan::Call call, int64_t out,
                      int64_t rows = 1) {
  plan::Program program;
  program.name = "one-call";
  program.arg_elements = {rows, rows};
  program.arena_elements = rows * width + out;
  plan::Call embed;
  embed.kernel = plan::Kernel::kEmbed;
  embed.buffers = {{0, 0, rows}, {-1, 0, rows * width}};
  embed.weights = {"x"};
  embed.ints = {rows, width};
  embed.reals = {1.0};
  program.calls = {embed, std::move(call)};
  program.outputs = {{-1, rows * width, out}};
  return program;
}

// The arena range of the n inputs from `at` of OneCall, its result, and
// the positions argument.
plan::Buffer Input(int64_t at, int64_t n) { return {-1, at, n}; }
plan::Buffer Result(int64_t width, int64_t out) { return {-1, width, out}; }
plan::Buffer Positions(int64_t rows) { return {1, 0, rows}; }

// A weight of `rows` x `cols` f32 values.
struct Matrix {
  std::vector<float> values;
  int64_t rows = 0, cols = 0;
  ref::WeightRows Rows() const {
    const Matrix *self = this;
    return {rows, cols, [self](int64_t row, float *out) {
              std::copy_n(self->values.data() + row * self->cols, self->cols,
                          out);
            }};
  }
};

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

  // `program` (a OneCall) run over the input rows `x` (rows x width) and
  // the other weights its call names. GPU backends keep uploaded weights by
  // name, so each run's weights get names of their own.
  absl::StatusOr<std::vector<float>>
  Run(plan::Program program, const Matrix &x,
      const std::map<std::string, Matrix> &weights = {}) {
    const std::string suffix = "#" + std::to_string(runs_++);
    for (plan::Call &call : program.calls)
      for (std::string &name : call.weights)
        if (!name.empty())
          name += suffix;
    absl::StatusOr<std::unique_ptr<BackendProgram>> bound = backend_->Compile(
        program, [&](const std::string &name) -> absl::StatusOr<StoredTensor> {
          const std::string base = name.substr(0, name.size() - suffix.size());
          const Matrix *m = &x;
          if (base != "x") {
            auto it = weights.find(base);
            if (it == weights.end())
              return absl::NotFoundError(base);
            m = &it->second;
          }
          return StoredTensor{
              StoredType::kF32,
              {reinterpret_cast<const uint8_t *>(m->values.data()),
               m->values.size() * sizeof(float)},
              m->rows,
              m->cols,
              1.0f};
        });
    if (!bound.ok())
      return bound.status();
    std::vector<int32_t> ids(static_cast<size_t>(x.rows));
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

// Three rows per case: kernels over rows must keep them apart.
constexpr int64_t kRows = 3;

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
      absl::StatusOr<std::vector<float>> got =
          Run(OneCall(n, call, n), {x, 1, n});
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
      absl::StatusOr<std::vector<float>> got =
          Run(OneCall(2 * n, call, n), {x, 1, 2 * n});
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
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(n, call, n), {x, 1, n});
    ASSERT_TRUE(got.ok()) << "scale on " << GetParam() << ", " << n
                          << " elements: " << got.status();
    const ref::Tensor want = ref::ScaleBy({{n}, x}, float(0.0625 * 3));
    ExpectClose(*got, want.data, 0.0, "scale", n);
  }
}

// RMSNorm in each convention (none, 1 + w, w) over rows of odd widths:
// f32 sums of squares on the devices, f64 in the reference (within 1e-5).
TEST_P(BackendOps, RmsNormMatchesTheReferenceEvaluator) {
  for (int64_t width : {7, 64, 641}) {
    const Matrix x{Random(kRows * width, uint32_t(width), 2.0f), kRows, width};
    const Matrix w{Random(width, uint32_t(width + 1), 0.5f), 1, width};
    for (int kind = 0; kind < 3; ++kind) {
      plan::Call call;
      call.kernel = plan::Kernel::kRmsNorm;
      call.buffers = {Input(0, kRows * width),
                      Result(kRows * width, kRows * width)};
      call.weights = {kind == 0 ? "" : "w"};
      call.ints = {kRows, width, kind};
      call.reals = {1e-6};
      const std::string kernel = fmt::format("rms_norm(kind {})", kind);
      absl::StatusOr<std::vector<float>> got =
          Run(OneCall(width, call, kRows * width, kRows), x, {{"w", w}});
      ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ", " << kRows
                            << " x " << width << ": " << got.status();
      const ref::WeightRows rows = w.Rows();
      const ref::Tensor want =
          ref::RmsNorm({{kRows, width}, x.values}, kind == 0 ? nullptr : &rows,
                       ref::NormWeight(kind), 1e-6f);
      ExpectClose(*got, want.data, 1e-5, kernel, kRows * width);
    }
  }
}

// Softmax over rows of odd widths, with a -inf entry (a masked score) in
// each: exp on the devices within a few ulp of libm's (1e-6).
TEST_P(BackendOps, SoftmaxMatchesTheReferenceEvaluator) {
  for (int64_t width : {1, 7, 64, 1001}) {
    Matrix x{Random(kRows * width, uint32_t(width + 3), 3.0f), kRows, width};
    if (width > 1)
      for (int64_t row = 0; row < kRows; ++row)
        x.values[size_t(row * width + row % width)] =
            -std::numeric_limits<float>::infinity();
    plan::Call call;
    call.kernel = plan::Kernel::kSoftmax;
    call.buffers = {Input(0, kRows * width),
                    Result(kRows * width, kRows * width)};
    call.ints = {kRows, width};
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(width, call, kRows * width, kRows), x);
    ASSERT_TRUE(got.ok()) << "softmax on " << GetParam() << ", " << kRows
                          << " x " << width << ": " << got.status();
    absl::StatusOr<ref::Tensor> want = ref::Softmax({{kRows, width}, x.values});
    ASSERT_TRUE(want.ok());
    ExpectClose(*got, want->data, 1e-6, "softmax", kRows * width);
  }
}

// RoPE at positions 0..2 (position 0 is the identity: the rows must not
// be mixed up) with full and partial rotation and linear scaling: angles in
// f64 on the host and double-float on the devices (within 1e-5).
TEST_P(BackendOps, RopeMatchesTheReferenceEvaluator) {
  const int64_t heads = 2;
  for (int64_t dim : {8, 64, 256}) {
    for (auto [base, scale, fraction] :
         {std::tuple{10000.0, 1.0, 1.0}, std::tuple{1000000.0, 8.0, 0.25}}) {
      const int64_t width = heads * dim;
      const Matrix x{Random(kRows * width, uint32_t(dim), 2.0f), kRows, width};
      plan::Call call;
      call.kernel = plan::Kernel::kRope;
      call.buffers = {Input(0, kRows * width), Positions(kRows),
                      Result(kRows * width, kRows * width)};
      call.ints = {kRows, heads, dim};
      call.reals = {base, scale, fraction};
      const std::string kernel = fmt::format(
          "rope(base {}, scale {}, fraction {})", base, scale, fraction);
      absl::StatusOr<std::vector<float>> got =
          Run(OneCall(width, call, kRows * width, kRows), x);
      ASSERT_TRUE(got.ok())
          << kernel << " on " << GetParam() << ", " << kRows << " x " << heads
          << " x " << dim << ": " << got.status();
      const std::vector<int32_t> positions = {0, 1, 2};
      const ref::Tensor want = ref::Rope({{kRows, heads, dim}, x.values},
                                         positions, base, scale, fraction);
      ExpectClose(*got, want.data, 1e-5, kernel, kRows * width);
    }
  }
}

// A matmul of f32 rows through two row ranges (the stacked q/k/v and
// gate/up tensors), widths that leave partial vectors and tiles: f32 sums
// in another order on each device (within 1e-5 of max(1, |y|)).
TEST_P(BackendOps, MatmulMatchesTheReferenceEvaluator) {
  for (int64_t in : {5, 64, 333}) {
    const int64_t stored = 40, out = 24;
    const Matrix x{Random(kRows * in, uint32_t(in), 1.0f), kRows, in};
    const Matrix w{Random(stored * in, uint32_t(in + 9), 0.2f), stored, in};
    plan::Call call;
    call.kernel = plan::Kernel::kMatmul;
    call.buffers = {Input(0, kRows * in), Result(kRows * in, kRows * out)};
    call.weights = {"w"};
    call.ints = {kRows, in, out, 2, 30, 40, 0, 14};
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(in, call, kRows * out, kRows), x, {{"w", w}});
    ASSERT_TRUE(got.ok()) << "matmul on " << GetParam() << ", " << kRows
                          << " x " << in << " -> " << out << ": "
                          << got.status();
    const std::vector<ref::RowRange> ranges = {{30, 40}, {0, 14}};
    const ref::Tensor want =
        ref::Matmul({{kRows, in}, x.values}, w.Rows(), ranges, {kRows, out});
    ExpectClose(*got, want.data, 1e-5, "matmul", kRows * out);
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
      plan::Kernel::kUnary,   plan::Kernel::kAdd,   plan::Kernel::kMul,
      plan::Kernel::kScale,   plan::Kernel::kEmbed, plan::Kernel::kRmsNorm,
      plan::Kernel::kSoftmax, plan::Kernel::kRope,  plan::Kernel::kMatmul};
  const std::set<plan::Kernel> kNotCheckedYet = {
      plan::Kernel::kMatmulHeads,  plan::Kernel::kKvWrite,
      plan::Kernel::kAttnScores,   plan::Kernel::kWindowMask,
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
