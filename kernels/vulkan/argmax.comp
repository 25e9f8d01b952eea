#version 450
// Greedy decoding on the device: per row of logits [ROWS, WIDTH] (operand
// 0), the index of the largest (the lowest index among equal maxima, as the
// host's std::max_element), written as int bits to operand 1. One
// workgroup per row.
#include "common.glsl"
#define ROWS I0
#define WIDTH I1

shared float best_value[256];
shared int best_index[256];

void main() {
  uint row = GroupIndex(), t = gl_LocalInvocationID.x;
  if (row >= uint(ROWS))
    return;
  float value = -1.0 / 0.0;
  int index = -1;
  for (uint i = t; i < uint(WIDTH); i += gl_WorkGroupSize.x) {
    float v = LD(0, row * uint(WIDTH) + i);
    if (index < 0 || v > value) {
      value = v;
      index = int(i);
    }
  }
  best_value[t] = value;
  best_index[t] = index;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
    if (t < s) {
      float v = best_value[t + s];
      int j = best_index[t + s];
      if (j >= 0 && (best_index[t] < 0 || v > best_value[t] ||
                     (v == best_value[t] && j < best_index[t]))) {
        best_value[t] = v;
        best_index[t] = j;
      }
    }
    barrier();
  }
  if (t == 0u)
    ST(1, row, intBitsToFloat(best_index[0]));
}
