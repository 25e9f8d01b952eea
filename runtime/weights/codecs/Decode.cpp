//===- Decode.cpp - Decode stored weights to f32 --------------------------===//
//
// Highway 1.0.3 (Debian) only dispatches to AVX2/AVX-512 when the file is
// compiled once per target through foreach_target.h; without it every
// function is the baseline (SSE2) version.
//
//===----------------------------------------------------------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/weights/codecs/Decode.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

#include "runtime/weights/codecs/SfpLanes-inl.h"

#include "runtime/weights/codecs/Bf16.h"
#include "runtime/weights/codecs/Decode.h"
#include "runtime/weights/codecs/Ggml.h"
#include "runtime/weights/codecs/I8.h"
#include "runtime/weights/codecs/Nuq.h"
#include "runtime/weights/codecs/Sfp.h"

#include <cstring>

HWY_BEFORE_NAMESPACE();
namespace gemma {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void DecodeBf16Vec(const uint8_t *in, uint64_t count, float *out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du32;
  const hn::Rebind<uint16_t, decltype(du32)> du16;
  const size_t lanes = hn::Lanes(df);
  uint64_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    auto bits = hn::PromoteTo(
        du32, hn::LoadU(du16, reinterpret_cast<const uint16_t *>(in) + i));
    hn::StoreU(hn::BitCast(df, hn::ShiftLeft<16>(bits)), df, out + i);
  }
  for (; i < count; ++i) {
    uint16_t bits = 0;
    std::memcpy(&bits, in + 2 * i, sizeof(bits));
    out[i] = Bf16ToF32(bits);
  }
}

void DecodeSfpVec(const uint8_t *in, uint64_t count, float *out) {
  const hn::ScalableTag<float> df;
  const size_t lanes = hn::Lanes(df);
  uint64_t i = 0;
  for (; i + lanes <= count; i += lanes)
    hn::StoreU(DecodeSfpLanes(df, in + i), df, out + i);
  for (; i < count; ++i)
    out[i] = SfpDecode(in[i]);
}

// GGML blocks, 8 values per step (CappedTag: the same code on AVX2, AVX-512
// and SSE4). Each value is computed with the scalar decoder's operations in
// its order (d * sc first, then times q, minus dmin * m; no fused
// multiply-add), so the results are bit-identical to Ggml.cpp's.
using D8 = hn::CappedTag<float, 8>;

template <class DF> HWY_INLINE auto Bytes8(DF, const uint8_t *p) {
  const hn::Rebind<int32_t, DF> di;
  const hn::Rebind<uint8_t, DF> du8;
  return hn::PromoteTo(di, hn::LoadU(du8, p));
}

void DecodeQ8_0Vec(const uint8_t *b, float *y) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const hn::Rebind<int8_t, D8> di8;
  const size_t lanes = hn::Lanes(df);
  const auto d = hn::Set(df, F16At(b));
  const int8_t *q = reinterpret_cast<const int8_t *>(b + 2);
  for (size_t j = 0; j < 32; j += lanes)
    hn::StoreU(
        hn::Mul(d, hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(di8, q + j)))),
        df, y + j);
}

void DecodeQ5_0Vec(const uint8_t *b, float *y) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const size_t lanes = hn::Lanes(df);
  const auto d = hn::Set(df, F16At(b));
  uint32_t qh_bits;
  std::memcpy(&qh_bits, b + 2, 4);
  const auto qh = hn::Set(di, int32_t(qh_bits));
  const auto one = hn::Set(di, 1), low = hn::Set(di, 0xF),
             sixteen = hn::Set(di, 16);
  for (size_t j = 0; j < 16; j += lanes) {
    const auto qs = Bytes8(df, b + 6 + j);
    const auto index = hn::Iota(di, int32_t(j));
    const auto lo_bit = hn::And(hn::Shr(qh, index), one);
    const auto hi_bit = hn::And(hn::Shr(qh, hn::Add(index, sixteen)), one);
    const auto lo = hn::Or(hn::And(qs, low), hn::ShiftLeft<4>(lo_bit));
    const auto hi = hn::Or(hn::ShiftRight<4>(qs), hn::ShiftLeft<4>(hi_bit));
    hn::StoreU(hn::Mul(d, hn::ConvertTo(df, hn::Sub(lo, sixteen))), df, y + j);
    hn::StoreU(hn::Mul(d, hn::ConvertTo(df, hn::Sub(hi, sixteen))), df,
               y + j + 16);
  }
}

void DecodeQ4_KVec(const uint8_t *b, float *y) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const size_t lanes = hn::Lanes(df);
  const float d = F16At(b), dmin = F16At(b + 2);
  const uint8_t *s = b + 4, *qs = b + 16;
  const auto low = hn::Set(di, 0xF);
  for (int c = 0; c < 4; ++c)
    for (int n = 0; n < 2; ++n) {
      const int j = 2 * c + n;
      int sc, m;
      ScaleMinK4(j, s, &sc, &m);
      const auto d1 = hn::Set(df, d * float(sc)),
                 m1 = hn::Set(df, dmin * float(m));
      for (size_t l = 0; l < 32; l += lanes) {
        auto q = Bytes8(df, qs + 32 * c + l);
        q = n == 0 ? hn::And(q, low) : hn::ShiftRight<4>(q);
        hn::StoreU(hn::Sub(hn::Mul(d1, hn::ConvertTo(df, q)), m1), df,
                   y + 64 * c + 32 * n + l);
      }
    }
}

