#version 450
// y = x with -inf where slot's position is outside the causal window of
// the row's position (WINDOW 0: causal only). Operands: 0 x, 1 y
// [ROWS, HEADS, SLOTS].
#include "common.glsl"
#define ROWS I0
#define HEADS I1
#define SLOTS I2
#define WINDOW I3

void main() {
  uint g = ThreadIndex();
  if (g >= uint(ROWS * HEADS * SLOTS))
    return;
  int slot = int(g % uint(SLOTS));
  uint r = g / uint(SLOTS * HEADS);
  int p = positions[r];
  int j = p - (((p - slot) % SLOTS) + SLOTS) % SLOTS;
  bool keep = j >= 0 && j <= p && (WINDOW <= 0 || j > p - WINDOW);
  ST(1, g, keep ? LD(0, g) : -1.0 / 0.0);
}
