//===- GemmBf16.cpp - The opt-in bf16 prefill matmul ----------------------===//
//
// Highway 1.0.3 (Debian 12) has no op for AVX512-BF16's VDPBF16PS, so the
// tile is written with the intrinsics in functions compiled for that ISA
// alone (target attribute) and reached only after a CPUID check.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/GemmBf16.h"

#include "kernels/cpu/TileOrder.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define GEMMA_BF16_TARGET                                                      \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#endif

namespace gemma::cpu {
namespace {

std::atomic<bool> prefill_bf16{false};

} // namespace

bool Bf16GemmSupported() {
#if defined(__x86_64__)
  static const bool supported = __builtin_cpu_supports("avx512bf16") &&
                                __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vl");
  return supported;
#else
  return false;
#endif
}

void SetPrefillBf16(bool on) {
  prefill_bf16.store(on && Bf16GemmSupported(), std::memory_order_relaxed);
}

bool PrefillBf16() { return prefill_bf16.load(std::memory_order_relaxed); }

int64_t PackedTokensBf16Size(int64_t n, int64_t k) {
  const int64_t panels = (n + kBf16Tokens - 1) / kBf16Tokens;
  return panels * ((k + 1) / 2) * kBf16Tokens;
}

namespace {

// The bf16 functions run only where Bf16GemmSupported() (SetPrefillBf16
// refuses otherwise): anything else is a caller's bug.
[[noreturn]] void Unavailable() { std::abort(); }

} // namespace

#if defined(__x86_64__)
namespace {

// One row of k f32 values as bf16 (VCVTNE2PS2BF16: round to nearest even)
// in 32-value steps, zeros from k to the next multiple of 32: `out` has
// room for them.
GEMMA_BF16_TARGET void RowToBf16(const float *in, int64_t k, uint16_t *out) {
  for (int64_t t = 0; t < k; t += 32) {
    const int64_t left = k - t;
    const __mmask16 lo =
        left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    const __mmask16 hi = left >= 32  ? __mmask16(0xFFFF)
                         : left > 16 ? __mmask16((1u << (left - 16)) - 1)
                                     : __mmask16(0);
    const __m512 a = _mm512_maskz_loadu_ps(lo, in + t);
    const __m512 b = _mm512_maskz_loadu_ps(hi, in + t + 16);
    _mm512_storeu_si512(out + t, (__m512i)_mm512_cvtne2ps_pbh(b, a));
  }
}

GEMMA_BF16_TARGET void PackTokensAvx512Bf16(const float *x, int64_t n,
                                            int64_t k, uint32_t *packed,
                                            int64_t first_panel,
                                            int64_t last_panel) {
  const int64_t pairs = (k + 1) / 2;
  std::vector<uint16_t> row16(size_t((k + 31) / 32 * 32));
  uint32_t pair[1];
  for (int64_t p = first_panel; p < last_panel; ++p) {
    uint32_t *out = packed + p * pairs * kBf16Tokens;
    const int64_t tokens = std::min(kBf16Tokens, n - p * kBf16Tokens);
    for (int64_t m = 0; m < kBf16Tokens; ++m) {
      if (m >= tokens) {
        for (int64_t t = 0; t < pairs; ++t)
          out[t * kBf16Tokens + m] = 0;
        continue;
      }
      RowToBf16(x + (p * kBf16Tokens + m) * k, k, row16.data());
      for (int64_t t = 0; t < pairs; ++t) {
        std::memcpy(pair, row16.data() + 2 * t, 4);
        out[t * kBf16Tokens + m] = pair[0];
      }
    }
  }
}

// R weight rows against one panel: per k pair, two panel loads, R
// broadcasts of a row's pair, 2 R dot-product instructions.
template <int R>
GEMMA_BF16_TARGET void Tile(const uint16_t *w, int64_t ws, int64_t pairs,
                            const uint32_t *panel, int64_t tokens, float *y,
                            int64_t y_stride, Prefetch next) {
  __m512 acc0[R], acc1[R];
  for (int i = 0; i < R; ++i)
    acc0[i] = acc1[i] = _mm512_setzero_ps();
  const auto step = [&](int64_t t) GEMMA_BF16_TARGET
      __attribute__((always_inline)) {
        const __m512bh b0 =
            (__m512bh)_mm512_load_si512(panel + t * kBf16Tokens);
        const __m512bh b1 =
            (__m512bh)_mm512_load_si512(panel + t * kBf16Tokens + 16);
        for (int i = 0; i < R; ++i) {
          uint32_t pair;
          std::memcpy(&pair, w + i * ws + 2 * t, 4);
          const __m512bh a = (__m512bh)_mm512_set1_epi32(int(pair));
          acc0[i] = _mm512_dpbf16_ps(acc0[i], a, b0);
          acc1[i] = _mm512_dpbf16_ps(acc1[i], a, b1);
        }
      };
  // The prefetched lines, one per step, then the steps alone (a test in
  // every step made the compiler spill the accumulators).
  const int64_t lines = std::min(pairs, (next.bytes + 63) / 64);
  const char *ahead = reinterpret_cast<const char *>(next.data);
  int64_t t = 0;
  for (; t < lines; ++t) {
    _mm_prefetch(ahead + t * 64, _MM_HINT_T0);
    step(t);
  }
  for (; t < pairs; ++t)
    step(t);
  alignas(64) float column[kBf16Tokens];
  for (int i = 0; i < R; ++i) {
    _mm512_store_ps(column, acc0[i]);
    _mm512_store_ps(column + 16, acc1[i]);
    for (int64_t m = 0; m < tokens; ++m)
      y[m * y_stride + i] = column[m];
  }
}

constexpr int kRows = 12;

template <int R>
GEMMA_BF16_TARGET void RestRows(const uint16_t *w, int64_t ws, int64_t rows,
                                int64_t pairs, const uint32_t *panel,
                                int64_t tokens, float *y, int64_t y_stride,
                                Prefetch next) {
  if constexpr (R > 0) {
    if (rows == R)
      return Tile<R>(w, ws, pairs, panel, tokens, y, y_stride, next);
    RestRows<R - 1>(w, ws, rows, pairs, panel, tokens, y, y_stride, next);
  }
}

GEMMA_BF16_TARGET void GemmRowsAvx512Bf16(const uint16_t *w, int64_t ws,
                                          int64_t count, int64_t k,
                                          const uint32_t *packed, int64_t n,
                                          float *y, int64_t y_stride,
                                          Prefetch next) {
  const int64_t pairs = (k + 1) / 2;
  ForEachTile<kRows, kBf16Tokens, 4 * kRows>(
      count, n, y, y_stride,
      [&](int64_t j, int64_t rows, int64_t p, int64_t tokens, float *out,
          int64_t out_stride) GEMMA_BF16_TARGET {
        const Prefetch part = PrefetchSlice(next, count, kRows, j, p);
        RestRows<kRows>(w + j * ws, ws, rows, pairs,
                        packed + p * pairs * kBf16Tokens, tokens, out,
                        out_stride, part);
      });
}

} // namespace
#endif

void PackTokensBf16(const float *x, int64_t n, int64_t k, uint32_t *packed,
                    int64_t first_panel, int64_t last_panel) {
#if defined(__x86_64__)
  if (Bf16GemmSupported())
    return PackTokensAvx512Bf16(x, n, k, packed, first_panel, last_panel);
#endif
  Unavailable();
}

void RowsToBf16(const float *in, int64_t count, int64_t k, int64_t in_stride,
                uint16_t *out, int64_t out_stride) {
#if defined(__x86_64__)
  // The vector form writes whole 32-value steps.
  if (Bf16GemmSupported() && out_stride >= (k + 31) / 32 * 32) {
    for (int64_t j = 0; j < count; ++j)
      RowToBf16(in + j * in_stride, k, out + j * out_stride);
    return;
  }
#endif
  Unavailable();
}

void GemmRowsBf16(const uint16_t *w, int64_t w_stride, int64_t count, int64_t k,
                  const uint32_t *packed, int64_t n, float *y, int64_t y_stride,
                  Prefetch next) {
#if defined(__x86_64__)
  if (Bf16GemmSupported())
    return GemmRowsAvx512Bf16(w, w_stride, count, k, packed, n, y, y_stride,
                              next);
#endif
  Unavailable();
}

} // namespace gemma::cpu
