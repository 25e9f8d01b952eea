// Shared by every compute shader of the Vulkan backend (kernels/vulkan).
//
// One descriptor set for every dispatch: the program's arena, the token ids
// and positions, all weights of the model (as stored, 32-bit words), the
// sequence's KV caches, and per-program parameters (RoPE tables). Where an
// f32 operand lives (arena or caches) is a specialization constant, as are
// shapes and static parameters: each distinct call shape is one pipeline.
// Per-call offsets (in elements) come as push constants, so calls of one
// shape in different layers share their pipeline.


layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) buffer Arena { float arena[]; };
layout(set = 0, binding = 1) readonly buffer Ids { int ids[]; };
layout(set = 0, binding = 2) readonly buffer Positions { int positions[]; };
layout(set = 0, binding = 3) readonly buffer Weights { uint weights[]; };
layout(set = 0, binding = 4) buffer Caches { float caches[]; };
layout(set = 0, binding = 5) readonly buffer Params { float params[]; };

// Bit k: f32 operand k is in the caches buffer, not the arena.
layout(constant_id = 1) const uint IN_CACHE = 0u;
// The stored type of the call's weights (see W below).
layout(constant_id = 2) const uint WTYPE = 0u;
// Shapes and static parameters, named per shader with #defines.
layout(constant_id = 10) const int I0 = 0;
layout(constant_id = 11) const int I1 = 0;
layout(constant_id = 12) const int I2 = 0;
layout(constant_id = 13) const int I3 = 0;
layout(constant_id = 14) const int I4 = 0;
layout(constant_id = 15) const int I5 = 0;
layout(constant_id = 16) const int I6 = 0;
layout(constant_id = 17) const int I7 = 0;
layout(constant_id = 18) const int I8 = 0;
layout(constant_id = 19) const int I9 = 0;
layout(constant_id = 20) const int I10 = 0;
layout(constant_id = 21) const int I11 = 0;
layout(constant_id = 22) const int I12 = 0;
layout(constant_id = 23) const int I13 = 0;
layout(constant_id = 30) const float F0 = 0.0;
layout(constant_id = 31) const float F1 = 0.0;

layout(push_constant) uniform Offsets {
  uint off[6];  // element offsets of the f32 operands
  uint wbase;   // word offset of the weight tensor in `weights`
  float wscale; // the tensor's scale (docs/formats/sbs.md 5.7)
} pc;

float LD(uint k, uint i) {
  return ((IN_CACHE >> k) & 1u) != 0u ? caches[pc.off[k] + i]
                                      : arena[pc.off[k] + i];
}
void ST(uint k, uint i, float v) {
  if (((IN_CACHE >> k) & 1u) != 0u)
    caches[pc.off[k] + i] = v;
  else
    arena[pc.off[k] + i] = v;
}

