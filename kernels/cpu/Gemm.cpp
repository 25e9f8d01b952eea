//===- Gemm.cpp - The prefill matmul's register-blocked kernel ------------===//
//
// The tile is kRows weight rows by one panel of two vectors of tokens:
// 12 x 32 on AVX-512 (24 accumulators of its 32 registers), 6 x 16 on
// AVX2 and SSE4 (12 of 16). Per k: two panel loads, kRows broadcasts,
// 2 kRows FMAs.
//
//===----------------------------------------------------------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/Gemm.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/cache_control.h"
#include "hwy/highway.h"

#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/TileOrder.h"

#include <algorithm>

HWY_BEFORE_NAMESPACE();
namespace gemma::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;
constexpr int64_t kLanes = int64_t(hn::MaxLanes(DF()));
constexpr int64_t kWidth = 2 * kLanes;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr int kRows = 12; // of 32 vector registers
#else
constexpr int kRows = 6; // of 16
#endif
// Weight rows whose panel loads share one pass: a block of decoded rows
// (within L2) is run against each panel before the next panel is read.
constexpr int64_t kBlockRows = 4 * kRows;

int64_t GemmTokenWidthVec() { return kWidth; }

#if HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
// The kLanes x kLanes block in r transposed in registers: each round takes
// the even lanes of each pair of rows, then the odd ones, which moves the
// flat index's lowest bit to its top; log2(kLanes) rounds swap the row and
// lane bits.
HWY_INLINE void Transpose(VF *r) {
  const DF d;
  VF t[kLanes];
  for (int64_t step = 1; step < kLanes; step *= 2) {
    for (int64_t i = 0; i < kLanes / 2; ++i) {
      t[i] = hn::ConcatEven(d, r[2 * i + 1], r[2 * i]);
      t[i + kLanes / 2] = hn::ConcatOdd(d, r[2 * i + 1], r[2 * i]);
    }
    for (int64_t i = 0; i < kLanes; ++i)
      r[i] = t[i];
  }
}
#endif

void PackTokensVec(const float *x, int64_t n, int64_t k, float *packed,
                   int64_t first_panel, int64_t last_panel) {
  for (int64_t p = first_panel; p < last_panel; ++p) {
    float *out = packed + p * k * kWidth;
    const int64_t tokens = std::min(kWidth, n - p * kWidth);
    const float *panel = x + p * kWidth * k;
    int64_t t0 = 0;
#if HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
    {
      // kLanes values of kLanes tokens at a time, transposed in registers
      // (a scalar copy of each value measured 3% of a 512-token prefill).
      const DF d;
      for (; t0 + kLanes <= k; t0 += kLanes)
        for (int64_t half = 0; half < kWidth; half += kLanes) {
          VF r[kLanes];
          for (int64_t i = 0; i < kLanes; ++i)
            r[i] = half + i < tokens ? hn::LoadU(d, panel + (half + i) * k + t0)
                                     : hn::Zero(d);
          Transpose(r);
          for (int64_t i = 0; i < kLanes; ++i)
            hn::StoreU(r[i], d, out + (t0 + i) * kWidth + half);
        }
    }
#endif
    // The rest of k (and every k on targets without the transpose).
    for (int64_t t = t0; t < k; ++t) {
      for (int64_t m = 0; m < tokens; ++m)
        out[t * kWidth + m] = panel[m * k + t];
      for (int64_t m = tokens; m < kWidth; ++m)
        out[t * kWidth + m] = 0.0f;
    }
  }
}

// R weight rows against one panel of `tokens` valid tokens, fetching
// `next`'s lines, one per k step, as it goes.
template <int R>
HWY_INLINE void Tile(const float *w, int64_t ws, int64_t k, const float *panel,
                     int64_t tokens, float *y, int64_t y_stride,
                     Prefetch next) {
  const DF d;
  VF acc0[R], acc1[R];
  for (int i = 0; i < R; ++i)
    acc0[i] = acc1[i] = hn::Zero(d);
  const auto step = [&](int64_t t) HWY_ATTR __attribute__((always_inline)) {
    const VF b0 = hn::Load(d, panel + t * kWidth),
             b1 = hn::Load(d, panel + t * kWidth + kLanes);
    for (int i = 0; i < R; ++i) {
      const VF a = hn::Set(d, w[i * ws + t]);
      acc0[i] = hn::MulAdd(a, b0, acc0[i]);
      acc1[i] = hn::MulAdd(a, b1, acc1[i]);
    }
  };
  // The prefetched lines, one per step, then the steps alone (a test in
  // every step made the compiler spill the accumulators of the bf16 tile).
  const int64_t lines = std::min(k, (next.bytes + 63) / 64);
  int64_t t = 0;
  for (; t < lines; ++t) {
    hwy::Prefetch(next.data + t * 64);
    step(t);
  }
  for (; t < k; ++t)
    step(t);
  // Lane m of row i's accumulators is y[m, i]: a column of the output.
  HWY_ALIGN float column[kWidth];
  for (int i = 0; i < R; ++i) {
    hn::Store(acc0[i], d, column);
    hn::Store(acc1[i], d, column + kLanes);
    for (int64_t m = 0; m < tokens; ++m)
      y[m * y_stride + i] = column[m];
  }
}

template <int R>
HWY_INLINE void RestRows(const float *w, int64_t ws, int64_t rows, int64_t k,
                         const float *panel, int64_t tokens, float *y,
                         int64_t y_stride, Prefetch next) {
  if constexpr (R > 0) {
    if (rows == R)
      return Tile<R>(w, ws, k, panel, tokens, y, y_stride, next);
    RestRows<R - 1>(w, ws, rows, k, panel, tokens, y, y_stride, next);
  }
}

void GemmRowsVec(const float *w, int64_t ws, int64_t count, int64_t k,
                 const float *packed, int64_t n, float *y, int64_t y_stride,
                 Prefetch next) {
  ForEachTile<kRows, kWidth, kBlockRows>(
      count, n, y, y_stride,
      [&](int64_t j, int64_t rows, int64_t p, int64_t tokens, float *out,
          int64_t out_stride) {
        const Prefetch part = PrefetchSlice(next, count, kRows, j, p);
        RestRows<kRows>(w + j * ws, ws, rows, k, packed + p * k * kWidth,
                        tokens, out, out_stride, part);
      });
}

} // namespace HWY_NAMESPACE
} // namespace gemma::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::cpu {

HWY_EXPORT(GemmTokenWidthVec);
HWY_EXPORT(PackTokensVec);
HWY_EXPORT(GemmRowsVec);

int64_t GemmTokenWidth() { return HWY_DYNAMIC_DISPATCH(GemmTokenWidthVec)(); }

int64_t PackedTokensSize(int64_t n, int64_t k) {
  const int64_t width = GemmTokenWidth();
  return (n + width - 1) / width * width * k;
}

void PackTokens(const float *x, int64_t n, int64_t k, float *packed,
                int64_t first_panel, int64_t last_panel) {
  HWY_DYNAMIC_DISPATCH(PackTokensVec)(x, n, k, packed, first_panel, last_panel);
}

void GemmRows(const float *w, int64_t w_stride, int64_t count, int64_t k,
              const float *packed, int64_t n, float *y, int64_t y_stride,
              Prefetch next) {
  HWY_DYNAMIC_DISPATCH(GemmRowsVec)
  (w, w_stride, count, k, packed, n, y, y_stride, next);
}

int64_t GemmRowStride(int64_t k) {
  constexpr int64_t kLine = 16; // floats
  return (k + kLine - 1) / kLine * kLine + kLine;
}

} // namespace gemma::cpu
#endif
