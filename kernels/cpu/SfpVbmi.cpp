//===- SfpVbmi.cpp - SFP rows decoded by byte-table lookups ---------------===//
//
// Written with intrinsics in functions compiled for AVX512-VBMI alone
// (target attribute): Highway 1.0.3 compiles no target with VBMI by
// default. Reached only after a CPUID check.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/SfpVbmi.h"

#include "runtime/weights/codecs/Sfp.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define GEMMA_VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#endif

namespace gemma::cpu {

bool SfpVbmiSupported() {
#if defined(__x86_64__)
  static const bool supported = __builtin_cpu_supports("avx512vbmi") &&
                                __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512f");
  return supported;
#else
  return false;
#endif
}

#if defined(__x86_64__)
namespace {

constexpr int64_t kChunk = 64; // codes per step

// The low and high bytes of the bf16 bits of each magnitude code, and the
// code index each f32 lane of a step holds after the unpacks.
struct Tables {
  alignas(64) uint8_t low[128];
  alignas(64) uint8_t high[128];
  int32_t order[kChunk];
  // Byte permutes of 64 codes after which the unpacks leave the values in
  // code order: for bf16 words (one unpack) and for f32 lanes (two).
  alignas(64) uint8_t to_words[kChunk];
  alignas(64) uint8_t to_floats[kChunk];
};

// The f32 lanes of one step: bf16 words from the byte tables, widened by
// putting each word in the upper half of a 32-bit lane (zero below).
struct Step {
  __m512 f[4];
};

GEMMA_VBMI_TARGET inline Step Widen(__m512i lo, __m512i hi) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i w0 = _mm512_unpacklo_epi8(lo, hi),
                w1 = _mm512_unpackhi_epi8(lo, hi);
  Step s;
  s.f[0] = _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, w0));
  s.f[1] = _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, w0));
  s.f[2] = _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, w1));
  s.f[3] = _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, w1));
  return s;
}

GEMMA_VBMI_TARGET Tables MakeTables() {
  Tables t;
  for (int m = 0; m < 128; ++m) {
    const float value = SfpDecode(uint8_t(m));
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    t.low[m] = uint8_t(bits >> 16);
    t.high[m] = uint8_t(bits >> 24);
  }
  // The same unpacks on code indices (index in the low byte, zero above)
  // give the index each lane ends up holding.
  alignas(64) uint8_t index[kChunk];
  for (int i = 0; i < kChunk; ++i)
    index[i] = uint8_t(i);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i idx = _mm512_load_si512(index);
  const __m512i w0 = _mm512_unpacklo_epi8(idx, zero),
                w1 = _mm512_unpackhi_epi8(idx, zero);
  _mm512_storeu_si512(t.order, _mm512_unpacklo_epi16(w0, zero));
  _mm512_storeu_si512(t.order + 16, _mm512_unpackhi_epi16(w0, zero));
  _mm512_storeu_si512(t.order + 32, _mm512_unpacklo_epi16(w1, zero));
  _mm512_storeu_si512(t.order + 48, _mm512_unpackhi_epi16(w1, zero));
  // Word q of [w0, w1] holds the code at byte words[q], f32 lane q the
  // one at byte order[q]. A byte permute c'[p] = c[ctrl[p]] with
  // ctrl[words[q]] = q puts code q where word q reads it.
  alignas(64) uint16_t words[kChunk];
  _mm512_storeu_si512(words, w0);
  _mm512_storeu_si512(words + 32, w1);
  for (int q = 0; q < kChunk; ++q) {
    t.to_words[words[q]] = uint8_t(q);
    t.to_floats[t.order[q]] = uint8_t(q);
  }
  return t;
}

const Tables &TheTables() {
  static const Tables tables = MakeTables();
  return tables;
}

// The f32 values of 64 codes, in the order of Tables::order.
struct Decoder {
  __m512i low0, low1, high0, high1, sign;

  GEMMA_VBMI_TARGET explicit Decoder(const Tables &t)
      : low0(_mm512_load_si512(t.low)), low1(_mm512_load_si512(t.low + 64)),
        high0(_mm512_load_si512(t.high)), high1(_mm512_load_si512(t.high + 64)),
        sign(_mm512_set1_epi8(char(0x80))) {}

  GEMMA_VBMI_TARGET Step Decode(const uint8_t *codes) const {
    const __m512i c = _mm512_loadu_si512(codes);
    // Bits 0-6 of each code pick one of the 128 table bytes.
    const __m512i lo = _mm512_permutex2var_epi8(low0, c, low1);
    __m512i hi = _mm512_permutex2var_epi8(high0, c, high1);
    hi = _mm512_ternarylogic_epi32(hi, c, sign, 0xF8); // hi | (c & sign)
    return Widen(lo, hi);
  }
};

