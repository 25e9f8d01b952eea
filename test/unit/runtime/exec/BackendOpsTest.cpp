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
#include "kernels/common/ElementwiseFunctions.h"
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

// A program over `rows` token rows (ids and positions 0..rows-1): inputs
// k = 0, 1, ... (weight "in<k>": rows x widths[k] f32 values, embedded
// one after another into the arena: the embed kernel copies a row
// exactly), then `call`, whose result is the `out` elements after the
// inputs (Result), then `scratch` elements. (A program's result
// is [rows, out / rows] logits to the CUDA backend: out is a multiple of
// rows.)
plan::Program Program(int64_t rows, const std::vector<int64_t> &widths,
                      plan::Call call, int64_t out, int64_t scratch = 0) {
  plan::Program program;
  program.name = "one-call";
  program.arg_elements = {rows, rows};
  int64_t at = 0;
  for (size_t k = 0; k < widths.size(); ++k) {
    plan::Call embed;
    embed.kernel = plan::Kernel::kEmbed;
    embed.buffers = {{0, 0, rows}, {-1, at, rows * widths[k]}};
    embed.weights = {"in" + std::to_string(k)};
    embed.ints = {rows, widths[k]};
    embed.reals = {1.0};
    program.calls.push_back(embed);
    at += rows * widths[k];
  }
  program.calls.push_back(std::move(call));
  program.arena_elements = at + out + scratch;
  program.outputs = {{-1, at, out}};
  return program;
}
plan::Program OneCall(int64_t width, plan::Call call, int64_t out,
                      int64_t rows = 1) {
  return Program(rows, {width}, std::move(call), out);
}

