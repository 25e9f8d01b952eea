#version 450
// out [ROWS, HEADS, VDIM] = probs [ROWS, HEADS, SLOTS] . values [BATCH,
// SLOTS, KV, VDIM]. Operands: 0 probs, 1 values, 2 out.
#include "common.glsl"
#define ROWS I0
#define HEADS I1
#define BATCH I3
#define SLOTS I4
#define KV I5
#define VDIM I6

void main() {
  uint g = ThreadIndex();
  if (g >= uint(ROWS * HEADS * VDIM))
    return;
  uint d = g % uint(VDIM), item = g / uint(VDIM);
  uint r = item / uint(HEADS), h = item % uint(HEADS);
  uint kv = h / uint(HEADS / KV), b = BATCH == 1 ? 0u : r;
  float sum = 0.0;
  for (uint slot = 0u; slot < uint(SLOTS); ++slot) {
    float p = LD(0, item * uint(SLOTS) + slot);
    if (p != 0.0)
      sum += p * LD(1, ((b * uint(SLOTS) + slot) * uint(KV) + kv) * uint(VDIM) + d);
  }
  ST(2, g, sum);
}
