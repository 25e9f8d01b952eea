#version 450
// y[n, o] = x[n, :] . w[row(o), :] * scale.
// row(o) walks up to four row ranges (all rows when there are none). With
// HEADS > 0 the weight is head-major [HEADS * OUT, IN]: y[n, o] =
// sum_h x[n, h, :] . w[h * OUT + o, :]. CAP > 0 soft-caps (the logits).
// Operands: 0 x, 1 y. Rows are counted from the bound piece of the weight.
#include "common.glsl"
#define N I0
#define IN I1
#define OUT I2
#define HEADS I3
#define RANGES I4
#define Y_STRIDE I13 // y's row stride when it is not OUT (a split table)
#define CAP F0

#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_EXT_control_flow_attributes : enable

// Rows of x taken together: each weight value is decoded once per block.
const uint kBlock = 8u;

uint Row(uint o) {
  int begins[4] = int[4](I5, I7, I9, I11);
  int ends[4] = int[4](I6, I8, I10, I12);
  uint left = o;
  for (int r = 0; r < RANGES; ++r) {
    uint len = uint(ends[r] - begins[r]);
    if (left < len)
      return uint(begins[r]) + left;
    left -= len;
  }
  return o;
}

// ROWS_PER_GROUP outputs per workgroup, one subgroup each at a time (no
// shared memory, no barriers): its lanes stride over the inner dimension
// and subgroupAdd the partial dots. The loop over the group's rows covers
// devices that run fewer, wider subgroups than the host planned for.
layout(constant_id = 3) const uint ROWS_PER_GROUP = 1u;

void main() {
  uint lane = gl_SubgroupInvocationID, step = gl_SubgroupSize;
  uint inner = HEADS > 0 ? uint(HEADS * IN) : uint(IN);
  uint stride = uint(Y_STRIDE > 0 ? Y_STRIDE : OUT);
  for (uint r = gl_SubgroupID; r < ROWS_PER_GROUP; r += gl_NumSubgroups) {
    uint o = GroupIndex() * ROWS_PER_GROUP + r;
    if (o >= uint(OUT))
      return;
    uint row = HEADS > 0 ? o : Row(o);
    for (uint n0 = 0u; n0 < uint(N); n0 += kBlock) {
      uint count = min(kBlock, uint(N) - n0);
      float acc[kBlock];
      [[unroll]] for (uint j = 0u; j < kBlock; ++j)
        acc[j] = 0.0;
      for (uint k = lane; k < inner; k += step) {
        uint wrow = row, col = k;
        if (HEADS > 0) {
          wrow = (k / uint(IN)) * uint(OUT) + o;
          col = k % uint(IN);
        }
        float w = W(wrow * uint(IN) + col);
        // Constant bounds (unrolled, acc in registers); a dynamic bound
        // puts the array in memory on some compilers (llvmpipe: 100x).
        [[unroll]] for (uint j = 0u; j < kBlock; ++j)
          if (j < count)
            acc[j] += LD(0, (n0 + j) * inner + k) * w;
      }
      [[unroll]] for (uint j = 0u; j < kBlock; ++j) {
        if (j >= count)
          break;
        float y = subgroupAdd(acc[j]) * pc.wscale;
        if (CAP > 0.0)
          y = ApplyUnary(kUnarySoftcap, y, CAP);
        if (lane == 0u)
          ST(1, (n0 + j) * stride + o, y);
      }
    }
  }
}
