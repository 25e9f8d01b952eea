//===- GgmlDot.cpp - Dot products straight from GGML blocks ---------------===//
//
// Full vectors of the running target (16 f32 lanes on AVX-512, 8 on AVX2):
// a 32-value block is 2 or 4 vectors. Values are widened from their bytes
// to i32 lanes, combined with their high bits there, converted to f32 and
// multiplied with the activations; each block's (or sub-block's) partial
// sum is scaled once.
//
//===----------------------------------------------------------------------===//

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/GgmlDot.cpp"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/cache_control.h"
#include "hwy/highway.h"

#include "kernels/cpu/GgmlDot.h"

#include "runtime/weights/codecs/Ggml.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace gemma::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;
using VI = hn::Vec<DI>;

// The f16 at `p`: F16C's conversion where the target has it (every x86
// target from AVX2 on), else the exact scalar one. Both are exact.
HWY_INLINE float Half(const uint8_t *p) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return _cvtsh_ss(bits);
#else
  return F16At(p);
#endif
}

// The f16 at `p` in every lane: a 16-bit broadcast and one vector
// conversion on x86 (two instructions where Set(Half(p)) takes three).
HWY_INLINE VF HalfLanes(const uint8_t *p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // (The zero-masked form: GCC 12's plain _mm512_cvtph_ps trips its own
  // -Wmaybe-uninitialized.)
  return VF{
      _mm512_maskz_cvtph_ps(__mmask16(0xFFFF), _mm256_set1_epi16(short(bits)))};
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return VF{_mm256_cvtph_ps(_mm_set1_epi16(short(bits)))};
#else
  return hn::Set(DF(), F16At(p));
#endif
}

// Lanes(DF) bytes at p as i32 lanes, zero- or sign-extended.
HWY_INLINE VI Unsigned(const uint8_t *p) {
  return hn::PromoteTo(DI(), hn::LoadU(hn::Rebind<uint8_t, DI>(), p));
}
HWY_INLINE VI Signed(const uint8_t *p) {
  return hn::PromoteTo(DI(), hn::LoadU(hn::Rebind<int8_t, DI>(),
                                       reinterpret_cast<const int8_t *>(p)));
}

HWY_INLINE VF Float(VI v) { return hn::ConvertTo(DF(), v); }

// R rows read side by side are R short streams, which the hardware
// prefetcher follows worse than one long one (measured: Q8_0 logits at 10
// GB/s of 37): while block b of these rows is read, the next R rows are
// fetched linearly, R blocks' bytes per block, so they are in cache when
// their turn comes.
template <int R>
HWY_INLINE void PrefetchNext(const uint8_t *rows, int64_t row_bytes,
                             int64_t block_bytes, int64_t b) {
  if constexpr (R > 1) {
    const uint8_t *next = rows + 2 * R * row_bytes + R * block_bytes * b;
    for (int64_t at = 0; at < R * block_bytes; at += 64)
      hwy::Prefetch(next + at);
  }
}

template <int R> HWY_INLINE void Store(const VF (&total)[R], float *out) {
  for (int r = 0; r < R; ++r)
    out[r] = hn::GetLane(hn::SumOfLanes(DF(), total[r]));
}

