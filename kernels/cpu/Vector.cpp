//===- Vector.cpp - SIMD primitives of the CPU kernels --------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/Vector.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

#include "compiler/import/codecs/SfpLanes-inl.h"

#include "kernels/cpu/Vector.h"

#include <cstring>

#include "compiler/import/codecs/Bf16.h"
#include "compiler/import/codecs/Ggml.h"
#include "compiler/import/codecs/Sfp.h"

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
float DotBf16Vec(const float *x, const uint8_t *packed, int64_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du32;
  const hn::Rebind<uint16_t, decltype(du32)> du16;
  const int64_t lanes = int64_t(hn::Lanes(df));
  const uint16_t *w = reinterpret_cast<const uint16_t *>(packed);
  auto s0 = hn::Zero(df), s1 = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
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

// x . decode(SFP row), decoded in registers (SfpLanes-inl.h).
float DotSfpVec(const float *x, const uint8_t *packed, int64_t n) {
  const hn::ScalableTag<float> df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  auto sum = hn::Zero(df);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    sum = hn::MulAdd(hn::LoadU(df, x + i),
                     gemma::HWY_NAMESPACE::DecodeSfpLanes(df, packed + i), sum);
  float total = hn::GetLane(hn::SumOfLanes(df, sum));
  for (; i < n; ++i)
    total += x[i] * SfpDecode(packed[i]);
  return total;
}

// out[i * out_stride + k] = x_i . w_k for 4 activation rows and 4 weight
// rows: 16 accumulators, each loaded vector used 4 times.
void Dot4x4Vec(const float *x, int64_t x_stride, const float *w,
               int64_t w_stride, int64_t n, float *out, int64_t out_stride) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = int64_t(hn::Lanes(d));
  using V = decltype(hn::Zero(d));
  V acc[4][4];
  for (auto &row : acc)
    for (V &a : row)
      a = hn::Zero(d);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    const V w0 = hn::LoadU(d, w + j), w1 = hn::LoadU(d, w + w_stride + j),
            w2 = hn::LoadU(d, w + 2 * w_stride + j),
            w3 = hn::LoadU(d, w + 3 * w_stride + j);
    for (int i = 0; i < 4; ++i) {
      const V xi = hn::LoadU(d, x + i * x_stride + j);
      acc[i][0] = hn::MulAdd(xi, w0, acc[i][0]);
      acc[i][1] = hn::MulAdd(xi, w1, acc[i][1]);
      acc[i][2] = hn::MulAdd(xi, w2, acc[i][2]);
      acc[i][3] = hn::MulAdd(xi, w3, acc[i][3]);
    }
  }
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 4; ++k) {
      float sum = hn::GetLane(hn::SumOfLanes(d, acc[i][k]));
      for (int64_t t = j; t < n; ++t)
        sum += x[i * x_stride + t] * w[k * w_stride + t];
      out[i * out_stride + k] = sum;
    }
}

// x . decode(GGML row) for the types of the real Gemma GGUF files, with the
// weights dequantized in registers: per block, the integer values times x
// are summed in f32 lanes and scaled once by the block's d.
using D8 = hn::CappedTag<float, 8>;

float DotQ8_0Vec(const float *x, const uint8_t *packed, int64_t n) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const hn::Rebind<int8_t, D8> di8;
  const size_t lanes = hn::Lanes(df);
  auto sum = hn::Zero(df);
  for (int64_t b = 0; b < n / 32; ++b) {
    const uint8_t *block = packed + 34 * b;
    const int8_t *q = reinterpret_cast<const int8_t *>(block + 2);
    const float *xb = x + 32 * b;
    auto acc = hn::Zero(df);
    for (size_t j = 0; j < 32; j += lanes)
      acc = hn::MulAdd(
          hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(di8, q + j))),
          hn::LoadU(df, xb + j), acc);
    sum = hn::MulAdd(hn::Set(df, F16At(block)), acc, sum);
  }
  return hn::GetLane(hn::SumOfLanes(df, sum));
}

float DotQ5_0Vec(const float *x, const uint8_t *packed, int64_t n) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const hn::Rebind<uint8_t, D8> du8;
  const size_t lanes = hn::Lanes(df);
  const auto one = hn::Set(di, 1), low = hn::Set(di, 0xF),
             sixteen = hn::Set(di, 16);
  auto sum = hn::Zero(df);
  for (int64_t b = 0; b < n / 32; ++b) {
    const uint8_t *block = packed + 22 * b;
    const float *xb = x + 32 * b;
    uint32_t qh_bits;
    std::memcpy(&qh_bits, block + 2, 4);
    const auto qh = hn::Set(di, int32_t(qh_bits));
    auto acc = hn::Zero(df);
    for (size_t j = 0; j < 16; j += lanes) {
      const auto qs = hn::PromoteTo(di, hn::LoadU(du8, block + 6 + j));
      const auto index = hn::Iota(di, int32_t(j));
      const auto lo = hn::Or(
          hn::And(qs, low), hn::ShiftLeft<4>(hn::And(hn::Shr(qh, index), one)));
      const auto hi = hn::Or(
          hn::ShiftRight<4>(qs),
          hn::ShiftLeft<4>(hn::And(hn::Shr(qh, hn::Add(index, sixteen)), one)));
      acc = hn::MulAdd(hn::ConvertTo(df, hn::Sub(lo, sixteen)),
                       hn::LoadU(df, xb + j), acc);
      acc = hn::MulAdd(hn::ConvertTo(df, hn::Sub(hi, sixteen)),
                       hn::LoadU(df, xb + j + 16), acc);
    }
    sum = hn::MulAdd(hn::Set(df, F16At(block)), acc, sum);
  }
  return hn::GetLane(hn::SumOfLanes(df, sum));
}

const char *TargetNameVec() { return hwy::TargetName(HWY_TARGET); }

} // namespace HWY_NAMESPACE
} // namespace gemma::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::cpu {

HWY_EXPORT(DotVec);
HWY_EXPORT(AddScaledVec);
HWY_EXPORT(TargetNameVec);
HWY_EXPORT(DotBf16Vec);
HWY_EXPORT(DotSfpVec);
HWY_EXPORT(Dot4x4Vec);
HWY_EXPORT(DotQ8_0Vec);
HWY_EXPORT(DotQ5_0Vec);

void Dot4x4(const float *x, int64_t x_stride, const float *w, int64_t w_stride,
            int64_t n, float *out, int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(Dot4x4Vec)(x, x_stride, w, w_stride, n, out, out_stride);
}

float DotBf16(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotBf16Vec)(x, packed, n);
}

float DotQ8_0(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotQ8_0Vec)(x, packed, n);
}

float DotQ5_0(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotQ5_0Vec)(x, packed, n);
}

float DotSfp(const float *x, const uint8_t *packed, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotSfpVec)(x, packed, n);
}

float Dot(const float *a, const float *b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotVec)(a, b, n);
}

void AddScaled(float alpha, const float *x, float *y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AddScaledVec)(alpha, x, y, n);
}

double SumSquares(const float *x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += double(x[i]) * x[i];
  return sum;
}

const char *VectorTarget() { return HWY_DYNAMIC_DISPATCH(TargetNameVec)(); }

} // namespace gemma::cpu
#endif
