//===- SplitDot.cpp - Exact decode dots on AVX512-BF16 --------------------===//
//
// Stored values become bf16 words through table lookups (VPERMW: 32 words
// indexed by 5 bits, VPERMT2W: 64 by 6), then three VDPBF16PS per 32
// values against the activation planes, smallest part first. Each lookup
// replaces the f32 kernels' widen-convert per 16 values; bits the index
// does not need are left in place where the lookup ignores them (each
// saved op measured).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/SplitDot.h"

#include "kernels/cpu/GemmBf16.h"

#include <bit>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define GEMMA_SPLIT_TARGET                                                     \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,f16c")))
// GCC 12's plain forms of several AVX-512 intrinsics (shifts, narrowing,
// reductions) start from an undefined register and trip its own
// -Wmaybe-uninitialized and -Wuninitialized where they are inlined; the
// undefined lanes are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace gemma::cpu {

bool SplitDotSupported() {
#if defined(__x86_64__)
  static const bool supported =
      Bf16GemmSupported() && __builtin_cpu_supports("f16c");
  return supported;
#else
  return false;
#endif
}

#if defined(__x86_64__)
namespace {

// The bf16 bits of v (exact for the small integers below).
constexpr uint16_t Bf16Of(float v) {
  return uint16_t(std::bit_cast<uint32_t>(v) >> 16);
}

// Word i: bf16(i - bias), i < N.
template <int N, int Bias> struct IntTable {
  alignas(64) uint16_t words[N];
  constexpr IntTable() : words{} {
    for (int i = 0; i < N; ++i)
      words[i] = Bf16Of(float(i - Bias));
  }
};
// Q5_0's values by a 5-bit index whose bit 4 is ignored (the nibble in bits
// 0-3): words 0-31 without the fifth bit, words 32-63 with it. Word i:
// bf16((i & 15) + 16 (i >> 5) - 16).
struct Q5_0Table {
  alignas(64) uint16_t words[64];
  constexpr Q5_0Table() : words{} {
    for (int i = 0; i < 64; ++i)
      words[i] = Bf16Of(float((i & 15) + 16 * (i >> 5) - 16));
  }
};
constexpr Q5_0Table kQ5_0Values;
constexpr IntTable<64, 32> kQ6_KValues;

// R rows read side by side are R short streams, which the hardware
// prefetcher follows poorly: while block b of these rows is read, the
// next R rows are fetched linearly (as GgmlDot.cpp does).
template <int R>
inline void PrefetchNext(const uint8_t *rows, int64_t row_bytes,
                         int64_t block_bytes, int64_t b) {
  const uint8_t *next = rows + 2 * R * row_bytes + R * block_bytes * b;
  for (int64_t at = 0; at < R * block_bytes; at += 64)
    _mm_prefetch(reinterpret_cast<const char *>(next + at), _MM_HINT_T0);
}

// The activation planes of 32 values from `at`: lo, mid, hi.
struct Parts {
  __m512bh lo, mid, hi;
};

GEMMA_SPLIT_TARGET inline Parts LoadParts(const uint16_t *planes, int64_t n,
                                          int64_t at) {
  return {(__m512bh)_mm512_loadu_si512(planes + 2 * n + at),
          (__m512bh)_mm512_loadu_si512(planes + n + at),
          (__m512bh)_mm512_loadu_si512(planes + at)};
}

// 32 bf16 values . x (16 f32 lanes, each the sum of two products).
GEMMA_SPLIT_TARGET inline __m512 Dot32(__m512i values, const Parts &x) {
  const __m512bh w = (__m512bh)values;
  __m512 acc = _mm512_dpbf16_ps(_mm512_setzero_ps(), w, x.lo);
  acc = _mm512_dpbf16_ps(acc, w, x.mid);
  return _mm512_dpbf16_ps(acc, w, x.hi);
}

// The f16 at p in every lane.
GEMMA_SPLIT_TARGET inline __m512 HalfLanes(const uint8_t *p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return _mm512_maskz_cvtph_ps(__mmask16(0xFFFF),
                               _mm256_set1_epi16(short(bits)));
}

template <int R>
GEMMA_SPLIT_TARGET inline void Sum(const __m512 (&total)[R], float *out) {
  for (int r = 0; r < R; ++r)
    out[r] = _mm512_reduce_add_ps(total[r]);
}

// Q5_0: { f16 d; u32 qh; u8 qs[16]; }: value j is the low (j < 16) or high
// nibble of qs[j mod 16] with bit j of qh above it, minus 16. The 16 bytes
// widen to words once; words 0-15 are the bytes themselves (the high
// nibble sits in bits 4-7, which the 5-bit lookup reads only as bit 4,
// ignored by the table) and words 16-31 the bytes shifted down by 4. One
// lookup gives every value without its fifth bit, a second one, masked by
// qh, those with it. (Clearing bits 4-7 and adding the fifth bit instead
// measured 10% slower.)
template <int R>
GEMMA_SPLIT_TARGET void DotQ5_0R(const uint16_t *planes, const uint8_t *rows,
                                 int64_t row_bytes, int64_t n, float *out) {
  const __m512i without_fifth = _mm512_load_si512(kQ5_0Values.words),
                with_fifth = _mm512_load_si512(kQ5_0Values.words + 32);
  __m512 total[R];
  for (int r = 0; r < R; ++r)
    total[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / 32; ++b) {
    if constexpr (R > 1)
      PrefetchNext<R>(rows, row_bytes, 22, b);
    const Parts x = LoadParts(planes, n, 32 * b);
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = rows + r * row_bytes + 22 * b;
      uint32_t qh;
      std::memcpy(&qh, block + 2, 4);
      const __m256i bytes = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(block + 6)));
      const __m512i index = _mm512_inserti64x4(_mm512_castsi256_si512(bytes),
                                               _mm256_srli_epi16(bytes, 4), 1);
      const __m512i values = _mm512_mask_permutexvar_epi16(
          _mm512_permutexvar_epi16(index, without_fifth), _cvtu32_mask32(qh),
          index, with_fifth);
      const __m512 sum = Dot32(values, x);
      total[r] = _mm512_fmadd_ps(HalfLanes(block), sum, total[r]);
    }
  }
  Sum<R>(total, out);
}

// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }: in half h of 128
// values, value l + 32 m (l < 32, m < 4) takes its low 4 bits from nibble
// m / 2 of ql[64 h + l + 32 (m % 2)] and its high 2 from bits 2m, 2m + 1 of
// qh[32 h + l], minus 32; values 16 i to 16 i + 15 have scale d *
// scales[i]. Each 32 values' 6-bit indices are built in bytes (a ternary
// logic op takes the low nibble from one shifted source and the high bits
// from another; bits 6 and 7 are left over and ignored by VPERMT2W, which
// reads 6 bits), widened to words and looked up as bf16(q - 32). Lanes 0-7
// of a 32-value sum carry the first 16 values, lanes 8-15 the next.
template <int R>
GEMMA_SPLIT_TARGET void DotQ6_KR(const uint16_t *planes, const uint8_t *rows,
                                 int64_t row_bytes, int64_t n, float *out) {
  const __m512i table_lo = _mm512_load_si512(kQ6_KValues.words),
                table_hi = _mm512_load_si512(kQ6_KValues.words + 32);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  // Lane k of chunk m's scale vector: scale 2m (k < 8) or 2m + 1.
  __m512i scale_index[4];
  for (int m = 0; m < 4; ++m)
    scale_index[m] =
        _mm512_set_epi32(2 * m + 1, 2 * m + 1, 2 * m + 1, 2 * m + 1, 2 * m + 1,
                         2 * m + 1, 2 * m + 1, 2 * m + 1, 2 * m, 2 * m, 2 * m,
                         2 * m, 2 * m, 2 * m, 2 * m, 2 * m);
  __m512 total[R];
  for (int r = 0; r < R; ++r)
    total[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / 256; ++b) {
    if constexpr (R > 1)
      PrefetchNext<R>(rows, row_bytes, 210, b);
    __m512 scales[R];
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = rows + r * row_bytes + 210 * b;
      scales[r] =
          _mm512_mul_ps(HalfLanes(block + 208),
                        _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                            reinterpret_cast<const __m128i *>(block + 192)))));
    }
    for (int h = 0; h < 2; ++h) {
      Parts x[4];
      for (int m = 0; m < 4; ++m)
        x[m] = LoadParts(planes, n, 256 * b + 128 * h + 32 * m);
      for (int r = 0; r < R; ++r) {
        const uint8_t *block = rows + r * row_bytes + 210 * b;
        const __m256i a = _mm256_loadu_si256(
                          reinterpret_cast<const __m256i *>(block + 64 * h)),
                      c = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
                          block + 64 * h + 32)),
                      hb = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
                          block + 128 + 32 * h));
        // (first & 0x0F) | (second & 0xF0): 0xE4 selects by the third.
        const __m256i index[4] = {
            _mm256_ternarylogic_epi32(a, _mm256_slli_epi16(hb, 4), nibble,
                                      0xE4),
            _mm256_ternarylogic_epi32(c, _mm256_slli_epi16(hb, 2), nibble,
                                      0xE4),
            _mm256_ternarylogic_epi32(_mm256_srli_epi16(a, 4), hb, nibble,
                                      0xE4),
            _mm256_ternarylogic_epi32(_mm256_srli_epi16(c, 4),
                                      _mm256_srli_epi16(hb, 2), nibble, 0xE4)};
        const __m512 block_scales = scales[r];
        const int first = 8 * h;
        for (int m = 0; m < 4; ++m) {
          const __m512i values = _mm512_permutex2var_epi16(
              table_lo, _mm512_cvtepu8_epi16(index[m]), table_hi);
          const __m512 lane_scales = _mm512_permutexvar_ps(
              _mm512_add_epi32(scale_index[m], _mm512_set1_epi32(first)),
              block_scales);
          total[r] =
              _mm512_fmadd_ps(lane_scales, Dot32(values, x[m]), total[r]);
        }
      }
    }
  }
  Sum<R>(total, out);
}

