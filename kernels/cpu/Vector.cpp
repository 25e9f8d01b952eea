//===- Vector.cpp - SIMD primitives of the CPU kernels --------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/Vector.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/cache_control.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

#include "runtime/weights/codecs/SfpLanes-inl.h"

#include "kernels/common/ElementwiseFunctions.h"
#include "kernels/cpu/Vector.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/Sfp.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float DotVec(const float *a, const float *b, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + lanes), hn::LoadU(d, b + i + lanes),
                    s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * lanes),
                    hn::LoadU(d, b + i + 2 * lanes), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * lanes),
                    hn::LoadU(d, b + i + 3 * lanes), s3);
  }
  for (; i + lanes <= n; i += lanes)
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  // Highway 1.0.3 (Debian) has SumOfLanes, not ReduceSum.
  float sum =
      hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}

void AddScaledVec(float alpha, const float *x, float *y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  const auto va = hn::Set(d, alpha);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d,
               y + i);
  for (; i < n; ++i)
    y[i] += alpha * x[i];
}

// x . decode(bf16 row): the weights are widened in registers, never stored.
// With `ahead`, the bytes as far past the row as the row past `packed` are
// prefetched meanwhile (the rows a matvec reads next).
HWY_INLINE float DotBf16Row(const float *x, const uint8_t *packed, int64_t n,
                            int64_t ahead) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du32;
  const hn::Rebind<uint16_t, decltype(du32)> du16;
  const int64_t lanes = int64_t(hn::Lanes(df));
  const uint16_t *w = reinterpret_cast<const uint16_t *>(packed);
  auto s0 = hn::Zero(df), s1 = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    if (ahead > 0)
      hwy::Prefetch(packed + ahead + 2 * i);
    auto w0 = hn::BitCast(
        df, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, w + i))));
    auto w1 = hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(
                                  du32, hn::LoadU(du16, w + i + lanes))));
    s0 = hn::MulAdd(hn::LoadU(df, x + i), w0, s0);
    s1 = hn::MulAdd(hn::LoadU(df, x + i + lanes), w1, s1);
  }
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(s0, s1)));
  for (; i < n; ++i)
    sum += x[i] * Bf16ToF32(w[i]);
  return sum;
}

float DotBf16Vec(const float *x, const uint8_t *packed, int64_t n) {
  return DotBf16Row(x, packed, n, 0);
}

// Four bf16 rows `row_bytes` apart, one after the other, each prefetching
// the row eight ahead: one long stream, which the memory system serves
// faster than four rows read side by side (measured on the 262144 x 640
// tied logits: about 16% less time than four interleaved rows, though
// these reload each activation vector four times).
void DotBf16x4Vec(const float *x, const uint8_t *rows, int64_t row_bytes,
                  int64_t n, float *out) {
  for (int r = 0; r < 4; ++r)
    out[r] = DotBf16Row(x, rows + r * row_bytes, n, 8 * row_bytes);
}

// SFP rows are decoded in 16-bit lanes, two f32 vectors' worth per code
// vector; widening bf16 bits to f32 by interleaving with zeros is one
// instruction per vector but, on x86, takes the halves of each 128-bit block.
// Activations are put in that order once per matvec instead of undoing it
// for every weight row.
#if HWY_TARGET == HWY_SCALAR
// One lane: nothing to reorder.
void SfpActivationOrderVec(const float *x, int64_t n, float *out) {
  std::memcpy(out, x, size_t(n) * sizeof(float));
}

float DotSfpVec(const float *x, const uint8_t *packed, int64_t n) {
  float total = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    total += x[i] * SfpDecode(packed[i]);
  return total;
}

void DotSfp4Vec(const float *x, const uint8_t *rows, int64_t row_bytes,
                int64_t n, float *out) {
  for (int r = 0; r < 4; ++r)
    out[r] = DotSfpVec(x, rows + r * row_bytes, n);
}
#else
using DF = hn::ScalableTag<float>;
using DU16 = hn::Repartition<uint16_t, DF>;
using DI16 = hn::Repartition<int16_t, DF>;

