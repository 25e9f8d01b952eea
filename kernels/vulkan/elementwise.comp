#version 450
// Elementwise kernels: add, mul, scale, softcap, gelu_tanh, gelu(a) * b,
// copy. Operands: 0 a, 1 b, 2 out (in place allowed).
#include "common.glsl"
#define OP I0
#define N I1
#define FACTOR F0

float Gelu(float x) {
  return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

void main() {
  uint i = ThreadIndex();
  if (i >= uint(N))
    return;
  float a = LD(0, i), y;
  if (OP == 0)
    y = a + LD(1, i);
  else if (OP == 1)
    y = a * LD(1, i);
  else if (OP == 2)
    y = a * FACTOR;
  else if (OP == 3)
    y = FACTOR * tanh(a / FACTOR);
  else if (OP == 4)
    y = Gelu(a);
  else if (OP == 5)
    y = Gelu(a) * LD(1, i);
  else
    y = a;
  ST(2, i, y);
}