// Bytes, halves and signed bytes of the call's weight tensor.
uint B(uint byte) {
  return (weights[pc.wbase + (byte >> 2)] >> (8u * (byte & 3u))) & 0xFFu;
}
float H(uint byte) { return unpackHalf2x16(B(byte) | (B(byte + 1u) << 8)).x; }
float BF(uint byte) {
  return uintBitsToFloat((B(byte) | (B(byte + 1u) << 8)) << 16);
}
int S8(uint byte) { return int(B(byte) << 24) >> 24; }
// SFP codes decode through the 256-entry table at word 0 of `weights`.
float Sfp(uint code) { return uintBitsToFloat(weights[code]); }

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (scales at
// byte s).
void ScaleMinK4(uint j, uint s, out float sc, out float m) {
  if (j < 4u) {
    sc = float(B(s + j) & 63u);
    m = float(B(s + j + 4u) & 63u);
  } else {
    sc = float((B(s + j + 4u) & 0xFu) | ((B(s + j - 4u) >> 6) << 4));
    m = float((B(s + j + 4u) >> 4) | ((B(s + j) >> 6) << 4));
  }
}

// Element `i` of the call's weight tensor, decoded, before its scale: the
// layouts of runtime/weights/codecs (docs/formats/sbs.md 5, docs/formats/ggml-types.md).
// WTYPE: 0 f32, 1 bf16, 2 sfp, 3 nuq, 4 i8, 5 f16, 6 q4_0, 7 q4_1, 8 q5_0,
// 9 q5_1, 10 q8_0, 11 q2_k, 12 q3_k, 13 q4_k, 14 q5_k, 15 q6_k.
float W(uint i) {
  if (WTYPE == 0u)
    return uintBitsToFloat(weights[pc.wbase + i]);
  if (WTYPE == 1u) {
    uint w = weights[pc.wbase + (i >> 1)];
    return uintBitsToFloat((i & 1u) != 0u ? (w & 0xFFFF0000u) : (w << 16));
  }
  if (WTYPE == 2u)
    return Sfp(B(i));
  if (WTYPE == 3u) { // NUQ: 16 SFP centers, then 128 bytes of nibbles
    uint g = (i / 256u) * 144u, j = i % 256u;
    uint byte = B(g + 16u + j / 2u);
    return Sfp(B(g + ((j & 1u) != 0u ? byte >> 4 : byte & 0xFu)));
  }
  if (WTYPE == 4u) { // I8: bf16 inverse scale, bf16 zero point, 128 int8
    uint g = (i / 128u) * 132u;
    float inv = BF(g), zero = BF(g + 2u);
    return inv * float(S8(g + 4u + i % 128u)) - zero * inv;
  }
  if (WTYPE == 5u)
    return H(2u * i);
  uint j = i % 32u; // 32-value blocks
  if (WTYPE == 6u) {
    uint b = (i / 32u) * 18u;
    uint q = j < 16u ? B(b + 2u + j) & 0xFu : B(b + 2u + j - 16u) >> 4;
    return H(b) * float(int(q) - 8);
  }
  if (WTYPE == 7u) {
    uint b = (i / 32u) * 20u;
    uint q = j < 16u ? B(b + 4u + j) & 0xFu : B(b + 4u + j - 16u) >> 4;
    return H(b) * float(q) + H(b + 2u);
  }
  if (WTYPE == 8u || WTYPE == 9u) {
    bool q51 = WTYPE == 9u;
    uint b = (i / 32u) * (q51 ? 24u : 22u);
    uint qh_at = b + (q51 ? 4u : 2u), qs = qh_at + 4u;
    uint qh = B(qh_at) | (B(qh_at + 1u) << 8) | (B(qh_at + 2u) << 16) |
              (B(qh_at + 3u) << 24);
    uint lo = j < 16u ? B(qs + j) & 0xFu : B(qs + j - 16u) >> 4;
    uint q = lo | (((qh >> j) & 1u) << 4);
    return q51 ? H(b) * float(q) + H(b + 2u) : H(b) * float(int(q) - 16);
  }
  if (WTYPE == 10u) {
    uint b = (i / 32u) * 34u;
    return H(b) * float(S8(b + 2u + j));
  }
  uint e = i % 256u; // 256-value blocks
  uint h = e / 128u, s = (e % 128u) / 32u, l = e % 32u;
  if (WTYPE == 11u) {
    uint b = (i / 256u) * 84u;
    uint sc = B(b + e / 16u);
    uint q = (B(b + 16u + 32u * h + l) >> (2u * s)) & 3u;
    return H(b + 80u) * float(sc & 0xFu) * float(q) -
           H(b + 82u) * float(sc >> 4);
  }
  if (WTYPE == 12u) {
    uint b = (i / 256u) * 110u, scales = b + 96u, k = e / 16u;
    uint lo = k < 8u ? B(scales + k) & 0xFu : B(scales + k - 8u) >> 4;
    uint hi = (B(scales + 8u + k % 4u) >> (2u * (k / 4u))) & 3u;
    int sc = int(lo | (hi << 4)) - 32;
    int q2 = int((B(b + 32u + 32u * h + l) >> (2u * s)) & 3u);
    uint high = (B(b + l) >> (4u * h + s)) & 1u;
    return H(b + 108u) * float(sc) * float(q2 - (high != 0u ? 0 : 4));
  }
  if (WTYPE == 13u || WTYPE == 14u) {
    bool q5 = WTYPE == 14u;
    uint b = (i / 256u) * (q5 ? 176u : 144u);
    uint c = e / 64u, n = (e % 64u) / 32u, sb = 2u * c + n;
    float sc, m;
    ScaleMinK4(sb, b + 4u, sc, m);
    uint qs = b + (q5 ? 48u : 16u);
    uint q = (B(qs + 32u * c + l) >> (4u * n)) & 0xFu;
    if (q5)
      q |= ((B(b + 16u + l) >> sb) & 1u) << 4;
    return H(b) * sc * float(q) - H(b + 2u) * m;
  }
  // Q6_K: per half of 128 values, 4 low bits from ql, 2 high from qh.
  uint b = (i / 256u) * 210u;
  uint k = s;
  uint ql = B(b + 64u * h + l + (k & 1u) * 32u);
  uint lo = k < 2u ? ql & 0xFu : ql >> 4;
  uint hi = (B(b + 128u + 32u * h + l) >> (2u * k)) & 3u;
  int q = int(lo | (hi << 4)) - 32;
  return H(b + 208u) * float(S8(b + 192u + 8u * h + 2u * k + l / 16u)) *
         float(q);
}

// The linear index of a 1-D or 2-D dispatch (grids wider than the 65535
// groups one dimension allows fold into y).
uint GroupIndex() {
  return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
}
uint ThreadIndex() {
  return GroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}

// The unary function table every backend shares: ApplyUnary(fn, x, p) and
// the codes kUnaryGeluTanh, kUnarySoftcap, ... (glslc reads the C++ header's
// GLSL part).
#include "kernels/common/ElementwiseFunctions.h"