// The bf16 bits of Lanes(DI16) SFP codes at `codes`.
HWY_INLINE hn::Vec<DI16> SfpBits(const uint8_t *codes) {
  const DI16 di16;
  const hn::Rebind<int8_t, DI16> di8;
  return gemma::HWY_NAMESPACE::DecodeSfpBf16Bits(
      di16, hn::PromoteTo(
                di16, hn::LoadU(di8, reinterpret_cast<const int8_t *>(codes))));
}

// f32 lanes from the lower / upper halves of each 128-bit block of bf16 bits.
HWY_INLINE hn::Vec<DF> LowerF32(hn::Vec<DI16> bits) {
  const DI16 di16;
  return hn::BitCast(DF(), hn::InterleaveLower(di16, hn::Zero(di16), bits));
}
HWY_INLINE hn::Vec<DF> UpperF32(hn::Vec<DI16> bits) {
  const DI16 di16;
  return hn::BitCast(DF(), hn::InterleaveUpper(di16, hn::Zero(di16), bits));
}

void SfpActivationOrderVec(const float *x, int64_t n, float *out) {
  const DU16 du16;
  const hn::Repartition<uint32_t, DF> du32;
  const int64_t codes = int64_t(hn::Lanes(du16));
  const int64_t lanes = codes / 2;
  // The order is that of the weights: interleave an iota with zeros.
  constexpr int64_t kMaxCodes = 64;
  HWY_ALIGN uint32_t order[kMaxCodes];
  const auto iota = hn::Iota(du16, 0);
  hn::Store(hn::BitCast(du32, hn::InterleaveLower(du16, iota, hn::Zero(du16))),
            du32, order);
  hn::Store(hn::BitCast(du32, hn::InterleaveUpper(du16, iota, hn::Zero(du16))),
            du32, order + lanes);
  int64_t i = 0;
  if (codes <= kMaxCodes)
    for (; i + codes <= n; i += codes)
      for (int64_t k = 0; k < codes; ++k)
        out[i + k] = x[i + order[k]];
  for (; i < n; ++i)
    out[i] = x[i];
}

// x . decode(SFP row), x in SfpActivationOrder's order.
float DotSfpVec(const float *x, const uint8_t *packed, int64_t n) {
  const DF df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  const int64_t codes = 2 * lanes;
  auto s0 = hn::Zero(df), s1 = hn::Zero(df), s2 = hn::Zero(df),
       s3 = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * codes <= n; i += 2 * codes) {
    const auto b0 = SfpBits(packed + i), b1 = SfpBits(packed + i + codes);
    s0 = hn::MulAdd(hn::LoadU(df, x + i), LowerF32(b0), s0);
    s1 = hn::MulAdd(hn::LoadU(df, x + i + lanes), UpperF32(b0), s1);
    s2 = hn::MulAdd(hn::LoadU(df, x + i + codes), LowerF32(b1), s2);
    s3 = hn::MulAdd(hn::LoadU(df, x + i + codes + lanes), UpperF32(b1), s3);
  }
  for (; i + codes <= n; i += codes) {
    const auto b0 = SfpBits(packed + i);
    s0 = hn::MulAdd(hn::LoadU(df, x + i), LowerF32(b0), s0);
    s1 = hn::MulAdd(hn::LoadU(df, x + i + lanes), UpperF32(b0), s1);
  }
  float total = hn::GetLane(
      hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i)
    total += x[i] * SfpDecode(packed[i]);
  return total;
}