// A type's R-row dot over `count` rows: fours, then single rows.
using RowsKernel = void (*)(const uint16_t *, const uint8_t *, int64_t, int64_t,
                            float *);
template <RowsKernel Four, RowsKernel One>
GEMMA_SPLIT_TARGET inline void DotRows(const uint16_t *planes,
                                       const uint8_t *rows, int64_t row_bytes,
                                       int64_t n, int64_t count, float *out) {
  int64_t k = 0;
  for (; k + 4 <= count; k += 4)
    Four(planes, rows + k * row_bytes, row_bytes, n, out + k);
  for (; k < count; ++k)
    One(planes, rows + k * row_bytes, row_bytes, n, out + k);
}

} // namespace

GEMMA_SPLIT_TARGET void SplitActivations(const float *x, int64_t n,
                                         uint16_t *planes) {
  const __m512i top = _mm512_set1_epi32(int(0xFFFF0000u));
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512i hi = _mm512_and_si512(_mm512_castps_si512(v), top);
    const __m512 rest = _mm512_sub_ps(v, _mm512_castsi512_ps(hi));
    const __m512i mid = _mm512_and_si512(_mm512_castps_si512(rest), top);
    const __m512 lo = _mm512_sub_ps(rest, _mm512_castsi512_ps(mid));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(planes + i),
                        _mm512_cvtepi32_epi16(_mm512_srli_epi32(hi, 16)));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(planes + n + i),
                        _mm512_cvtepi32_epi16(_mm512_srli_epi32(mid, 16)));
    _mm256_storeu_si256(
        reinterpret_cast<__m256i *>(planes + 2 * n + i),
        _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(lo), 16)));
  }
}

GEMMA_SPLIT_TARGET void DotQ5_0RowsSplit(const uint16_t *planes,
                                         const uint8_t *rows, int64_t row_bytes,
                                         int64_t n, int64_t count, float *out) {
  DotRows<DotQ5_0R<4>, DotQ5_0R<1>>(planes, rows, row_bytes, n, count, out);
}

GEMMA_SPLIT_TARGET void DotQ6_KRowsSplit(const uint16_t *planes,
                                         const uint8_t *rows, int64_t row_bytes,
                                         int64_t n, int64_t count, float *out) {
  DotRows<DotQ6_KR<4>, DotQ6_KR<1>>(planes, rows, row_bytes, n, count, out);
}

#else

// Reached only where SplitDotSupported(): anything else is a caller's bug.
void SplitActivations(const float *, int64_t, uint16_t *) { std::abort(); }
void DotQ5_0RowsSplit(const uint16_t *, const uint8_t *, int64_t, int64_t,
                      int64_t, float *) {
  std::abort();
}
void DotQ6_KRowsSplit(const uint16_t *, const uint8_t *, int64_t, int64_t,
                      int64_t, float *) {
  std::abort();
}

#endif

} // namespace gemma::cpu
