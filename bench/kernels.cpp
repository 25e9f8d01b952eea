//===- kernels.cpp - google-benchmark microbenchmarks of the CPU kernels --===//
//
// The matvec (decode) and matmul (prefill) per stored weight type on the
// gemma3-270m shapes, the tied logits, and attention at several context
// lengths. Weight bytes per second are reported as `bytes_per_second`, so a
// matvec's number reads directly against the machine's read bandwidth.
//
//   build/bin/bench-kernels --benchmark_filter=Matvec
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/GemmBf16.h"
#include "kernels/cpu/GgmlDot.h"
#include "kernels/cpu/SplitDot.h"
#include "kernels/cpu/Vector.h"
#include "kernels/cpu/VisionKernels.h"
#include "runtime/weights/StoredType.h"
#include "runtime/weights/codecs/Encode.h"

#include <benchmark/benchmark.h>

#include "hwy/targets.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

namespace gemma::cpu {
namespace {

ThreadPool &Pool() {
  static ThreadPool pool(0);
  return pool;
}

std::vector<float> RandomFloats(int64_t n, uint32_t seed, float range) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &f : v)
    f = dist(rng);
  return v;
}

// Byte offsets of each block's f16 scales, set to small normal halves so
// that random quantized blocks decode to finite values.
std::vector<uint32_t> ScaleOffsets(StoredType type) {
  switch (type) {
  case StoredType::kQ8_0:
  case StoredType::kQ5_0:
    return {0};
  case StoredType::kQ4_K:
    return {0, 2};
  case StoredType::kQ6_K:
    return {208};
  default:
    return {};
  }
}

struct StoredMatrix {
  std::vector<uint8_t> bytes;
  WeightView view;
};

std::unique_ptr<StoredMatrix> MakeMatrix(StoredType type, int64_t rows,
                                         int64_t cols) {
  auto m = std::make_unique<StoredMatrix>();
  const uint64_t n = uint64_t(rows * cols);
  m->bytes.resize(PackedBytes(type, n));
  if (IsGgmlType(type)) {
    std::mt19937 rng(7);
    for (uint8_t &b : m->bytes)
      b = uint8_t(rng());
    const uint32_t block = BlockBytes(type);
    for (size_t at = 0; at < m->bytes.size(); at += block)
      for (uint32_t h : ScaleOffsets(type)) {
        m->bytes[at + h] = 0x00;
        m->bytes[at + h + 1] = 0x20; // 2^-7
      }
  } else {
    const std::vector<float> values = RandomFloats(int64_t(n), 7, 1.5f);
    if (!EncodeTensor(type, values, m->bytes).ok())
      std::abort();
  }
  m->view = {type, m->bytes.data(), rows, cols, 1.0f};
  return m;
}

// Weights of the benchmarked shape, made once per (type, rows, cols).
const WeightView &Matrix(StoredType type, int64_t rows, int64_t cols) {
  static std::vector<std::unique_ptr<StoredMatrix>> made;
  for (const auto &m : made)
    if (m->view.type == type && m->view.rows == rows && m->view.cols == cols)
      return m->view;
  made.push_back(MakeMatrix(type, rows, cols));
  return made.back()->view;
}

// y[n, rows] = x[n, cols] . W^T with W stored as `type`.
void BM_Matmul(benchmark::State &state, StoredType type) {
  const int64_t rows = state.range(0), cols = state.range(1),
                n = state.range(2);
  const WeightView &w = Matrix(type, rows, cols);
  const std::vector<float> x = RandomFloats(n * cols, 3, 1.0f);
  std::vector<float> y(static_cast<size_t>(n * rows));
  for (auto _ : state) {
    Matmul(Pool(), x.data(), n, cols, w, {}, rows, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() *
                          int64_t(PackedBytes(type, uint64_t(rows * cols))));
  state.counters["GFLOP/s"] = benchmark::Counter(
      double(2 * n * rows * cols) * double(state.iterations()) * 1e-9,
      benchmark::Counter::kIsRate);
}

// A decode step streams every layer's weights from memory: the matvec over
// 48 different matrices of the shape in turn (more than the last-level
// cache), as the layers of a model are visited.
void BM_MatvecStreamed(benchmark::State &state, StoredType type) {
  const int64_t rows = state.range(0), cols = state.range(1);
  constexpr int kCopies = 48;
  const WeightView &one = Matrix(type, rows, cols);
  const size_t bytes = PackedBytes(type, uint64_t(rows * cols));
  std::vector<uint8_t> copies(bytes * kCopies);
  for (int c = 0; c < kCopies; ++c)
    std::memcpy(copies.data() + c * bytes, one.data, bytes);
  const std::vector<float> x = RandomFloats(cols, 3, 1.0f);
  std::vector<float> y(static_cast<size_t>(rows));
  WeightView w = one;
  int c = 0;
  for (auto _ : state) {
    w.data = copies.data() + size_t(c) * bytes;
    Matmul(Pool(), x.data(), 1, cols, w, {}, rows, y.data());
    benchmark::DoNotOptimize(y.data());
    c = (c + 1) % kCopies;
  }
  state.SetBytesProcessed(state.iterations() * int64_t(bytes));
}
BENCHMARK_CAPTURE(BM_MatvecStreamed, sfp, StoredType::kSFP)
    ->Args({2048, 640})
    ->Args({640, 2048})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecStreamed, bf16, StoredType::kBF16)
    ->Args({2048, 640})
    ->Args({32768, 640})
    ->Args({640, 2048})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