// Four consecutive rows against one x: each activation vector is loaded
// once for four rows, and the four accumulator chains hide the FMA latency.
void DotSfp4Vec(const float *x, const uint8_t *rows, int64_t row_bytes,
                int64_t n, float *out) {
  const DF df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  const int64_t codes = 2 * lanes;
  decltype(hn::Zero(df)) sum[4] = {hn::Zero(df), hn::Zero(df), hn::Zero(df),
                                   hn::Zero(df)};
  int64_t i = 0;
  // Four short rows read side by side do not train the hardware prefetcher
  // the way one long stream does: fetch the next four rows meanwhile.
  const uint8_t *next = rows + 4 * row_bytes;
  for (; i + codes <= n; i += codes) {
    for (int64_t b = 0; b < 4 * codes; b += 64)
      hwy::Prefetch(next + 4 * i + b);
    const auto x0 = hn::LoadU(df, x + i), x1 = hn::LoadU(df, x + i + lanes);
    for (int r = 0; r < 4; ++r) {
      const auto bits = SfpBits(rows + r * row_bytes + i);
      sum[r] = hn::MulAdd(x0, LowerF32(bits), sum[r]);
      sum[r] = hn::MulAdd(x1, UpperF32(bits), sum[r]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    float total = hn::GetLane(hn::SumOfLanes(df, sum[r]));
    for (int64_t t = i; t < n; ++t)
      total += x[t] * SfpDecode(rows[r * row_bytes + t]);
    out[r] = total;
  }
}
#endif

// SFP codes to their bf16 bits (exact: every SFP value is a bf16 value),
// a vector of 16-bit lanes at a time.
void DecodeSfpToBf16Vec(const uint8_t *codes, int64_t n, uint16_t *out) {
  int64_t i = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<int16_t> di16;
  const hn::Rebind<int8_t, decltype(di16)> di8;
  const hn::RebindToUnsigned<decltype(di16)> du16;
  const int64_t lanes = int64_t(hn::Lanes(di16));
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(
        hn::BitCast(
            du16,
            gemma::HWY_NAMESPACE::DecodeSfpBf16Bits(
                di16, hn::PromoteTo(
                          di16, hn::LoadU(di8, reinterpret_cast<const int8_t *>(
                                                   codes + i))))),
        du16, out + i);
#endif
  for (; i < n; ++i) {
    const float value = SfpDecode(codes[i]);
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    out[i] = uint16_t(bits >> 16);
  }
}

// H heads' outputs, S vectors each, stay in registers while every value
// row passes once: the heads that share a KV head read its values once.
// The value rows are usually out of the CPU's caches (a decode step visits
// every layer's) and are walked a column strip at a time: the first strip
// fetches whole rows ahead, for every strip after it.
template <int H, int S>
HWY_INLINE void WeightedRowSumsH(const float *weights, int64_t w_stride,
                                 int64_t count, const float *rows,
                                 int64_t stride, int64_t n, float *out,
                                 int64_t out_stride) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  int64_t c = 0;
  for (; c + S * lanes <= n; c += S * lanes) {
    decltype(hn::Zero(d)) a[H][S];
    for (int h = 0; h < H; ++h)
      for (int j = 0; j < S; ++j)
        a[h][j] = hn::LoadU(d, out + h * out_stride + c + j * lanes);
    for (int64_t t = 0; t < count; ++t) {
      const float *row = rows + t * stride + c;
      if (c == 0 && t + 8 < count)
        for (int64_t k = 0; k < n; k += 64 / int64_t(sizeof(float)))
          hwy::Prefetch(rows + (t + 8) * stride + k);
      decltype(hn::Zero(d)) v[S];
      for (int j = 0; j < S; ++j)
        v[j] = hn::LoadU(d, row + j * lanes);
      for (int h = 0; h < H; ++h) {
        const auto e = hn::Set(d, weights[h * w_stride + t]);
        for (int j = 0; j < S; ++j)
          a[h][j] = hn::MulAdd(e, v[j], a[h][j]);
      }
    }
    for (int h = 0; h < H; ++h)
      for (int j = 0; j < S; ++j)
        hn::StoreU(a[h][j], d, out + h * out_stride + c + j * lanes);
  }
  for (; c < n; ++c)
    for (int h = 0; h < H; ++h)
      for (int64_t t = 0; t < count; ++t)
        out[h * out_stride + c] +=
            weights[h * w_stride + t] * rows[t * stride + c];
}

void WeightedRowSumsVec(const float *weights, int64_t w_stride, int64_t heads,
                        int64_t count, const float *rows, int64_t stride,
                        int64_t n, float *out, int64_t out_stride) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // 32 registers hold 8 outputs' two vectors each (every value row loaded
  // serves a prefill block's query rows), or 4 outputs' four (a decode
  // step's heads: half the strips).
  for (; heads >= 8; heads -= 8, weights += 8 * w_stride, out += 8 * out_stride)
    WeightedRowSumsH<8, 2>(weights, w_stride, count, rows, stride, n, out,
                           out_stride);
  constexpr int S = 4;
#else
  constexpr int S = 2;
#endif
  for (; heads >= 4; heads -= 4, weights += 4 * w_stride, out += 4 * out_stride)
    WeightedRowSumsH<4, S>(weights, w_stride, count, rows, stride, n, out,
                           out_stride);
  if (heads == 3)
    WeightedRowSumsH<3, S>(weights, w_stride, count, rows, stride, n, out,
                           out_stride);
  else if (heads == 2)
    WeightedRowSumsH<2, S>(weights, w_stride, count, rows, stride, n, out,
                           out_stride);
  else if (heads == 1)
    WeightedRowSumsH<1, S>(weights, w_stride, count, rows, stride, n, out,
                           out_stride);
}

