//===- Ggml.cpp - llama.cpp's GGML weight types ---------------------------===//
//
// Each decoder computes what ggml's dequantize_row_* computes, in the same
// order of float operations (d * scale first, then times q, minus dmin * m),
// so results are bit-identical to ggml's and to gguf-py's numpy code.
//
//===----------------------------------------------------------------------===//

#include "runtime/weights/codecs/Ggml.h"

#include <cstring>

namespace gemma {
namespace {

// Q4_0: { f16 d; u8 qs[16]; }: low nibbles are values 0..15, high 16..31.
void Q4_0(const uint8_t *b, float *y) {
  const float d = F16At(b);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * float((b[2 + j] & 0xF) - 8);
    y[j + 16] = d * float((b[2 + j] >> 4) - 8);
  }
}

// Q4_1: { f16 d; f16 m; u8 qs[16]; }.
void Q4_1(const uint8_t *b, float *y) {
  const float d = F16At(b), m = F16At(b + 2);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * float(b[4 + j] & 0xF) + m;
    y[j + 16] = d * float(b[4 + j] >> 4) + m;
  }
}

uint32_t U32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Q5_0: { f16 d; u32 qh; u8 qs[16]; }: bit j of qh is the fifth bit of
// value j.
void Q5_0(const uint8_t *b, float *y) {
  const float d = F16At(b);
  const uint32_t qh = U32(b + 2);
  const uint8_t *qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0xF) | int((qh >> j) & 1) << 4;
    const int hi = (qs[j] >> 4) | int((qh >> (j + 16)) & 1) << 4;
    y[j] = d * float(lo - 16);
    y[j + 16] = d * float(hi - 16);
  }
}

// Q5_1: { f16 d; f16 m; u32 qh; u8 qs[16]; }.
void Q5_1(const uint8_t *b, float *y) {
  const float d = F16At(b), m = F16At(b + 2);
  const uint32_t qh = U32(b + 4);
  const uint8_t *qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0xF) | int((qh >> j) & 1) << 4;
    const int hi = (qs[j] >> 4) | int((qh >> (j + 16)) & 1) << 4;
    y[j] = d * float(lo) + m;
    y[j + 16] = d * float(hi) + m;
  }
}

// Q8_0: { f16 d; i8 qs[32]; }.
void Q8_0(const uint8_t *b, float *y) {
  const float d = F16At(b);
  for (int j = 0; j < 32; ++j)
    y[j] = d * float(int8_t(b[2 + j]));
}

// Q2_K: { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin; }: per 16 values a
// 4-bit scale (low nibble) and min (high nibble); 2-bit values, four
// planes of 32 per 128.
void Q2_K(const uint8_t *b, float *y) {
  const uint8_t *scales = b, *qs = b + 16;
  const float d = F16At(b + 80), dmin = F16At(b + 82);
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 4; ++s)
      for (int l = 0; l < 32; ++l) {
        const int e = 128 * h + 32 * s + l;
        const uint8_t sc = scales[e / 16];
        const int q = (qs[32 * h + l] >> (2 * s)) & 3;
        y[e] = d * float(sc & 0xF) * float(q) - dmin * float(sc >> 4);
      }
}

// Q3_K: { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d; }: 16 signed
// 6-bit scales; 2-bit values with a high bit in hmask (value - 4 when the
// bit is clear).
void Q3_K(const uint8_t *b, float *y) {
  const uint8_t *hmask = b, *qs = b + 32, *scales = b + 96;
  const float d = F16At(b + 108);
  int sc[16];
  for (int i = 0; i < 16; ++i) {
    const int lo = i < 8 ? scales[i] & 0xF : scales[i - 8] >> 4;
    const int hi = (scales[8 + i % 4] >> (2 * (i / 4))) & 3;
    sc[i] = (lo | hi << 4) - 32;
  }
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 4; ++s)
      for (int l = 0; l < 32; ++l) {
        const int e = 128 * h + 32 * s + l;
        const int q2 = (qs[32 * h + l] >> (2 * s)) & 3;
        const int high = (hmask[l] >> (4 * h + s)) & 1;
        y[e] = d * float(sc[e / 16]) * float(q2 - (high ? 0 : 4));
      }
}

// Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }: 8 sub-blocks of
// 32; qs[32c + l] holds value 64c + l (low nibble) and 64c + 32 + l (high).
void Q4_K(const uint8_t *b, float *y) {
  const float d = F16At(b), dmin = F16At(b + 2);
  const uint8_t *scales = b + 4, *qs = b + 16;
  for (int c = 0; c < 4; ++c)
    for (int n = 0; n < 2; ++n) {
      int sc, m;
      ScaleMinK4(2 * c + n, scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      for (int l = 0; l < 32; ++l)
        y[64 * c + 32 * n + l] =
            d1 * float((qs[32 * c + l] >> (4 * n)) & 0xF) - m1;
    }
}

// Q5_K: { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }: Q4_K
// with bit (2c + n) of qh[l] as each value's fifth bit.
void Q5_K(const uint8_t *b, float *y) {
  const float d = F16At(b), dmin = F16At(b + 2);
  const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
  for (int c = 0; c < 4; ++c)
    for (int n = 0; n < 2; ++n) {
      const int sb = 2 * c + n;
      int sc, m;
      ScaleMinK4(sb, scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      for (int l = 0; l < 32; ++l) {
        const int q = ((qs[32 * c + l] >> (4 * n)) & 0xF) | ((qh[l] >> sb) & 1)
                                                                << 4;
        y[64 * c + 32 * n + l] = d1 * float(q) - m1;
      }
    }
}

// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }: per half of 128
// values, 4 low bits from ql and 2 high bits from qh, minus 32.
void Q6_K(const uint8_t *b, float *y) {
  const float d = F16At(b + 208);
  const int8_t *scales = reinterpret_cast<const int8_t *>(b + 192);
  for (int h = 0; h < 2; ++h) {
    const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    float *out = y + 128 * h;
    const int8_t *sc = scales + 8 * h;
    for (int l = 0; l < 32; ++l) {
      const int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
      const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
      const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
      out[l] = d * float(sc[l / 16]) * float(q1);
      out[l + 32] = d * float(sc[2 + l / 16]) * float(q2);
      out[l + 64] = d * float(sc[4 + l / 16]) * float(q3);
      out[l + 96] = d * float(sc[6 + l / 16]) * float(q4);
    }
  }
}

} // namespace

void DecodeGgmlBlocks(StoredType type, const uint8_t *packed, uint64_t blocks,
                      float *out) {
  void (*decode)(const uint8_t *, float *) = nullptr;
  switch (type) {
  case StoredType::kF16:
    for (uint64_t i = 0; i < blocks; ++i)
      out[i] = F16At(packed + 2 * i);
    return;
  case StoredType::kQ4_0:
    decode = Q4_0;
    break;
  case StoredType::kQ4_1:
    decode = Q4_1;
    break;
  case StoredType::kQ5_0:
    decode = Q5_0;
    break;
  case StoredType::kQ5_1:
    decode = Q5_1;
    break;
  case StoredType::kQ8_0:
    decode = Q8_0;
    break;
  case StoredType::kQ2_K:
    decode = Q2_K;
    break;
  case StoredType::kQ3_K:
    decode = Q3_K;
    break;
  case StoredType::kQ4_K:
    decode = Q4_K;
    break;
  case StoredType::kQ5_K:
    decode = Q5_K;
    break;
  case StoredType::kQ6_K:
    decode = Q6_K;
    break;
  default:
    return;
  }
  const uint32_t bytes = BlockBytes(type), elements = BlockElements(type);
  for (uint64_t i = 0; i < blocks; ++i)
    decode(packed + i * bytes, out + i * elements);
}

} // namespace gemma
