#version 450
// The routed experts' first half: for row r's k-th expert e and unit f,
// h[(r * TOP_K + k) * FF + f] = gelu(gate_e[f] . x_r) * (up_e[f] . x_r),
// gate_e[f] = row e * 2 FF + f of the weight, up_e[f] = row e * 2 FF + FF + f.
// One subgroup per output, as matmul.comp. Operands: 0 x [N, D], 1 expert
// ids [N, TOP_K], 2 h.
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
  uint outputs = uint(N * TOP_K * FF);
  for (uint s = gl_SubgroupID; s < ROWS_PER_GROUP; s += gl_NumSubgroups) {
    uint o = GroupIndex() * ROWS_PER_GROUP + s;
    if (o >= outputs)
      return;
    uint rk = o / uint(FF), f = o % uint(FF), r = rk / uint(TOP_K);
    uint e = uint(floatBitsToInt(LD(1, rk)));
    uint gate = (e * 2u * uint(FF) + f) * uint(D);
    uint up = gate + uint(FF * D);
    float g = 0.0, u = 0.0;
    for (uint k = lane; k < uint(D); k += step) {
      float x = LD(0, r * uint(D) + k);
      g += x * W(gate + k);
      u += x * W(up + k);
    }
    g = subgroupAdd(g) * pc.wscale;
    u = subgroupAdd(u) * pc.wscale;
    if (lane == 0u)
      ST(2, o, ApplyUnary(kUnaryGeluTanh, g, 0.0) * u);
  }
}
