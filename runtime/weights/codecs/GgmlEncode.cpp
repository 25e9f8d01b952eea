//===- GgmlEncode.cpp - f32 values into llama.cpp's block types -----------===//

#include "runtime/weights/codecs/GgmlEncode.h"

#include "runtime/weights/codecs/Ggml.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace gemma {
namespace {

// What a stored f16 scale decodes to.
float AsF16(float value) { return F16ToF32(F32ToF16(value)); }

// The nearest integer to `v` (|v| < 2^22), ties to even: adding 1.5 * 2^23
// leaves it in the low mantissa bits. std::nearbyint is a library call on
// baseline x86-64 (no SSE4.1 round), and the fits call this billions of
// times on a large model.
int Nearest(float v) {
  float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  return (bits & 0x007FFFFF) - 0x00400000;
}

int Code(float x, float scale, int lo, int hi) {
  if (scale == 0.0f)
    return 0;
  return Nearest(std::clamp(x / scale, float(lo), float(hi)));
}

float SquaredError(const float *x, int n, float scale, int lo, int hi) {
  float error = 0;
  for (int i = 0; i < n; ++i) {
    const float e = x[i] - scale * float(Code(x[i], scale, lo, hi));
    error += e * e;
  }
  return error;
}

// The scale s with codes in [lo, hi] (x ~ s * code) of least squared error
// among: the value of largest magnitude mapped to `lo` (the end with the
// extra code) and to a few codes short of it, each refined once by least
// squares over its codes. `as_stored` rounds each candidate as it will be
// stored (f16) before it is judged.
float FitSymmetric(const float *x, int n, int lo, int hi,
                   float (*as_stored)(float)) {
  float peak = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(peak))
      peak = x[i];
  if (peak == 0.0f)
    return 0.0f;
  float best = as_stored(peak / float(lo));
  float best_error = SquaredError(x, n, best, lo, hi);
  for (int step = 0; step <= 8; ++step) {
    float scale = as_stored(peak / (float(lo) + 0.25f * float(step)));
    for (int round = 0; round < 2; ++round) {
      const float error = SquaredError(x, n, scale, lo, hi);
      if (error < best_error) {
        best_error = error;
        best = scale;
      }
      double xq = 0, qq = 0;
      for (int i = 0; i < n; ++i) {
        const int q = Code(x[i], scale, lo, hi);
        xq += double(x[i]) * q;
        qq += double(q) * q;
      }
      if (qq == 0)
        break;
      scale = as_stored(float(xq / qq));
    }
  }
  return best;
}

float Identity(float v) { return v; }

void PutF16(uint8_t *p, float value) {
  const uint16_t h = F32ToF16(value);
  p[0] = uint8_t(h);
  p[1] = uint8_t(h >> 8);
}

// Q8_0: { f16 d; i8 qs[32]; }, codes -127..127 as ggml keeps them.
void Q8_0(const float *x, uint8_t *b) {
  const float d = FitSymmetric(x, 32, -127, 127, AsF16);
  PutF16(b, d);
  for (int j = 0; j < 32; ++j)
    b[2 + j] = uint8_t(int8_t(Code(x[j], d, -127, 127)));
}

// Q5_0: { f16 d; u32 qh; u8 qs[16]; }, value (code - 16) * d.
void Q5_0(const float *x, uint8_t *b) {
  const float d = FitSymmetric(x, 32, -16, 15, AsF16);
  PutF16(b, d);
  uint32_t qh = 0;
  uint8_t *qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int lo = Code(x[j], d, -16, 15) + 16;
    const int hi = Code(x[j + 16], d, -16, 15) + 16;
    qs[j] = uint8_t((lo & 0xF) | (hi & 0xF) << 4);
    qh |= uint32_t(lo >> 4) << j | uint32_t(hi >> 4) << (j + 16);
  }
  std::memcpy(b + 2, &qh, 4);
}

// One Q4_K sub-block's fit x ~ scale * code - offset, codes 0..15, offset
// >= 0 (ggml stores it unsigned).
struct Affine {
  float scale = 0, offset = 0;
};

