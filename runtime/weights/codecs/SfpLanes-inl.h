//===- SfpLanes-inl.h - SFP decode of one vector of codes -------*- C++ -*-===//
//
// docs/formats/sbs.md 5.4's decode in Highway lanes, shared by the bulk decoder
// (Decode.cpp) and the CPU kernels' fused dot products: sign |
// (0x3400 + (e << 5)) below 64, sign | (0x3800 + (e << 4)) from 64, 0 for
// e = 0, as bf16 bits. Included once per Highway target
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

// The bf16 bits of SFP codes, one sign-extended code per i16 lane (which
// puts the sign already at bit 15). The two linear pieces fold into one
// through e' = min(e, 2e - 64), since 0x3400 + (e << 5) = 0x3800 +
// ((2e - 64) << 4).
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

// Lanes(df) SFP codes at `in`, decoded to f32 in order (the dot products
// widen twice as many codes per vector and reorder their activations
// instead).
template <class DF>
HWY_INLINE hwy::HWY_NAMESPACE::Vec<DF> DecodeSfpLanes(DF df,
                                                      const uint8_t *in) {
  namespace hn = hwy::HWY_NAMESPACE;
  const hn::Rebind<int16_t, DF> di16;
  const hn::Rebind<int8_t, DF> di8;
  const hn::Rebind<uint16_t, DF> du16;
  const hn::RebindToUnsigned<DF> du32;
  const auto bits = DecodeSfpBf16Bits(
      di16, hn::PromoteTo(
                di16, hn::LoadU(di8, reinterpret_cast<const int8_t *>(in))));
  return hn::BitCast(
      df, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::BitCast(du16, bits))));
}

} // namespace HWY_NAMESPACE
} // namespace gemma
HWY_AFTER_NAMESPACE();

#endif // GEMMA_SFP_LANES_INL_H_
