#version 450
// One workgroup per row of WIDTH: y = softmax(x). Operands: 0 x, 1 y.
#include "common.glsl"
#define WIDTH I0

shared float partial[256];

float Reduce(float v, bool is_max) {
  uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
    if (t < s)
      partial[t] = is_max ? max(partial[t], partial[t + s])
                          : partial[t] + partial[t + s];
    barrier();
  }
  float out_value = partial[0];
  barrier();
  return out_value;
}

void main() {
  uint base = GroupIndex() * uint(WIDTH), t = gl_LocalInvocationID.x;
  float m = -1.0 / 0.0;
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x)
    m = max(m, LD(0, base + i));
  m = Reduce(m, true);
  float sum = 0.0;
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x)
    sum += exp(LD(0, base + i) - m);
  float inv = 1.0 / Reduce(sum, false);
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x)
    ST(1, base + i, exp(LD(0, base + i) - m) * inv);
}
