//===- SfpLanes-inl.h - SFP decode of one vector of codes -------*- C++ -*-===//
//
// SBS.md 5.4's decode in Highway lanes, shared by the bulk decoder
// (Decode.cpp) and the CPU kernels' fused dot products: sign |
// (0x3400 + (e << 5)) below 64, sign | (0x3800 + (e << 4)) from 64, 0 for
// e = 0, as bf16 bits widened to f32. Included once per Highway target
// (foreach_target.h), hence the toggling include guard.
//
//===----------------------------------------------------------------------===//

#if defined(GEMMA_SFP_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_SFP_LANES_INL_H_
#undef GEMMA_SFP_LANES_INL_H_
#else
#define GEMMA_SFP_LANES_INL_H_
#endif

#include "hwy/highway.h"

#include <cstdint>

HWY_BEFORE_NAMESPACE();
namespace gemma {
namespace HWY_NAMESPACE {

// Lanes(df) SFP codes at `in`, decoded to f32.
template <class DF>
HWY_INLINE hwy::HWY_NAMESPACE::Vec<DF> DecodeSfpLanes(DF df,
                                                      const uint8_t *in) {
  namespace hn = hwy::HWY_NAMESPACE;
  const hn::RebindToUnsigned<DF> du32;
  const hn::Rebind<uint8_t, decltype(du32)> du8;
  const auto code = hn::PromoteTo(du32, hn::LoadU(du8, in));
  const auto e = hn::And(code, hn::Set(du32, 0x7F));
  const auto small = hn::Add(hn::Set(du32, 0x3400), hn::ShiftLeft<5>(e));
  const auto big = hn::Add(hn::Set(du32, 0x3800), hn::ShiftLeft<4>(e));
  auto magnitude = hn::IfThenElse(hn::Gt(e, hn::Set(du32, 63)), big, small);
  magnitude = hn::IfThenZeroElse(hn::Eq(e, hn::Zero(du32)), magnitude);
  const auto bits =
      hn::Or(magnitude, hn::ShiftLeft<8>(hn::And(code, hn::Set(du32, 0x80))));
  return hn::BitCast(df, hn::ShiftLeft<16>(bits));
}

// The same decode in 16-bit lanes (twice as many codes per vector), giving
// the bf16 bits: the two linear pieces fold into one through
// e' = min(e, 2e - 64), since 0x3400 + (e << 5) = 0x3800 + ((2e - 64) << 4).
// `code` holds one sign-extended code per i16 lane, which puts the sign
// already at bit 15.
template <class DI16>
HWY_INLINE hwy::HWY_NAMESPACE::Vec<DI16>
DecodeSfpBf16Bits(DI16 di16, hwy::HWY_NAMESPACE::Vec<DI16> code) {
  namespace hn = hwy::HWY_NAMESPACE;
  const auto e = hn::And(code, hn::Set(di16, 0x7F));
  const auto folded = hn::Min(e, hn::Sub(hn::Add(e, e), hn::Set(di16, 64)));
  auto magnitude =
      hn::Add(hn::ShiftLeft<4>(folded), hn::Set(di16, int16_t(0x3800)));
  magnitude = hn::IfThenZeroElse(hn::Eq(e, hn::Zero(di16)), magnitude);
  return hn::Or(magnitude, hn::And(code, hn::Set(di16, int16_t(0x8000))));
}

} // namespace HWY_NAMESPACE
} // namespace gemma
HWY_AFTER_NAMESPACE();

#endif // GEMMA_SFP_LANES_INL_H_