// sum x[i]^2 with f64 lanes: each f32 vector widened to two f64 vectors,
// squared and accumulated exactly as the scalar f64 sum would round (but
// in lanes).
double SumSquaresVec(const float *x, int64_t n) {
#if HWY_HAVE_FLOAT64
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df; // half a vector of floats
  const int64_t lanes = int64_t(hn::Lanes(dd));
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto a = hn::PromoteTo(dd, hn::LoadU(df, x + i)),
               b = hn::PromoteTo(dd, hn::LoadU(df, x + i + lanes));
    s0 = hn::MulAdd(a, a, s0);
    s1 = hn::MulAdd(b, b, s1);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1)));
#else
  double sum = 0;
  int64_t i = 0;
#endif
  for (; i < n; ++i)
    sum += double(x[i]) * x[i];
  return sum;
}

// out[h * out_stride + t] = q_h . keys[t] for `heads` query rows q_stride
// apart and `count` key rows anywhere: tiles of 4 heads by 3 keys, each
// loaded vector used 3 or 4 times, 12 accumulator chains.
template <int H, int K>
HWY_INLINE void HeadsKeysTile(const float *q, int64_t q_stride,
                              const float *const *keys, int64_t dim, float *out,
                              int64_t out_stride, const float *const *ahead) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  using V = decltype(hn::Zero(d));
  V acc[H][K];
  for (int h = 0; h < H; ++h)
    for (int k = 0; k < K; ++k)
      acc[h][k] = hn::Zero(d);
  int64_t j = 0;
  for (; j + lanes <= dim; j += lanes) {
    V kv[K];
    for (int k = 0; k < K; ++k) {
      kv[k] = hn::LoadU(d, keys[k] + j);
      if (ahead)
        hwy::Prefetch(ahead[k] + j);
    }
    for (int h = 0; h < H; ++h) {
      const V qv = hn::LoadU(d, q + h * q_stride + j);
      for (int k = 0; k < K; ++k)
        acc[h][k] = hn::MulAdd(qv, kv[k], acc[h][k]);
    }
  }
  for (int h = 0; h < H; ++h)
    for (int k = 0; k < K; ++k) {
      float sum = hn::GetLane(hn::SumOfLanes(d, acc[h][k]));
      for (int64_t t = j; t < dim; ++t)
        sum += q[h * q_stride + t] * keys[k][t];
      out[h * out_stride + k] = sum;
    }
}

template <int H>
HWY_INLINE void HeadsKeysH(const float *q, int64_t q_stride,
                           const float *const *keys, int64_t count, int64_t dim,
                           float *out, int64_t out_stride) {
  // Key rows come from a cache that is usually out of the CPU's caches
  // (a decode step visits every layer's): while a tile is read, the rows
  // of the tile two ahead are fetched.
  int64_t t = 0;
  for (; t + 3 <= count; t += 3)
    HeadsKeysTile<H, 3>(q, q_stride, keys + t, dim, out + t, out_stride,
                        t + 9 <= count ? keys + t + 6 : nullptr);
  for (; t < count; ++t)
    HeadsKeysTile<H, 1>(q, q_stride, keys + t, dim, out + t, out_stride,
                        nullptr);
}

void DotHeadsKeysVec(const float *q, int64_t q_stride, int64_t heads,
                     const float *const *keys, int64_t count, int64_t dim,
                     float *out, int64_t out_stride) {
  for (; heads >= 4; heads -= 4, q += 4 * q_stride, out += 4 * out_stride)
    HeadsKeysH<4>(q, q_stride, keys, count, dim, out, out_stride);
  if (heads == 3)
    HeadsKeysH<3>(q, q_stride, keys, count, dim, out, out_stride);
  else if (heads == 2)
    HeadsKeysH<2>(q, q_stride, keys, count, dim, out, out_stride);
  else if (heads == 1)
    HeadsKeysH<1>(q, q_stride, keys, count, dim, out, out_stride);
}

