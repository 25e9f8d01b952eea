//===- CpuKernelsTest.cpp - CPU kernels against the reference evaluator ---===//
//
// Every kernel on random inputs (never zeros) and random stored weights of
// every type, against the reference kernels (f64 accumulation). The CPU
// kernels accumulate in f32: agreement to 1e-5 of the result's magnitude.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "compiler/reference/Kernels.h"
#include "compiler/reference/VisionKernels.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/GemmBf16.h"
#include "kernels/cpu/GgmlDot.h"
#include "kernels/cpu/SfpVbmi.h"
#include "kernels/cpu/SplitDot.h"
#include "kernels/cpu/Vector.h"
#include "kernels/cpu/VisionKernels.h"
#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/Encode.h"
#include "runtime/weights/codecs/Sfp.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <atomic>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <tuple>
#include <utility>

namespace gemma::cpu {
namespace {

// Every Highway target this binary has code for and this CPU runs (AVX-512
// and AVX2 on an AVX-512 host, AVX2 and SSE4 on an AVX2 one): the SIMD
// kernels' tests run once per target, each forced in turn.
// (Highway 1.0.3 lists them best first.) Read once, before any test forces
// a target: the list follows the forced one.
const std::vector<int64_t> &VectorTargets() {
  static const std::vector<int64_t> targets =
      hwy::SupportedAndGeneratedTargets();
  return targets;
}

bool Tested(int64_t target) {
  for (int64_t t : VectorTargets())
    if (t == target)
      return true;
  return false;
}

std::string TargetTestName(int64_t target) {
  std::string name = hwy::TargetName(target);
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

// Forces one target for the test's duration.
class ForcedTarget {
public:
  explicit ForcedTarget(int64_t target) {
    hwy::SetSupportedTargetsForTest(target);
  }
  ~ForcedTarget() { hwy::SetSupportedTargetsForTest(0); }
  ForcedTarget(const ForcedTarget &) = delete;
  ForcedTarget &operator=(const ForcedTarget &) = delete;
};

// Runs `body` once under each vector target, the target named in failures.
template <class F> void ForEachTarget(F body) {
  for (int64_t target : VectorTargets()) {
    ForcedTarget forced(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
}

TEST(VectorTargets, TheBestTargetOfThisCpuIsAmongThoseTested) {
  const std::vector<int64_t> targets = VectorTargets();
  ASSERT_FALSE(targets.empty());
  std::string names;
  for (int64_t t : targets)
    names += std::string(names.empty() ? "" : ", ") + hwy::TargetName(t);
  RecordProperty("targets", names);
  std::printf("vector targets under test: %s\n", names.c_str());
  // The first is the best target; forcing it is what dispatch picks.
  ForcedTarget forced(targets.front());
  EXPECT_STREQ(VectorTarget(), hwy::TargetName(targets.front()));
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_TRUE(Tested(HWY_AVX2));
  }
  if (__builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    EXPECT_TRUE(Tested(HWY_AVX3));
  }
#endif
}

namespace ref = gemma::reference;

std::vector<float> Random(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

// A stored weight and the same weight as reference rows.
struct Weight {
  std::vector<uint8_t> bytes;
  WeightView view;
  ref::WeightRows rows;
};

Weight MakeWeight(StoredType type, int64_t rows, int64_t cols, uint32_t seed,
                  float scale = 1.0f) {
  Weight w;
  std::vector<float> values = Random(rows * cols, seed);
  w.bytes.resize(PackedBytes(type, uint64_t(rows * cols)));
  EXPECT_TRUE(EncodeTensor(type, values, w.bytes).ok());
  w.view = {type, w.bytes.data(), rows, cols, scale};
  WeightView view = w.view;
  w.rows = {rows, cols,
            [view](int64_t row, float *out) { view.DecodeRow(row, out); }};
  return w;
}

ref::Tensor Make(std::vector<int64_t> shape, uint32_t seed) {
  ref::Tensor t = ref::Tensor::Zeros(std::move(shape));
  t.data = Random(t.NumElements(), seed);
  return t;
}

void ExpectClose(const std::vector<float> &got, const std::vector<float> &want,
                 double tolerance = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  double range = 0;
  for (float v : want)
    range = std::max(range, double(std::fabs(v)));
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tolerance * std::max(1.0, range))
        << "element " << i;
}

// A stored type's kernels under one forced vector target.
class TypedKernel
    : public ::testing::TestWithParam<std::tuple<StoredType, int64_t>> {
protected:
  StoredType Type() const { return std::get<0>(GetParam()); }

private:
  ForcedTarget target_{std::get<1>(GetParam())};
};

std::string TypeAndTarget(
    const ::testing::TestParamInfo<std::tuple<StoredType, int64_t>> &i) {
  return std::string(StoredTypeName(std::get<0>(i.param))) + "_" +
         TargetTestName(std::get<1>(i.param));
}

TEST_P(TypedKernel, MatmulWithRowRangesMatchesTheReference) {
  ThreadPool pool(3);
  // n = 1, 2: dot products from the stored rows (4 rows at a time, then
  // single rows); 5, 8, 40: the GEMM (Gemm.h) with one partial panel of
  // tokens, and with two or three (32 or 16 tokens a panel); 47 outputs from
  // ranges of 15 and 32 rows (tiles of 12 or 6 weight rows and the edges).
  // 232 inputs leave a tail after the vectors.
  for (int64_t in : {256, 232}) {
    Weight w = MakeWeight(Type(), 96, in, 1, 1.25f);
    for (int64_t n : {1, 2, 5, 8, 40}) {
      ref::Tensor x = Make({n, in}, 2);
      std::vector<RowRange> ranges = {{64, 79}, {8, 40}};
      std::vector<ref::RowRange> ref_ranges = {{64, 79}, {8, 40}};
      std::vector<float> y(n * 47);
      Matmul(pool, x.data.data(), n, in, w.view, ranges, 47, y.data());
      ExpectClose(y, ref::Matmul(x, w.rows, ref_ranges, {n, 47}).data);
      std::vector<float> all(n * 96);
      Matmul(pool, x.data.data(), n, in, w.view, {}, 96, all.data());
      ExpectClose(all, ref::Matmul(x, w.rows, {}, {n, 96}).data);
    }
  }
}

// One and two rows against more stored rows than a two-row block (64):
// 3 threads of about 80 outputs, row ranges crossing the blocks.
TEST_P(TypedKernel, TwoRowMatvecInBlocksMatchesTheReference) {
  ThreadPool pool(3);
  const int64_t in = 256;
  Weight w = MakeWeight(Type(), 300, in, 5, 1.25f);
  const std::vector<RowRange> ranges = {{0, 150}, {200, 290}};
  const std::vector<ref::RowRange> ref_ranges = {{0, 150}, {200, 290}};
  for (int64_t n : {1, 2}) {
    ref::Tensor x = Make({n, in}, 6);
    std::vector<float> y(n * 240);
    Matmul(pool, x.data.data(), n, in, w.view, ranges, 240, y.data());
    ExpectClose(y, ref::Matmul(x, w.rows, ref_ranges, {n, 240}).data);
  }
}

// gelu(x . gate) * (x . up) with row ranges, each thread combining its
// own columns: decode (1, 2 rows) and prefill (5, 40 rows: the GEMM with a
// partial panel) against the reference ops in sequence.
TEST_P(TypedKernel, GegluMatchesTheReferenceSequence) {
  ThreadPool pool(3);
  const int64_t in = 256, width = 40;
  Weight gate_up = MakeWeight(Type(), 96, in, 41);
  const std::vector<RowRange> gate_rows = {{50, 90}},
                              up_rows = {{0, 20}, {60, 80}};
  const std::vector<ref::RowRange> ref_gate = {{50, 90}},
                                   ref_up = {{0, 20}, {60, 80}};
  for (int64_t n : {1, 2, 5, 40}) {
    ref::Tensor x = Make({n, in}, 42);
    std::vector<float> y(n * width), u(n * width);
    Geglu(pool, x.data.data(), n, in, gate_up.view, gate_rows, gate_up.view,
          up_rows, width, y.data(), u.data());
    ref::Tensor want = ref::Mul(
        ref::GeluTanh(ref::Matmul(x, gate_up.rows, ref_gate, {n, width})),
        ref::Matmul(x, gate_up.rows, ref_up, {n, width}));
    ExpectClose(y, want.data);
  }
}

TEST_P(TypedKernel, HeadMajorMatmulMatchesTheReference) {
  ThreadPool pool(2);
  // 4 heads of 32 (then 40) inputs, 64 outputs: [4 * 64, in_h]; one and two
  // rows read the stored rows directly, three decode them first.
  for (int64_t in_h : {32, 40}) {
    Weight w = MakeWeight(Type(), 256, in_h, 3);
    for (int64_t n : {1, 2, 3}) {
      ref::Tensor x = Make({n, 4, in_h}, 4);
      std::vector<float> y(n * 64);
      MatmulHeads(pool, x.data.data(), n, 4, in_h, w.view, 64, y.data());
      ExpectClose(y, ref::MatmulHeads(x, w.rows, {n, 64}).data);
    }
  }
}

TEST_P(TypedKernel, LogitsAndEmbeddingMatchTheReference) {
  ThreadPool pool(2);
  Weight table = MakeWeight(Type(), 300, 64, 5);
  ref::Tensor x = Make({2, 64}, 6);
  std::vector<float> logits(2 * 280);
  Logits(pool, x.data.data(), 2, 64, table.view, 280, 0.0f, logits.data());
  ExpectClose(logits, ref::Logits(x, table.rows, 280).data);
  Logits(pool, x.data.data(), 2, 64, table.view, 280, 3.0f, logits.data());
  ExpectClose(logits, ref::Softcap(ref::Logits(x, table.rows, 280), 3.0f).data);

  std::vector<int32_t> ids = {7, 299, 0};
  std::vector<float> rows(3 * 64);
  Embed(ids.data(), 3, table.view, 8.0f, rows.data());
  ExpectClose(rows, ref::Embed(ids, table.rows, 8.0f)->data);
  // One layer's slice of a packed per-layer table: columns 16..39.
  std::vector<float> slice(3 * 24);
  Embed(ids.data(), 3, table.view, 2.5f, slice.data(), 16, 24);
  ExpectClose(slice, ref::Embed(ids, table.rows, 2.5f, 16, 24)->data);
}

// Rows routed to the same expert run as one matmul; several experts per
// row, random logits (one row with a tie, broken to the lower index).
TEST_P(TypedKernel, MoeExpertsMatchTheReference) {
  ThreadPool pool(2);
  const int64_t n = 5, d = 64, experts = 6, ff = 32, top_k = 2;
  Weight scale = MakeWeight(StoredType::kF32, 1, experts, 20);
  Weight gate_up = MakeWeight(Type(), experts * 2 * ff, d, 21);
  Weight down = MakeWeight(Type(), experts * d, ff, 22);
  ref::Tensor x = Make({n, d}, 23);
  ref::Tensor logits = Make({n, experts}, 24);
  logits.data[2 * experts + 1] = logits.data[2 * experts + 4] = 5.0f;
  std::vector<float> y(n * d);
  MoeExperts(pool, x.data.data(), logits.data.data(), n, d, experts, ff, top_k,
             scale.view, gate_up.view, down.view, y.data());
  ExpectClose(
      y, ref::MoeExperts(x, logits, scale.rows, gate_up.rows, down.rows, top_k)
             .data);
}

INSTANTIATE_TEST_SUITE_P(
    StoredTypes, TypedKernel,
    ::testing::Combine(::testing::Values(StoredType::kF32, StoredType::kBF16,
                                         StoredType::kSFP, StoredType::kNUQ),
                       ::testing::ValuesIn(VectorTargets())),
    TypeAndTarget);

// GGML block types have no encoder here: random blocks whose f16 scale
// fields hold small random halves (every other byte is valid as it is).
Weight MakeGgmlWeight(StoredType type, int64_t rows, int64_t cols,
                      uint32_t seed) {
  Weight w;
  std::mt19937 rng(seed);
  w.bytes.resize(PackedBytes(type, uint64_t(rows * cols)));
  for (uint8_t &b : w.bytes)
    b = uint8_t(rng());
  // Offsets of the f16 fields in each block (Ggml.cpp's layouts).
  std::vector<uint32_t> halves;
  switch (type) {
  case StoredType::kQ4_0:
  case StoredType::kQ5_0:
  case StoredType::kQ8_0:
    halves = {0};
    break;
  case StoredType::kQ4_1:
  case StoredType::kQ5_1:
  case StoredType::kQ4_K:
  case StoredType::kQ5_K:
    halves = {0, 2};
    break;
  case StoredType::kQ2_K:
    halves = {80, 82};
    break;
  case StoredType::kQ3_K:
    halves = {108};
    break;
  case StoredType::kQ6_K:
    halves = {208};
    break;
  default:
    break;
  }
  const uint32_t block = BlockBytes(type);
  for (size_t at = 0; at < w.bytes.size(); at += block)
    for (uint32_t h : halves) {
      // 0x1C00..0x23FF: halves between 2^-8 and 2^-6, either sign.
      const uint16_t bits =
          uint16_t(0x1C00 + rng() % 0x800) | uint16_t((rng() & 1) << 15);
      w.bytes[at + h] = uint8_t(bits);
      w.bytes[at + h + 1] = uint8_t(bits >> 8);
    }
  if (type == StoredType::kF16)
    for (size_t at = 0; at < w.bytes.size(); at += 2)
      w.bytes[at + 1] = uint8_t(0x30 + rng() % 8) | uint8_t(rng() & 0x80);
  w.view = {type, w.bytes.data(), rows, cols, 1.0f};
  WeightView view = w.view;
  w.rows = {rows, cols,
            [view](int64_t row, float *out) { view.DecodeRow(row, out); }};
  return w;
}

using GgmlKernel = TypedKernel;

// x . row `row` of w decoded, in f64, and the sum of |x_i w_i| that the
// row dots' tolerances are relative to.
std::pair<double, double> DecodeThenDot(const Weight &w, int64_t row,
                                        const std::vector<float> &x) {
  std::vector<float> decoded(x.size());
  w.view.DecodeRow(row, decoded.data());
  double dot = 0, magnitude = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    dot += double(x[i]) * decoded[i];
    magnitude += std::fabs(double(x[i]) * decoded[i]);
  }
  return {dot, magnitude};
}

// The quantized matvec (Q8_0 and Q5_0 dot products straight from the
// blocks; the other types decode rows first) against decode-then-dot in
// f64: 1e-5 of the result's magnitude.
TEST_P(GgmlKernel, MatmulAndLogitsMatchDecodeThenDot) {
  ThreadPool pool(2);
  Weight w = MakeGgmlWeight(Type(), 40, 512, 9);
  for (int64_t n : {1, 2, 5}) {
    ref::Tensor x = Make({n, 512}, 10);
    std::vector<RowRange> ranges = {{30, 40}, {0, 6}};
    std::vector<ref::RowRange> ref_ranges = {{30, 40}, {0, 6}};
    std::vector<float> y(n * 16);
    Matmul(pool, x.data.data(), n, 512, w.view, ranges, 16, y.data());
    ExpectClose(y, ref::Matmul(x, w.rows, ref_ranges, {n, 16}).data);
    std::vector<float> logits(n * 40);
    Logits(pool, x.data.data(), n, 512, w.view, 40, 0.0f, logits.data());
    ExpectClose(logits, ref::Logits(x, w.rows, 40).data);
  }
}

// The dot products read straight from a GGML type's blocks: one row, four
// rows, and a range of rows; nullopt for types decoded first.
struct GgmlRowDots {
  float (*one)(const float *, const uint8_t *, int64_t);
  void (*four)(const float *, const uint8_t *, int64_t, int64_t, float *);
  void (*range)(const float *, const uint8_t *, int64_t, int64_t, int64_t,
                float *);
};
std::optional<GgmlRowDots> RowDotsOf(StoredType type) {
  switch (type) {
  case StoredType::kQ8_0:
    return GgmlRowDots{DotQ8_0, DotQ8_0x4, DotQ8_0Rows};
  case StoredType::kQ5_0:
    return GgmlRowDots{DotQ5_0, DotQ5_0x4, DotQ5_0Rows};
  case StoredType::kQ4_K:
    return GgmlRowDots{DotQ4_K, DotQ4_Kx4, DotQ4_KRows};
  case StoredType::kQ6_K:
    return GgmlRowDots{DotQ6_K, DotQ6_Kx4, DotQ6_KRows};
  default:
    return std::nullopt;
  }
}

// The in-register dot products of GGML rows (one row, and four rows at a
// time) against decode-then-dot in f64 on rows of 4 K-blocks / 32 small
// blocks: within 2e-6 of sum |x_i w_i| (f32 accumulation of 1024 products
// with the block scales applied to partial sums).
TEST_P(GgmlKernel, RowDotsMatchDecodeThenDot) {
  const std::optional<GgmlRowDots> dots = RowDotsOf(Type());
  if (!dots)
    GTEST_SKIP() << "decoded before the dot product";
  const auto dot = dots->one;
  const auto dot4 = dots->four;
  const int64_t cols = 1024, rows = 8;
  Weight w = MakeGgmlWeight(Type(), rows, cols, 31);
  const std::vector<float> x = Random(cols, 32, 3.0f);
  const int64_t row_bytes = int64_t(PackedBytes(Type(), uint64_t(cols)));
  for (int64_t first = 0; first < rows; first += 4) {
    float four[4];
    dot4(x.data(), w.bytes.data() + first * row_bytes, row_bytes, cols, four);
    for (int64_t r = first; r < first + 4; ++r) {
      const auto [want, magnitude] = DecodeThenDot(w, r, x);
      ASSERT_GT(magnitude, 0.0);
      const float one = dot(x.data(), w.bytes.data() + r * row_bytes, cols);
      EXPECT_NEAR(one, want, 2e-6 * magnitude) << "row " << r;
      EXPECT_NEAR(four[r - first], want, 2e-6 * magnitude) << "row " << r;
    }
  }
}

// The row-range dots on rows longer than Q4_K's 16384-value pieces of
// precomputed sums of x (16896 values: 66 K-blocks, 528 small blocks),
// five rows (a four-row pass, then one): within 1e-5 of sum |x_i w_i|.
TEST_P(GgmlKernel, LongRowRangesMatchDecodeThenDot) {
  const std::optional<GgmlRowDots> row_dots = RowDotsOf(Type());
  if (!row_dots)
    GTEST_SKIP() << "decoded before the dot product";
  const auto dots = row_dots->range;
  const int64_t cols = 16896, rows = 5;
  Weight w = MakeGgmlWeight(Type(), rows, cols, 37);
  const std::vector<float> x = Random(cols, 38, 3.0f);
  const int64_t row_bytes = int64_t(PackedBytes(Type(), uint64_t(cols)));
  float got[rows];
  dots(x.data(), w.bytes.data(), row_bytes, cols, rows, got);
  for (int64_t r = 0; r < rows; ++r) {
    const auto [want, magnitude] = DecodeThenDot(w, r, x);
    ASSERT_GT(magnitude, 0.0);
    EXPECT_NEAR(got[r], want, 1e-5 * magnitude) << "row " << r;
  }
}

// The prefill's full-vector row decoders give the scalar decoders' values
// exactly (the same single rounding of d * q).
TEST_P(GgmlKernel, RowDecodersAreBitIdentical) {
  void (*decode)(const uint8_t *, int64_t, float *) = nullptr;
  if (Type() == StoredType::kQ8_0)
    decode = DecodeQ8_0Row;
  else if (Type() == StoredType::kQ5_0)
    decode = DecodeQ5_0Row;
  else
    GTEST_SKIP() << "decoded by the codecs";
  const int64_t cols = 640;
  Weight w = MakeGgmlWeight(Type(), 3, cols, 71);
  const int64_t row_bytes = int64_t(PackedBytes(Type(), uint64_t(cols)));
  std::vector<float> want(cols), got(cols);
  for (int64_t r = 0; r < 3; ++r) {
    w.view.DecodeRow(r, want.data());
    decode(w.bytes.data() + r * row_bytes, cols, got.data());
    for (int64_t i = 0; i < cols; ++i)
      ASSERT_EQ(got[i], want[i]) << "row " << r << " value " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    GgmlTypes, GgmlKernel,
    ::testing::Combine(::testing::Values(StoredType::kF16, StoredType::kQ4_0,
                                         StoredType::kQ4_1, StoredType::kQ5_0,
                                         StoredType::kQ5_1, StoredType::kQ8_0,
                                         StoredType::kQ2_K, StoredType::kQ3_K,
                                         StoredType::kQ4_K, StoredType::kQ5_K,
                                         StoredType::kQ6_K),
                       ::testing::ValuesIn(VectorTargets())),
    TypeAndTarget);

// A server's batched decode: 1 to 8 activation rows against f32 weight
// rows, each row count of the kernel's groups and a partial one, a width
// with a tail past the vectors; f32 sums within 1e-6 of sum |x_k w_k| of
// the f64 dot, under every target.
TEST(CpuKernels, DotRowsMultiMatchesF64Dots) {
  ForEachTarget([] {
    for (int64_t in : {37, 640}) {
      const int64_t count = 13, stride = in + 5;
      const std::vector<float> w = Random(count * stride, 71, 0.5f);
      const std::vector<float> x = Random(8 * in, 72, 2.0f);
      for (int64_t n = 1; n <= 8; ++n) {
        std::vector<float> y(size_t(n * count), -1.0f);
        DotRowsMulti(x.data(), n, in, in, w.data(), stride, count, y.data(),
                     count);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < count; ++j) {
            double want = 0, magnitude = 0;
            for (int64_t k = 0; k < in; ++k) {
              const double p = double(x[i * in + k]) * w[j * stride + k];
              want += p;
              magnitude += std::fabs(p);
            }
            ASSERT_NEAR(y[i * count + j], want, 1e-6 * magnitude)
                << "in " << in << " rows " << n << " row " << i
                << " weight row " << j;
          }
      }
    }
  });
}

// A batch's Q8_0 and Q5_0 dots decoded in registers give, bit for bit,
// the sums of decoding the rows to f32 first and DotRowsMulti: 1 to 8
// activation rows, 13 stored rows (an odd one past the register pairs), on
// every target.
TEST(CpuKernels, ByteRowsMultiEqualDecodeThenDotRowsMulti) {
  ForEachTarget([] {
    for (StoredType type : {StoredType::kQ8_0, StoredType::kQ5_0}) {
      for (int64_t in : {96, 640}) {
        const int64_t count = 13;
        Weight w = MakeGgmlWeight(type, count, in, 73);
        const int64_t row_bytes = int64_t(PackedBytes(type, uint64_t(in)));
        std::vector<float> decoded(size_t(count * in));
        for (int64_t j = 0; j < count; ++j)
          (type == StoredType::kQ8_0 ? DecodeQ8_0Row : DecodeQ5_0Row)(
              w.bytes.data() + j * row_bytes, in, decoded.data() + j * in);
        const std::vector<float> x = Random(8 * in, 74, 2.0f);
        for (int64_t n = 1; n <= 8; ++n) {
          std::vector<float> want(size_t(n * count)), got(want.size(), -1.0f);
          DotRowsMulti(x.data(), n, in, in, decoded.data(), in, count,
                       want.data(), count);
          (type == StoredType::kQ8_0 ? DotQ8_0RowsMulti : DotQ5_0RowsMulti)(
              x.data(), n, in, w.bytes.data(), row_bytes, in, count, got.data(),
              count);
          for (size_t k = 0; k < want.size(); ++k)
            ASSERT_EQ(std::bit_cast<uint32_t>(got[k]),
                      std::bit_cast<uint32_t>(want[k]))
                << StoredTypeName(type) << " in " << in << " rows " << n
                << " output " << k;
        }
      }
    }
  });
}

// The VBMI byte-table decoders of a prefill's SFP rows give the scalar
// decoder's values bit for bit, in code order: every code, in rows long
// enough for two lookup steps and a tail (150 = 2 x 64 + 22) and shorter
// than one step.
TEST(SfpVbmi, RowDecodersAreBitIdentical) {
  if (!SfpVbmiSupported())
    GTEST_SKIP() << "this CPU has no AVX512-VBMI";
  std::vector<uint8_t> codes(256 + 150);
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = uint8_t(i * 37 + i / 256); // every code, then a shuffle
  for (int64_t n : {int64_t(codes.size()), int64_t(150), int64_t(40)}) {
    std::vector<float> f32(size_t(n) + 1, -7.0f);
    std::vector<uint16_t> bf16(size_t(n) + 1, 0xBEEF);
    DecodeSfpVbmi(codes.data(), n, f32.data());
    DecodeSfpToBf16Vbmi(codes.data(), n, bf16.data());
    for (int64_t i = 0; i < n; ++i) {
      const float want = SfpDecode(codes[size_t(i)]);
      uint32_t bits;
      std::memcpy(&bits, &want, 4);
      ASSERT_EQ(std::bit_cast<uint32_t>(f32[size_t(i)]), bits)
          << "n " << n << " value " << i;
      ASSERT_EQ(bf16[size_t(i)], uint16_t(bits >> 16))
          << "n " << n << " value " << i;
    }
    EXPECT_EQ(f32[size_t(n)], -7.0f) << "wrote past n " << n;
    EXPECT_EQ(bf16[size_t(n)], 0xBEEF) << "wrote past n " << n;
  }
}

float RoundBf16(float v) { return Bf16ToF32(F32ToBf16(v)); }

// The split-activation dots (AVX512-BF16) within the f32 dots' bound: the
// three parts of each activation are exact, the accumulation f32. Eight
// rows (two four-row passes) and three (single rows) per call.
TEST(SplitDot, RowDotsMatchDecodeThenDot) {
  if (!SplitDotSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  using SplitRows = void (*)(const uint16_t *, const uint8_t *, int64_t,
                             int64_t, int64_t, float *);
  const std::pair<StoredType, SplitRows> kinds[] = {
      {StoredType::kQ5_0, DotQ5_0RowsSplit},
      {StoredType::kQ6_K, DotQ6_KRowsSplit}};
  for (auto [type, rows_dot] : kinds) {
    SCOPED_TRACE(std::string(StoredTypeName(type)));
    const int64_t cols = 1024, rows = 11;
    Weight w = MakeGgmlWeight(type, rows, cols, 33);
    const std::vector<float> x = Random(cols, 34, 3.0f);
    std::vector<uint16_t> planes(3 * cols);
    SplitActivations(x.data(), cols, planes.data());
    const int64_t row_bytes = int64_t(PackedBytes(type, uint64_t(cols)));
    std::vector<float> got(rows);
    rows_dot(planes.data(), w.bytes.data(), row_bytes, cols, 8, got.data());
    rows_dot(planes.data(), w.bytes.data() + 8 * row_bytes, row_bytes, cols, 3,
             got.data() + 8);
    for (int64_t r = 0; r < rows; ++r) {
      const auto [want, magnitude] = DecodeThenDot(w, r, x);
      ASSERT_GT(magnitude, 0.0);
      EXPECT_NEAR(got[r], want, 2e-6 * magnitude) << "row " << r;
    }
  }
}

// Rows whose products do not cancel (every value 15 or 31 at scale 1,
// every activation just below 2, all 24 bits set): dropping the low part
// of the activations would be off by 2^-16 of the sum, beyond the 1e-6
// allowed; f32 accumulation of the exact products stays well within it.
TEST(SplitDot, KeepsEveryBitOfTheActivations) {
  if (!SplitDotSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  const int64_t cols = 1024;
  const std::vector<float> x(cols, 1.99999988f);
  std::vector<uint16_t> planes(3 * cols);
  SplitActivations(x.data(), cols, planes.data());
  // Q5_0 blocks { f16 1.0, qh all set, qs all 0xFF }: values 31 - 16 = 15.
  std::vector<uint8_t> q5(22 * cols / 32, 0xFF);
  for (size_t at = 0; at < q5.size(); at += 22)
    q5[at] = 0x00, q5[at + 1] = 0x3C;
  // Q6_K blocks { ql all 0xFF, qh all 0xFF, scales 1, f16 1.0 }: values
  // 63 - 32 = 31.
  std::vector<uint8_t> q6(210 * cols / 256, 0xFF);
  for (size_t at = 0; at < q6.size(); at += 210) {
    std::fill(q6.begin() + at + 192, q6.begin() + at + 208, uint8_t(1));
    q6[at + 208] = 0x00, q6[at + 209] = 0x3C;
  }
  float got = 0;
  DotQ5_0RowsSplit(planes.data(), q5.data(), 0, cols, 1, &got);
  const double want5 = 15.0 * cols * double(x[0]);
  EXPECT_NEAR(got, want5, 1e-6 * want5);
  DotQ6_KRowsSplit(planes.data(), q6.data(), 0, cols, 1, &got);
  const double want6 = 31.0 * cols * double(x[0]);
  EXPECT_NEAR(got, want6, 1e-6 * want6);
}

// The three bf16 parts of an activation add up to it exactly, over the
// normal f32 range, both signs, zero and values with all 24 bits set.
TEST(SplitDot, ActivationPartsAddUpExactly) {
  if (!SplitDotSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  std::mt19937 rng(35);
  std::vector<float> x(4096);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint32_t exponent = 20 + rng() % 215; // 2^-107 .. 2^107
    const uint32_t bits = (rng() & 0x80000000u) | exponent << 23 |
                          (i % 7 == 0 ? 0x7FFFFFu : rng() & 0x7FFFFFu);
    std::memcpy(&x[i], &bits, 4);
  }
  x[0] = 0.0f, x[1] = -0.0f, x[2] = 1.0f, x[3] = -3.0f;
  std::vector<uint16_t> planes(3 * x.size());
  const int64_t n = int64_t(x.size());
  SplitActivations(x.data(), n, planes.data());
  for (int64_t i = 0; i < n; ++i) {
    const double sum = double(Bf16ToF32(planes[i])) +
                       double(Bf16ToF32(planes[n + i])) +
                       double(Bf16ToF32(planes[2 * n + i]));
    ASSERT_EQ(sum, double(x[i])) << "value " << i;
  }
}

// The prefill's activation panels, on every target: each value where
// Gemm.h says, zeros past the last row; k a multiple of the vector width
// (all transposed in registers), and not (a scalar tail), a partial panel.
TEST(CpuKernels, PackTokensLaysOutEveryValue) {
  ForEachTarget([] {
    const int64_t width = GemmTokenWidth();
    for (int64_t k : {64, 37, 3}) {
      const int64_t n = 2 * width + 13;
      const int64_t panels = (n + width - 1) / width;
      const std::vector<float> x = Random(n * k, 61, 1.0f);
      std::vector<float> packed(size_t(PackedTokensSize(n, k)), -1.0f);
      PackTokens(x.data(), n, k, packed.data(), 0, 1);
      PackTokens(x.data(), n, k, packed.data(), 1, panels);
      for (int64_t p = 0; p < panels; ++p)
        for (int64_t t = 0; t < k; ++t)
          for (int64_t m = 0; m < width; ++m) {
            const int64_t row = p * width + m;
            ASSERT_EQ(packed[size_t((p * k + t) * width + m)],
                      row < n ? x[size_t(row * k + t)] : 0.0f)
                << "k " << k << " row " << row << " t " << t;
          }
    }
  });
}

// The opt-in bf16 prefill GEMM against f64 sums of the same bf16-rounded
// operands: the products are exact, so only the f32 accumulation differs
// (within 1e-6 of sum |x_i w_i|). Odd k, a partial panel and a second one,
// tiles of 12 and the edge rows.
TEST(CpuKernels, Bf16GemmMatchesRoundedOperands) {
  if (!Bf16GemmSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  for (int64_t k : {64, 231}) {
    const int64_t n = 45, count = 29, stride = k + 33;
    const std::vector<float> x = Random(n * k, 51, 2.0f);
    const std::vector<float> w = Random(count * k, 52, 0.5f);
    std::vector<uint32_t> packed(size_t(PackedTokensBf16Size(n, k)) + 16);
    uint32_t *aligned = reinterpret_cast<uint32_t *>(
        (reinterpret_cast<uintptr_t>(packed.data()) + 63) / 64 * 64);
    PackTokensBf16(x.data(), n, k, aligned, 0,
                   (n + kBf16Tokens - 1) / kBf16Tokens);
    std::vector<uint16_t> w16(size_t(count * stride));
    RowsToBf16(w.data(), count, k, k, w16.data(), stride);
    std::vector<float> y(n * count);
    GemmRowsBf16(w16.data(), stride, count, k, aligned, n, y.data(), count);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < count; ++j) {
        double want = 0, magnitude = 0;
        for (int64_t t = 0; t < k; ++t) {
          const double p =
              double(RoundBf16(x[i * k + t])) * RoundBf16(w[j * k + t]);
          want += p;
          magnitude += std::fabs(p);
        }
        ASSERT_NEAR(y[i * count + j], want, 1e-6 * magnitude)
            << "k " << k << " row " << i << " column " << j;
      }
  }
}

// With --prefill-math bf16 the prefill matmuls (and GeGLU) round their
// operands to bf16 and decode (1, 2 rows) stays exact: the same bf16
// reference for 40 rows, the f32 one for 2. f32 weights are decoded and
// rounded, bf16 ones read in place (even rows), SFP ones decoded straight
// to bf16 (odd rows padded).
TEST(CpuKernels, PrefillBf16ModeRoundsOnlyPrefill) {
  if (!Bf16GemmSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  ThreadPool pool(2);
  SetPrefillBf16(true);
  for (StoredType type :
       {StoredType::kF32, StoredType::kBF16, StoredType::kSFP})
    for (int64_t in : {128, 127}) {
      const int64_t out = 40;
      SCOPED_TRACE(std::string(StoredTypeName(type)) + " in " +
                   std::to_string(in));
      Weight w = MakeWeight(type, out, in, 61);
      for (int64_t n : {2, 40}) {
        ref::Tensor x = Make({n, in}, 62);
        std::vector<float> y(n * out);
        Matmul(pool, x.data.data(), n, in, w.view, {}, out, y.data());
        ref::Tensor xr = x;
        std::vector<float> wr(out * in);
        w.view.DecodeRow(0, wr.data());
        for (int64_t r = 0; r < out; ++r)
          w.view.DecodeRow(r, wr.data() + r * in);
        if (n > 2) {
          for (float &v : xr.data)
            v = RoundBf16(v);
          for (float &v : wr)
            v = RoundBf16(v);
        }
        ref::WeightRows rows{out, in, [&](int64_t r, float *o) {
                               std::copy_n(wr.data() + r * in, in, o);
                             }};
        ExpectClose(y, ref::Matmul(xr, rows, {}, {n, out}).data);
      }
    }
  SetPrefillBf16(false);
  EXPECT_FALSE(PrefillBf16());
}

// The head-major matmul (attention's output projection) in bf16 prefill
// math rounds its operands as Matmul does: against the reference on the
// rounded operands, for every stored type the bf16 GEMM reads differently.
TEST(CpuKernels, PrefillBf16ModeRoundsHeadMajorMatmul) {
  if (!Bf16GemmSupported())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  ThreadPool pool(2);
  SetPrefillBf16(true);
  const int64_t heads = 4, out = 24, n = 37;
  for (StoredType type :
       {StoredType::kF32, StoredType::kBF16, StoredType::kSFP})
    for (int64_t in_h : {64, 33}) {
      SCOPED_TRACE(std::string(StoredTypeName(type)) + " in_h " +
                   std::to_string(in_h));
      Weight w = MakeWeight(type, heads * out, in_h, 63);
      ref::Tensor x = Make({n, heads, in_h}, 64);
      std::vector<float> y(n * out);
      MatmulHeads(pool, x.data.data(), n, heads, in_h, w.view, out, y.data());
      ref::Tensor xr = x;
      for (float &v : xr.data)
        v = RoundBf16(v);
      std::vector<float> wr(heads * out * in_h);
      for (int64_t r = 0; r < heads * out; ++r)
        w.view.DecodeRow(r, wr.data() + r * in_h);
      for (float &v : wr)
        v = RoundBf16(v);
      ref::WeightRows rows{heads * out, in_h, [&](int64_t r, float *o) {
                             std::copy_n(wr.data() + r * in_h, in_h, o);
                           }};
      ExpectClose(y, ref::MatmulHeads(xr, rows, {n, out}).data);
    }
  SetPrefillBf16(false);
}

TEST(CpuKernels, RmsNormInEveryConvention) {
  ForEachTarget([&] {
    Weight w = MakeWeight(StoredType::kBF16, 1, 48, 7);
    ref::Tensor x = Make({3, 2, 48}, 8);
    for (auto [kind, ref_kind] :
         {std::pair(NormKind::kPlusOne, ref::NormWeight::kPlusOne),
          std::pair(NormKind::kPlain, ref::NormWeight::kPlain),
          std::pair(NormKind::kNone, ref::NormWeight::kNone)}) {
      std::vector<float> y(x.data.size());
      RmsNorm(x.data.data(), 6, 48, &w.view, kind, 1e-6f, y.data());
      ExpectClose(y, ref::RmsNorm(x, &w.rows, ref_kind, 1e-6f).data);
    }
  });
}

TEST(CpuKernels, RopeFullLinearAndProportional) {
  ForEachTarget([&] {
    std::vector<int32_t> positions = {0, 7, 513};
    // Twice over, with two bases: the angles a call keeps for the next one
    // (same positions) must follow every setting.
    for (int pass = 0; pass < 2; ++pass)
      for (double base : {1e4, 1e6})
        for (auto [scale, fraction] :
             {std::pair(1.0, 1.0), std::pair(8.0, 1.0), std::pair(1.0, 0.25)}) {
          ref::Tensor x = Make({3, 2, 32}, 9);
          std::vector<float> y = x.data;
          Rope(y.data(), 3, 2, 32, positions.data(), base, scale, fraction);
          ExpectClose(y, ref::Rope(x, positions, base, scale, fraction).data);
        }
  });
}

// Scores, optional soft-cap, window mask, softmax and values of the
// reference, against the flash-style kernel: prefill into a ring longer
// than the window, and a batch of sequences at different positions.
std::vector<int32_t> Iota(int32_t first, int32_t count) {
  std::vector<int32_t> v(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i)
    v[size_t(i)] = first + i;
  return v;
}

class AttentionThreads : public ::testing::TestWithParam<int> {};

// The fused kernel groups the query heads of a KV head into one work item,
// split when there are fewer items than threads: 1, 2 and 8 threads give
// 1 and 2 heads per item.
TEST_P(AttentionThreads, MatchesTheReferenceComposition) {
  ThreadPool pool(GetParam());
  ForEachTarget([&] {
    struct Case {
      int64_t rows, batch, slots;
      std::vector<int32_t> positions;
      float cap;
      int64_t window;
    };
    for (const Case &c :
         {Case{4, 1, 11, {20, 21, 22, 23}, 50.0f, 8},
          Case{4, 1, 32, {3, 4, 5, 6}, 0.0f, 0},
          Case{3, 3, 16, {2, 15, 40}, 0.0f, 5}, Case{1, 1, 11, {30}, 0.0f, 0},
          // Decode with more threads than rows x KV heads: positions split
          // among threads and combined, one split with no position at all.
          Case{1, 1, 11, {2}, 50.0f, 8}, Case{1, 1, 64, {63}, 30.0f, 40},
          // Prefill of 40 rows in blocks (one packed panel of query vectors,
          // the span's scores as one GEMM): capped with a window, across the
          // ring's wrap, causal only; and a ring shorter than a block's span,
          // which falls back to one row at a time.
          Case{40, 1, 64, Iota(10, 40), 30.0f, 24},
          Case{40, 1, 64, Iota(50, 40), 0.0f, 24},
          Case{40, 1, 48, Iota(0, 40), 0.0f, 0},
          Case{40, 1, 11, Iota(20, 40), 0.0f, 8}}) {
      ref::Tensor q = Make({c.rows, 4, 16}, 10);
      ref::Tensor keys = Make({c.batch, c.slots, 2, 16}, 11);
      ref::Tensor values = Make({c.batch, c.slots, 2, 24}, 12);
      ref::Tensor scores = ref::AttnScores(q, keys, 0.25f);
      if (c.cap > 0)
        scores = ref::Softcap(scores, c.cap);
      std::optional<int64_t> window;
      if (c.window)
        window = c.window;
      absl::StatusOr<ref::Tensor> probs =
          ref::Softmax(ref::WindowMask(scores, c.positions, window));
      ASSERT_TRUE(probs.ok());
      ref::Tensor want = ref::AttnValues(*probs, values);
      std::vector<float> got(c.rows * 4 * 24);
      Attention(pool, {c.rows, 4, 16, c.batch, c.slots, 2, 24}, q.data.data(),
                keys.data.data(), values.data.data(), c.positions.data(), 0.25f,
                c.cap, c.window, got.data());
      ExpectClose(got, want.data);

      // The unfused kernels, one after the other.
      const AttentionShape shape{c.rows, 4, 16, c.batch, c.slots, 2, 24};
      std::vector<float> z(c.rows * 4 * c.slots), p(z.size());
      AttnScores(pool, shape, q.data.data(), keys.data.data(), 0.25f, z.data());
      if (c.cap > 0)
        Softcap(z.data(), int64_t(z.size()), c.cap, z.data());
      WindowMask(z.data(), c.rows, 4, c.slots, c.positions.data(), c.window);
      Softmax(z.data(), c.rows * 4, c.slots, p.data());
      ExpectClose(p, probs->data);
      AttnValues(pool, shape, p.data(), values.data.data(), got.data());
      ExpectClose(got, want.data);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Pools, AttentionThreads, ::testing::Values(1, 2, 8));

TEST(CpuKernels, KvWriteForOneSequenceAndForABatch) {
  std::vector<int32_t> positions = {9, 10, 2};
  ref::Tensor x = Make({3, 2, 8}, 13);
  for (int64_t batch : {1, 3}) {
    ref::Tensor cache = Make({batch, 6, 2, 8}, 14);
    std::vector<float> got = cache.data;
    KvWrite(got.data(), batch, 6, 16, x.data.data(), 3, positions.data());
    EXPECT_EQ(got, ref::KvWrite(cache, x, positions).data);
  }
}

TEST(CpuKernels, ElementwiseOps) {
  ForEachTarget([&] {
    ref::Tensor a = Make({2, 50}, 15), b = Make({2, 50}, 16);
    std::vector<float> y(100);
    GeluTanh(a.data.data(), 100, y.data());
    ExpectClose(y, ref::GeluTanh(a).data);
    Add(a.data.data(), b.data.data(), 100, y.data());
    ExpectClose(y, ref::Add(a, b).data);
    Mul(a.data.data(), b.data.data(), 100, y.data());
    ExpectClose(y, ref::Mul(a, b).data);
    Scale(a.data.data(), 100, 0.75f, y.data());
    ExpectClose(y, ref::ScaleBy(a, 0.75f).data);
    Softcap(a.data.data(), 100, 0.5f, y.data());
    ExpectClose(y, ref::Softcap(a, 0.5f).data);
  });
}

// The image encoder's kernels (VisionKernels.h) against the reference on
// random inputs, under every vector target. Attention at a size with a
// partial query block (70 rows: 64 + 6) and a head dim that is not a
// vector multiple (12), like SigLIP's 72.
TEST(VisionKernels, MatchTheReferenceOnRandomInputs) {
  ThreadPool pool(2);
  ForEachTarget([&] {
    const int64_t n = 70, heads = 3, dim = 12, width = heads * dim;
    const ref::Tensor x = Make({n, width}, 91);
    const Weight w = MakeWeight(StoredType::kF32, 1, width, 92);
    const Weight b = MakeWeight(StoredType::kBF16, 1, width, 93);
    const Weight position = MakeWeight(StoredType::kF32, n, width, 94);
    std::vector<float> y(size_t(n * width));
    LayerNorm(x.data.data(), n, width, w.view, b.view, 1e-6f, y.data());
    ExpectClose(y, ref::LayerNorm(x, w.rows, b.rows, 1e-6f).data, 2e-6);
    AddWeight(x.data.data(), n, width, b.view, y.data());
    ExpectClose(y, ref::AddWeight(x, b.rows).data, 1e-7);
    AddWeight(x.data.data(), n, width, position.view, y.data());
    ExpectClose(y, ref::AddWeight(x, position.rows).data, 1e-7);

    const ref::Tensor q = Make({n, heads, dim}, 95);
    const ref::Tensor k = Make({n, heads, dim}, 96);
    const ref::Tensor v = Make({n, heads, dim}, 97);
    FullAttention(pool, q.data.data(), k.data.data(), v.data.data(), n, heads,
                  dim, 0.75f, y.data());
    absl::StatusOr<ref::Tensor> want = ref::FullAttention(q, k, v, 0.75f);
    ASSERT_TRUE(want.ok());
    ExpectClose(y, want->data, 2e-6);

    // A 7 x 10 grid of rows (n = 70) pooled with k = 2 would drop a row and
    // a column: the op requires k to divide the grid, so pool 6 x 10 of it.
    std::vector<float> pooled(size_t(3 * 5 * width));
    AvgPool(x.data.data(), 6, 10, 2, width, pooled.data());
    ref::Tensor grid = x;
    grid.shape = {60, width};
    grid.data.resize(size_t(60 * width));
    ExpectClose(pooled, ref::AvgPool(grid, 6, 10, 2).data, 1e-6);
  });
}

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  ThreadPool pool(4);
  for (int64_t n : {1, 3, 4, 17, 1000}) {
    for (int64_t grain : {1, 16}) {
      std::vector<std::atomic<int>> seen(n);
      pool.For(
          n,
          [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
              ++seen[i];
          },
          grain);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(seen[i].load(), 1) << n << " " << grain << " " << i;
    }
  }
}

} // namespace
} // namespace gemma::cpu