float AffineError(const float *x, int n, Affine a) {
  float error = 0;
  for (int i = 0; i < n; ++i) {
    const int q = Code(x[i] + a.offset, a.scale, 0, 15);
    const float e = x[i] - (a.scale * float(q) - a.offset);
    error += e * e;
  }
  return error;
}

// The least-squares (scale, offset) for codes `q` of `x`, offset >= 0.
std::optional<Affine> SolveAffine(const float *x, const int *q, int n) {
  double sq = 0, sqq = 0, sx = 0, sxq = 0;
  for (int i = 0; i < n; ++i) {
    sq += q[i];
    sqq += double(q[i]) * q[i];
    sx += x[i];
    sxq += double(x[i]) * q[i];
  }
  const double det = double(n) * sqq - sq * sq;
  if (det <= 0)
    return std::nullopt;
  double scale = (double(n) * sxq - sq * sx) / det;
  double base = (sqq * sx - sq * sxq) / det;
  if (base > 0) {
    base = 0;
    scale = sxq / sqq;
  }
  if (scale <= 0)
    return std::nullopt;
  return Affine{float(scale), float(-base)};
}

// Codes from the span [lo, hi] stretched over 14 to 16 steps (21 tries),
// each refit by least squares; the best then refit until it stops
// improving. Data already on a Q4_K grid comes back on it.
Affine FitAffine(const float *x, int n) {
  float lo = 0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  Affine best{(hi - lo) / 15.0f, -lo};
  float best_error = AffineError(x, n, best);
  if (hi <= lo)
    return best;
  int q[256];
  for (int step = 0; step <= 20; ++step) {
    const float stretch = (14.0f + 0.1f * float(step)) / (hi - lo);
    for (int i = 0; i < n; ++i)
      q[i] = Nearest(std::clamp(stretch * (x[i] - lo), 0.0f, 15.0f));
    if (std::optional<Affine> a = SolveAffine(x, q, n)) {
      if (const float error = AffineError(x, n, *a); error < best_error) {
        best_error = error;
        best = *a;
      }
    }
  }
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < n; ++i)
      q[i] = Code(x[i] + best.offset, best.scale, 0, 15);
    std::optional<Affine> a = SolveAffine(x, q, n);
    if (!a)
      break;
    const float error = AffineError(x, n, *a);
    if (error >= best_error)
      break;
    best_error = error;
    best = *a;
  }
  return best;
}

// Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }: sub-block j's
// 6-bit scale and offset multiply d and dmin.
void Q4_K(const float *x, uint8_t *b) {
  Affine fits[8];
  float max_scale = 0, max_offset = 0;
  for (int j = 0; j < 8; ++j) {
    fits[j] = FitAffine(x + 32 * j, 32);
    max_scale = std::max(max_scale, fits[j].scale);
    max_offset = std::max(max_offset, fits[j].offset);
  }
  const float d = AsF16(max_scale / 63.0f), dmin = AsF16(max_offset / 63.0f);
  PutF16(b, d);
  PutF16(b + 2, dmin);
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = d > 0 ? Nearest(std::clamp(fits[j].scale / d, 0.0f, 63.0f)) : 0;
    m[j] =
        dmin > 0 ? Nearest(std::clamp(fits[j].offset / dmin, 0.0f, 63.0f)) : 0;
  }
  uint8_t *scales = b + 4;
  std::memset(scales, 0, 12);
  for (int j = 0; j < 4; ++j) {
    scales[j] = uint8_t(sc[j] | (sc[j + 4] >> 4) << 6);
    scales[j + 4] = uint8_t(m[j] | (m[j + 4] >> 4) << 6);
    scales[j + 8] = uint8_t((sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4);
  }
  uint8_t *qs = b + 16;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      int q[2];
      for (int n = 0; n < 2; ++n) {
        const int j = 2 * c + n;
        const float scale = d * float(sc[j]), offset = dmin * float(m[j]);
        q[n] = Code(x[64 * c + 32 * n + l] + offset, scale, 0, 15);
      }
      qs[32 * c + l] = uint8_t(q[0] | q[1] << 4);
    }
}

// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }: 16 sub-blocks
// of 16 values, value d * scale * (code - 32).
void Q6_K(const float *x, uint8_t *b) {
  float sub[16], peak = 0;
  for (int i = 0; i < 16; ++i) {
    sub[i] = FitSymmetric(x + 16 * i, 16, -32, 31, Identity);
    if (std::fabs(sub[i]) > std::fabs(peak))
      peak = sub[i];
  }
  // The largest sub-block scale becomes -128 * d: the int8 range's extra
  // code, and exact when that scale is a power of two times an f16.
  const float d = AsF16(peak / -128.0f);
  int8_t *scales = reinterpret_cast<int8_t *>(b + 192);
  int q[256];
  for (int i = 0; i < 16; ++i) {
    const int s = d != 0 ? Nearest(std::clamp(sub[i] / d, -128.0f, 127.0f)) : 0;
    scales[i] = int8_t(s);
    for (int l = 0; l < 16; ++l)
      q[16 * i + l] = Code(x[16 * i + l], d * float(s), -32, 31) + 32;
  }
  PutF16(b + 208, d);
  for (int h = 0; h < 2; ++h) {
    uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    const int *v = q + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[l] = uint8_t((v[l] & 0xF) | (v[l + 64] & 0xF) << 4);
      ql[l + 32] = uint8_t((v[l + 32] & 0xF) | (v[l + 96] & 0xF) << 4);
      qh[l] = uint8_t((v[l] >> 4) | (v[l + 32] >> 4) << 2 |
                      (v[l + 64] >> 4) << 4 | (v[l + 96] >> 4) << 6);
    }
  }
}

} // namespace

uint16_t F32ToF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = uint16_t((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) // NaN stays a (quiet) NaN
    return sign | 0x7E00;
  if (magnitude >= 0x477FF000) // 65520 and up round to infinity
    return sign | 0x7C00;
  if (magnitude < 0x38800000) { // below 2^-14: a subnormal (or zero)
    float m;
    std::memcpy(&m, &magnitude, 4);
    // m * 2^24 is exact; nearbyint rounds ties to even.
    return sign | uint16_t(std::nearbyint(m * 0x1p24f));
  }
  uint32_t h = ((magnitude >> 23) - 112) << 10 | (magnitude >> 13 & 0x3FF);
  const uint32_t rest = magnitude & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // a carry out of the mantissa bumps the exponent, as it should
  return sign | uint16_t(h);
}

bool CanEncodeGgml(StoredType type) {
  switch (type) {
  case StoredType::kF16:
  case StoredType::kQ8_0:
  case StoredType::kQ5_0:
  case StoredType::kQ4_K:
  case StoredType::kQ6_K:
    return true;
  default:
    return false;
  }
}

absl::Status EncodeGgmlBlocks(StoredType type, const float *values,
                              uint64_t blocks, uint8_t *out) {
  if (!CanEncodeGgml(type))
    return absl::UnimplementedError(
        fmt::format("cannot encode {} yet", StoredTypeName(type)));
  const uint64_t n = blocks * BlockElements(type);
  for (uint64_t i = 0; i < n; ++i)
    // f16 holds 65504; a block's f16 scale covers far more.
    if (!std::isfinite(values[i]) ||
        std::fabs(values[i]) > (type == StoredType::kF16 ? 65504.0f : 1e6f))
      return absl::InvalidArgumentError(fmt::format(
          "value {} cannot be stored as {}", values[i], StoredTypeName(type)));
  void (*encode)(const float *, uint8_t *) = nullptr;
  switch (type) {
  case StoredType::kF16:
    for (uint64_t i = 0; i < n; ++i)
      PutF16(out + 2 * i, values[i]);
    return absl::OkStatus();
  case StoredType::kQ8_0:
    encode = Q8_0;
    break;
  case StoredType::kQ5_0:
    encode = Q5_0;
    break;
  case StoredType::kQ4_K:
    encode = Q4_K;
    break;
  default:
    encode = Q6_K;
    break;
  }
  const uint32_t in = BlockElements(type), bytes = BlockBytes(type);
  for (uint64_t i = 0; i < blocks; ++i)
    encode(values + i * in, out + i * bytes);
  return absl::OkStatus();
}

} // namespace gemma
