#version 450
// Unfused attention scores [ROWS, HEADS, SLOTS] = SCALE * q . k for every
// slot (the mask comes after). Operands: 0 q, 1 keys, 2 scores.
#include "common.glsl"
#define ROWS I0
#define HEADS I1
#define DIM I2
#define BATCH I3
#define SLOTS I4
#define KV I5
#define SCALE F0

void main() {
  uint g = ThreadIndex();
  if (g >= uint(ROWS * HEADS * SLOTS))
    return;
  uint slot = g % uint(SLOTS), item = g / uint(SLOTS);
  uint r = item / uint(HEADS), h = item % uint(HEADS);
  uint kv = h / uint(HEADS / KV), b = BATCH == 1 ? 0u : r;
  uint kbase = ((b * uint(SLOTS) + slot) * uint(KV) + kv) * uint(DIM);
  float dot = 0.0;
  for (uint i = 0u; i < uint(DIM); ++i)
    dot += LD(0, item * uint(DIM) + i) * LD(1, kbase + i);
  ST(2, g, SCALE * dot);
}
