//===- Vector.cpp - SIMD primitives of the CPU kernels --------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/Vector.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

#include "kernels/cpu/Vector.h"

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

const char *TargetNameVec() { return hwy::TargetName(HWY_TARGET); }

} // namespace HWY_NAMESPACE
} // namespace gemma::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::cpu {

HWY_EXPORT(DotVec);
HWY_EXPORT(AddScaledVec);
HWY_EXPORT(TargetNameVec);

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
