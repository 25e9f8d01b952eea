#version 450
// out[r, i] = table[ids[r], first + i] * tensor scale * SCALE, for the ids
// in [ROW_BEGIN, ROW_END): the rows of the bound piece of the table (a
// table larger than one buffer binding is embedded piece by piece).
#include "common.glsl"
#define N I0
#define WIDTH I1
#define FIRST I2
#define COLS I3
#define ROW_BEGIN I4
#define ROW_END I5
#define SCALE F0

void main() {
  uint g = ThreadIndex();
  if (g >= uint(N * WIDTH))
    return;
  uint r = g / uint(WIDTH), i = g % uint(WIDTH);
  int row = ids[r];
  if (row < ROW_BEGIN || row >= ROW_END)
    return;
  ST(0, g, W(uint(row - ROW_BEGIN) * uint(COLS) + uint(FIRST) + i) * pc.wscale *
               SCALE);
}