// The arena range [at, at + n): the inputs a Program embedded, and past its
// result the scratch a call writes (sums, caches, a fused kernel's
// intermediates); Result is the range the program returns, after `width`
// input elements; Positions the positions argument.
plan::Buffer Input(int64_t at, int64_t n) { return {-1, at, n}; }
plan::Buffer Scratch(int64_t at, int64_t n) { return {-1, at, n}; }
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

  // `program` (a Program) run over its `inputs` and the other weights its
  // call names. GPU backends keep uploaded weights by name, so each run's
  // weights get names of their own.
  absl::StatusOr<std::vector<float>>
  Run(plan::Program program, const std::vector<Matrix> &inputs,
      const std::map<std::string, Matrix> &weights = {}) {
    const std::string suffix = "#" + std::to_string(runs_++);
    for (plan::Call &call : program.calls)
      for (std::string &name : call.weights)
        if (!name.empty())
          name += suffix;
    absl::StatusOr<std::unique_ptr<BackendProgram>> bound = backend_->Compile(
        program, [&](const std::string &name) -> absl::StatusOr<StoredTensor> {
          const std::string base = name.substr(0, name.size() - suffix.size());
          const Matrix *m = nullptr;
          for (size_t k = 0; k < inputs.size(); ++k)
            if (base == "in" + std::to_string(k))
              m = &inputs[k];
          if (auto it = weights.find(base); it != weights.end())
            m = &it->second;
          if (!m)
            return absl::NotFoundError(base);
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
    std::vector<int32_t> ids(static_cast<size_t>(inputs[0].rows));
    std::iota(ids.begin(), ids.end(), 0);
    std::unique_ptr<KvCaches> caches = backend_->NewCaches({});
    return (*bound)->Run(ids, ids, *caches);
  }
  absl::StatusOr<std::vector<float>>
  Run(plan::Program program, const Matrix &x,
      const std::map<std::string, Matrix> &weights = {}) {
    return Run(std::move(program), std::vector<Matrix>{x}, weights);
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
// each function's tails (N(0, 4); soft-capping at 5, scaling by 3/16). The
// reference evaluates the formula in f64; backends in f32 with their own
// tanh and erf (libm, Highway's vector tanh within 4 ulp of it, CUDA's,
// GLSL's tanh and a 1.5e-7 erf): within 2e-6 of max(1, |value|).
TEST_P(BackendOps, UnaryFunctionsMatchTheReferenceEvaluator) {
  for (int code = 0; code < kUnaryFnCount; ++code) {
    const UnaryFn fn = UnaryFn(code);
    const float parameter = fn == UnaryFn::kSoftcap ? 5.0f
                            : fn == UnaryFn::kScale ? 0.1875f
                                                    : 0.0f;
    const std::string kernel = fmt::format("unary({})", UnaryFnName(code));
    for (int64_t n : kSizes) {
      const std::vector<float> x = Random(n, uint32_t(17 * code + n), 4.0f);
      plan::Call call;
      call.kernel = plan::Kernel::kUnary;
      call.buffers = {Input(0, n), Result(n, n)};
      call.weights = {""};
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

// A unary function's parameter from a one-element weight (Gemma 4's layer
// scalar through `scale`) instead of the call's real, which is then
// ignored: one f32 rounding, exact.
TEST_P(BackendOps, UnaryParameterFromAScalarWeight) {
  for (int64_t n : kSizes) {
    const std::vector<float> x = Random(n, uint32_t(n + 11), 2.0f);
    plan::Call call;
    call.kernel = plan::Kernel::kUnary;
    call.buffers = {Input(0, n), Result(n, n)};
    call.weights = {"scalar"};
    call.ints = {n, int64_t(UnaryFn::kScale)};
    call.reals = {7.0};
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(n, call, n), {x, 1, n}, {{"scalar", {{-0.3125f}, 1, 1}}});
    ASSERT_TRUE(got.ok()) << "unary(scale) by a weight on " << GetParam()
                          << ", " << n << " elements: " << got.status();
    const ref::Tensor want = ref::Unary({{n}, x}, UnaryFn::kScale, -0.3125f);
    ExpectClose(*got, want.data, 0.0, "unary(scale) by a weight", n);
  }
}

// Every row of the binary function table (add, mul) on two random rows:
// one f32 rounding each, exact on every backend (a device must not
// contract them with anything).
TEST_P(BackendOps, BinaryFunctionsMatchTheReferenceEvaluator) {
  for (int code = 0; code < kBinaryFnCount; ++code) {
    const std::string kernel = fmt::format("binary({})", BinaryFnName(code));
    for (int64_t n : kSizes) {
      const std::vector<float> x = Random(2 * n, uint32_t(n + 5), 2.0f);
      plan::Call call;
      call.kernel = plan::Kernel::kBinary;
      call.buffers = {Input(0, n), Input(n, n), Result(2 * n, n)};
      call.ints = {n, code};
      absl::StatusOr<std::vector<float>> got =
          Run(OneCall(2 * n, call, n), {x, 1, 2 * n});
      ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ", " << n
                            << " elements: " << got.status();
      const ref::Tensor a{{n}, {x.begin(), x.begin() + n}},
          b{{n}, {x.begin() + n, x.end()}};
      const ref::Tensor want = ref::Binary(a, b, BinaryFn(code));
      ExpectClose(*got, want.data, 0.0, kernel, n);
    }
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

// A weight that does not fit its call is refused when the program is
// bound, with the same message on every backend (runtime/plan/
// WeightChecks.h): the matmul's rows reach past the stored ones. (The
// harness names the weight by its test tensor, "proj#0".)
TEST_P(BackendOps, AWeightThatDoesNotFitIsRefusedByName) {
  const int64_t in = 16, stored = 8, out = 12;
  const Matrix x{Random(kRows * in, 61, 1.0f), kRows, in};
  const Matrix w{Random(stored * in, 62, 0.2f), stored, in};
  plan::Call call;
  call.kernel = plan::Kernel::kMatmul;
  call.buffers = {Input(0, kRows * in), Result(kRows * in, kRows * out)};
  call.weights = {"proj"};
  call.ints = {kRows, in, out, 0};
  absl::StatusOr<std::vector<float>> got =
      Run(OneCall(in, call, kRows * out, kRows), x, {{"proj", w}});
  ASSERT_FALSE(got.ok()) << "matmul on " << GetParam();
  EXPECT_NE(std::string(got.status().message())
                .find("does not fit: 8 x 16, the call reads 16 columns and "
                      "rows up to 12"),
            std::string::npos)
      << GetParam() << ": " << got.status();
  EXPECT_NE(std::string(got.status().message()).find("weight 'proj"),
            std::string::npos);
}

// Logits over the first `vocab` rows of an embedding table, plain and
// soft-capped (the final cap of Gemma 2 and 4): within 1e-5.
TEST_P(BackendOps, LogitsMatchTheReferenceEvaluator) {
  const int64_t width = 96, stored = 50, vocab = 45;
  const Matrix x{Random(kRows * width, 41, 1.0f), kRows, width};
  const Matrix table{Random(stored * width, 42, 1.0f), stored, width};
  for (float cap : {0.0f, 5.0f}) {
    plan::Call call;
    call.kernel = plan::Kernel::kLogits;
    call.buffers = {Input(0, kRows * width),
                    Result(kRows * width, kRows * vocab)};
    call.weights = {"t"};
    call.ints = {kRows, width, vocab};
    call.reals = {cap};
    const std::string kernel = fmt::format("logits(cap {})", cap);
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(width, call, kRows * vocab, kRows), x, {{"t", table}});
    ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ": "
                          << got.status();
    ref::Tensor want =
        ref::Logits({{kRows, width}, x.values}, table.Rows(), vocab);
    if (cap > 0)
      want = ref::Softcap(want, cap);
    ExpectClose(*got, want.data, 1e-5, kernel, kRows * vocab);
  }
}

// The head-major matmul (the attention output projection of .sbs files):
// w is [heads * out, in_h]; within 1e-5.
TEST_P(BackendOps, MatmulHeadsMatchesTheReferenceEvaluator) {
  const int64_t heads = 3, in_h = 40, out = 17;
  const Matrix x{Random(kRows * heads * in_h, 43, 1.0f), kRows, heads * in_h};
  const Matrix w{Random(heads * out * in_h, 44, 0.3f), heads * out, in_h};
  plan::Call call;
  call.kernel = plan::Kernel::kMatmulHeads;
  call.buffers = {Input(0, kRows * heads * in_h),
                  Result(kRows * heads * in_h, kRows * out)};
  call.weights = {"w"};
  call.ints = {kRows, heads, in_h, out};
  absl::StatusOr<std::vector<float>> got =
      Run(OneCall(heads * in_h, call, kRows * out, kRows), x, {{"w", w}});
  ASSERT_TRUE(got.ok()) << "matmul_heads on " << GetParam() << ": "
                        << got.status();
  const ref::Tensor want = ref::MatmulHeads({{kRows, heads, in_h}, x.values},
                                            w.Rows(), {kRows, out});
  ExpectClose(*got, want.data, 1e-5, "matmul_heads", kRows * out);
}

// residual_norm: sum = a + b (kept for the next residual), then RMSNorm of
// the sum with a 1 + w weight; the normed rows within 1e-5.
TEST_P(BackendOps, ResidualNormMatchesTheReferenceEvaluator) {
  const int64_t width = 130, n = kRows * width;
  const Matrix a{Random(n, 45, 2.0f), kRows, width},
      b{Random(n, 46, 2.0f), kRows, width};
  const Matrix w{Random(width, 47, 0.5f), 1, width};
  plan::Call call;
  call.kernel = plan::Kernel::kResidualNorm;
  call.buffers = {Input(0, n), Input(n, n), Scratch(3 * n, n),
                  Result(2 * n, n)};
  call.weights = {"w"};
  call.ints = {kRows, width, 1};
  call.reals = {1e-6};
  absl::StatusOr<std::vector<float>> got =
      Run(Program(kRows, {width, width}, call, n, n), {a, b}, {{"w", w}});
  ASSERT_TRUE(got.ok()) << "residual_norm on " << GetParam() << ": "
                        << got.status();
  const ref::WeightRows rows = w.Rows();
  const ref::Tensor want = ref::RmsNorm(
      ref::Add({{kRows, width}, a.values}, {{kRows, width}, b.values}), &rows,
      ref::NormWeight::kPlusOne, 1e-6f);
  ExpectClose(*got, want.data, 1e-5, "residual_norm", n);
}

// GeGLU: gelu_tanh(x . gate) * (x . up), the up rows through a range of a
// stacked tensor (as in .sbs files), within 1e-5.
TEST_P(BackendOps, GegluMatchesTheReferenceEvaluator) {
  const int64_t in = 72, width = 20;
  const Matrix x{Random(kRows * in, 48, 1.0f), kRows, in};
  const Matrix gate{Random(width * in, 49, 0.3f), width, in},
      up{Random(2 * width * in, 50, 0.3f), 2 * width, in};
  plan::Call call;
  call.kernel = plan::Kernel::kGeglu;
  call.buffers = {Input(0, kRows * in), Result(kRows * in, kRows * width),
                  Scratch(kRows * in + kRows * width, kRows * width)};
  call.weights = {"g", "u"};
  call.ints = {kRows, in, width, 0, 1, width, 2 * width};
  absl::StatusOr<std::vector<float>> got =
      Run(Program(kRows, {in}, call, kRows * width, kRows * width), x,
          {{"g", gate}, {"u", up}});
  ASSERT_TRUE(got.ok()) << "geglu on " << GetParam() << ": " << got.status();
  const ref::Tensor xt{{kRows, in}, x.values};
  const std::vector<ref::RowRange> up_rows = {{width, 2 * width}};
  const ref::Tensor want =
      ref::Mul(ref::GeluTanh(ref::Matmul(xt, gate.Rows(), {}, {kRows, width})),
               ref::Matmul(xt, up.Rows(), up_rows, {kRows, width}));
  ExpectClose(*got, want.data, 1e-5, "geglu", kRows * width);
}

// norm_matmul: RMSNorm over heads of `width` values (a plain weight), then
// the matmul of the whole row; within 1e-5.
TEST_P(BackendOps, NormMatmulMatchesTheReferenceEvaluator) {
  const int64_t in = 64, width = 32, out = 24;
  const Matrix x{Random(kRows * in, 51, 2.0f), kRows, in};
  const Matrix norm{Random(width, 52, 0.5f), 1, width},
      w{Random(out * in, 53, 0.3f), out, in};
  plan::Call call;
  call.kernel = plan::Kernel::kNormMatmul;
  call.buffers = {Input(0, kRows * in), Result(kRows * in, kRows * out),
                  Scratch(kRows * in + kRows * out, kRows * in)};
  call.weights = {"n", "w"};
  call.ints = {kRows, in, out, width, 2, 0};
  call.reals = {1e-6};
  absl::StatusOr<std::vector<float>> got =
      Run(Program(kRows, {in}, call, kRows * out, kRows * in), x,
          {{"n", norm}, {"w", w}});
  ASSERT_TRUE(got.ok()) << "norm_matmul on " << GetParam() << ": "
                        << got.status();
  const ref::WeightRows norm_rows = norm.Rows();
  const ref::Tensor normed =
      ref::RmsNorm({{kRows * in / width, width}, x.values}, &norm_rows,
                   ref::NormWeight::kPlain, 1e-6f);
  const ref::Tensor want =
      ref::Matmul({{kRows, in}, normed.data}, w.Rows(), {}, {kRows, out});
  ExpectClose(*got, want.data, 1e-5, "norm_matmul", kRows * out);
}

// Attention over a ring of 6 cache slots holding positions 0..2 (the rest
// never written: masked), 4 query heads on 2 key/value heads, values wider
// than keys; the unfused pieces one by one and the fused kernel, with and
// without a window of 2 and a soft-cap. The reference composes scores,
// cap, mask, softmax and values; within 1e-5.
struct AttentionCase {
  static constexpr int64_t kHeads = 4, kDim = 16, kSlots = 6, kKv = 2,
                           kValueDim = 24;
  Matrix q{Random(kRows * kHeads * kDim, 61, 1.0f), kRows, kHeads * kDim};
  // Keys and values [1, slots, kv heads, dim] as rows of the token count.
  Matrix keys{Random(kSlots * kKv * kDim, 62, 1.0f), kRows,
              kSlots * kKv * kDim / kRows};
  Matrix values{Random(kSlots * kKv * kValueDim, 63, 1.0f), kRows,
                kSlots * kKv * kValueDim / kRows};
  std::vector<int64_t> Shape() const {
    return {kRows, kHeads, kDim, 1, kSlots, kKv, kValueDim};
  }
  ref::Tensor Q() const { return {{kRows, kHeads, kDim}, q.values}; }
  ref::Tensor Keys() const { return {{1, kSlots, kKv, kDim}, keys.values}; }
  ref::Tensor Values() const {
    return {{1, kSlots, kKv, kValueDim}, values.values};
  }
  std::vector<int64_t> Widths() const {
    return {q.cols, keys.cols, values.cols};
  }
  // The rows' positions, and the inputs' sizes in the arena.
  std::vector<int32_t> positions = {0, 1, 2};
  int64_t nq = int64_t(q.values.size()), nk = int64_t(keys.values.size()),
          nv = int64_t(values.values.size());
};

TEST_P(BackendOps, AttentionPiecesMatchTheReferenceEvaluator) {
  const AttentionCase c;
  const std::vector<int32_t> &positions = c.positions;
  const int64_t nq = c.nq, nk = c.nk, nv = c.nv;
  const int64_t ns = kRows * c.kHeads * c.kSlots;
  const float scale = 0.25f;
  // attn_scores
  plan::Call scores;
  scores.kernel = plan::Kernel::kAttnScores;
  scores.buffers = {Input(0, nq), Input(nq, nk), Result(nq + nk + nv, ns)};
  scores.ints = c.Shape();
  scores.reals = {scale};
  absl::StatusOr<std::vector<float>> got =
      Run(Program(kRows, c.Widths(), scores, ns), {c.q, c.keys, c.values});
  ASSERT_TRUE(got.ok()) << "attn_scores on " << GetParam() << ": "
                        << got.status();
  const ref::Tensor want_scores = ref::AttnScores(c.Q(), c.Keys(), scale);
  ExpectClose(*got, want_scores.data, 1e-5, "attn_scores", ns);
  // window_mask, on the scores as input
  for (int64_t window : {0, 2}) {
    const Matrix s{want_scores.data, kRows, c.kHeads * c.kSlots};
    plan::Call mask;
    mask.kernel = plan::Kernel::kWindowMask;
    mask.buffers = {Input(0, ns), Positions(kRows), Result(ns, ns)};
    mask.ints = {kRows, c.kHeads, c.kSlots, window};
    got = Run(OneCall(s.cols, mask, ns, kRows), s);
    const std::string kernel = fmt::format("window_mask(window {})", window);
    ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ": "
                          << got.status();
    const ref::Tensor want = ref::WindowMask(
        want_scores, positions,
        window > 0 ? std::optional<int64_t>(window) : std::nullopt);
    for (size_t k = 0; k < want.data.size(); ++k)
      if (std::isinf(want.data[k]))
        EXPECT_TRUE(std::isinf((*got)[k]) && (*got)[k] < 0)
            << kernel << " on " << GetParam() << ": value " << k
            << " is not masked";
      else
        EXPECT_EQ((*got)[k], want.data[k])
            << kernel << " on " << GetParam() << ": value " << k;
  }
  // attn_values, on random probabilities
  const Matrix probs{Random(ns, 64, 0.3f), kRows, c.kHeads * c.kSlots};
  const int64_t no = kRows * c.kHeads * c.kValueDim;
  plan::Call values;
  values.kernel = plan::Kernel::kAttnValues;
  values.buffers = {Input(0, ns), Input(ns, nv), Result(ns + nv, no)};
  values.ints = c.Shape();
  got = Run(Program(kRows, {probs.cols, c.values.cols}, values, no),
            {probs, c.values});
  ASSERT_TRUE(got.ok()) << "attn_values on " << GetParam() << ": "
                        << got.status();
  const ref::Tensor want_values =
      ref::AttnValues({{kRows, c.kHeads, c.kSlots}, probs.values}, c.Values());
  ExpectClose(*got, want_values.data, 1e-5, "attn_values", no);
}

TEST_P(BackendOps, FusedAttentionMatchesTheReferenceEvaluator) {
  const AttentionCase c;
  const std::vector<int32_t> &positions = c.positions;
  const int64_t nq = c.nq, nk = c.nk, nv = c.nv;
  const int64_t no = kRows * c.kHeads * c.kValueDim;
  const float scale = 0.25f;
  for (auto [window, cap] :
       {std::pair{int64_t(0), 0.0f}, std::pair{int64_t(2), 3.0f}}) {
    plan::Call call;
    call.kernel = plan::Kernel::kAttention;
    call.buffers = {Input(0, nq), Input(nq, nk), Input(nq + nk, nv),
                    Positions(kRows), Result(nq + nk + nv, no)};
    call.ints = c.Shape();
    call.ints.push_back(window);
    call.reals = {scale, cap};
    const std::string kernel =
        fmt::format("attention(window {}, cap {})", window, cap);
    absl::StatusOr<std::vector<float>> got =
        Run(Program(kRows, c.Widths(), call, no), {c.q, c.keys, c.values});
    ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ": "
                          << got.status();
    ref::Tensor scores = ref::AttnScores(c.Q(), c.Keys(), scale);
    if (cap > 0)
      scores = ref::Softcap(scores, cap);
    absl::StatusOr<ref::Tensor> probs = ref::Softmax(ref::WindowMask(
        scores, positions,
        window > 0 ? std::optional<int64_t>(window) : std::nullopt));
    ASSERT_TRUE(probs.ok());
    const ref::Tensor want = ref::AttnValues(*probs, c.Values());
    ExpectClose(*got, want.data, 1e-5, kernel, no);
  }
}

// kv_write: rows at positions 0..2 into rings of 3 slots, of one sequence
// (every slot written) and of one sequence per row; the written slots are
// exact copies.
TEST_P(BackendOps, KvWriteMatchesTheReferenceEvaluator) {
  const int64_t heads = 2, dim = 12, width = heads * dim;
  const Matrix x{Random(kRows * width, 71, 1.0f), kRows, width};
  for (int64_t batch : {int64_t(1), kRows}) {
    const int64_t slots = kRows;
    const int64_t cache = batch * slots * width;
    plan::Call call;
    call.kernel = plan::Kernel::kKvWrite;
    call.buffers = {Input(0, kRows * width), Positions(kRows),
                    Result(kRows * width, cache)};
    call.ints = {batch, slots, width, kRows};
    const std::string kernel = fmt::format("kv_write(batch {})", batch);
    absl::StatusOr<std::vector<float>> got =
        Run(OneCall(width, call, cache, kRows), x);
    ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ": "
                          << got.status();
    const std::vector<int32_t> positions = {0, 1, 2};
    // Each sequence of a per-row batch gets its row at its position; the
    // other slots stay as the arena started (compared where written).
    const ref::Tensor want =
        ref::KvWrite(ref::Tensor::Zeros({batch, slots, heads, dim}),
                     {{kRows, heads, dim}, x.values}, positions);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t r = 0; r < kRows; ++r) {
        if (batch > 1 && r != b)
          continue;
        const int64_t at = (b * slots + positions[size_t(r)] % slots) * width;
        for (int64_t k = 0; k < width; ++k)
          EXPECT_EQ((*got)[size_t(at + k)], want.data[size_t(at + k)])
              << kernel << " on " << GetParam() << ": row " << r << " value "
              << k;
      }
  }
}

// The routed experts of a Gemma 4 MoE layer: 5 experts, the top 2 of each
// row by its router logits, gate/up stacked per expert; within 1e-5.
TEST_P(BackendOps, MoeExpertsMatchTheReferenceEvaluator) {
  const int64_t d = 24, experts = 5, ff = 16, top_k = 2;
  const Matrix x{Random(kRows * d, 72, 1.0f), kRows, d};
  const Matrix logits{Random(kRows * experts, 73, 2.0f), kRows, experts};
  const Matrix scale{Random(experts, 74, 1.0f), 1, experts},
      gate_up{Random(2 * experts * ff * d, 75, 0.3f), 2 * experts * ff, d},
      down{Random(experts * d * ff, 76, 0.3f), experts * d, ff};
  plan::Call call;
  call.kernel = plan::Kernel::kMoeExperts;
  call.buffers = {Input(0, kRows * d), Input(kRows * d, kRows * experts),
                  Result(kRows * (d + experts), kRows * d)};
  call.weights = {"s", "gu", "dn"};
  call.ints = {kRows, d, experts, ff, top_k};
  absl::StatusOr<std::vector<float>> got =
      Run(Program(kRows, {d, experts}, call, kRows * d), {x, logits},
          {{"s", scale}, {"gu", gate_up}, {"dn", down}});
  ASSERT_TRUE(got.ok()) << "moe_experts on " << GetParam() << ": "
                        << got.status();
  const ref::Tensor want =
      ref::MoeExperts({{kRows, d}, x.values}, {{kRows, experts}, logits.values},
                      scale.Rows(), gate_up.Rows(), down.Rows(), top_k);
  ExpectClose(*got, want.data, 1e-5, "moe_experts", kRows * d);
}

// qkv_rope: the q, k and v projections of one stacked tensor (row
// ranges), the QK-norms (1 + w) and RoPE at positions 0..2, and both cache
// writes; then K=V (no value weight: v is k before its norm and RoPE) with
// the weightless value norm. The q, k and v results are compared within
// 1e-5 (the caches are kv_write's, checked above).
TEST_P(BackendOps, QkvRopeMatchesTheReferenceEvaluator) {
  const int64_t d = 48, heads = 2, dim = 16, slots = 4;
  const Matrix x{Random(kRows * d, 81, 1.0f), kRows, d};
  const Matrix w{Random((heads + 2) * dim * d, 82, 0.3f), (heads + 2) * dim, d};
  const Matrix qn{Random(dim, 83, 0.5f), 1, dim},
      kn{Random(dim, 84, 0.5f), 1, dim};
  const std::vector<int32_t> positions = {0, 1, 2};
  const ref::Tensor xt{{kRows, d}, x.values};
  for (bool keqv : {false, true}) {
    const int64_t nq = kRows * heads * dim, nk = kRows * dim, nv = kRows * dim;
    const int64_t out = nq + nk + nv, at = kRows * d;
    plan::Call call;
    call.kernel = plan::Kernel::kQkvRope;
    call.buffers = {Input(0, at),
                    Positions(kRows),
                    Scratch(at + out, slots * dim),
                    Scratch(at + out + slots * dim, slots * dim),
                    Result(at, nq),
                    Scratch(at + nq, nk),
                    Scratch(at + nq + nk, nv)};
    call.weights = {"w", "w", keqv ? "" : "w", keqv ? "" : "qn",
                    keqv ? "" : "kn"};
    // q: rows [0, heads * dim); k: the next dim rows; v: the last dim.
    call.ints = {kRows,
                 d,
                 heads,
                 dim,
                 1,
                 slots,
                 1,
                 1,
                 slots,
                 1,
                 dim,
                 keqv ? 0 : 1,
                 keqv ? 1 : 0,
                 1,
                 0,
                 heads * dim,
                 1,
                 heads * dim,
                 (heads + 1) * dim,
                 keqv ? 0 : 1};
    if (!keqv) {
      call.ints.push_back((heads + 1) * dim);
      call.ints.push_back((heads + 2) * dim);
    }
    call.reals = {1e-6, 10000.0, 1.0, 1.0};
    const std::string kernel = fmt::format("qkv_rope(k=v {})", keqv);
    absl::StatusOr<std::vector<float>> got =
        Run(Program(kRows, {d}, call, out, 2 * slots * dim), x,
            {{"w", w}, {"qn", qn}, {"kn", kn}});
    ASSERT_TRUE(got.ok()) << kernel << " on " << GetParam() << ": "
                          << got.status();
    const std::vector<ref::RowRange> q_rows = {{0, heads * dim}},
                                     k_rows = {{heads * dim,
                                                (heads + 1) * dim}},
                                     v_rows = {{(heads + 1) * dim,
                                                (heads + 2) * dim}};
    ref::Tensor q = ref::Matmul(xt, w.Rows(), q_rows, {kRows, heads, dim});
    ref::Tensor k = ref::Matmul(xt, w.Rows(), k_rows, {kRows, 1, dim});
    ref::Tensor v =
        keqv ? k : ref::Matmul(xt, w.Rows(), v_rows, {kRows, 1, dim});
    if (!keqv) {
      const ref::WeightRows qr = qn.Rows(), kr = kn.Rows();
      q = ref::RmsNorm(q, &qr, ref::NormWeight::kPlusOne, 1e-6f);
      k = ref::RmsNorm(k, &kr, ref::NormWeight::kPlusOne, 1e-6f);
    } else {
      v = ref::RmsNorm(v, nullptr, ref::NormWeight::kNone, 1e-6f);
    }
    q = ref::Rope(q, positions, 10000.0, 1.0, 1.0);
    k = ref::Rope(k, positions, 10000.0, 1.0, 1.0);
    std::vector<float> want = q.data;
    want.insert(want.end(), k.data.begin(), k.data.end());
    want.insert(want.end(), v.data.begin(), v.data.end());
    ExpectClose(*got, want, 1e-5, kernel, out);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendOps,
                         ::testing::Values("cpu", "vulkan", "cuda-sim", "cuda"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           std::string name = i.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The kernels the cases above check (embed in every case: the harness
// reads its inputs through it). A new kernel must join this list, so it
// cannot be added unchecked.
TEST(BackendOps, EveryKernelIsCheckedHere) {
  const std::set<plan::Kernel> kChecked = {
      plan::Kernel::kUnary,      plan::Kernel::kBinary,
      plan::Kernel::kEmbed,      plan::Kernel::kRmsNorm,
      plan::Kernel::kSoftmax,    plan::Kernel::kRope,
      plan::Kernel::kMatmul,     plan::Kernel::kMatmulHeads,
      plan::Kernel::kKvWrite,    plan::Kernel::kAttnScores,
      plan::Kernel::kWindowMask, plan::Kernel::kAttnValues,
      plan::Kernel::kLogits,     plan::Kernel::kAttention,
      plan::Kernel::kGeglu,      plan::Kernel::kResidualNorm,
      plan::Kernel::kNormMatmul, plan::Kernel::kQkvRope,
      plan::Kernel::kMoeExperts};
  for (uint32_t k = 0; k < plan::kKernelCount; ++k)
    EXPECT_EQ(kChecked.count(plan::Kernel(k)), 1u)
        << plan::KernelName(plan::Kernel(k))
        << ": add a BackendOps case for it, then name it here";
}

} // namespace
} // namespace gemma