// y = exp(in - max(in)) over one row (in place allowed): its max in
// `*max`, the sum of the exponentials returned (summed in lanes).
HWY_INLINE float ExpRow(const float *in, int64_t width, float *y, float *max) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  auto vmax = hn::Set(d, -std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + lanes <= width; i += lanes)
    vmax = hn::Max(vmax, hn::LoadU(d, in + i));
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (int64_t t = i; t < width; ++t)
    m = std::max(m, in[t]);
  const auto vm = hn::Set(d, m);
  auto vsum = hn::Zero(d);
  for (i = 0; i + lanes <= width; i += lanes) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, in + i), vm));
    hn::StoreU(e, d, y + i);
    vsum = hn::Add(vsum, e);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (int64_t t = i; t < width; ++t) {
    y[t] = std::exp(in[t] - m);
    sum += y[t];
  }
  *max = m;
  return sum;
}

// x <- exp(x - max) per row, with each row's max and sum of exponentials.
void ExpRowsVec(float *x, int64_t rows, int64_t width, float *maxes,
                float *sums) {
  for (int64_t r = 0; r < rows; ++r)
    sums[r] = ExpRow(x + r * width, width, x + r * width, &maxes[r]);
}

// N activation rows against R = 4 f32 weight rows at a time: each weight
// vector is loaded once for all N rows, each activation vector once for
// all R (R N accumulators).
template <int N, int R = 4>
HWY_INLINE void DotRowsMultiN(const float *x, int64_t x_stride, int64_t in,
                              const float *w, int64_t w_stride, int64_t count,
                              float *y, int64_t y_stride, const uint8_t *next,
                              int64_t next_bytes) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  const int64_t whole = in / lanes * lanes;
  int64_t fetched = 0; // bytes of `next` asked for
  for (int64_t j = 0; j < count; j += R) {
    const int rows = int(std::min<int64_t>(R, count - j));
    decltype(hn::Zero(d)) acc[R][N];
    const float *wr[R];
    for (int r = 0; r < R; ++r) {
      // Past the last row: read row 0 again, its sums are dropped.
      wr[r] = w + (j + (r < rows ? r : 0)) * w_stride;
      for (int i = 0; i < N; ++i)
        acc[r][i] = hn::Zero(d);
    }
    for (int64_t k = 0; k < whole; k += lanes) {
      if (fetched < next_bytes) {
        hwy::Prefetch(next + fetched);
        fetched += 64;
      }
      decltype(hn::Zero(d)) wv[R];
      for (int r = 0; r < R; ++r)
        wv[r] = hn::LoadU(d, wr[r] + k);
      for (int i = 0; i < N; ++i) {
        const auto v = hn::LoadU(d, x + i * x_stride + k);
        for (int r = 0; r < R; ++r)
          acc[r][i] = hn::MulAdd(wv[r], v, acc[r][i]);
      }
    }
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < N; ++i) {
        float sum = hn::GetLane(hn::SumOfLanes(d, acc[r][i]));
        for (int64_t k = whole; k < in; ++k)
          sum += wr[r][k] * x[i * x_stride + k];
        y[i * y_stride + j + r] = sum;
      }
  }
}

// One pass of m <= 6 activation rows.
void DotRowsMultiPass(int64_t m, const float *x, int64_t x_stride, int64_t in,
                      const float *w, int64_t w_stride, int64_t count, float *y,
                      int64_t y_stride, const uint8_t *next,
                      int64_t next_bytes) {
  switch (m) {
#define GEMMA_DOT_ROWS_MULTI(N)                                                \
  case N:                                                                      \
    return DotRowsMultiN<N>(x, x_stride, in, w, w_stride, count, y, y_stride,  \
                            next, next_bytes);
    GEMMA_DOT_ROWS_MULTI(1)
    GEMMA_DOT_ROWS_MULTI(2)
    GEMMA_DOT_ROWS_MULTI(3)
    GEMMA_DOT_ROWS_MULTI(4)
    GEMMA_DOT_ROWS_MULTI(5)
    GEMMA_DOT_ROWS_MULTI(6)
#undef GEMMA_DOT_ROWS_MULTI
  default:
    std::abort(); // a caller's bug
  }
}