// The bf16 bits of 64 codes, in code order (`ctrl` a Tables permute).
GEMMA_VBMI_TARGET inline void LookUp(const Decoder &decoder, const __m512i ctrl,
                                     const uint8_t *codes, __m512i &lo,
                                     __m512i &hi) {
  // (The two-table permute with one table: GCC 12's one-table
  // _mm512_permutexvar_epi8 trips its own -Wmaybe-uninitialized.)
  const __m512i raw = _mm512_loadu_si512(codes);
  const __m512i c = _mm512_permutex2var_epi8(raw, ctrl, raw);
  lo = _mm512_permutex2var_epi8(decoder.low0, c, decoder.low1);
  hi = _mm512_permutex2var_epi8(decoder.high0, c, decoder.high1);
  hi = _mm512_ternarylogic_epi32(hi, c, decoder.sign, 0xF8);
}

GEMMA_VBMI_TARGET void ToBf16(const uint8_t *codes, int64_t n, uint16_t *out) {
  const Tables &t = TheTables();
  const Decoder decoder(t);
  const __m512i ctrl = _mm512_load_si512(t.to_words);
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    __m512i lo, hi;
    LookUp(decoder, ctrl, codes + i, lo, hi);
    _mm512_storeu_si512(out + i, _mm512_unpacklo_epi8(lo, hi));
    _mm512_storeu_si512(out + i + 32, _mm512_unpackhi_epi8(lo, hi));
  }
  for (; i < n; ++i) {
    const float value = SfpDecode(codes[i]);
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    out[i] = uint16_t(bits >> 16);
  }
}

GEMMA_VBMI_TARGET void ToF32(const uint8_t *codes, int64_t n, float *out) {
  const Tables &t = TheTables();
  const Decoder decoder(t);
  const __m512i ctrl = _mm512_load_si512(t.to_floats);
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    __m512i lo, hi;
    LookUp(decoder, ctrl, codes + i, lo, hi);
    const Step s = Widen(lo, hi);
    for (int j = 0; j < 4; ++j)
      _mm512_storeu_ps(out + i + 16 * j, s.f[j]);
  }
  for (; i < n; ++i)
    out[i] = SfpDecode(codes[i]);
}

template <int R>
GEMMA_VBMI_TARGET void DotRows(const float *x, const uint8_t *rows,
                               int64_t row_bytes, int64_t n, float *out) {
  const Decoder decoder(TheTables());
  __m512 acc[R][2];
  for (int r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  // Four short rows read side by side: the next four are fetched meanwhile.
  const uint8_t *next = rows + R * row_bytes;
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    if constexpr (R > 1)
      for (int64_t b = 0; b < R * kChunk; b += 64)
        _mm_prefetch(reinterpret_cast<const char *>(next + R * i + b),
                     _MM_HINT_T0);
    const __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16),
                 x2 = _mm512_loadu_ps(x + i + 32),
                 x3 = _mm512_loadu_ps(x + i + 48);
    for (int r = 0; r < R; ++r) {
      const Step s = decoder.Decode(rows + r * row_bytes + i);
      acc[r][0] = _mm512_fmadd_ps(s.f[0], x0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(s.f[1], x1, acc[r][1]);
      acc[r][0] = _mm512_fmadd_ps(s.f[2], x2, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(s.f[3], x3, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    // (Lanes summed through memory: GCC 12's _mm512_reduce_add_ps trips
    // its own -Wmaybe-uninitialized.)
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, _mm512_add_ps(acc[r][0], acc[r][1]));
    float total = 0.0f;
    for (float v : lanes)
      total += v;
    for (int64_t t = i; t < n; ++t)
      total += x[t] * SfpDecode(rows[r * row_bytes + t]);
    out[r] = total;
  }
}

void ActivationOrder(const float *x, int64_t n, float *out) {
  const Tables &t = TheTables();
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk)
    for (int k = 0; k < kChunk; ++k)
      out[i + k] = x[i + t.order[k]];
  for (; i < n; ++i)
    out[i] = x[i];
}

} // namespace
#endif

namespace {

// Reached only where SfpVbmiSupported() (RowDotFor checks): anything else
// is a caller's bug.
[[noreturn]] void Unavailable() { std::abort(); }

} // namespace

void SfpVbmiActivationOrder(const float *x, int64_t n, float *x_ordered) {
#if defined(__x86_64__)
  if (SfpVbmiSupported())
    return ActivationOrder(x, n, x_ordered);
#endif
  Unavailable();
}

float DotSfpVbmi(const float *x_ordered, const uint8_t *packed, int64_t n) {
#if defined(__x86_64__)
  if (SfpVbmiSupported()) {
    float out[1];
    DotRows<1>(x_ordered, packed, 0, n, out);
    return out[0];
  }
#endif
  Unavailable();
}

void DotSfp4Vbmi(const float *x_ordered, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, float *out) {
#if defined(__x86_64__)
  if (SfpVbmiSupported())
    return DotRows<4>(x_ordered, rows, row_bytes, n, out);
#endif
  Unavailable();
}

void DecodeSfpToBf16Vbmi(const uint8_t *codes, int64_t n, uint16_t *out) {
#if defined(__x86_64__)
  if (SfpVbmiSupported())
    return ToBf16(codes, n, out);
#endif
  Unavailable();
}

void DecodeSfpVbmi(const uint8_t *codes, int64_t n, float *out) {
#if defined(__x86_64__)
  if (SfpVbmiSupported())
    return ToF32(codes, n, out);
#endif
  Unavailable();
}

} // namespace gemma::cpu