// Q5_0: { f16 d; u32 qh; u8 qs[16]; }: value j is the low (j < 16) or high
// nibble of qs[j mod 16] with bit j of qh above it, minus 16.
#if HWY_TARGET == HWY_SCALAR
HWY_INLINE void Q5_0Values(const uint8_t *block, int8_t *out) {
  uint32_t qh;
  std::memcpy(&qh, block + 2, 4);
  for (int j = 0; j < 16; ++j) {
    out[j] = int8_t(((block[6 + j] & 0xF) | ((qh >> j) & 1) << 4) - 16);
    out[j + 16] =
        int8_t(((block[6 + j] >> 4) | ((qh >> (j + 16)) & 1) << 4) - 16);
  }
}
#else
// The block's 32 values (minus 16, so signed bytes) in 16-byte vectors,
// where a vector op handles 16 values (i32 lanes would need four times as
// many; widening once to f32 lanes afterwards is the cheaper order). The
// fifth bits become bytes through a shuffle of qh's bytes and a bit test;
// a value without its fifth bit is nibble - 16 = nibble | 0xF0.
HWY_INLINE void Q5_0Values(const uint8_t *block, int8_t *out) {
  const hn::Full128<uint8_t> d8;
  const hn::Full128<uint32_t> d32;
  alignas(16) static constexpr uint8_t kByteOf[2][16] = {
      {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
      {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}};
  alignas(16) static constexpr uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                                   1, 2, 4, 8, 16, 32, 64, 128};
  uint32_t qh;
  std::memcpy(&qh, block + 2, 4);
  const auto qs = hn::LoadU(d8, block + 6);
  const auto high = hn::Set(d8, 0xF0), bit = hn::Load(d8, kBit);
  const auto bytes = hn::BitCast(d8, hn::Set(d32, qh));
  const auto lo = hn::And(qs, hn::Set(d8, 0x0F)), hi = hn::ShiftRight<4>(qs);
  const auto set_lo =
      hn::TestBit(hn::TableLookupBytes(bytes, hn::Load(d8, kByteOf[0])), bit);
  const auto set_hi =
      hn::TestBit(hn::TableLookupBytes(bytes, hn::Load(d8, kByteOf[1])), bit);
  uint8_t *bytes_out = reinterpret_cast<uint8_t *>(out);
  hn::StoreU(hn::Or(lo, hn::IfThenZeroElse(set_lo, high)), d8, bytes_out);
  hn::StoreU(hn::Or(hi, hn::IfThenZeroElse(set_hi, high)), d8, bytes_out + 16);
}
#endif

// Blocks of 32 values with their f16 scale first. Q8_0 ({ f16 d; i8
// qs[32]; }) stores the values as bytes; Q5_0's are made bytes first
// (Q5_0Values). From there both are the same dot product.
struct Q8_0Block {
  static constexpr int64_t kBytes = 34;
  static HWY_INLINE const uint8_t *Values(const uint8_t *block, int8_t *) {
    return block + 2;
  }
};
struct Q5_0Block {
  static constexpr int64_t kBytes = 22;
  static HWY_INLINE const uint8_t *Values(const uint8_t *block, int8_t *q) {
    Q5_0Values(block, q);
    return reinterpret_cast<const uint8_t *>(q);
  }
};

template <int R, class Block>
HWY_INLINE void DotByteBlocksR(const float *x, const uint8_t *rows,
                               int64_t row_bytes, int64_t n, float *out) {
  const DF df;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  constexpr int64_t V = 32 / L;
  VF total[R];
  for (int r = 0; r < R; ++r)
    total[r] = hn::Zero(df);
  for (int64_t b = 0; b < n / 32; ++b) {
    PrefetchNext<R>(rows, row_bytes, Block::kBytes, b);
    VF xv[V];
    for (int64_t j = 0; j < V; ++j)
      xv[j] = hn::LoadU(df, x + 32 * b + j * L);
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = rows + r * row_bytes + Block::kBytes * b;
      alignas(16) int8_t scratch[32];
      const uint8_t *q = Block::Values(block, scratch);
      VF acc = hn::Mul(Float(Signed(q)), xv[0]);
      for (int64_t j = 1; j < V; ++j)
        acc = hn::MulAdd(Float(Signed(q + j * L)), xv[j], acc);
      total[r] = hn::MulAdd(HalfLanes(block), acc, total[r]);
    }
  }
  Store<R>(total, out);
}

template <int R>
HWY_INLINE void DotQ8_0R(const float *x, const uint8_t *rows, int64_t row_bytes,
                         int64_t n, float *out) {
  DotByteBlocksR<R, Q8_0Block>(x, rows, row_bytes, n, out);
}

template <int R>
HWY_INLINE void DotQ5_0R(const float *x, const uint8_t *rows, int64_t row_bytes,
                         int64_t n, float *out) {
  DotByteBlocksR<R, Q5_0Block>(x, rows, row_bytes, n, out);
}

// Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }: sub-block j of 32
// is d * sc_j * q - dmin * m_j; qs[32c + l] holds value 64c + l (low
// nibble) and 64c + 32 + l (high). So x . row = sum_j d sc_j (q_j . x_j) -
// dmin m_j sum(x_j): the sums of x are shared by every row.
//
// The twelve scale bytes pack sixteen 6-bit numbers: sc_j and m_j for j < 4
// are the low 6 bits of bytes j and j + 4; for j >= 4 their low 4 bits are
// the nibbles of byte j + 4 and their top 2 bits the top bits of bytes j - 4
// and j. Word arithmetic on the three 32-bit words unpacks all sixteen into
// bytes at once (sc_0..7, then m_0..7), and one vector conversion makes
// them the floats d sc_j and dmin m_j: the per-value loop then only
// broadcasts them. (Unpacking them one by one in scalar code cost as much as
// the dot products.)
HWY_INLINE void Q4_KScales(const uint8_t *block, float *scales) {
  const DF df;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  uint32_t w[4];
  std::memcpy(w, block + 4, 12);
  constexpr uint32_t kLow6 = 0x3F3F3F3F, kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
  w[3] = ((w[2] >> 4) & kLow4) | (((w[1] >> 6) & kLow2) << 4);
  const uint32_t mins_low = w[1] & kLow6;
  w[1] = (w[2] & kLow4) | (((w[0] >> 6) & kLow2) << 4);
  w[2] = mins_low;
  w[0] &= kLow6;
  uint8_t bytes[16];
  std::memcpy(bytes, w, 16);
  const VF d = hn::Set(df, Half(block)), dmin = hn::Set(df, Half(block + 2));
  for (int64_t k = 0; k < 16; k += L) {
    const auto first_half = hn::FirstN(df, size_t(std::max<int64_t>(0, 8 - k)));
    hn::StoreU(hn::Mul(hn::IfThenElse(first_half, d, dmin),
                       Float(Unsigned(bytes + k))),
               df, scales + k);
  }
}

// Per block of x: [0 x 8, sum(x_0) .. sum(x_7)], the sums of its eight
// sub-blocks where they meet the min floats of Q4_KScales. Made once per
// call, for every row it reads (horizontal sums cost as much as a row's
// dot products).
HWY_INLINE void Q4_KSums(const float *x, int64_t n, float *sums) {
  const DF df;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  for (int64_t j = 0; j < n / 32; ++j) {
    VF sum = hn::LoadU(df, x + 32 * j);
    for (int64_t k = L; k < 32; k += L)
      sum = hn::Add(sum, hn::LoadU(df, x + 32 * j + k));
    float *block = sums + 16 * (j / 8);
    if (j % 8 == 0)
      std::fill_n(block, 8, 0.0f);
    block[8 + j % 8] = hn::GetLane(hn::SumOfLanes(df, sum));
  }
}