// The rows go in as few passes over the weight rows (later passes read them
// from L1) as keep a pass's 4 m accumulators, 4 weight vectors and an
// activation vector in registers: 6 rows with AVX-512's 32, 3 with AVX2's
// 16, passes of even sizes. More rows in one pass spill, and spilling
// costs more than a pass: measured with BM_DotRowsMulti on Zen 4, 8 rows
// in one pass ran at 50 GFLOP/s a core against 85 in two (AVX-512), 4 rows
// in one at 58 against 3 rows' 100 (AVX2). (Outer products, weights
// broadcast against 8 rows side by side with no horizontal sums, were no
// faster at 8 rows and far slower below.)
void DotRowsMultiVec(const float *x, int64_t n, int64_t x_stride, int64_t in,
                     const float *w, int64_t w_stride, int64_t count, float *y,
                     int64_t y_stride, const uint8_t *next,
                     int64_t next_bytes) {
  if (n < 1 || n > 8)
    std::abort(); // a caller's bug: 1 to 8 rows
  constexpr int64_t kMaxPass = HWY_MAX_BYTES >= 64 ? 6 : 3;
  const int64_t passes = (n + kMaxPass - 1) / kMaxPass;
  for (int64_t p = 0, i = 0; p < passes; ++p) {
    const int64_t m = (n - i) / (passes - p);
    // (The first pass asks for the next bytes, spread over its steps.)
    DotRowsMultiPass(m, x + i * x_stride, x_stride, in, w, w_stride, count,
                     y + i * y_stride, y_stride, next, p == 0 ? next_bytes : 0);
    i += m;
  }
}

// UnaryFn::kGeluTanh's formula (kernels/common/ElementwiseFunctions.h),
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), over vectors with
// Highway's tanh (at most 4 ulp from libm's); the tail takes the table's.
void GeluTanhVec(const float *x, int64_t n, float *out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  const auto k = hn::Set(d, 0.7978845608028654f), c = hn::Set(d, 0.044715f),
             half = hn::Set(d, 0.5f), one = hn::Set(d, 1.0f);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto t = hn::LoadU(d, x + i);
    const auto inner = hn::Mul(k, hn::MulAdd(hn::Mul(c, t), hn::Mul(t, t), t));
    hn::StoreU(hn::Mul(hn::Mul(half, t), hn::Add(one, hn::Tanh(d, inner))), d,
               out + i);
  }
  for (; i < n; ++i)
    out[i] = ApplyUnary<float>(UnaryFn::kGeluTanh, x[i], 0.0f);
}

// Softmax of each row: Highway's exp (at most 1 ulp from libm's) over
// vectors; the sum accumulates in lanes. In place allowed.
void SoftmaxVec(const float *x, int64_t rows, int64_t width, float *out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  for (int64_t r = 0; r < rows; ++r) {
    float *y = out + r * width;
    float max;
    const float inv_sum = 1.0f / ExpRow(x + r * width, width, y, &max);
    const auto inv = hn::Set(d, inv_sum);
    int64_t i = 0;
    for (; i + lanes <= width; i += lanes)
      hn::StoreU(hn::Mul(hn::LoadU(d, y + i), inv), d, y + i);
    for (; i < width; ++i)
      y[i] *= inv_sum;
  }
}

// `iters` rounds of 12 independent FMA chains on full vectors (enough to
// cover the FMA latency times the FMA units of any x86 core): the
// arithmetic peak a matmul is held against. Returns the flops done.
double FmaPeakLoopVec(int64_t iters) {
  const hn::ScalableTag<float> d;
  using V = decltype(hn::Zero(d));
  V acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = hn::Set(d, float(i));
  const V m = hn::Set(d, 0.999999f), c = hn::Set(d, 1e-7f);
  for (int64_t k = 0; k < iters; ++k)
    for (int i = 0; i < 12; ++i)
      acc[i] = hn::MulAdd(acc[i], m, c);
  V sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = hn::Add(sum, acc[i]);
  // Published through a volatile so the chains cannot be optimized away.
  volatile float sink = hn::GetLane(sum);
  (void)sink;
  return double(iters) * 12 * 2 * double(hn::Lanes(d));
}

const char *TargetNameVec() { return hwy::TargetName(HWY_TARGET); }