// The real Gemma 3 270M Q4_K_M file's types: Q8_0 and Q5_0 on 640-wide
// rows (q/k/v, gate/up, the tied logits), Q4_K and Q6_K on the 1024- and
// 2048-wide ones (output projection, down projection).
BENCHMARK_CAPTURE(BM_MatvecStreamed, q8_0, StoredType::kQ8_0)
    ->Args({2048, 640})
    ->Args({32768, 640})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecStreamed, q5_0, StoredType::kQ5_0)
    ->Args({2048, 640})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecStreamed, q4_k, StoredType::kQ4_K)
    ->Args({640, 2048})
    ->Args({640, 1024})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecStreamed, q6_k, StoredType::kQ6_K)
    ->Args({640, 2048})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// The same matvecs on one matrix small enough to stay in the cores' L2
// caches: no memory traffic, so the rate is the kernel's compute ceiling.
// Where it is below the read bandwidth, decode of that type cannot reach
// the bandwidth however the memory is read.
void BM_MatvecInCache(benchmark::State &state, StoredType type) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const WeightView &w = Matrix(type, rows, cols);
  const std::vector<float> x = RandomFloats(cols, 3, 1.0f);
  std::vector<float> y(static_cast<size_t>(rows));
  for (auto _ : state) {
    Matmul(Pool(), x.data(), 1, cols, w, {}, rows, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() *
                          int64_t(PackedBytes(type, uint64_t(rows * cols))));
}
BENCHMARK_CAPTURE(BM_MatvecInCache, q8_0, StoredType::kQ8_0)
    ->Args({512, 640})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecInCache, q5_0, StoredType::kQ5_0)
    ->Args({512, 640})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecInCache, q4_k, StoredType::kQ4_K)
    ->Args({256, 2048})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecInCache, q6_k, StoredType::kQ6_K)
    ->Args({256, 2048})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecInCache, sfp, StoredType::kSFP)
    ->Args({512, 640})
    ->Args({2048, 640})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatvecInCache, bf16, StoredType::kBF16)
    ->Args({512, 640})
    ->UseRealTime();

// One thread's row dots on an in-cache matrix, f32 activations (GgmlDot.h)
// against split bf16 activations (SplitDot.h, AVX512-BF16 only): the two
// exact decode paths' compute ceilings without the pool.
using RowsDot = void (*)(const float *, const uint8_t *, int64_t, int64_t,
                         int64_t, float *);
using SplitRowsDot = void (*)(const uint16_t *, const uint8_t *, int64_t,
                              int64_t, int64_t, float *);
