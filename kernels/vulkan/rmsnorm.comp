#version 450
// One workgroup per row: RMSNorm of x (operand 0) into y (operand 1); with
// RESIDUAL, x + r (operand 2) is normed and also stored (operand 3). KIND:
// 0 no weight, 1 x * (1 + w), 2 x * w. In place allowed.
#include "common.glsl"
#define WIDTH I0
#define KIND I1
#define RESIDUAL I2
#define EPS F0

shared float partial[256];

void main() {
  uint row = GroupIndex(), t = gl_LocalInvocationID.x;
  uint base = row * uint(WIDTH);
  float sum = 0.0;
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x) {
    float v = LD(0, base + i);
    if (RESIDUAL != 0) {
      v += LD(2, base + i);
      ST(3, base + i, v);
    }
    sum += v * v;
  }
  partial[t] = sum;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
    if (t < s)
      partial[t] += partial[t + s];
    barrier();
  }
  float inv = inversesqrt(partial[0] / float(WIDTH) + EPS);
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x) {
    float v = RESIDUAL != 0 ? LD(3, base + i) : LD(0, base + i);
    float w = KIND == 0 ? 1.0 : W(i) * pc.wscale;
    if (KIND == 1)
      w += 1.0;
    ST(1, base + i, v * inv * w);
  }
}