bool TargetIsAvx512Vec() {
#if HWY_ARCH_X86
  return HWY_TARGET <= HWY_AVX3;
#else
  return false;
#endif
}

} // namespace HWY_NAMESPACE
} // namespace gemma::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::cpu {

HWY_EXPORT(DotVec);
HWY_EXPORT(AddScaledVec);
HWY_EXPORT(TargetNameVec);
HWY_EXPORT(TargetIsAvx512Vec);
HWY_EXPORT(GeluTanhVec);
HWY_EXPORT(DotRowsMultiVec);
HWY_EXPORT(SoftmaxVec);
HWY_EXPORT(DecodeSfpToBf16Vec);
HWY_EXPORT(SumSquaresVec);
HWY_EXPORT(FmaPeakLoopVec);
HWY_EXPORT(DotHeadsKeysVec);
HWY_EXPORT(ExpRowsVec);
HWY_EXPORT(WeightedRowSumsVec);
HWY_EXPORT(DotBf16Vec);
HWY_EXPORT(DotBf16x4Vec);
HWY_EXPORT(DotSfpVec);
HWY_EXPORT(SfpActivationOrderVec);
HWY_EXPORT(DotSfp4Vec);

void DotBf16x4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out) {
  HWY_DYNAMIC_DISPATCH(DotBf16x4Vec)(x, rows, row_bytes, n, out);
}

float DotBf16(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotBf16Vec)(x, packed, n);
}

float DotSfp(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotSfpVec)(x, packed, n);
}

void DotSfp4(const float *x, const uint8_t *rows, int64_t row_bytes, int64_t n,
             float *out) {
  HWY_DYNAMIC_DISPATCH(DotSfp4Vec)(x, rows, row_bytes, n, out);
}

void SfpActivationOrder(const float *x, int64_t n, float *out) {
  HWY_DYNAMIC_DISPATCH(SfpActivationOrderVec)(x, n, out);
}

float Dot(const float *a, const float *b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotVec)(a, b, n);
}

void AddScaled(float alpha, const float *x, float *y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AddScaledVec)(alpha, x, y, n);
}

double SumSquares(const float *x, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(SumSquaresVec)(x, n);
}

void WeightedRowSums(const float *weights, int64_t w_stride, int64_t heads,
                     int64_t count, const float *rows, int64_t stride,
                     int64_t n, float *out, int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(WeightedRowSumsVec)
  (weights, w_stride, heads, count, rows, stride, n, out, out_stride);
}

void DotHeadsKeys(const float *q, int64_t q_stride, int64_t heads,
                  const float *const *keys, int64_t count, int64_t dim,
                  float *out, int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(DotHeadsKeysVec)
  (q, q_stride, heads, keys, count, dim, out, out_stride);
}

void ExpRows(float *x, int64_t rows, int64_t width, float *maxes, float *sums) {
  HWY_DYNAMIC_DISPATCH(ExpRowsVec)(x, rows, width, maxes, sums);
}

void SoftmaxRows(const float *x, int64_t rows, int64_t width, float *out) {
  HWY_DYNAMIC_DISPATCH(SoftmaxVec)(x, rows, width, out);
}

void DotRowsMulti(const float *x, int64_t n, int64_t x_stride, int64_t in,
                  const float *w, int64_t w_stride, int64_t count, float *y,
                  int64_t y_stride, const uint8_t *next, int64_t next_bytes) {
  HWY_DYNAMIC_DISPATCH(DotRowsMultiVec)
  (x, n, x_stride, in, w, w_stride, count, y, y_stride, next, next_bytes);
}

void GeluTanhVector(const float *x, int64_t n, float *out) {
  HWY_DYNAMIC_DISPATCH(GeluTanhVec)(x, n, out);
}

void DecodeSfpToBf16(const uint8_t *codes, int64_t n, uint16_t *out) {
  HWY_DYNAMIC_DISPATCH(DecodeSfpToBf16Vec)(codes, n, out);
}

double FmaPeakLoop(int64_t iters) {
  return HWY_DYNAMIC_DISPATCH(FmaPeakLoopVec)(iters);
}

const char *VectorTarget() { return HWY_DYNAMIC_DISPATCH(TargetNameVec)(); }

bool VectorTargetIsAvx512() {
  return HWY_DYNAMIC_DISPATCH(TargetIsAvx512Vec)();
}

} // namespace gemma::cpu
#endif
