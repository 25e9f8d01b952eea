#version 450
// The routed experts' second half: y[r, o] = sum_k weight[r, k] *
// (down_e[o] . h[r * TOP_K + k]), down_e[o] = row e * D + o of the weight.
// One subgroup per output. Operands: 0 h [N * TOP_K, FF], 1 expert ids,
// 2 expert weights [N, TOP_K], 3 y [N, D].
#include "common.glsl"
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#define N I0
#define D I1
#define FF I3
#define TOP_K I4
layout(constant_id = 3) const uint ROWS_PER_GROUP = 1u;

void main() {
  uint lane = gl_SubgroupInvocationID, step = gl_SubgroupSize;
  for (uint s = gl_SubgroupID; s < ROWS_PER_GROUP; s += gl_NumSubgroups) {
    uint out_index = GroupIndex() * ROWS_PER_GROUP + s;
    if (out_index >= uint(N * D))
      return;
    uint r = out_index / uint(D), o = out_index % uint(D);
    float y = 0.0;
    for (int k = 0; k < TOP_K; ++k) {
      uint rk = r * uint(TOP_K) + uint(k);
      uint e = uint(floatBitsToInt(LD(1, rk)));
      uint row = (e * uint(D) + o) * uint(FF);
      float dot = 0.0;
      for (uint j = lane; j < uint(FF); j += step)
        dot += LD(0, rk * uint(FF) + j) * W(row + j);
      y += LD(2, rk) * subgroupAdd(dot) * pc.wscale;
    }
    if (lane == 0u)
      ST(3, out_index, y);
  }
}
