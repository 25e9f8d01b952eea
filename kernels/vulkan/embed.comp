#version 450
// out[r, i] = table[ids[r], first + i] * tensor scale * SCALE.
#include "common.glsl"
#define N I0
#define WIDTH I1
#define FIRST I2
#define COLS I3
#define SCALE F0

void main() {
  uint g = ThreadIndex();
  if (g >= uint(N * WIDTH))
    return;
  uint r = g / uint(WIDTH), i = g % uint(WIDTH);
  uint row = uint(ids[r]);
  ST(0, g, W(row * uint(COLS) + uint(FIRST) + i) * pc.wscale * SCALE);
}
