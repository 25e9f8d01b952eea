// Weights decoded from their stored type, in the kernels: the layouts of
// runtime/weights/codecs (docs/formats/sbs.md 5, docs/formats/ggml-types.md).
// S::WTYPE: 0 f32, 1 bf16, 2 sfp, 3 nuq, 4 i8, 5 f16, 6 q4_0, 7 q4_1, 8 q5_0, 9
// q5_1, 10 q8_0, 11 q2_k, 12 q3_k, 13 q4_k, 14 q5_k, 15 q6_k (the Vulkan
// shaders' numbering). A compile-time constant, so each kernel keeps one
// decoder.
namespace gk {

__device__ __forceinline__ float HalfToFloat(unsigned h) {
  const unsigned sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu,
                 m = h & 0x3FFu;
  if (e == 0u) { // zero or subnormal: m * 2^-24
    const float v = float(m) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (e == 31u)
    return __uint_as_float(sign | 0x7F800000u | (m << 13));
  return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

struct Bytes {
  const unsigned char *p;
  __device__ __forceinline__ unsigned B(u64 i) const { return p[i]; }
  __device__ __forceinline__ float H(u64 i) const {
    return HalfToFloat(p[i] | (unsigned(p[i + 1]) << 8));
  }
  __device__ __forceinline__ float BF(u64 i) const {
    return __uint_as_float((p[i] | (unsigned(p[i + 1]) << 8)) << 16);
  }
  __device__ __forceinline__ int S8(u64 i) const {
    return int(static_cast<signed char>(p[i]));
  }
};

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (scales at
// byte s).
__device__ __forceinline__ void ScaleMinK4(const Bytes &w, unsigned j, u64 s,
                                           float &sc, float &m) {
  if (j < 4u) {
    sc = float(w.B(s + j) & 63u);
    m = float(w.B(s + j + 4u) & 63u);
  } else {
    sc = float((w.B(s + j + 4u) & 0xFu) | ((w.B(s + j - 4u) >> 6) << 4));
    m = float((w.B(s + j + 4u) >> 4) | ((w.B(s + j) >> 6) << 4));
  }
}

// Element i of the call's weight, before the tensor's scale.
template <class S> __device__ float W(const KernelArgs &a, u64 i) {
  const Bytes w{reinterpret_cast<const unsigned char *>(a.weight)};
  const float *lut = reinterpret_cast<const float *>(a.lut);
  if (S::WTYPE == 0)
    return reinterpret_cast<const float *>(a.weight)[i];
  if (S::WTYPE == 1)
    return w.BF(2u * i);
  if (S::WTYPE == 2)
    return lut[w.B(i)];
  if (S::WTYPE == 3) { // NUQ: 16 SFP centers, then 128 bytes of nibbles
    const u64 g = (i / 256u) * 144u;
    const unsigned j = unsigned(i % 256u);
    const unsigned byte = w.B(g + 16u + j / 2u);
    return lut[w.B(g + ((j & 1u) ? byte >> 4 : byte & 0xFu))];
  }
  if (S::WTYPE == 4) { // I8: bf16 inverse scale, bf16 zero point, 128 int8
    const u64 g = (i / 128u) * 132u;
    const float inv = w.BF(g), zero = w.BF(g + 2u);
    return inv * float(w.S8(g + 4u + i % 128u)) - zero * inv;
  }
  if (S::WTYPE == 5)
    return w.H(2u * i);
  const unsigned j = unsigned(i % 32u); // 32-value blocks
  if (S::WTYPE == 6) {
    const u64 b = (i / 32u) * 18u;
    const unsigned q =
        j < 16u ? w.B(b + 2u + j) & 0xFu : w.B(b + 2u + j - 16u) >> 4;
    return w.H(b) * float(int(q) - 8);
  }
  if (S::WTYPE == 7) {
    const u64 b = (i / 32u) * 20u;
    const unsigned q =
        j < 16u ? w.B(b + 4u + j) & 0xFu : w.B(b + 4u + j - 16u) >> 4;
    return w.H(b) * float(q) + w.H(b + 2u);
  }
  if (S::WTYPE == 8 || S::WTYPE == 9) {
    const bool q51 = S::WTYPE == 9;
    const u64 b = (i / 32u) * (q51 ? 24u : 22u);
    const u64 qh_at = b + (q51 ? 4u : 2u), qs = qh_at + 4u;
    const unsigned qh = w.B(qh_at) | (w.B(qh_at + 1u) << 8) |
                        (w.B(qh_at + 2u) << 16) | (w.B(qh_at + 3u) << 24);
    const unsigned lo = j < 16u ? w.B(qs + j) & 0xFu : w.B(qs + j - 16u) >> 4;
    const unsigned q = lo | (((qh >> j) & 1u) << 4);
    return q51 ? w.H(b) * float(q) + w.H(b + 2u) : w.H(b) * float(int(q) - 16);
  }
  if (S::WTYPE == 10) {
    const u64 b = (i / 32u) * 34u;
    return w.H(b) * float(w.S8(b + 2u + j));
  }
  const unsigned e = unsigned(i % 256u); // 256-value blocks
  const unsigned h = e / 128u, s = (e % 128u) / 32u, l = e % 32u;
  if (S::WTYPE == 11) {
    const u64 b = (i / 256u) * 84u;
    const unsigned sc = w.B(b + e / 16u);
    const unsigned q = (w.B(b + 16u + 32u * h + l) >> (2u * s)) & 3u;
    return w.H(b + 80u) * float(sc & 0xFu) * float(q) -
           w.H(b + 82u) * float(sc >> 4);
  }
  if (S::WTYPE == 12) {
    const u64 b = (i / 256u) * 110u, scales = b + 96u;
    const unsigned k = e / 16u;
    const unsigned lo =
        k < 8u ? w.B(scales + k) & 0xFu : w.B(scales + k - 8u) >> 4;
    const unsigned hi = (w.B(scales + 8u + k % 4u) >> (2u * (k / 4u))) & 3u;
    const int sc = int(lo | (hi << 4)) - 32;
    const int q2 = int((w.B(b + 32u + 32u * h + l) >> (2u * s)) & 3u);
    const unsigned high = (w.B(b + l) >> (4u * h + s)) & 1u;
    return w.H(b + 108u) * float(sc) * float(q2 - (high ? 0 : 4));
  }
  if (S::WTYPE == 13 || S::WTYPE == 14) {
    const bool q5 = S::WTYPE == 14;
    const u64 b = (i / 256u) * (q5 ? 176u : 144u);
    const unsigned c = e / 64u, n = (e % 64u) / 32u, sb = 2u * c + n;
    float sc, m;
    ScaleMinK4(w, sb, b + 4u, sc, m);
    const u64 qs = b + (q5 ? 48u : 16u);
    unsigned q = (w.B(qs + 32u * c + l) >> (4u * n)) & 0xFu;
    if (q5)
      q |= ((w.B(b + 16u + l) >> sb) & 1u) << 4;
    return w.H(b) * sc * float(q) - w.H(b + 2u) * m;
  }
  // Q6_K: per half of 128 values, 4 low bits from ql, 2 high from qh.
  const u64 b = (i / 256u) * 210u;
  const unsigned ql = w.B(b + 64u * h + l + (s & 1u) * 32u);
  const unsigned lo = s < 2u ? ql & 0xFu : ql >> 4;
  const unsigned hi = (w.B(b + 128u + 32u * h + l) >> (2u * s)) & 3u;
  const int q = int(lo | (hi << 4)) - 32;
  return w.H(b + 208u) * float(w.S8(b + 192u + 8u * h + 2u * s + l / 16u)) *
         float(q);
}

// The 8 elements from i (a multiple of 8, rows of whole 8s) at once: wide
// loads for the dense types; for the group and block types, the group's
// scales read once for all 8 (they share a group: every group size is a
// multiple of 8, and so is every sub-block of the K types); the element
// decoder for the rest.
template <class S>
__device__ __forceinline__ void W8(const KernelArgs &a, u64 i, float *out) {
  const Bytes w{reinterpret_cast<const unsigned char *>(a.weight)};
  const float *lut = reinterpret_cast<const float *>(a.lut);
  if (S::WTYPE == 0) {
    const float4 *p = reinterpret_cast<const float4 *>(a.weight) + i / 4u;
    const float4 x = p[0], y = p[1];
    out[0] = x.x, out[1] = x.y, out[2] = x.z, out[3] = x.w;
    out[4] = y.x, out[5] = y.y, out[6] = y.z, out[7] = y.w;
  } else if (S::WTYPE == 1) {
    const uint4 v = reinterpret_cast<const uint4 *>(a.weight)[i / 8u];
    const unsigned words[4] = {v.x, v.y, v.z, v.w};
    for (int k = 0; k < 4; ++k) {
      out[2 * k] = __uint_as_float(words[k] << 16);
      out[2 * k + 1] = __uint_as_float(words[k] & 0xFFFF0000u);
    }
  } else if (S::WTYPE == 2) {
    const uint2 v = reinterpret_cast<const uint2 *>(a.weight)[i / 8u];
    for (int k = 0; k < 4; ++k) {
      out[k] = lut[(v.x >> (8 * k)) & 0xFFu];
      out[4 + k] = lut[(v.y >> (8 * k)) & 0xFFu];
    }
  } else if (S::WTYPE == 3) { // NUQ: 4 bytes of nibbles, 8 centers
    const u64 g = (i / 256u) * 144u;
    const unsigned j = unsigned(i % 256u);
    for (int k = 0; k < 4; ++k) {
      const unsigned byte = w.B(g + 16u + j / 2u + unsigned(k));
      out[2 * k] = lut[w.B(g + (byte & 0xFu))];
      out[2 * k + 1] = lut[w.B(g + (byte >> 4))];
    }
  } else if (S::WTYPE == 4) { // I8
    const u64 g = (i / 128u) * 132u;
    const float inv = w.BF(g), zero = w.BF(g + 2u);
    const u64 q = g + 4u + i % 128u;
    for (int k = 0; k < 8; ++k)
      out[k] = inv * float(w.S8(q + unsigned(k))) - zero * inv;
  } else if (S::WTYPE == 6) { // Q4_0
    const u64 b = (i / 32u) * 18u;
    const unsigned j = unsigned(i % 32u);
    const float d = w.H(b);
    for (int k = 0; k < 8; ++k) {
      const unsigned e = j + unsigned(k);
      const unsigned q =
          e < 16u ? w.B(b + 2u + e) & 0xFu : w.B(b + 2u + e - 16u) >> 4;
      out[k] = d * float(int(q) - 8);
    }
  } else if (S::WTYPE == 8) { // Q5_0
    const u64 b = (i / 32u) * 22u;
    const unsigned j = unsigned(i % 32u);
    const float d = w.H(b);
    const unsigned qh = w.B(b + 2u) | (w.B(b + 3u) << 8) | (w.B(b + 4u) << 16) |
                        (w.B(b + 5u) << 24);
    for (int k = 0; k < 8; ++k) {
      const unsigned e = j + unsigned(k);
      const unsigned lo =
          e < 16u ? w.B(b + 6u + e) & 0xFu : w.B(b + 6u + e - 16u) >> 4;
      out[k] = d * float(int(lo | (((qh >> e) & 1u) << 4)) - 16);
    }
  } else if (S::WTYPE == 10) { // Q8_0
    const u64 b = (i / 32u) * 34u;
    const float d = w.H(b);
    const u64 q = b + 2u + i % 32u;
    for (int k = 0; k < 8; ++k)
      out[k] = d * float(w.S8(q + unsigned(k)));
  } else if (S::WTYPE == 13 || S::WTYPE == 14) { // Q4_K, Q5_K
    const bool q5 = S::WTYPE == 14;
    const u64 b = (i / 256u) * (q5 ? 176u : 144u);
    const unsigned e = unsigned(i % 256u);
    const unsigned c = e / 64u, n = (e % 64u) / 32u, sb = 2u * c + n;
    const unsigned l = e % 32u;
    float sc, m;
    ScaleMinK4(w, sb, b + 4u, sc, m);
    const float d = w.H(b) * sc, dm = w.H(b + 2u) * m;
    const u64 qs = b + (q5 ? 48u : 16u) + 32u * c + l;
    for (int k = 0; k < 8; ++k) {
      unsigned q = (w.B(qs + unsigned(k)) >> (4u * n)) & 0xFu;
      if (q5)
        q |= ((w.B(b + 16u + l + unsigned(k)) >> sb) & 1u) << 4;
      out[k] = d * float(q) - dm;
    }
  } else if (S::WTYPE == 15) { // Q6_K
    const u64 b = (i / 256u) * 210u;
    const unsigned e = unsigned(i % 256u);
    const unsigned h = e / 128u, s = (e % 128u) / 32u, l = e % 32u;
    const float d =
        w.H(b + 208u) * float(w.S8(b + 192u + 8u * h + 2u * s + l / 16u));
    const u64 ql = b + 64u * h + l + (s & 1u) * 32u;
    const u64 qh = b + 128u + 32u * h + l;
    for (int k = 0; k < 8; ++k) {
      const unsigned low = w.B(ql + unsigned(k));
      const unsigned lo = s < 2u ? low & 0xFu : low >> 4;
      const unsigned hi = (w.B(qh + unsigned(k)) >> (2u * s)) & 3u;
      out[k] = d * float(int(lo | (hi << 4)) - 32);
    }
  } else {
    for (int k = 0; k < 8; ++k)
      out[k] = W<S>(a, i + u64(k));
  }
}

} // namespace gk