// Each row keeps two running sums for the scaled sub-block dots (low and
// high nibbles) and one for the mins, so no sum waits on another's last
// addition; a block's mins are one multiply-add of its 16 scale floats
// with its x_sums (Q4_KSums).
template <int R>
HWY_INLINE void DotQ4_KR(const float *x, const float *x_sums,
                         const uint8_t *rows, int64_t row_bytes, int64_t n,
                         float *out) {
  const DF df;
  const DI di;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  constexpr int64_t V = 32 / L;
  const VI low = hn::Set(di, 0xF);
  VF total_l[R], total_h[R], mins[R];
  for (int r = 0; r < R; ++r)
    total_l[r] = total_h[r] = mins[r] = hn::Zero(df);
  for (int64_t b = 0; b < n / 256; ++b) {
    PrefetchNext<R>(rows, row_bytes, 144, b);
    alignas(64) float scale[R][16];
    for (int r = 0; r < R; ++r)
      Q4_KScales(rows + r * row_bytes + 144 * b, scale[r]);
    for (int c = 0; c < 4; ++c) {
      const float *xl = x + 256 * b + 64 * c, *xh = xl + 32;
      VF xlv[V], xhv[V];
      for (int64_t k = 0; k < V; ++k) {
        xlv[k] = hn::LoadU(df, xl + k * L);
        xhv[k] = hn::LoadU(df, xh + k * L);
      }
      for (int r = 0; r < R; ++r) {
        const uint8_t *qs = rows + r * row_bytes + 144 * b + 16 + 32 * c;
        VF acc_l = hn::Zero(df), acc_h = hn::Zero(df);
        for (int64_t k = 0; k < V; ++k) {
          const VI q = Unsigned(qs + k * L);
          acc_l = hn::MulAdd(Float(hn::And(q, low)), xlv[k], acc_l);
          acc_h = hn::MulAdd(Float(hn::ShiftRight<4>(q)), xhv[k], acc_h);
        }
        total_l[r] =
            hn::MulAdd(hn::Set(df, scale[r][2 * c]), acc_l, total_l[r]);
        total_h[r] =
            hn::MulAdd(hn::Set(df, scale[r][2 * c + 1]), acc_h, total_h[r]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int64_t k = 0; k < 16; k += L)
        mins[r] = hn::MulAdd(hn::Load(df, scale[r] + k),
                             hn::LoadU(df, x_sums + 16 * b + k), mins[r]);
  }
  VF total[R];
  for (int r = 0; r < R; ++r)
    total[r] = hn::Sub(hn::Add(total_l[r], total_h[r]), mins[r]);
  Store<R>(total, out);
}

// The x_sums of up to 64 blocks (16384 values) on the stack; longer rows
// in pieces of that many blocks, each piece's dots added to out. Four rows
// at a time, then single rows.
HWY_INLINE void DotQ4_KRows(const float *x, const uint8_t *rows,
                            int64_t row_bytes, int64_t n, int64_t count,
                            float *out) {
  constexpr int64_t kPiece = 64 * 256;
  alignas(64) float x_sums[16 * 64];
  std::fill_n(out, count, 0.0f);
  for (int64_t at = 0; at < n; at += kPiece) {
    const int64_t len = std::min(kPiece, n - at);
    Q4_KSums(x + at, len, x_sums);
    const uint8_t *piece = rows + at / 256 * 144;
    float part[4];
    int64_t k = 0;
    for (; k + 4 <= count; k += 4) {
      DotQ4_KR<4>(x + at, x_sums, piece + k * row_bytes, row_bytes, len, part);
      for (int i = 0; i < 4; ++i)
        out[k + i] += part[i];
    }
    for (; k < count; ++k) {
      DotQ4_KR<1>(x + at, x_sums, piece + k * row_bytes, row_bytes, len, part);
      out[k] += part[0];
    }
  }
}

// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }: per half of 128
// values, value l + 32 m (m < 4) takes 4 low bits from ql (nibble m / 2 of
// ql[l + 32 (m % 2)]) and 2 high bits from qh[l] (bits 2m, 2m + 1), minus
// 32; each 16 values have their own scale d * scales[i].
template <int R>
HWY_INLINE void DotQ6_KR(const float *x, const uint8_t *rows, int64_t row_bytes,
                         int64_t n, float *out) {
  const DF df;
  const DI di;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  const VI low = hn::Set(di, 0xF), bias = hn::Set(di, 32);
  const VI m0 = hn::Set(di, 0x03), m1 = hn::Set(di, 0x0C),
           m2 = hn::Set(di, 0x30), m3 = hn::Set(di, 0xC0);
  VF total[R], second[R];
  for (int r = 0; r < R; ++r)
    total[r] = second[r] = hn::Zero(df);
  for (int64_t b = 0; b < n / 256; ++b) {
    PrefetchNext<R>(rows, row_bytes, 210, b);
    float scale[R][16];
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = rows + r * row_bytes + 210 * b;
      const float d = Half(block + 208);
      for (int i = 0; i < 16; ++i)
        scale[r][i] = d * float(int8_t(block[192 + i]));
    }
    for (int h = 0; h < 2; ++h) {
      const float *xh = x + 256 * b + 128 * h;
      for (int64_t l = 0; l < 32; l += L) {
        const VF x0 = hn::LoadU(df, xh + l), x1 = hn::LoadU(df, xh + 32 + l),
                 x2 = hn::LoadU(df, xh + 64 + l),
                 x3 = hn::LoadU(df, xh + 96 + l);
        const int s = 8 * h + int(l / 16);
        for (int r = 0; r < R; ++r) {
          const uint8_t *block = rows + r * row_bytes + 210 * b;
          const VI a = Unsigned(block + 64 * h + l),
                   c = Unsigned(block + 64 * h + 32 + l),
                   hb = Unsigned(block + 128 + 32 * h + l);
          const VI q0 =
              hn::Or(hn::And(a, low), hn::ShiftLeft<4>(hn::And(hb, m0)));
          const VI q1 =
              hn::Or(hn::And(c, low), hn::ShiftLeft<2>(hn::And(hb, m1)));
          const VI q2 = hn::Or(hn::ShiftRight<4>(a), hn::And(hb, m2));
          const VI q3 =
              hn::Or(hn::ShiftRight<4>(c), hn::ShiftRight<2>(hn::And(hb, m3)));
          // Two running sums per row: no sum waits on more than two of
          // the four multiply-adds before it.
          total[r] =
              hn::MulAdd(hn::Set(df, scale[r][s]),
                         hn::Mul(Float(hn::Sub(q0, bias)), x0), total[r]);
          second[r] =
              hn::MulAdd(hn::Set(df, scale[r][s + 2]),
                         hn::Mul(Float(hn::Sub(q1, bias)), x1), second[r]);
          total[r] =
              hn::MulAdd(hn::Set(df, scale[r][s + 4]),
                         hn::Mul(Float(hn::Sub(q2, bias)), x2), total[r]);
          second[r] =
              hn::MulAdd(hn::Set(df, scale[r][s + 6]),
                         hn::Mul(Float(hn::Sub(q3, bias)), x3), second[r]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r)
    total[r] = hn::Add(total[r], second[r]);
  Store<R>(total, out);
}

// A row of Q8_0 or Q5_0 blocks decoded to f32 with full vectors: d * q
// per value, the scalar decoder's one rounding (Ggml.cpp), so the values
// are bit-identical to it.
template <class Block>
HWY_INLINE void DecodeByteBlocks(const uint8_t *row, int64_t n, float *out) {
  const DF df;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  for (int64_t b = 0; b < n / 32; ++b) {
    const uint8_t *block = row + Block::kBytes * b;
    alignas(16) int8_t scratch[32];
    const uint8_t *q = Block::Values(block, scratch);
    const VF d = HalfLanes(block);
    for (int64_t j = 0; j < 32; j += L)
      hn::StoreU(hn::Mul(d, Float(Signed(q + j))), df, out + 32 * b + j);
  }
}

// N activation rows (x_stride apart) against R stored rows of byte blocks
// at a time: each block's values are decoded in registers exactly as
// DecodeByteBlocks decodes them (d * q, one rounding) and serve all N rows,
// each product added in the order DotRowsMulti adds it over a decoded row
// (lane by lane along the row, lanes summed at the end), so the sums are
// bit-identical to that path's, without its stored f32 copy of the rows.
// R N accumulators: R = 2 with AVX-512's 32 registers, 1 with 16.
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
constexpr int kMultiR = 2;
#else
constexpr int kMultiR = 1;
#endif
template <class Block, int N>
HWY_INLINE void DotByteRowsMultiN(const float *x, int64_t x_stride,
                                  const uint8_t *rows, int64_t row_bytes,
                                  int64_t in, int64_t count, float *y,
                                  int64_t y_stride) {
  constexpr int R = kMultiR;
  const DF df;
  constexpr int64_t L = int64_t(hn::MaxLanes(DF()));
  for (int64_t j = 0; j < count; j += R) {
    const int live = int(std::min<int64_t>(R, count - j));
    VF acc[R][N];
    const uint8_t *row[R];
    for (int r = 0; r < R; ++r) {
      // Past the last row: row j again, its sums dropped.
      row[r] = rows + (j + (r < live ? r : 0)) * row_bytes;
      for (int i = 0; i < N; ++i)
        acc[r][i] = hn::Zero(df);
    }
    for (int64_t b = 0; b < in / 32; ++b) {
      if (live == R)
        PrefetchNext<R>(rows + j * row_bytes, row_bytes, Block::kBytes, b);
      alignas(16) int8_t scratch[R][32];
      const uint8_t *q[R];
      VF d[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t *block = row[r] + Block::kBytes * b;
        q[r] = Block::Values(block, scratch[r]);
        d[r] = HalfLanes(block);
      }
      for (int64_t k = 0; k < 32; k += L) {
        VF w[R];
        for (int r = 0; r < R; ++r)
          w[r] = hn::Mul(d[r], Float(Signed(q[r] + k)));
        for (int i = 0; i < N; ++i) {
          const VF v = hn::LoadU(df, x + i * x_stride + 32 * b + k);
          for (int r = 0; r < R; ++r)
            acc[r][i] = hn::MulAdd(w[r], v, acc[r][i]);
        }
      }
    }
    for (int r = 0; r < live; ++r)
      for (int i = 0; i < N; ++i)
        y[i * y_stride + j + r] = hn::GetLane(hn::SumOfLanes(df, acc[r][i]));
  }
}

template <class Block>
void DotByteRowsMulti(const float *x, int64_t n, int64_t x_stride,
                      const uint8_t *rows, int64_t row_bytes, int64_t in,
                      int64_t count, float *y, int64_t y_stride) {
  switch (n) {
#define GEMMA_BYTE_ROWS_MULTI(N)                                               \
  case N:                                                                      \
    return DotByteRowsMultiN<Block, N>(x, x_stride, rows, row_bytes, in,       \
                                       count, y, y_stride);
    GEMMA_BYTE_ROWS_MULTI(1)
    GEMMA_BYTE_ROWS_MULTI(2)
    GEMMA_BYTE_ROWS_MULTI(3)
    GEMMA_BYTE_ROWS_MULTI(4)
    GEMMA_BYTE_ROWS_MULTI(5)
    GEMMA_BYTE_ROWS_MULTI(6)
    GEMMA_BYTE_ROWS_MULTI(7)
    GEMMA_BYTE_ROWS_MULTI(8)
#undef GEMMA_BYTE_ROWS_MULTI
  default:
    std::abort(); // a caller's bug: 1 to 8 rows
  }
}

void DotQ8_0RowsMultiVec(const float *x, int64_t n, int64_t x_stride,
                         const uint8_t *rows, int64_t row_bytes, int64_t in,
                         int64_t count, float *y, int64_t y_stride) {
  DotByteRowsMulti<Q8_0Block>(x, n, x_stride, rows, row_bytes, in, count, y,
                              y_stride);
}
void DotQ5_0RowsMultiVec(const float *x, int64_t n, int64_t x_stride,
                         const uint8_t *rows, int64_t row_bytes, int64_t in,
                         int64_t count, float *y, int64_t y_stride) {
  DotByteRowsMulti<Q5_0Block>(x, n, x_stride, rows, row_bytes, in, count, y,
                              y_stride);
}

void DecodeQ8_0RowVec(const uint8_t *row, int64_t n, float *out) {
  DecodeByteBlocks<Q8_0Block>(row, n, out);
}
void DecodeQ5_0RowVec(const uint8_t *row, int64_t n, float *out) {
  DecodeByteBlocks<Q5_0Block>(row, n, out);
}

#define GEMMA_GGML_DOT(T)                                                      \
  float Dot##T##Vec(const float *x, const uint8_t *packed, int64_t n) {        \
    float out[1];                                                              \
    Dot##T##R<1>(x, packed, 0, n, out);                                        \
    return out[0];                                                             \
  }                                                                            \
  void Dot##T##x4Vec(const float *x, const uint8_t *rows, int64_t row_bytes,   \
                     int64_t n, float *out) {                                  \
    Dot##T##R<4>(x, rows, row_bytes, n, out);                                  \
  }                                                                            \
  void Dot##T##RowsVec(const float *x, const uint8_t *rows, int64_t row_bytes, \
                       int64_t n, int64_t count, float *out) {                 \
    int64_t k = 0;                                                             \
    for (; k + 4 <= count; k += 4)                                             \
      Dot##T##R<4>(x, rows + k * row_bytes, row_bytes, n, out + k);            \
    for (; k < count; ++k)                                                     \
      Dot##T##R<1>(x, rows + k * row_bytes, row_bytes, n, out + k);            \
  }
GEMMA_GGML_DOT(Q8_0)
GEMMA_GGML_DOT(Q5_0)
GEMMA_GGML_DOT(Q6_K)
#undef GEMMA_GGML_DOT

float DotQ4_KVec(const float *x, const uint8_t *packed, int64_t n) {
  float out[1] = {0.0f};
  DotQ4_KRows(x, packed, 0, n, 1, out);
  return out[0];
}
void DotQ4_Kx4Vec(const float *x, const uint8_t *rows, int64_t row_bytes,
                  int64_t n, float *out) {
  DotQ4_KRows(x, rows, row_bytes, n, 4, out);
}
void DotQ4_KRowsVec(const float *x, const uint8_t *rows, int64_t row_bytes,
                    int64_t n, int64_t count, float *out) {
  DotQ4_KRows(x, rows, row_bytes, n, count, out);
}

} // namespace HWY_NAMESPACE
} // namespace gemma::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::cpu {

