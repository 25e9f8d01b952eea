#version 450
// Row r of x [N, WIDTH] (operand 1) into slot positions[r] mod SLOTS of
// sequence (BATCH == 1 ? 0 : r) of the cache [BATCH, SLOTS, WIDTH]
// (operand 0).
#include "common.glsl"
#define BATCH I0
#define SLOTS I1
#define WIDTH I2
#define N I3

void main() {
  uint g = ThreadIndex();
  if (g >= uint(N * WIDTH))
    return;
  uint r = g / uint(WIDTH), i = g % uint(WIDTH);
  uint b = BATCH == 1 ? 0u : r;
  uint slot = uint(positions[r]) % uint(SLOTS);
  ST(0, (b * uint(SLOTS) + slot) * uint(WIDTH) + i, LD(1, g));
}