void DecodeQ6_KVec(const uint8_t *b, float *y) {
  const D8 df;
  const hn::Rebind<int32_t, D8> di;
  const size_t lanes = hn::Lanes(df);
  const float d = F16At(b + 208);
  const int8_t *scales = reinterpret_cast<const int8_t *>(b + 192);
  const auto low = hn::Set(di, 0xF), three = hn::Set(di, 3),
             bias = hn::Set(di, 32);
  for (int h = 0; h < 2; ++h) {
    const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    float *out = y + 128 * h;
    const int8_t *sc = scales + 8 * h;
    for (size_t l = 0; l < 32; l += lanes) {
      const auto a = Bytes8(df, ql + l), c = Bytes8(df, ql + l + 32),
                 hb = Bytes8(df, qh + l);
      const auto q1 =
          hn::Or(hn::And(a, low), hn::ShiftLeft<4>(hn::And(hb, three)));
      const auto q2 =
          hn::Or(hn::And(c, low),
                 hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(hb), three)));
      const auto q3 =
          hn::Or(hn::ShiftRight<4>(a),
                 hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(hb), three)));
      const auto q4 =
          hn::Or(hn::ShiftRight<4>(c),
                 hn::ShiftLeft<4>(hn::And(hn::ShiftRight<6>(hb), three)));
      const int g = int(l / 16);
      const auto v1 = hn::ConvertTo(df, hn::Sub(q1, bias));
      const auto v2 = hn::ConvertTo(df, hn::Sub(q2, bias));
      const auto v3 = hn::ConvertTo(df, hn::Sub(q3, bias));
      const auto v4 = hn::ConvertTo(df, hn::Sub(q4, bias));
      hn::StoreU(hn::Mul(hn::Set(df, d * float(sc[g])), v1), df, out + l);
      hn::StoreU(hn::Mul(hn::Set(df, d * float(sc[2 + g])), v2), df,
                 out + l + 32);
      hn::StoreU(hn::Mul(hn::Set(df, d * float(sc[4 + g])), v3), df,
                 out + l + 64);
      hn::StoreU(hn::Mul(hn::Set(df, d * float(sc[6 + g])), v4), df,
                 out + l + 96);
    }
  }
}

// Whole blocks of the vectorised GGML types; false for the others.
bool DecodeGgmlVec(uint32_t type, const uint8_t *packed, uint64_t blocks,
                   float *out) {
  void (*decode)(const uint8_t *, float *) = nullptr;
  const auto stored = static_cast<StoredType>(type);
  switch (stored) {
  case StoredType::kQ8_0:
    decode = DecodeQ8_0Vec;
    break;
  case StoredType::kQ5_0:
    decode = DecodeQ5_0Vec;
    break;
  case StoredType::kQ4_K:
    decode = DecodeQ4_KVec;
    break;
  case StoredType::kQ6_K:
    decode = DecodeQ6_KVec;
    break;
  default:
    return false;
  }
  const uint32_t bytes = BlockBytes(stored), elements = BlockElements(stored);
  for (uint64_t i = 0; i < blocks; ++i)
    decode(packed + i * bytes, out + i * elements);
  return true;
}

} // namespace HWY_NAMESPACE
} // namespace gemma
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma {

HWY_EXPORT(DecodeBf16Vec);
HWY_EXPORT(DecodeSfpVec);
HWY_EXPORT(DecodeGgmlVec);

void DecodeRangeScalar(StoredType type, const uint8_t *packed, uint64_t first,
                       uint64_t count, float *out) {
  if (IsGgmlType(type)) {
    const uint64_t block = BlockElements(type);
    DecodeGgmlBlocks(type, packed + first / block * BlockBytes(type),
                     count / block, out);
    return;
  }
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = first + i;
    switch (type) {
    case StoredType::kF32:
      std::memcpy(&out[i], packed + 4 * at, sizeof(float));
      break;
    case StoredType::kBF16: {
      uint16_t bits = 0;
      std::memcpy(&bits, packed + 2 * at, sizeof(bits));
      out[i] = Bf16ToF32(bits);
      break;
    }
    case StoredType::kSFP:
      out[i] = SfpDecode(packed[at]);
      break;
    case StoredType::kNUQ:
      out[i] = NuqDecode(packed, at);
      break;
    case StoredType::kI8:
      out[i] = I8Decode(packed, at);
      break;
    default:
      out[i] = 0.0f;
      break;
    }
  }
}

void DecodeRange(StoredType type, const uint8_t *packed, uint64_t first,
                 uint64_t count, float *out) {
  switch (type) {
  case StoredType::kF32:
    std::memcpy(out, packed + 4 * first, count * sizeof(float));
    return;
  case StoredType::kBF16:
    HWY_DYNAMIC_DISPATCH(DecodeBf16Vec)(packed + 2 * first, count, out);
    return;
  case StoredType::kSFP:
    HWY_DYNAMIC_DISPATCH(DecodeSfpVec)(packed + first, count, out);
    return;
  default:
    if (IsGgmlType(type)) {
      const uint64_t block = BlockElements(type);
      if (HWY_DYNAMIC_DISPATCH(DecodeGgmlVec)(
              static_cast<uint32_t>(type),
              packed + first / block * BlockBytes(type), count / block, out))
        return;
    }
    DecodeRangeScalar(type, packed, first, count, out);
    return;
  }
}

} // namespace gemma
#endif // HWY_ONCE