void BM_RowDots(benchmark::State &state, StoredType type, RowsDot f32,
                SplitRowsDot split) {
  if (split && !SplitDotSupported()) {
    state.SkipWithError("this CPU has no AVX512-BF16");
    return;
  }
  const int64_t rows = state.range(0), cols = state.range(1);
  const WeightView &w = Matrix(type, rows, cols);
  const std::vector<float> x = RandomFloats(cols, 3, 1.0f);
  std::vector<uint16_t> planes(static_cast<size_t>(3 * cols));
  std::vector<float> y(static_cast<size_t>(rows));
  const int64_t row_bytes = int64_t(PackedBytes(type, uint64_t(cols)));
  for (auto _ : state) {
    if (split) {
      SplitActivations(x.data(), cols, planes.data());
      split(planes.data(), w.data, row_bytes, cols, rows, y.data());
    } else {
      f32(x.data(), w.data, row_bytes, cols, rows, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * rows * row_bytes);
}
BENCHMARK_CAPTURE(BM_RowDots, q5_0_f32, StoredType::kQ5_0, DotQ5_0Rows, nullptr)
    ->Args({512, 640});
BENCHMARK_CAPTURE(BM_RowDots, q5_0_split, StoredType::kQ5_0, nullptr,
                  DotQ5_0RowsSplit)
    ->Args({512, 640});
BENCHMARK_CAPTURE(BM_RowDots, q6_k_f32, StoredType::kQ6_K, DotQ6_KRows, nullptr)
    ->Args({256, 2048});
BENCHMARK_CAPTURE(BM_RowDots, q6_k_split, StoredType::kQ6_K, nullptr,
                  DotQ6_KRowsSplit)
    ->Args({256, 2048});

// Decode (n = 1): the gemma3-270m projections, its MLP (640 -> 2048 and
// back) and a slice of the tied 262144-row logits larger than the caches.
void MatvecShapes(benchmark::internal::Benchmark *b) {
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{2048, 640}, {640, 2048}, {32768, 640}})
    b->Args({rows, cols, 1});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

// Prefill: 32-, 128- and 512-token chunks through the MLP's up projection
// (640 -> 2048) and its down projection (2048 -> 640).
void MatmulShapes(benchmark::internal::Benchmark *b) {
  for (int64_t n : {32, 128, 512}) {
    b->Args({2048, 640, n});
    b->Args({640, 2048, n});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

#define GEMMA_MATMUL_BENCH(NAME, TYPE)                                         \
  BENCHMARK_CAPTURE(BM_Matmul, Matvec_##NAME, StoredType::TYPE)                \
      ->Apply(MatvecShapes);                                                   \
  BENCHMARK_CAPTURE(BM_Matmul, Prefill_##NAME, StoredType::TYPE)               \
      ->Apply(MatmulShapes)

GEMMA_MATMUL_BENCH(f32, kF32);
GEMMA_MATMUL_BENCH(bf16, kBF16);
GEMMA_MATMUL_BENCH(sfp, kSFP);
GEMMA_MATMUL_BENCH(nuq, kNUQ);
GEMMA_MATMUL_BENCH(q8_0, kQ8_0);
GEMMA_MATMUL_BENCH(q5_0, kQ5_0);
GEMMA_MATMUL_BENCH(q4_k, kQ4_K);
GEMMA_MATMUL_BENCH(q6_k, kQ6_K);

// The same prefill chunks with --prefill-math bf16 (activations and
// weights rounded to bf16, AVX512-BF16's dot products: twice BM_FmaPeak's
// rate at most): bf16 weights read in place, SFP decoded straight to bf16.
void BM_MatmulBf16Math(benchmark::State &state, StoredType type) {
  if (!Bf16GemmSupported()) {
    state.SkipWithError("this CPU has no AVX512-BF16");
    return;
  }
  SetPrefillBf16(true);
  BM_Matmul(state, type);
  SetPrefillBf16(false);
}
BENCHMARK_CAPTURE(BM_MatmulBf16Math, bf16, StoredType::kBF16)
    ->Apply(MatmulShapes);
BENCHMARK_CAPTURE(BM_MatmulBf16Math, sfp, StoredType::kSFP)
    ->Apply(MatmulShapes);

// The arithmetic peak of the pool's threads (f32 FMAs on full vectors of
// the dispatched target): what the Prefill benchmarks' GFLOP/s is held
// against.
void BM_FmaPeak(benchmark::State &state) {
  constexpr int64_t kIters = 1 << 22;
  double total = 0;
  for (auto _ : state) {
    std::atomic<double> flops{0};
    Pool().For(Pool().threads(), [&](int64_t begin, int64_t end) {
      double done = 0;
      for (int64_t t = begin; t < end; ++t)
        done += FmaPeakLoop(kIters);
      flops.fetch_add(done);
    });
    total += flops.load();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(total * 1e-9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FmaPeak)->Unit(benchmark::kMillisecond)->UseRealTime();

// A SigLIP encoder layer's attention (docs/vision.md): n patches, 16 heads
// of 72, every patch seeing every patch. GFLOP/s counts both products
// (4 n^2 d per head), to hold against BM_FmaPeak.
void BM_FullAttention(benchmark::State &state) {
  const int64_t n = state.range(0), heads = 16, dim = 72;
  const std::vector<float> q = RandomFloats(n * heads * dim, 1, 1.0f);
  const std::vector<float> k = RandomFloats(n * heads * dim, 2, 1.0f);
  const std::vector<float> v = RandomFloats(n * heads * dim, 3, 1.0f);
  std::vector<float> out(static_cast<size_t>(n * heads * dim));
  for (auto _ : state) {
    FullAttention(Pool(), q.data(), k.data(), v.data(), n, heads, dim,
                  0.1178511f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(4.0 * double(n) * double(n) * double(dim * heads) *
                             1e-9 * double(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FullAttention)
    ->Arg(1024)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One encoder layer of Gemma 3's SigLIP at full size (896 x 896: 4096
// patches, width 1152, MLP 4304, 16 heads of 72), bf16 weights as the
// released checkpoints store them, f32 math: LayerNorm, q/k/v with biases,
// full attention, the output projection, LayerNorm, the GELU MLP, both
// residual adds. 27 of these make an image's encoding. GFLOP/s counts the
// matmuls and both attention products (202 GFLOP a layer).
void BM_SiglipLayer(benchmark::State &state) {
  const int64_t n = 4096, d = 1152, f = 4304, heads = 16, dim = 72;
  const WeightView &wq = Matrix(StoredType::kBF16, d, d);
  const WeightView &wf1 = Matrix(StoredType::kBF16, f, d);
  const WeightView &wf2 = Matrix(StoredType::kBF16, d, f);
  const WeightView &vec_d = Matrix(StoredType::kBF16, 1, d);
  const WeightView &vec_f = Matrix(StoredType::kBF16, 1, f);
  std::vector<float> x = RandomFloats(n * d, 1, 1.0f);
  std::vector<float> h(size_t(n * d)), q(size_t(n * d)), k(size_t(n * d)),
      v(size_t(n * d)), a(size_t(n * d)), m(size_t(n * f));
  for (auto _ : state) {
    LayerNorm(x.data(), n, d, vec_d, vec_d, 1e-6f, h.data());
    const MatmulJob jobs[] = {{h.data(), n, d, wq, {}, d, q.data()},
                              {h.data(), n, d, wq, {}, d, k.data()},
                              {h.data(), n, d, wq, {}, d, v.data()}};
    Matmuls(Pool(), jobs);
    for (float *p : {q.data(), k.data(), v.data()})
      AddWeight(p, n, d, vec_d, p);
    FullAttention(Pool(), q.data(), k.data(), v.data(), n, heads, dim,
                  0.1178511f, a.data());
    Matmul(Pool(), a.data(), n, d, wq, {}, d, h.data());
    AddWeight(h.data(), n, d, vec_d, h.data());
    Add(x.data(), h.data(), n * d, x.data());
    LayerNorm(x.data(), n, d, vec_d, vec_d, 1e-6f, h.data());
    Matmul(Pool(), h.data(), n, d, wf1, {}, f, m.data());
    AddWeight(m.data(), n, f, vec_f, m.data());
    GeluTanh(m.data(), n * f, m.data());
    Matmul(Pool(), m.data(), n, f, wf2, {}, d, h.data());
    AddWeight(h.data(), n, d, vec_d, h.data());
    Add(x.data(), h.data(), n * d, x.data());
    benchmark::DoNotOptimize(x.data());
  }
  const double flops = 2.0 * n * (4.0 * d * d + 2.0 * d * f) +
                       4.0 * double(n) * double(n) * double(d);
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops * 1e-9 * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SiglipLayer)->Unit(benchmark::kMillisecond)->UseRealTime();

// One pool.For of trivial work on every thread: the fixed cost each
// kernel of a decode step pays to run on all cores (a step runs about a
// hundred).
void BM_PoolFor(benchmark::State &state) {
  std::vector<int64_t> sink(64 * 16);
  for (auto _ : state) {
    Pool().For(Pool().threads(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        sink[size_t(16 * i)] += i;
    });
    benchmark::DoNotOptimize(sink.data());
  }
}
BENCHMARK(BM_PoolFor)->UseRealTime();

// Fused attention of `rows` queries at the end of a `context`-token
// sequence, gemma3-270m heads (4 query heads, 1 KV head, dim 256), in a
// cache of `slots` slots (a global layer's cache is the whole context).
void BM_Attention(benchmark::State &state) {
  const int64_t rows = state.range(0), context = state.range(1),
                slots = state.range(2);
  AttentionShape s;
  s.rows = rows;
  s.heads = 4;
  s.dim = 256;
  s.batch = 1;
  s.slots = slots;
  s.kv_heads = 1;
  s.value_dim = 256;
  const std::vector<float> q = RandomFloats(rows * s.heads * s.dim, 1, 1.0f);
  const std::vector<float> k = RandomFloats(slots * s.dim, 2, 1.0f);
  const std::vector<float> v = RandomFloats(slots * s.dim, 3, 1.0f);
  std::vector<int32_t> positions(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    positions[size_t(r)] = int32_t(context - rows + r);
  std::vector<float> out(static_cast<size_t>(rows * s.heads * s.value_dim));
  for (auto _ : state) {
    Attention(Pool(), s, q.data(), k.data(), v.data(), positions.data(),
              0.0625f, 0.0f, 0, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Attention)
    ->Args({1, 64, 32768})
    ->Args({1, 4096, 32768})
    ->Args({32, 32, 32768})
    ->Args({128, 512, 32768})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Decode attention as a decode step meets it: each layer's keys and values
// are out of cache (the layers' caches and weights pass through it in
// turn), so 40 caches of `context` positions are visited in rotation.
void BM_AttentionStreamed(benchmark::State &state) {
  const int64_t context = state.range(0);
  constexpr int kCopies = 40;
  AttentionShape s;
  s.rows = 1;
  s.heads = 4;
  s.dim = 256;
  s.batch = 1;
  s.slots = context;
  s.kv_heads = 1;
  s.value_dim = 256;
  const std::vector<float> q = RandomFloats(s.heads * s.dim, 1, 1.0f);
  const std::vector<float> k = RandomFloats(kCopies * context * s.dim, 2, 1.0f);
  const std::vector<float> v = RandomFloats(kCopies * context * s.dim, 3, 1.0f);
  const int32_t position = int32_t(context - 1);
  std::vector<float> out(static_cast<size_t>(s.heads * s.value_dim));
  int c = 0;
  for (auto _ : state) {
    const size_t at = size_t(c) * size_t(context * s.dim);
    Attention(Pool(), s, q.data(), k.data() + at, v.data() + at, &position,
              0.0625f, 0.0f, 0, out.data());
    benchmark::DoNotOptimize(out.data());
    c = (c + 1) % kCopies;
  }
  state.SetBytesProcessed(state.iterations() * 2 * context * s.dim *
                          int64_t(sizeof(float)));
}
BENCHMARK(BM_AttentionStreamed)
    ->Arg(576)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_GeluTanh(benchmark::State &state) {
  const std::vector<float> x = RandomFloats(state.range(0), 4, 4.0f);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    GeluTanh(x.data(), int64_t(x.size()), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_GeluTanh)->Arg(2048)->Arg(32 * 2048);

// A server's batched decode: `n` activation rows of 640 against a block of
// 12 decoded f32 weight rows in cache (kernels/cpu DotRowsMulti), one
// thread; GFLOP/s beside BM_FmaPeak's per-core share.
void BM_DotRowsMulti(benchmark::State &state) {
  const int64_t n = state.range(0), in = 640, rows = 12;
  const std::vector<float> x = RandomFloats(n * in, 5, 1.0f);
  const std::vector<float> w = RandomFloats(rows * in, 6, 1.0f);
  std::vector<float> y(size_t(n * rows));
  for (auto _ : state) {
    DotRowsMulti(x.data(), n, in, in, w.data(), in, rows, y.data(), rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      double(state.iterations()) * 2.0 * double(n * rows * in) * 1e-9,
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DotRowsMulti)->DenseRange(3, 8);

} // namespace
} // namespace gemma::cpu

// GEMMA_VECTOR_TARGET=avx2 runs every kernel on Highway's AVX2 target (and
// so without the AVX-512-only paths), as on an AVX2-only CPU of the same
// core: the machine kinds these benchmarks run on move between the two.
int main(int argc, char **argv) {
  if (const char *target = std::getenv("GEMMA_VECTOR_TARGET")) {
    if (std::string_view(target) != "avx2") {
      std::fprintf(stderr,
                   "bench-kernels: GEMMA_VECTOR_TARGET=%s: only avx2 "
                   "can be forced\n",
                   target);
      return 1;
    }
    hwy::SetSupportedTargetsForTest(HWY_AVX2);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