#define GEMMA_GGML_DOT(T)                                                      \
  HWY_EXPORT(Dot##T##Vec);                                                     \
  HWY_EXPORT(Dot##T##x4Vec);                                                   \
  HWY_EXPORT(Dot##T##RowsVec);                                                 \
  void Dot##T##Rows(const float *x, const uint8_t *rows, int64_t row_bytes,    \
                    int64_t n, int64_t count, float *out) {                    \
    HWY_DYNAMIC_DISPATCH(Dot##T##RowsVec)(x, rows, row_bytes, n, count, out);  \
  }                                                                            \
  float Dot##T(const float *x, const uint8_t *packed, int64_t n) {             \
    return HWY_DYNAMIC_DISPATCH(Dot##T##Vec)(x, packed, n);                    \
  }                                                                            \
  void Dot##T##x4(const float *x, const uint8_t *rows, int64_t row_bytes,      \
                  int64_t n, float *out) {                                     \
    HWY_DYNAMIC_DISPATCH(Dot##T##x4Vec)(x, rows, row_bytes, n, out);           \
  }
GEMMA_GGML_DOT(Q8_0)
GEMMA_GGML_DOT(Q5_0)
GEMMA_GGML_DOT(Q4_K)
GEMMA_GGML_DOT(Q6_K)
#undef GEMMA_GGML_DOT

HWY_EXPORT(DecodeQ8_0RowVec);
HWY_EXPORT(DecodeQ5_0RowVec);
HWY_EXPORT(DotQ8_0RowsMultiVec);
HWY_EXPORT(DotQ5_0RowsMultiVec);

void DecodeQ8_0Row(const uint8_t *row, int64_t n, float *out) {
  HWY_DYNAMIC_DISPATCH(DecodeQ8_0RowVec)(row, n, out);
}
void DecodeQ5_0Row(const uint8_t *row, int64_t n, float *out) {
  HWY_DYNAMIC_DISPATCH(DecodeQ5_0RowVec)(row, n, out);
}

void DotQ8_0RowsMulti(const float *x, int64_t n, int64_t x_stride,
                      const uint8_t *rows, int64_t row_bytes, int64_t in,
                      int64_t count, float *y, int64_t y_stride) {
  HWY_DYNAMIC_DISPATCH(DotQ8_0RowsMultiVec)
  (x, n, x_stride, rows, row_bytes, in, count, y, y_stride);
}
void DotQ5_0RowsMulti(const float *x, int64_t n, int64_t x_stride,
                      const uint8_t *rows, int64_t row_bytes, int64_t in,
                      int64_t count, float *y, int64_t y_stride) {
  HWY_DYNAMIC_DISPATCH(DotQ5_0RowsMultiVec)
  (x, n, x_stride, rows, row_bytes, in, count, y, y_stride);
}

} // namespace gemma::cpu
#endif
