//===- Decode.cpp - Decode stored weights to f32 --------------------------===//
//
// Highway 1.0.3 (Debian) only dispatches to AVX2/AVX-512 when the file is
// compiled once per target through foreach_target.h; without it every
// function is the baseline (SSE2) version.
//
//===----------------------------------------------------------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "compiler/import/codecs/Decode.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

#include "compiler/import/codecs/SfpLanes-inl.h"

#include "compiler/import/codecs/Bf16.h"
#include "compiler/import/codecs/Decode.h"
#include "compiler/import/codecs/Ggml.h"
#include "compiler/import/codecs/I8.h"
#include "compiler/import/codecs/Nuq.h"
#include "compiler/import/codecs/Sfp.h"

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

} // namespace HWY_NAMESPACE
} // namespace gemma
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma {

HWY_EXPORT(DecodeBf16Vec);
HWY_EXPORT(DecodeSfpVec);

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
    DecodeRangeScalar(type, packed, first, count, out);
    return;
  }
}

} // namespace gemma
#endif // HWY_ONCE
